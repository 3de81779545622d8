import type { Audit } from '../audit/index.js'
import type { Db } from '../db/connect.js'
import { isUniqueViolation } from '../db/errors.js'
import type { Actor } from '../shared/actor.js'
import type { Clock } from '../shared/clock.js'
import { AppError, notFound, type FieldProblem } from '../shared/errors.js'
import { newId } from '../shared/ids.js'
import { parseInput } from '../shared/validate.js'
import { channelTarget, type createDelivery } from './delivery.js'
import {
  ChannelInputSchema,
  ChannelPatchSchema,
  channelNameKey,
  emailAddressProblem,
  invalidInput,
  newWebhookSecret,
  redactWebhookUrl,
  tidyName,
  webhookUrlProblem,
  type Channel,
  type ChannelWithSecret,
  type Notification,
  type NotificationWithLog,
} from './model.js'
import * as store from './store.js'

/** Channels: named email and webhook destinations, their signing secrets, and test messages. */

export interface ChannelsDeps {
  db: Db
  clock: Clock
  audit: Audit
  delivery: Pick<ReturnType<typeof createDelivery>, 'sendTo'>
  /** Finds the customer a channel is for (id, external reference or name); without it, channels are the provider's only. */
  resolveCustomer?: ((reference: string) => Promise<{ id: string }>) | undefined
}

/** Two writers racing past the name check: the loser gets a conflict, not a crash. */
async function conflictOnDuplicate<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('conflict', 'a notification channel with this name already exists', { cause: error, problems: [{ field: 'name', message: 'already used' }] })
    throw error
  }
}

