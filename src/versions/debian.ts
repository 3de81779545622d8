/**
 * Debian package versions, [epoch:]upstream[-revision], ordered exactly as dpkg orders them
 * (verrevcmp in dpkg's lib/dpkg/version.c): epoch by value, then upstream, then revision, each
 * compared as alternating runs of non-digits (character by character: '~' before the end, the end
 * before letters, letters before other characters) and of digits (by value, any length). A missing
 * revision equals '0' ('1.0' = '1.0-0'). Valid as dpkg accepts without a warning: epoch digits up to
 * 2^31-1, upstream starting with a digit and made of [A-Za-z0-9.+~:-], revision of [A-Za-z0-9.+~].
 * (dpkg reads the epoch with strtol, so it also takes a signed one such as '+1:1.0'; this does not.)
 */
import { compareDigits, isDigit, isDigits, isLetter, isMadeOf, trimZeros } from './digits.js'
import { defineScheme } from './scheme.js'

interface DebianVersion {
  epoch: string // trimmed digits
  upstream: string
  revision: string
}

const maxEpoch = '2147483647' // dpkg keeps the epoch in an int

function parseDebian(version: string): DebianVersion | null {
  const colon = version.indexOf(':')
  let epoch = '0'
  if (colon >= 0) {
    const digits = version.slice(0, colon)
    if (!isDigits(digits)) return null
    epoch = trimZeros(digits)
    if (compareDigits(epoch, maxEpoch) > 0) return null
  }
  const hyphen = version.lastIndexOf('-')
  const hasRevision = hyphen > colon
  const upstream = version.slice(colon + 1, hasRevision ? hyphen : version.length)
  const revision = hasRevision ? version.slice(hyphen + 1) : ''
  if (!isDigit(upstream.charCodeAt(0)) || !isMadeOf(upstream, '.+~:-')) return null
  if (hasRevision && (revision === '' || !isMadeOf(revision, '.+~'))) return null
  return { epoch, upstream, revision }
}

/** dpkg's order of a character in a non-digit run; 0 is the end of the run. */
function order(text: string, i: number): number {
  if (i >= text.length) return 0
  const code = text.charCodeAt(i)
  if (isDigit(code)) return 0
  if (isLetter(code)) return code
  if (code === 126) return -1 // '~'
  return code + 256
}

/** dpkg's verrevcmp. */
function compareDebianPart(a: string, b: string): number {
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(a.charCodeAt(i))) || (j < b.length && !isDigit(b.charCodeAt(j)))) {
      const difference = order(a, i) - order(b, j)
      if (difference !== 0) return difference
      i++
      j++
    }
    while (a.charCodeAt(i) === 48) i++
    while (b.charCodeAt(j) === 48) j++
    let firstDifference = 0
    while (isDigit(a.charCodeAt(i)) && isDigit(b.charCodeAt(j))) {
      if (firstDifference === 0) firstDifference = a.charCodeAt(i) - b.charCodeAt(j)
      i++
      j++
    }
    if (isDigit(a.charCodeAt(i))) return 1
    if (isDigit(b.charCodeAt(j))) return -1
    if (firstDifference !== 0) return firstDifference
  }
  return 0
}

function compareDebian(a: DebianVersion, b: DebianVersion): number {
  return compareDigits(a.epoch, b.epoch) || compareDebianPart(a.upstream, b.upstream) || compareDebianPart(a.revision, b.revision)
}

export const debian = defineScheme(parseDebian, compareDebian)
