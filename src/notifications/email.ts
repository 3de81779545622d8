import { createTransport } from 'nodemailer'
import { messageIdFor, type SendOutcome } from './model.js'

/** Email delivery over SMTP (nodemailer): one message per connection, its Message-ID from the idempotency key. */

export interface EmailMessage {
  to: { address: string; name: string | null }
  subject: string
  text: string
  html: string | null
  idempotencyKey: string
}

export interface Mailer {
  /** Whether an SMTP server is configured at all. */
  readonly configured: boolean
  send(message: EmailMessage, signal: AbortSignal): Promise<SendOutcome>
}

export interface MailerConfig {
  /** smtp:// or smtps:// URL (credentials and options such as ?tls.rejectUnauthorized=false may be in it); null: not configured. */
  smtpUrl: string | null
  from: string
}

const timeouts = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 }

/**
 * A mailer for a configured server. Without one, each send fails (and is retried, so messages go
 * out once the variable is set and Cordon restarted) with an error that names the variable.
 */
export function createMailer(config: MailerConfig): Mailer {
  // Not pooled: a pool keeps connections (and the process) alive between sends, and notification
  // volumes do not need one.
  const transport = config.smtpUrl === null ? undefined : createTransport({ url: config.smtpUrl, ...timeouts })
  const server = config.smtpUrl === null ? '' : describeServer(config.smtpUrl)

  async function send(message: EmailMessage, signal: AbortSignal): Promise<SendOutcome> {
    if (!transport) {
      return { ok: false, permanent: false, error: 'email is not configured: set CORDON_SMTP_URL to an smtp:// or smtps:// URL and restart Cordon', detail: null }
    }
    try {
      const info = await transport.sendMail({
        from: config.from,
        to: message.to.name ? { name: message.to.name, address: message.to.address } : message.to.address,
        subject: message.subject,
        text: message.text,
        ...(message.html !== null && { html: message.html }),
        messageId: messageIdFor(message.idempotencyKey),
        headers: { 'X-Cordon-Idempotency-Key': message.idempotencyKey },
        // Nothing outside the message itself: no files, no URLs fetched into it.
        disableFileAccess: true,
        disableUrlAccess: true,
        signal,
      })
      return { ok: true, detail: clip(`${server}: ${info.response ?? 'accepted'}`) }
    } catch (error) {
      return classify(error, server)
    }
  }

  return { configured: transport !== undefined, send }
}

/**
 * A refusal of the recipient or of the message itself (5xx to RCPT TO or DATA) would be refused
 * again. Anything else (no connection, a timeout, 4xx, a rejected login or sender) may pass later,
 * or once the configuration is fixed.
 */
function classify(error: unknown, server: string): SendOutcome {
  const details = (error ?? {}) as { message?: string; code?: string; command?: string; response?: string; responseCode?: number; permanent?: boolean }
  const command = details.command ?? ''
  const permanent = details.permanent === true && (details.code === 'EENVELOPE' || /^(RCPT|DATA)/i.test(command))
  const reason = details.response ?? details.message ?? String(error)
  const code = details.code ? ` (${details.code}${command ? ` at ${command}` : ''})` : ''
  return {
    ok: false,
    permanent,
    error: clip(`${server || 'the SMTP server'} refused or failed: ${reason}${code}${permanent ? ' (permanent: it will not be retried)' : ''}`),
    detail: details.response ? clip(details.response) : null,
  }
}

/** The server as logs may show it: scheme, host and port, never the credentials. */
function describeServer(url: string): string {
  try {
    const parsed = new URL(url)
    return `${parsed.protocol}//${parsed.host}`
  } catch {
    return 'the SMTP server'
  }
}

function clip(text: string): string {
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim()
  return clean.length > 1000 ? `${clean.slice(0, 999)}…` : clean
}
