import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { testDialects } from '../db/testing.js'
import { allTenants, systemActor, type Actor } from '../shared/actor.js'
import { FakeClock } from '../shared/clock.js'
import { createTestApp, type TestApp } from '../testing.js'
import { pageContentSecurityPolicy } from './pages.js'

// The comms API through HTTP: the same rules as the service, answered as problem documents; every
// answer carries what the service returned (the response schemas drop nothing), and the portal
// answers a browser with the customer's status page.

const start = '2026-04-01T08:00:00.000Z'
const minute = 60_000
const browserAccept = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'

function snapshot(host: string, customer: string): string {
  return JSON.stringify({ snapshot: [{ name: '3CX Desktop App', version: '18.12.416', publisher: '3CX Ltd' }], action: 'snapshot', name: 'pack_programs', hostIdentifier: host, unixTime: 1_680_000_000, decorations: { customer } })
}

/** The actor a customer token for these customers resolves to, for calling the service directly. */
function customerActor(...customerIds: string[]): Actor {
  return { ...systemActor, role: 'customer', scope: { all: false, customerIds } }
}

for (const dialect of testDialects) {
  describe(`comms routes (${dialect.name})`, { skip: dialect.skip }, () => {
    let test: TestApp
    let clock: FakeClock
    let responder: string
    let incident: string
    let advisoryId: string
    let acme: string
    let beta: string
    let reseller: string
    let acmeIncident: string
    let betaIncident: string

    const as = (token: string, headers: Record<string, string> = {}) => ({ authorization: `Bearer ${token}`, ...headers })

    before(async () => {
      clock = new FakeClock(start)
      test = await createTestApp(dialect.name, { clock })
      const { customers, inventory, incidents, intel, remediation } = test.services
      responder = await test.tokenFor('responder')
      const lonely = await customers.create(systemActor, { name: 'Lonely Ltd' })
      incident = (await incidents.open(systemActor, { title: 'Routes fixture', severity: 'SEV3', customerIds: [lonely.id] })).id
      acme = (
        await customers.create(systemActor, {
          name: 'Acme Telecom',
          contacts: [
            { name: 'Ann', email: 'ann@acme.example', role: 'security' },
            { name: 'Art', email: 'art@acme.example', role: 'technical' },
            { name: 'Dud', email: 'dud@exa_mple.com', role: 'technical' },
          ],
        })
      ).id
      reseller = (await customers.create(systemActor, { name: 'Reseller One', kind: 'partner', contacts: [{ name: 'Pat', email: 'pat@reseller.example', role: 'primary' }] })).id
      beta = (await customers.create(systemActor, { name: 'Beta Networks', parentId: reseller, contacts: [{ name: 'Bob', email: 'bob@beta.example', role: 'security' }] })).id
      await inventory.importInventory(systemActor, {
        file: 'osquery.log',
        bytes: (async function* () {
          yield Buffer.from(`${snapshot('acme-pbx', 'Acme Telecom')}\n${snapshot('beta-pbx', 'Beta Networks')}\n`)
        })(),
      })
      advisoryId = (await intel.getAdvisory('CORDON-2023-0001')).id
      await remediation.createCampaign(systemActor, { advisoryId, actions: [{ kind: 'av_scan' }] })
      acmeIncident = (await incidents.open(systemActor, { title: 'Falcon internal codename', severity: 'SEV2', customerIds: [acme] })).id
      betaIncident = (await incidents.open(systemActor, { title: 'Heron internal codename', severity: 'SEV3', customerIds: [beta] })).id
      await test.services.comms.publish(systemActor, betaIncident, { title: 'Beta switchboard outage' })
    })
    after(() => test.close())

    it('answers 400 naming the field when a template refers to a field notices do not have', async () => {
      const response = await test.inject({ method: 'POST', url: '/api/v1/comms/templates', headers: as(responder), payload: { name: 'Bad', subject: '{{customer.name}}', body: '{{customer.vat}}' } })

      assert.equal(response.statusCode, 400)
      assert.deepEqual(response.json().errors.map((e: { field: string }) => e.field), ['body'])
    })

    it('answers 400 naming the customer with no contacts before sending anything', async () => {
      const response = await test.inject({ method: 'POST', url: '/api/v1/notices', headers: as(responder), payload: { incidentId: incident } })

      assert.equal(response.statusCode, 400)
      assert.match(response.json().detail, /Lonely Ltd has no contacts/)
      assert.deepEqual(await test.services.comms.listNotices(systemActor.scope, { incidentId: incident }), [])
    })

    it('previews the notice of a customer with no contacts, listing the problem', async () => {
      const response = await test.inject({ method: 'POST', url: '/api/v1/notices/preview', headers: as(responder), payload: { incidentId: incident, customer: 'Lonely Ltd' } })

      assert.equal(response.statusCode, 200)
      assert.deepEqual(response.json().recipients, [])
      assert.deepEqual(response.json().problems.map((p: { problem: string }) => p.problem), ['no_contacts'])
      assert.match(response.json().html, /Lonely Ltd/)
    })

    it('answers an acknowledgement link that is far too long without crashing', async () => {
      const response = await test.inject({ method: 'GET', url: `/ack/${'x'.repeat(5000)}` })

      assert.ok(response.statusCode >= 400 && response.statusCode < 500, String(response.statusCode))
    })

    describe('answers with every field the service returns', () => {
      it('creates, changes, lists and shows templates with all their fields', async () => {
        const created = await test.inject({ method: 'POST', url: '/api/v1/comms/templates', headers: as(responder), payload: { name: 'Short notice', subject: 'About {{advisory.id}}', body: 'Hello {{customer.name}}' } })
        const id = created.json().id as string
        clock.advance(minute)
        const changed = await test.inject({ method: 'PUT', url: `/api/v1/comms/templates/${id}`, headers: as(responder), payload: { name: 'Short notice', subject: 'Re: {{advisory.id}}', body: 'Hi {{customer.name}}' } })
        const shown = await test.inject({ method: 'GET', url: `/api/v1/comms/templates/${id}`, headers: as(responder) })
        const listed = await test.inject({ method: 'GET', url: '/api/v1/comms/templates', headers: as(responder) })

        assert.equal(created.statusCode, 201)
        assert.deepEqual(created.json(), { id, name: 'Short notice', subject: 'About {{advisory.id}}', body: 'Hello {{customer.name}}', createdAt: start, updatedAt: start })
        assert.equal(changed.statusCode, 200)
        assert.deepEqual(changed.json(), { id, name: 'Short notice', subject: 'Re: {{advisory.id}}', body: 'Hi {{customer.name}}', createdAt: start, updatedAt: clock.now().toISOString() })
        assert.deepEqual(shown.json(), await test.services.comms.getTemplate(id))
        assert.deepEqual(listed.json(), await test.services.comms.listTemplates())
        assert.ok(listed.json().some((t: { id: string }) => t.id === id))
      })

      it('previews a notice with its recipients, problems and rendered text, as the service does', async () => {
        const request = { advisoryId, customers: ['Acme Telecom'] }
        const dud = (await test.services.customers.get(allTenants, acme)).contacts.find((c) => c.name === 'Dud')!

        const response = await test.inject({ method: 'POST', url: '/api/v1/notices/preview', headers: as(responder), payload: { ...request, customer: 'Acme Telecom' } })

        assert.equal(response.statusCode, 200)
        const body = response.json()
        assert.deepEqual(body, await test.services.comms.preview(systemActor, request, 'Acme Telecom'))
        assert.deepEqual(Object.keys(body).sort(), ['channels', 'customerId', 'customerName', 'html', 'problems', 'recipients', 'subject', 'text'])
        assert.deepEqual(body.recipients.map((r: { name: string; email: string }) => `${r.name} <${r.email}>`).sort(), ['Ann <ann@acme.example>', 'Art <art@acme.example>'])
        assert.ok(body.recipients.every((r: { contactId: string }) => r.contactId.length > 0))
        assert.deepEqual(body.problems, [{ customerId: acme, customerName: 'Acme Telecom', contactId: dud.id, problem: 'invalid_address', message: body.problems[0]!.message }])
        assert.match(body.problems[0]!.message, /dud@exa_mple\.com/)
        assert.match(body.text, /acme-pbx/)
      })

      it('sends notices and answers each notice and each problem, then the notice’s status per recipient and the list', async () => {
        const sent = await test.inject({ method: 'POST', url: '/api/v1/notices', headers: as(responder), payload: { advisoryId, customers: ['Acme Telecom'], sendDespiteProblems: true } })

        assert.equal(sent.statusCode, 201)
        const report = sent.json()
        assert.equal(report.notices.length, 1)
        assert.deepEqual({ ...(report.notices[0] as Record<string, unknown>), id: undefined }, { id: undefined, customerId: acme, customerName: 'Acme Telecom', recipients: 2, channels: 0 })
        assert.deepEqual(report.problems.map((p: { customerName: string; problem: string; contactId: string | null }) => [p.customerName, p.problem, typeof p.contactId]), [['Acme Telecom', 'invalid_address', 'string']])
        const noticeId = report.notices[0].id as string

        const status = await test.inject({ method: 'GET', url: `/api/v1/notices/${noticeId}`, headers: as(responder) })
        const listed = await test.inject({ method: 'GET', url: `/api/v1/notices?customerId=${acme}`, headers: as(responder) })

        assert.equal(status.statusCode, 200)
        const expected = await test.services.comms.status(allTenants, noticeId)
        assert.deepEqual(status.json(), expected)
        assert.equal(status.json().notice.advisoryId, advisoryId)
        assert.equal(status.json().notice.expiresAt, new Date(Date.parse(clock.now().toISOString()) + 30 * 86_400_000).toISOString())
        assert.deepEqual(
          status.json().recipients.map((r: { email: string; state: string; lastError: string | null; acknowledgedAt: string | null; notificationId: string }) => [r.email, r.state, r.lastError, r.acknowledgedAt, r.notificationId.length > 0]),
          [
            ['ann@acme.example', 'queued', null, null, true],
            ['art@acme.example', 'queued', null, null, true],
          ],
        )
        assert.deepEqual(listed.json(), await test.services.comms.listNotices(allTenants, { customerId: acme }))
        assert.deepEqual(listed.json().map((n: { id: string }) => n.id), [noticeId])
      })

      it('answers a retried send with the same Idempotency-Key with the first report, sending nothing again, and refuses the key for another request', async () => {
        const headers = { ...as(responder), 'idempotency-key': 'send-acme-2026-03-30' }
        const payload = { advisoryId, customers: ['Acme Telecom'], sendDespiteProblems: true }
        const before = (await test.services.notifications.list({ customerId: acme, limit: 500 })).items.length

        const first = await test.inject({ method: 'POST', url: '/api/v1/notices', headers, payload })
        const retry = await test.inject({ method: 'POST', url: '/api/v1/notices', headers, payload })
        const other = await test.inject({ method: 'POST', url: '/api/v1/notices', headers, payload: { ...payload, deadline: '2026-04-30T00:00:00Z' } })

        assert.equal(first.statusCode, 201, first.body)
        assert.equal(retry.statusCode, 201, retry.body)
        assert.deepEqual(retry.json(), first.json())
        assert.equal(other.statusCode, 409, other.body)
        const messages = (await test.services.notifications.list({ customerId: acme, limit: 500 })).items.length
        assert.equal(messages - before, first.json().notices[0].recipients)
        assert.equal((await test.services.comms.listNotices(allTenants, { customerId: acme })).filter((n) => n.id === first.json().notices[0].id).length, 1)
      })

      it('posts and lists updates, publishes and withdraws, with every field', async () => {
        const published = await test.inject({ method: 'PUT', url: `/api/v1/incidents/${acmeIncident}/publication`, headers: as(responder), payload: { title: 'Acme voice outage' } })
        clock.advance(minute)
        const update = { method: 'POST' as const, url: `/api/v1/incidents/${acmeIncident}/updates`, headers: { ...as(responder), 'idempotency-key': 'acme-update-1' }, payload: { state: 'identified', text: 'Acme PBX patch found.', public: true } }
        const posted = await test.inject(update)
        // Retried with the same key: the same update, not a second one.
        const retried = await test.inject(update)
        const listed = await test.inject({ method: 'GET', url: `/api/v1/incidents/${acmeIncident}/updates`, headers: as(responder) })

        assert.equal(published.statusCode, 200)
        assert.deepEqual(published.json(), { incidentId: acmeIncident, title: 'Acme voice outage', publishedAt: new Date(Date.parse(clock.now().toISOString()) - minute).toISOString(), withdrawnAt: null })
        assert.equal(posted.statusCode, 201)
        assert.deepEqual({ ...posted.json<Record<string, unknown>>(), id: undefined, createdBy: undefined }, { id: undefined, incidentId: acmeIncident, state: 'identified', text: 'Acme PBX patch found.', public: true, createdBy: undefined, createdAt: clock.now().toISOString() })
        assert.equal(typeof posted.json().createdBy, 'string')
        assert.deepEqual(listed.json(), await test.services.comms.listUpdates(systemActor, acmeIncident))
        assert.deepEqual(retried.json(), posted.json())
        assert.deepEqual(listed.json().map((u: { id: string }) => u.id), [posted.json().id])

        const spare = (await test.services.incidents.open(systemActor, { title: 'Spare', severity: 'SEV4' })).id
        await test.inject({ method: 'PUT', url: `/api/v1/incidents/${spare}/publication`, headers: as(responder), payload: { title: 'Spare outage' } })
        const withdrawn = await test.inject({ method: 'DELETE', url: `/api/v1/incidents/${spare}/publication`, headers: as(responder) })
        assert.equal(withdrawn.statusCode, 204)
        assert.equal(withdrawn.body, '')
      })

      it('issues a status link with its token and URL once, and answers how many links a revocation ended', async () => {
        const issued = await test.inject({ method: 'POST', url: `/api/v1/customers/${reseller}/status-link`, headers: as(responder) })
        const revoked = await test.inject({ method: 'DELETE', url: `/api/v1/customers/${reseller}/status-link`, headers: as(responder) })

        assert.equal(issued.statusCode, 201)
        const { link, token, url } = issued.json()
        assert.match(token, /^[A-Za-z0-9_-]{43}$/)
        assert.ok(url.endsWith(`/status/${token}`), url)
        assert.deepEqual({ ...link, id: undefined, createdBy: undefined }, { id: undefined, customerId: reseller, createdBy: undefined, createdAt: clock.now().toISOString(), revokedAt: null })
        assert.equal(typeof link.id, 'string')
        assert.equal(typeof link.createdBy, 'string')
        assert.deepEqual(revoked.json(), { revoked: 1 })
        assert.equal((await test.inject({ method: 'GET', url: `/status/${token}` })).statusCode, 404)
      })

      it('answers the portal in JSON with the service’s views, incidents, updates and remediation included', async () => {
        const token = await test.tokenFor('customer', acme)

        const response = await test.inject({ method: 'GET', url: '/api/v1/portal', headers: as(token) })

        assert.equal(response.statusCode, 200)
        assert.match(String(response.headers['content-type']), /^application\/json/)
        const expected = { customers: await test.services.comms.portal(customerActor(acme)) }
        assert.deepEqual(response.json(), expected)
        const [view] = expected.customers
        assert.deepEqual(view?.incidents.map((i) => [i.title, i.updates.map((u) => u.text)]), [['Acme voice outage', ['Acme PBX patch found.']]])
        assert.deepEqual(view?.remediation?.map((r) => [r.hostname ?? r.endpoint, r.open, r.done]), [['acme-pbx', 1, 0]])
      })
    })

    describe('the portal as a page', () => {
      it('answers a browser with the customer’s status page, the same as its private link, under the pages’ headers', async () => {
        const token = await test.tokenFor('customer', acme)
        const link = await test.services.comms.createStatusLink(systemActor, 'Acme Telecom')

        const response = await test.inject({ method: 'GET', url: '/api/v1/portal', headers: as(token, { accept: browserAccept }) })

        assert.equal(response.statusCode, 200)
        assert.match(String(response.headers['content-type']), /^text\/html; charset=utf-8/)
        assert.equal(response.headers['content-security-policy'], pageContentSecurityPolicy)
        assert.equal(response.headers['cache-control'], 'no-store')
        assert.equal(response.headers['referrer-policy'], 'no-referrer')
        assert.match(String(response.headers.vary), /accept/i)
        assert.equal(response.body, (await test.inject({ method: 'GET', url: `/status/${link.token}` })).body)
        assert.match(response.body, /<h1>Status for Acme Telecom<\/h1>/)
        assert.match(response.body, /Acme voice outage/)
        assert.match(response.body, /Acme PBX patch found\./)
        assert.match(response.body, /acme-pbx/)
        for (const foreign of ['Beta Networks', 'beta-pbx', 'Beta switchboard outage', 'Reseller One', 'Lonely Ltd', 'Falcon internal codename', 'Heron internal codename']) assert.ok(!response.body.includes(foreign), `shows ${foreign}`)
      })

      it('answers JSON when the client does not prefer HTML', async () => {
        const token = await test.tokenFor('customer', acme)

        for (const accept of [undefined, '*/*', 'application/json', 'application/json, text/html']) {
          const response = await test.inject({ method: 'GET', url: '/api/v1/portal', headers: as(token, accept === undefined ? {} : { accept }) })

          assert.equal(response.statusCode, 200, String(accept))
          assert.match(String(response.headers['content-type']), /^application\/json/, String(accept))
          assert.deepEqual(response.json().customers.map((c: { customer: { name: string } }) => c.customer.name), ['Acme Telecom'], String(accept))
        }
      })

      it('gives a partner’s token one section per customer it covers, in one page', async () => {
        const token = await test.tokenFor('customer', reseller)

        const response = await test.inject({ method: 'GET', url: '/api/v1/portal', headers: as(token, { accept: 'text/html' }) })

        assert.equal(response.statusCode, 200)
        assert.equal(response.headers['content-security-policy'], pageContentSecurityPolicy)
        assert.equal(response.body.match(/<html\b/g)?.length, 1)
        assert.equal(response.body.match(/<main\b/g)?.length, 1)
        assert.equal(response.body.match(/<h1\b/g)?.length, 1)
        assert.match(response.body, /<title>Status for Reseller One, Beta Networks<\/title>/)
        assert.match(response.body, /<section>\n<h2>Reseller One<\/h2>\n<h3>Active incidents<\/h3>/)
        assert.match(response.body, /<section>\n<h2>Beta Networks<\/h2>\n<h3>Active incidents<\/h3>/)
        assert.match(response.body, /Beta switchboard outage/)
        assert.match(response.body, /beta-pbx/)
        for (const foreign of ['Acme', 'acme-pbx', 'Lonely Ltd', 'Heron internal codename']) assert.ok(!response.body.includes(foreign), `shows ${foreign}`)
      })

      it('refuses a provider viewer’s token, which sees incidents directly, whatever it accepts', async () => {
        const viewer = await test.tokenFor('viewer')

        for (const accept of ['application/json', browserAccept]) {
          const response = await test.inject({ method: 'GET', url: '/api/v1/portal', headers: as(viewer, { accept }) })

          assert.equal(response.statusCode, 403, accept)
          assert.match(String(response.headers['content-type']), /^application\/problem\+json/, accept)
          assert.equal(response.json().kind, 'forbidden')
          assert.match(response.json().detail, /customer tokens/)
        }
      })
    })
  })
}
