import { createHmac, timingSafeEqual } from 'node:crypto'
import { Marked } from 'marked'
import Type, { type Static } from 'typebox'
import { contactRoles, type ContactRole } from '../customers/index.js'
import { isResponder, isStaff, type Actor } from '../shared/actor.js'
import { AppError, type FieldProblem } from '../shared/errors.js'
import { Nullable, NullableTimestamp, Timestamp } from '../shared/schemas.js'

/** Customers are told things by the provider's responders: not by viewers, nor by customers' own tokens. */
export function requireResponder(actor: Actor): void {
  if (!isResponder(actor)) throw new AppError('forbidden', 'customer communications are sent by the provider’s responders')
}

/** The provider's staff, any role: who may see where every customer stands. */
export function requireStaff(actor: Actor): void {
  if (!isStaff(actor)) throw new AppError('forbidden', 'where every customer stands is the provider’s view')
}

/** The states an incident update announces, in the order incidents usually pass through them. */
export const updateStates = ['investigating', 'identified', 'monitoring', 'resolved'] as const
export type UpdateState = (typeof updateStates)[number]

/**
 * Where a customer's notice stands: the furthest any of its messages got. From the outbox: queued
 * (not tried yet), sent (tried, waiting to be retried), delivered (the receiving server took it),
 * bounced (the outbox gave up: dead); then acknowledged through its link.
 */
export const noticeStates = ['queued', 'sent', 'delivered', 'bounced', 'acknowledged'] as const
export type NoticeState = (typeof noticeStates)[number]

// What the service answers, as TypeBox schemas with the types derived from them: the routes' response
// schemas are these, and Fastify's serializer drops any field a response schema does not name, so a
// field added to a type here is a field the HTTP answer keeps.

const UpdateStateSchema = Type.Enum([...updateStates])
const NoticeStateSchema = Type.Enum([...noticeStates])

export const TemplateSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  subject: Type.String(),
  body: Type.String({ description: 'Markdown with {{field}} placeholders.' }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
})
export type Template = Static<typeof TemplateSchema>

export const NoticeSchema = Type.Object({
  id: Type.String(),
  customerId: Type.String(),
  incidentId: Nullable(Type.String()),
  advisoryId: Nullable(Type.String()),
  templateId: Type.String(),
  subject: Type.String(),
  text: Type.String(),
  html: Type.String(),
  ownerId: Nullable(Type.String()),
  reminderMinutes: Type.Integer(),
  escalationMinutes: Type.Integer(),
  expiresAt: Timestamp,
  sentBy: Type.String(),
  sentAt: Timestamp,
})
export type Notice = Static<typeof NoticeSchema>

export const RecipientSchema = Type.Object({
  noticeId: Type.String(),
  contactId: Type.String(),
  name: Type.String(),
  email: Type.String(),
  notificationId: Type.String(),
  acknowledgedAt: NullableTimestamp,
  acknowledgedBy: Nullable(Type.String()),
})
export type Recipient = Static<typeof RecipientSchema>

export const RecipientStatusSchema = Type.Object({ ...RecipientSchema.properties, state: NoticeStateSchema, lastError: Nullable(Type.String()) })
export type RecipientStatus = Static<typeof RecipientStatusSchema>

export const NoticeStatusSchema = Type.Object({ notice: NoticeSchema, state: NoticeStateSchema, recipients: Type.Array(RecipientStatusSchema) })
export type NoticeStatus = Static<typeof NoticeStatusSchema>

export const UpdateSchema = Type.Object({
  id: Type.String(),
  incidentId: Type.String(),
  state: UpdateStateSchema,
  text: Type.String(),
  public: Type.Boolean(),
  createdBy: Type.String(),
  createdAt: Timestamp,
})
export type Update = Static<typeof UpdateSchema>

export const PublicIncidentSchema = Type.Object({ incidentId: Type.String(), title: Type.String(), publishedAt: Timestamp, withdrawnAt: NullableTimestamp })
export type PublicIncident = Static<typeof PublicIncidentSchema>

