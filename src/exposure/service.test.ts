import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { testDialects } from '../db/testing.js'
import { systemActor } from '../shared/actor.js'
import { FakeClock } from '../shared/clock.js'
import { AppError } from '../shared/errors.js'
import { createTestApp, type TestApp } from '../testing.js'

// Exposure end to end through the composed app: the bundled 3CX advisory, osquery inventory
// imports, advisories imported later, finding lifecycle and triage, tenant scope.

const t0 = 1_680_000_000 // 2023-03-28T10:40:00Z
const iso = (unix: number) => new Date(unix * 1000).toISOString()

function line(host: string, customer: string, unixTime: number, name: string, rows: Array<Record<string, string>>): string {
  return JSON.stringify({ snapshot: rows, action: 'snapshot', name, hostIdentifier: host, calendarTime: '', unixTime, epoch: 0, counter: 0, numerics: false, decorations: { customer, hostname: host } })
}
const program = (name: string, version: string, publisher: string) => ({ name, version, publisher, install_location: '', install_source: '', language: '', uninstall_string: '', install_date: '', identifying_number: '' })
const app = (name: string, version: string) => ({ name: `${name}.app`, path: `/Applications/${name}.app`, bundle_executable: name, bundle_identifier: 'com.electron.3cx-desktop-app', bundle_name: name, bundle_short_version: version, bundle_version: version, display_name: name })
const deb = (name: string, version: string, source: string) => ({ name, version, source, size: '1', arch: 'amd64', revision: '', status: 'install ok installed', maintainer: 'Debian', section: 'libs', priority: 'optional', admindir: '/var/lib/dpkg' })

function bytes(...lines: string[]): AsyncIterable<Buffer> {
  return (async function* () {
    yield Buffer.from(lines.join('\n') + '\n')
  })()
}

