/**
 * Semantic Versioning 2.0.0 precedence (https://semver.org/#spec-item-11), read leniently as the
 * package ecosystems write versions: a leading 'v' ('v1.2.3', Go), missing minor or patch ('1.2' =
 * '1.2.0'), more than three numbers ('5.2.4.3', RubyGems and NuGet; missing ones are 0), leading
 * zeros, and a prerelease starting with a letter after '.' or straight after the numbers
 * ('1.0.0.beta1', '1.2.3rc1').
 * Build metadata ('+build.5', '+incompatible') takes no part: versions that differ only there are
 * equal, so that `last_affected: 1.0.0` still covers '1.0.0+build.5'.
 */
import { compareDigits, compareNumberLists, trimZeros } from './digits.js'
import { defineScheme } from './scheme.js'

interface Identifier {
  numeric: boolean
  text: string // trimmed when numeric
}

interface Semver {
  numbers: string[]
  prerelease: Identifier[] | null
}

const pattern = /^[vV]?(\d+(?:\.\d+)*)(?:(?:-|\.?(?=[A-Za-z]))([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/
const digitsOnly = /^\d+$/

function identifier(text: string): Identifier {
  return digitsOnly.test(text) ? { numeric: true, text: trimZeros(text) } : { numeric: false, text }
}

function parseSemver(version: string): Semver | null {
  const match = pattern.exec(version)
  if (match === null) return null
  const [, numbers, prerelease] = match
  return { numbers: numbers!.split('.').map(trimZeros), prerelease: prerelease === undefined ? null : prerelease.split('.').map(identifier) }
}

/** Numeric identifiers below alphanumeric ones; digits by value, the rest in ASCII order. */
function compareIdentifiers(a: Identifier, b: Identifier): number {
  if (a.numeric && b.numeric) return compareDigits(a.text, b.text)
  if (a.numeric !== b.numeric) return a.numeric ? -1 : 1
  return a.text < b.text ? -1 : a.text > b.text ? 1 : 0
}

function compareSemver(a: Semver, b: Semver): number {
  const order = compareNumberLists(a.numbers, b.numbers)
  if (order !== 0) return order
  // A release is above its prereleases.
  if (a.prerelease === null || b.prerelease === null) return (a.prerelease === null ? 1 : 0) - (b.prerelease === null ? 1 : 0)
  for (let i = 0; i < a.prerelease.length && i < b.prerelease.length; i++) {
    const identifierOrder = compareIdentifiers(a.prerelease[i]!, b.prerelease[i]!)
    if (identifierOrder !== 0) return identifierOrder
  }
  return a.prerelease.length - b.prerelease.length
}

export const semver = defineScheme(parseSemver, compareSemver)
