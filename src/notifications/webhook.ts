import type { Notification, SendOutcome, WebhookPreset } from './model.js'
import { idempotencyHeader, signatureHeader, signWebhook, timestampHeader } from './signature.js'

/** Webhook delivery: the body each preset sends, and one signed POST with its outcome. */

export interface WebhookTarget {
  url: string
  preset: WebhookPreset
  secret: string | null
}

/** How long one POST may take, from connecting to the end of the answer's headers. */
export const webhookTimeoutMs = 10_000
/** How much of an answer's body the delivery log keeps. */
const bodySampleBytes = 300

/** Slack shows at most 150 characters in a header block and 3,000 in a section, and refuses a text over 40,000. */
const slackLimits = { header: 150, section: 3000, text: 39_000 }

/**
 * The JSON body for a preset. Generic: Cordon's own document. Slack: `text` (what notifications and
 * clients without blocks show) and blocks. Teams: a message with one Adaptive Card attachment.
 */
export function webhookBody(preset: WebhookPreset, message: Notification): unknown {
  if (preset === 'slack') {
    return {
      text: clip(`*${slackEscape(message.subject)}*\n${slackEscape(message.text)}`.trim(), slackLimits.text),
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: clip(message.subject, slackLimits.header), emoji: false } },
        ...(message.text.trim() === '' ? [] : [{ type: 'section', text: { type: 'mrkdwn', text: clip(slackEscape(message.text), slackLimits.section) } }]),
      ],
    }
  }
  if (preset === 'teams') {
    return {
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          contentUrl: null,
          content: {
            $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
            type: 'AdaptiveCard',
            version: '1.4',
            body: [
              { type: 'TextBlock', text: message.subject, weight: 'Bolder', size: 'Medium', wrap: true },
              ...(message.text.trim() === '' ? [] : [{ type: 'TextBlock', text: message.text, wrap: true }]),
            ],
          },
        },
      ],
    }
  }
  return {
    id: message.id,
    idempotencyKey: message.idempotencyKey,
    subject: message.subject,
    text: message.text,
    event: message.event,
    links: { customerId: message.customerId, incidentId: message.incidentId, alertId: message.alertId },
    createdAt: message.createdAt,
  }
}

/**
 * POST the message, signed, without following redirects. 2xx is delivered; 408, 429 and 5xx,
 * timeouts and network errors are worth another try; any other answer will not change by itself
 * (a wrong URL, a refused payload), so it is permanent.
 */
export async function postWebhook(
  fetcher: typeof fetch,
  target: WebhookTarget,
  message: Notification,
  options: { now: Date; signal: AbortSignal; timeoutMs?: number },
): Promise<SendOutcome> {
  const timeoutMs = options.timeoutMs ?? webhookTimeoutMs
  const body = JSON.stringify(webhookBody(target.preset, message))
  const timestamp = Math.floor(options.now.getTime() / 1000)
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'user-agent': 'Cordon-Webhooks/1',
    [idempotencyHeader]: message.idempotencyKey,
  }
  if (target.secret !== null) {
    headers[timestampHeader] = String(timestamp)
    headers[signatureHeader] = signWebhook(target.secret, timestamp, body)
  }
  const signal = AbortSignal.any([options.signal, AbortSignal.timeout(timeoutMs)])
  let response: Response
  try {
    response = await fetcher(target.url, { method: 'POST', headers, body, redirect: 'manual', signal })
  } catch (error) {
    return { ok: false, permanent: false, error: describeFetchError(error, signal, timeoutMs), detail: null }
  }
  const sample = await readSample(response)
  const detail = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}${sample ? `: ${sample}` : ''}`
  if (response.status >= 200 && response.status < 300) return { ok: true, detail }
  if (response.status >= 300 && response.status < 400) {
    const location = response.headers.get('location')
    return { ok: false, permanent: true, error: `the webhook answered with a redirect${location ? ` to ${clip(location, 200)}` : ''}; redirects are not followed, so give the channel its final URL`, detail }
  }
  const retry = response.status === 408 || response.status === 429 || response.status >= 500
  return { ok: false, permanent: !retry, error: `the webhook answered HTTP ${response.status}${retry ? '' : ' (permanent: it will not be retried)'}`, detail }
}

/** The start of the answer's body for the log (control characters blanked); the rest is discarded. */
async function readSample(response: Response): Promise<string> {
  if (!response.body) return ''
  const reader = response.body.getReader()
  const chunks: Buffer[] = []
  let size = 0
  try {
    while (size < bodySampleBytes) {
      const { done, value } = await reader.read()
      if (done) break
      chunks.push(Buffer.from(value))
      size += value.byteLength
    }
  } catch {
    // A body cut short still leaves its status; the sample is only for people reading the log.
  } finally {
    await reader.cancel().catch(() => {})
  }
  const text = Buffer.concat(chunks).subarray(0, bodySampleBytes).toString('utf8')
  return text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim()
}

function describeFetchError(error: unknown, signal: AbortSignal, timeoutMs: number): string {
  if (signal.aborted) {
    const reason: unknown = signal.reason
    if (reason instanceof Error && reason.name === 'TimeoutError') return `the webhook did not answer within ${timeoutMs / 1000} s`
    return `the delivery was stopped: ${reason instanceof Error ? reason.message : String(reason)}`
  }
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : undefined
  const code = cause && 'code' in cause ? ` (${String(cause.code)})` : ''
  return `could not reach the webhook: ${cause?.message ?? (error instanceof Error ? error.message : String(error))}${code}`
}

/** Slack reads <…> as links and mentions (<!channel> pages everyone): text from elsewhere is escaped. */
function slackEscape(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
}

function clip(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text
}
