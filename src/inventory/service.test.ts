import assert from 'node:assert/strict'
import { gzipSync } from 'node:zlib'
import { after, before, describe, it } from 'node:test'
import { sql } from 'kysely'
import { createAudit } from '../audit/index.js'
import { createCustomers, type Customers } from '../customers/index.js'
import { testDialects, type TestDatabase } from '../db/testing.js'
import { systemActor } from '../shared/actor.js'
import { FakeClock } from '../shared/clock.js'
import { AppError } from '../shared/errors.js'
import { createInventory, type Inventory } from './service.js'

/** osqueryd snapshot-format result lines, as the filesystem logger writes them. */
function snapshotLine(host: string, customer: string | null, unixTime: number, rows: Array<Record<string, string>>, name = 'pack_inventory_programs'): string {
  return JSON.stringify({
    snapshot: rows,
    action: 'snapshot',
    name,
    hostIdentifier: host,
    calendarTime: new Date(unixTime * 1000).toUTCString(),
    unixTime,
    epoch: 0,
    counter: 0,
    numerics: false,
    decorations: customer === null ? { hostname: host } : { customer, hostname: host },
  })
}

function program(name: string, version: string, publisher: string): Record<string, string> {
  return { name, version, publisher, install_location: `C:\\Program Files\\${name}`, install_source: '', language: '', uninstall_string: '', install_date: '20230301', identifying_number: '' }
}

function bytesOf(...lines: string[]): AsyncIterable<Buffer> {
  return (async function* () {
    yield Buffer.from(lines.join('\n') + '\n')
  })()
}

const t0 = 1_680_000_000 // 2023-03-28T10:40:00Z

