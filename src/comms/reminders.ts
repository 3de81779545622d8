import { staffUserProblem } from '../access/index.js'
import type { Job, JobCommit } from '../jobs/index.js'
import type { OutboundMessage } from '../notifications/index.js'
import type { Customer } from '../customers/index.js'
import { allTenants, systemActor } from '../shared/actor.js'
import { AppError } from '../shared/errors.js'
import type { Acknowledgements } from './acknowledgements.js'
import type { CommsDeps } from './service.js'
import * as store from './store.js'

/** The job that reminds contacts who have not acknowledged, then escalates to the notice's owner (else the account owner). */
export const reminderJob = 'comms.remind'

/** A notice's follow-up when nobody acknowledges it: reminders to its contacts, then its owner. */
export function createReminders(deps: Pick<CommsDeps, 'db' | 'clock' | 'audit' | 'customers' | 'access' | 'notifications' | 'jobs'>, acknowledgements: Pick<Acknowledgements, 'secret' | 'link'>) {
  const { db, clock, audit, customers, access, notifications, jobs } = deps

  /**
   * One step of a notice's follow-up: remind the contacts who have not acknowledged, then (a
   * later job) tell the notice's owner. Messages and the next step's job are keyed per notice per
   * step and written in the job's completion, so a retried job sends nothing twice.
   */
  async function remind(job: Job): Promise<JobCommit | void> {
    const { noticeId, step } = job.payload as { noticeId: string; step: 'reminder' | 'escalation' }
    const notice = await store.findNotice(db, allTenants, noticeId)
    if (!notice) return
    const waiting = (await store.listRecipients(db, noticeId)).filter((r) => !r.acknowledgedAt)
    if (waiting.length === 0) return
    const customer = await customers.get(allTenants, notice.customerId)
    const owner = await escalationOwner(notice.ownerId, customer)
    const messages: OutboundMessage[] = []
    const links = { customerId: notice.customerId, ...(notice.incidentId && { incidentId: notice.incidentId }) }
    if (step === 'reminder') {
      const key = await acknowledgements.secret()
      for (const recipient of waiting) {
        const link = acknowledgements.link(key, notice, recipient.contactId)
        messages.push({
          idempotencyKey: `comms-remind:${notice.id}:reminder:${recipient.contactId}`,
          to: { email: recipient.email, name: recipient.name },
          subject: `Reminder: ${notice.subject}`.slice(0, 300),
          text: `We have not yet heard that you received this notice. Please confirm: ${link}\n\n${notice.text}`,
          links,
        })
      }
    } else if (owner) {
      messages.push({
        idempotencyKey: `comms-remind:${notice.id}:escalation:${owner.id}`,
        to: { email: owner.email, name: owner.name },
        subject: `Not acknowledged: ${customer.name}: ${notice.subject}`.slice(0, 300),
        text: `${customer.name} has not acknowledged the notice sent ${notice.sentAt}. Waiting on: ${waiting.map((r) => `${r.name} <${r.email}>`).join(', ')}.\n\nPlease follow up with them directly.`,
        links,
      })
    }
    const nextAt = new Date(clock.now().getTime() + notice.escalationMinutes * 60_000).toISOString()
    return async (trx) => {
      for (const message of messages) await notifications.enqueue(trx, message)
      if (step === 'reminder' && owner) await jobs.enqueue({ type: reminderJob, payload: { noticeId, step: 'escalation' }, key: `comms-remind:${noticeId}:escalation`, runAt: nextAt }, trx)
      if (messages.length > 0) await audit.record(trx, systemActor, { action: `comms.notice.${step === 'reminder' ? 'reminded' : 'escalated'}`, targetType: 'comms_notice', targetId: noticeId, customerId: notice.customerId, details: { messages: messages.length } })
    }
  }

  /**
   * Who hears that a customer has not acknowledged: the owner named when the notice was sent,
   * else the customer's account owner, else its partner's; the first who is still an active staff user.
   */
  async function escalationOwner(noticeOwner: string | null, customer: Customer) {
    const parent = customer.parentId ? await customers.get(allTenants, customer.parentId) : undefined
    for (const id of [noticeOwner, customer.accountOwnerId, parent?.accountOwnerId]) {
      if (!id) continue
      const user = await access.getUser(id).catch((error: unknown) => {
        if (error instanceof AppError && error.kind === 'not_found') return undefined
        throw error
      })
      if (!staffUserProblem(user, id)) return user
    }
    return undefined
  }

  return { remind }
}
