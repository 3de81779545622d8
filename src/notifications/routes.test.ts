import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { testDialects } from '../db/testing.js'
import { createTestApp, type TestApp } from '../testing.js'
import { aMessage, startWebhookReceiver, type WebhookReceiver } from './testing.js'

// The HTTP door: staff only; admins change channels, responders test them, viewers read.

for (const dialect of testDialects) {
  describe(`notification routes (${dialect.name})`, { skip: dialect.skip }, () => {
    let t: TestApp
    let receiver: WebhookReceiver
    let admin: string
    let responder: string
    let viewer: string

    before(async () => {
      t = await createTestApp(dialect.name)
      receiver = await startWebhookReceiver()
      ;[admin, responder, viewer] = await Promise.all([t.tokenFor('admin'), t.tokenFor('responder'), t.tokenFor('viewer')])
    })
    after(async () => {
      await receiver.close()
      await t.close()
    })

    const call = (token: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
      t.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}` }, ...(payload !== undefined && { payload: payload as object }) })

    it('creates a webhook channel and shows its generated secret once', async () => {
      const created = await call(admin, 'POST', '/notification-channels', { name: 'Ops webhook', kind: 'webhook', url: `${receiver.url}/hooks/ops-secret` })
      const read = await call(admin, 'GET', `/notification-channels/${created.json().id}`)

      assert.equal(created.statusCode, 201, created.body)
      assert.match(created.json().secret, /^whsec_/)
      assert.equal(read.statusCode, 200)
      assert.equal(read.json().secret, undefined)
      assert.equal(read.json().url, `${receiver.url}/hooks/ops-secret`)
    })

    it('shows a viewer the channel’s origin, not its URL', async () => {
      const created = await call(admin, 'POST', '/notification-channels', { name: 'Slack', kind: 'webhook', preset: 'slack', url: 'https://hooks.slack.com/services/T0/B0/secret' })

      const listed = await call(viewer, 'GET', '/notification-channels')

      assert.equal(listed.statusCode, 200)
      const slack = listed.json().items.find((c: { id: string }) => c.id === created.json().id)
      assert.equal(slack.url, 'https://hooks.slack.com/…')
      assert.ok(!listed.body.includes('secret'))
    })

    it('refuses a non-http URL with 400 naming the field', async () => {
      const response = await call(admin, 'POST', '/notification-channels', { name: 'Bad', kind: 'webhook', url: 'javascript:alert(1)' })

      assert.equal(response.statusCode, 400)
      assert.deepEqual(response.json().errors.map((e: { field: string }) => e.field), ['url'])
    })

    it('refuses an unknown body property with 400', async () => {
      const response = await call(admin, 'POST', '/notification-channels', { name: 'Extra', kind: 'email', address: 'a@example.com', role: 'admin' })

      assert.equal(response.statusCode, 400)
    })

    it('lets a responder send a test message and answers with its delivery log', async () => {
      const created = await call(admin, 'POST', '/notification-channels', { name: 'Testable', kind: 'webhook', url: `${receiver.url}/test` })

      const tested = await call(responder, 'POST', `/notification-channels/${created.json().id}/test`)

      assert.equal(tested.statusCode, 200, tested.body)
      assert.equal(tested.json().status, 'delivered')
      assert.equal(tested.json().deliveryLog[0].detail, 'HTTP 200 OK: ok')
    })

    it('rotates a secret, disables a channel and deletes it', async () => {
      const created = (await call(admin, 'POST', '/notification-channels', { name: 'Changing', kind: 'webhook', url: `${receiver.url}/x` })).json()

      const rotated = await call(admin, 'PATCH', `/notification-channels/${created.id}`, { rotateSecret: true, disabled: true })
      const deleted = await call(admin, 'DELETE', `/notification-channels/${created.id}`)
      const gone = await call(admin, 'GET', `/notification-channels/${created.id}`)

      assert.equal(rotated.statusCode, 200, rotated.body)
      assert.notEqual(rotated.json().secret, created.secret)
      assert.ok(rotated.json().disabledAt)
      assert.equal(deleted.statusCode, 204)
      assert.equal(gone.statusCode, 404)
    })

    it('lists messages filtered by incident and shows one with its delivery log', async () => {
      const message = await t.services.database.db.transaction().execute((trx) => t.services.notifications.enqueue(trx, aMessage({ links: { incidentId: 'incident-77' } })))

      const listed = await call(viewer, 'GET', '/notifications?incidentId=incident-77&status=queued')
      const shown = await call(viewer, 'GET', `/notifications/${message.id}`)

      assert.equal(listed.statusCode, 200)
      assert.deepEqual(listed.json().items.map((m: { id: string }) => m.id), [message.id])
      assert.equal(shown.statusCode, 200)
      assert.deepEqual(shown.json().deliveryLog, [])
      assert.equal(shown.json().idempotencyKey, message.idempotencyKey)
    })

    it('refuses an unknown status filter with 400', async () => {
      const response = await call(viewer, 'GET', '/notifications?status=sent')

      assert.equal(response.statusCode, 400)
    })

    it('answers 404 for an unknown message', async () => {
      const response = await call(viewer, 'GET', '/notifications/no-such-message')

      assert.equal(response.statusCode, 404)
    })
  })
}
