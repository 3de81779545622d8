import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { testDialects } from '../db/testing.js'
import { systemActor } from '../shared/actor.js'
import { FakeClock } from '../shared/clock.js'
import { createTestApp, type TestApp } from '../testing.js'

// The HTTP door onto remediation: create, start, scan upload, progress and export under /api/v1.

function snapshot(host: string, customer: string, unixTime: number): string {
  const rows = [{ name: '3CX Desktop App', version: '18.12.416', publisher: '3CX Ltd' }]
  return JSON.stringify({ snapshot: rows, action: 'snapshot', name: 'pack_programs', hostIdentifier: host, unixTime, decorations: { customer, hostname: host } })
}

for (const dialect of testDialects) {
  describe(`remediation routes (${dialect.name})`, { skip: dialect.skip }, () => {
    let t: TestApp
    let staff: string
    let customerToken: string
    let acme: string
    let campaignId: string

    before(async () => {
      t = await createTestApp(dialect.name, { clock: new FakeClock('2026-03-29T10:00:00.000Z') })
      acme = (await t.services.customers.create(systemActor, { name: 'Acme Telecom', externalRef: 'acme' })).id
      await t.services.customers.create(systemActor, { name: 'Globex', externalRef: 'globex' })
      await t.services.inventory.importInventory(systemActor, {
        file: 'osquery.log',
        bytes: (async function* () {
          yield Buffer.from(`${snapshot('acme-pc', 'acme', 1_700_000_000)}\n${snapshot('globex-pc', 'globex', 1_700_000_000)}\n`)
        })(),
      })
      staff = await t.tokenFor('responder')
      customerToken = await t.tokenFor('customer', acme)
      const created = await t.inject({
        method: 'POST',
        url: '/api/v1/campaigns',
        headers: { authorization: `Bearer ${staff}` },
        payload: { advisoryId: 'CORDON-2023-0001', actions: [{ kind: 'uninstall', product: '3CX Desktop App' }, { kind: 'av_scan' }], deadline: '2026-04-10T00:00:00Z' },
      })
      assert.equal(created.statusCode, 201, created.body)
      campaignId = created.json().id
    })
    after(() => t?.close())

    const get = (url: string, token = staff) => t.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } })

    it('starts a task by PATCH and answers with the task in progress', async () => {
      const task = (await get(`/api/v1/campaigns/${campaignId}/tasks?limit=500`)).json().items[0]

      const response = await t.inject({ method: 'PATCH', url: `/api/v1/campaigns/${campaignId}/tasks/${task.id}`, headers: { authorization: `Bearer ${staff}` }, payload: { state: 'in_progress' } })

      assert.equal(response.statusCode, 200, response.body)
      assert.equal(response.json().state, 'in_progress')
    })

    it('attests the av_scan task from a clamscan log uploaded as the request body', async () => {
      const log = 'Host: acme-pc\n----------- SCAN SUMMARY -----------\nScanned files: 10\nInfected files: 0\nStart Date: 2026:03:30 11:00:00\nEnd Date: 2026:03:30 11:05:00\n'

      const response = await t.inject({ method: 'POST', url: '/api/v1/avscans?name=acme.log', headers: { authorization: `Bearer ${staff}`, 'content-type': 'text/plain' }, payload: log })

      assert.equal(response.statusCode, 200, response.body)
      assert.equal(response.json().attested, 1)
    })

    it('answers a bad upload with 400 naming the file and line', async () => {
      const response = await t.inject({ method: 'POST', url: '/api/v1/avscans?name=bad.log', headers: { authorization: `Bearer ${staff}`, 'content-type': 'text/plain' }, payload: 'Host: acme-pc\nnothing else\n' })

      assert.equal(response.statusCode, 400)
      assert.match(response.body, /bad\.log:2/)
    })

    it("shows a customer token its own customer's progress only", async () => {
      const response = await get(`/api/v1/campaigns/${campaignId}/progress`, customerToken)

      assert.equal(response.statusCode, 200)
      assert.deepEqual(response.json().customers.map((c: { customerId: string }) => c.customerId), [acme])
      assert.equal(response.json().overall.total, 2)
    })

    it('shows a customer token its own tasks, metrics and export rows on every read route, and lets it change nothing', async () => {
      const all = (await get(`/api/v1/campaigns/${campaignId}/tasks?limit=500`)).json().items as Array<{ id: string; customerId: string; hostname: string }>
      const foreign = all.find((task) => task.customerId !== acme)!
      assert.ok(foreign, 'the campaign has another customer’s task')

      const tasks = await get(`/api/v1/campaigns/${campaignId}/tasks?limit=500`, customerToken)
      const askedForForeign = await get(`/api/v1/campaigns/${campaignId}/tasks?limit=500&customerId=${foreign.customerId}`, customerToken)
      const metrics = await get(`/api/v1/campaigns/${campaignId}/metrics`, customerToken)
      const csv = await get(`/api/v1/campaigns/${campaignId}/export.csv`, customerToken)
      const csvCustomers = await get(`/api/v1/campaigns/${campaignId}/export.csv?of=customers`, customerToken)
      const changed = await t.inject({ method: 'PATCH', url: `/api/v1/campaigns/${campaignId}/tasks/${foreign.id}`, headers: { authorization: `Bearer ${customerToken}` }, payload: { state: 'in_progress' } })
      const created = await t.inject({ method: 'POST', url: '/api/v1/campaigns', headers: { authorization: `Bearer ${customerToken}` }, payload: { advisoryId: 'CORDON-2023-0001', actions: [{ kind: 'av_scan' }] } })

      assert.deepEqual([...new Set(tasks.json().items.map((task: { customerId: string }) => task.customerId))], [acme])
      assert.deepEqual(askedForForeign.json().items, [])
      assert.equal(metrics.statusCode, 200, metrics.body)
      assert.deepEqual(metrics.json().customers.map((c: { customerId: string }) => c.customerId), [acme])
      assert.ok(!csv.body.includes(foreign.hostname) && !csv.body.includes('Globex'), csv.body)
      assert.equal(csv.body.trimEnd().split('\r\n').length, 1 + 2)
      assert.ok(!csvCustomers.body.includes('Globex'), csvCustomers.body)
      assert.equal(changed.statusCode, 403)
      assert.equal(created.statusCode, 403)
    })

    it('makes one campaign for a retried create with the same Idempotency-Key', async () => {
      const request = (key: string, deadline = '2026-05-01T00:00:00Z') =>
        t.inject({ method: 'POST', url: '/api/v1/campaigns', headers: { authorization: `Bearer ${staff}`, 'idempotency-key': key }, payload: { advisoryId: 'CORDON-2023-0001', actions: [{ kind: 'av_scan' }], deadline } })
      const before = (await get('/api/v1/campaigns?limit=500')).json().items.length

      const first = await request('campaign-key-1')
      const retry = await request('campaign-key-1')
      const changed = await request('campaign-key-1', '2026-06-01T00:00:00Z')

      assert.equal(first.statusCode, 201, first.body)
      assert.deepEqual(retry.json(), first.json())
      assert.equal(changed.statusCode, 409)
      assert.equal((await get('/api/v1/campaigns?limit=500')).json().items.length, before + 1)
    })

    it('exports the campaign as a CSV attachment', async () => {
      const response = await get(`/api/v1/campaigns/${campaignId}/export.csv`)

      assert.equal(response.statusCode, 200)
      assert.match(String(response.headers['content-type']), /^text\/csv/)
      assert.equal(response.body.trimEnd().split('\r\n').length, 1 + 4)
    })
  })
}
