import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { addressProblem, defaultTemplate, overallState, renderNotice, signAcknowledgement, templateProblems, verifyAcknowledgement, type NoticeFacts } from './model.js'

const noticeId = '0190a000-0000-7000-8000-000000000001'
const contactId = '0190a000-0000-7000-8000-000000000002'
const now = new Date('2026-03-30T09:00:00Z')
const later = new Date('2026-04-30T09:00:00Z')

function facts(overrides: Partial<NoticeFacts> = {}): NoticeFacts {
  return {
    customer: { id: 'c1', name: 'Acme Telecom', kind: 'customer' },
    incident: null,
    advisory: { id: 'CORDON-2023-0001', title: '3CX Desktop App supply-chain compromise' },
    endpoints: ['acme-pbx: 3CX 3CX Desktop App 18.12.416'],
    sightings: [],
    actions: ['Uninstall the desktop app'],
    deadline: '2026-04-01T00:00:00.000Z',
    ...overrides,
  }
}

describe('notice templates', () => {
  it('accepts the default template', () => {
    assert.deepEqual(templateProblems(defaultTemplate.subject, defaultTemplate.body), [])
  })

  it('names a placeholder that refers to a field notices do not have, and where it is', () => {
    const problems = templateProblems('Hello {{customer.name}}', 'Your phone: {{customer.phone}}')

    assert.equal(problems.length, 1)
    assert.equal(problems[0]!.field, 'body')
    assert.match(problems[0]!.message, /customer\.phone/)
  })

  it('refuses a list field in the subject line', () => {
    assert.equal(templateProblems('{{endpoints}}', 'x')[0]!.field, 'subject')
  })

  it('escapes interpolated values in the HTML instead of interpreting them as HTML or Markdown', () => {
    const rendered = renderNotice({ subject: '{{customer.name}}', body: 'Dear {{customer.name}}\n\n{{endpoints}}' }, facts({ customer: { id: 'c1', name: '<script>alert(1)</script> **Bold**', kind: 'customer' }, endpoints: ['<img src=x onerror=alert(1)>'] }), 'https://x/ack/t')

    assert.ok(!rendered.html.includes('<script>'))
    assert.ok(!rendered.html.includes('<img'))
    assert.ok(!rendered.html.includes('<strong>Bold'))
    assert.match(rendered.html, /&lt;script&gt;alert\(1\)&lt;\/script&gt; \*\*Bold\*\*/)
    assert.match(rendered.html, /<ul>\n<li>&lt;img src=x onerror=alert\(1\)&gt;<\/li>\n<\/ul>/)
  })

  it('renders a plain-text version with lists as dashes and the acknowledgement link as written', () => {
    const rendered = renderNotice(defaultTemplate, facts(), 'https://cordon.example/ack/abc')

    assert.match(rendered.text, /- acme-pbx: 3CX 3CX Desktop App 18\.12\.416/)
    assert.match(rendered.text, /https:\/\/cordon\.example\/ack\/abc/)
    assert.equal(rendered.subject, 'Action required: 3CX Desktop App supply-chain compromise')
  })

  it('keeps a value with a line break on one line in the subject', () => {
    const rendered = renderNotice({ subject: 'For {{customer.name}}', body: 'x' }, facts({ customer: { id: 'c1', name: 'Acme\r\nBcc: evil@example.com', kind: 'customer' } }), '')
    assert.ok(!/[\r\n]/.test(rendered.subject))
  })
})

describe('acknowledgement tokens', () => {
  const secret = randomBytes(32)

  it('accepts a token it signed, before it expires', () => {
    const token = signAcknowledgement(secret, noticeId, contactId, later)
    assert.deepEqual(verifyAcknowledgement(secret, token, now), { ok: true, noticeId, contactId, expiresAt: new Date(Math.floor(later.getTime() / 1000) * 1000) })
  })

  it('refuses a token once it has expired', () => {
    const token = signAcknowledgement(secret, noticeId, contactId, later)
    assert.deepEqual(verifyAcknowledgement(secret, token, new Date(later.getTime() + 1000)), { ok: false, reason: 'expired' })
  })

  it('refuses a token whose expiry was pushed back', () => {
    const token = signAcknowledgement(secret, noticeId, contactId, now)
    const [payload, signature] = token.split('.') as [string, string]
    const bytes = Buffer.from(payload, 'base64url')
    bytes.writeUIntBE(9_999_999_999, 32, 6)
    assert.deepEqual(verifyAcknowledgement(secret, `${bytes.toString('base64url')}.${signature}`, now), { ok: false, reason: 'invalid' })
  })

  it('keeps the token short enough for a URL path parameter', () => {
    assert.ok(signAcknowledgement(secret, noticeId, contactId, later).length <= 100)
  })

  it('refuses a token signed with another secret', () => {
    const token = signAcknowledgement(randomBytes(32), noticeId, contactId, later)
    assert.deepEqual(verifyAcknowledgement(secret, token, now), { ok: false, reason: 'invalid' })
  })

  it('refuses garbage without throwing', () => {
    for (const token of ['', 'x', '.'.repeat(200), `${'A'.repeat(51)}.${'A'.repeat(43)}`, '\u0000'.repeat(10)]) {
      assert.equal(verifyAcknowledgement(secret, token, now).ok, false)
    }
  })
})

describe('recipients', () => {
  it('finds an address the outbox would refuse', () => {
    assert.equal(addressProblem('ann@acme.example'), undefined)
    assert.match(addressProblem('dan@exa_mple.com') ?? '', /not an email address/)
  })

  it('counts a customer acknowledged when anyone there acknowledged, and bounced only when every message died', () => {
    assert.equal(overallState(['bounced', 'acknowledged', 'queued']), 'acknowledged')
    assert.equal(overallState(['bounced', 'delivered']), 'delivered')
    assert.equal(overallState(['bounced', 'bounced']), 'bounced')
  })
})
