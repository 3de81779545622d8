import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { aCordonAdvisory } from '../testing.js'
import { readCordonAdvisory } from './cordon.js'

describe('Cordon advisories', () => {
  it('turns each product name and alias into a target, and normalises its indicators', () => {
    const reading = readCordonAdvisory(
      aCordonAdvisory({
        affected: [
          { vendor: '3CX Ltd', product: '3CX Desktop App', productAliases: ['3CXDesktopApp', '3CX Desktop App.app'], platform: 'macos', versions: ['18.12.416', ' 18.12.407 '] },
          { vendor: '3CX Ltd', product: '3CX Desktop App', platform: 'windows', ranges: [{ scheme: 'dotted', events: [{ introduced: '18.12.407' }, { fixed: '18.12.425' }] }] },
        ],
        indicators: [
          { kind: 'domain', value: 'Akamaicontainer[.]com', confidence: 'high', source: 'Sophos' },
          { kind: 'url', value: 'pbxsources.com', confidence: 'high', source: 'Sophos' },
          { kind: 'sha256', value: 'nope', confidence: 'high', source: 'Sophos' },
        ],
      }),
    )

    assert.ok(reading.ok)
    assert.deepEqual(reading.value.targets.map((t) => [t.product, t.platform, t.versions, t.ranges.length]), [
      ['3CX Desktop App', 'macos', ['18.12.416', '18.12.407'], 0],
      ['3CXDesktopApp', 'macos', ['18.12.416', '18.12.407'], 0],
      ['3CX Desktop App', 'windows', [], 1],
    ])
    assert.deepEqual(reading.value.indicators.map((i) => [i.kind, i.value]), [
      ['domain', 'akamaicontainer.com'],
      ['domain', 'pbxsources.com'],
    ])
    assert.match(reading.unusable.join('\n'), /indicators\[2\]: "nope" is not a hexadecimal SHA-256 hash/)
  })

  it('rejects an advisory that does not follow the schema, naming the fields', () => {
    const reading = readCordonAdvisory(aCordonAdvisory({ severity: 'apocalyptic', affected: [{ vendor: 'X', product: 'Y', platform: 'beos' }], extra: true }))

    assert.ok(!reading.ok)
    assert.match(reading.reason, /not a valid Cordon advisory/)
    assert.match(reading.reason, /severity must be one of: critical, high, medium, low, unknown/)
    assert.match(reading.reason, /affected\.0\.platform/)
    assert.match(reading.reason, /must not have additional properties/)
  })

  it('reports a range whose versions its scheme cannot read, and an affected product left with nothing', () => {
    const reading = readCordonAdvisory(aCordonAdvisory({ affected: [{ vendor: 'X', product: 'Y', platform: 'any', ranges: [{ scheme: 'semver', events: [{ introduced: 'banana' }] }] }] }))

    assert.ok(reading.ok)
    assert.deepEqual(reading.value.targets, [])
    assert.match(reading.unusable.join('\n'), /introduced "banana" is not a valid semver version/)
    assert.match(reading.unusable.join('\n'), /no usable versions or ranges/)
  })
})
