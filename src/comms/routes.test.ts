import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { testDialects } from '../db/testing.js'
import { systemActor } from '../shared/actor.js'
import { createTestApp, type TestApp } from '../testing.js'

// The comms API through HTTP: the same rules as the service, answered as problem documents.

for (const dialect of testDialects) {
  describe(`comms routes (${dialect.name})`, { skip: dialect.skip }, () => {
    let test: TestApp
    let responder: string
    let incident: string

    before(async () => {
      test = await createTestApp(dialect.name)
      responder = await test.tokenFor('responder')
      const lonely = await test.services.customers.create(systemActor, { name: 'Lonely Ltd' })
      incident = (await test.services.incidents.open(systemActor, { title: 'Routes fixture', severity: 'SEV3', customerIds: [lonely.id] })).id
    })
    after(() => test.close())

    it('answers 400 naming the field when a template refers to a field notices do not have', async () => {
      const response = await test.inject({ method: 'POST', url: '/api/v1/comms/templates', headers: { authorization: `Bearer ${responder}` }, payload: { name: 'Bad', subject: '{{customer.name}}', body: '{{customer.vat}}' } })

      assert.equal(response.statusCode, 400)
      assert.deepEqual(response.json().errors.map((e: { field: string }) => e.field), ['body'])
    })

    it('answers 400 naming the customer with no contacts before sending anything', async () => {
      const response = await test.inject({ method: 'POST', url: '/api/v1/notices', headers: { authorization: `Bearer ${responder}` }, payload: { incidentId: incident } })

      assert.equal(response.statusCode, 400)
      assert.match(response.json().detail, /Lonely Ltd has no contacts/)
      assert.deepEqual(await test.services.comms.listNotices(systemActor.scope, { incidentId: incident }), [])
    })

    it('previews the notice of a customer with no contacts, listing the problem', async () => {
      const response = await test.inject({ method: 'POST', url: '/api/v1/notices/preview', headers: { authorization: `Bearer ${responder}` }, payload: { incidentId: incident, customer: 'Lonely Ltd' } })

      assert.equal(response.statusCode, 200)
      assert.deepEqual(response.json().recipients, [])
      assert.deepEqual(response.json().problems.map((p: { problem: string }) => p.problem), ['no_contacts'])
      assert.match(response.json().html, /Lonely Ltd/)
    })

    it('answers an acknowledgement link that is far too long without crashing', async () => {
      const response = await test.inject({ method: 'GET', url: `/ack/${'x'.repeat(5000)}` })

      assert.ok(response.statusCode >= 400 && response.statusCode < 500, String(response.statusCode))
    })
  })
}
