// Dotted versions: Windows and macOS product versions, their prerelease and later suffixes, and a
// total order over generated and odd strings.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { compareVersions, isValidVersion } from './compare.js'
import { assertAscending, assertEquivalent, oddStrings, run, seededRandom, totalOrderProblems, vary, type Random } from './testing.js'

function dottedVersion(random: Random): string {
  const numbers = Array.from({ length: 1 + random.integer(4) }, () => run(random, '0123456789', 1 + random.integer(random.chance(0.05) ? 25 : 4)))
  const suffix = random.pick(['', '', '', 'a', 'w', 'b3', '-beta', '-beta2', 'rc1', '.dev1', ' (build 5)', '_381', 'esr', '-SNAPSHOT', '.post1', '-r1'])
  return (random.chance(0.1) ? 'v' : '') + numbers.join('.') + suffix
}

describe('dotted versions', () => {
  it('orders 3CX builds', () => {
    assertAscending('dotted', ['18.11.1213', '18.12.407', '18.12.416', '18.12.425', '20.0.1'])
  })

  it('orders Windows and Chrome build numbers by value', () => {
    assertAscending('dotted', ['10.0.9', '10.0.10', '10.0.19045.2965', '10.0.19045.3086', '10.0.22621.1'])
    assertAscending('dotted', ['117.0.5938.92', '117.0.5938.132', '118.0.5993.70'])
  })

  it('reads missing trailing numbers as 0', () => {
    assertEquivalent('dotted', '18.12.416', '18.12.416.0')
    assertEquivalent('dotted', '18.12', '18.12.0.0')
    assertEquivalent('dotted', '1.02', '1.2')
    assertEquivalent('dotted', 'v1.2', '1.2')
  })

  it('puts prereleases before their release', () => {
    assertAscending('dotted', ['2.0-alpha', '2.0-beta', '2.0-beta2', '2.0-rc1', '2.0', '2.0.1'])
    assertAscending('dotted', ['1.0.dev1', '1.0a1', '1.0b1', '1.0rc1', '1.0', '1.0.post1', '1.0.1'])
    assertAscending('dotted', ['1.2b3', '1.2', '118.0b3', '118.0b10', '118.0'])
    assertAscending('dotted', ['1.0-SNAPSHOT', '1.0'])
  })

  it('puts other suffixes after their release', () => {
    assertAscending('dotted', ['1.1.1', '1.1.1a', '1.1.1w', '1.1.2'])
    assertAscending('dotted', ['1.0', '1.0 (build 5)', '1.0 (build 10)', '1.0.1'])
    assertAscending('dotted', ['5.15.11 (21000)', '5.15.11 (22019)', '5.16'])
  })

  it('compares suffixes by their letters and numbers, not their punctuation or case', () => {
    assertEquivalent('dotted', '2.0-beta2', '2.0 Beta 2')
    assertEquivalent('dotted', '1.0RC1', '1.0-rc.1')
  })

  it('compares numbers beyond 2^53 without losing precision', () => {
    assertAscending('dotted', ['10.0.9007199254740992', '10.0.9007199254740993', '10.0.100000000000000000000'])
  })

  it('rejects what does not start with a number and sorts it before every version', () => {
    const invalid = ['', 'v', 'latest', 'beta', '.1', ' 1.0', 'N/A']

    assert.deepEqual(invalid.filter((version) => isValidVersion('dotted', version)), [])
    assert.ok(invalid.every((version) => compareVersions('dotted', version, '0') < 0))
  })

  it('is a total order over generated and odd strings', () => {
    const random = seededRandom(13)
    const versions = [...oddStrings, ...Array.from({ length: 300 }, () => {
      const version = dottedVersion(random)
      return random.chance(0.3) ? vary(random, version, '0123456789.-ab ', ['.0', 'a', '-rc1', ' (1)']) : version
    })]

    assert.deepEqual(totalOrderProblems(versions, (a, b) => compareVersions('dotted', a, b)), [])
  })
})
