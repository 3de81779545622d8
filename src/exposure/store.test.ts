import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { testDialects } from '../db/testing.js'
import { systemActor } from '../shared/actor.js'
import { createTestApp, type TestApp } from '../testing.js'
import { insertMatches, reconcile } from './store.js'

// reconcile's counts: what it opened, resolved and reopened, on each dialect.

for (const dialect of testDialects) {
  describe(`exposure reconcile (${dialect.name})`, { skip: dialect.skip }, () => {
    let t: TestApp
    before(async () => {
      t = await createTestApp(dialect.name)
      await t.services.customers.create(systemActor, { name: 'Acme Telecom', externalRef: 'acme' })
    })
    after(() => t.close())

    it('counts the findings it opens, and opens none the second time', async () => {
      const line = (host: string) => JSON.stringify({ snapshot: [{ name: 'Zoom', version: '5.14.0', publisher: 'Zoom Video Communications, Inc.' }], action: 'snapshot', name: 'programs', hostIdentifier: host, unixTime: 1680000000, decorations: { customer: 'acme' } })
      await t.services.inventory.importInventory(systemActor, { file: 'zoom.log', bytes: (async function* () { yield Buffer.from(['pc-1', 'pc-2', 'pc-3'].map(line).join('\n') + '\n') })() })
      const endpoint = await t.services.inventory.getEndpoint(systemActor.scope, 'pc-1')
      const [zoom] = (await t.services.inventory.listSoftware(systemActor.scope, endpoint.id, { limit: 10 })).items
      const advisory = await t.services.intel.getAdvisory('CORDON-2023-0001')
      const db = t.services.database.db
      await insertMatches(db, [{ advisoryId: advisory.id, catalogId: zoom!.catalogId }], '2026-01-01T00:00:00.000Z')

      assert.deepEqual(await reconcile(db, { advisoryIds: [advisory.id] }, '2026-01-01T00:00:00.000Z'), { opened: 3, resolved: 0, reopened: 0 })
      assert.deepEqual(await reconcile(db, { advisoryIds: [advisory.id] }, '2026-01-02T00:00:00.000Z'), { opened: 0, resolved: 0, reopened: 0 })
    })
  })
}
