import type { Audit } from '../audit/index.js'
import type { Db } from '../db/connect.js'
import type { JobHandler, Jobs } from '../jobs/index.js'
import type { Actor } from '../shared/actor.js'
import type { Clock } from '../shared/clock.js'
import { notFound, type FieldProblem } from '../shared/errors.js'
import { newId } from '../shared/ids.js'
import { decodeCursor, defaultPageSize, maxPageSize, toPage, type Page } from '../shared/pagination.js'
import { createChannels, recipientOf } from './channels.js'
import { createDelivery, deliveryAttempts, deliveryJobType } from './delivery.js'
import { createMailer } from './email.js'
import {
  invalidInput,
  isNotificationStatus,
  notificationStatuses,
  outboundMessageProblems,
  tidyName,
  type Channel,
  type ChannelWithSecret,
  type Notification,
  type NotificationListQuery,
  type NotificationWithLog,
  type OutboundMessage,
} from './model.js'
import * as store from './store.js'

export interface NotificationsDeps {
  db: Db
  clock: Clock
  audit: Audit
  jobs: Pick<Jobs, 'enqueue'>
  /** The SMTP server (null: email cannot be sent) and the sender of every email. */
  mail: { url: string | null; from: string }
  /** Outbound HTTP for webhooks; the global fetch by default. */
  fetch?: typeof fetch
  /** Finds the customer a channel is for; without it, every channel is the provider's. */
  resolveCustomer?: ((reference: string) => Promise<{ id: string }>) | undefined
}

/** The notifications module's use-cases: the outbox, its channels, and what was sent. */
export interface Notifications {
  /**
   * Written in the caller's transaction with its delivery job: it exists only if that commits.
   * A message whose idempotency key is taken is not written again: the first one is returned,
   * unchanged. Bad input (a malformed address, an unknown channel, an oversize text) throws
   * AppError('invalid') naming the field, before anything is written. Not audited on its own:
   * the change that causes a message writes the audit record.
   */
  enqueue(trx: Db, message: OutboundMessage): Promise<Notification>
  /** Every channel, by name. Webhook URLs are shown in full to admins only. */
  listChannels(actor: Actor): Promise<Channel[]>
  /** The enabled channels that belong to each of these customers, as a non-admin sees them. */
  customerChannels(customerIds: readonly string[]): Promise<Map<string, Channel[]>>
  /** Throws AppError('not_found'). */
  getChannel(actor: Actor, id: string): Promise<Channel>
  /**
   * The channel, as a non-admin sees it, or undefined. Pass `executor` to look inside your own
   * transaction (on SQLite a query on the database waits for that transaction: a deadlock).
   */
  findChannel(id: string, executor?: Db): Promise<Channel | undefined>
  /** A channel by id or name (any case): for the CLI. */
  resolveChannel(actor: Actor, reference: string): Promise<Channel>
  /** Audited. A webhook's signing secret is generated when not given, and shown here once. */
  createChannel(actor: Actor, input: unknown): Promise<ChannelWithSecret>
  /** Audited. The answer carries the secret only when it was changed (`secret` or `rotateSecret`). */
  updateChannel(actor: Actor, id: string, patch: unknown): Promise<Channel | ChannelWithSecret>
  /** Audited. Its messages stay, with the channel's name; any still queued die at their next attempt. */
  removeChannel(actor: Actor, id: string): Promise<void>
  /** Send a test message to a channel now (even a disabled one) and log it like any other. Audited. */
  testChannel(actor: Actor, id: string): Promise<NotificationWithLog>
  /** Newest first, a page at a time. */
  list(query: NotificationListQuery): Promise<Page<Notification>>
  /** A message with its delivery log. Throws AppError('not_found'). */
  get(id: string): Promise<NotificationWithLog>
}

export function createNotifications({ db, clock, audit, jobs, mail, fetch: fetcher = globalThis.fetch, resolveCustomer }: NotificationsDeps): Notifications & { deliver: JobHandler } {
  const delivery = createDelivery({ db, clock, mailer: createMailer({ smtpUrl: mail.url, from: mail.from }), fetch: fetcher })
  const channels = createChannels({ db, clock, audit, delivery, resolveCustomer })

  async function enqueue(trx: Db, message: OutboundMessage): Promise<Notification> {
    if (!trx.isTransaction) throw new Error('notifications.enqueue writes in the caller’s transaction: pass the transaction, not the database')
    const problems = outboundMessageProblems(message)
    if (problems.length > 0) throw invalidInput('notification', problems)
    const existing = await store.findNotificationByKey(trx, message.idempotencyKey)
    if (existing) return existing
    const now = clock.now().toISOString()
    const id = newId()
    let destination: Pick<Notification, 'kind' | 'channelId' | 'channelName' | 'recipient' | 'recipientName'>
    if ('channelId' in message.to) {
      const channel = await store.findChannel(trx, message.to.channelId)
      if (!channel) throw invalidInput('notification', [{ field: 'to.channelId', message: `no notification channel ${message.to.channelId}` }])
      destination = { kind: channel.kind, channelId: channel.id, channelName: channel.name, recipient: recipientOf(channel), recipientName: null }
    } else {
      destination = { kind: 'email', channelId: null, channelName: null, recipient: message.to.email, recipientName: message.to.name ? tidyName(message.to.name) || null : null }
    }
    const inserted = await store.insertNotification(trx, {
      id,
      idempotencyKey: message.idempotencyKey,
      ...destination,
      subject: message.subject,
      text: message.text,
      html: message.html ?? null,
      event: message.event ? { type: message.event.type, data: message.event.data ?? null } : null,
      status: 'queued',
      attempts: 0,
      lastError: null,
      customerId: message.links?.customerId ?? null,
      incidentId: message.links?.incidentId ?? null,
      alertId: message.links?.alertId ?? null,
      createdAt: now,
      updatedAt: now,
      deliveredAt: null,
    })
    if (!inserted) {
      // Another transaction wrote the same key between the look-up and the insert, and committed.
      const first = await store.findNotificationByKey(trx, message.idempotencyKey)
      if (!first) throw new Error(`idempotency key ${message.idempotencyKey} conflicted, but no notification has it`)
      return first
    }
    await jobs.enqueue({ type: deliveryJobType, payload: { notificationId: id }, key: `notify:${id}`, maxAttempts: deliveryAttempts }, trx)
    return inserted
  }

  async function list(query: NotificationListQuery = {}): Promise<Page<Notification>> {
    const limit = query.limit ?? defaultPageSize
    const problems: FieldProblem[] = []
    if (!Number.isInteger(limit) || limit < 1 || limit > maxPageSize) problems.push({ field: 'limit', message: `must be an integer from 1 to ${maxPageSize}` })
    if (query.status !== undefined && !isNotificationStatus(query.status)) problems.push({ field: 'status', message: `must be one of ${notificationStatuses.join(', ')}` })
    if (problems.length > 0) throw invalidInput('notification query', problems)
    const after = query.cursor ? (decodeCursor(query.cursor, 2) as [string, string]) : undefined
    const rows = await store.listNotifications(db, {
      status: query.status as Notification['status'] | undefined,
      incidentId: query.incidentId,
      alertId: query.alertId,
      customerId: query.customerId,
      after,
      limit: limit + 1,
    })
    return toPage(rows, limit, (message) => [message.createdAt, message.id])
  }

  async function get(id: string): Promise<NotificationWithLog> {
    const message = await store.findNotificationWithLog(db, id)
    if (!message) throw notFound('notification', id)
    return message
  }

  return { ...channels, enqueue, list, get, deliver: delivery.deliver }
}
