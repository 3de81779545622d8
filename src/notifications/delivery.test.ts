import assert from 'node:assert/strict'
import { after, afterEach, before, beforeEach, describe, it } from 'node:test'
import { createAudit, type Audit } from '../audit/index.js'
import { testDialects, type TestDatabase } from '../db/testing.js'
import { createJobs, type JobHandler, type Jobs, type Worker } from '../jobs/index.js'
import { waitFor } from '../jobs/testing.js'
import { allTenants, systemActor } from '../shared/actor.js'
import { systemClock } from '../shared/clock.js'
import { deliveryAttempts, deliveryJobType } from './delivery.js'
import type { Notification, OutboundMessage } from './model.js'
import { createNotifications, type Notifications } from './service.js'
import { verifyWebhookSignature } from './signature.js'
import { aMessage, startSmtpSink, startWebhookReceiver, type SmtpSink, type WebhookAnswer, type WebhookReceiver } from './testing.js'

// Delivery through the real job worker, to a real SMTP server and a real HTTP receiver on
// 127.0.0.1. The worker's backoff is shortened to milliseconds so retries happen within a test.

for (const dialect of testDialects) {
  describe(`notification delivery (${dialect.name})`, { skip: dialect.skip }, () => {
    let database: TestDatabase
    let audit: Audit
    let jobs: Jobs
    let notifications: Notifications & { deliver: JobHandler }
    let sink: SmtpSink
    let receiver: WebhookReceiver
    let answers: WebhookAnswer[]
    let worker: Worker | undefined

    before(async () => {
      database = await dialect.open()
      sink = await startSmtpSink()
      receiver = await startWebhookReceiver(() => answers.shift() ?? { status: 200, body: 'ok' })
      audit = createAudit({ db: database.db, clock: systemClock })
      jobs = createJobs({ db: database.db, clock: systemClock, audit })
      notifications = createNotifications({ db: database.db, clock: systemClock, audit, jobs, mail: { url: sink.url, from: 'Cordon <cordon@provider.example>' } })
    })
    after(async () => {
      await Promise.all([sink.close(), receiver.close()])
      await database.close()
    })
    beforeEach(() => {
      answers = []
      receiver.requests.length = 0
      sink.messages.length = 0
    })
    afterEach(async () => {
      await worker?.stop({ timeoutMs: 2000 })
      worker = undefined
    })

    function startWorker(handler = notifications.deliver): void {
      worker = jobs.createWorker({ handlers: { [deliveryJobType]: handler }, concurrency: 4, pollIntervalMs: 5, backoff: { baseMs: 5, maxMs: 5, jitter: 0 } })
      worker.start()
    }

    async function enqueue(message: OutboundMessage): Promise<Notification> {
      return database.db.transaction().execute((trx) => notifications.enqueue(trx, message))
    }

    async function settled(id: string) {
      await waitFor(async () => (await notifications.get(id)).status !== 'queued', `notification ${id} to be delivered or dead`, 10_000)
      return notifications.get(id)
    }

    async function jobOf(id: string) {
      return (await jobs.list({ type: deliveryJobType, limit: 500 })).items.find((job) => job.key === `notify:${id}`)!
    }

    async function aWebhookChannel(preset: 'generic' | 'slack' | 'teams' = 'generic') {
      return notifications.createChannel(systemActor, { name: `Hook ${Math.random()}`, kind: 'webhook', preset, url: `${receiver.url}/hook` })
    }

    it('delivers an email with its Message-ID from the idempotency key, and logs one delivered attempt', async () => {
      const message = await enqueue(aMessage({ idempotencyKey: 'incident:1:opened', html: '<p>Something happened.</p>' }))

      startWorker()
      const done = await settled(message.id)

      assert.deepEqual([done.status, done.attempts, done.lastError], ['delivered', 1, null])
      assert.ok(done.deliveredAt)
      assert.deepEqual(done.deliveryLog.map((a) => [a.attempt, a.outcome]), [[1, 'delivered']])
      assert.match(done.deliveryLog[0]!.detail ?? '', /250 .*queued by the test sink/)
      assert.equal(sink.messages.length, 1)
      assert.equal(sink.messages[0]!.messageId, '<incident=3A1=3Aopened@cordon>')
      assert.equal((await jobOf(message.id)).status, 'succeeded')
    })

    it('delivers a webhook signed with its channel’s secret, with the idempotency key', async () => {
      const channel = await aWebhookChannel()
      const message = await enqueue(aMessage({ idempotencyKey: 'alert:9:fired', to: { channelId: channel.id }, event: { type: 'alert.fired', data: { alertId: '9' } } }))

      startWorker()
      const done = await settled(message.id)

      const [request] = receiver.requests
      assert.equal(done.status, 'delivered')
      assert.equal(done.deliveryLog[0]!.detail, 'HTTP 200 OK: ok')
      assert.equal(request?.headers['idempotency-key'], 'alert:9:fired')
      const verified = verifyWebhookSignature({ secret: channel.secret!, body: request.body, timestamp: String(request.headers['cordon-timestamp']), signature: String(request.headers['cordon-signature']) })
      assert.equal(verified.ok, true)
      assert.deepEqual(JSON.parse(request.body).event, { type: 'alert.fired', data: { alertId: '9' } })
    })

    it('retries a webhook that answers 503, logging each failed attempt, until it is delivered', async () => {
      const channel = await aWebhookChannel()
      answers = [{ status: 503, body: 'down' }, { status: 503, body: 'still down' }]
      const message = await enqueue(aMessage({ to: { channelId: channel.id } }))

      startWorker()
      const done = await settled(message.id)

      assert.deepEqual([done.status, done.attempts, done.lastError], ['delivered', 3, null])
      assert.deepEqual(done.deliveryLog.map((a) => [a.attempt, a.outcome, a.detail]), [[1, 'failed', 'HTTP 503 Service Unavailable: down'], [2, 'failed', 'HTTP 503 Service Unavailable: still down'], [3, 'delivered', 'HTTP 200 OK: ok']])
      assert.deepEqual(new Set(receiver.requests.map((r) => r.headers['idempotency-key'])), new Set([message.idempotencyKey]))
      assert.equal((await jobOf(message.id)).attempts, 3)
    })

    it('marks a message dead at once when the webhook answers 404, and does not try again', async () => {
      const channel = await aWebhookChannel()
      answers = [{ status: 404, body: 'no such hook' }]
      const message = await enqueue(aMessage({ to: { channelId: channel.id } }))

      startWorker()
      const done = await settled(message.id)
      await waitFor(async () => (await jobOf(message.id)).status === 'succeeded', 'the job to finish')

      assert.deepEqual([done.status, done.attempts], ['dead', 1])
      assert.match(done.lastError ?? '', /HTTP 404 \(permanent/)
      assert.equal(receiver.requests.length, 1)
    })

    it('marks a message dead, with its job, when its last attempt fails', async () => {
      const channel = await aWebhookChannel()
      answers = Array.from({ length: deliveryAttempts }, () => ({ status: 500 }))
      const message = await enqueue(aMessage({ to: { channelId: channel.id } }))

      startWorker()
      const done = await settled(message.id)
      await waitFor(async () => (await jobOf(message.id)).status === 'dead', 'the job to die')

      assert.deepEqual([done.status, done.attempts, done.deliveryLog.length], ['dead', deliveryAttempts, deliveryAttempts])
      assert.ok(done.deliveryLog.every((a) => a.outcome === 'failed'))
      assert.equal(receiver.requests.length, deliveryAttempts)
    })

    it('revives a dead message when its dead job is retried', async () => {
      const channel = await aWebhookChannel()
      answers = Array.from({ length: deliveryAttempts }, () => ({ status: 500 }))
      const message = await enqueue(aMessage({ to: { channelId: channel.id } }))
      startWorker()
      await settled(message.id)
      await waitFor(async () => (await jobOf(message.id)).status === 'dead', 'the job to die')

      await jobs.retry(systemActor, (await jobOf(message.id)).id)
      await waitFor(async () => (await notifications.get(message.id)).status === 'delivered', 'the message to be delivered')

      const done = await notifications.get(message.id)
      assert.deepEqual([done.attempts, done.lastError, done.deliveryLog.at(-1)?.outcome], [deliveryAttempts + 1, null, 'delivered'])
    })

    it('sends nothing to a disabled channel: the message is dead, naming the channel', async () => {
      const channel = await aWebhookChannel()
      await notifications.updateChannel(systemActor, channel.id, { disabled: true })
      const message = await enqueue(aMessage({ to: { channelId: channel.id } }))

      startWorker()
      const done = await settled(message.id)

      assert.equal(done.status, 'dead')
      assert.equal(done.lastError, `the channel ${channel.name} is disabled`)
      assert.equal(receiver.requests.length, 0)
    })

    it('sends nothing for a message whose channel was deleted after it was written', async () => {
      const channel = await aWebhookChannel()
      const message = await enqueue(aMessage({ to: { channelId: channel.id } }))
      await notifications.removeChannel(systemActor, channel.id)

      startWorker()
      const done = await settled(message.id)

      assert.equal(done.status, 'dead')
      assert.equal(done.lastError, `the channel ${channel.name} was deleted`)
      assert.equal(receiver.requests.length, 0)
    })

    it('sends to the channel’s URL as it is when delivered, not as it was when written', async () => {
      const channel = await aWebhookChannel()
      const message = await enqueue(aMessage({ to: { channelId: channel.id } }))
      await notifications.updateChannel(systemActor, channel.id, { url: `${receiver.url}/moved` })

      startWorker()
      await settled(message.id)

      assert.deepEqual(receiver.requests.map((r) => r.path), ['/moved'])
    })

    it('sends nothing when a job runs again for a message already delivered', async () => {
      const message = await enqueue(aMessage())
      startWorker()
      await settled(message.id)
      const job = await jobOf(message.id)

      const result = await notifications.deliver(job, { signal: new AbortController().signal, workerId: 'test' })

      assert.equal(result, undefined)
      assert.equal(sink.messages.length, 1)
    })

    it('keeps an email queued, with an error naming CORDON_SMTP_URL, while no SMTP server is configured', async () => {
      const unconfigured = createNotifications({ db: database.db, clock: systemClock, audit, jobs, mail: { url: null, from: 'cordon@provider.example' } })
      const message = await database.db.transaction().execute((trx) => unconfigured.enqueue(trx, aMessage()))

      startWorker(unconfigured.deliver)
      await waitFor(async () => (await notifications.get(message.id)).attempts >= 1, 'a first attempt')
      await worker!.stop({ timeoutMs: 2000 })

      const current = await notifications.get(message.id)
      assert.notEqual(current.status, 'delivered')
      assert.match(current.deliveryLog[0]!.error ?? '', /CORDON_SMTP_URL/)
    })

    it('sends a test message to a channel now, logs it and audits it', async () => {
      const channel = await aWebhookChannel('slack')

      const result = await notifications.testChannel(systemActor, channel.id)

      assert.deepEqual([result.status, result.attempts, result.deliveryLog.map((a) => a.outcome)], ['delivered', 1, ['delivered']])
      assert.match(JSON.parse(receiver.requests[0]!.body).text, /Cordon test message for Hook/)
      const records = (await audit.list(allTenants, { targetType: 'notification_channel', targetId: channel.id })).items
      assert.deepEqual(records.map((r) => [r.action, r.details.delivered]).at(0), ['notification_channel.tested', true])
    })

    it('reports a failed test message as dead, with the receiver’s answer', async () => {
      const channel = await aWebhookChannel()
      answers = [{ status: 410, body: 'gone' }]

      const result = await notifications.testChannel(systemActor, channel.id)

      assert.equal(result.status, 'dead')
      assert.equal(result.deliveryLog[0]!.detail, 'HTTP 410 Gone: gone')
    })
  })
}
