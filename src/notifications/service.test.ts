import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createAudit, type Audit } from '../audit/index.js'
import { testDialects, type TestDatabase } from '../db/testing.js'
import { createJobs, type Jobs } from '../jobs/index.js'
import { allTenants, systemActor, type Actor } from '../shared/actor.js'
import { FakeClock } from '../shared/clock.js'
import { AppError } from '../shared/errors.js'
import { deliveryJobType } from './delivery.js'
import { createNotifications, type Notifications } from './service.js'
import { aMessage } from './testing.js'

function rejectsWith(kind: AppError['kind'], field?: string) {
  return (error: unknown) => {
    assert.ok(error instanceof AppError, String(error))
    assert.equal(error.kind, kind, error.message)
    if (field) assert.ok(error.problems.some((p) => p.field === field), JSON.stringify(error.problems))
    return true
  }
}

const viewer: Actor = { kind: 'token', id: 'viewer-token', label: 'viewer', role: 'viewer', scope: allTenants }

let counter = 0
const uniqueName = (prefix: string) => `${prefix} ${++counter}`

for (const dialect of testDialects) {
  describe(`notifications (${dialect.name})`, { skip: dialect.skip }, () => {
    let database: TestDatabase
    let audit: Audit
    let jobs: Jobs
    let notifications: Notifications
    const clock = new FakeClock('2026-03-29T10:00:00.000Z')

    before(async () => {
      database = await dialect.open()
      audit = createAudit({ db: database.db, clock })
      jobs = createJobs({ db: database.db, clock, audit })
      notifications = createNotifications({ db: database.db, clock, audit, jobs, mail: { url: null, from: 'cordon@provider.example' } })
    })
    after(() => database.close())

    const inTransaction = <T>(work: (trx: TestDatabase['db']) => Promise<T>) => database.db.transaction().execute(work)

    async function countOf(table: 'notifications' | 'notification_channels' | 'jobs'): Promise<number> {
      const row = await database.db.selectFrom(table).select((eb) => eb.fn.countAll<number | string>().as('count')).executeTakeFirstOrThrow()
      return Number(row.count)
    }

    /** Oldest first. */
    async function auditFor(targetId: string) {
      return (await audit.list(allTenants, { targetType: 'notification_channel', targetId })).items.reverse()
    }

    describe('the outbox', () => {
      it('writes a message and its delivery job in the caller’s transaction', async () => {
        const message = await inTransaction((trx) => notifications.enqueue(trx, aMessage({ links: { incidentId: 'incident-1', customerId: 'customer-1' } })))

        const stored = await notifications.get(message.id)
        const job = (await jobs.list({ type: deliveryJobType, limit: 500 })).items.find((j) => j.key === `notify:${message.id}`)
        assert.deepEqual([stored.status, stored.attempts, stored.recipient, stored.recipientName, stored.incidentId, stored.customerId, stored.deliveryLog], ['queued', 0, 'soc@example.net', 'SOC Desk', 'incident-1', 'customer-1', []])
        assert.deepEqual([job?.status, job?.payload, job?.maxAttempts], ['queued', { notificationId: message.id }, 10])
      })

      it('writes nothing, not even the job, when the caller’s transaction rolls back', async () => {
        const before = [await countOf('notifications'), await countOf('jobs')]

        await assert.rejects(
          inTransaction(async (trx) => {
            await notifications.enqueue(trx, aMessage())
            throw new Error('the incident could not be opened')
          }),
          /could not be opened/,
        )

        assert.deepEqual([await countOf('notifications'), await countOf('jobs')], before)
      })

      it('returns the first message unchanged for a second enqueue with the same key, with one job', async () => {
        const first = await inTransaction((trx) => notifications.enqueue(trx, aMessage({ idempotencyKey: 'incident:7:opened', subject: 'First' })))
        const jobsBefore = await countOf('jobs')

        const second = await inTransaction((trx) => notifications.enqueue(trx, aMessage({ idempotencyKey: 'incident:7:opened', subject: 'Second' })))

        assert.equal(second.id, first.id)
        assert.equal(second.subject, 'First')
        assert.equal(await countOf('jobs'), jobsBefore)
      })

      it('writes one message when two transactions enqueue the same key at once', async () => {
        const results = await Promise.all([1, 2].map((n) => inTransaction((trx) => notifications.enqueue(trx, aMessage({ idempotencyKey: 'race:1', subject: `Racer ${n}` })))))

        assert.equal(results[0]!.id, results[1]!.id)
        const page = await notifications.list({ limit: 500 })
        assert.equal(page.items.filter((m) => m.idempotencyKey === 'race:1').length, 1)
      })

      it('refuses a malformed message naming the field, and writes nothing', async () => {
        const before = await countOf('notifications')

        await assert.rejects(inTransaction((trx) => notifications.enqueue(trx, aMessage({ to: { email: 'not an address' } }))), rejectsWith('invalid', 'to.email'))
        await assert.rejects(inTransaction((trx) => notifications.enqueue(trx, aMessage({ subject: 'x'.repeat(301) }))), rejectsWith('invalid', 'subject'))
        await assert.rejects(inTransaction((trx) => notifications.enqueue(trx, aMessage({ text: 'x'.repeat(50_001) }))), rejectsWith('invalid', 'text'))

        assert.equal(await countOf('notifications'), before)
      })

      it('refuses an unknown channel naming to.channelId, and writes nothing', async () => {
        const before = await countOf('notifications')

        await assert.rejects(inTransaction((trx) => notifications.enqueue(trx, aMessage({ to: { channelId: 'no-such-channel' } }))), rejectsWith('invalid', 'to.channelId'))

        assert.equal(await countOf('notifications'), before)
      })

      it('refuses to write outside a transaction', async () => {
        await assert.rejects(notifications.enqueue(database.db, aMessage()), /caller’s transaction/)
      })

      it('records a message to a channel with the channel’s kind and name, and the webhook’s origin only', async () => {
        const channel = await notifications.createChannel(systemActor, { name: uniqueName('Ops Slack'), kind: 'webhook', preset: 'slack', url: 'https://hooks.slack.com/services/T0/B0/secret' })

        const message = await inTransaction((trx) => notifications.enqueue(trx, aMessage({ to: { channelId: channel.id } })))

        assert.deepEqual([message.kind, message.channelId, message.channelName, message.recipient], ['webhook', channel.id, channel.name, 'https://hooks.slack.com/…'])
      })
    })

    describe('channels', () => {
      it('creates a webhook channel with a generated secret, shown once and never audited', async () => {
        const created = await notifications.createChannel(systemActor, { name: uniqueName('Receiver'), kind: 'webhook', url: 'https://example.com/hooks/cordon' })

        const read = await notifications.getChannel(systemActor, created.id)
        const records = await auditFor(created.id)
        assert.match(created.secret ?? '', /^whsec_[A-Za-z0-9_-]{43}$/)
        assert.equal(created.preset, 'generic')
        assert.equal('secret' in read, false)
        assert.deepEqual(records.map((r) => r.action), ['notification_channel.created'])
        assert.ok(!JSON.stringify(records).includes(created.secret!))
      })

      it('shows a webhook URL in full to admins and as its origin to others', async () => {
        const created = await notifications.createChannel(systemActor, { name: uniqueName('Teams'), kind: 'webhook', preset: 'teams', url: 'https://example.webhook.office.com/webhookb2/abc/IncomingWebhook/def' })

        assert.equal((await notifications.getChannel(systemActor, created.id)).url, 'https://example.webhook.office.com/webhookb2/abc/IncomingWebhook/def')
        assert.equal((await notifications.getChannel(viewer, created.id)).url, 'https://example.webhook.office.com/…')
        assert.ok((await notifications.listChannels(viewer)).every((c) => c.url === null || !c.url.includes('webhookb2')))
      })

      it('creates an email channel with no secret', async () => {
        const created = await notifications.createChannel(systemActor, { name: uniqueName('SOC mailbox'), kind: 'email', address: 'soc@provider.example' })

        assert.deepEqual([created.kind, created.address, created.url, created.preset, created.secret], ['email', 'soc@provider.example', null, null, null])
      })

      it('refuses a second channel whose name differs only in case and spacing', async () => {
        await notifications.createChannel(systemActor, { name: 'Night  Shift', kind: 'email', address: 'night@provider.example' })

        await assert.rejects(notifications.createChannel(systemActor, { name: 'night shift', kind: 'email', address: 'other@provider.example' }), rejectsWith('conflict', 'name'))
      })

      it('refuses bad channels naming the field, and writes nothing', async () => {
        const before = await countOf('notification_channels')

        await assert.rejects(notifications.createChannel(systemActor, { name: 'Bad mail', kind: 'email', address: 'soc at provider' }), rejectsWith('invalid', 'address'))
        await assert.rejects(notifications.createChannel(systemActor, { name: 'Bad hook', kind: 'webhook', url: 'ftp://example.com/x' }), rejectsWith('invalid', 'url'))
        await assert.rejects(notifications.createChannel(systemActor, { name: 'Mixed', kind: 'email', address: 'a@example.com', url: 'https://example.com' }), rejectsWith('invalid', 'url'))
        await assert.rejects(notifications.createChannel(systemActor, { name: 'No kind', address: 'a@example.com' }), /required properties kind/)
        await assert.rejects(notifications.createChannel(systemActor, { name: 'Extra', kind: 'email', address: 'a@example.com', admin: true }), rejectsWith('invalid'))

        assert.equal(await countOf('notification_channels'), before)
      })

      it('rotates a webhook secret, showing the new one once, and audits the rotation', async () => {
        const created = await notifications.createChannel(systemActor, { name: uniqueName('Rotating'), kind: 'webhook', url: 'https://example.com/hook' })

        const rotated = await notifications.updateChannel(systemActor, created.id, { rotateSecret: true })

        assert.ok('secret' in rotated && rotated.secret && rotated.secret !== created.secret)
        const records = await auditFor(created.id)
        assert.deepEqual(records.map((r) => [r.action, r.details.secret]).at(-1), ['notification_channel.updated', 'rotated'])
      })

      it('disables and re-enables a channel', async () => {
        const created = await notifications.createChannel(systemActor, { name: uniqueName('Pausable'), kind: 'email', address: 'p@provider.example' })

        const disabled = await notifications.updateChannel(systemActor, created.id, { disabled: true })
        const enabled = await notifications.updateChannel(systemActor, created.id, { disabled: false })

        assert.equal(disabled.disabledAt, '2026-03-29T10:00:00.000Z')
        assert.equal(enabled.disabledAt, null)
      })

      it('refuses webhook settings on an email channel', async () => {
        const created = await notifications.createChannel(systemActor, { name: uniqueName('Mail only'), kind: 'email', address: 'm@provider.example' })

        await assert.rejects(notifications.updateChannel(systemActor, created.id, { rotateSecret: true }), rejectsWith('invalid', 'rotateSecret'))
      })

      it('deletes a channel and keeps its messages, with its name', async () => {
        const channel = await notifications.createChannel(systemActor, { name: uniqueName('Short-lived'), kind: 'email', address: 's@provider.example' })
        const message = await inTransaction((trx) => notifications.enqueue(trx, aMessage({ to: { channelId: channel.id } })))

        await notifications.removeChannel(systemActor, channel.id)

        const kept = await notifications.get(message.id)
        assert.deepEqual([kept.channelId, kept.channelName], [null, channel.name])
        await assert.rejects(notifications.getChannel(systemActor, channel.id), rejectsWith('not_found'))
        assert.deepEqual((await auditFor(channel.id)).map((r) => r.action), ['notification_channel.created', 'notification_channel.deleted'])
      })

      it('finds a channel for another module inside its transaction, without its URL’s path', async () => {
        const channel = await notifications.createChannel(systemActor, { name: uniqueName('Looked up'), kind: 'webhook', url: 'https://example.com/hooks/secret-path' })

        const found = await inTransaction((trx) => notifications.findChannel(channel.id, trx))
        const missing = await notifications.findChannel('no-such-channel')

        assert.deepEqual([found?.id, found?.url, missing], [channel.id, 'https://example.com/…', undefined])
      })

      it('finds a channel by name in any case, or by id', async () => {
        const channel = await notifications.createChannel(systemActor, { name: uniqueName('Findable'), kind: 'email', address: 'f@provider.example' })

        assert.equal((await notifications.resolveChannel(systemActor, channel.name.toUpperCase())).id, channel.id)
        assert.equal((await notifications.resolveChannel(systemActor, channel.id)).id, channel.id)
        await assert.rejects(notifications.resolveChannel(systemActor, 'nobody'), rejectsWith('not_found'))
      })
    })

    describe('listing', () => {
      it('lists newest first, a page at a time, filtered by incident', async () => {
        const written = []
        for (let i = 0; i < 5; i++) {
          clock.advance(1000)
          written.push(await inTransaction((trx) => notifications.enqueue(trx, aMessage({ links: { incidentId: 'incident-list' } }))))
        }

        const first = await notifications.list({ incidentId: 'incident-list', limit: 3 })
        const second = await notifications.list({ incidentId: 'incident-list', limit: 3, cursor: first.nextCursor! })

        assert.deepEqual([...first.items, ...second.items].map((m) => m.id), written.map((m) => m.id).reverse())
        assert.equal(second.nextCursor, null)
      })

      it('filters by status', async () => {
        const page = await notifications.list({ status: 'delivered', limit: 500 })

        assert.ok(page.items.every((m) => m.status === 'delivered'))
      })

      it('refuses an unknown status and a bad cursor, naming them', async () => {
        await assert.rejects(notifications.list({ status: 'sent' }), rejectsWith('invalid', 'status'))
        await assert.rejects(notifications.list({ cursor: 'garbage' }), rejectsWith('invalid', 'cursor'))
      })

      it('answers not_found for an unknown message', async () => {
        await assert.rejects(notifications.get('no-such-message'), rejectsWith('not_found'))
      })
    })
  })
}
