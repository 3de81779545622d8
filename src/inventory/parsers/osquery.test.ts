import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { parseOsquery } from './osquery.js'
import { bytes, chunked, fixture, fixturePath, itemsOf, kinds, observationsOf, parseError } from './testing.js'
import type { Observation } from './types.js'

const windowsHost = '4C4C4544-0058-4B10-8039-B5C04F505133'

async function resultsLog(): Promise<Observation[]> {
  return observationsOf(parseOsquery, fixture('osqueryd.results.log'), { file: 'osqueryd.results.log' })
}

function resultLine(fields: Record<string, unknown>): string {
  return JSON.stringify({ action: 'snapshot', name: 'pack_inventory_programs', hostIdentifier: 'host-1', calendarTime: 'Mon Apr  3 10:00:00 2023 UTC', unixTime: 1680516000, epoch: 0, counter: 0, numerics: false, ...fields })
}

describe('osquery results log', () => {
  it('reads a programs snapshot as one snapshot of the host, with the customer and hostname from its decorations', async () => {
    const observations = await resultsLog()

    const snapshot = observations[1]
    assert.equal(snapshot?.kind, 'snapshot')
    assert.deepEqual(snapshot.host, { identifier: windowsHost, hostname: 'DESKTOP-7Q2K3LM', customerRef: 'acme-telecom', kind: 'host' })
    assert.equal(snapshot.source, 'programs')
    assert.equal(snapshot.line, 1)
    assert.equal(snapshot.observedAt, '2023-04-03T10:00:00.000Z')
    assert.deepEqual(snapshot.items[0], { vendor: '3CX Ltd', product: '3CX Desktop App', version: '18.12.416', platform: 'windows', ecosystem: null, purl: null, cpe: null })
    assert.deepEqual(itemsOf([snapshot]).map((item) => item.product), ['3CX Desktop App', 'Google Chrome', '7-Zip 22.01 (x64 edition)'])
  })

  it('rejects a snapshot row without a version, naming the line and the row', async () => {
    const observations = await resultsLog()

    assert.deepEqual(observations[0], { kind: 'rejected', line: 1, reason: 'row 4 of pack_inventory_programs: no version' })
  })

  it('reads os_version and system_info rows as facts about the host', async () => {
    const hosts = (await resultsLog()).filter((observation) => observation.kind === 'host')

    assert.deepEqual(hosts.slice(0, 2).map(({ line, facts }) => ({ line, facts })), [
      { line: 2, facts: { osName: 'Microsoft Windows 11 Pro', osVersion: '10.0.22621', platform: 'windows' } },
      { line: 3, facts: { hostname: 'DESKTOP-7Q2K3LM', hardwareSerial: '5XK9PQ3', hardwareUuid: windowsHost } },
    ])
  })

  it('reads a macOS app by its bundle name, preferring the short version users see', async () => {
    const apps = (await resultsLog()).find((observation) => observation.kind === 'snapshot' && observation.source === 'apps')

    assert.ok(apps && apps.kind === 'snapshot')
    assert.equal(apps.host.customerRef, 'northwind')
    assert.deepEqual(apps.items, [
      { vendor: '', product: '3CX Desktop App.app', version: '18.12.407', platform: 'macos', ecosystem: null, purl: null, cpe: null },
      { vendor: '', product: 'Safari.app', version: '16.4', platform: 'macos', ecosystem: null, purl: null, cpe: null },
    ])
  })

  it('reads deb packages with their full version and a purl naming the distribution an earlier os_version row told', async () => {
    const debs = (await resultsLog()).find((observation) => observation.kind === 'snapshot' && observation.source === 'deb_packages')

    assert.ok(debs && debs.kind === 'snapshot')
    assert.deepEqual(debs.items, [
      { vendor: '', product: 'openssl', version: '3.0.2-0ubuntu1.8', platform: 'linux', ecosystem: 'deb', purl: 'pkg:deb/ubuntu/openssl@3.0.2-0ubuntu1.8?arch=amd64', cpe: null, sourcePackage: null },
      { vendor: '', product: 'tzdata', version: '2023c-0ubuntu0.22.04.0', platform: 'linux', ecosystem: 'deb', purl: 'pkg:deb/ubuntu/tzdata@2023c-0ubuntu0.22.04.0?arch=all', cpe: null, sourcePackage: null },
    ])
  })

  it('reads interface_addresses rows as addresses of the host, leaving out loopback and link-local ones', async () => {
    const rows = [
      { interface: 'lo', address: '127.0.0.1', mask: '255.0.0.0', type: '' },
      { interface: 'eth0', address: '10.20.1.7', mask: '255.255.0.0', type: '' },
      { interface: 'eth0', address: 'fe80::a00:27ff:fe4e:66a1%eth0', mask: 'ffff:ffff:ffff:ffff::', type: '' },
      { interface: 'eth0', address: '2001:DB8:5::7', mask: 'ffff:ffff:ffff:ffff::', type: '' },
    ]
    const observations = await observationsOf(parseOsquery, bytes(resultLine({ name: 'pack_net_interface_addresses', snapshot: rows })))

    assert.deepEqual(observations.map((o) => o.kind === 'host' && o.facts.addresses), [['10.20.1.7'], ['2001:db8:5::7']])
  })

  it('names the source package a deb package was built from', async () => {
    const line = resultLine({ name: 'debs', snapshot: [{ name: 'liblzma5', version: '5.2.5-2ubuntu1', arch: 'amd64', source: 'xz-utils (5.2.5-2ubuntu1)', status: 'install ok installed' }] })

    const [snapshot] = await observationsOf(parseOsquery, bytes(line))

    assert.equal(snapshot?.kind === 'snapshot' && snapshot.items[0]?.sourcePackage, 'xz-utils')
  })

  it('names debian in deb purls when the file has not told the distribution', async () => {
    const line = resultLine({ name: 'debs', snapshot: [{ name: 'curl', version: '7.88.1-10+deb12u5', arch: 'arm64', status: 'install ok installed', maintainer: 'Debian' }] })

    const [snapshot] = await observationsOf(parseOsquery, bytes(line))

    assert.equal(snapshot?.kind === 'snapshot' && snapshot.items[0]?.purl, 'pkg:deb/debian/curl@7.88.1-10+deb12u5?arch=arm64')
  })

  it('reads rpm packages as [epoch:]version-release, with a purl in the vendor namespace', async () => {
    const rpms = (await resultsLog()).find((observation) => observation.kind === 'snapshot' && observation.source === 'rpm_packages')

    assert.ok(rpms && rpms.kind === 'snapshot')
    assert.equal(rpms.host.customerRef, undefined)
    assert.equal(rpms.host.hostname, 'sbc-02.example.net')
    assert.deepEqual(rpms.items, [
      { vendor: 'Red Hat, Inc.', product: 'openssl', version: '1:3.0.7-27.el9_2', platform: 'linux', ecosystem: 'rpm', purl: 'pkg:rpm/redhat/openssl@3.0.7-27.el9_2?arch=x86_64&epoch=1', cpe: null, sourcePackage: 'openssl' },
      { vendor: 'Red Hat, Inc.', product: 'tzdata', version: '2023c-1.el9', platform: 'linux', ecosystem: 'rpm', purl: 'pkg:rpm/redhat/tzdata@2023c-1.el9?arch=noarch', cpe: null, sourcePackage: 'tzdata' },
    ])
  })

  it('reads the event format as added and removed observations, and the batch format as one of each', async () => {
    const observations = await resultsLog()

    const changes = observations.filter((observation) => observation.kind === 'added' || observation.kind === 'removed')
    assert.deepEqual(changes.map((change) => [change.kind, change.line, change.kind !== 'rejected' && 'items' in change && change.items[0]?.version]), [
      ['added', 8, '18.12.422'],
      ['removed', 9, '18.12.416'],
      ['removed', 10, '18.12.407'],
      ['added', 10, '18.12.416'],
    ])
  })

  it('takes the customer from the decoration the options name', async () => {
    const line = resultLine({ snapshot: [{ name: 'Zoom', version: '5.14.0', publisher: 'Zoom Video Communications, Inc.' }], decorations: { customer: 'not-this', tenant: 'globex' } })

    const [snapshot] = await observationsOf(parseOsquery, bytes(line), { customerField: 'tenant' })

    assert.equal(snapshot?.kind === 'snapshot' && snapshot.host.customerRef, 'globex')
  })

  it('gives hosts without a customer decoration the customer of the options', async () => {
    const line = resultLine({ snapshot: [{ name: 'Zoom', version: '5.14.0', publisher: 'Zoom' }], decorations: { hostname: 'ws-9' } })

    const [snapshot] = await observationsOf(parseOsquery, bytes(line), { customer: 'initech' })

    assert.equal(snapshot?.kind === 'snapshot' && snapshot.host.customerRef, 'initech')
  })

  it('tells the table from the columns whatever the query is called', async () => {
    const line = resultLine({ name: 'my_query', snapshot: [{ name: 'Zoom', version: '5.14.0', publisher: 'Zoom', install_location: '' }] })

    const [snapshot] = await observationsOf(parseOsquery, bytes(line))

    assert.equal(snapshot?.kind === 'snapshot' && snapshot.source, 'programs')
  })

  it('uses the query name for rows whose columns cannot tell, and rejects them when it cannot tell either', async () => {
    const hinted = resultLine({ name: 'pack_it_programs', snapshot: [{ name: 'Zoom', version: '5.14.0' }] })
    const unknown = resultLine({ name: 'pack_it_stuff', snapshot: [{ name: 'Zoom', version: '5.14.0' }] })

    const observations = await observationsOf(parseOsquery, bytes(`${hinted}\n${unknown}\n`))

    assert.deepEqual(observations.map((observation) => (observation.kind === 'rejected' ? observation.reason : observation.kind === 'snapshot' && observation.source)), [
      'programs',
      'row 1 of pack_it_stuff: not from an osquery table Cordon reads (columns: name, version)',
    ])
  })

  it('rejects the rows of a query of another table once for the line, not once a row', async () => {
    const processes = Array.from({ length: 300 }, (_, i) => ({ pid: String(i), name: `proc-${i}`, path: `/usr/bin/proc-${i}`, cmdline: '' }))

    const observations = await observationsOf(parseOsquery, bytes(resultLine({ name: 'pack_it_processes', snapshot: processes })))

    assert.deepEqual(observations, [{ kind: 'rejected', line: 1, reason: '300 rows of pack_it_processes: not from an osquery table Cordon reads (columns: pid, name, path, cmdline)' }])
  })

  it('splits a snapshot of rows from two tables into one snapshot per source', async () => {
    const line = resultLine({ name: 'all_software', snapshot: [{ name: 'Zoom', version: '5.14.0', publisher: 'Zoom' }, { name: 'Zoom.app', bundle_short_version: '5.14.0' }] })

    const observations = await observationsOf(parseOsquery, bytes(line))

    assert.deepEqual(observations.map((observation) => observation.kind === 'snapshot' && observation.source), ['programs', 'apps'])
  })

  it('says nothing for an empty snapshot: osquery logs one when the table does not exist on the platform', async () => {
    const observations = await observationsOf(parseOsquery, bytes(resultLine({ name: 'pack_inventory_deb_packages', snapshot: [] })))

    assert.deepEqual(observations, [])
  })

  it('reads unixTime given as text, and leaves the time unknown when it is not a sane Unix time', async () => {
    const times = ['1680516000', 'yesterday', 99999999999999, -5, 1680516000.5]
    const lines = times.map((unixTime) => resultLine({ unixTime, snapshot: [{ name: 'Zoom', version: '1', publisher: 'Zoom' }] }))

    const observations = await observationsOf(parseOsquery, bytes(lines.join('\n')))

    assert.deepEqual(observations.map((observation) => observation.kind === 'snapshot' && observation.observedAt), ['2023-04-03T10:00:00.000Z', null, null, null, null])
  })

  it('rejects lines that are JSON but not osquery results, and goes on', async () => {
    const content = ['{"hostIdentifier":"h"}', '[1,2]', JSON.stringify({ snapshot: [] }), resultLine({ snapshot: 'nope' }), resultLine({ columns: {}, action: 'snapshot' }), resultLine({ snapshot: [{ name: 'Zoom', version: '1', publisher: 'Zoom' }] })].join('\n')

    const observations = await observationsOf(parseOsquery, bytes(content))

    assert.deepEqual(observations.map((observation) => (observation.kind === 'rejected' ? `${observation.line}: ${observation.reason}` : observation.kind)), [
      '1: not an osquery result: no snapshot, columns or diffResults',
      '2: the line is not a JSON object',
      '3: the result names no host (hostIdentifier)',
      '4: the snapshot of pack_inventory_programs is not an array',
      '5: the action of pack_inventory_programs is neither added nor removed',
      'snapshot',
    ])
  })

  it('counts lines exactly across blank lines and CRLF endings', async () => {
    const line = resultLine({ snapshot: [{ name: 'Zoom', version: '1', publisher: 'Zoom' }, { name: 'Bad', publisher: 'x' }] })

    const observations = await observationsOf(parseOsquery, bytes(`\r\n${line}\r\n\r\n  \r\n${line}`))

    assert.deepEqual(observations.map((observation) => observation.line), [2, 2, 5, 5])
  })

  it('reads the same observations whatever the chunk boundaries', async () => {
    const content = readFileSync(fixturePath('osqueryd.results.log'))
    const whole = await resultsLog()

    for (const size of [1, 7, 4096]) {
      assert.deepEqual(await observationsOf(parseOsquery, chunked(content, size), { file: 'osqueryd.results.log' }), whole)
    }
  })
})

