import type { Db } from '../db/connect.js'
import type { Job, JobContext, JobHandler } from '../jobs/index.js'
import type { Clock } from '../shared/clock.js'
import type { Mailer } from './email.js'
import type { Notification, SendOutcome, WebhookPreset } from './model.js'
import * as store from './store.js'
import { postWebhook } from './webhook.js'

/**
 * The delivery worker's side: where a message goes, sending it, and what its job records.
 *
 * A message's job sends it and, on success, returns a JobCommit that marks it delivered and logs
 * the attempt, so that commit happens once, with the job's success. A failure worth retrying is
 * logged in a small transaction of its own and thrown, and the queue tries again after its
 * exponential backoff with jitter; on the job's last attempt the message is marked dead in that
 * same write, so the job and the message die together (`cordon jobs retry` revives both). A
 * permanent failure marks the message dead at once and lets the job succeed: trying again would
 * get the same answer. A worker killed mid-send leaves the job to be run again when its lease
 * runs out, so a receiver may see a message twice: the idempotency key lets it drop the repeat.
 */

/** The job type of a message's delivery; its payload is `{ notificationId }`. */
export const deliveryJobType = 'notifications.deliver'

/** Tries per message: with the queue's backoff (2 s doubling, ±20 %) the last comes about 17 minutes after the first. */
export const deliveryAttempts = 10

export type DeliveryTarget =
  | { kind: 'email'; address: string; name: string | null }
  | { kind: 'webhook'; url: string; preset: WebhookPreset; secret: string | null }

export interface DeliveryDeps {
  db: Db
  clock: Clock
  mailer: Mailer
  fetch: typeof fetch
}

export function createDelivery({ db, clock, mailer, fetch: fetcher }: DeliveryDeps) {
  /** Send one message to one target, once. */
  async function sendTo(target: DeliveryTarget, message: Notification, signal: AbortSignal): Promise<SendOutcome> {
    if (target.kind === 'email') {
      return mailer.send({ to: { address: target.address, name: target.name }, subject: message.subject, text: message.text, html: message.html, idempotencyKey: message.idempotencyKey }, signal)
    }
    return postWebhook(fetcher, target, message, { now: clock.now(), signal })
  }

  /** Where a message goes now: its email address, or its channel as the channel is configured today. */
  async function targetOf(message: Notification): Promise<DeliveryTarget | SendOutcome> {
    if (message.channelName === null) return { kind: 'email', address: message.recipient, name: message.recipientName }
    const channel = message.channelId === null ? undefined : await store.findChannel(db, message.channelId)
    if (!channel) return { ok: false, permanent: true, error: `the channel ${message.channelName} was deleted`, detail: null }
    if (channel.disabledAt !== null) return { ok: false, permanent: true, error: `the channel ${channel.name} is disabled`, detail: null }
    return channelTarget(channel)
  }

  const deliver: JobHandler = async (job: Job, context: JobContext) => {
    const notificationId = notificationIdOf(job)
    const startedAt = clock.now().toISOString()
    const message = await store.findNotification(db, notificationId)
    if (!message) throw new Error(`notification ${notificationId} (job ${job.id}) does not exist`)
    // Already delivered: this job was sent back by hand after its message went out another way.
    if (message.status === 'delivered') return
    const target = await targetOf(message)
    const outcome = 'ok' in target ? target : await sendTo(target, message, context.signal)
    const finishedAt = clock.now().toISOString()
    if (outcome.ok) {
      return async (trx) => {
        await store.recordAttempt(trx, notificationId, { startedAt, finishedAt, outcome: 'delivered', detail: outcome.detail, error: null, status: 'delivered' })
      }
    }
    const failed = { startedAt, finishedAt, outcome: 'failed' as const, detail: outcome.detail, error: outcome.error }
    if (outcome.permanent) {
      return async (trx) => {
        await store.recordAttempt(trx, notificationId, { ...failed, status: 'dead' })
      }
    }
    const last = job.attempts >= job.maxAttempts
    await db.transaction().execute((trx) => store.recordAttempt(trx, notificationId, { ...failed, status: last ? 'dead' : 'queued' }))
    throw new Error(outcome.error)
  }

  return { sendTo, targetOf, deliver }
}

export function channelTarget(channel: store.StoredChannel): DeliveryTarget {
  if (channel.kind === 'email') return { kind: 'email', address: channel.address ?? '', name: null }
  return { kind: 'webhook', url: channel.url ?? '', preset: channel.preset ?? 'generic', secret: channel.secret }
}

function notificationIdOf(job: Job): string {
  const payload = job.payload as { notificationId?: unknown } | null
  if (!payload || typeof payload.notificationId !== 'string') throw new Error(`job ${job.id} has no notificationId in its payload`)
  return payload.notificationId
}