for (const dialect of testDialects) {
  describe(`inventory imports (${dialect.name})`, { skip: dialect.skip }, () => {
    let database: TestDatabase
    let customers: Customers
    let inventory: Inventory
    let acme: string
    let globex: string
    const clock = new FakeClock('2026-03-29T10:00:00.000Z')

    before(async () => {
      database = await dialect.open()
      const audit = createAudit({ db: database.db, clock })
      customers = createCustomers({ db: database.db, clock, audit })
      inventory = createInventory({ db: database.db, clock, audit, customers })
      acme = (await customers.create(systemActor, { name: 'Acme Telecom', externalRef: 'acme' })).id
      globex = (await customers.create(systemActor, { name: 'Globex', externalRef: 'globex' })).id
    })
    after(() => database.close())

    async function software(host: string, includeRemoved = false) {
      const endpoint = await inventory.getEndpoint(systemActor.scope, host)
      return (await inventory.listSoftware(systemActor.scope, endpoint.id, { includeRemoved, limit: 500 })).items
    }

    it('imports an osquery snapshot: endpoints under their customers, one catalog entry per distinct version, a report', async () => {
      const report = await inventory.importInventory(systemActor, {
        file: 'osqueryd.results.log',
        bytes: bytesOf(
          snapshotLine('pc-1', 'acme', t0, [program('3CX Desktop App', '18.12.416', '3CX Ltd'), program('Google Chrome', '111.0.5563.65', 'Google LLC')]),
          snapshotLine('pc-2', 'acme', t0, [program('3CX Desktop App', '18.12.416', '3CX'), program('Google Chrome', '111.0.5563.65', 'Google LLC')]),
          snapshotLine('pc-3', 'globex', t0, [program('3CX Desktop App', '18.12.425', '3CX Ltd')]),
        ),
      })

      assert.equal(report.format, 'osquery')
      assert.equal(report.accepted, 5)
      assert.equal(report.rejected, 0)
      assert.equal(report.endpointsTouched, 3)
      assert.equal(report.endpointsCreated, 3)
      // "3CX Ltd" and "3CX" are one vendor: 3CX 18.12.416, 3CX 18.12.425 and Chrome.
      assert.equal(report.catalogAdded, 3)
      const pc1 = await inventory.getEndpoint(systemActor.scope, 'pc-1')
      assert.equal(pc1.customerId, acme)
      assert.equal(pc1.firstSeen, new Date(t0 * 1000).toISOString())
      assert.equal((await inventory.getEndpoint(systemActor.scope, 'pc-3')).customerId, globex)
      assert.deepEqual((await software('pc-2')).map((i) => [i.product, i.version, i.source]).sort(), [['3CX Desktop App', '18.12.416', 'programs'], ['Google Chrome', '111.0.5563.65', 'programs']])
      assert.deepEqual((await inventory.getImport(report.id)).accepted, 5)
    })

    it('is idempotent: importing the same file again changes nothing', async () => {
      const line = snapshotLine('pc-1', 'acme', t0, [program('3CX Desktop App', '18.12.416', '3CX Ltd'), program('Google Chrome', '111.0.5563.65', 'Google LLC')])
      const before = await software('pc-1', true)
      const report = await inventory.importInventory(systemActor, { file: 'again.log', bytes: bytesOf(line) })
      assert.equal(report.endpointsCreated, 0)
      assert.equal(report.catalogAdded, 0)
      assert.equal(report.installationsRemoved, 0)
      assert.deepEqual(await software('pc-1', true), before)
    })

    it('a later snapshot removes what it no longer lists, with its time; a version that comes back is present again and keeps its first-seen time', async () => {
      const later = t0 + 3600
      const report = await inventory.importInventory(systemActor, { file: 'later.log', bytes: bytesOf(snapshotLine('pc-1', 'acme', later, [program('Google Chrome', '111.0.5563.65', 'Google LLC')])) })
      assert.equal(report.installationsRemoved, 1)
      const gone = (await software('pc-1', true)).find((i) => i.product === '3CX Desktop App')!
      assert.equal(gone.removedAt, new Date(later * 1000).toISOString())
      assert.equal(gone.lastSeen, new Date(t0 * 1000).toISOString())
      assert.deepEqual((await software('pc-1')).map((i) => i.product), ['Google Chrome'])

      const back = t0 + 7200
      await inventory.importInventory(systemActor, { file: 'back.log', bytes: bytesOf(snapshotLine('pc-1', 'acme', back, [program('3CX Desktop App', '18.12.416', '3CX Ltd'), program('Google Chrome', '111.0.5563.65', 'Google LLC')])) })
      const returned = (await software('pc-1')).find((i) => i.product === '3CX Desktop App')!
      assert.equal(returned.removedAt, null)
      assert.equal(returned.firstSeen, new Date(t0 * 1000).toISOString())
      assert.equal(returned.lastSeen, new Date(back * 1000).toISOString())
    })

    it('two snapshots of one host in one file apply in order', async () => {
      const a = t0 + 10_000
      const b = t0 + 20_000
      await inventory.importInventory(systemActor, {
        file: 'two.log',
        bytes: bytesOf(snapshotLine('pc-9', 'acme', a, [program('Zoom', '5.13.0', 'Zoom Video Communications, Inc.')]), snapshotLine('pc-9', 'acme', b, [program('Zoom', '5.14.0', 'Zoom Video Communications, Inc.')])),
      })
      const all = await software('pc-9', true)
      assert.deepEqual(all.map((i) => [i.version, i.removedAt]).sort(), [['5.13.0', new Date(b * 1000).toISOString()], ['5.14.0', null]])
    })

    it('refuses a snapshot older than one already imported for that endpoint, and applies nothing from it', async () => {
      const stale = t0 - 3600
      const report = await inventory.importInventory(systemActor, { file: 'stale.log', bytes: bytesOf(snapshotLine('pc-1', 'acme', stale, [program('Old Thing', '1.0', 'Nobody')])) })
      assert.equal(report.rejected, 1)
      assert.match(report.rejections[0]!.reason, /older than the one already imported/)
      assert.equal(report.rejections[0]!.line, 1)
      assert.ok(!(await software('pc-1', true)).some((i) => i.product === 'Old Thing'))
    })

    it('applies differential results: added and removed events', async () => {
      const added = JSON.stringify({ name: 'pack_inventory_programs', hostIdentifier: 'pc-2', calendarTime: '', unixTime: t0 + 100, epoch: 0, counter: 1, numerics: false, decorations: { customer: 'acme' }, columns: program('Notepad++', '8.5', 'Notepad++ Team'), action: 'added' })
      const removed = JSON.stringify({ name: 'pack_inventory_programs', hostIdentifier: 'pc-2', calendarTime: '', unixTime: t0 + 200, epoch: 0, counter: 2, numerics: false, decorations: { customer: 'acme' }, columns: program('Google Chrome', '111.0.5563.65', 'Google LLC'), action: 'removed' })
      const report = await inventory.importInventory(systemActor, { file: 'diff.log', bytes: bytesOf(added, removed) })
      assert.equal(report.installationsRemoved, 1)
      const items = await software('pc-2', true)
      assert.equal(items.find((i) => i.product === 'Notepad++')!.removedAt, null)
      assert.equal(items.find((i) => i.product === 'Google Chrome')!.removedAt, new Date((t0 + 200) * 1000).toISOString())
    })

    it('maps hosts to customers: --customer for rows naming none, known hosts keep theirs, unknown ones are rejected by line', async () => {
      const report = await inventory.importInventory(systemActor, {
        file: 'mixed.log',
        bytes: bytesOf(
          snapshotLine('pc-3', null, t0 + 50, [program('3CX Desktop App', '18.12.425', '3CX Ltd')]),
          snapshotLine('new-host', null, t0, [program('Zoom', '5.13.0', 'Zoom')]),
          snapshotLine('pc-4', 'no-such-customer', t0, [program('Zoom', '5.13.0', 'Zoom')]),
        ),
      })
      assert.equal(report.accepted, 1)
      assert.deepEqual(report.rejections.map((r) => r.line), [2, 3])
      assert.match(report.rejections[0]!.reason, /no customer for host new-host/)
      assert.match(report.rejections[1]!.reason, /no customer "no-such-customer"/)

      const withDefault = await inventory.importInventory(systemActor, { file: 'default.log', customer: 'Globex', bytes: bytesOf(snapshotLine('new-host', null, t0, [program('Zoom', '5.13.0', 'Zoom')])) })
      assert.equal(withDefault.rejected, 0)
      assert.equal((await inventory.getEndpoint(systemActor.scope, 'new-host')).customerId, globex)
    })

    it('imports an RMM CSV export as a whole-file snapshot per host', async () => {
      const csv = (rows: string[]) => bytesOf('Customer,Device Name,Operating System,Publisher,Software Name,Version', ...rows)
      await inventory.importInventory(systemActor, { file: 'rmm-1.csv', bytes: csv(['acme,desk-7,Windows 11 Pro,3CX Ltd,3CX Desktop App,18.12.407', 'acme,desk-7,Windows 11 Pro,Mozilla,Mozilla Firefox,111.0']) })
      clock.advance(60_000)
      const report = await inventory.importInventory(systemActor, { file: 'rmm-2.csv', bytes: csv(['acme,desk-7,Windows 11 Pro,Mozilla,Mozilla Firefox,111.0']) })
      assert.equal(report.format, 'csv')
      assert.equal(report.installationsRemoved, 1)
      assert.deepEqual((await software('desk-7')).map((i) => i.product), ['Mozilla Firefox'])
      assert.equal((await inventory.getEndpoint(systemActor.scope, 'desk-7')).platform, null)
    })

    it('reads gzip-compressed files', async () => {
      const gz = gzipSync(Buffer.from(snapshotLine('gz-1', 'acme', t0, [program('7-Zip', '22.01', 'Igor Pavlov')]) + '\n'))
      const report = await inventory.importInventory(systemActor, { file: 'results.log.gz', bytes: (async function* () { yield gz })() })
      assert.equal(report.accepted, 1)
    })

    it('commits nothing from a file that breaks half-way, and names the file and line', async () => {
      const counts = async () => {
        const endpoints = await sql<{ n: number }>`select count(*) as n from endpoints`.execute(database.db)
        const imports = await sql<{ n: number }>`select count(*) as n from inventory_imports`.execute(database.db)
        return [Number(endpoints.rows[0]!.n), Number(imports.rows[0]!.n)]
      }
      const before = await counts()
      await assert.rejects(
        inventory.importInventory(systemActor, { file: 'broken.log', bytes: bytesOf(snapshotLine('half-1', 'acme', t0, [program('A', '1', 'B')]), '{"snapshot": [', snapshotLine('half-2', 'acme', t0, [])) }),
        (error: unknown) => error instanceof AppError && error.kind === 'invalid' && error.message.includes('broken.log:2'),
      )
      assert.deepEqual(await counts(), before)
    })

    it('refuses a cursor it did not issue, on every integer-keyed list', async () => {
      const endpoint = await inventory.getEndpoint(systemActor.scope, 'pc-1')
      const invalid = (error: unknown) => error instanceof AppError && error.kind === 'invalid' && error.problems.some((p) => p.field === 'cursor')
      const notAnId = Buffer.from(JSON.stringify(['x'])).toString('base64url')
      for (const cursor of ['garbage', notAnId]) {
        await assert.rejects(inventory.listSoftware(systemActor.scope, endpoint.id, { cursor }), invalid)
        await assert.rejects(inventory.searchCatalog({ cursor }), invalid)
      }
    })

    it('scopes endpoints to the customer a customer token may see', async () => {
      const scope = (await customers.resolveTenantScope(acme))!
      const page = await inventory.listEndpoints(scope, { limit: 500 })
      assert.ok(page.items.length > 0)
      assert.ok(page.items.every((e) => e.customerId === acme))
      const globexHost = await inventory.getEndpoint(systemActor.scope, 'pc-3')
      await assert.rejects(inventory.getEndpoint(scope, globexHost.id), (error: unknown) => error instanceof AppError && error.kind === 'not_found')
      await assert.rejects(inventory.listSoftware(scope, globexHost.id, {}), (error: unknown) => error instanceof AppError && error.kind === 'not_found')
    })
  })
}
