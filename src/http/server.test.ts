import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { createTestApp, type TestApp } from '../testing.js'

describe('the HTTP server', () => {
  let t: TestApp
  let admin: string

  before(async () => {
    t = await createTestApp('sqlite')
    admin = await t.tokenFor('admin')
  })
  after(() => t.close())

  it('serves the OpenAPI document with every API route, each declaring its security', async () => {
    const response = await t.inject({ method: 'GET', url: '/api/v1/openapi.json' })
    const document = response.json() as { openapi: string; paths: Record<string, Record<string, { security?: unknown[] }>> }

    assert.equal(response.statusCode, 200)
    assert.match(document.openapi, /^3\./)
    const apiRoutes = t.app.server.routes.filter((r) => r.url.startsWith('/api/v1/') && r.access !== 'public')
    for (const route of apiRoutes) {
      const path = route.url.replace(/:([A-Za-z]+)/g, '{$1}')
      const operation = document.paths[path]?.[route.method.toLowerCase()]
      assert.ok(operation, `${route.method} ${path} missing from the OpenAPI document`)
      assert.deepEqual(operation.security, [{ bearerAuth: [] }])
    }
  })

  it('answers health and readiness, and a plain home page with the version', async () => {
    const health = await t.inject({ method: 'GET', url: '/healthz' })
    const ready = await t.inject({ method: 'GET', url: '/readyz' })
    const home = await t.inject({ method: 'GET', url: '/' })

    assert.deepEqual([health.statusCode, ready.statusCode, home.statusCode], [200, 200, 200])
    assert.match(home.body, /Cordon/)
    assert.match(home.body, /\/api\/v1\/openapi\.json/)
  })

  it('rejects a body with unknown fields or malformed JSON as a problem document naming the field', async () => {
    const headers = { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }

    const unknown = await t.inject({ method: 'POST', url: '/api/v1/customers', headers, payload: { name: 'X', isAdmin: true } })
    const malformed = await t.inject({ method: 'POST', url: '/api/v1/customers', headers, payload: '{"name": ' })
    const tooLong = await t.inject({ method: 'POST', url: '/api/v1/customers', headers, payload: { name: 'x'.repeat(201) } })

    assert.equal(unknown.statusCode, 400)
    assert.match(String(unknown.headers['content-type']), /application\/problem\+json/)
    assert.deepEqual(unknown.json().errors.map((e: { field: string }) => e.field), ['body.isAdmin'])
    assert.equal(malformed.statusCode, 400)
    assert.equal(malformed.json().kind, 'invalid')
    assert.equal(tooLong.json().errors[0].field, 'body.name')
  })

  it('answers an unknown route with a 404 problem document', async () => {
    const response = await t.inject({ method: 'GET', url: '/api/v1/nothing-here' })

    assert.equal(response.statusCode, 404)
    assert.equal(response.json().kind, 'not_found')
  })

  it('pages a list with a cursor, and rejects a cursor it did not issue', async () => {
    const headers = { authorization: `Bearer ${admin}` }
    for (const name of ['Page One', 'Page Two', 'Page Three']) {
      await t.inject({ method: 'POST', url: '/api/v1/customers', headers, payload: { name } })
    }

    const first = await t.inject({ method: 'GET', url: '/api/v1/customers?search=page&limit=2', headers })
    const second = await t.inject({ method: 'GET', url: `/api/v1/customers?search=page&limit=2&cursor=${first.json().nextCursor}`, headers })
    const forged = await t.inject({ method: 'GET', url: '/api/v1/customers?cursor=bm9wZQ', headers })

    assert.deepEqual([...first.json().items, ...second.json().items].map((c: { name: string }) => c.name), ['Page One', 'Page Three', 'Page Two'])
    assert.equal(second.json().nextCursor, null)
    assert.equal(forged.statusCode, 400)
  })

  it('finishes a request already in flight when it is closed', async () => {
    const running = await createTestApp('sqlite')
    const token = await running.tokenFor('admin')
    const address = await running.app.server.app.listen({ host: '127.0.0.1', port: 0 })
    const port = Number(new URL(address).port)
    const body = JSON.stringify({ name: 'Created During Shutdown' })
    const socket = connect(port, '127.0.0.1')
    await new Promise((resolve) => socket.once('connect', resolve))
    let response = ''
    socket.on('data', (chunk) => (response += chunk.toString()))
    const ended = new Promise((resolve) => socket.once('close', resolve))

    socket.write(`POST /api/v1/customers HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${token}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body.slice(0, 5)}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
    const closed = running.app.server.app.close()
    await new Promise((resolve) => setTimeout(resolve, 100))
    socket.write(body.slice(5))
    await ended
    await closed

    assert.match(response, /^HTTP\/1\.1 201/)
    const listed = await running.services.customers.list({ all: true }, {})
    assert.deepEqual(listed.items.map((c) => c.name), ['Created During Shutdown'])
    await running.close()
  })
})