export function createChannels({ db, clock, audit, delivery, resolveCustomer }: ChannelsDeps) {
  async function listChannels(actor: Actor): Promise<Channel[]> {
    return (await store.listChannels(db)).map((channel) => present(actor, channel))
  }

  /** The channel, locked when `executor` is a transaction about to change it. */
  async function findStored(executor: Db, id: string): Promise<store.StoredChannel> {
    const channel = await store.findChannel(executor, id, { lock: executor.isTransaction })
    if (!channel) throw notFound('notification channel', id)
    return channel
  }

  /** Each customer's enabled channels, as a non-admin sees them. */
  async function customerChannels(customerIds: readonly string[]): Promise<Map<string, Channel[]>> {
    const out = new Map<string, Channel[]>()
    for (const channel of await store.listCustomerChannels(db, customerIds)) {
      const shown = present(readerOnly, channel)
      out.set(channel.customerId!, [...(out.get(channel.customerId!) ?? []), shown])
    }
    return out
  }

  async function getChannel(actor: Actor, id: string): Promise<Channel> {
    return present(actor, await findStored(db, id))
  }

  async function findChannel(id: string, executor: Db = db): Promise<Channel | undefined> {
    const channel = await store.findChannel(executor, id)
    return channel && present(readerOnly, channel)
  }

  async function resolveChannel(actor: Actor, reference: string): Promise<Channel> {
    const channel = (await store.findChannel(db, reference)) ?? (await store.findChannelByNameKey(db, channelNameKey(reference)))
    if (!channel) throw notFound('notification channel', reference)
    return present(actor, channel)
  }

  async function createChannel(actor: Actor, input: unknown): Promise<ChannelWithSecret> {
    const data = parseInput(ChannelInputSchema, input, 'notification channel')
    const problems = targetProblems('create', data.kind, data)
    if (data.customer !== undefined && !resolveCustomer) problems.push({ field: 'customer', message: 'customers’ channels cannot be made here' })
    if (problems.length > 0) throw invalidInput('notification channel', problems)
    // Before the transaction: the customer is another module's read.
    const customerId = data.customer !== undefined ? (await resolveCustomer!(data.customer)).id : null
    const now = clock.now().toISOString()
    const channel: store.StoredChannel = {
      id: newId(),
      name: tidyName(data.name),
      nameKey: channelNameKey(data.name),
      kind: data.kind,
      preset: data.kind === 'webhook' ? (data.preset ?? 'generic') : null,
      address: data.kind === 'email' ? (data.address ?? null) : null,
      url: data.kind === 'webhook' ? (data.url ?? null) : null,
      secret: data.kind === 'webhook' ? (data.secret ?? newWebhookSecret()) : null,
      createdAt: now,
      updatedAt: now,
      disabledAt: null,
      customerId,
    }
    return conflictOnDuplicate(() =>
      db.transaction().execute(async (trx) => {
        await assertNameFree(trx, channel.nameKey)
        await store.insertChannel(trx, channel)
        await audit.record(trx, actor, {
          action: 'notification_channel.created',
          targetType: 'notification_channel',
          targetId: channel.id,
          ...(customerId && { customerId }),
          details: { name: channel.name, kind: channel.kind, preset: channel.preset, recipient: recipientOf(channel), secretGiven: data.secret !== undefined, customerId },
        })
        return { ...present(actor, channel), secret: channel.secret }
      }),
    )
  }

  async function updateChannel(actor: Actor, id: string, patch: unknown): Promise<Channel | ChannelWithSecret> {
    const data = parseInput(ChannelPatchSchema, patch, 'notification channel change')
    return conflictOnDuplicate(() =>
      db.transaction().execute(async (trx) => {
        const current = await findStored(trx, id)
        const problems = targetProblems('update', current.kind, data)
        if (data.secret !== undefined && data.rotateSecret === true) problems.push({ field: 'rotateSecret', message: 'give a secret or rotateSecret, not both' })
        if (problems.length > 0) throw invalidInput('notification channel change', problems)
        const now = clock.now().toISOString()
        const next: store.StoredChannel = { ...current, updatedAt: now }
        const changed: Record<string, unknown> = {}
        if (data.name !== undefined && tidyName(data.name) !== current.name) {
          next.name = tidyName(data.name)
          next.nameKey = channelNameKey(data.name)
          if (next.nameKey !== current.nameKey) await assertNameFree(trx, next.nameKey)
          changed.name = { from: current.name, to: next.name }
        }
        if (data.address !== undefined && data.address !== current.address) {
          next.address = data.address
          changed.address = { from: current.address, to: data.address }
        }
        if (data.url !== undefined && data.url !== current.url) {
          next.url = data.url
          changed.url = { from: redactOrNull(current.url), to: redactWebhookUrl(data.url) }
        }
        if (data.preset !== undefined && data.preset !== current.preset) {
          next.preset = data.preset
          changed.preset = { from: current.preset, to: data.preset }
        }
        const newSecret = data.secret ?? (data.rotateSecret === true ? newWebhookSecret() : undefined)
        if (newSecret !== undefined) {
          next.secret = newSecret
          changed.secret = data.secret !== undefined ? 'replaced' : 'rotated'
        }
        if (data.disabled !== undefined && data.disabled !== (current.disabledAt !== null)) {
          next.disabledAt = data.disabled ? now : null
          changed.disabled = data.disabled
        }
        if (Object.keys(changed).length === 0) return present(actor, current)
        await store.updateChannel(trx, next)
        await audit.record(trx, actor, { action: 'notification_channel.updated', targetType: 'notification_channel', targetId: id, details: changed })
        return newSecret === undefined ? present(actor, next) : { ...present(actor, next), secret: newSecret }
      }),
    )
  }

  async function removeChannel(actor: Actor, id: string): Promise<void> {
    await db.transaction().execute(async (trx) => {
      const channel = await findStored(trx, id)
      await store.deleteChannel(trx, id)
      await audit.record(trx, actor, {
        action: 'notification_channel.deleted',
        targetType: 'notification_channel',
        targetId: id,
        details: { name: channel.name, kind: channel.kind, recipient: recipientOf(channel) },
      })
    })
  }

  async function testChannel(actor: Actor, id: string): Promise<NotificationWithLog> {
    const channel = await findStored(db, id)
    const startedAt = clock.now().toISOString()
    const message: Notification = {
      id: newId(),
      idempotencyKey: `test:${newId()}`,
      kind: channel.kind,
      channelId: channel.id,
      channelName: channel.name,
      recipient: recipientOf(channel),
      recipientName: null,
      subject: `Cordon test message for ${channel.name}`,
      text: `This is a test of the notification channel "${channel.name}", sent by ${actor.label} at ${startedAt}. If you can read it, Cordon can reach you here.`,
      html: null,
      event: { type: 'notification.test', data: { channelId: channel.id, channelName: channel.name } },
      status: 'queued',
      attempts: 0,
      lastError: null,
      customerId: null,
      incidentId: null,
      alertId: null,
      createdAt: startedAt,
      updatedAt: startedAt,
      deliveredAt: null,
    }
    // Sent before anything is written, outside any transaction: a test is not retried, so it needs
    // no outbox, and the send may take seconds.
    const outcome = await delivery.sendTo(channelTarget(channel), message, new AbortController().signal)
    const finishedAt = clock.now().toISOString()
    return db.transaction().execute(async (trx) => {
      await store.insertNotification(trx, message)
      await store.recordAttempt(trx, message.id, {
        startedAt,
        finishedAt,
        outcome: outcome.ok ? 'delivered' : 'failed',
        detail: outcome.detail,
        error: outcome.ok ? null : outcome.error,
        status: outcome.ok ? 'delivered' : 'dead',
      })
      await audit.record(trx, actor, {
        action: 'notification_channel.tested',
        targetType: 'notification_channel',
        targetId: channel.id,
        details: { notificationId: message.id, delivered: outcome.ok, ...(!outcome.ok && { error: outcome.error }) },
      })
      const tested = await store.findNotificationWithLog(trx, message.id)
      if (!tested) throw new Error(`test message ${message.id} was written but cannot be read back`)
      return tested
    })
  }

  async function assertNameFree(trx: Db, nameKey: string): Promise<void> {
    if (await store.findChannelByNameKey(trx, nameKey)) {
      throw new AppError('conflict', 'a notification channel with this name already exists', { problems: [{ field: 'name', message: 'already used' }] })
    }
  }

  return { listChannels, customerChannels, getChannel, findChannel, resolveChannel, createChannel, updateChannel, removeChannel, testChannel }
}

