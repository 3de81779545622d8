import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import { createMailer, type EmailMessage } from './email.js'
import { startSmtpSink, type SmtpSink } from './testing.js'

const signal = new AbortController().signal

function anEmail(overrides: Partial<EmailMessage> = {}): EmailMessage {
  return {
    to: { address: 'soc@example.net', name: 'SOC Desk' },
    subject: 'Incident 42 opened',
    text: 'Poisoned 3CX build on 12 endpoints.',
    html: '<p>Poisoned 3CX build on <b>12</b> endpoints.</p>',
    idempotencyKey: 'incident:42:opened',
    ...overrides,
  }
}

describe('email delivery over SMTP', () => {
  let sink: SmtpSink

  before(async () => {
    sink = await startSmtpSink({ refuse: (address) => (address.startsWith('gone@') ? 550 : address.startsWith('busy@') ? 450 : undefined) })
  })
  after(() => sink.close())
  beforeEach(() => {
    sink.messages.length = 0
  })

  it('sends text and HTML from the configured sender, with a Message-ID derived from the idempotency key', async () => {
    const mailer = createMailer({ smtpUrl: sink.url, from: 'Cordon <cordon@provider.example>' })

    const outcome = await mailer.send(anEmail(), signal)

    assert.equal(outcome.ok, true)
    assert.match(outcome.ok ? outcome.detail : '', /^smtp:\/\/127\.0\.0\.1:\d+: 250 .*queued by the test sink/)
    const [mail] = sink.messages
    assert.equal(mail?.messageId, '<incident=3A42=3Aopened@cordon>')
    assert.equal(mail.headers.get('x-cordon-idempotency-key'), 'incident:42:opened')
    assert.equal(mail.subject, 'Incident 42 opened')
    assert.deepEqual(mail.from?.value, [{ address: 'cordon@provider.example', name: 'Cordon' }])
    assert.deepEqual(Array.isArray(mail.to) ? [] : mail.to?.value, [{ address: 'soc@example.net', name: 'SOC Desk' }])
    assert.equal(mail.text?.trim(), 'Poisoned 3CX build on 12 endpoints.')
    assert.equal(mail.html, '<p>Poisoned 3CX build on <b>12</b> endpoints.</p>')
  })

  it('sends text alone when there is no HTML', async () => {
    const mailer = createMailer({ smtpUrl: sink.url, from: 'cordon@provider.example' })

    await mailer.send(anEmail({ html: null, to: { address: 'soc@example.net', name: null } }), signal)

    assert.equal(sink.messages[0]?.html, false)
    assert.equal(sink.messages[0]?.text?.trim(), 'Poisoned 3CX build on 12 endpoints.')
  })

  it('treats a recipient the server refuses with 550 as permanent', async () => {
    const mailer = createMailer({ smtpUrl: sink.url, from: 'cordon@provider.example' })

    const outcome = await mailer.send(anEmail({ to: { address: 'gone@example.net', name: null } }), signal)

    assert.equal(outcome.ok, false)
    assert.ok(!outcome.ok && outcome.permanent, JSON.stringify(outcome))
    assert.match(!outcome.ok ? outcome.error : '', /550 .*gone@example\.net: refused by the test sink/)
  })

  it('retries a recipient the server turns away for now with 450', async () => {
    const mailer = createMailer({ smtpUrl: sink.url, from: 'cordon@provider.example' })

    const outcome = await mailer.send(anEmail({ to: { address: 'busy@example.net', name: null } }), signal)

    assert.equal(outcome.ok, false)
    assert.ok(!outcome.ok && !outcome.permanent, JSON.stringify(outcome))
  })

  it('retries when the server cannot be reached, naming it without its credentials', async () => {
    const closed = await startSmtpSink()
    await closed.close()
    const mailer = createMailer({ smtpUrl: closed.url.replace('smtp://', 'smtp://user:hunter2@'), from: 'cordon@provider.example' })

    const outcome = await mailer.send(anEmail(), signal)

    assert.equal(outcome.ok, false)
    assert.ok(!outcome.ok && !outcome.permanent)
    assert.match(!outcome.ok ? outcome.error : '', /^smtp:\/\/127\.0\.0\.1:\d+ refused or failed: .*ECONNREFUSED|ESOCKET|ECONNECTION/)
    assert.doesNotMatch(!outcome.ok ? outcome.error : '', /hunter2/)
  })

  it('fails, to be retried, with an error naming CORDON_SMTP_URL when no server is configured', async () => {
    const mailer = createMailer({ smtpUrl: null, from: 'cordon@provider.example' })

    const outcome = await mailer.send(anEmail(), signal)

    assert.equal(mailer.configured, false)
    assert.deepEqual(outcome, { ok: false, permanent: false, error: 'email is not configured: set CORDON_SMTP_URL to an smtp:// or smtps:// URL and restart Cordon', detail: null })
  })
})
