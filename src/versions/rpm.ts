/**
 * RPM versions, [epoch:]version[-release], ordered as rpm ≥ 4.16 orders them (rpmverCmp in
 * rpmio/rpmver.c over rpmvercmp in rpmio/rpmvercmp.c): epoch (missing = 0), then version, then
 * release, where a missing release sorts before any release ('1.0' < '1.0-1'; comparing releases
 * only when both have one, as dependency matching does, would not be transitive). rpmvercmp splits a
 * string into runs of digits and of letters, anything else separating them, and compares run by run:
 * digits by value (any length) and above letters, letters in ASCII order; '~' sorts before
 * everything, even the end ('1.0~rc1' < '1.0'), and '^' after the end but before anything else
 * ('1.0' < '1.0^git1' < '1.0.1'). Valid: epoch digits, version and release non-empty, of [A-Za-z0-9._+~^]
 * (what rpmbuild allows, less macro characters).
 */
import { compareDigits, isDigit, isDigits, isLetter, isMadeOf, trimZeros } from './digits.js'
import { defineScheme } from './scheme.js'

interface RpmVersion {
  epoch: string // trimmed digits
  version: string
  release: string | null
}

const tilde = 126
const caret = 94

function isField(text: string): boolean {
  return text !== '' && isMadeOf(text, '._+~^')
}

function parseRpm(evr: string): RpmVersion | null {
  const colon = evr.indexOf(':')
  if (colon >= 0 && !isDigits(evr.slice(0, colon))) return null
  const hyphen = evr.lastIndexOf('-')
  const version = evr.slice(colon + 1, hyphen < 0 ? evr.length : hyphen)
  const release = hyphen < 0 ? null : evr.slice(hyphen + 1)
  if (!isField(version) || (release !== null && !isField(release))) return null
  return { epoch: colon < 0 ? '0' : trimZeros(evr.slice(0, colon)), version, release }
}

function isSeparator(code: number): boolean {
  return !isDigit(code) && !isLetter(code) && code !== tilde && code !== caret
}

/** Code-unit order of a[aStart, aEnd) and b[bStart, bEnd), as strcmp. */
function compareSpans(a: string, aStart: number, aEnd: number, b: string, bStart: number, bEnd: number): number {
  for (let i = aStart, j = bStart; i < aEnd && j < bEnd; i++, j++) {
    const difference = a.charCodeAt(i) - b.charCodeAt(j)
    if (difference !== 0) return difference
  }
  return aEnd - aStart - (bEnd - bStart)
}

/** rpm's rpmvercmp. */
function compareRpmPart(a: string, b: string): number {
  if (a === b) return 0
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    while (i < a.length && isSeparator(a.charCodeAt(i))) i++
    while (j < b.length && isSeparator(b.charCodeAt(j))) j++
    const x = a.charCodeAt(i) // NaN at the end
    const y = b.charCodeAt(j)
    if (x === tilde || y === tilde) {
      if (x !== tilde) return 1
      if (y !== tilde) return -1
      i++
      j++
      continue
    }
    if (x === caret || y === caret) {
      if (i >= a.length) return -1
      if (j >= b.length) return 1
      if (x !== caret) return 1
      if (y !== caret) return -1
      i++
      j++
      continue
    }
    if (i >= a.length || j >= b.length) break
    let aStart = i
    let bStart = j
    const numeric = isDigit(x)
    const inRun = numeric ? isDigit : isLetter
    while (i < a.length && inRun(a.charCodeAt(i))) i++
    while (j < b.length && inRun(b.charCodeAt(j))) j++
    if (j === bStart) return numeric ? 1 : -1 // a run of digits is above a run of letters
    if (numeric) {
      while (aStart < i && a.charCodeAt(aStart) === 48) aStart++
      while (bStart < j && b.charCodeAt(bStart) === 48) bStart++
      if (i - aStart !== j - bStart) return i - aStart > j - bStart ? 1 : -1
    }
    const order = compareSpans(a, aStart, i, b, bStart, j)
    if (order !== 0) return order < 0 ? -1 : 1
  }
  if (i >= a.length && j >= b.length) return 0
  return i < a.length ? 1 : -1
}

function compareRpm(a: RpmVersion, b: RpmVersion): number {
  const order = compareDigits(a.epoch, b.epoch) || compareRpmPart(a.version, b.version)
  if (order !== 0 || a.release === b.release) return order
  if (a.release === null || b.release === null) return a.release === null ? -1 : 1
  return compareRpmPart(a.release, b.release)
}

export const rpm = defineScheme(parseRpm, compareRpm)
