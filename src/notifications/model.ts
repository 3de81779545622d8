import { randomBytes } from 'node:crypto'
import Type, { type Static } from 'typebox'
import { AppError, type FieldProblem } from '../shared/errors.js'

/**
 * Notifications: messages to people (email) and to systems (webhooks, with presets for Slack and
 * Microsoft Teams), written to an outbox in the transaction of the change that causes them and
 * delivered by a job. Every message carries an idempotency key so receivers can drop repeats:
 * delivery is at least once.
 */

export const channelKinds = ['email', 'webhook'] as const
export type ChannelKind = (typeof channelKinds)[number]

/** What a webhook's body looks like: Cordon's own JSON, Slack's `{ text }`, or a Teams Adaptive Card. */
export const webhookPresets = ['generic', 'slack', 'teams'] as const
export type WebhookPreset = (typeof webhookPresets)[number]

/** A message waits (queued), reached its receiver (delivered), or was given up on (dead). Sending is not stored. */
export const notificationStatuses = ['queued', 'delivered', 'dead'] as const
export type NotificationStatus = (typeof notificationStatuses)[number]

export const attemptOutcomes = ['delivered', 'failed'] as const
export type AttemptOutcome = (typeof attemptOutcomes)[number]

export function isNotificationStatus(value: string): value is NotificationStatus {
  return (notificationStatuses as readonly string[]).includes(value)
}

/** A named destination: one email address, or one webhook URL with the secret its requests are signed with. */
export interface Channel {
  id: string
  name: string
  kind: ChannelKind
  /** Webhooks only. */
  preset: WebhookPreset | null
  /** Email only. */
  address: string | null
  /** Webhooks only. Shown to admins in full; to others as its origin, since a Slack or Teams URL is itself a credential. */
  url: string | null
  createdAt: string
  updatedAt: string
  /** A disabled channel keeps its messages; each one still queued for it dies at its next attempt. */
  disabledAt: string | null
  /** The customer whose channel this is (notices and updates for it go here too); null for the provider's own. */
  customerId: string | null
}

/** A channel as it is created or its secret rotated: the one time the signing secret is shown. */
export interface ChannelWithSecret extends Channel {
  secret: string | null
}

export interface OutboundMessage {
  /** Unique for all time: a second enqueue with the same key returns the first message unchanged. Also the webhook Idempotency-Key and the email Message-ID. */
  idempotencyKey: string
  /** An email address (with optional display name) or a named channel (by id). */
  to: { email: string; name?: string } | { channelId: string }
  subject: string
  text: string
  html?: string
  /** What webhook receivers get as JSON (with subject and text). */
  event?: { type: string; data: unknown }
  /** What the message is about; for listing and, later, tenant scoping. */
  links?: { customerId?: string; incidentId?: string; alertId?: string }
}

/** A message in the outbox, with where its delivery stands. */
export interface Notification {
  id: string
  idempotencyKey: string
  kind: ChannelKind
  /** The channel it went to; null for a message to an email address, or when its channel was deleted. */
  channelId: string | null
  /** The channel's name when the message was written; null for a message to an email address. */
  channelName: string | null
  /** The email address, or the webhook's origin, when the message was written. */
  recipient: string
  recipientName: string | null
  subject: string
  text: string
  html: string | null
  event: { type: string; data: unknown } | null
  status: NotificationStatus
  /** Delivery attempts logged so far. */
  attempts: number
  lastError: string | null
  customerId: string | null
  incidentId: string | null
  alertId: string | null
  createdAt: string
  updatedAt: string
  deliveredAt: string | null
}

/** One line of the delivery log. */
export interface DeliveryAttempt {
  attempt: number
  startedAt: string
  finishedAt: string
  outcome: AttemptOutcome
  /** What the receiver answered: the SMTP response, or the HTTP status and the start of the body. */
  detail: string | null
  error: string | null
}

export interface NotificationWithLog extends Notification {
  deliveryLog: DeliveryAttempt[]
}

/** What one try at sending came to. A permanent failure would fail the same way again: the message is dead at once. */
export type SendOutcome = { ok: true; detail: string } | { ok: false; permanent: boolean; error: string; detail: string | null }

export interface NotificationListQuery {
  status?: string | undefined
  incidentId?: string | undefined
  alertId?: string | undefined
  customerId?: string | undefined
  limit?: number | undefined
  cursor?: string | undefined
}

