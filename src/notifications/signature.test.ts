import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { describe, it } from 'node:test'
import { runInNewContext } from 'node:vm'
import { signWebhook, verifyWebhookSignature } from './signature.js'

const secret = 'whsec_test-secret-of-enough-length'
const body = '{"subject":"Incident opened","text":"…"}'
const sentAt = new Date('2026-03-29T10:00:00.000Z')
const timestamp = String(sentAt.getTime() / 1000)

describe('webhook signatures', () => {
  it('is the hex HMAC-SHA256 of "<timestamp>.<body>", as docs/webhooks.md tells receivers to compute it', () => {
    const expected = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')

    assert.equal(signWebhook(secret, Number(timestamp), body), `v1=${expected}`)
  })

  it('verifies a request signed with the secret, within the replay window', () => {
    const signature = signWebhook(secret, Number(timestamp), body)

    const result = verifyWebhookSignature({ secret, body: Buffer.from(body), timestamp, signature, now: new Date(sentAt.getTime() + 60_000) })

    assert.deepEqual(result, { ok: true, value: { timestamp: Number(timestamp) } })
  })

  it('refuses a body changed after signing', () => {
    const signature = signWebhook(secret, Number(timestamp), body)

    const result = verifyWebhookSignature({ secret, body: body.replace('opened', 'closed'), timestamp, signature, now: sentAt })

    assert.deepEqual(result, { ok: false, error: 'signature_mismatch' })
  })

  it('refuses a timestamp changed after signing', () => {
    const signature = signWebhook(secret, Number(timestamp), body)

    const result = verifyWebhookSignature({ secret, body, timestamp: String(Number(timestamp) + 1), signature, now: sentAt })

    assert.deepEqual(result, { ok: false, error: 'signature_mismatch' })
  })

  it('refuses a validly signed request replayed after the window', () => {
    const signature = signWebhook(secret, Number(timestamp), body)

    const result = verifyWebhookSignature({ secret, body, timestamp, signature, now: new Date(sentAt.getTime() + 301_000) })

    assert.deepEqual(result, { ok: false, error: 'outside_replay_window' })
  })

  it('refuses a request signed with another secret', () => {
    const signature = signWebhook('whsec_some-other-secret-value', Number(timestamp), body)

    assert.deepEqual(verifyWebhookSignature({ secret, body, timestamp, signature, now: sentAt }), { ok: false, error: 'signature_mismatch' })
  })

  it('accepts either of two secrets while one is being rotated', () => {
    const signature = signWebhook(secret, Number(timestamp), body)

    const result = verifyWebhookSignature({ secret: ['whsec_the-new-secret-value', secret], body, timestamp, signature, now: sentAt })

    assert.equal(result.ok, true)
  })

  it('names missing and malformed headers without throwing', () => {
    assert.deepEqual(verifyWebhookSignature({ secret, body, timestamp: undefined, signature: 'v1=00', now: sentAt }), { ok: false, error: 'missing_header' })
    assert.deepEqual(verifyWebhookSignature({ secret, body, timestamp, signature: 'v1=not-hex', now: sentAt }), { ok: false, error: 'malformed_header' })
    assert.deepEqual(verifyWebhookSignature({ secret, body, timestamp: 'yesterday', signature: signWebhook(secret, 1, body), now: sentAt }), { ok: false, error: 'malformed_header' })
    assert.deepEqual(verifyWebhookSignature({ secret, body, timestamp, signature: 'v0=abc', now: sentAt }), { ok: false, error: 'malformed_header' })
  })
})

describe('the recipe in docs/webhooks.md', () => {
  type Verify = (secret: string, headers: Record<string, string>, rawBody: Buffer, toleranceSeconds?: number) => boolean
  const document = readFileSync(new URL('../../docs/webhooks.md', import.meta.url), 'utf8')
  const code = /```js\n([\s\S]*?function verifyCordonWebhook[\s\S]*?)```/.exec(document)?.[1]
  const verify = runInNewContext(`${code ?? ''}\nverifyCordonWebhook`, { require: createRequire(import.meta.url), Buffer, Date }) as Verify

  function signedNow(): { headers: Record<string, string>; body: Buffer } {
    const now = Math.floor(Date.now() / 1000)
    return { headers: { 'cordon-timestamp': String(now), 'cordon-signature': signWebhook(secret, now, body) }, body: Buffer.from(body) }
  }

  it('verifies a request Cordon signed', () => {
    const { headers, body: raw } = signedNow()

    assert.equal(verify(secret, headers, raw), true)
  })

  it('refuses a changed body, another secret, and an old timestamp', () => {
    const { headers, body: raw } = signedNow()
    const old = Math.floor(Date.now() / 1000) - 600

    assert.equal(verify(secret, headers, Buffer.from(body.replace('opened', 'closed'))), false)
    assert.equal(verify('whsec_another-secret-entirely', headers, raw), false)
    assert.equal(verify(secret, { 'cordon-timestamp': String(old), 'cordon-signature': signWebhook(secret, old, body) }, raw), false)
  })
})
