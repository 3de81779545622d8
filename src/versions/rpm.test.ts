// RPM versions: rpm's order on real-world cases, and agreement with the real rpm (rpm.vercmp in its
// Lua interpreter, which compares whole EVR strings since rpm 4.16) on a few thousand generated pairs.
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { describe, it } from 'node:test'
import { compareVersions, isValidVersion } from './compare.js'
import {
  assertAscending, assertEquivalent, disagreements, generatePairs, oddStrings, requireCommand, run, seededRandom, signs,
  totalOrderProblems, vary, type Random,
} from './testing.js'

const digits = '0123456789'

function number(random: Random): string {
  if (random.chance(0.05)) return run(random, digits, 17 + random.integer(16)) // beyond 2^53
  if (random.chance(0.15)) return '0'.repeat(1 + random.integer(3)) + run(random, digits, random.integer(3))
  return run(random, digits, 1 + random.integer(3))
}

function piece(random: Random): string {
  const kind = random.integer(10)
  if (kind < 5) return number(random)
  if (kind < 8) return run(random, 'abcxyzABZ', 1 + random.integer(3)) + (random.chance(0.5) ? number(random) : '')
  if (kind < 9) return ''
  return random.pick(['el9', 'el8_10', 'fc38', 'rc1', 'git20240101', 'module+el8.9.0+123', 'mga9', 'oe2203'])
}

function field(random: Random, first: string, pieces: number): string {
  let text = first
  for (let i = pieces; i > 0; i--) text += random.pick(['.', '.', '.', '+', '_', '~', '^', '']) + piece(random)
  return text
}

/** A valid EVR: epochs, '~', '^', letters of both cases, separators, long and zero-led numbers, with and without release. */
function rpmVersion(random: Random): string {
  const epoch = random.chance(0.25) ? `${random.pick(['0', '1', '2', '10', '01', '00', '99999999999999999999'])}:` : ''
  const version = field(random, number(random), random.integer(6))
  const release = random.chance(0.65) ? `-${field(random, random.chance(0.8) ? number(random) : piece(random) || 'a', random.integer(4))}` : ''
  return epoch + version + release
}

function rpmVariation(random: Random, version: string): string {
  const colon = version.indexOf(':')
  const hyphen = version.lastIndexOf('-')
  switch (random.integer(12)) {
    case 0:
      return colon < 0 ? `${random.pick(['0', '1', '00'])}:${version}` : version.slice(colon + 1)
    case 1:
      return hyphen < 0 ? `${version}-${random.pick(['0', '1', '1.el9', '0.rc1'])}` : version.slice(0, hyphen)
    case 2: // separators are interchangeable
      return version.replace(/[._+]/, random.pick(['.', '_', '+', '..', '']))
    default:
      return vary(random, version, '0123456789._+~^aZ', ['~', '~rc1', '~~', '^', '^git1', '^^', '.0', '0', 'a', '.', '-0', '-1', '_'])
  }
}

function rpmVersionNumber(): [number, number] {
  const output = execFileSync('rpm', ['--version'], { encoding: 'utf8' })
  const match = /(\d+)\.(\d+)/.exec(output)
  assert.ok(match, `cannot read the rpm version from ${JSON.stringify(output)}`)
  return [Number(match[1]), Number(match[2])]
}

/** rpm's verdict on each pair (-1, 0 or 1): one rpm process whose Lua reads the pairs from stdin. */
function rpmOrder(pairs: readonly (readonly [string, string])[]): number[] {
  const lua = 'local out = {} for line in io.lines() do local a, b = line:match("^(.-)\\t(.*)$") out[#out + 1] = rpm.vercmp(a, b) end print(table.concat(out, "\\n"))'
  const result = spawnSync('rpm', ['--eval', `%{lua: ${lua}}`], { input: pairs.map(([a, b]) => `${a}\t${b}\n`).join(''), encoding: 'utf8', maxBuffer: 1 << 26 })
  assert.equal(result.status, 0, `rpm failed: ${result.stderr}`)
  assert.equal(result.stderr, '', 'rpm complained')
  return result.stdout.trim().split('\n').map(Number)
}

describe('rpm versions', () => {
  it('compares the epoch first, a missing one being 0', () => {
    assertAscending('rpm', ['1.9-1', '0:2.0-1', '1:1.0-1', '2:0.1'])
    assertEquivalent('rpm', '0:1.0-1', '1.0-1')
  })

  it("sorts '~' before the end and '^' after it but before anything else", () => {
    assertAscending('rpm', ['1.0~rc1', '1.0~rc2', '1.0', '1.0^git1', '1.0^git2', '1.0.1'])
  })

  it('orders numbers above letters, letters by ASCII', () => {
    assertAscending('rpm', ['1.0Z', '1.0a', '1.0b', '1.0.0'])
    assertAscending('rpm', ['1.0a', '1.0.1a', '1.0.1.2'])
  })

  it('ignores which separator splits the runs', () => {
    assertEquivalent('rpm', '1.0', '1_0')
    assertEquivalent('rpm', '1.0.1', '1+0..1')
    assertEquivalent('rpm', '1.01', '1.1')
  })

  it('puts a missing release before any release, then compares releases', () => {
    assertAscending('rpm', ['1.0', '1.0-0', '1.0-1.el9', '1.0-1.el9_2', '1.0-2.el9', '1.0-10.el9', '1.1-0'])
  })

  it('reads numbers by value at any length', () => {
    assertAscending('rpm', ['1.99999999999999999999', '1.100000000000000000000', '18446744073709551616'])
  })

  it('accepts epoch, version and release made of the characters rpmbuild allows', () => {
    const valid = ['1.0', '1:2.3-4.el9', '1.0~rc1^git2+b_1-0.1', '00:1']
    const invalid = ['', '-1', '1.0-', ':1.0', 'a:1.0', '1.0-1-2', '1.0 1', '1.0%{dist}', '1,0', '1:1:1']

    assert.deepEqual(valid.filter((version) => !isValidVersion('rpm', version)), [])
    assert.deepEqual(invalid.filter((version) => isValidVersion('rpm', version)), [])
  })

  it('agrees with rpm.vercmp on 4000 generated EVR pairs', () => {
    requireCommand('rpm', 'rpm')
    const [major, minor] = rpmVersionNumber()
    assert.ok(major > 4 || (major === 4 && minor >= 16), `rpm ${major}.${minor} is too old: rpm.vercmp compares whole EVRs from rpm 4.16 on`)
    const random = seededRandom(41_618)
    const pool = Array.from({ length: 600 }, () => rpmVersion(random))
    const handPicked = [['1.0', '1.0-1'], ['1.0^', '1.0'], ['1.0~', '1.0'], ['1.0^~', '1.0^'], ['1.0', '1_0'], ['0:1', '1'], ['1.0a', '1.0.0']] as const
    const pairs = generatePairs(random, 4000, { handPicked, pool, vary: (version) => rpmVariation(random, version), isValid: (version) => isValidVersion('rpm', version) })

    const verdicts = rpmOrder(pairs)

    assert.equal(verdicts.length, pairs.length)
    assert.deepEqual(disagreements(pairs, signs('rpm', pairs), verdicts), [])
    assert.ok(verdicts.filter((verdict) => verdict === 0).length >= 50, 'the corpus should hold equal pairs')
  })

  it('is a total order over generated and odd strings', () => {
    const random = seededRandom(5)
    const versions = [...oddStrings, ...Array.from({ length: 300 }, () => rpmVariation(random, rpmVersion(random)))]

    assert.deepEqual(totalOrderProblems(versions, (a, b) => compareVersions('rpm', a, b)), [])
  })
})