/** Bounds on what one message may carry, so a runaway caller cannot fill the outbox or a mailbox. */
export const limits = {
  idempotencyKey: 200,
  subject: 300,
  text: 50_000,
  html: 200_000,
  name: 200,
  eventType: 100,
  /** The event's data as JSON, in bytes. */
  eventData: 64 * 1024,
  id: 64,
} as const

const ChannelName = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' })
const Secret = Type.String({ minLength: 16, maxLength: 256, description: 'The webhook signing secret; generated when not given.' })

export const ChannelInputSchema = Type.Object(
  {
    name: ChannelName,
    kind: Type.Enum([...channelKinds]),
    address: Type.Optional(Type.String({ maxLength: 254, description: 'Email channels: the address.' })),
    url: Type.Optional(Type.String({ maxLength: 2000, description: 'Webhook channels: an http:// or https:// URL.' })),
    preset: Type.Optional(Type.Enum([...webhookPresets], { description: 'Webhook channels: the body format (default generic).' })),
    secret: Type.Optional(Secret),
    customer: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'The customer the channel belongs to (id, external reference or name): its notices and updates go here too.' })),
  },
  { additionalProperties: false },
)
export type ChannelInput = Static<typeof ChannelInputSchema>

export const ChannelPatchSchema = Type.Object(
  {
    name: Type.Optional(ChannelName),
    address: Type.Optional(Type.String({ maxLength: 254 })),
    url: Type.Optional(Type.String({ maxLength: 2000 })),
    preset: Type.Optional(Type.Enum([...webhookPresets])),
    secret: Type.Optional(Secret),
    rotateSecret: Type.Optional(Type.Boolean({ description: 'Generate a new signing secret (shown in the answer, once).' })),
    disabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
)
export type ChannelPatch = Static<typeof ChannelPatchSchema>

/** Channel names are unique regardless of case and spacing. */
export function channelNameKey(name: string): string {
  return name.trim().replace(/\s+/g, ' ').toLowerCase()
}

export function tidyName(name: string): string {
  return name.trim().replace(/\s+/g, ' ')
}

/** A new signing secret: 32 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`
}

// An addr-spec with a dot-atom local part and a DNS name: no quoted local parts, no IP literals,
// no commas or angle brackets, so one address can never turn into several recipients.
const localPart = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/
const domainLabel = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/

/** Why an email address is not one Cordon sends to, or undefined when it is. */
export function emailAddressProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return 'must be an email address'
  if (value.length > 254) return 'must be at most 254 characters'
  const at = value.lastIndexOf('@')
  const local = value.slice(0, at)
  const domain = value.slice(at + 1)
  if (at < 1 || local.length > 64 || !localPart.test(local)) return `'${printable(value)}' is not an email address (expected name@example.com)`
  const labels = domain.split('.')
  if (labels.length < 2 || !labels.every((label) => domainLabel.test(label))) return `'${printable(value)}' is not an email address (expected name@example.com)`
  return undefined
}

/** Why a URL is not one Cordon posts webhooks to, or undefined when it is. */
export function webhookUrlProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return 'must be an http:// or https:// URL'
  if (value.length > 2000) return 'must be at most 2000 characters'
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return `'${printable(value)}' is not a URL`
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `must be an http:// or https:// URL, not ${printable(url.protocol)}`
  // fetch refuses URLs with credentials; the signature authenticates Cordon instead.
  if (url.username || url.password) return 'must not carry a user name or password'
  if (url.hostname === '') return 'must name a host'
  return undefined
}

/**
 * A webhook URL as non-admins see it: the origin only. Slack and Teams put the credential in the
 * path, so a viewer who could read it could post into the channel.
 */
export function redactWebhookUrl(value: string): string {
  try {
    const url = new URL(value)
    return url.pathname === '/' && url.search === '' ? url.origin : `${url.origin}/…`
  } catch {
    return '…'
  }
}

/**
 * Everything wrong with a message, by field (`to.email`, `subject`, …). Types are checked too:
 * callers are other modules, but what they pass may come from anywhere.
 */
