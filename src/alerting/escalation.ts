import type { Access } from '../access/index.js'
import type { Db } from '../db/connect.js'
import type { Incidents } from '../incidents/index.js'
import type { Job, JobCommit, Jobs } from '../jobs/index.js'
import type { Notifications } from '../notifications/index.js'
import type { Clock } from '../shared/clock.js'
import { newId } from '../shared/ids.js'
import { escalationKey, escalateJob, quietKey, quietJob } from './intake.js'
import { nextEscalation, type Alert, type EscalationTarget } from './model.js'
import { whoIsOnCall } from './oncall.js'
import * as store from './store/alerts.js'
import * as settings from './store/configuration.js'

/**
 * Escalation and quiet periods run as durable jobs. A step's pages, its timeline entries and the
 * job for the next step are written in the job's completion, which commits once while the
 * worker still holds the job's lease: a restart neither loses a step nor repeats one.
 */

export interface EscalationDeps {
  db: Db
  clock: Clock
  jobs: Jobs
  access: Access
  incidents: Incidents
  notifications: Notifications
}

interface EscalatePayload {
  alertId: string
  round: number
  step: number
}

interface PageTo {
  target: EscalationTarget
  userId: string | null
  recipient: { email: string; name?: string } | { channelId: string } | null
  outcome: 'paged' | 'nobody_on_call' | 'user_disabled' | 'not_found'
  label: string
}