function osvRecord(modified: string, extra: Record<string, unknown> = {}) {
  return {
    schema_version: '1.6.0',
    id: 'DEBIAN-CVE-2023-5678',
    modified,
    published: '2023-11-06T16:15:00Z',
    aliases: ['CVE-2023-5678'],
    summary: 'openssl: excessive time spent in DH check',
    affected: [{ package: { ecosystem: 'Debian:12', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.13-1~deb12u1' }] }] }],
    ...extra,
  }
}

for (const dialect of testDialects) {
  describe(`exposure (${dialect.name})`, { skip: dialect.skip }, () => {
    let t: TestApp
    const clock = new FakeClock('2026-03-29T10:00:00.000Z')
    let acme: string
    let globex: string

    before(async () => {
      t = await createTestApp(dialect.name, { clock })
      acme = (await t.services.customers.create(systemActor, { name: 'Acme Telecom', externalRef: 'acme' })).id
      globex = (await t.services.customers.create(systemActor, { name: 'Globex', externalRef: 'globex' })).id
    })
    after(() => t?.close())

    const importLines = (...lines: string[]) => t.services.inventory.importInventory(systemActor, { file: 'osqueryd.results.log', bytes: bytes(...lines) })
    const openFor = async (host: string, advisory = 'CVE-2023-29059') => {
      const endpoint = await t.services.inventory.getEndpoint(systemActor.scope, host)
      const advisoryId = (await t.services.intel.getAdvisory(advisory)).id
      return (await t.services.exposure.listFindings(systemActor.scope, { endpointId: endpoint.id, advisoryId, status: ['open', 'accepted', 'resolved', 'false_positive'], limit: 50 })).items
    }

    it('finds exactly the endpoints on an affected 3CX build, per platform, with the bundled advisory', async () => {
      await importLines(
        line('win-416', 'acme', t0, 'pack_programs', [program('3CX Desktop App', '18.12.416', '3CX Ltd')]),
        line('win-425', 'acme', t0, 'pack_programs', [program('3CX Desktop App', '18.12.425', '3CX Ltd')]),
        line('win-1213', 'acme', t0, 'pack_programs', [program('3CX Desktop App', '18.11.1213', '3CX Ltd')]),
        line('mac-1213', 'globex', t0, 'pack_apps', [app('3CX Desktop App', '18.11.1213')]),
        line('win-other', 'globex', t0, 'pack_programs', [program('3CX Phone System Management Console', '18.12.416', '3CX Ltd')]),
      )

      const exposure = await t.services.exposure.exposureOf(systemActor.scope, 'CVE-2023-29059')

      assert.equal(exposure.advisory, (await t.services.intel.getAdvisory('CORDON-2023-0001')).id)
      assert.deepEqual(
        exposure.customers.map((c) => [c.name, c.endpoints.map((e) => [e.identifier, e.version, e.platform])]),
        [
          ['Acme Telecom', [['win-416', '18.12.416', 'windows']]],
          ['Globex', [['mac-1213', '18.11.1213', 'macos']]],
        ],
      )
    })

    it('resolves a finding when a later snapshot shows the upgrade, with the import and time as evidence, and reopens it when the bad build comes back', async () => {
      const upgraded = await importLines(line('win-416', 'acme', t0 + 3600, 'pack_programs', [program('3CX Desktop App', '18.12.425', '3CX Ltd')]))
      const [resolved] = await openFor('win-416')
      assert.equal(resolved!.status, 'resolved')
      assert.equal(resolved!.resolution, 'upgraded')
      assert.equal(resolved!.resolvedAt, iso(t0 + 3600))
      assert.deepEqual(resolved!.evidence, { importId: upgraded.id })

      await importLines(line('win-416', 'acme', t0 + 7200, 'pack_programs', [program('3CX Desktop App', '18.12.416', '3CX Ltd')]))
      const [reopened] = await openFor('win-416')
      assert.equal(reopened!.status, 'open')
      assert.equal(reopened!.reopenedCount, 1)
      assert.equal(reopened!.resolvedAt, null)
      const history = await t.services.exposure.getFinding(systemActor.scope, reopened!.id)
      assert.deepEqual(history.events.map((e) => e.event), ['resolved', 'reopened'])

      await importLines(line('win-416', 'acme', t0 + 9000, 'pack_programs', [program('Mozilla Firefox', '111.0', 'Mozilla')]))
      const [removed] = await openFor('win-416')
      assert.equal(removed!.resolution, 'removed')
    })

    it('matches an advisory imported after the inventory, by Debian source package, and resolves its findings when it is withdrawn', async () => {
      await importLines(line('deb-1', 'globex', t0, 'pack_deb', [deb('libssl3', '3.0.11-1~deb12u2', 'openssl'), deb('bash', '5.2.15-2+b2', 'bash')]), line('deb-2', 'globex', t0, 'pack_deb', [deb('libssl3', '3.0.13-1~deb12u1', 'openssl')]))
      const record = osvRecord('2023-11-07T00:00:00Z')
      await t.services.intel.importFile(systemActor, { name: 'osv.json', buffer: Buffer.from(JSON.stringify(record)) })

      const exposure = await t.services.exposure.exposureOf(systemActor.scope, 'DEBIAN-CVE-2023-5678')
      assert.deepEqual(exposure.customers.map((c) => c.endpoints.map((e) => [e.identifier, e.product, e.version])), [[['deb-1', 'libssl3', '3.0.11-1~deb12u2']]])

      await t.services.intel.importFile(systemActor, { name: 'osv-withdrawn.json', buffer: Buffer.from(JSON.stringify(osvRecord('2023-12-01T00:00:00Z', { withdrawn: '2023-12-01T00:00:00Z' }))) })
      const [finding] = await openFor('deb-1', 'DEBIAN-CVE-2023-5678')
      assert.equal(finding!.status, 'resolved')
      assert.equal(finding!.resolution, 'no_longer_affected')
      assert.deepEqual((await t.services.exposure.exposureOf(systemActor.scope, 'DEBIAN-CVE-2023-5678')).customers, [])
    })

    it('triage: accepting needs a reason and a future expiry, is audited, and expires back to open', async () => {
      const [finding] = await openFor('mac-1213')
      const invalid = (field: string) => (error: unknown) => error instanceof AppError && error.kind === 'invalid' && error.problems.some((p) => p.field === field)
      await assert.rejects(t.services.exposure.triage(systemActor, finding!.id, { status: 'accepted', reason: 'kiosk' }), invalid('until'))
      await assert.rejects(t.services.exposure.triage(systemActor, finding!.id, { status: 'accepted', reason: 'kiosk', until: '2020-01-01T00:00:00Z' }), invalid('until'))
      await assert.rejects(t.services.exposure.triage(systemActor, finding!.id, { status: 'false_positive' }), invalid('reason'))

      const until = new Date(clock.now().getTime() + 86_400_000).toISOString()
      const accepted = await t.services.exposure.triage(systemActor, finding!.id, { status: 'accepted', reason: 'isolated kiosk, no network', until })
      assert.equal(accepted.status, 'accepted')
      assert.equal(accepted.acceptedUntil, until)
      const audited = await t.services.audit.list(systemActor.scope, { limit: 500 })
      assert.ok(audited.items.some((r) => r.action === 'finding.accepted' && r.targetId === finding!.id))

      assert.equal(await t.services.exposure.expireAcceptances(), 0)
      clock.advance(86_400_000 + 1000)
      assert.equal(await t.services.exposure.expireAcceptances(), 1)
      const [expired] = await openFor('mac-1213')
      assert.equal(expired!.status, 'open')
      assert.equal(expired!.acceptedUntil, null)

      const fp = await t.services.exposure.triage(systemActor, finding!.id, { status: 'false_positive', reason: 'lab machine image, app never runs' })
      assert.equal(fp.status, 'false_positive')
      assert.equal(fp.triageReason, 'lab machine image, app never runs')
      await t.services.exposure.triage(systemActor, finding!.id, { status: 'open' })
    })

    it('a customer scope sees only its own findings and exposure', async () => {
      const scope = (await t.services.customers.resolveTenantScope(globex))!
      const exposure = await t.services.exposure.exposureOf(scope, 'CVE-2023-29059')
      assert.deepEqual(exposure.customers.map((c) => c.id), [globex])
      const findings = await t.services.exposure.listFindings(scope, { status: ['open', 'resolved', 'accepted', 'false_positive'], limit: 500 })
      assert.ok(findings.items.length > 0)
      assert.ok(findings.items.every((f) => f.customerId === globex))
      const acmeFinding = (await t.services.exposure.listFindings(systemActor.scope, { customerId: acme, status: ['open', 'resolved'], limit: 1 })).items[0]!
      await assert.rejects(t.services.exposure.getFinding(scope, acmeFinding.id), (error: unknown) => error instanceof AppError && error.kind === 'not_found')
      await assert.rejects(t.services.exposure.triage({ ...systemActor, scope }, acmeFinding.id, { status: 'open' }), (error: unknown) => error instanceof AppError && error.kind === 'not_found')
    })

    it('a full re-match finds nothing the incremental matching missed', async () => {
      const report = await t.services.exposure.rematchAll(systemActor)
      assert.equal(report.added, 0)
      assert.equal(report.removed, 0)
      // 3CX 18.12.416 on Windows and 18.11.1213 on macOS; the withdrawn Debian advisory matches nothing.
      assert.equal(report.matches, 2, JSON.stringify(report))
    })

    it('serves exposure over HTTP, scoped for customer tokens', async () => {
      await importLines(line('win-407', 'acme', t0, 'pack_programs', [program('3CX Desktop App', '18.12.407', '3CX Ltd')]))
      const advisoryId = (await t.services.intel.getAdvisory('CVE-2023-29059')).id
      const staff = await t.tokenFor('viewer')
      const customer = await t.tokenFor('customer', acme)
      const all = await t.inject({ method: 'GET', url: `/api/v1/advisories/${advisoryId}/exposure`, headers: { authorization: `Bearer ${staff}` } })
      assert.equal(all.statusCode, 200, all.body)
      assert.deepEqual(all.json().customers.map((c: { name: string }) => c.name), ['Acme Telecom', 'Globex'])
      const mine = await t.inject({ method: 'GET', url: `/api/v1/advisories/${advisoryId}/exposure`, headers: { authorization: `Bearer ${customer}` } })
      assert.deepEqual(mine.json().customers.map((c: { id: string }) => c.id), [acme])
      const theirs = await t.inject({ method: 'GET', url: `/api/v1/customers/${globex}/findings`, headers: { authorization: `Bearer ${customer}` } })
      assert.equal(theirs.statusCode, 404)
    })
  })
}
