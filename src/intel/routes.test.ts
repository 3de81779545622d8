import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { testDialects } from '../db/testing.js'
import { systemActor } from '../shared/actor.js'
import { createTestApp, type TestApp } from '../testing.js'
import { anOsvRecord, fixture, zipOf } from './testing.js'

for (const dialect of testDialects) {
  describe(`intel routes (${dialect.name})`, { skip: dialect.skip }, () => {
    let t: TestApp
    let viewer: string
    let responder: string
    let customer: string

    before(async () => {
      t = await createTestApp(dialect.name)
      const acme = await t.services.customers.create(systemActor, { name: 'Acme Voice' })
      viewer = await t.tokenFor('viewer')
      responder = await t.tokenFor('responder')
      customer = await t.tokenFor('customer', acme.id)
    })
    after(() => t.close())

    const get = (url: string, token: string) => t.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } })
    const upload = (query: string, body: Buffer | string, contentType: string, token = responder) =>
      t.inject({ method: 'POST', url: `/api/v1/intel/imports${query}`, headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, payload: body })

    it('serves the bundled 3CX advisory from the start, to staff and to customer tokens', async () => {
      const list = await get('/api/v1/advisories?search=3cx', viewer)
      const detail = await get('/api/v1/advisories/CVE-2023-29059', customer)

      assert.equal(list.statusCode, 200)
      assert.deepEqual(list.json().items.map((a: { externalId: string }) => a.externalId), ['CORDON-2023-0001'])
      assert.equal(detail.statusCode, 200)
      const body = detail.json()
      assert.equal(body.externalId, 'CORDON-2023-0001')
      assert.equal(body.indicatorCount, 58)
      assert.deepEqual(body.remediation.fixedVersions, [{ platform: 'windows', version: '18.12.425', note: body.remediation.fixedVersions[0].note }])
      assert.deepEqual(body.targets.find((x: { platform: string }) => x.platform === 'macos').versions, ['18.11.1213', '18.12.402', '18.12.407', '18.12.416'])
    })

    it('answers 404 for an advisory that does not exist', async () => {
      const response = await get('/api/v1/advisories/GHSA-none-none-none', viewer)

      assert.equal(response.statusCode, 404)
      assert.equal(response.json().kind, 'not_found')
    })

    it('lists indicators to staff, filtered, and not to customer tokens', async () => {
      const staff = await get('/api/v1/indicators?kind=domain&advisoryId=CORDON-2023-0001&confidence=high&limit=5', viewer)
      const forCustomer = await get('/api/v1/indicators', customer)
      const invalid = await get('/api/v1/indicators?kind=email', viewer)

      assert.equal(staff.statusCode, 200)
      assert.equal(staff.json().items.length, 5)
      assert.ok(staff.json().nextCursor)
      assert.ok(staff.json().items.every((i: { kind: string }) => i.kind === 'domain'))
      assert.equal(forCustomer.statusCode, 403)
      assert.equal(invalid.statusCode, 400)
    })

    it('imports an uploaded CSV, JSON or zip and answers with the report', async () => {
      const csv = await upload('?name=sophos-3cx-iocs.csv', fixture('csv/sophos-3cx-iocs.csv'), 'text/csv')
      const record = anOsvRecord()
      const osv = await upload('', JSON.stringify([record]), 'application/json; charset=utf-8')
      const zip = await upload('?name=all.zip', zipOf([{ name: 'a.json', data: JSON.stringify(anOsvRecord()) }]), 'application/zip')
      const list = await upload('?name=iocs.txt&format=csv', 'evil[.]example\n', 'text/plain')

      assert.equal(csv.statusCode, 200, csv.body)
      assert.deepEqual([csv.json().file, csv.json().format, csv.json().indicators.added, csv.json().rejectedCount], ['sophos-3cx-iocs.csv', 'csv', 7, 2])
      assert.deepEqual([osv.statusCode, osv.json().file, osv.json().advisories.added], [200, 'upload.json', 1])
      assert.deepEqual([zip.statusCode, zip.json().format, zip.json().advisories.added], [200, 'osv', 1])
      assert.deepEqual([list.statusCode, list.json().indicators.added], [200, 1])
      assert.equal((await get(`/api/v1/advisories/${record.id as string}`, viewer)).json().source, 'upload.json')
    })

    it('keeps only the last part of an uploaded name', async () => {
      const response = await upload(`?name=${encodeURIComponent('../../etc/evil\u0007.csv')}`, 'value\nnamed.example\n', 'text/csv')

      assert.equal(response.json().file, 'evil.csv')
    })

    it('answers a file it cannot read with a problem naming the file and line, and imports nothing', async () => {
      const response = await upload('?name=broken.json', '[\n{"id": "GHSA-1", "modified": "2024-01-01T00:00:00Z"},\n{"id": ', 'application/json')

      assert.equal(response.statusCode, 400)
      assert.match(String(response.headers['content-type']), /^application\/problem\+json/)
      assert.equal(response.json().kind, 'invalid')
      assert.match(response.json().detail, /^broken\.json:3: the JSON ends/)
      assert.equal((await get('/api/v1/advisories/GHSA-1', viewer)).statusCode, 404)
    })

    it('refuses bodies over 64 MiB with 413, other content types with 415, and unknown formats with 400', async () => {
      const tooLarge = await upload('?name=big.csv', Buffer.alloc(64 * 1024 * 1024 + 1, 0x61), 'text/csv')
      const wrongType = await upload('', '<iocs/>', 'application/xml')
      const badFormat = await upload('?format=misp', 'value\nx.example\n', 'text/csv')
      const empty = await upload('?name=empty.csv', '', 'text/csv')

      assert.deepEqual([tooLarge.statusCode, tooLarge.json().kind], [413, 'too_large'])
      assert.deepEqual([wrongType.statusCode, wrongType.json().kind], [415, 'unsupported_media_type'])
      assert.deepEqual([badFormat.statusCode, badFormat.json().kind], [400, 'invalid'])
      assert.equal(empty.statusCode, 400)
    })

    it('lets only responders and admins import', async () => {
      const asViewer = await upload('?name=x.csv', 'value\nx.example\n', 'text/csv', viewer)
      const asCustomer = await upload('?name=x.csv', 'value\nx.example\n', 'text/csv', customer)

      assert.deepEqual([asViewer.statusCode, asCustomer.statusCode], [403, 403])
    })
  })
}