export function createEscalation({ db, clock, jobs, access, incidents, notifications }: EscalationDeps) {
  /** The step's targets, resolved now: a schedule pages whoever is on call at this moment. */
  async function resolveTargets(targets: EscalationTarget[], at: Date): Promise<PageTo[]> {
    const out: PageTo[] = []
    for (const target of targets) {
      if (target.kind === 'channel') {
        out.push({ target, userId: null, recipient: { channelId: target.id }, outcome: 'paged', label: `channel ${target.id}` })
        continue
      }
      let userId: string | null = target.kind === 'user' ? target.id : null
      let label = `user ${target.id}`
      if (target.kind === 'schedule') {
        const schedule = await settings.findSchedule(db, target.id)
        if (!schedule) {
          out.push({ target, userId: null, recipient: null, outcome: 'not_found', label: `schedule ${target.id}` })
          continue
        }
        const overrides = await settings.listOverrides(db, schedule.id, at.toISOString())
        const shift = whoIsOnCall(schedule.definition, overrides, at)
        label = `on call for ${schedule.name}`
        if (!shift) {
          out.push({ target, userId: null, recipient: null, outcome: 'nobody_on_call', label })
          continue
        }
        userId = shift.userId
      }
      const user = await access.getUser(userId!).catch(() => undefined)
      if (!user) out.push({ target, userId, recipient: null, outcome: 'not_found', label })
      else if (user.disabledAt) out.push({ target, userId, recipient: null, outcome: 'user_disabled', label: `${user.name} (${label})` })
      else out.push({ target, userId, recipient: { email: user.email, name: user.name }, outcome: 'paged', label: target.kind === 'schedule' ? `${user.name} (${label})` : user.name })
    }
    return out
  }

  async function escalate(job: Job): Promise<void | JobCommit> {
    const { alertId, round, step } = job.payload as EscalatePayload
    const alert = await store.findAlert(db, alertId)
    if (!alert || alert.status !== 'triggered' || !alert.policyId) return
    const policy = await settings.findPolicy(db, alert.policyId)
    const definition = policy?.steps[step]
    if (!policy || !definition) return
    const now = clock.now()
    const pages = await resolveTargets(definition.targets, now)
    const next = nextEscalation(policy, round, step)
    return async (trx) => {
      // Acknowledged while the targets were looked up: page no one.
      const current = await store.findAlert(trx, alertId)
      if (!current || current.status !== 'triggered') return
      const at = now.toISOString()
      for (const page of pages) {
        const notificationId =
          page.recipient === null
            ? null
            : (
                await notifications.enqueue(trx, {
                  idempotencyKey: `page:${alertId}:${round}:${step}:${page.target.kind}:${page.target.id}`,
                  to: page.recipient,
                  subject: subjectOf(current),
                  text: pageText(current, round, step),
                  event: { type: 'alert.page', data: { alertId, summary: current.summary, severity: current.severity, source: current.source, customerId: current.customerId, round, step, incidentId: current.incidentId } },
                  links: { alertId, ...(current.incidentId && { incidentId: current.incidentId }), ...(current.customerId && { customerId: current.customerId }) },
                })
              ).id
        await store.insertPage(trx, { id: newId(), alertId, round, step, target: page.target, userId: page.userId, notificationId, outcome: page.outcome, createdAt: at })
        if (current.incidentId) {
          const text = page.outcome === 'paged' ? `Paged ${page.label} (step ${step + 1}${round > 0 ? `, round ${round + 1}` : ''})` : `Could not page ${page.label}: ${page.outcome.replaceAll('_', ' ')}`
          await incidents.recordIn(trx, current.incidentId, { kind: 'page', text, data: { alertId, round, step, target: page.target, outcome: page.outcome } })
        }
      }
      if (next) {
        const runAt = new Date(now.getTime() + definition.waitMinutes * 60_000).toISOString()
        await jobs.enqueue({ type: escalateJob, payload: { alertId, ...next }, runAt, key: escalationKey(alertId, next.round, next.step), maxAttempts: 10 }, trx)
      }
    }
  }

  /** Resolve an alert that has been quiet for its rule's period; check again later if it was not. */
  async function resolveQuiet(job: Job): Promise<void | JobCommit> {
    const { alertId } = job.payload as { alertId: string }
    const alert = await store.findAlert(db, alertId)
    if (!alert || alert.status === 'resolved' || !alert.routeId) return
    const route = await settings.findRoute(db, alert.routeId)
    if (!route?.autoResolveMinutes) return
    const quietMs = route.autoResolveMinutes * 60_000
    const now = clock.now()
    return async (trx) => {
      const current = await store.findAlert(trx, alertId)
      if (!current || current.status === 'resolved') return
      const dueAt = Date.parse(current.lastSeenAt) + quietMs
      if (dueAt > now.getTime()) {
        await jobs.enqueue({ type: quietJob, payload: { alertId }, runAt: new Date(dueAt).toISOString(), key: quietKey(alertId, current.lastSeenAt) }, trx)
        return
      }
      await store.markResolved(trx, alertId, now.toISOString(), 'cordon', 'quiet')
      if (current.incidentId) {
        await incidents.recordIn(trx, current.incidentId, { kind: 'alert.resolved', text: `Alert resolved after ${route.autoResolveMinutes} quiet minutes: ${current.summary}`, data: { alertId } })
      }
    }
  }

  return { escalate, resolveQuiet }
}

/** A page's subject: the severity and the summary on one line, short enough for any inbox or pager. */
export function subjectOf(alert: Pick<Alert, 'severity' | 'summary'>): string {
  const summary = alert.summary.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim()
  const subject = `[${alert.severity.toUpperCase()}] ${summary}`
  return subject.length > 200 ? `${subject.slice(0, 199)}…` : subject
}

function pageText(alert: Alert, round: number, step: number): string {
  const lines = [
    `${alert.summary}`,
    '',
    `Severity: ${alert.severity}`,
    `Source: ${alert.source}`,
    `Alert: ${alert.id} (seen ${alert.count} time${alert.count === 1 ? '' : 's'} since ${alert.firstSeenAt})`,
  ]
  if (alert.customerId) lines.push(`Customer: ${alert.customerId}`)
  if (alert.incidentId) lines.push(`Incident: ${alert.incidentId}`)
  const labels = Object.entries(alert.labels)
  if (labels.length > 0) lines.push(`Labels: ${labels.map(([name, value]) => `${name}=${value}`).join(', ')}`)
  lines.push('', `Escalation step ${step + 1}${round > 0 ? `, round ${round + 1}` : ''}. Acknowledge to stop escalation: cordon alert ack ${alert.id}`)
  return lines.join('\n')
}
