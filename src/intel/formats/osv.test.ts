import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { anOsvRecord, fixture } from '../testing.js'
import { readOsvRecord } from './osv.js'

function read(record: unknown) {
  const reading = readOsvRecord(record)
  assert.ok(reading.ok, reading.ok ? '' : reading.reason)
  return reading
}

describe('OSV records', () => {
  it('reads a Debian security advisory: the package as a deb target with its range and versions, CVEs as aliases', () => {
    const { value, unusable } = read(JSON.parse(fixture('osv/DSA-5417-1.json').toString()))

    assert.equal(value.externalId, 'DSA-5417-1')
    assert.equal(value.title, 'openssl - security update')
    assert.deepEqual(value.aliases, ['CVE-2023-0464', 'CVE-2023-0465', 'CVE-2023-0466', 'CVE-2023-1255', 'CVE-2023-2650'])
    assert.equal(value.modifiedAt, '2025-06-17T14:42:43.598Z')
    assert.equal(value.severity, 'unknown')
    assert.deepEqual(value.targets, [
      {
        ecosystem: 'deb',
        vendor: '',
        product: 'openssl',
        platform: null,
        versions: ['1.1.1k-1', '1.1.1n-0+deb11u1', '1.1.1n-0+deb11u2', '1.1.1n-0+deb11u3', '1.1.1n-0+deb11u4'],
        ranges: [{ scheme: 'debian', events: [{ introduced: '0' }, { fixed: '1.1.1n-0+deb11u5' }] }],
      },
    ])
    assert.deepEqual(unusable, [])
  })

  it('reads GitHub advisories for npm packages, scoped names as they are, severity from the database', () => {
    const [semver, babel] = JSON.parse(fixture('osv/npm-advisories.json').toString()) as unknown[]

    const first = read(semver).value
    const second = read(babel).value

    assert.equal(first.severity, 'medium')
    assert.deepEqual(first.targets.map((t) => [t.ecosystem, t.product, t.ranges[0]!.scheme, t.ranges[0]!.events]), [
      ['npm', 'semver', 'semver', [{ introduced: '7.0.0' }, { fixed: '7.5.2' }]],
      ['npm', 'semver', 'semver', [{ introduced: '6.0.0' }, { fixed: '6.3.1' }]],
      ['npm', 'semver', 'semver', [{ introduced: '0' }, { fixed: '5.7.2' }]],
    ])
    assert.equal(second.severity, 'critical')
    assert.equal(second.targets[0]!.product, '@babel/traverse')
  })

  it('reports GIT ranges as unusable and keeps the ECOSYSTEM range and the versions', () => {
    const { value, unusable } = read(JSON.parse(fixture('osv/PYSEC-2021-66.json').toString()))

    assert.deepEqual(value.targets[0]!.ranges, [{ scheme: 'dotted', events: [{ introduced: '0' }, { fixed: '2.11.3' }] }])
    assert.equal(value.targets[0]!.ecosystem, 'pypi')
    assert.equal(value.targets[0]!.versions.length, 11)
    assert.deepEqual(value.aliases, ['CVE-2020-28493', 'GHSA-g3rq-g295-4j3m'])
    assert.equal(unusable.length, 1)
    assert.match(unusable[0]!, /PYSEC-2021-66 affected\[0\] \(jinja2\) ranges\[0\]: GIT ranges/)
  })

  it('takes severity from a CVSS vector when the database names none', () => {
    const record = anOsvRecord({ database_specific: undefined, severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }] })

    assert.equal(read(record).value.severity, 'critical')
    assert.equal(read(anOsvRecord({ database_specific: undefined, severity: [{ type: 'CVSS_V2', score: 'AV:N/AC:M/Au:N/C:N/I:P/A:N' }] })).value.severity, 'medium')
    assert.equal(read(anOsvRecord({ database_specific: undefined, severity: [{ type: 'CVSS_V4', score: 'CVSS:4.0/AV:N' }] })).value.severity, 'unknown')
  })

  it('marks a withdrawn record withdrawn, with no targets', () => {
    const { value } = read(anOsvRecord({ withdrawn: '2024-02-01T00:00:00Z' }))

    assert.equal(value.withdrawnAt, '2024-02-01T00:00:00.000Z')
    assert.deepEqual(value.targets, [])
  })

  it('reports affected entries it cannot use: unknown ecosystems, no package, bad versions', () => {
    const { value, unusable } = read(
      anOsvRecord({
        affected: [
          { package: { ecosystem: 'OSS-Fuzz', name: 'libfoo' }, ranges: [{ type: 'GIT', repo: 'https://example.invalid/libfoo', events: [{ introduced: 'abc' }] }] },
          { ranges: [{ type: 'GIT', repo: 'https://example.invalid/x', events: [{ introduced: '0' }] }] },
          { package: { ecosystem: 'npm', name: 'left-pad' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: 'not a version!' }] }] },
          { package: { ecosystem: 'npm', name: 'right-pad' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '1.0.0', fixed: '2.0.0' }] }] },
          { package: { ecosystem: 'crates.io', name: 'smallvec' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0.6.3' }, { fixed: '0.6.10' }] }] },
        ],
      }),
    )

    assert.deepEqual(value.targets.map((t) => [t.ecosystem, t.product]), [['cargo', 'smallvec']])
    assert.match(unusable.join('\n'), /ecosystem "OSS-Fuzz" is not one Cordon knows/)
    assert.match(unusable.join('\n'), /affected\[1\]: names no package/)
    assert.match(unusable.join('\n'), /left-pad\) ranges\[0\]: introduced "not a version!" is not a valid semver version/)
    assert.match(unusable.join('\n'), /right-pad\) ranges\[0\]: an event is not one of/)
  })

  it('rejects what is not an OSV record, naming the field', () => {
    const cases: Array<[unknown, RegExp]> = [
      [[], /expected a JSON object/],
      [{ modified: '2024-01-01T00:00:00Z' }, /"id" is missing/],
      [{ id: '../../etc/passwd', modified: '2024-01-01T00:00:00Z' }, /"id" is missing or not an identifier/],
      [{ id: 'GHSA-1', modified: 'yesterday' }, /GHSA-1: "modified" is missing or not an RFC 3339 date/],
      [{ id: 'GHSA-1', modified: '2024-01-01T00:00:00Z', affected: {} }, /"affected" is not an array/],
    ]
    for (const [record, reason] of cases) {
      const reading = readOsvRecord(record)
      assert.ok(!reading.ok)
      assert.match(reading.reason, reason)
    }
  })

  it('hashes the same record the same way whatever the key order', () => {
    const record = anOsvRecord()
    const reordered = Object.fromEntries(Object.entries(record).reverse())

    assert.equal(read(record).value.contentHash, read(reordered).value.contentHash)
  })
})
