// Ecosystems: the scheme each catalog ecosystem's versions follow, and the purl type of OSV ecosystem names.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ecosystemFromOsv, schemeForEcosystem } from './ecosystems.js'

describe('ecosystems', () => {
  it('picks the scheme for a purl type, dotted when there is none', () => {
    const types = ['deb', 'rpm', 'npm', 'cargo', 'golang', 'gem', 'nuget', 'composer', 'hex', 'pub', 'pypi', 'maven', 'apk', 'generic', 'DEB', null]

    const schemes = types.map((type) => schemeForEcosystem(type))

    assert.deepEqual(schemes, [
      'debian', 'rpm', 'semver', 'semver', 'semver', 'semver', 'semver', 'semver', 'semver', 'semver', 'dotted', 'dotted', 'dotted', 'dotted', 'debian', 'dotted',
    ])
  })

  it('maps OSV ecosystem names, with or without their release qualifier, to purl types', () => {
    const names: [string, string | null][] = [
      ['Debian', 'deb'], ['Debian:12', 'deb'], ['Ubuntu:22.04:LTS', 'deb'], ['Ubuntu:Pro:18.04:LTS', 'deb'],
      ['Red Hat', 'rpm'], ['Red Hat:rhel_aus:8.4::appstream', 'rpm'], ['AlmaLinux:9', 'rpm'], ['Rocky Linux', 'rpm'], ['Rocky Linux:8', 'rpm'],
      ['openSUSE', 'rpm'], ['openSUSE:Leap 15.5', 'rpm'], ['SUSE:Linux Enterprise Server 15 SP5', 'rpm'], ['Mageia:9', 'rpm'], ['openEuler:22.03-LTS', 'rpm'],
      ['npm', 'npm'], ['PyPI', 'pypi'], ['Maven', 'maven'], ['Maven:https://maven.google.com', 'maven'], ['Go', 'golang'], ['crates.io', 'cargo'],
      ['RubyGems', 'gem'], ['NuGet', 'nuget'], ['Packagist', 'composer'], ['Hex', 'hex'], ['Pub', 'pub'], ['Alpine:v3.18', 'apk'],
      ['Photon OS:5.0', 'rpm'], ['Wolfi', 'apk'], ['Chainguard', 'apk'],
      ['GIT', null], ['OSS-Fuzz', null], ['Linux', null], ['', null],
    ]

    const types = names.map(([name]) => ecosystemFromOsv(name))

    assert.deepEqual(types, names.map(([, type]) => type))
  })
})
