import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import Fastify from 'fastify'
import { testDialects } from '../db/testing.js'
import { systemActor } from '../shared/actor.js'
import { createTestApp, type TestApp } from '../testing.js'
import { installAccessControl, type RegisteredRoute } from './access.js'

const writeMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

function fill(url: string, ids: Record<string, string>): string {
  return url.replace(/:([A-Za-z]+)/g, (_match, name: string) => {
    const id = ids[name]
    if (!id) assert.fail(`route ${url} has a parameter :${name} with no fixture in this test: add one, and a tenant check for it`)
    return id
  })
}

for (const dialect of testDialects) {
  describe(`access control on every registered route (${dialect.name})`, { skip: dialect.skip }, () => {
    let t: TestApp
    let routes: RegisteredRoute[]
    const theirs: Record<string, string> = {}
    const ours: Record<string, string> = {}
    let viewer: string
    let customerToken: string

    before(async () => {
      t = await createTestApp(dialect.name)
      routes = t.app.server.routes
      const { customers, access, jobs } = t.services
      const partner = await customers.create(systemActor, { name: 'Partner P', kind: 'partner' })
      const mine = await customers.create(systemActor, { name: 'Customer A', parentId: partner.id, contacts: [{ name: 'Ann', email: 'ann@a.example', role: 'security' }] })
      const other = await customers.create(systemActor, { name: 'Customer B', contacts: [{ name: 'Bob', email: 'bob@b.example', role: 'security' }] })
      const user = await access.createUser(systemActor, { email: 'bea@b.example', name: 'Bea', role: 'customer', customerId: other.id })
      const otherToken = await access.createToken(systemActor, { name: 'B token', role: 'customer', customerId: other.id })
      const job = await jobs.enqueue({ type: 'test.nothing' })
      Object.assign(theirs, { customerId: other.id, contactId: other.contacts[0]!.id, userId: user.id, tokenId: otherToken.token.id, jobId: job.id })
      Object.assign(ours, { customerId: mine.id, contactId: mine.contacts[0]!.id })
      // Advisories are not tenant data: every customer may read every one, so "theirs" is one that does not exist.
      const advisory = await t.services.intel.getAdvisory('CORDON-2023-0001')
      Object.assign(theirs, { advisoryId: 'GHSA-0000-0000-0000' })
      Object.assign(ours, { advisoryId: advisory.id })
      // Endpoints and findings: the same affected 3CX build at both customers.
      const snapshot = (host: string, customer: string) =>
        JSON.stringify({ snapshot: [{ name: '3CX Desktop App', version: '18.12.416', publisher: '3CX Ltd' }], action: 'snapshot', name: 'pack_programs', hostIdentifier: host, unixTime: 1_680_000_000, decorations: { customer } })
      const inventoryImport = await t.services.inventory.importInventory(systemActor, {
        file: 'fixture.log',
        bytes: (async function* () {
          yield Buffer.from(`${snapshot('a-host', 'Customer A')}\n${snapshot('b-host', 'Customer B')}\n`)
        })(),
      })
      const endpointOf = (host: string) => t.services.inventory.getEndpoint(systemActor.scope, host)
      const findingOf = async (customerId: string) => (await t.services.exposure.listFindings(systemActor.scope, { customerId, limit: 1 })).items[0]!.id
      Object.assign(theirs, { endpointId: (await endpointOf('b-host')).id, findingId: await findingOf(other.id), importId: inventoryImport.id })
      Object.assign(ours, { endpointId: (await endpointOf('a-host')).id, findingId: await findingOf(mine.id) })
      // Hunts and their sightings: the same C2 lookup in each customer's DNS log.
      const huntFor = async (customer: string) =>
        (await t.services.hunt.huntLogs(systemActor, { customer, inputs: [{ name: 'dns.log', bytes: (async function* () { yield Buffer.from('Mar 29 10:00:01 dnsmasq[1]: query[A] akamaicontainer.com from 10.0.0.9\n') })() }] })).id
      Object.assign(theirs, { huntId: await huntFor(other.id) })
      Object.assign(ours, { huntId: await huntFor(mine.id) })
      // Incidents and playbooks are staff data: customer tokens are refused on every such route, so one of each serves.
      const incident = await t.services.incidents.open(systemActor, { title: 'Fixture incident', severity: 'SEV3', customerIds: [other.id] })
      const task = await t.services.incidents.addTask(systemActor, incident.id, { title: 'Fixture task' })
      const playbook = await t.services.incidents.getPlaybook(systemActor, 'vendor-supply-chain-compromise')
      Object.assign(theirs, { incidentId: incident.id, taskId: task.id, playbookId: playbook.id })
      // Notification channels and messages are staff data too: customer tokens are refused on every such route.
      const channel = await t.services.notifications.createChannel(systemActor, { name: 'Fixture channel', kind: 'email', address: 'soc@b.example' })
      const notification = await t.services.database.db.transaction().execute((trx) =>
        t.services.notifications.enqueue(trx, { idempotencyKey: 'fixture:notification', to: { channelId: channel.id }, subject: 'Fixture', text: 'Fixture', links: { customerId: other.id } }),
      )
      Object.assign(theirs, { channelId: channel.id, notificationId: notification.id })
      // Alerting is staff data: customer tokens are refused on every such route, so one of each serves.
      const onCallUser = await t.services.access.createUser(systemActor, { email: 'oncall@provider.example', name: 'On Call', role: 'responder' })
      const alert = await t.services.alerting.send({ summary: 'Fixture alert', severity: 'warning', source: 'fixture', customerId: other.id })
      const schedule = await t.services.alerting.saveSchedule(systemActor, { name: 'Fixture schedule', definition: { timezone: 'UTC', layers: [{ name: 'all', start: '2026-01-01T09:00', rotation: { kind: 'weekly' }, users: [onCallUser.id] }] } })
      const override = await t.services.alerting.addOverride(systemActor, schedule.id, { userId: onCallUser.id, start: '2026-01-02T00:00:00Z', end: '2026-01-03T00:00:00Z' })
      const policy = await t.services.alerting.savePolicy(systemActor, { name: 'Fixture policy', steps: [{ targets: [{ kind: 'schedule', id: schedule.id }], waitMinutes: 5 }] })
      const alertRoute = await t.services.alerting.saveRoute(systemActor, { name: 'Fixture rule', conditions: { customerIds: [other.id] }, policyId: policy.id })
      const integration = await t.services.alerting.createIntegration(systemActor, { name: 'Fixture integration', kind: 'alertmanager', customerId: other.id })
      Object.assign(theirs, { alertId: alert.alertId!, scheduleId: schedule.id, overrideId: override.id, policyId: policy.id, routeId: alertRoute.id, integrationId: integration.integration.id })
      // Remediation campaigns: "theirs" holds only Customer B's tasks (A's finding is accepted while it is created); "ours" holds both.
      const ownFinding = ours.findingId!
      await t.services.exposure.triage(systemActor, ownFinding, { status: 'accepted', reason: 'fixture', until: '2099-01-01T00:00:00Z' })
      const theirCampaign = await t.services.remediation.createCampaign(systemActor, { advisoryId: advisory.id, actions: [{ kind: 'av_scan' }] })
      await t.services.exposure.triage(systemActor, ownFinding, { status: 'open' })
      const ourCampaign = await t.services.remediation.createCampaign(systemActor, { advisoryId: advisory.id, actions: [{ kind: 'av_scan' }] })
      Object.assign(theirs, { campaignId: theirCampaign.id })
      Object.assign(ours, { campaignId: ourCampaign.id })
      // Notices: one per affected customer of the advisory (the partner has no contacts, so it is reported and skipped).
      const sent = await t.services.comms.send(systemActor, { advisoryId: advisory.id }, { sendDespiteProblems: true })
      const noticeOf = (customerId: string) => sent.notices.find((n) => n.customerId === customerId)!.id
      // Templates are staff data shared by every notice (so every notice names one): customer tokens are refused on their routes, so any id serves.
      Object.assign(theirs, { noticeId: noticeOf(other.id), templateId: 'fixture-template' })
      Object.assign(ours, { noticeId: noticeOf(mine.id) })
      viewer = await t.tokenFor('viewer')
      customerToken = await t.tokenFor('customer', mine.id)
    })
    after(() => t.close())

    it('registers every route with an access requirement, and there are routes to walk', () => {
      assert.ok(routes.length >= 20, `only ${routes.length} routes registered`)
      assert.ok(routes.some((r) => r.method === 'POST' && r.url === '/api/v1/customers'))
      for (const route of routes) assert.ok(route.access, `${route.method} ${route.url}`)
    })

    it('answers 401 with a problem document to a request without credentials, or with a bad token', async () => {
      for (const route of routes.filter((r) => r.access !== 'public')) {
        for (const authorization of [undefined, 'Bearer cordon_not-a-token', `Bearer ${viewer}x`]) {
          const response = await t.inject({ method: route.method as 'GET', url: fill(route.url, theirs), headers: authorization ? { authorization } : {}, payload: writeMethods.has(route.method) ? {} : undefined })
          assert.equal(response.statusCode, 401, `${route.method} ${route.url} with ${authorization ?? 'no credentials'}`)
          assert.match(String(response.headers['content-type']), /^application\/problem\+json/)
          assert.equal(response.json().kind, 'unauthenticated')
        }
      }
    })

    it('answers 403 to a viewer on every write', async () => {
      // Public writes (alert intake from other tools) take an integration key, not a token with a role.
      const writes = routes.filter((r) => writeMethods.has(r.method) && r.access !== 'public')
      assert.ok(writes.length >= 8)
      for (const route of writes) {
        const response = await t.inject({ method: route.method as 'POST', url: fill(route.url, theirs), headers: { authorization: `Bearer ${viewer}` }, payload: {} })
        assert.equal(response.statusCode, 403, `${route.method} ${route.url}`)
        assert.equal(response.json().kind, 'forbidden')
      }
    })

    it("answers 404 to a customer token on another customer's resource, and 403 on staff-only routes", async () => {
      let tenantChecked = 0
      for (const route of routes.filter((r) => r.access !== 'public')) {
        const requirement = route.access as Exclude<RegisteredRoute['access'], 'public'>
        const hasParams = route.url.includes(':')
        const response = await t.inject({ method: route.method as 'GET', url: fill(route.url, theirs), headers: { authorization: `Bearer ${customerToken}` }, payload: writeMethods.has(route.method) ? {} : undefined })
        if (!requirement.customers) {
          assert.equal(response.statusCode, 403, `${route.method} ${route.url} is staff-only`)
        } else if (hasParams) {
          assert.equal(response.statusCode, 404, `${route.method} ${route.url} leaked another customer's resource`)
          tenantChecked += 1
          if (route.method === 'GET') {
            const own = await t.inject({ method: 'GET', url: fill(route.url, ours), headers: { authorization: `Bearer ${customerToken}` } })
            assert.equal(own.statusCode, 200, `${route.url} with the customer's own resource`)
          }
        } else {
          assert.ok(response.statusCode < 400, `${route.method} ${route.url}: ${response.statusCode}`)
          // Finding ids are small integers that any body may contain by chance; the others are unique enough to search for.
          for (const id of Object.values(theirs).filter((value) => value.length >= 8)) assert.ok(!response.body.includes(id), `${route.method} ${route.url} shows another customer's ${id}`)
        }
      }
      assert.ok(tenantChecked >= 2)
    })
  })
}

describe('route registration', () => {
  it('refuses a route that declares no access requirement', async () => {
    const app = Fastify()
    installAccessControl(app, { authenticate: async () => undefined } as never, [])

    assert.throws(() => app.get('/api/v1/undeclared', async () => ({})), /declares no access requirement/)
  })
})