export function outboundMessageProblems(message: OutboundMessage): FieldProblem[] {
  const problems: FieldProblem[] = []
  if (!message || typeof message !== 'object') return [{ field: '(root)', message: 'must be a message' }]
  const key: unknown = message.idempotencyKey
  if (typeof key !== 'string' || key.length === 0 || key.length > limits.idempotencyKey || !/^[\x21-\x7e]+$/.test(key)) {
    problems.push({ field: 'idempotencyKey', message: `must be 1 to ${limits.idempotencyKey} visible ASCII characters (it is sent as an HTTP header and in the email Message-ID)` })
  }
  const to: unknown = message.to
  if (!to || typeof to !== 'object') {
    problems.push({ field: 'to', message: 'must be { email, name? } or { channelId }' })
  } else if ('channelId' in to) {
    const channelId = (to as { channelId: unknown }).channelId
    if (typeof channelId !== 'string' || channelId === '' || channelId.length > limits.id) problems.push({ field: 'to.channelId', message: 'must be a channel id' })
    if ('email' in to) problems.push({ field: 'to', message: 'give email or channelId, not both' })
  } else if ('email' in to) {
    const problem = emailAddressProblem((to as { email: unknown }).email)
    if (problem) problems.push({ field: 'to.email', message: problem })
    const name = (to as { name?: unknown }).name
    if (name !== undefined && !isLine(name, limits.name)) problems.push({ field: 'to.name', message: `must be one line of at most ${limits.name} characters` })
  } else {
    problems.push({ field: 'to', message: 'must be { email, name? } or { channelId }' })
  }
  if (!isLine(message.subject, limits.subject) || message.subject.trim() === '') {
    problems.push({ field: 'subject', message: `must be one non-empty line of at most ${limits.subject} characters` })
  }
  if (typeof message.text !== 'string' || message.text.length > limits.text) problems.push({ field: 'text', message: `must be text of at most ${limits.text} characters` })
  if (message.html !== undefined && (typeof message.html !== 'string' || message.html.length > limits.html)) {
    problems.push({ field: 'html', message: `must be HTML of at most ${limits.html} characters` })
  }
  if (message.event !== undefined) problems.push(...eventProblems(message.event))
  if (message.links !== undefined) {
    if (!message.links || typeof message.links !== 'object') {
      problems.push({ field: 'links', message: 'must be { customerId?, incidentId?, alertId? }' })
    } else {
      for (const name of ['customerId', 'incidentId', 'alertId'] as const) {
        const value: unknown = message.links[name]
        if (value !== undefined && (typeof value !== 'string' || value === '' || value.length > limits.id)) problems.push({ field: `links.${name}`, message: 'must be an id' })
      }
    }
  }
  return problems
}

/** The `invalid` error for a list of problems, each named in the message too. */
export function invalidInput(what: string, problems: FieldProblem[]): AppError {
  return new AppError('invalid', `invalid ${what}: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`, { problems })
}

function eventProblems(event: unknown): FieldProblem[] {
  if (!event || typeof event !== 'object') return [{ field: 'event', message: 'must be { type, data }' }]
  const { type, data } = event as { type: unknown; data: unknown }
  const problems: FieldProblem[] = []
  if (typeof type !== 'string' || !/^[A-Za-z0-9_.:-]+$/.test(type) || type.length > limits.eventType) {
    problems.push({ field: 'event.type', message: `must be a name of at most ${limits.eventType} letters, digits and . _ : - (like incident.opened)` })
  }
  let json: string | undefined
  try {
    json = JSON.stringify(data ?? null)
  } catch {
    json = undefined
  }
  if (json === undefined) problems.push({ field: 'event.data', message: 'must be JSON-serialisable' })
  else if (Buffer.byteLength(json) > limits.eventData) problems.push({ field: 'event.data', message: `must be at most ${limits.eventData} bytes as JSON` })
  return problems
}

function isLine(value: unknown, maxLength: number): value is string {
  // Control characters (CR and LF above all) would let a subject or name write its own mail headers.
  return typeof value === 'string' && value.length <= maxLength && !/[\u0000-\u001f\u007f]/.test(value)
}

function printable(value: string): string {
  const clean = value.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')
  return clean.length > 80 ? `${clean.slice(0, 79)}…` : clean
}

/**
 * The email Message-ID for an idempotency key, so a mail system (or a person) can drop a repeat:
 * `<key@cordon>`. Characters a Message-ID may not hold are written as =XX (their UTF-8 bytes in
 * hex, and `=` itself as =3D), so two keys never share a Message-ID.
 */
export function messageIdFor(idempotencyKey: string): string {
  let local = ''
  for (const character of idempotencyKey) {
    const atom = /^[A-Za-z0-9!#$%&'*+/?^_`{|}~-]$/.test(character)
    // A dot is kept only where the dot-atom syntax allows it: between two other characters, never two in a row.
    const dot = character === '.' && local !== '' && !local.endsWith('.')
    if (atom || dot) local += character
    else local += [...Buffer.from(character, 'utf8')].map((byte) => `=${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('')
  }
  if (local.endsWith('.')) local = `${local.slice(0, -1)}=2E`
  return `<${local}@cordon>`
}
