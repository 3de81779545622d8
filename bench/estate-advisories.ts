// OSV advisories for the exposure benchmark (https://ossf.github.io/osv-schema/), aimed at the
// same software pool as the estate (bench/estate-data.ts). Most are Debian 12 records on the
// estate's Debian sources; the rest are npm and PyPI records on packages the estate does not
// have. About a fifth hit something the estate runs, as with a real feed and a real estate:
// most advisories match nothing you have. Each record comes with the catalog entries it covers,
// so a benchmark can check the matcher's answer.
import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import {
  buildCatalog,
  createRandom,
  debianVersionAbove,
  debianVersionBelow,
  pick,
  randomInt,
  type Catalog,
  type CatalogProduct,
  type Random,
} from './estate-data.js'

export interface OsvEvent {
  introduced?: string
  fixed?: string
  last_affected?: string
  limit?: string
}

export interface OsvAffected {
  package: { ecosystem: string; name: string; purl?: string }
  ranges?: Array<{ type: 'ECOSYSTEM' | 'SEMVER'; events: OsvEvent[] }>
  versions?: string[]
  ecosystem_specific?: Record<string, unknown>
  database_specific?: Record<string, unknown>
}

export interface OsvRecord {
  schema_version: string
  id: string
  modified: string
  published: string
  aliases?: string[]
  upstream?: string[]
  summary?: string
  details: string
  severity?: Array<{ type: 'CVSS_V3'; score: string }>
  affected: OsvAffected[]
  references: Array<{ type: string; url: string }>
  database_specific?: Record<string, unknown>
}

/** A record and the catalog entry ids it affects (empty: it matches nothing in any estate). */
export interface GeneratedAdvisory {
  record: OsvRecord
  covers: number[]
}

export interface AdvisoryOptions {
  /** Share of advisories aimed at something in the catalog (default 0.2). */
  hitShare?: number
  /** Shares of Debian:12, npm and PyPI records (default 0.75 / 0.15 / 0.10). */
  ecosystems?: { debian: number; npm: number; pypi: number }
  /** The newest `modified` time (default 2024-06-01). */
  until?: string
  catalog?: Catalog
}

export interface AdvisoryStats {
  total: number
  byEcosystem: Record<string, number>
  /** Records that cover at least one catalog entry (whether a given estate installed it is `countAdvisoryHits`). */
  aimedAtCatalog: number
}

const cvssVectors: Array<[vector: string, severity: string]> = [
  ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'CRITICAL'],
  ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', 'HIGH'],
  ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H', 'HIGH'],
  ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', 'HIGH'],
  ['CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N', 'MODERATE'],
  ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 'MODERATE'],
  ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:N/A:N', 'MODERATE'],
  ['CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:L/I:N/A:N', 'LOW'],
]
const flaws = ['A heap-based buffer overflow', 'A use-after-free', 'An integer overflow', 'A NULL pointer dereference', 'An out-of-bounds read', 'An out-of-bounds write', 'Improper input validation', 'A path traversal flaw', 'Uncontrolled recursion', 'A double free', 'An infinite loop', 'Improper certificate validation', 'A race condition', 'Prototype pollution', 'Regular expression denial of service (ReDoS)', 'Cross-site scripting (XSS)', 'Server-side request forgery', 'An XML external entity (XXE) flaw']
const places = ['the parser', 'the decoder', 'the TLS handshake', 'header handling', 'the URL parser', 'archive extraction', 'the authentication module', 'the template engine', 'cookie handling', 'the image loader', 'the command-line tool', 'the HTTP/2 implementation', 'the config loader', 'the logging subsystem']
const actors = ['remote attackers', 'a remote unauthenticated attacker', 'local users', 'an attacker who can supply a crafted file', 'authenticated users', 'a malicious server']
const impacts = ['cause a denial of service', 'execute arbitrary code', 'read sensitive information', 'bypass authentication', 'escalate privileges', 'write arbitrary files', 'crash the application']
const urgencies = ['not yet assigned', 'not yet assigned', 'low', 'medium', 'high', 'unimportant', 'end-of-life']
const registryWords = ['fast', 'tiny', 'super', 'easy', 'smart', 'simple', 'micro', 'async', 'deep', 'safe', 'pretty', 'open', 'node', 'py', 'http', 'json', 'yaml', 'markdown', 'template', 'router', 'cache', 'queue', 'schema', 'token', 'auth', 'config', 'parser', 'render', 'upload', 'image', 'crypto', 'xml', 'csv', 'table', 'color', 'string', 'path', 'glob', 'watch', 'proxy', 'socket', 'mail', 'jwt', 'oauth', 'sql', 'orm', 'graph', 'chart', 'date', 'time', 'uuid', 'hash', 'zip', 'stream', 'buffer', 'log', 'cli', 'args', 'env', 'merge', 'clone', 'diff', 'sanitize', 'validate', 'serialize']
const npmScopes = ['@acme-tools', '@fastlane', '@opensrc', '@webkitty', '@byteforge', '@cloudkit', '@devutils', '@platformjs']
const ghsaAlphabet = '23456789cfghjmpqrvwx'

