// Semver versions: SemVer 2.0.0 precedence, the lenient forms the package ecosystems use, and a
// total order over generated and odd strings.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { compareVersions, isValidVersion } from './compare.js'
import { assertAscending, assertEquivalent, oddStrings, run, seededRandom, totalOrderProblems, vary, type Random } from './testing.js'

function identifier(random: Random): string {
  if (random.chance(0.4)) return run(random, '0123456789', 1 + random.integer(3))
  return run(random, 'abxyzAZ-09', 1 + random.integer(5))
}

function semverVersion(random: Random): string {
  let version = (random.chance(0.2) ? 'v' : '') + Array.from({ length: 1 + random.integer(4) }, () => run(random, '0123456789', 1 + random.integer(2))).join('.')
  if (random.chance(0.5)) version += random.pick(['-', '-', '.', '']) + Array.from({ length: 1 + random.integer(3) }, () => identifier(random)).join('.')
  if (random.chance(0.2)) version += `+${identifier(random)}`
  return version
}

describe('semver versions', () => {
  it('orders prereleases as the SemVer 2.0.0 specification does', () => {
    assertAscending('semver', ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0'])
  })

  it('orders major, minor and patch by value', () => {
    assertAscending('semver', ['0.9.9', '1.0.0', '1.2.9', '1.10.0', '2.0.0', '2.1.0', '2.1.1', '10.0.0'])
  })

  it("reads a leading 'v' and missing minor or patch", () => {
    assertEquivalent('semver', 'v1.2.3', '1.2.3')
    assertEquivalent('semver', '1.2', '1.2.0')
    assertEquivalent('semver', 'v1', '1.0.0')
    assertAscending('semver', ['1.2-rc.1', '1.2', '1.2.1'])
  })

  it('orders four-part RubyGems and NuGet versions and their dotted prereleases', () => {
    assertAscending('semver', ['5.2.4', '5.2.4.1', '5.2.4.3', '5.2.5'])
    assertEquivalent('semver', '4.0.0.0', '4.0.0')
    assertEquivalent('semver', '1.0.0.beta1', '1.0.0-beta1')
    assertAscending('semver', ['1.0.0.beta1', '1.0.0.rc1', '1.0.0'])
  })

  it('ignores build metadata', () => {
    assertEquivalent('semver', '1.0.0+build.1', '1.0.0+build.2')
    assertEquivalent('semver', 'v2.0.0+incompatible', '2.0.0')
    assertAscending('semver', ['1.0.0-rc.1+build.9', '1.0.0+build.1', '1.0.1+build.0'])
  })

  it('orders Go pseudo-versions by their timestamps, before the next release', () => {
    assertAscending('semver', ['v0.0.0-20210101000000-abcdef123456', 'v0.0.0-20220101000000-123456abcdef', 'v0.1.0'])
  })

  it('reads numbers by value at any length', () => {
    assertAscending('semver', ['1.2.99999999999999999999', '1.2.100000000000000000000', '1.2.100000000000000000001'])
    assertAscending('semver', ['1.0.0-9007199254740992', '1.0.0-9007199254740993'])
  })

  it('rejects what is not a version and sorts it before every version', () => {
    const invalid = ['', 'v', 'latest', '1..2', '1.2.3.', '1.0.0-', '1.0.0+', '1.0.0-a..b', '=1.2.3', '1.2.3 beta', 'x1.0']

    assert.deepEqual(invalid.filter((version) => isValidVersion('semver', version)), [])
    assert.ok(invalid.every((version) => compareVersions('semver', version, '0.0.0-0') < 0))
  })

  it('is a total order over generated and odd strings', () => {
    const random = seededRandom(11)
    const versions = [...oddStrings, ...Array.from({ length: 300 }, () => {
      const version = semverVersion(random)
      return random.chance(0.3) ? vary(random, version, '0123456789.-+av', ['-0', '.0', '+b', '-rc.1']) : version
    })]

    assert.deepEqual(totalOrderProblems(versions, (a, b) => compareVersions('semver', a, b)), [])
  })
})
