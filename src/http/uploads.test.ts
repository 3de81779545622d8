import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { testDialects } from '../db/testing.js'
import { createTestApp, type TestApp } from '../testing.js'

// Every route that takes a file as its request body, sent nothing or sent JSON it does not take:
// a 400 saying how to send the file, never a 500, and nothing written.
const uploads = ['/api/v1/inventory/imports?name=x.log', '/api/v1/hunts?name=x.log', '/api/v1/avscans?name=x.log', '/api/v1/intel/imports?name=x.json']

for (const dialect of testDialects) {
  describe(`uploads without a file (${dialect.name})`, { skip: dialect.skip }, () => {
    let t: TestApp
    let token: string
    before(async () => {
      t = await createTestApp(dialect.name)
      token = await t.tokenFor('admin')
    })
    after(() => t?.close())

    it('answers 400 naming the body to a request without one', async () => {
      for (const url of uploads) {
        const response = await t.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}` } })
        assert.equal(response.statusCode, 400, `${url}: ${response.body}`)
        assert.match(response.json().detail, /request body/, url)
      }
      assert.deepEqual((await t.services.inventory.listImports({ limit: 10 })).items, [])
      assert.deepEqual((await t.services.hunt.listHunts({ all: true }, { limit: 10 })).items, [])
    })

    it('answers 400 to JSON sent to a route that reads only text or files as JSON', async () => {
      const response = await t.inject({ method: 'POST', url: '/api/v1/avscans?name=x.log', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: '"Host: pc"' })

      assert.equal(response.statusCode, 400, response.body)
      assert.match(response.json().detail, /text\/plain/)
    })
  })
}
