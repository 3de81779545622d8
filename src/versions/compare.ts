/**
 * Version schemes and their order. Each is a total preorder over all strings: compare returns 0
 * exactly for versions the scheme calls equal ('18.12.416' and '18.12.416.0' in dotted, '1.01' and
 * '1.1' in Debian), and invalid strings sort before every valid version, among themselves by code unit.
 */
import { debian } from './debian.js'
import { dotted } from './dotted.js'
import { rpm } from './rpm.js'
import type { Scheme } from './scheme.js'
import { semver } from './semver.js'

export const versionSchemes = ['semver', 'dotted', 'debian', 'rpm'] as const

export type VersionScheme = (typeof versionSchemes)[number]

const schemes: Readonly<Record<VersionScheme, Scheme>> = { semver, dotted, debian, rpm }

function schemeFor(scheme: VersionScheme): Scheme {
  // Schemes come from stored rows too: a bad one is a bug, not a reason to compare by accident.
  if (!Object.hasOwn(schemes, scheme)) throw new Error(`unknown version scheme: ${String(scheme)}`)
  return schemes[scheme]
}

/** Negative, 0 or positive, in the scheme's order; see the module's opening comment for odd strings. */
export function compareVersions(scheme: VersionScheme, a: string, b: string): number {
  return schemeFor(scheme).compare(a, b)
}

export function isValidVersion(scheme: VersionScheme, version: string): boolean {
  return schemeFor(scheme).isValid(version)
}
