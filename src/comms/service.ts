import { randomBytes } from 'node:crypto'
import type { Access } from '../access/index.js'
import type { Audit } from '../audit/index.js'
import type { Contact, ContactRole, Customer, Customers } from '../customers/index.js'
import type { Db } from '../db/connect.js'
import { isUniqueViolation } from '../db/errors.js'
import type { Exposure, Finding } from '../exposure/index.js'
import type { HuntService, StoredSighting } from '../hunt/index.js'
import type { Incidents } from '../incidents/index.js'
import type { Intel } from '../intel/index.js'
import type { Job, JobCommit, Jobs } from '../jobs/index.js'
import type { Notifications, OutboundMessage } from '../notifications/index.js'
import { allTenants, systemActor, type Actor, type TenantScope } from '../shared/actor.js'
import type { Clock } from '../shared/clock.js'
import { AppError, notFound, type FieldProblem } from '../shared/errors.js'
import { newId } from '../shared/ids.js'
import { parseInput } from '../shared/validate.js'
import {
  addressProblem,
  defaultEscalationMinutes,
  defaultLinkDays,
  defaultReminderMinutes,
  defaultRoles,
  defaultTemplate,
  NoticeRequestSchema,
  overallState,
  renderNotice,
  requireResponder,
  signAcknowledgement,
  templateProblems,
  TemplateInputSchema,
  verifyAcknowledgement,
  type Notice,
  type NoticeFacts,
  type NoticeRequest,
  type NoticeState,
  type NoticeStatus,
  type Recipient,
  type RecipientProblem,
  type RecipientStatus,
  type RenderedNotice,
  type Template,
} from './model.js'
import { createStatusPages, type RemediationProgress } from './status.js'
import * as store from './store.js'

export interface CommsDeps {
  db: Db
  clock: Clock
  audit: Audit
  customers: Pick<Customers, 'get' | 'resolve' | 'list'>
  access: Pick<Access, 'getUser'>
  intel: Pick<Intel, 'getAdvisory' | 'listIndicators'>
  exposure: Pick<Exposure, 'listFindings'>
  hunt: Pick<HuntService, 'listSightings'>
  incidents: Pick<Incidents, 'get' | 'list' | 'recordIn'>
  notifications: Pick<Notifications, 'enqueue' | 'get'>
  jobs: Pick<Jobs, 'enqueue'>
  /** Where links in messages point: the server's public origin, e.g. https://cordon.example.net. */
  linkBase: string
  /** Seam: without it, status pages show no remediation progress. */
  remediationProgress?: RemediationProgress | undefined
}

/** The job that reminds contacts who have not acknowledged, then escalates to the notice's owner. */
export const reminderJob = 'comms.remind'

export interface CustomerPlan {
  customer: Pick<Customer, 'id' | 'name' | 'kind'>
  facts: NoticeFacts
  contacts: Contact[]
}

export interface NoticePlan {
  customers: CustomerPlan[]
  problems: RecipientProblem[]
  /** The (first) advisory the notices are about. */
  advisoryId: string | null
}

export interface NoticePreview extends RenderedNotice {
  customerId: string
  customerName: string
  recipients: Array<{ contactId: string; name: string; email: string }>
  problems: RecipientProblem[]
}

export interface SendReport {
  notices: Array<{ id: string; customerId: string; customerName: string; recipients: number }>
  problems: RecipientProblem[]
}

export type AcknowledgementView =
  | { ok: false; reason: 'invalid' | 'expired' }
  | { ok: true; notice: Notice; customerName: string; recipient: Recipient; recordedNow: boolean }

export type Comms = ReturnType<typeof createComms>

const findingPage = 500


function nameKey(name: string): string {
  return name.trim().replace(/\s+/g, ' ').toLowerCase()
}

