/**
 * Dotted product versions as Windows and macOS software reports them ('18.12.416', '10.0.19045.2965',
 * '5.15.11 (22019)'): dot-separated numbers compared by value, missing trailing ones 0 ('18.12.416' =
 * '18.12.416.0'), then whatever follows the numbers. A prerelease word ('2.0-beta', '1.2b3',
 * '118.0b3', '1.0-SNAPSHOT', '1.0rc1') puts the version before its release; any other suffix after it
 * ('1.1.1w', '1.0 (build 5)', '8.0_381', '115.0esr'). A suffix is compared as its runs of letters
 * (case-insensitive) and of digits (by value), other characters separating them, so '2.0-beta2' =
 * '2.0 Beta 2'. A lone letter counts as a prerelease only before a number: '1.2b3' is a beta, OpenSSL's
 * '1.0.2b' comes after '1.0.2a'. Valid: starts with a digit, or 'v' and a digit.
 */
import { compareDigits, compareNumberLists, isDigit, isLetter, trimZeros } from './digits.js'
import { defineScheme } from './scheme.js'

interface Dotted {
  numbers: string[]
  /** Prerelease stages below `release`, anything else after it. */
  stage: number
  /** The suffix's runs (digits trimmed, letters lower case), without the prerelease word. */
  tokens: string[]
}

const release = 10
const postRelease = 11
const prereleaseStages: ReadonlyMap<string, number> = new Map([
  ['dev', 0],
  ['alpha', 1], ['a', 1], ['ea', 1],
  ['beta', 2], ['b', 2],
  ['milestone', 3], ['m', 3],
  ['rc', 4], ['c', 4], ['cr', 4], ['pre', 4], ['preview', 4],
  ['snapshot', 5],
])

function parseDotted(version: string): Dotted | null {
  let i = (version.charCodeAt(0) | 32) === 118 ? 1 : 0 // 'v' or 'V'
  if (!isDigit(version.charCodeAt(i))) return null
  const numbers: string[] = []
  for (;;) {
    const start = i
    while (isDigit(version.charCodeAt(i))) i++
    numbers.push(trimZeros(version.slice(start, i)))
    if (version.charCodeAt(i) !== 46 || !isDigit(version.charCodeAt(i + 1))) break
    i++
  }
  const tokens: string[] = []
  while (i < version.length) {
    const start = i
    if (isDigit(version.charCodeAt(i))) {
      while (isDigit(version.charCodeAt(i))) i++
      tokens.push(trimZeros(version.slice(start, i)))
    } else if (isLetter(version.charCodeAt(i))) {
      while (isLetter(version.charCodeAt(i))) i++
      tokens.push(version.slice(start, i).toLowerCase())
    } else {
      i++
    }
  }
  const word = tokens[0]
  if (word === undefined) return { numbers, stage: release, tokens }
  const stage = prereleaseStages.get(word)
  const next = tokens[1]
  if (stage !== undefined && (word.length > 1 || (next !== undefined && isDigit(next.charCodeAt(0))))) {
    return { numbers, stage, tokens: tokens.slice(1) }
  }
  return { numbers, stage: postRelease, tokens }
}

/** Digit runs by value and above letter runs; letter runs in ASCII order. */
function compareToken(a: string, b: string): number {
  const aNumeric = isDigit(a.charCodeAt(0))
  const bNumeric = isDigit(b.charCodeAt(0))
  if (aNumeric && bNumeric) return compareDigits(a, b)
  if (aNumeric !== bNumeric) return aNumeric ? 1 : -1
  return a < b ? -1 : a > b ? 1 : 0
}

function compareDotted(a: Dotted, b: Dotted): number {
  const order = compareNumberLists(a.numbers, b.numbers) || a.stage - b.stage
  if (order !== 0) return order
  for (let i = 0; i < a.tokens.length && i < b.tokens.length; i++) {
    const tokenOrder = compareToken(a.tokens[i]!, b.tokens[i]!)
    if (tokenOrder !== 0) return tokenOrder
  }
  return a.tokens.length - b.tokens.length
}

export const dotted = defineScheme(parseDotted, compareDotted)
