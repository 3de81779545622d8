import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { testDialects } from '../db/testing.js'
import { systemActor } from '../shared/actor.js'
import { FakeClock } from '../shared/clock.js'
import { createTestApp, type TestApp } from '../testing.js'

// The incident routes through the whole app: staff only (viewers read, responders change),
// problem documents naming the field, and the report as Markdown or HTML.

for (const dialect of testDialects) {
  describe(`incident routes (${dialect.name})`, { skip: dialect.skip }, () => {
    const clock = new FakeClock('2026-03-29T10:00:00.000Z')
    let t: TestApp
    let viewer: string
    let responder: string
    let customer: string
    let incidentId: string

    before(async () => {
      t = await createTestApp(dialect.name, { clock })
      const acme = await t.services.customers.create(systemActor, { name: 'Acme Voice' })
      viewer = await t.tokenFor('viewer')
      responder = await t.tokenFor('responder')
      customer = await t.tokenFor('customer', acme.id)
      incidentId = (await t.services.incidents.open(systemActor, { title: 'Shared fixture', severity: 'SEV2', customerIds: [acme.id] })).id
    })
    after(() => t.close())

    const call = (method: 'GET' | 'POST' | 'PATCH', url: string, token: string, payload?: unknown) =>
      t.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}` }, ...(payload !== undefined && { payload: payload as object }) })

    it('opens an incident with the bundled playbook and answers with its tasks', async () => {
      const response = await call('POST', '/incidents', responder, { title: '3CX DesktopApp compromise', severity: 'SEV1', playbook: 'vendor-supply-chain-compromise' })

      assert.equal(response.statusCode, 201, response.body)
      const body = response.json()
      assert.equal(body.status, 'triage')
      assert.equal(body.tasks.length, 9)
      assert.equal(body.tasks[0].dueAt, '2026-03-29T10:30:00.000Z')
    })

    it('refuses a customer token on incident and playbook routes, even for an incident about its own organisation', async () => {
      for (const url of ['/incidents', `/incidents/${incidentId}`, `/incidents/${incidentId}/timeline`, '/playbooks']) {
        const response = await call('GET', url, customer)

        assert.equal(response.statusCode, 403, url)
      }
    })

    it('lets a viewer read an incident but not change it', async () => {
      const read = await call('GET', `/incidents/${incidentId}`, viewer)
      const change = await call('PATCH', `/incidents/${incidentId}`, viewer, { status: 'active' })

      assert.equal(read.statusCode, 200)
      assert.equal(change.statusCode, 403)
    })

    it('answers 400 naming the field for an unknown severity, and opens nothing', async () => {
      const before = (await call('GET', '/incidents?limit=500', viewer)).json().items.length

      const response = await call('POST', '/incidents', responder, { title: 'Bad', severity: 'SEV9' })

      assert.equal(response.statusCode, 400)
      assert.ok(response.json().errors.some((e: { field: string }) => e.field === 'body.severity'), response.body)
      assert.equal((await call('GET', '/incidents?limit=500', viewer)).json().items.length, before)
    })

    it('answers 400 naming status for a move backwards', async () => {
      const opened = (await call('POST', '/incidents', responder, { title: 'Backwards', severity: 'SEV3' })).json()
      await call('PATCH', `/incidents/${opened.id}`, responder, { status: 'resolved' })

      const response = await call('PATCH', `/incidents/${opened.id}`, responder, { status: 'triage' })

      assert.equal(response.statusCode, 400)
      assert.deepEqual(response.json().errors.map((e: { field: string }) => e.field), ['status'])
    })

    it('changes the status and shows it on the timeline', async () => {
      const opened = (await call('POST', '/incidents', responder, { title: 'Moving', severity: 'SEV3' })).json()

      const patched = await call('PATCH', `/incidents/${opened.id}`, responder, { status: 'active' })
      const timeline = await call('GET', `/incidents/${opened.id}/timeline`, viewer)

      assert.equal(patched.statusCode, 200)
      assert.equal(patched.json().acknowledgedAt, '2026-03-29T10:00:00.000Z')
      assert.deepEqual(timeline.json().items.map((e: { kind: string }) => e.kind), ['opened', 'status'])
    })

    it('adds a note, a link and a task, and marks the task done', async () => {
      const opened = (await call('POST', '/incidents', responder, { title: 'Working', severity: 'SEV3' })).json()

      const note = await call('POST', `/incidents/${opened.id}/notes`, responder, { text: 'Vendor confirmed the build.' })
      const link = await call('POST', `/incidents/${opened.id}/links`, responder, { kind: 'advisory', targetId: 'CVE-2023-29059' })
      const task = await call('POST', `/incidents/${opened.id}/tasks`, responder, { title: 'Call the partner', dueInMinutes: 30 })
      const done = await call('PATCH', `/incidents/${opened.id}/tasks/${task.json().id}`, responder, { status: 'done' })

      assert.deepEqual([note.statusCode, link.statusCode, task.statusCode, done.statusCode], [201, 201, 201, 200])
      assert.equal(done.json().status, 'done')
      const tasks = await call('GET', `/incidents/${opened.id}/tasks`, viewer)
      assert.deepEqual(tasks.json().items.map((x: { title: string; status: string }) => [x.title, x.status]), [['Call the partner', 'done']])
    })

    it('applies a playbook by slug, and answers 400 naming it for an unknown one', async () => {
      const opened = (await call('POST', '/incidents', responder, { title: 'Later playbook', severity: 'SEV3' })).json()

      const applied = await call('POST', `/incidents/${opened.id}/playbook`, responder, { playbook: 'vendor-supply-chain-compromise' })
      const unknown = await call('POST', `/incidents/${opened.id}/playbook`, responder, { playbook: 'nope' })

      assert.equal(applied.statusCode, 201)
      assert.equal(applied.json().items.length, 9)
      assert.equal(unknown.statusCode, 400)
      assert.deepEqual(unknown.json().errors.map((e: { field: string }) => e.field), ['playbook'])
    })

    it('answers 404 for an incident that does not exist', async () => {
      const response = await call('GET', '/incidents/01900000-0000-7000-8000-000000000000', viewer)

      assert.equal(response.statusCode, 404)
      assert.equal(response.json().kind, 'not_found')
    })

    it('serves the report as Markdown by default', async () => {
      const response = await call('GET', `/incidents/${incidentId}/report`, viewer)

      assert.equal(response.statusCode, 200)
      assert.match(String(response.headers['content-type']), /^text\/markdown/)
      assert.match(response.body, /^# Incident report: Shared fixture$/m)
    })

    it('serves the report as HTML that allows no scripts, with a hostile title escaped', async () => {
      const opened = (await call('POST', '/incidents', responder, { title: '<script>alert(document.cookie)</script>', severity: 'SEV2' })).json()

      const response = await call('GET', `/incidents/${opened.id}/report?format=html`, viewer)

      assert.equal(response.statusCode, 200)
      assert.match(String(response.headers['content-type']), /^text\/html/)
      assert.match(String(response.headers['content-security-policy']), /default-src 'none'/)
      assert.doesNotMatch(response.body, /<script/)
      assert.match(response.body, /&lt;script&gt;alert\(document.cookie\)&lt;\/script&gt;/)
    })

    it('saves a custom playbook and reads it back by slug', async () => {
      const saved = await call('POST', '/playbooks', responder, { slug: 'sip-fraud', name: 'SIP toll fraud', tasks: [{ title: 'Block the trunk', role: 'operations_lead', dueInMinutes: 10 }] })

      const read = await call('GET', '/playbooks/sip-fraud', viewer)

      assert.equal(saved.statusCode, 200, saved.body)
      assert.equal(read.json().id, saved.json().id)
      assert.deepEqual(read.json().tasks, [{ title: 'Block the trunk', description: '', role: 'operations_lead', dueInMinutes: 10 }])
    })
  })
}
