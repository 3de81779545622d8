import { createHash, randomBytes } from 'node:crypto'
import type { Static } from 'typebox'
import type { Db } from '../db/connect.js'
import { openStatuses } from '../incidents/index.js'
import { allTenants, systemActor, type Actor } from '../shared/actor.js'
import { AppError } from '../shared/errors.js'
import { newId } from '../shared/ids.js'
import { parseInput } from '../shared/validate.js'
import {
  PublishInputSchema,
  requireResponder,
  UpdateInputSchema,
  type EndpointProgress,
  type IssuedStatusLink,
  type PublicIncident,
  type PublicStatusView,
  type Recipient,
  type StatusLink,
  type StatusView,
  type Update,
} from './model.js'
import type { CommsDeps } from './service.js'
import * as store from './store.js'

/** A customer's own remediation progress; the composition root wires it from remediation. */
export type RemediationProgress = (customerId: string) => Promise<EndpointProgress[]>

export type { EndpointProgress, PublicStatusView, StatusView } from './model.js'

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

/**
 * What customers and the public see about incidents: updates (sent to every contact who was sent
 * a notice about the incident), the public page's published incidents, and customers' private
 * status pages behind hashed, revocable tokens.
 */
export function createStatusPages(deps: CommsDeps) {
  const { db, clock, audit, customers, incidents, notifications } = deps

  // Incident updates and the public page

  async function postUpdate(actor: Actor, incidentId: string, input: unknown, options: { idempotencyKey?: string | undefined } = {}): Promise<Update> {
    requireResponder(actor)
    const data = parseInput(UpdateInputSchema, input, 'update')
    // A retry with the same key answers with the first update and tells nobody again.
    return deps.idempotency.once<Update>(actor, 'comms.update.post', options.idempotencyKey, { incidentId, data }, (remember) => post(actor, incidentId, data, remember))
  }

  async function post(actor: Actor, incidentId: string, data: Static<typeof UpdateInputSchema>, remember: (trx: Db, update: Update) => Promise<void>): Promise<Update> {
    const incident = await incidents.get(actor, incidentId)
    if (data.public && !(await store.findPublicIncident(db, incident.id))?.title) {
      throw new AppError('invalid', 'publish the incident on the public status page before posting public updates', { problems: [{ field: 'public', message: 'the incident is not published' }] })
    }
    const update: Update = { id: newId(), incidentId: incident.id, state: data.state, text: data.text.trim(), public: data.public ?? false, createdBy: actor.label, createdAt: clock.now().toISOString() }
    // Subscribed: every contact who was sent a notice about this incident.
    const subscribed = new Map<string, Recipient & { customerId: string }>()
    const notices = await store.listNotices(db, allTenants, { incidentId: incident.id })
    for (const notice of notices) {
      for (const recipient of await store.listRecipients(db, notice.id)) subscribed.set(recipient.contactId, { ...recipient, customerId: notice.customerId })
    }
    // And the channels of their own (a ticketing webhook, say) of every customer sent a notice.
    const channels = await notifications.customerChannels([...new Set(notices.map((n) => n.customerId))])
    await db.transaction().execute(async (trx) => {
      await store.insertUpdate(trx, update)
      for (const recipient of subscribed.values()) {
        await notifications.enqueue(trx, {
          idempotencyKey: `comms-update:${update.id}:${recipient.contactId}`,
          to: { email: recipient.email, name: recipient.name },
          subject: `Update (${update.state}): ${(await store.findNotice(trx, allTenants, recipient.noticeId))?.subject ?? 'security incident'}`.slice(0, 300),
          text: `${update.text}\n\nStatus: ${update.state}\n`,
          links: { customerId: recipient.customerId, incidentId: incident.id },
        })
      }
      for (const [customerId, owned] of channels) {
        for (const channel of owned) {
          await notifications.enqueue(trx, {
            idempotencyKey: `comms-update:${update.id}:channel:${channel.id}`,
            to: { channelId: channel.id },
            subject: `Update (${update.state}): ${notices.find((n) => n.customerId === customerId)?.subject ?? 'security incident'}`.slice(0, 300),
            text: `${update.text}\n\nStatus: ${update.state}\n`,
            event: { type: 'comms.update', data: { updateId: update.id, incidentId: incident.id, customerId, state: update.state, text: update.text, createdAt: update.createdAt } },
            links: { customerId, incidentId: incident.id },
          })
        }
      }
      await incidents.recordIn(trx, incident.id, { kind: 'update.posted', text: `Update (${update.state}): ${update.text}`, actorLabel: actor.label, data: { updateId: update.id, public: update.public, recipients: subscribed.size } })
      await audit.record(trx, actor, { action: 'comms.update.posted', targetType: 'incident', targetId: incident.id, details: { updateId: update.id, state: update.state, public: update.public, recipients: subscribed.size } })
      await remember(trx, update)
    })
    return update
  }

  async function listUpdates(actor: Actor, incidentId: string): Promise<Update[]> {
    const incident = await incidents.get(actor, incidentId)
    return store.listUpdates(db, [incident.id])
  }

  /** Shows an incident on the public status page under a title written for the public. */
  async function publish(actor: Actor, incidentId: string, input: unknown): Promise<PublicIncident> {
    requireResponder(actor)
    const data = parseInput(PublishInputSchema, input, 'publication')
    const incident = await incidents.get(actor, incidentId)
    const published: PublicIncident = { incidentId: incident.id, title: data.title.trim(), publishedAt: clock.now().toISOString(), withdrawnAt: null }
    await db.transaction().execute(async (trx) => {
      await store.savePublicIncident(trx, published)
      await audit.record(trx, actor, { action: 'comms.incident.published', targetType: 'incident', targetId: incident.id, details: { title: published.title } })
    })
    return published
  }

  async function withdraw(actor: Actor, incidentId: string): Promise<void> {
    requireResponder(actor)
    const incident = await incidents.get(actor, incidentId)
    const published = await store.findPublicIncident(db, incident.id)
    if (!published || published.withdrawnAt) throw new AppError('not_found', `incident ${incidentId} is not on the public status page`)
    await db.transaction().execute(async (trx) => {
      await store.savePublicIncident(trx, { ...published, withdrawnAt: clock.now().toISOString() })
      await audit.record(trx, actor, { action: 'comms.incident.withdrawn', targetType: 'incident', targetId: incident.id })
    })
  }

  async function publicStatus(): Promise<PublicStatusView> {
    const published = await store.listPublicIncidents(db)
    const updates = await store.listUpdates(db, published.map((p) => p.incidentId), { publicOnly: true })
    return {
      incidents: published.map((p) => ({
        title: p.title,
        publishedAt: p.publishedAt,
        updates: updates.filter((u) => u.incidentId === p.incidentId).map((u) => ({ state: u.state, text: u.text, createdAt: u.createdAt })),
      })),
    }
  }

  // Customers' private status pages

  /** A new private link for the customer; any earlier one stops working. The token is shown only now. */
  async function createStatusLink(actor: Actor, customerReference: string): Promise<IssuedStatusLink> {
    requireResponder(actor)
    const customer = await customers.resolve(allTenants, customerReference)
    const token = randomBytes(32).toString('base64url')
    const link: StatusLink = { id: newId(), customerId: customer.id, createdBy: actor.id, createdAt: clock.now().toISOString(), revokedAt: null }
    await db.transaction().execute(async (trx) => {
      await store.revokeStatusLinks(trx, customer.id, link.createdAt)
      await store.insertStatusLink(trx, link, hashToken(token))
      await audit.record(trx, actor, { action: 'comms.status_link.created', targetType: 'customer', targetId: customer.id, customerId: customer.id, details: { linkId: link.id } })
    })
    return { link, token, url: `${deps.linkBase}/status/${token}` }
  }

  async function revokeStatusLink(actor: Actor, customerReference: string): Promise<{ revoked: number }> {
    requireResponder(actor)
    const customer = await customers.resolve(allTenants, customerReference)
    const revoked = await db.transaction().execute(async (trx) => {
      const count = await store.revokeStatusLinks(trx, customer.id, clock.now().toISOString())
      await audit.record(trx, actor, { action: 'comms.status_link.revoked', targetType: 'customer', targetId: customer.id, customerId: customer.id, details: { revoked: count } })
      return count
    })
    return { revoked }
  }

  /** The view behind a private link, or undefined for a link that is unknown or revoked. */
  async function statusByToken(token: string): Promise<StatusView | undefined> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined
    const link = await store.findLiveStatusLink(db, hashToken(token))
    return link && statusOf(link.customerId)
  }

  /** The portal for a customer token: one view per customer it may see. */
  async function portal(actor: Actor): Promise<StatusView[]> {
    if (actor.scope.all) throw new AppError('forbidden', 'the portal is for customer tokens; staff see incidents directly')
    return Promise.all(actor.scope.customerIds.map((id) => statusOf(id)))
  }

  /**
   * One customer's view. Incident titles are the provider's own words and may name others, so a
   * customer sees the public title, or the subject of the notice it was sent, never the title.
   */
  async function statusOf(customerId: string): Promise<StatusView> {
    const customer = await customers.get(allTenants, customerId)
    const notices = await store.listNotices(db, { all: false, customerIds: [customerId] }, { customerId })
    const linked = await incidents.list(systemActor, { customerId, limit: 100 })
    const incidentIds = new Set([...linked.items.map((i) => i.id), ...notices.flatMap((n) => (n.incidentId ? [n.incidentId] : []))])
    const views: StatusView['incidents'] = []
    for (const id of incidentIds) {
      const incident = await incidents.get(systemActor, id)
      if (!openStatuses.includes(incident.status)) continue
      const published = await store.findPublicIncident(db, id)
      const noticed = notices.find((n) => n.incidentId === id)
      const updates = await store.listUpdates(db, [id])
      views.push({
        id,
        title: published?.title ?? noticed?.subject ?? `Security incident (${incident.severity})`,
        status: incident.status,
        severity: incident.severity,
        updates: updates.map((u) => ({ state: u.state, text: u.text, createdAt: u.createdAt })),
      })
    }
    const remediation = deps.remediationProgress ? await deps.remediationProgress(customerId) : null
    return { customer: { id: customer.id, name: customer.name }, incidents: views, remediation }
  }

  /** When each customer was first told about and first acknowledged an incident or advisory (for remediation's metrics). */
  async function noticeTimes(filter: { incidentId?: string | null; advisoryIds?: readonly string[] }): Promise<Map<string, { notifiedAt: string | null; acknowledgedAt: string | null }>> {
    const notices = [
      ...(filter.incidentId ? await store.listNotices(db, allTenants, { incidentId: filter.incidentId }) : []),
      ...(await Promise.all((filter.advisoryIds ?? []).map((advisoryId) => store.listNotices(db, allTenants, { advisoryId })))).flat(),
    ]
    const times = new Map<string, { notifiedAt: string | null; acknowledgedAt: string | null }>()
    for (const notice of notices) {
      const acknowledged = (await store.listRecipients(db, notice.id)).flatMap((r) => (r.acknowledgedAt ? [r.acknowledgedAt] : []))
      const current = times.get(notice.customerId) ?? { notifiedAt: null, acknowledgedAt: null }
      const earliest = (a: string | null, b: string | null) => (a === null ? b : b === null ? a : a < b ? a : b)
      times.set(notice.customerId, { notifiedAt: earliest(current.notifiedAt, notice.sentAt), acknowledgedAt: earliest(current.acknowledgedAt, acknowledged.sort()[0] ?? null) })
    }
    return times
  }

  return { postUpdate, listUpdates, publish, withdraw, publicStatus, createStatusLink, revokeStatusLink, statusByToken, portal, noticeTimes }
}
