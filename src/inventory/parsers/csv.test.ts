import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { parseCsv, platformOf } from './csv.js'
import { bytes, chunked, fixture, fixturePath, itemsOf, observationsOf, parseError } from './testing.js'

describe('csv', () => {
  it('reads a NinjaOne export: one present observation per row, host by device id, customer by organization', async () => {
    const observations = await observationsOf(parseCsv, fixture('ninjaone-software.csv'), { file: 'ninjaone-software.csv' })

    assert.deepEqual(observations[0], {
      kind: 'present',
      line: 2,
      host: { identifier: '1042', hostname: 'DESKTOP-7Q2K3LM', customerRef: 'Acme Telecom', kind: 'host' },
      source: 'csv',
      observedAt: '2023-04-03T10:00:00.000Z',
      items: [{ vendor: '3CX Ltd', product: '3CX Desktop App', version: '18.12.416', platform: 'windows', ecosystem: null, purl: null, cpe: null }],
    })
    assert.deepEqual(observations.map((observation) => observation.kind === 'present' && observation.items[0]?.platform), ['windows', 'windows', 'macos', 'linux', false])
  })

  it('reads quoted fields with doubled quotes and newlines, and numbers rows by their real first line', async () => {
    const observations = await observationsOf(parseCsv, fixture('ninjaone-software.csv'))

    assert.deepEqual(observations.map((observation) => observation.line), [2, 3, 4, 5, 7])
    assert.equal(itemsOf(observations)[3]?.product, 'Asterisk "certified" edition\r\n(LTS)')
    assert.deepEqual(observations[4], { kind: 'rejected', line: 7, reason: 'the row has no version' })
  })

  it('reads a Datto RMM export: semicolons, a BOM, site names as customers', async () => {
    const observations = await observationsOf(parseCsv, fixture('datto-rmm-software.csv'))

    assert.deepEqual(observations.map((observation) => observation.kind === 'present' && [observation.host.identifier, observation.host.customerRef, observation.items[0]?.vendor]), [
      ['FW-BUERO-01', 'Nordwind Fernmelde GmbH', '3CX Ltd'],
      ['FW-BUERO-02', 'Nordwind Fernmelde GmbH', 'Mozilla'],
    ])
  })

  it('reads a tab-separated N-able export', async () => {
    const observations = await observationsOf(parseCsv, fixture('n-able-software.tsv'))

    assert.deepEqual(itemsOf(observations), [{ vendor: '3CX Ltd', product: '3CX Desktop App', version: '18.12.416' }])
  })

  it('matches header names ignoring case, spaces and punctuation', async () => {
    const content = 'COMPUTER_NAME,Software-Name,SOFTWARE VERSION,Client\nws1,Zoom,5.14.0,Initech\n'

    const observations = await observationsOf(parseCsv, bytes(content))

    assert.deepEqual(itemsOf(observations), [{ vendor: '', product: 'Zoom', version: '5.14.0' }])
  })

  it('fails on line 1 when the header lacks a required column, listing the names it accepts', async () => {
    const error = await parseError(parseCsv, bytes('Device,Title,Build\nws1,Zoom,5\n'), { file: 'export.csv' })

    assert.equal(error.line, 1)
    assert.match(error.message, /^export\.csv:1: the header lacks columns for version \(one of: version, software version, display version\); customer \(one of: customer,/)
  })

  it('uses the customer of the options for a file without a customer column, and for rows with an empty one', async () => {
    const withoutColumn = await observationsOf(parseCsv, bytes('Hostname,Software,Version\nws1,Zoom,5\n'), { customer: 'initech' })
    const emptyCell = await observationsOf(parseCsv, bytes('Hostname,Software,Version,Customer\nws1,Zoom,5,\nws2,Zoom,5,Globex\n'), { customer: 'initech' })

    assert.deepEqual([...withoutColumn, ...emptyCell].map((observation) => observation.kind === 'present' && observation.host.customerRef), ['initech', 'initech', 'Globex'])
  })

  it('rejects rows without a host, product, version or customer, and rows of the wrong width', async () => {
    const content = 'Hostname,Software,Version,Customer\n,Zoom,5,a\nws1,,5,a\nws1,Zoom,,a\nws1,Zoom,5,\nws1,Zoom,5\nws1,Zoom,5,a,extra\n'

    const observations = await observationsOf(parseCsv, bytes(content))

    assert.deepEqual(observations.map((observation) => observation.kind === 'rejected' && `${observation.line}: ${observation.reason}`), [
      '2: the row has no host name',
      '3: the row has no product name',
      '4: the row has no version',
      '5: the row has no customer',
      '6: the row has 3 fields; the header has 4',
      '7: the row has 5 fields; the header has 4',
    ])
  })

  it('skips blank lines and keeps counting them', async () => {
    const observations = await observationsOf(parseCsv, bytes('\nHostname,Software,Version,Customer\r\n\r\nws1,Zoom,5,a\r\n\r\n\r\nws2,Zoom,5,a'))

    assert.deepEqual(observations.map((observation) => observation.line), [4, 7])
  })

  it('reads a file whose lines end in CRLF and LF alike', async () => {
    const observations = await observationsOf(parseCsv, bytes('Hostname,Software,Version,Customer\r\nws1,Zoom,5,a\nws2,Zoom,5,a\r\nws3,Zoom,5,a\n'))

    assert.deepEqual(observations.map((observation) => observation.kind === 'present' && [observation.line, observation.host.identifier]), [[2, 'ws1'], [3, 'ws2'], [4, 'ws3']])
  })

  it('leaves the time unknown when the seen column is not an ISO date', async () => {
    const content = 'Hostname,Software,Version,Customer,Last Seen\nws1,Zoom,5,a,2023-04-03\nws1,Zoom,5,a,04/03/2023\nws1,Zoom,5,a,2023-02-30\n'

    const observations = await observationsOf(parseCsv, bytes(content))

    assert.deepEqual(observations.map((observation) => observation.kind === 'present' && observation.observedAt), ['2023-04-03T00:00:00.000Z', null, null])
  })

  it('reads the same observations whatever the chunk boundaries', async () => {
    const content = readFileSync(fixturePath('ninjaone-software.csv'))
    const whole = await observationsOf(parseCsv, fixture('ninjaone-software.csv'))

    for (const size of [1, 3, 50]) assert.deepEqual(await observationsOf(parseCsv, chunked(content, size)), whole)
  })

  it('reads a header without a newline as a file without rows', async () => {
    assert.deepEqual(await observationsOf(parseCsv, bytes('Hostname,Software,Version,Customer')), [])
  })

  it('tells the platform from operating system names', () => {
    const names = ['Windows 10 Pro', 'Microsoft Windows Server 2019 Standard', 'macOS 14', 'Mac OS X 10.15.7', 'Ubuntu 22.04', 'Red Hat Enterprise Linux 9', 'Debian GNU/Linux 12', 'ChromeOS', undefined]

    assert.deepEqual(names.map(platformOf), ['windows', 'windows', 'macos', 'macos', 'linux', 'linux', 'linux', 'any', 'any'])
  })
})