describe('osqueryi --json', () => {
  it('reads each row of the array as present on the host the options give, at the line it is on', async () => {
    const observations = await observationsOf(parseOsquery, fixture('osqueryi-programs.json'), { host: 'DESKTOP-7Q2K3LM', customer: 'acme-telecom' })

    assert.deepEqual(kinds(observations), ['present', 'present', 'present', 'rejected'])
    assert.deepEqual(observations.map((observation) => observation.line), [2, 3, 4, 5])
    assert.deepEqual(observations[0], {
      kind: 'present',
      line: 2,
      host: { identifier: 'DESKTOP-7Q2K3LM', customerRef: 'acme-telecom', kind: 'host' },
      source: 'programs',
      observedAt: null,
      items: [{ vendor: '3CX Ltd', product: '3CX Desktop App', version: '18.12.416', platform: 'windows', ecosystem: null, purl: null, cpe: null }],
    })
  })

  it('takes the host from a hostname column of pretty-printed rows', async () => {
    const observations = await observationsOf(parseOsquery, fixture('osqueryi-apps-pretty.json'))

    assert.deepEqual(observations.map((observation) => observation.kind === 'present' && [observation.line, observation.host.identifier, observation.items[0]?.version]), [
      [2, 'jdoe-mbp', '18.12.407'],
      [24, 'jdoe-mbp', '16.4'],
    ])
  })

  it('fails naming the line of the first row when neither the options nor the rows name the host', async () => {
    const error = await parseError(parseOsquery, fixture('osqueryi-programs.json'), { file: 'programs.json' })

    assert.equal(error.line, 2)
    assert.match(error.message, /^programs\.json:2: osqueryi output does not say which host it is from/)
  })

  it('reads an empty array as nothing', async () => {
    assert.deepEqual(await observationsOf(parseOsquery, bytes('[\n\n]\n'), { host: 'h' }), [])
  })
})
