import { createHmac, timingSafeEqual } from 'node:crypto'
import { err, ok, type Result } from '../shared/result.js'

/**
 * Webhook signatures (docs/webhooks.md is the receiver's recipe). Each request carries
 *   Cordon-Timestamp: <unix seconds>
 *   Cordon-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<raw body>" keyed with the channel's secret>
 * Signing the timestamp with the body lets a receiver refuse a captured request replayed later.
 */

export const timestampHeader = 'Cordon-Timestamp'
export const signatureHeader = 'Cordon-Signature'
export const idempotencyHeader = 'Idempotency-Key'

/** How far a request's timestamp may be from the receiver's clock, by default. */
export const defaultToleranceSeconds = 300

export function signWebhook(secret: string, timestamp: number, body: string | Buffer): string {
  return `v1=${mac(secret, String(timestamp), body).toString('hex')}`
}

export type SignatureFailure = 'missing_header' | 'malformed_header' | 'outside_replay_window' | 'signature_mismatch'

export interface WebhookVerifyInput {
  /** The channel's secret; several while rotating (any one may match). */
  secret: string | readonly string[]
  /** The raw request body, exactly as received: parsed and re-serialised JSON will not match. */
  body: string | Buffer
  /** The Cordon-Timestamp header's value. */
  timestamp: string | null | undefined
  /** The Cordon-Signature header's value: `v1=<hex>`, or several comma-separated. */
  signature: string | null | undefined
  now?: Date
  toleranceSeconds?: number
}

/**
 * Check a webhook request the way a receiver should: the timestamp within the replay window of
 * `now`, and a v1 signature that matches (compared in constant time).
 */
export function verifyWebhookSignature(input: WebhookVerifyInput): Result<{ timestamp: number }, SignatureFailure> {
  const { timestamp, signature } = input
  if (!timestamp || !signature) return err('missing_header')
  if (!/^\d{1,12}$/.test(timestamp.trim())) return err('malformed_header')
  const signatures = signature
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith('v1='))
    .map((part) => part.slice(3))
  if (signatures.length === 0 || !signatures.every((hex) => /^[0-9a-f]{64}$/i.test(hex))) return err('malformed_header')
  const seconds = Number(timestamp.trim())
  const now = Math.floor((input.now ?? new Date()).getTime() / 1000)
  if (Math.abs(now - seconds) > (input.toleranceSeconds ?? defaultToleranceSeconds)) return err('outside_replay_window')
  const secrets = typeof input.secret === 'string' ? [input.secret] : input.secret
  for (const secret of secrets) {
    const expected = mac(secret, timestamp.trim(), input.body)
    if (signatures.some((hex) => timingSafeEqual(expected, Buffer.from(hex, 'hex')))) return ok({ timestamp: seconds })
  }
  return err('signature_mismatch')
}

function mac(secret: string, timestamp: string, body: string | Buffer): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest()
}