export const StatusLinkSchema = Type.Object({ id: Type.String(), customerId: Type.String(), createdBy: Type.String(), createdAt: Timestamp, revokedAt: NullableTimestamp })
export type StatusLink = Static<typeof StatusLinkSchema>

/** What stops a customer's notice from reaching someone: reported before anything is sent. */
export const RecipientProblemSchema = Type.Object({
  customerId: Type.String(),
  customerName: Type.String(),
  contactId: Nullable(Type.String()),
  problem: Type.Enum(['no_contacts', 'no_contacts_in_roles', 'invalid_address']),
  message: Type.String(),
})
export type RecipientProblem = Static<typeof RecipientProblemSchema>

/** Where a customer stands on an incident or advisory: told or not, and how far. */
export const trackingStates = ['not_sent', ...noticeStates] as const
export type TrackingState = (typeof trackingStates)[number]

export const TrackingRowSchema = Type.Object({
  customerId: Type.String(),
  customerName: Type.String(),
  kind: Type.Enum(['customer', 'partner']),
  /** Affected now (open findings, sightings or the incident's links); a customer told earlier may no longer be. */
  affected: Type.Boolean(),
  state: Type.Enum([...trackingStates]),
  /** The latest notice to this customer about it. */
  noticeId: Nullable(Type.String()),
  sentAt: NullableTimestamp,
  recipients: Type.Integer(),
  acknowledgements: Type.Integer(),
  firstAcknowledgedAt: NullableTimestamp,
  firstAcknowledgedBy: Nullable(Type.String()),
  /** Why the customer cannot be told (no contacts, bad addresses), when it cannot. */
  problems: Type.Array(RecipientProblemSchema),
})
export type TrackingRow = Static<typeof TrackingRowSchema>

export const NoticeTrackingSchema = Type.Object({
  incidentId: Nullable(Type.String()),
  advisoryId: Nullable(Type.String()),
  /** Customers per state, and all of them. */
  counts: Type.Object({ customers: Type.Integer(), ...Object.fromEntries(trackingStates.map((state) => [state, Type.Integer()])) } as Record<'customers' | TrackingState, ReturnType<typeof Type.Integer>>),
  customers: Type.Array(TrackingRowSchema),
})
export type NoticeTracking = Static<typeof NoticeTrackingSchema>

/** The facts one customer's notice is composed from, before the template renders them. */
export interface NoticeFacts {
  customer: { id: string; name: string; kind: 'customer' | 'partner' }
  incident: { id: string; title: string } | null
  advisory: { id: string; title: string } | null
  /** One line per affected endpoint (for a partner, prefixed with the customer it belongs to). */
  endpoints: string[]
  sightings: string[]
  actions: string[]
  deadline: string | null
}

export const RenderedNoticeSchema = Type.Object({ subject: Type.String(), text: Type.String(), html: Type.String() })
export type RenderedNotice = Static<typeof RenderedNoticeSchema>

/** One customer's notice as it would be sent, with its recipients and what stops it reaching others. */
export const NoticePreviewSchema = Type.Object({
  customerId: Type.String(),
  customerName: Type.String(),
  recipients: Type.Array(Type.Object({ contactId: Type.String(), name: Type.String(), email: Type.String() })),
  /** The customer's own channels (its ticketing webhook, say) the notice also goes to. */
  channels: Type.Array(Type.Object({ channelId: Type.String(), name: Type.String(), kind: Type.String() })),
  problems: Type.Array(RecipientProblemSchema),
  ...RenderedNoticeSchema.properties,
})
export type NoticePreview = Static<typeof NoticePreviewSchema>

/** The notices a send wrote (one per customer told) and the customers or contacts who could not be told. */
export const SendReportSchema = Type.Object({
  notices: Type.Array(Type.Object({ id: Type.String(), customerId: Type.String(), customerName: Type.String(), recipients: Type.Integer(), channels: Type.Integer({ description: 'channels the notice also went to: the customer’s own, then those named in the request' }) })),
  problems: Type.Array(RecipientProblemSchema),
})
export type SendReport = Static<typeof SendReportSchema>

