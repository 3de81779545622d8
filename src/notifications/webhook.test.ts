import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import type { Notification } from './model.js'
import { verifyWebhookSignature } from './signature.js'
import { startWebhookReceiver, type WebhookAnswer, type WebhookReceiver } from './testing.js'
import { postWebhook, webhookBody } from './webhook.js'

const secret = 'whsec_webhook-test-secret'
const now = new Date('2026-03-29T10:00:00.000Z')

function aNotification(overrides: Partial<Notification> = {}): Notification {
  return {
    id: '0195e0a0-0000-7000-8000-000000000001',
    idempotencyKey: 'incident:42:opened',
    kind: 'webhook',
    channelId: 'c-1',
    channelName: 'Ops hook',
    recipient: 'http://127.0.0.1',
    recipientName: null,
    subject: 'Incident 42 opened <!channel>',
    text: 'Poisoned 3CX build on 12 endpoints & counting',
    html: null,
    event: { type: 'incident.opened', data: { incidentId: '42' } },
    status: 'queued',
    attempts: 0,
    lastError: null,
    customerId: 'cust-1',
    incidentId: '42',
    alertId: null,
    createdAt: '2026-03-29T09:59:00.000Z',
    updatedAt: '2026-03-29T09:59:00.000Z',
    deliveredAt: null,
    ...overrides,
  }
}

describe('webhook delivery over HTTP', () => {
  let receiver: WebhookReceiver
  let answer: WebhookAnswer = { status: 200, body: 'ok' }

  before(async () => {
    receiver = await startWebhookReceiver(() => answer)
  })
  after(() => receiver.close())
  beforeEach(() => {
    receiver.requests.length = 0
    answer = { status: 200, body: 'ok' }
  })

  const post = (overrides: { preset?: 'generic' | 'slack' | 'teams'; secret?: string | null; timeoutMs?: number; path?: string } = {}) =>
    postWebhook(fetch, { url: `${receiver.url}${overrides.path ?? '/hook'}`, preset: overrides.preset ?? 'generic', secret: overrides.secret === undefined ? secret : overrides.secret }, aNotification(), {
      now,
      signal: new AbortController().signal,
      ...(overrides.timeoutMs !== undefined && { timeoutMs: overrides.timeoutMs }),
    })

  it('posts the generic JSON document, signed so the receiver can verify it, with the idempotency key', async () => {
    const outcome = await post()

    assert.deepEqual(outcome, { ok: true, detail: 'HTTP 200 OK: ok' })
    const [request] = receiver.requests
    assert.equal(request?.method, 'POST')
    assert.equal(request.headers['idempotency-key'], 'incident:42:opened')
    assert.match(String(request.headers['content-type']), /^application\/json/)
    const verified = verifyWebhookSignature({ secret, body: request.body, timestamp: String(request.headers['cordon-timestamp']), signature: String(request.headers['cordon-signature']), now })
    assert.equal(verified.ok, true)
    assert.deepEqual(JSON.parse(request.body), {
      id: '0195e0a0-0000-7000-8000-000000000001',
      idempotencyKey: 'incident:42:opened',
      subject: 'Incident 42 opened <!channel>',
      text: 'Poisoned 3CX build on 12 endpoints & counting',
      event: { type: 'incident.opened', data: { incidentId: '42' } },
      links: { customerId: 'cust-1', incidentId: '42', alertId: null },
      createdAt: '2026-03-29T09:59:00.000Z',
    })
  })

  it('sends Slack a text with the subject in bold, escaped so it cannot mention anyone', async () => {
    await post({ preset: 'slack' })

    const body = JSON.parse(receiver.requests[0]!.body)
    assert.equal(body.text, '*Incident 42 opened &lt;!channel&gt;*\nPoisoned 3CX build on 12 endpoints &amp; counting')
    assert.deepEqual(body.blocks.map((block: { type: string }) => block.type), ['header', 'section'])
  })

  it('sends Teams a message with one Adaptive Card holding the subject and text', async () => {
    await post({ preset: 'teams' })

    const body = JSON.parse(receiver.requests[0]!.body)
    assert.equal(body.type, 'message')
    assert.equal(body.attachments.length, 1)
    assert.equal(body.attachments[0].contentType, 'application/vnd.microsoft.card.adaptive')
    assert.equal(body.attachments[0].content.type, 'AdaptiveCard')
    assert.deepEqual(body.attachments[0].content.body.map((block: { text: string }) => block.text), ['Incident 42 opened <!channel>', 'Poisoned 3CX build on 12 endpoints & counting'])
  })

  it('sends no signature headers for a channel without a secret', async () => {
    await post({ secret: null })

    assert.equal(receiver.requests[0]!.headers['cordon-signature'], undefined)
    assert.equal(receiver.requests[0]!.headers['idempotency-key'], 'incident:42:opened')
  })

  it('treats a 404 as permanent, keeping the status and the start of the answer for the log', async () => {
    answer = { status: 404, body: 'no_such_hook' }

    const outcome = await post()

    assert.deepEqual(outcome, { ok: false, permanent: true, error: 'the webhook answered HTTP 404 (permanent: it will not be retried)', detail: 'HTTP 404 Not Found: no_such_hook' })
  })

  it('retries on 429, 408 and 5xx', async () => {
    for (const status of [429, 408, 500, 503]) {
      answer = { status }

      const outcome = await post()

      assert.equal(outcome.ok, false)
      assert.equal(!outcome.ok && outcome.permanent, false, `HTTP ${status}`)
    }
  })

  it('does not follow a redirect, and says so', async () => {
    answer = { status: 301, headers: { location: 'http://127.0.0.1:1/elsewhere' } }

    const outcome = await post()

    assert.equal(receiver.requests.length, 1)
    assert.equal(outcome.ok, false)
    assert.ok(!outcome.ok && outcome.permanent)
    assert.match(!outcome.ok ? outcome.error : '', /redirect to http:\/\/127\.0\.0\.1:1\/elsewhere; redirects are not followed/)
  })

  it('gives up on a receiver that does not answer within the timeout, to try again later', async () => {
    answer = 'hang'

    const outcome = await post({ timeoutMs: 200 })

    assert.deepEqual(outcome, { ok: false, permanent: false, error: 'the webhook did not answer within 0.2 s', detail: null })
  })

  it('reports a receiver that cannot be reached, to try again later', async () => {
    const closed = await startWebhookReceiver()
    await closed.close()

    const outcome = await postWebhook(fetch, { url: `${closed.url}/hook`, preset: 'generic', secret }, aNotification(), { now, signal: new AbortController().signal })

    assert.equal(outcome.ok, false)
    assert.ok(!outcome.ok && !outcome.permanent)
    assert.match(!outcome.ok ? outcome.error : '', /could not reach the webhook: .*ECONNREFUSED/)
  })

  it('clips a Slack text to what Slack accepts', () => {
    const body = webhookBody('slack', aNotification({ text: 'x'.repeat(50_000) })) as { text: string; blocks: Array<{ text: { text: string } }> }

    assert.ok(body.text.length <= 39_000)
    assert.ok(body.blocks[1]!.text.text.length <= 3000)
  })
})
