import type { Selectable } from 'kysely'
import { dialectOf, type Db } from '../db/connect.js'
import { fromJson, toIso, toIsoOrNull, toJson, toNumber } from '../db/mappers.js'
import type { NotificationAttemptsTable, NotificationChannelsTable, NotificationsTable } from '../db/schema.js'
import type { AttemptOutcome, Channel, ChannelKind, DeliveryAttempt, Notification, NotificationStatus, NotificationWithLog, WebhookPreset } from './model.js'

/** Notification SQL: channels, the outbox (notifications) and its delivery log (notification_attempts). */

// ---- channels ----

/** A channel as stored: with its name key and signing secret, which never leave the service. */
export interface StoredChannel extends Channel {
  nameKey: string
  secret: string | null
}

export async function insertChannel(db: Db, channel: StoredChannel): Promise<void> {
  await db
    .insertInto('notification_channels')
    .values({
      id: channel.id,
      name: channel.name,
      name_key: channel.nameKey,
      kind: channel.kind,
      preset: channel.preset,
      address: channel.address,
      url: channel.url,
      secret: channel.secret,
      created_at: channel.createdAt,
      updated_at: channel.updatedAt,
      disabled_at: channel.disabledAt,
      customer_id: channel.customerId,
    })
    .execute()
}

export async function updateChannel(db: Db, channel: StoredChannel): Promise<void> {
  await db
    .updateTable('notification_channels')
    .set({
      name: channel.name,
      name_key: channel.nameKey,
      preset: channel.preset,
      address: channel.address,
      url: channel.url,
      secret: channel.secret,
      updated_at: channel.updatedAt,
      disabled_at: channel.disabledAt,
    })
    .where('id', '=', channel.id)
    .execute()
}

/** Its messages keep their recipient and lose the link (the foreign key sets it null). */
export async function deleteChannel(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom('notification_channels').where('id', '=', id).executeTakeFirst()
  return Number(result.numDeletedRows) > 0
}

/** The channel, locked for the rest of the transaction on PostgreSQL when `lock` is set. */
export async function findChannel(db: Db, id: string, options: { lock?: boolean } = {}): Promise<StoredChannel | undefined> {
  let query = db.selectFrom('notification_channels').selectAll().where('id', '=', id)
  if (options.lock && dialectOf(db) === 'postgres') query = query.forUpdate()
  const row = await query.executeTakeFirst()
  return row && toChannel(row)
}

export async function findChannelByNameKey(db: Db, nameKey: string): Promise<StoredChannel | undefined> {
  const row = await db.selectFrom('notification_channels').selectAll().where('name_key', '=', nameKey).executeTakeFirst()
  return row && toChannel(row)
}

/** The enabled channels that belong to these customers, by name. */
export async function listCustomerChannels(db: Db, customerIds: readonly string[]): Promise<StoredChannel[]> {
  if (customerIds.length === 0) return []
  const rows = await db
    .selectFrom('notification_channels')
    .selectAll()
    .where('customer_id', 'in', [...customerIds])
    .where('disabled_at', 'is', null)
    .orderBy('name_key')
    .orderBy('id')
    .execute()
  return rows.map(toChannel)
}

/** Every channel, by name: there are tens, not thousands. */
export async function listChannels(db: Db): Promise<StoredChannel[]> {
  const rows = await db.selectFrom('notification_channels').selectAll().orderBy('name_key').orderBy('id').execute()
  return rows.map(toChannel)
}

function toChannel(row: Selectable<NotificationChannelsTable>): StoredChannel {
  return {
    id: row.id,
    name: row.name,
    nameKey: row.name_key,
    kind: row.kind as ChannelKind,
    preset: row.preset as WebhookPreset | null,
    address: row.address,
    url: row.url,
    secret: row.secret,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
    disabledAt: toIsoOrNull(row.disabled_at),
    customerId: row.customer_id ?? null,
  }
}

// ---- the outbox ----

/** Insert a message, or do nothing if its idempotency key is taken (undefined). */
export async function insertNotification(db: Db, message: Notification): Promise<Notification | undefined> {
  // ON CONFLICT rather than catching the violation: on PostgreSQL a failed statement would abort
  // the caller's whole transaction, and a concurrent twin waits here for the first to commit.
  const row = await db
    .insertInto('notifications')
    .values({
      id: message.id,
      idempotency_key: message.idempotencyKey,
      kind: message.kind,
      channel_id: message.channelId,
      channel_name: message.channelName,
      recipient: message.recipient,
      recipient_name: message.recipientName,
      subject: message.subject,
      text: message.text,
      html: message.html,
      event: message.event === null ? null : toJson(message.event),
      status: message.status,
      attempts: message.attempts,
      last_error: message.lastError,
      customer_id: message.customerId,
      incident_id: message.incidentId,
      alert_id: message.alertId,
      created_at: message.createdAt,
      updated_at: message.updatedAt,
      delivered_at: message.deliveredAt,
    })
    .onConflict((conflict) => conflict.column('idempotency_key').doNothing())
    .returningAll()
    .executeTakeFirst()
  return row && toNotification(row)
}