/** A new private status link: the token (and the URL holding it) is shown only in this answer. */
export const IssuedStatusLinkSchema = Type.Object({ link: StatusLinkSchema, token: Type.String(), url: Type.String() })
export type IssuedStatusLink = Static<typeof IssuedStatusLinkSchema>

const StatusUpdateSchema = Type.Object({ state: UpdateStateSchema, text: Type.String(), createdAt: Timestamp })

/** One endpoint's remediation progress, for a customer's status page. */
export const EndpointProgressSchema = Type.Object({ campaign: Type.String(), endpoint: Type.String(), hostname: Nullable(Type.String()), open: Type.Integer(), done: Type.Integer() })
export type EndpointProgress = Static<typeof EndpointProgressSchema>

/** What one customer sees on its private status page and in the portal. */
export const StatusViewSchema = Type.Object({
  customer: Type.Object({ id: Type.String(), name: Type.String() }),
  incidents: Type.Array(Type.Object({ id: Type.String(), title: Type.String(), status: Type.String(), severity: Type.String(), updates: Type.Array(StatusUpdateSchema) })),
  remediation: Type.Union([Type.Array(EndpointProgressSchema), Type.Null()], { description: 'null when remediation progress is not available.' }),
})
export type StatusView = Static<typeof StatusViewSchema>

export const PublicStatusViewSchema = Type.Object({
  incidents: Type.Array(Type.Object({ title: Type.String(), publishedAt: Timestamp, updates: Type.Array(StatusUpdateSchema) })),
})
export type PublicStatusView = Static<typeof PublicStatusViewSchema>

/** The fields a template may name; anything else is refused when the template is saved. */
export const templateFields = ['customer.name', 'incident.title', 'advisory.id', 'advisory.title', 'endpoints', 'sightings', 'actions', 'deadline', 'ackLink'] as const
export type TemplateField = (typeof templateFields)[number]
const listFields: ReadonlySet<string> = new Set(['endpoints', 'sightings', 'actions'])

const placeholder = /\{\{\s*([^{}]*?)\s*\}\}/g

export function placeholdersOf(text: string): string[] {
  return [...text.matchAll(placeholder)].map((match) => match[1]!)
}

/** Every placeholder naming no known field, by the template field it is in. */
export function templateProblems(subject: string, body: string): FieldProblem[] {
  const known: ReadonlySet<string> = new Set(templateFields)
  const problems: FieldProblem[] = []
  for (const [field, text] of [['subject', subject], ['body', body]] as const) {
    for (const name of placeholdersOf(text)) {
      if (!known.has(name)) problems.push({ field, message: `{{${name}}} is not a field a notice has (known: ${templateFields.join(', ')})` })
      else if (field === 'subject' && listFields.has(name)) problems.push({ field, message: `{{${name}}} is a list and cannot go in the subject line` })
    }
  }
  return problems
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
}

const markdown = new Marked({ gfm: true, async: false })
markdown.use({
  // The template is Markdown, not HTML: raw HTML in it is shown, never interpreted.
  renderer: { html: ({ text }) => escapeHtml(text) },
})

function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim()
}

function valuesOf(facts: NoticeFacts, ackLink: string): Record<TemplateField, string | string[]> {
  return {
    'customer.name': facts.customer.name,
    'incident.title': facts.incident?.title ?? '',
    'advisory.id': facts.advisory?.id ?? '',
    'advisory.title': facts.advisory?.title ?? '',
    endpoints: facts.endpoints.length > 0 ? facts.endpoints : ['none found in your inventory'],
    sightings: facts.sightings.length > 0 ? facts.sightings : ['none seen'],
    actions: facts.actions.length > 0 ? facts.actions : ['none required'],
    deadline: facts.deadline ?? 'none set',
    ackLink,
  }
}