/** Who other modules look channels up as: they learn that a channel exists, never its credentials. */
const readerOnly = { role: 'viewer' } as const

/** What a channel's messages record as their recipient: the address, or the webhook's origin (never its secret path). */
export function recipientOf(channel: store.StoredChannel): string {
  return channel.kind === 'email' ? (channel.address ?? '') : redactWebhookUrl(channel.url ?? '')
}

/** A channel as this actor may see it: never the secret, and the webhook URL in full to admins only. */
function present(actor: Pick<Actor, 'role'>, channel: store.StoredChannel): Channel {
  const { nameKey: _key, secret: _secret, ...shown } = channel
  return actor.role === 'admin' ? shown : { ...shown, url: redactOrNull(channel.url) }
}

function redactOrNull(url: string | null): string | null {
  return url === null ? null : redactWebhookUrl(url)
}

/** A channel's destination fields fit its kind: an address for email; a URL (with preset and secret) for a webhook. */
function targetProblems(
  mode: 'create' | 'update',
  kind: Channel['kind'],
  data: { address?: string | undefined; url?: string | undefined; preset?: string | undefined; secret?: string | undefined; rotateSecret?: boolean | undefined },
): FieldProblem[] {
  const problems: FieldProblem[] = []
  const creating = mode === 'create'
  if (kind === 'email') {
    if (data.address !== undefined || creating) {
      const problem = emailAddressProblem(data.address)
      if (problem) problems.push({ field: 'address', message: problem })
    }
    for (const field of ['url', 'preset', 'secret', 'rotateSecret'] as const) {
      if (data[field] !== undefined && data[field] !== false) problems.push({ field, message: 'is for webhook channels only' })
    }
  } else {
    if (data.url !== undefined || creating) {
      const problem = webhookUrlProblem(data.url)
      if (problem) problems.push({ field: 'url', message: problem })
    }
    if (data.address !== undefined) problems.push({ field: 'address', message: 'is for email channels only' })
    if (data.secret !== undefined && !/^[\x21-\x7e]+$/.test(data.secret)) problems.push({ field: 'secret', message: 'must be visible ASCII characters' })
  }
  return problems
}
