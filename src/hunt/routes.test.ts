import assert from 'node:assert/strict'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { after, before, describe, it } from 'node:test'
import { testDialects } from '../db/testing.js'
import { systemActor } from '../shared/actor.js'
import { createTestApp, type TestApp } from '../testing.js'
import { logHuntJob, type QueuedLogHunt } from './service.js'

// POST /hunts: the log is streamed to disk, a job hunts it, the hunt's id gives the results.

const log = ['Mar 29 10:00:01 dnsmasq[9]: query[A] www.akamaicontainer.com from 10.20.1.5', 'Mar 29 10:00:02 dnsmasq[9]: query[A] example.org from 10.20.1.6'].join('\n') + '\n'

for (const dialect of testDialects) {
  describe(`hunt routes (${dialect.name})`, { skip: dialect.skip }, () => {
    let t: TestApp
    let responder: string

    before(async () => {
      t = await createTestApp(dialect.name)
      await t.services.customers.create(systemActor, { name: 'Acme Telecom', externalRef: 'acme' })
      responder = await t.tokenFor('responder')
    })
    after(() => t.close())

    /** Runs the queued hunt jobs the way the worker does. */
    async function runJobs(): Promise<number> {
      const page = await t.services.jobs.list({ type: logHuntJob, limit: 50 })
      for (const job of page.items) await t.services.jobHandlers[logHuntJob]!(job, { signal: new AbortController().signal, workerId: 'test' })
      return page.items.length
    }

    it('queues an uploaded gzip log, and the job hunts it: status, report and sightings by the hunt id', async () => {
      const response = await t.inject({
        method: 'POST',
        url: '/api/v1/hunts?name=dns.log.gz&customer=acme',
        headers: { authorization: `Bearer ${responder}`, 'content-type': 'application/gzip' },
        payload: gzipSync(Buffer.from(log)),
      })
      assert.equal(response.statusCode, 202, response.body)
      const queued = response.json()
      assert.equal(queued.status, 'queued')
      assert.deepEqual(queued.inputs, ['dns.log.gz'])
      const job = (await t.services.jobs.list({ type: logHuntJob, limit: 5 })).items[0]!
      const upload = (job.payload as QueuedLogHunt).path
      assert.ok(existsSync(upload), 'the upload is on disk before the answer')

      assert.equal(await runJobs(), 1)

      const hunt = (await t.inject({ method: 'GET', url: `/api/v1/hunts/${queued.id}`, headers: { authorization: `Bearer ${responder}` } })).json()
      assert.equal(hunt.status, 'done')
      assert.equal(hunt.report.lines, 2)
      const sightings = (await t.inject({ method: 'GET', url: `/api/v1/hunts/${queued.id}/sightings`, headers: { authorization: `Bearer ${responder}` } })).json()
      assert.deepEqual(sightings.items.map((s: { indicator: string; line: number; file: string }) => [s.indicator, s.line, s.file]), [['akamaicontainer.com', 1, 'dns.log.gz']])
      assert.ok(!existsSync(upload), 'the upload is removed once hunted')
    })

    it('runs a job again without counting its sightings twice', async () => {
      const response = await t.inject({ method: 'POST', url: '/api/v1/hunts?name=again.log', headers: { authorization: `Bearer ${responder}`, 'content-type': 'text/plain' }, payload: log })
      const id = response.json().id as string
      await runJobs()
      await runJobs()
      const page = await t.services.hunt.listSightings(systemActor.scope, { huntId: id, limit: 50 })
      assert.equal(page.items.length, 1)
    })

    it('refuses an unknown customer and leaves no upload behind', async () => {
      const uploads = join(t.services.config.dataDir, 'uploads')
      const before = existsSync(uploads) ? readdirSync(uploads).length : 0
      const response = await t.inject({ method: 'POST', url: '/api/v1/hunts?customer=nobody', headers: { authorization: `Bearer ${responder}`, 'content-type': 'text/plain' }, payload: log })
      assert.equal(response.statusCode, 404)
      assert.equal(existsSync(uploads) ? readdirSync(uploads).length : 0, before)
    })

    it('sets and reads a customer’s networks, and refuses a bad range naming it', async () => {
      const customer = await t.services.customers.resolve(systemActor.scope, 'acme')
      const put = await t.inject({ method: 'PUT', url: `/api/v1/customers/${customer.id}/networks`, headers: { authorization: `Bearer ${responder}` }, payload: { networks: [{ network: '10.20.0.0/16', label: 'office' }] } })
      assert.equal(put.statusCode, 200, put.body)
      const bad = await t.inject({ method: 'PUT', url: `/api/v1/customers/${customer.id}/networks`, headers: { authorization: `Bearer ${responder}` }, payload: { networks: [{ network: '10.20.0.0/40' }] } })
      assert.equal(bad.statusCode, 400)
      assert.match(bad.body, /networks\[0\]/)
      const get = await t.inject({ method: 'GET', url: `/api/v1/customers/${customer.id}/networks`, headers: { authorization: `Bearer ${responder}` } })
      assert.deepEqual(get.json(), [{ network: '10.20.0.0/16', label: 'office' }])
    })
  })
}