function isoDate(unixSeconds: number): string {
  return `${new Date(unixSeconds * 1000).toISOString().slice(0, 19)}Z`
}

function ghsaId(random: Random): string {
  const group = () => Array.from({ length: 4 }, () => ghsaAlphabet[randomInt(random, ghsaAlphabet.length)]).join('')
  return `GHSA-${group()}-${group()}-${group()}`
}

function details(random: Random, name: string): string {
  return `${pick(random, flaws)} in ${pick(random, places)} of ${name} allows ${pick(random, actors)} to ${pick(random, impacts)}.`
}

/** Sources of the estate's Debian pool, each with the binaries built from it (one version list). */
function debianSources(catalog: Catalog): Array<{ source: string; binaries: CatalogProduct[]; weight: number }> {
  const bySource = new Map<string, CatalogProduct[]>()
  for (const product of catalog.linux) bySource.set(product.source, [...(bySource.get(product.source) ?? []), product])
  return [...bySource.entries()].map(([source, binaries]) => ({
    source,
    binaries,
    weight: Math.max(binaries[0]!.share, 1 / (binaries[0]!.rank + 50)),
  }))
}

function coveredIds(binaries: CatalogProduct[], from: number, to: number): number[] {
  const ids: number[] = []
  for (const binary of binaries) for (let index = from; index <= to; index++) ids.push(binary.entries[index]!.id)
  return ids
}

/**
 * OSV records, one at a time (flat memory for any count). The same count and seed give the same
 * records; the catalog is the estate's by default, whatever the estate's seed.
 */
