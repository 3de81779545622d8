/**
 * Which version scheme a catalog ecosystem (a purl type) uses, and which purl type an OSV ecosystem
 * name stands for.
 */
import type { VersionScheme } from './compare.js'

const schemesByPurlType: ReadonlyMap<string, VersionScheme> = new Map([
  ['deb', 'debian'],
  ['rpm', 'rpm'],
  ...['npm', 'cargo', 'golang', 'gem', 'nuget', 'composer', 'hex', 'pub'].map((type) => [type, 'semver'] as const),
])

/** OSV ecosystem names (before any ':' qualifier, lower case) and their purl types. */
const purlTypesByOsvEcosystem: ReadonlyMap<string, string> = new Map([
  ['debian', 'deb'], ['ubuntu', 'deb'],
  ['red hat', 'rpm'], ['almalinux', 'rpm'], ['rocky linux', 'rpm'], ['opensuse', 'rpm'], ['suse', 'rpm'],
  ['mageia', 'rpm'], ['openeuler', 'rpm'], ['photon os', 'rpm'],
  ['alpine', 'apk'], ['wolfi', 'apk'], ['chainguard', 'apk'],
  ['npm', 'npm'], ['pypi', 'pypi'], ['maven', 'maven'], ['go', 'golang'], ['crates.io', 'cargo'],
  ['rubygems', 'gem'], ['nuget', 'nuget'], ['packagist', 'composer'], ['hex', 'hex'], ['pub', 'pub'],
])

/**
 * The scheme for a catalog ecosystem: Debian and RPM packages by their package managers' rules, the
 * semver ecosystems by lenient semver, and everything else (vendor software on Windows and macOS
 * without an ecosystem, PyPI, Maven…) as dotted versions.
 */
export function schemeForEcosystem(ecosystem: string | null): VersionScheme {
  return (ecosystem !== null && schemesByPurlType.get(ecosystem.toLowerCase())) || 'dotted'
}

/** The purl type for an OSV ecosystem ('Debian:12' → 'deb', 'crates.io' → 'cargo'); null when unknown. */
export function ecosystemFromOsv(osvEcosystem: string): string | null {
  const colon = osvEcosystem.indexOf(':')
  const name = (colon < 0 ? osvEcosystem : osvEcosystem.slice(0, colon)).trim().toLowerCase()
  return purlTypesByOsvEcosystem.get(name) ?? null
}