/**
 * Renders a template for one customer. Values never pass through Markdown: the body is parsed
 * with inert markers where the placeholders were, and the markers are then replaced by the values,
 * HTML-escaped (lists as lists), so a hostname like `<script>` or `**x**` is shown as written.
 */
export function renderNotice(template: Pick<Template, 'subject' | 'body'>, facts: NoticeFacts, ackLink: string): RenderedNotice {
  const values = valuesOf(facts, ackLink)
  const valueOf = (name: string): string | string[] => values[name as TemplateField] ?? ''
  const subject = oneLine(template.subject.replace(placeholder, (_m, name: string) => [valueOf(name)].flat().join(', '))).slice(0, 300) || 'Notice'
  const text = template.body.replace(placeholder, (_m, name: string) => {
    const value = valueOf(name)
    return Array.isArray(value) ? value.map((line) => `- ${oneLine(line)}`).join('\n') : oneLine(value)
  })
  const markers: string[] = []
  const marked = template.body.replace(placeholder, (_m, name: string) => {
    markers.push(name)
    return `CORDONFIELD${markers.length - 1}X`
  })
  let html = markdown.parse(marked, { async: false })
  html = html.replace(/<p>CORDONFIELD(\d+)X<\/p>|CORDONFIELD(\d+)X/g, (_m, block: string | undefined, inline: string | undefined) => {
    const value = valueOf(markers[Number(block ?? inline)]!)
    if (!Array.isArray(value)) return escapeHtml(oneLine(value))
    if (block !== undefined) return `<ul>\n${value.map((line) => `<li>${escapeHtml(oneLine(line))}</li>`).join('\n')}\n</ul>`
    return escapeHtml(value.map(oneLine).join(', '))
  })
  return { subject, text, html }
}

/** The template Cordon ships with: a 3CX-style supply-chain notice. */
export const defaultTemplate = {
  name: 'Supply-chain compromise notice',
  subject: 'Action required: {{advisory.title}}',
  body: `# Security notice for {{customer.name}}

We are writing about **{{advisory.title}}** ({{advisory.id}}). {{incident.title}}

## Your affected endpoints

{{endpoints}}

## What we saw on your network

{{sightings}}

## What you need to do

{{actions}}

Please complete these actions by **{{deadline}}**.

## Tell us you have read this

Confirm you have received this notice: [acknowledge this notice]({{ackLink}})

If you have questions, reply to this message or call your account manager.
`,
} as const

/**
 * The acknowledgement token: notice id, contact id and expiry (seconds), signed with HMAC-SHA256
 * under the server's secret. Packed as bytes (UUIDs as 16 each) so the link stays short enough
 * for a URL path parameter.
 */
export function signAcknowledgement(secret: Buffer, noticeId: string, contactId: string, expiresAt: Date): string {
  const payload = Buffer.alloc(38)
  Buffer.from(noticeId.replace(/-/g, ''), 'hex').copy(payload, 0)
  Buffer.from(contactId.replace(/-/g, ''), 'hex').copy(payload, 16)
  payload.writeUIntBE(Math.floor(expiresAt.getTime() / 1000), 32, 6)
  return `${payload.toString('base64url')}.${ackSignature(secret, payload).toString('base64url')}`
}

export type AcknowledgementCheck = { ok: true; noticeId: string; contactId: string; expiresAt: Date } | { ok: false; reason: 'invalid' | 'expired' }

/** Checks the signature first (constant-time), then the expiry: an expired forgery is still a forgery. */
export function verifyAcknowledgement(secret: Buffer, token: string, now: Date): AcknowledgementCheck {
  const match = /^([A-Za-z0-9_-]{51})\.([A-Za-z0-9_-]{43})$/.exec(token)
  if (!match) return { ok: false, reason: 'invalid' }
  const payload = Buffer.from(match[1]!, 'base64url')
  const given = Buffer.from(match[2]!, 'base64url')
  if (payload.length !== 38 || given.length !== 32 || !timingSafeEqual(given, ackSignature(secret, payload))) return { ok: false, reason: 'invalid' }
  const expiresAt = new Date(payload.readUIntBE(32, 6) * 1000)
  if (expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'expired' }
  return { ok: true, noticeId: uuidOf(payload.subarray(0, 16)), contactId: uuidOf(payload.subarray(16, 32)), expiresAt }
}

