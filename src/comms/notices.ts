import type { Contact, ContactRole, Customer } from '../customers/index.js'
import type { Db } from '../db/connect.js'
import type { Finding } from '../exposure/index.js'
import type { StoredSighting } from '../hunt/index.js'
import type { Channel } from '../notifications/index.js'
import { allTenants, systemActor, type Actor, type TenantScope } from '../shared/actor.js'
import { AppError, notFound, type FieldProblem } from '../shared/errors.js'
import { newId } from '../shared/ids.js'
import { parseInput } from '../shared/validate.js'
import type { Acknowledgements } from './acknowledgements.js'
import {
  addressProblem,
  defaultEscalationMinutes,
  defaultLinkDays,
  defaultReminderMinutes,
  defaultRoles,
  NoticeRequestSchema,
  overallState,
  renderNotice,
  requireResponder,
  requireStaff,
  TrackingQuerySchema,
  trackingStates,
  type Notice,
  type NoticeTracking,
  type NoticeFacts,
  type NoticePreview,
  type NoticeRequest,
  type NoticeState,
  type NoticeStatus,
  type Recipient,
  type RecipientProblem,
  type RecipientStatus,
  type SendReport,
  type Template,
  type TrackingRow,
} from './model.js'
import { reminderJob } from './reminders.js'
import type { CommsDeps } from './service.js'
import * as store from './store.js'
import type { Templates } from './templates.js'

export interface CustomerPlan {
  customer: Pick<Customer, 'id' | 'name' | 'kind'>
  facts: NoticeFacts
  contacts: Contact[]
  /** The customer's own enabled channels. */
  channels: Channel[]
}

export interface NoticePlan {
  customers: CustomerPlan[]
  problems: RecipientProblem[]
  /** The (first) advisory the notices are about. */
  advisoryId: string | null
}

const findingPage = 500

type NoticesDeps = Pick<CommsDeps, 'db' | 'clock' | 'audit' | 'customers' | 'access' | 'intel' | 'exposure' | 'hunt' | 'incidents' | 'notifications' | 'jobs' | 'idempotency'>

/**
 * Notices: who is affected by an incident or advisory and what each customer is told, the report
 * of who cannot be told, sending through the outbox, and where each notice stands.
 */