export function* osvAdvisories(count: number, seed: number, options: AdvisoryOptions = {}): Generator<GeneratedAdvisory> {
  const catalog = options.catalog ?? buildCatalog()
  const random = createRandom(seed ^ 0x05f1)
  const hitShare = options.hitShare ?? 0.2
  const shares = options.ecosystems ?? { debian: 0.75, npm: 0.15, pypi: 0.1 }
  const total = shares.debian + shares.npm + shares.pypi
  const debianHitChance = Math.min(1, hitShare / (shares.debian / total))
  const until = Math.floor(new Date(options.until ?? '2024-06-01T00:00:00Z').getTime() / 1000)
  const sources = debianSources(catalog)
  const sourceWeights = sources.map((source) => source.weight)
  const weightTotal = sourceWeights.reduce((sum, weight) => sum + weight, 0)
  const usedCves = new Set<string>()
  const usedNames = new Set<string>()

  const newCve = (): { cve: string; year: number } => {
    for (;;) {
      const year = 2016 + randomInt(random, 9)
      const number = random() < 0.6 ? 1000 + randomInt(random, 9000) : 10000 + randomInt(random, 50000)
      const cve = `CVE-${year}-${number}`
      if (!usedCves.has(cve)) {
        usedCves.add(cve)
        return { cve, year }
      }
    }
  }
  const dates = (year: number): { published: string; modified: string } => {
    const yearStart = Date.UTC(year, 0, 1) / 1000
    const published = Math.min(until - 86400, yearStart + randomInt(random, 365 * 86400))
    const modified = Math.min(until, published + randomInt(random, 2 * 365 * 86400))
    return { published: isoDate(published), modified: isoDate(modified) }
  }
  const weightedSource = () => {
    let roll = random() * weightTotal
    for (const source of sources) if ((roll -= source.weight) < 0) return source
    return sources[sources.length - 1]!
  }
  const registryName = (ecosystem: 'npm' | 'PyPI'): string => {
    for (;;) {
      const first = pick(random, registryWords)
      const second = pick(random, registryWords)
      if (first === second) continue
      const name = ecosystem === 'npm' ? `${random() < 0.25 ? `${pick(random, npmScopes)}/` : ''}${first}-${second}` : `${random() < 0.3 ? 'py' : ''}${first}${random() < 0.5 ? '-' : '_'}${second}`
      if (catalog.knownNames.has(name.toLowerCase()) || usedNames.has(`${ecosystem}:${name}`)) continue
      if (random() < 0.7) usedNames.add(`${ecosystem}:${name}`) // some packages collect several advisories
      return name
    }
  }

  for (let n = 0; n < count; n++) {
    const { cve, year } = newCve()
    const { published, modified } = dates(year)
    const [vector, severity] = pick(random, cvssVectors)
    const ecosystemRoll = random() * total
    if (ecosystemRoll < shares.debian) {
      const id = `DEBIAN-${cve}`
      const aimed = random() < debianHitChance
      const affected: OsvAffected[] = []
      let covers: number[] = []
      let name: string
      let oldest: string | undefined
      if (aimed || random() < 0.6) {
        // Half by popularity (advisories cluster on widely used code), half uniformly.
        const target = random() < 0.5 ? weightedSource() : sources[randomInt(random, sources.length)]!
        name = target.source
        const versions = target.binaries[0]!.entries.map((entry) => entry.version)
        oldest = versions[0]!
        const newest = versions.length - 1
        const weights = target.binaries[0]!.versionWeights
        const draw = random()
        let upTo = 0
        while (upTo < newest && draw >= weights[upTo]!) upTo++
        const fixedAbove = upTo < newest ? versions[upTo + 1]! : debianVersionAbove(versions[newest]!)
        const entry: OsvAffected = {
          package: { ecosystem: 'Debian:12', name, purl: `pkg:deb/debian/${name}?arch=source` },
          ecosystem_specific: { urgency: pick(random, urgencies) },
          database_specific: { source: `https://storage.googleapis.com/debian-osv/debian-cve-osv/${id}.json` },
        }
        if (!aimed) {
          // Fixed before the estate's oldest build: it names an installed package and matches nothing.
          entry.ranges = [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: random() < 0.5 ? versions[0]! : debianVersionBelow(versions[0]!) }] }]
        } else {
          const form = random()
          const from = upTo > 0 ? randomInt(random, upTo + 1) : 0
          if (form < 0.6) {
            entry.ranges = [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: fixedAbove }] }]
            covers = coveredIds(target.binaries, 0, upTo)
          } else if (form < 0.75) {
            entry.ranges = [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }]
            covers = coveredIds(target.binaries, 0, newest)
          } else if (form < 0.85) {
            entry.ranges = [{ type: 'ECOSYSTEM', events: [{ introduced: versions[from]! }, { fixed: fixedAbove }] }]
            covers = coveredIds(target.binaries, from, upTo)
          } else if (form < 0.95) {
            entry.ranges = [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { last_affected: versions[upTo]! }] }]
            covers = coveredIds(target.binaries, 0, upTo)
          } else {
            entry.versions = versions.slice(from, upTo + 1)
            covers = coveredIds(target.binaries, from, upTo)
          }
          if (entry.ranges && random() < 0.3) {
            const first = entry.ranges[0]!.events[0]!.introduced === '0' ? 0 : from
            entry.versions = versions.slice(first, (entry.ranges[0]!.events.length === 1 ? newest : upTo) + 1)
          }
        }
        affected.push(entry)
      } else {
        name = catalog.absentDebianSources[randomInt(random, catalog.absentDebianSources.length)]!
        affected.push({
          package: { ecosystem: 'Debian:12', name, purl: `pkg:deb/debian/${name}?arch=source` },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, ...(random() < 0.8 ? [{ fixed: `${1 + randomInt(random, 9)}.${randomInt(random, 20)}.${randomInt(random, 10)}-${1 + randomInt(random, 3)}+deb12u${1 + randomInt(random, 3)}` }] : [])] }],
          ecosystem_specific: { urgency: pick(random, urgencies) },
        })
      }
      // Debian publishes one record per CVE across its releases; other releases never match a Debian 12 host.
      if (random() < 0.6) {
        const base = oldest ? debianVersionBelow(oldest).replace(/-[^-]*$/, '') : `${randomInt(random, 9)}.${randomInt(random, 20)}`
        affected.push({ package: { ecosystem: 'Debian:11', name }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: `${base}-${1 + randomInt(random, 4)}+deb11u${1 + randomInt(random, 5)}` }] }], ecosystem_specific: { urgency: pick(random, urgencies) } })
      }
      if (random() < 0.5) affected.push({ package: { ecosystem: 'Debian:13', name }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }], ecosystem_specific: { urgency: 'not yet assigned' } })
      yield {
        record: {
          schema_version: '1.6.0',
          id,
          modified,
          published,
          upstream: [cve],
          details: details(random, name),
          ...(random() < 0.5 ? { severity: [{ type: 'CVSS_V3' as const, score: vector }] } : {}),
          affected,
          references: [{ type: 'ADVISORY', url: `https://security-tracker.debian.org/tracker/${cve}` }],
        },
        covers,
      }
    } else {
      const ecosystem = ecosystemRoll < shares.debian + shares.npm ? 'npm' : 'PyPI'
      const name = registryName(ecosystem)
      const major = randomInt(random, 8)
      const minor = randomInt(random, 20)
      const fixed = `${major}.${minor}.${1 + randomInt(random, 15)}`
      const introduced = random() < 0.6 ? '0' : `${major}.0.0`
      const ghsa = ghsaId(random)
      const purlName = ecosystem === 'npm' ? name.replace('@', '%40') : name.toLowerCase().replace(/_/g, '-')
      const flaw = pick(random, flaws)
      const affected: OsvAffected = {
        package: { ecosystem, name, purl: `pkg:${ecosystem.toLowerCase()}/${purlName}` },
        ranges: [{ type: ecosystem === 'npm' ? 'SEMVER' : 'ECOSYSTEM', events: [{ introduced }, random() < 0.85 ? { fixed } : { last_affected: fixed }] }],
        database_specific: { source: `https://github.com/github/advisory-database/blob/main/advisories/github-reviewed/${year}/01/${ghsa}/${ghsa}.json` },
      }
      // Enumerated versions, all below the fix.
      if (ecosystem === 'PyPI' && random() < 0.6) affected.versions = Array.from({ length: minor + 1 }, (_, at) => `${major}.${at}.0`)
      yield {
        record: {
          schema_version: '1.6.0',
          id: ghsa,
          modified,
          published,
          aliases: [cve],
          summary: `${flaw} in ${name}`,
          details: `${flaw} in ${pick(random, places)} of ${name} before ${fixed} allows ${pick(random, actors)} to ${pick(random, impacts)}.`,
          severity: [{ type: 'CVSS_V3', score: vector }],
          affected: [affected],
          references: [
            { type: 'ADVISORY', url: `https://nvd.nist.gov/vuln/detail/${cve}` },
            { type: 'PACKAGE', url: ecosystem === 'npm' ? `https://www.npmjs.com/package/${name}` : `https://pypi.org/project/${name}` },
          ],
          database_specific: { cwe_ids: [`CWE-${pick(random, [20, 22, 79, 94, 125, 400, 787, 1321])}`], severity, github_reviewed: true, github_reviewed_at: modified, nvd_published_at: published },
        },
        covers: [],
      }
    }
  }
}

