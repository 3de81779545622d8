// Debian versions: dpkg's order on real-world cases, and agreement with the real dpkg on a few
// thousand generated pairs, for both order and validity.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
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
  return random.pick(['rc1', 'dfsg', 'ds1', 'git20240101', 'really', 'deb12u1', 'ubuntu0.22.04.1', 'bpo11'])
}

/** A version dpkg accepts: epochs, '~', '+', '.', letters, long and zero-led numbers, hyphens and colons inside. */
function debianVersion(random: Random): string {
  const epoch = random.chance(0.25) ? `${random.pick(['0', '1', '2', '10', '01', '00', '2147483647'])}:` : ''
  let revision = ''
  if (random.chance(0.6)) {
    revision = `-${random.chance(0.7) ? number(random) : run(random, 'abzAZ', 1 + random.integer(2))}`
    for (let i = random.integer(4); i > 0; i--) revision += random.pick(['.', '+', '~', '']) + piece(random)
  }
  const separators = ['.', '.', '.', '+', '~', '', ...(revision ? ['-'] : []), ...(epoch ? [':'] : [])]
  let upstream = number(random)
  for (let i = random.integer(6); i > 0; i--) upstream += random.pick(separators) + piece(random)
  return epoch + upstream + revision
}

function debianVariation(random: Random, version: string): string {
  if (random.chance(0.1)) return version.includes(':') ? version.slice(version.indexOf(':') + 1) : `${random.pick(['0', '1', '00'])}:${version}`
  return vary(random, version, '0123456789.~+-:aZ', ['~', '~rc1', '~~', '+', '+b1', '.0', '0', 'a', '.', '-0', '-1'])
}

/** dpkg's verdict on each pair (-1, 0 or 1), from one shell running dpkg --compare-versions per pair. */
function dpkgOrder(pairs: readonly (readonly [string, string])[]): { verdicts: number[]; stderr: string } {
  const script = 'while read -r a b; do if dpkg --compare-versions "$a" lt "$b"; then echo -1; elif dpkg --compare-versions "$a" eq "$b"; then echo 0; else echo 1; fi; done'
  const result = spawnSync('bash', ['-c', script], { input: pairs.map(([a, b]) => `${a} ${b}\n`).join(''), encoding: 'utf8', maxBuffer: 1 << 26 })
  assert.equal(result.status, 0, `the dpkg loop failed: ${result.stderr}`)
  return { verdicts: result.stdout.trim().split('\n').map(Number), stderr: result.stderr }
}

/** Whether dpkg takes each version without a warning or an error. */
function dpkgAccepts(versions: readonly string[]): boolean[] {
  const script = 'while IFS= read -r v; do if [ -z "$(dpkg --compare-versions "$v" eq "$v" 2>&1)" ]; then echo 1; else echo 0; fi; done'
  const result = spawnSync('bash', ['-c', script], { input: versions.map((v) => `${v}\n`).join(''), encoding: 'utf8', maxBuffer: 1 << 26 })
  assert.equal(result.status, 0, `the dpkg loop failed: ${result.stderr}`)
  return result.stdout.trim().split('\n').map((line) => line === '1')
}

describe('debian versions', () => {
  it('compares the epoch first', () => {
    assertAscending('debian', ['1.3-1', '1:1.2-1', '1:1.10', '2:0.1'])
  })

  it('sorts ~ before the end of a version, and letters before other characters', () => {
    assertAscending('debian', ['1.0~~', '1.0~~a', '1.0~', '1.0~rc1', '1.0', '1.0a', '1.0+', '1.0+b1', '1.0.1'])
  })

  it('orders stable updates, backports and Ubuntu revisions as dpkg does', () => {
    assertAscending('debian', ['2.36-9~bpo11+1', '2.36-9', '2.36-9+deb12u1', '2.36-9+deb12u4', '2.36-10'])
    assertAscending('debian', ['1.1.1f-1ubuntu2', '1.1.1f-1ubuntu2.16', '1.1.1f-1ubuntu10', '1.1.1g'])
  })

  it('reads numbers by value at any length', () => {
    assertAscending('debian', ['1.9', '1.10', '1.99999999999999999999', '1.100000000000000000000'])
  })

  it('treats differently spelt equal versions as equal', () => {
    assertEquivalent('debian', '1.01', '1.1')
    assertEquivalent('debian', '1.0', '1.0-0')
    assertEquivalent('debian', '0:1.0', '1.0')
    assertEquivalent('debian', '00:1.0-01', '1.0-1')
  })

  it('accepts what dpkg accepts without a warning', () => {
    const valid = ['0', '1.0', '1:2.3-4', '1.0~rc1+dfsg-2ubuntu0.1', '2:1.0-1-1', '1:1.0:2', '2147483647:1']
    const invalid = ['', 'a1.0', '1.0_1', '1.0-', '-1', '1:', ':1.0', 'a:1.0', '2147483648:1.0', '1.0-a:b', '1.0 beta', 'é1']

    assert.deepEqual(valid.filter((version) => !isValidVersion('debian', version)), [])
    assert.deepEqual(invalid.filter((version) => isValidVersion('debian', version)), [])
  })

  it('agrees with dpkg --compare-versions on 3600 generated pairs', () => {
    requireCommand('dpkg', 'dpkg')
    const random = seededRandom(20_240_601)
    const pool = Array.from({ length: 600 }, () => debianVersion(random))
    const handPicked = [['1.01', '1.1'], ['1.0', '1.0-0'], ['0:1.0', '1.0'], ['1.0~', '1.0'], ['1.0', '1.0+'], ['1.0a', '1.0+'], ['1.0-1', '1.0-01']] as const
    const pairs = generatePairs(random, 3600, { handPicked, pool, vary: (version) => debianVariation(random, version), isValid: (version) => isValidVersion('debian', version) })

    const dpkg = dpkgOrder(pairs)

    assert.equal(dpkg.stderr, '', 'dpkg warned about a generated version')
    assert.equal(dpkg.verdicts.length, pairs.length)
    assert.deepEqual(disagreements(pairs, signs('debian', pairs), dpkg.verdicts), [])
    assert.ok(dpkg.verdicts.filter((verdict) => verdict === 0).length >= 50, 'the corpus should hold equal pairs')
  })

  it('agrees with dpkg on which of 600 generated strings are valid versions', () => {
    requireCommand('dpkg', 'dpkg')
    const random = seededRandom(7)
    const candidates = Array.from({ length: 600 }, () => vary(random, debianVersion(random), '0123456789.~+-:aZ_!@é,', ['-', ':', '_', '-a:b']))
      .filter((candidate) => !/^[-\s]|\s$/.test(candidate)) // dpkg reads a leading '-' as an option and trims blanks

    const accepted = dpkgAccepts(candidates)

    const disagreeing = candidates.filter((candidate, i) => isValidVersion('debian', candidate) !== accepted[i])
    assert.deepEqual(disagreeing, [])
    assert.ok(accepted.filter((ok) => !ok).length >= 50, 'the candidates should include invalid versions')
  })

  it('is a total order over generated and odd strings', () => {
    const random = seededRandom(3)
    const versions = [...oddStrings, ...Array.from({ length: 300 }, () => debianVariation(random, debianVersion(random)))]

    assert.deepEqual(totalOrderProblems(versions, (a, b) => compareVersions('debian', a, b)), [])
  })
})