export function createNotices(deps: NoticesDeps, templates: Pick<Templates, 'getTemplate' | 'loadDefaultTemplate'>, acknowledgements: Pick<Acknowledgements, 'secret' | 'link'>) {
  const { db, clock, audit, customers, access, intel, exposure, hunt, incidents, notifications, jobs } = deps

  /** Who would be told what, and who cannot be told: the report before anything is sent. */
  async function plan(actor: Actor, input: unknown): Promise<NoticePlan> {
    return planFor(actor, parseInput(NoticeRequestSchema, input, 'notice'))
  }

  async function planFor(actor: Actor, request: NoticeRequest): Promise<NoticePlan> {
    requireResponder(actor)
    return affected(actor, request)
  }

  /** Who is affected and what each would be told; the caller checks the actor may see it. */
  async function affected(actor: Actor, request: NoticeRequest): Promise<NoticePlan> {
    if (!request.incidentId && !request.advisoryId) throw new AppError('invalid', 'give an incident or an advisory', { problems: [{ field: 'advisoryId', message: 'give incidentId or advisoryId' }] })
    const incident = request.incidentId ? await incidents.get(actor, request.incidentId) : undefined
    const advisoryIds = new Set<string>()
    const linkedCustomers = new Set<string>()
    if (request.advisoryId) advisoryIds.add((await intel.getAdvisory(request.advisoryId)).id)
    for (const link of incident?.links ?? []) {
      if (link.kind === 'advisory') advisoryIds.add(link.targetId)
      if (link.kind === 'customer') linkedCustomers.add(link.targetId)
    }
    const advisories = await Promise.all([...advisoryIds].map((id) => intel.getAdvisory(id)))

    const findings = new Map<string, Finding[]>()
    for (const advisory of advisories) {
      let cursor: string | undefined
      do {
        const page = await exposure.listFindings(allTenants, { advisoryId: advisory.id, status: ['open'], limit: findingPage, cursor })
        for (const finding of page.items) findings.set(finding.customerId, [...(findings.get(finding.customerId) ?? []), finding])
        cursor = page.nextCursor ?? undefined
      } while (cursor)
    }
    const indicatorIds = new Set<string>()
    for (const advisory of advisories) {
      let cursor: string | undefined
      do {
        const page = await intel.listIndicators({ advisoryId: advisory.id, limit: 500, cursor })
        for (const indicator of page.items) indicatorIds.add(indicator.id)
        cursor = page.nextCursor ?? undefined
      } while (cursor)
    }
    const sightings = new Map<string, StoredSighting[]>()
    for (const indicatorId of indicatorIds) {
      let cursor: string | undefined
      do {
        const page = await hunt.listSightings(allTenants, { indicatorId, limit: 500, cursor })
        for (const sighting of page.items) if (sighting.customerId) sightings.set(sighting.customerId, [...(sightings.get(sighting.customerId) ?? []), sighting])
        cursor = page.nextCursor ?? undefined
      } while (cursor)
    }
    const affectedIds = new Set([...findings.keys(), ...sightings.keys(), ...linkedCustomers])
    const chosen = request.customers ? new Set((await Promise.all(request.customers.map((reference) => customers.resolve(allTenants, reference)))).map((c) => c.id)) : undefined
    const actions = request.actions ?? advisories.flatMap((advisory) => advisory.remediation?.steps.map((step) => step.text) ?? [])
    const base = {
      incident: incident ? { id: incident.id, title: incident.title } : null,
      advisory: advisories[0] ? { id: advisories[0].externalId, title: advisories[0].title } : null,
      actions,
      deadline: request.deadline ? new Date(request.deadline).toISOString() : null,
    }
    const endpointLines = (list: Finding[] | undefined, prefix = '') =>
      [...new Set((list ?? []).map((f) => `${prefix}${f.hostname ?? f.endpoint}: ${f.vendor} ${f.product} ${f.version}`))].sort()
    const sightingLines = (list: StoredSighting[] | undefined, prefix = '') =>
      (list ?? []).slice(0, 200).map((s) => `${prefix}${s.seenAt ?? s.createdAt}: ${s.value}${s.client ? ` from ${s.client}` : ''} (indicator ${s.indicator})`)

    const roles: ContactRole[] = request.roles ?? defaultRoles
    const plans: CustomerPlan[] = []
    const problems: RecipientProblem[] = []
    // A partner is told about its own endpoints and all of its affected customers' in one notice.
    const partners = new Map<string, Customer[]>()
    for (const id of [...affectedIds].sort()) {
      const customer = await customers.get(allTenants, id)
      if (customer.kind === 'partner') {
        if (!partners.has(id)) partners.set(id, [])
        continue
      }
      if (customer.parentId) partners.set(customer.parentId, [...(partners.get(customer.parentId) ?? []), customer])
      if (chosen && !chosen.has(id)) continue
      const facts: NoticeFacts = { ...base, customer: { id: customer.id, name: customer.name, kind: customer.kind }, endpoints: endpointLines(findings.get(id)), sightings: sightingLines(sightings.get(id)) }
      plans.push({ customer, facts, contacts: pickContacts(customer, customer.contacts, roles, problems), channels: [] })
    }
    for (const [partnerId, children] of partners) {
      if (chosen && !chosen.has(partnerId)) continue
      const partner = await customers.get(allTenants, partnerId)
      const endpoints = [...endpointLines(findings.get(partnerId)), ...children.flatMap((child) => endpointLines(findings.get(child.id), `${child.name}: `))]
      const seen = [...sightingLines(sightings.get(partnerId)), ...children.flatMap((child) => sightingLines(sightings.get(child.id), `${child.name}: `))]
      const facts: NoticeFacts = { ...base, customer: { id: partner.id, name: partner.name, kind: partner.kind }, endpoints, sightings: seen }
      plans.push({ customer: partner, facts, contacts: pickContacts(partner, partner.contacts, roles, problems), channels: [] })
    }
    const owned = await notifications.customerChannels(plans.map((p) => p.customer.id))
    for (const p of plans) p.channels = owned.get(p.customer.id) ?? []
    return { customers: plans, problems, advisoryId: advisories[0]?.id ?? null }
  }

  function pickContacts(customer: Customer, contacts: Contact[], roles: readonly ContactRole[], problems: RecipientProblem[]): Contact[] {
    const report = (problem: RecipientProblem['problem'], message: string, contactId: string | null = null) =>
      problems.push({ customerId: customer.id, customerName: customer.name, contactId, problem, message })
    if (contacts.length === 0) {
      report('no_contacts', `${customer.name} has no contacts: add one before sending`)
      return []
    }
    const chosen = contacts.filter((c) => roles.includes(c.role))
    if (chosen.length === 0) report('no_contacts_in_roles', `${customer.name} has no contact with the role ${roles.join(', ')}`)
    return chosen.filter((contact) => {
      const problem = addressProblem(contact.email)
      if (problem) report('invalid_address', `${contact.name} at ${customer.name}: ${problem}`, contact.id)
      return !problem
    })
  }

  async function templateFor(request: NoticeRequest): Promise<Template> {
    return request.templateId ? templates.getTemplate(request.templateId) : templates.loadDefaultTemplate(systemActor)
  }

  async function preview(actor: Actor, input: unknown, customerReference: string): Promise<NoticePreview> {
    const request = parseInput(NoticeRequestSchema, input, 'notice')
    const customer = await customers.resolve(allTenants, customerReference)
    const [template, planned] = await Promise.all([templateFor(request), planFor(actor, { ...request, customers: request.customers ?? [customer.id] })])
    const own = planned.customers.find((p) => p.customer.id === customer.id)
    if (!own) throw new AppError('invalid', `${customer.name} is not affected by this ${request.incidentId ? 'incident' : 'advisory'}`, { problems: [{ field: 'customer', message: 'not affected' }] })
    return {
      customerId: customer.id,
      customerName: customer.name,
      recipients: own.contacts.map((c) => ({ contactId: c.id, name: c.name, email: c.email })),
      channels: own.channels.map((c) => ({ channelId: c.id, name: c.name, kind: c.kind })),
      problems: planned.problems.filter((p) => p.customerId === customer.id),
      ...renderNotice(template, own.facts, '(each recipient gets a personal acknowledgement link when the notice is sent)'),
    }
  }

  /**
   * Sends a notice to every affected customer's contacts in one transaction. Customers who
   * cannot be told (no contacts, none in the roles, bad addresses) are refused up front, named,
   * unless the caller says to send to the rest anyway; the report names them either way.
   */
  async function send(actor: Actor, input: unknown, options: { sendDespiteProblems?: boolean; idempotencyKey?: string | undefined } = {}): Promise<SendReport> {
    const request = parseInput(NoticeRequestSchema, input, 'notice')
    const sendDespiteProblems = options.sendDespiteProblems ?? false
    // A retry with the same key answers with the first send's report and sends nothing again.
    return deps.idempotency.once<SendReport>(actor, 'comms.notices.send', options.idempotencyKey, { request, sendDespiteProblems }, (remember) => sendNotices(actor, request, sendDespiteProblems, remember))
  }

  async function sendNotices(actor: Actor, request: NoticeRequest, sendDespiteProblems: boolean, remember: (trx: Db, report: SendReport) => Promise<void>): Promise<SendReport> {
    const template = await templateFor(request)
    const planned = await planFor(actor, request)
    if (planned.customers.length === 0) throw new AppError('invalid', 'no customer is affected: nothing to send', { problems: [{ field: request.incidentId ? 'incidentId' : 'advisoryId', message: 'no affected customers' }] })
    if (planned.problems.length > 0 && !sendDespiteProblems) {
      const problems: FieldProblem[] = planned.problems.map((p) => ({ field: `customers.${p.customerId}${p.contactId ? `.contacts.${p.contactId}` : ''}`, message: p.message }))
      throw new AppError('invalid', `${planned.problems.length} problem(s) with recipients; fix them, or send to the rest anyway: ${planned.problems.map((p) => p.message).join('; ')}`, { problems })
    }
    if (request.ownerId) await access.getUser(request.ownerId)
    const key = await acknowledgements.secret()
    const now = clock.now()
    const expires = new Date(now.getTime() + (request.linkDays ?? defaultLinkDays) * 86_400_000)
    const reminderMinutes = request.reminderMinutes ?? defaultReminderMinutes
    const report: SendReport = { notices: [], problems: planned.problems }
    await db.transaction().execute(async (trx) => {
      for (const customerPlan of planned.customers) {
        if (customerPlan.contacts.length === 0) continue
        const rendered = renderNotice(template, customerPlan.facts, '(each recipient has a personal link)')
        const notice: Notice = {
          id: newId(),
          customerId: customerPlan.customer.id,
          incidentId: request.incidentId ?? null,
          advisoryId: planned.advisoryId,
          templateId: template.id,
          ...rendered,
          ownerId: request.ownerId ?? null,
          reminderMinutes,
          escalationMinutes: request.escalationMinutes ?? defaultEscalationMinutes,
          expiresAt: expires.toISOString(),
          sentBy: actor.id,
          sentAt: now.toISOString(),
        }
        const recipients: Recipient[] = []
        for (const contact of customerPlan.contacts) {
          const message = renderNotice(template, customerPlan.facts, acknowledgements.link(key, notice, contact.id))
          const sent = await notifications.enqueue(trx, {
            idempotencyKey: `comms-notice:${notice.id}:${contact.id}`,
            to: { email: contact.email, name: contact.name },
            ...message,
            links: { customerId: notice.customerId, ...(notice.incidentId && { incidentId: notice.incidentId }) },
          })
          recipients.push({ noticeId: notice.id, contactId: contact.id, name: contact.name, email: contact.email, notificationId: sent.id, acknowledgedAt: null, acknowledgedBy: null })
        }
        const channelIds = [...new Set([...customerPlan.channels.map((c) => c.id), ...(request.channels ?? [])])]
        for (const channelId of channelIds) {
          await notifications.enqueue(trx, {
            idempotencyKey: `comms-notice:${notice.id}:channel:${channelId}`,
            to: { channelId },
            subject: notice.subject,
            text: notice.text,
            html: notice.html,
            event: { type: 'comms.notice', data: { noticeId: notice.id, customerId: notice.customerId, incidentId: notice.incidentId, advisoryId: notice.advisoryId } },
            links: { customerId: notice.customerId, ...(notice.incidentId && { incidentId: notice.incidentId }) },
          })
        }
        await store.insertNotice(trx, notice, recipients)
        await jobs.enqueue({ type: reminderJob, payload: { noticeId: notice.id, step: 'reminder' }, key: `comms-remind:${notice.id}:reminder`, runAt: new Date(now.getTime() + reminderMinutes * 60_000).toISOString() }, trx)
        await audit.record(trx, actor, { action: 'comms.notice.sent', targetType: 'comms_notice', targetId: notice.id, customerId: notice.customerId, details: { incidentId: notice.incidentId, advisoryId: notice.advisoryId, recipients: recipients.length } })
        if (notice.incidentId) {
          await incidents.recordIn(trx, notice.incidentId, { kind: 'notice.sent', text: `Notice sent to ${customerPlan.customer.name} (${recipients.length} contact(s))`, actorLabel: actor.label, data: { noticeId: notice.id } })
        }
        report.notices.push({ id: notice.id, customerId: notice.customerId, customerName: customerPlan.customer.name, recipients: recipients.length, channels: channelIds.length })
      }
      await remember(trx, report)
    })
    return report
  }

  async function getNotice(scope: TenantScope, id: string): Promise<Notice> {
    const notice = await store.findNotice(db, scope, id)
    if (!notice) throw notFound('notice', id)
    return notice
  }

  async function listNotices(scope: TenantScope, filter: { incidentId?: string | undefined; advisoryId?: string | undefined; customerId?: string | undefined } = {}): Promise<Notice[]> {
    return store.listNotices(db, scope, filter)
  }

  /** Where a notice stands for its customer, from the outbox's own delivery state and the acknowledgements. */
  async function status(scope: TenantScope, id: string): Promise<NoticeStatus> {
    const notice = await getNotice(scope, id)
    const recipients: RecipientStatus[] = []
    for (const recipient of await store.listRecipients(db, id)) {
      const message = await notifications.get(recipient.notificationId)
      const state: NoticeState = recipient.acknowledgedAt
        ? 'acknowledged'
        : message.status === 'delivered'
          ? 'delivered'
          : message.status === 'dead'
            ? 'bounced'
            : message.attempts > 0
              ? 'sent'
              : 'queued'
      recipients.push({ ...recipient, state, lastError: message.lastError })
    }
    return { notice, state: overallState(recipients.map((r) => r.state)), recipients }
  }

  /**
   * Whether every customer has been told: each customer affected now, and each told earlier (it
   * may be clean since), with the state of its latest notice, its acknowledgements, and why it
   * cannot be told when it cannot.
   */
  async function tracking(actor: Actor, input: unknown): Promise<NoticeTracking> {
    requireStaff(actor)
    const query = parseInput(TrackingQuerySchema, input, 'notice tracking')
    const planned = await affected(actor, query)
    const advisoryId = query.advisoryId ? (await intel.getAdvisory(query.advisoryId)).id : null
    const notices = await store.listNotices(db, allTenants, query.incidentId ? { incidentId: query.incidentId } : { advisoryId: advisoryId! })
    const latest = new Map<string, Notice>()
    for (const notice of notices) if (!latest.has(notice.customerId)) latest.set(notice.customerId, notice)
    const rows: TrackingRow[] = []
    const affectedIds = new Set(planned.customers.map((p) => p.customer.id))
    const everyone = [...planned.customers.map((p) => p.customer), ...(await Promise.all([...latest.keys()].filter((id) => !affectedIds.has(id)).map((id) => customers.get(allTenants, id))))]
    for (const customer of everyone) {
      const notice = latest.get(customer.id)
      const problems = planned.problems.filter((p) => p.customerId === customer.id)
      const base = { customerId: customer.id, customerName: customer.name, kind: customer.kind, affected: affectedIds.has(customer.id), problems }
      if (!notice) {
        rows.push({ ...base, state: 'not_sent', noticeId: null, sentAt: null, recipients: 0, acknowledgements: 0, firstAcknowledgedAt: null, firstAcknowledgedBy: null })
        continue
      }
      const current = await status(allTenants, notice.id)
      const acknowledged = current.recipients.filter((r) => r.acknowledgedAt !== null).sort((a, b) => a.acknowledgedAt!.localeCompare(b.acknowledgedAt!))
      rows.push({
        ...base,
        state: current.state,
        noticeId: notice.id,
        sentAt: notice.sentAt,
        recipients: current.recipients.length,
        acknowledgements: acknowledged.length,
        firstAcknowledgedAt: acknowledged[0]?.acknowledgedAt ?? null,
        firstAcknowledgedBy: acknowledged[0]?.acknowledgedBy ?? null,
      })
    }
    rows.sort((a, b) => a.customerName.localeCompare(b.customerName) || a.customerId.localeCompare(b.customerId))
    const counts = Object.fromEntries([['customers', rows.length], ...trackingStates.map((state) => [state, rows.filter((r) => r.state === state).length])]) as NoticeTracking['counts']
    return { incidentId: query.incidentId ?? null, advisoryId, counts, customers: rows }
  }

  return { plan, preview, send, getNotice, listNotices, status, tracking }
}