function tally(stats: AdvisoryStats, advisory: GeneratedAdvisory): void {
  stats.total++
  const ecosystem = advisory.record.affected[0]!.package.ecosystem
  stats.byEcosystem[ecosystem] = (stats.byEcosystem[ecosystem] ?? 0) + 1
  if (advisory.covers.length > 0) stats.aimedAtCatalog++
}

/** `count` OSV records in memory, with the entries each covers. */
export function generateOsvAdvisories(count: number, seed: number, options: AdvisoryOptions = {}): { advisories: OsvRecord[]; covers: number[][]; stats: AdvisoryStats } {
  const advisories: OsvRecord[] = []
  const covers: number[][] = []
  const stats: AdvisoryStats = { total: 0, byEcosystem: {}, aimedAtCatalog: 0 }
  for (const advisory of osvAdvisories(count, seed, options)) {
    advisories.push(advisory.record)
    covers.push(advisory.covers)
    tally(stats, advisory)
  }
  return { advisories, covers, stats }
}

/** Stream `count` OSV records to `file` as one JSON array. */
export async function writeOsvAdvisories(file: string, count: number, seed: number, options: AdvisoryOptions = {}): Promise<{ stats: AdvisoryStats; covers: number[][]; bytes: number }> {
  const stream = createWriteStream(file, { highWaterMark: 16 << 20 })
  const stats: AdvisoryStats = { total: 0, byEcosystem: {}, aimedAtCatalog: 0 }
  const covers: number[][] = []
  let text = '['
  for (const advisory of osvAdvisories(count, seed, options)) {
    text += `${stats.total === 0 ? '\n' : ',\n'}${JSON.stringify(advisory.record)}`
    tally(stats, advisory)
    covers.push(advisory.covers)
    if (text.length >= 4 << 20) {
      if (!stream.write(text)) await once(stream, 'drain')
      text = ''
    }
  }
  stream.end(`${text}\n]\n`)
  await once(stream, 'finish')
  return { stats, covers, bytes: stream.bytesWritten }
}

