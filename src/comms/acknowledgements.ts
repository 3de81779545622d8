import { randomBytes } from 'node:crypto'
import { allTenants, type Actor } from '../shared/actor.js'
import { signAcknowledgement, verifyAcknowledgement, type Notice, type Recipient } from './model.js'
import type { CommsDeps } from './service.js'
import * as store from './store.js'

export type AcknowledgementView =
  | { ok: false; reason: 'invalid' | 'expired' }
  | { ok: true; notice: Notice; customerName: string; recipient: Recipient; recordedNow: boolean }

/**
 * Acknowledgement links: each recipient's signed, expiring link (no login), checked and recorded
 * once. The signing secret is the server's, claimed in the settings table by the first caller.
 */
export function createAcknowledgements(deps: Pick<CommsDeps, 'db' | 'clock' | 'audit' | 'customers' | 'incidents' | 'linkBase'>) {
  const { db, clock, audit, customers, incidents } = deps
  let cached: Buffer | undefined

  /** Fetch it before opening a transaction: the first call writes the secret through `db`, outside any transaction. */
  async function secret(): Promise<Buffer> {
    cached ??= Buffer.from(await store.claimSecret(db, randomBytes(32).toString('base64url'), clock.now().toISOString()), 'base64url')
    return cached
  }

  function link(key: Buffer, notice: Pick<Notice, 'id' | 'expiresAt'>, contactId: string): string {
    return `${deps.linkBase}/ack/${signAcknowledgement(key, notice.id, contactId, new Date(notice.expiresAt))}`
  }

  async function checkAcknowledgement(token: string): Promise<AcknowledgementView> {
    const check = verifyAcknowledgement(await secret(), token, clock.now())
    if (!check.ok) return check
    const [notice, recipient] = await Promise.all([store.findNotice(db, allTenants, check.noticeId), store.findRecipient(db, check.noticeId, check.contactId)])
    if (!notice || !recipient) return { ok: false, reason: 'invalid' }
    const customer = await customers.get(allTenants, notice.customerId)
    return { ok: true, notice, customerName: customer.name, recipient, recordedNow: false }
  }

  /** Records the acknowledgement once; following the link again shows it already recorded. */
  async function acknowledge(token: string, name?: string): Promise<AcknowledgementView> {
    const view = await checkAcknowledgement(token)
    if (!view.ok || view.recipient.acknowledgedAt) return view
    const by = name?.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim().slice(0, 200) || view.recipient.name
    const at = clock.now().toISOString()
    const { notice, recipient } = view
    const actor: Actor = { kind: 'system', id: `contact:${recipient.contactId}`, label: `${by} <${recipient.email}> (acknowledgement link)`, role: 'customer', scope: { all: false, customerIds: [notice.customerId] } }
    const recordedNow = await db.transaction().execute(async (trx) => {
      if (!(await store.acknowledge(trx, notice.id, recipient.contactId, by, at))) return false
      await audit.record(trx, actor, { action: 'comms.notice.acknowledged', targetType: 'comms_notice', targetId: notice.id, customerId: notice.customerId, details: { contactId: recipient.contactId, by } })
      if (notice.incidentId) await incidents.recordIn(trx, notice.incidentId, { kind: 'notice.acknowledged', text: `${view.customerName} acknowledged the notice (${by})`, actorLabel: actor.label, data: { noticeId: notice.id } })
      return true
    })
    const fresh = (await store.findRecipient(db, notice.id, recipient.contactId))!
    return { ...view, recipient: fresh, recordedNow }
  }

  return { secret, link, checkAcknowledgement, acknowledge }
}

export type Acknowledgements = ReturnType<typeof createAcknowledgements>
