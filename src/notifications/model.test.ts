import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { emailAddressProblem, messageIdFor, outboundMessageProblems, redactWebhookUrl, webhookUrlProblem, type OutboundMessage } from './model.js'
import { aMessage } from './testing.js'

function fieldsOf(message: unknown): string[] {
  return outboundMessageProblems(message as OutboundMessage).map((problem) => problem.field)
}

describe('outbound message checks', () => {
  it('finds nothing wrong with a well-formed message to an address or to a channel', () => {
    assert.deepEqual(fieldsOf(aMessage({ html: '<p>hi</p>', event: { type: 'incident.opened', data: { id: 1 } }, links: { incidentId: 'i-1' } })), [])
    assert.deepEqual(fieldsOf(aMessage({ to: { channelId: 'c-1' } })), [])
  })

  it('names each bad field of a message at once', () => {
    const problems = fieldsOf({
      idempotencyKey: 'has space',
      to: { email: 'two@example.com, three@example.com' },
      subject: 'line one\r\nBcc: victim@example.com',
      text: 'x'.repeat(50_001),
      html: 42,
      event: { type: 'bad type!', data: 1n },
      links: { incidentId: '' },
    })

    assert.deepEqual(problems, ['idempotencyKey', 'to.email', 'subject', 'text', 'html', 'event.type', 'event.data', 'links.incidentId'])
  })

  it('refuses a recipient that is neither an address nor a channel, or is both', () => {
    assert.deepEqual(fieldsOf(aMessage({ to: {} as never })), ['to'])
    assert.deepEqual(fieldsOf(aMessage({ to: { email: 'a@example.com', channelId: 'c' } as never })), ['to'])
  })

  it('refuses a display name that could write mail headers', () => {
    assert.deepEqual(fieldsOf(aMessage({ to: { email: 'a@example.com', name: 'Ann\nBcc: x@example.com' } })), ['to.name'])
  })

  it('refuses event data over 64 KiB as JSON', () => {
    assert.deepEqual(fieldsOf(aMessage({ event: { type: 'big', data: 'x'.repeat(70_000) } })), ['event.data'])
  })

  it('refuses a message that is not an object without throwing', () => {
    assert.deepEqual(fieldsOf(null), ['(root)'])
  })
})

describe('email addresses', () => {
  it('accepts ordinary addresses', () => {
    for (const address of ['soc@example.net', 'first.last+tag@mail.example.co.uk', "o'brien@example.ie"]) assert.equal(emailAddressProblem(address), undefined, address)
  })

  it('refuses what is not one plain address', () => {
    for (const address of ['', 'no-at-sign', '@example.com', 'a@localhost', 'a@-bad.example', 'a..b@example.com', '.a@example.com', 'a b@example.com', 'Ann <a@example.com>', 'a@example.com,b@example.com', 'x'.repeat(250) + '@e.com']) {
      assert.notEqual(emailAddressProblem(address), undefined, address)
    }
  })
})

describe('webhook URLs', () => {
  it('accepts http and https URLs', () => {
    assert.equal(webhookUrlProblem('https://hooks.slack.com/services/T0/B0/secret'), undefined)
    assert.equal(webhookUrlProblem('http://127.0.0.1:8080/hook'), undefined)
  })

  it('refuses other schemes, credentials in the URL and what is not a URL, saying why', () => {
    assert.match(webhookUrlProblem('ftp://example.com/') ?? '', /http:\/\/ or https:\/\//)
    assert.match(webhookUrlProblem('file:///etc/passwd') ?? '', /http:\/\/ or https:\/\//)
    assert.match(webhookUrlProblem('https://user:pass@example.com/') ?? '', /user name or password/)
    assert.match(webhookUrlProblem('not a url') ?? '', /is not a URL/)
  })

  it('shows only the origin of a URL whose path may be its credential', () => {
    assert.equal(redactWebhookUrl('https://hooks.slack.com/services/T0/B0/secret?x=1'), 'https://hooks.slack.com/…')
    assert.equal(redactWebhookUrl('https://example.com'), 'https://example.com')
  })
})

describe('Message-IDs from idempotency keys', () => {
  it('keeps a key made of Message-ID characters as it is', () => {
    assert.equal(messageIdFor('incident-42.opened'), '<incident-42.opened@cordon>')
  })

  it('encodes the characters a Message-ID may not hold, so the result is a valid msg-id', () => {
    const id = messageIdFor('incident:42/opened=1 (ann@example.com)..')

    assert.match(id, /^<[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@cordon>$/)
    assert.doesNotMatch(id.slice(1, id.indexOf('@cordon')), /^\.|\.\.|\.$|@/)
  })

  it('never gives two keys the same Message-ID', () => {
    const keys = ['a=b', 'a=3Db', 'a:b', 'a=3Ab', 'a.b', 'a=2Eb', '.a', '=2Ea', 'a..b', 'a.=2Eb']
    const ids = new Set(keys.map(messageIdFor))

    assert.equal(ids.size, keys.length)
  })
})