/** How many advisories cover an entry the estate installed at least once. */
export function countAdvisoryHits(covers: number[][], installsPerEntry: Uint32Array): { hitting: number; share: number } {
  let hitting = 0
  for (const ids of covers) if (ids.some((id) => (installsPerEntry[id] ?? 0) > 0)) hitting++
  return { hitting, share: covers.length === 0 ? 0 : Math.round((hitting / covers.length) * 1000) / 1000 }
}

/**
 * A new advisory on one product of the pool, affecting its versions up to and including `upTo`
 * (default: all of them), fixed in the next. Debian packages get a `Debian:12` record on their
 * source package; Windows and macOS software has no OSV ecosystem, so the caller names one and
 * the record lists the affected versions explicitly.
 */
export function osvAdvisoryFor(
  catalog: Catalog,
  product: CatalogProduct,
  options: { id: string; modified: string; upTo?: string; ecosystem?: string; aliases?: string[] },
): GeneratedAdvisory {
  const versions = product.entries.map((entry) => entry.version)
  const upTo = options.upTo === undefined ? versions.length - 1 : versions.indexOf(options.upTo)
  if (upTo < 0) throw new Error(`${product.name} has no version ${options.upTo}; it has ${versions.join(', ')}`)
  if (product.platform === 'linux') {
    const binaries = catalog.linux.filter((candidate) => candidate.source === product.source)
    const fixed = upTo < versions.length - 1 ? versions[upTo + 1]! : debianVersionAbove(versions[upTo]!)
    return {
      record: {
        schema_version: '1.6.0',
        id: options.id,
        modified: options.modified,
        published: options.modified,
        ...(options.aliases ? { aliases: options.aliases } : {}),
        details: `A flaw in ${product.source} before ${fixed}.`,
        affected: [{ package: { ecosystem: 'Debian:12', name: product.source, purl: `pkg:deb/debian/${product.source}?arch=source` }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }] }],
        references: [],
      },
      covers: coveredIds(binaries, 0, upTo),
    }
  }
  if (!options.ecosystem) throw new Error(`${product.platform} software has no OSV ecosystem: pass options.ecosystem`)
  return {
    record: {
      schema_version: '1.6.0',
      id: options.id,
      modified: options.modified,
      published: options.modified,
      ...(options.aliases ? { aliases: options.aliases } : {}),
      details: `A flaw in ${product.name} (${product.vendor}).`,
      affected: [{ package: { ecosystem: options.ecosystem, name: product.name }, versions: versions.slice(0, upTo + 1), database_specific: { vendor: product.vendor, platform: product.platform } }],
      references: [],
    },
    covers: product.entries.slice(0, upTo + 1).map((entry) => entry.id),
  }
}
