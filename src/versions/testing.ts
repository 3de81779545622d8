// Test helpers for the version schemes: a seeded random source for generated corpora, order
// assertions, the total-order check, and the package tools (dpkg, rpm) the corpora are checked against.
import assert from 'node:assert/strict'
import { compareVersions, type VersionScheme } from './compare.js'

export { requireCommand } from '../shared/testing-commands.js'

export interface Random {
  /** An integer in [0, below). */
  integer(below: number): number
  chance(probability: number): boolean
  pick<T>(items: readonly T[]): T
}

/** mulberry32: the same sequence for the same seed on every run and machine. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const integer = (below: number): number => Math.floor(next() * below)
  return { integer, chance: (probability) => next() < probability, pick: (items) => items[integer(items.length)]! }
}

/** A run of `length` characters drawn from `alphabet`. */
export function run(random: Random, alphabet: string, length: number): string {
  let text = ''
  for (let i = 0; i < length; i++) text += alphabet[random.integer(alphabet.length)]!
  return text
}

/** Each version compares below every later one, in both directions. */
export function assertAscending(scheme: VersionScheme, versions: readonly string[]): void {
  versions.forEach((lower, i) => {
    for (const higher of versions.slice(i + 1)) {
      assert.ok(compareVersions(scheme, lower, higher) < 0, `${scheme}: expected ${lower} < ${higher}`)
      assert.ok(compareVersions(scheme, higher, lower) > 0, `${scheme}: expected ${higher} > ${lower}`)
    }
  })
}

export function assertEquivalent(scheme: VersionScheme, a: string, b: string): void {
  assert.equal(compareVersions(scheme, a, b), 0, `${scheme}: expected ${a} = ${b}`)
  assert.equal(compareVersions(scheme, b, a), 0, `${scheme}: expected ${b} = ${a}`)
}

/** -1, 0 or 1 for each pair, in the same form as the tools' verdicts. */
export function signs(scheme: VersionScheme, pairs: readonly (readonly [string, string])[]): number[] {
  return pairs.map(([a, b]) => Math.sign(compareVersions(scheme, a, b)))
}

/** The pairs on which `ours` and `theirs` disagree, for a readable failure. */
export function disagreements(pairs: readonly (readonly [string, string])[], ours: readonly number[], theirs: readonly number[]): string[] {
  return pairs.flatMap(([a, b], i) => (ours[i] === theirs[i] ? [] : [`${a} vs ${b}: ours ${ours[i]}, tool ${theirs[i]}`]))
}

/**
 * What keeps `compare` from being a total preorder on `versions` (empty when it is one): sorted with
 * it, the versions must fall into runs of equals, each pair comparing by the order of its runs.
 */
export function totalOrderProblems(versions: readonly string[], compare: (a: string, b: string) => number): string[] {
  const problems: string[] = []
  for (const a of versions) {
    if (compare(a, a) !== 0) problems.push(`not reflexive: ${JSON.stringify(a)}`)
    for (const b of versions) {
      if (Math.sign(compare(a, b)) !== -Math.sign(compare(b, a))) problems.push(`not antisymmetric: ${JSON.stringify(a)}, ${JSON.stringify(b)}`)
    }
  }
  const sorted = [...versions].sort(compare)
  const runs: number[] = []
  sorted.forEach((version, i) => runs.push(i === 0 ? 0 : runs[i - 1]! + (compare(sorted[i - 1]!, version) === 0 ? 0 : 1)))
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + 1; j < sorted.length; j++) {
      const expected = runs[i] === runs[j] ? 0 : -1
      if (Math.sign(compare(sorted[i]!, sorted[j]!)) !== expected) {
        problems.push(`not transitive: ${JSON.stringify(sorted[i])} vs ${JSON.stringify(sorted[j])} should be ${expected}`)
      }
    }
  }
  return problems
}

/**
 * A variation of `version` that often lands close to it in order: a tail appended, a character
 * replaced, dropped or inserted (from `alphabet`), or a zero put before a number.
 */
export function vary(random: Random, version: string, alphabet: string, tails: readonly string[]): string {
  const at = random.integer(version.length + 1)
  switch (random.integer(5)) {
    case 0:
      return version + random.pick(tails)
    case 1:
      return version.slice(0, at) + run(random, alphabet, 1) + version.slice(at + 1)
    case 2:
      return version.slice(0, at) + version.slice(at + 1)
    case 3:
      return version.slice(0, at) + run(random, alphabet, 1) + version.slice(at)
    default: {
      const numberStarts = [...version.matchAll(/(?<![0-9])[0-9]/g)].map((match) => match.index)
      if (numberStarts.length === 0) return version
      const start = random.pick(numberStarts)
      return `${version.slice(0, start)}0${version.slice(start)}`
    }
  }
}

/**
 * `count` pairs of valid versions: hand-picked ones first, then a third two members of `pool`, the
 * rest a member and a variation of it (the pairs that test the fine rules).
 */
export function generatePairs(
  random: Random,
  count: number,
  options: { handPicked: readonly (readonly [string, string])[]; pool: readonly string[]; vary: (version: string) => string; isValid: (version: string) => boolean },
): [string, string][] {
  const pairs: [string, string][] = options.handPicked.map(([a, b]) => [a, b])
  while (pairs.length < count) {
    const a = random.pick(options.pool)
    let b = random.chance(1 / 3) ? random.pick(options.pool) : options.vary(a)
    if (random.chance(0.2)) b = options.vary(b)
    if (options.isValid(b)) pairs.push(random.chance(0.5) ? [a, b] : [b, a])
  }
  return pairs
}

/** Strings no scheme reads as a version, or barely, for the total-order checks. */
export const oddStrings: readonly string[] = [
  '', ' ', '-', ':', '.', '~', '^', '+', 'v', 'V', 'x', 'latest', 'unknown', 'N/A', '*', '0', '00', '1', '01',
  ' 1.0', '1.0 ', '1..0', '1.0.', '.1', '1.0-', '-1.0', '1:', ':1.0', 'a:1.0', '1.0:1', '1.0--1', '1.0_1', 'v1', 'v1.2.3',
  '1.0+', '1.0.0+', '1.0.0-', '1.0.0-+', '1.0.0-a..b', 'é1.0', '1.0é', '１.０', '1.0\n', '\u0000', '1.0~~', '1.0^^',
  '99999999999999999999999999', '1.99999999999999999999', '2147483648:1.0', '2147483647:1.0', '0:0', '1.0-0', 'ü',
]