function ackSignature(secret: Buffer, payload: Buffer): Buffer {
  return createHmac('sha256', secret).update('cordon-ack:').update(payload).digest()
}

function uuidOf(bytes: Buffer): string {
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

const localPart = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/
const domainLabel = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/

/** Why an address cannot be mailed, or undefined: the same shape the outbox accepts. */
export function addressProblem(address: string): string | undefined {
  const at = address.lastIndexOf('@')
  const local = address.slice(0, at)
  const labels = address.slice(at + 1).split('.')
  if (address.length > 254 || at < 1 || local.length > 64 || !localPart.test(local) || labels.length < 2 || !labels.every((label) => domainLabel.test(label))) {
    return `'${oneLine(address).slice(0, 100)}' is not an email address`
  }
  return undefined
}

/** The customer's state: acknowledged by anyone beats delivered to anyone; bounced only when every message died. */
export function overallState(states: readonly NoticeState[]): NoticeState {
  for (const state of ['acknowledged', 'delivered', 'sent', 'queued'] as const) if (states.includes(state)) return state
  return states.length > 0 ? 'bounced' : 'queued'
}

const Name = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' })
const Reference = Type.String({ minLength: 1, maxLength: 200 })
const Id = Type.String({ minLength: 1, maxLength: 64 })

export const TemplateInputSchema = Type.Object(
  {
    name: Name,
    subject: Type.String({ minLength: 1, maxLength: 300, pattern: '\\S' }),
    body: Type.String({ minLength: 1, maxLength: 50_000, pattern: '\\S' }),
  },
  { additionalProperties: false },
)
export type TemplateInput = Static<typeof TemplateInputSchema>

export const NoticeRequestSchema = Type.Object(
  {
    incidentId: Type.Optional(Id),
    advisoryId: Type.Optional(Reference),
    /** Limit the notices to these customers (id, external ref or name); default every affected one. */
    customers: Type.Optional(Type.Array(Reference, { minItems: 1, maxItems: 1000 })),
    templateId: Type.Optional(Id),
    roles: Type.Optional(Type.Array(Type.Enum([...contactRoles]), { minItems: 1, maxItems: contactRoles.length })),
    actions: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 500 }), { maxItems: 50 })),
    deadline: Type.Optional(Type.String({ format: 'date-time' })),
    ownerId: Type.Optional(Id),
    reminderMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 60 * 24 * 30 })),
    escalationMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 60 * 24 * 30 })),
    /** Named notification channels (webhooks, say a customer's chat) that also get each notice, without acknowledgement links. */
    channels: Type.Optional(Type.Array(Id, { maxItems: 20 })),
    /** How long the acknowledgement links work, in days. */
    linkDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 365 })),
  },
  { additionalProperties: false },
)
export type NoticeRequest = Static<typeof NoticeRequestSchema>

/** Which incident or advisory to track notices for. */
export const TrackingQuerySchema = Type.Object({ incidentId: Type.Optional(Id), advisoryId: Type.Optional(Reference) }, { additionalProperties: false })
export type TrackingQuery = Static<typeof TrackingQuerySchema>

export const defaultRoles: ContactRole[] = ['primary', 'security', 'technical']
export const defaultReminderMinutes = 24 * 60
export const defaultEscalationMinutes = 24 * 60
export const defaultLinkDays = 30

export const UpdateInputSchema = Type.Object(
  {
    state: Type.Enum([...updateStates]),
    text: Type.String({ minLength: 1, maxLength: 10_000, pattern: '\\S' }),
    /** Also show this update on the public status page (the incident must be published there). */
    public: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)
export type UpdateInput = Static<typeof UpdateInputSchema>

export const PublishInputSchema = Type.Object({ title: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }) }, { additionalProperties: false })