export async function findNotification(db: Db, id: string): Promise<Notification | undefined> {
  const row = await db.selectFrom('notifications').selectAll().where('id', '=', id).executeTakeFirst()
  return row && toNotification(row)
}

export async function findNotificationByKey(db: Db, idempotencyKey: string): Promise<Notification | undefined> {
  const row = await db.selectFrom('notifications').selectAll().where('idempotency_key', '=', idempotencyKey).executeTakeFirst()
  return row && toNotification(row)
}

export interface NotificationQuery {
  status?: NotificationStatus | undefined
  incidentId?: string | undefined
  alertId?: string | undefined
  customerId?: string | undefined
  /** Sort key (created_at, id) of the last message of the previous page. */
  after?: readonly [createdAt: string, id: string] | undefined
  limit: number
}

/** Newest first. */
export async function listNotifications(db: Db, query: NotificationQuery): Promise<Notification[]> {
  let select = db.selectFrom('notifications').selectAll()
  if (query.status !== undefined) select = select.where('status', '=', query.status)
  if (query.incidentId !== undefined) select = select.where('incident_id', '=', query.incidentId)
  if (query.alertId !== undefined) select = select.where('alert_id', '=', query.alertId)
  if (query.customerId !== undefined) select = select.where('customer_id', '=', query.customerId)
  if (query.after) {
    const [createdAt, id] = query.after
    select = select.where((eb) => eb.or([eb('created_at', '<', createdAt), eb.and([eb('created_at', '=', createdAt), eb('id', '<', id)])]))
  }
  const rows = await select.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(query.limit).execute()
  return rows.map(toNotification)
}

function toNotification(row: Selectable<NotificationsTable>): Notification {
  return {
    id: row.id,
    idempotencyKey: row.idempotency_key,
    kind: row.kind as ChannelKind,
    channelId: row.channel_id,
    channelName: row.channel_name,
    recipient: row.recipient,
    recipientName: row.recipient_name,
    subject: row.subject,
    text: row.text,
    html: row.html,
    event: row.event === null ? null : fromJson<Notification['event']>(row.event),
    status: row.status as NotificationStatus,
    attempts: toNumber(row.attempts),
    lastError: row.last_error,
    customerId: row.customer_id,
    incidentId: row.incident_id,
    alertId: row.alert_id,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
    deliveredAt: toIsoOrNull(row.delivered_at),
  }
}

// ---- the delivery log ----

export interface AttemptRecord {
  startedAt: string
  finishedAt: string
  outcome: AttemptOutcome
  detail: string | null
  error: string | null
  /** What the message becomes: delivered, dead, or still queued for another try. */
  status: NotificationStatus
}

/**
 * Log one attempt and move the message on, in the caller's transaction. The attempt number comes
 * from the message's own counter, incremented under its row lock, so it is unique even if the
 * job was re-run or sent back by hand. A delivered message stays delivered whatever a late,
 * failed twin of its attempt reports.
 */
export async function recordAttempt(db: Db, notificationId: string, attempt: AttemptRecord): Promise<DeliveryAttempt> {
  const updated = await db
    .updateTable('notifications')
    .set((eb) =>
      attempt.status === 'delivered'
        ? { attempts: eb('attempts', '+', 1), status: 'delivered', last_error: null, delivered_at: attempt.finishedAt, updated_at: attempt.finishedAt }
        : {
            attempts: eb('attempts', '+', 1),
            status: eb.case().when('status', '=', 'delivered').then('delivered').else(attempt.status).end(),
            last_error: eb.case().when('status', '=', 'delivered').then(eb.ref('last_error')).else(attempt.error).end(),
            updated_at: attempt.finishedAt,
          },
    )
    .where('id', '=', notificationId)
    .returning('attempts')
    .executeTakeFirst()
  if (!updated) throw new Error(`notification ${notificationId} does not exist, so its delivery attempt cannot be logged`)
  const number = toNumber(updated.attempts)
  await db
    .insertInto('notification_attempts')
    .values({
      notification_id: notificationId,
      attempt: number,
      started_at: attempt.startedAt,
      finished_at: attempt.finishedAt,
      outcome: attempt.outcome,
      detail: attempt.detail,
      error: attempt.error,
    })
    .execute()
  return { attempt: number, startedAt: attempt.startedAt, finishedAt: attempt.finishedAt, outcome: attempt.outcome, detail: attempt.detail, error: attempt.error }
}

export async function findNotificationWithLog(db: Db, id: string): Promise<NotificationWithLog | undefined> {
  const message = await findNotification(db, id)
  return message && { ...message, deliveryLog: await listAttempts(db, id) }
}

export async function listAttempts(db: Db, notificationId: string): Promise<DeliveryAttempt[]> {
  const rows = await db.selectFrom('notification_attempts').selectAll().where('notification_id', '=', notificationId).orderBy('attempt').execute()
  return rows.map(toAttempt)
}

function toAttempt(row: Selectable<NotificationAttemptsTable>): DeliveryAttempt {
  return {
    attempt: toNumber(row.attempt),
    startedAt: toIso(row.started_at),
    finishedAt: toIso(row.finished_at),
    outcome: row.outcome as AttemptOutcome,
    detail: row.detail,
    error: row.error,
  }
}