export function createComms(deps: CommsDeps) {
  const { db, clock, audit, customers, access, intel, exposure, hunt, incidents, notifications, jobs } = deps
  let secret: Buffer | undefined

  async function acknowledgementSecret(): Promise<Buffer> {
    secret ??= Buffer.from(await store.claimSecret(db, randomBytes(32).toString('base64url'), clock.now().toISOString()), 'base64url')
    return secret
  }

  // Templates

  async function saveTemplate(actor: Actor, input: unknown, id?: string): Promise<Template> {
    requireResponder(actor)
    const data = parseInput(TemplateInputSchema, input, 'template')
    const problems = templateProblems(data.subject, data.body)
    if (problems.length > 0) throw new AppError('invalid', `the template refers to fields a notice does not have: ${problems.map((p) => p.message).join('; ')}`, { problems })
    const key = nameKey(data.name)
    const now = clock.now().toISOString()
    try {
      return await db.transaction().execute(async (trx) => {
        const existing = id === undefined ? undefined : await store.findTemplate(trx, id)
        if (id !== undefined && !existing) throw notFound('template', id)
        const template: Template = { id: existing?.id ?? newId(), name: data.name.trim(), subject: data.subject, body: data.body, createdAt: existing?.createdAt ?? now, updatedAt: now }
        if (existing) await store.updateTemplate(trx, { ...template, nameKey: key })
        else await store.insertTemplate(trx, { ...template, nameKey: key })
        await audit.record(trx, actor, { action: existing ? 'comms.template.updated' : 'comms.template.created', targetType: 'comms_template', targetId: template.id, details: { name: template.name } })
        return template
      })
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError('conflict', `a template named ${data.name} already exists`, { problems: [{ field: 'name', message: 'already used' }] })
      throw error
    }
  }

  async function getTemplate(reference: string): Promise<Template> {
    const template = await store.findTemplate(db, reference)
    if (!template) throw notFound('template', reference)
    return template
  }

  const listTemplates = () => store.listTemplates(db)

  /** The template Cordon ships with, saved once; an edited copy is left alone. */
  async function loadDefaultTemplate(actor: Actor): Promise<Template> {
    const existing = await store.findTemplateByNameKey(db, nameKey(defaultTemplate.name))
    if (existing) return existing
    try {
      return await saveTemplate(actor, { ...defaultTemplate })
    } catch (error) {
      // Another process saved it first.
      if (error instanceof AppError && error.kind === 'conflict') return getTemplate(defaultTemplate.name)
      throw error
    }
  }

  // Notices: who is affected, and what each is told

  /** Who would be told what, and who cannot be told: the report before anything is sent. */
  async function plan(actor: Actor, input: unknown): Promise<NoticePlan> {
    return planFor(actor, parseInput(NoticeRequestSchema, input, 'notice'))
  }

  async function planFor(actor: Actor, request: NoticeRequest): Promise<NoticePlan> {
    requireResponder(actor)
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
      plans.push({ customer, facts, contacts: pickContacts(customer, customer.contacts, roles, problems) })
    }
    for (const [partnerId, children] of partners) {
      if (chosen && !chosen.has(partnerId)) continue
      const partner = await customers.get(allTenants, partnerId)
      const endpoints = [...endpointLines(findings.get(partnerId)), ...children.flatMap((child) => endpointLines(findings.get(child.id), `${child.name}: `))]
      const seen = [...sightingLines(sightings.get(partnerId)), ...children.flatMap((child) => sightingLines(sightings.get(child.id), `${child.name}: `))]
      const facts: NoticeFacts = { ...base, customer: { id: partner.id, name: partner.name, kind: partner.kind }, endpoints, sightings: seen }
      plans.push({ customer: partner, facts, contacts: pickContacts(partner, partner.contacts, roles, problems) })
    }
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
    return request.templateId ? getTemplate(request.templateId) : loadDefaultTemplate(systemActor)
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
      problems: planned.problems.filter((p) => p.customerId === customer.id),
      ...renderNotice(template, own.facts, '(each recipient gets a personal acknowledgement link when the notice is sent)'),
    }
  }

  /**
   * Sends a notice to every affected customer's contacts in one transaction. Customers who
   * cannot be told (no contacts, none in the roles, bad addresses) are refused up front, named,
   * unless the caller says to send to the rest anyway; the report names them either way.
   */
  async function send(actor: Actor, input: unknown, options: { sendDespiteProblems?: boolean } = {}): Promise<SendReport> {
    const request = parseInput(NoticeRequestSchema, input, 'notice')
    const template = await templateFor(request)
    const planned = await planFor(actor, request)
    if (planned.customers.length === 0) throw new AppError('invalid', 'no customer is affected: nothing to send', { problems: [{ field: request.incidentId ? 'incidentId' : 'advisoryId', message: 'no affected customers' }] })
    if (planned.problems.length > 0 && !options.sendDespiteProblems) {
      const problems: FieldProblem[] = planned.problems.map((p) => ({ field: `customers.${p.customerId}${p.contactId ? `.contacts.${p.contactId}` : ''}`, message: p.message }))
      throw new AppError('invalid', `${planned.problems.length} problem(s) with recipients; fix them, or send to the rest anyway: ${planned.problems.map((p) => p.message).join('; ')}`, { problems })
    }
    if (request.ownerId) await access.getUser(request.ownerId)
    const key = await acknowledgementSecret()
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
          const message = renderNotice(template, customerPlan.facts, ackLink(key, notice, contact.id))
          const sent = await notifications.enqueue(trx, {
            idempotencyKey: `comms-notice:${notice.id}:${contact.id}`,
            to: { email: contact.email, name: contact.name },
            ...message,
            links: { customerId: notice.customerId, ...(notice.incidentId && { incidentId: notice.incidentId }) },
          })
          recipients.push({ noticeId: notice.id, contactId: contact.id, name: contact.name, email: contact.email, notificationId: sent.id, acknowledgedAt: null, acknowledgedBy: null })
        }
        for (const channelId of request.channels ?? []) {
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
        report.notices.push({ id: notice.id, customerId: notice.customerId, customerName: customerPlan.customer.name, recipients: recipients.length })
      }
    })
    return report
  }

  function ackLink(key: Buffer, notice: Pick<Notice, 'id' | 'expiresAt'>, contactId: string): string {
    return `${deps.linkBase}/ack/${signAcknowledgement(key, notice.id, contactId, new Date(notice.expiresAt))}`
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

  // Acknowledgement links

  async function checkAcknowledgement(token: string): Promise<AcknowledgementView> {
    const check = verifyAcknowledgement(await acknowledgementSecret(), token, clock.now())
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

  // Reminders and escalation

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
    const messages: OutboundMessage[] = []
    const links = { customerId: notice.customerId, ...(notice.incidentId && { incidentId: notice.incidentId }) }
    if (step === 'reminder') {
      const key = await acknowledgementSecret()
      for (const recipient of waiting) {
        const link = ackLink(key, notice, recipient.contactId)
        messages.push({
          idempotencyKey: `comms-remind:${notice.id}:reminder:${recipient.contactId}`,
          to: { email: recipient.email, name: recipient.name },
          subject: `Reminder: ${notice.subject}`.slice(0, 300),
          text: `We have not yet heard that you received this notice. Please confirm: ${link}\n\n${notice.text}`,
          links,
        })
      }
    } else if (notice.ownerId) {
      const owner = await access.getUser(notice.ownerId)
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
      if (step === 'reminder' && notice.ownerId) await jobs.enqueue({ type: reminderJob, payload: { noticeId, step: 'escalation' }, key: `comms-remind:${noticeId}:escalation`, runAt: nextAt }, trx)
      if (messages.length > 0) await audit.record(trx, systemActor, { action: `comms.notice.${step === 'reminder' ? 'reminded' : 'escalated'}`, targetType: 'comms_notice', targetId: noticeId, customerId: notice.customerId, details: { messages: messages.length } })
    }
  }

  return {
    ...createStatusPages(deps),
    saveTemplate,
    getTemplate,
    listTemplates,
    loadDefaultTemplate,
    plan,
    preview,
    send,
    getNotice,
    listNotices,
    status,
    checkAcknowledgement,
    acknowledge,
    remind,
  }
}
