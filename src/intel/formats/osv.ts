import { PackageURL } from 'packageurl-js'
import { ecosystemFromOsv, isValidVersion, schemeForEcosystem, tidyVersion, type RangeEvent, type VersionRange, type VersionScheme } from '../../versions/index.js'
import { cvss2BaseScore, cvss3BaseScore, severityFromCvss2, severityFromCvss3, severityFromWord } from '../cvss.js'
import { maxSeverity, type Reference, type Severity } from '../model.js'
import { contentHash, isoOrNull, isRecord, text, type ParsedAdvisory, type ParsedTarget, type RecordReading } from './parsed.js'

/**
 * OSV records (https://ossf.github.io/osv-schema/), as osv.dev and the databases it aggregates
 * publish them: GitHub (GHSA), Debian (DSA, DLA, DEBIAN-CVE), PyPI, Go, RustSec and the rest.
 * Each `affected` package becomes a target; ECOSYSTEM and SEMVER ranges are kept, GIT ranges
 * (commit hashes) cannot be matched against installed versions and are reported as unusable.
 * `database_specific` and `ecosystem_specific` are ignored, except a severity word.
 */

const eventNames = ['introduced', 'fixed', 'last_affected', 'limit'] as const
const maxAffected = 10_000
const maxVersions = 50_000

/** Does a JSON value look like an OSV record (as opposed to a Cordon advisory or a STIX object)? */
export function looksLikeOsv(value: unknown): boolean {
  return isRecord(value) && typeof value.id === 'string' && typeof value.modified === 'string' && value.format === undefined && value.type === undefined
}

export function readOsvRecord(record: unknown): RecordReading<ParsedAdvisory> {
  if (!isRecord(record)) return { ok: false, reason: 'not an OSV record: expected a JSON object' }
  const id = record.id
  if (typeof id !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/.test(id)) return { ok: false, reason: 'not an OSV record: "id" is missing or not an identifier' }
  const modifiedAt = isoOrNull(record.modified)
  if (modifiedAt === null) return { ok: false, reason: `${id}: "modified" is missing or not an RFC 3339 date` }
  if (record.affected !== undefined && !Array.isArray(record.affected)) return { ok: false, reason: `${id}: "affected" is not an array` }
  const affected = (record.affected as unknown[] | undefined) ?? []
  if (affected.length > maxAffected) return { ok: false, reason: `${id}: more than ${maxAffected} affected packages` }

  const unusable: string[] = []
  const withdrawnAt = isoOrNull(record.withdrawn)
  if (record.withdrawn !== undefined && withdrawnAt === null) unusable.push(`${id}: "withdrawn" is not a date; the record is read as withdrawn now`)
  const withdrawn = record.withdrawn !== undefined
  const targets: ParsedTarget[] = []
  if (!withdrawn) {
    affected.forEach((entry, index) => {
      const target = readAffected(entry, `${id} affected[${index}]`, unusable)
      if (target) targets.push(target)
    })
    if (affected.length > 0 && targets.length === 0) unusable.push(`${id}: no affected package could be used, so nothing can match it`)
  }

  const summary = text(record.summary, 1000)
  const details = text(record.details, 100_000)
  if (typeof record.details === 'string' && record.details.length > 100_000) unusable.push(`${id}: details longer than 100,000 characters were shortened`)
  return {
    ok: true,
    unusable,
    value: {
      sourceKind: 'osv',
      externalId: id,
      aliases: aliasesOf(record),
      title: text(summary || details.split('\n')[0] || id, 300),
      summary,
      details,
      severity: severityOf(record),
      publishedAt: isoOrNull(record.published),
      modifiedAt,
      withdrawnAt: withdrawn ? (withdrawnAt ?? modifiedAt) : null,
      references: referencesOf(record.references),
      remediation: null,
      targets,
      indicators: [],
      contentHash: contentHash(record),
    },
  }
}

function readAffected(entry: unknown, where: string, unusable: string[]): ParsedTarget | undefined {
  if (!isRecord(entry)) {
    unusable.push(`${where}: not an object`)
    return undefined
  }
  const pkg = isRecord(entry.package) ? entry.package : undefined
  const name = typeof pkg?.name === 'string' ? pkg.name.trim() : ''
  if (!pkg || name === '' || name.length > 300) {
    unusable.push(`${where}: names no package (only a repository?), so it cannot match installed software`)
    return undefined
  }
  const label = `${where} (${name})`
  const osvEcosystem = typeof pkg.ecosystem === 'string' ? pkg.ecosystem : ''
  const ecosystem = ecosystemFromOsv(osvEcosystem) ?? purlType(pkg.purl)
  if (!ecosystem) {
    unusable.push(`${label}: ecosystem "${text(osvEcosystem, 80)}" is not one Cordon knows`)
    return undefined
  }
  const scheme = schemeForEcosystem(ecosystem)
  const ranges: VersionRange[] = []
  const rawRanges = Array.isArray(entry.ranges) ? entry.ranges : []
  rawRanges.forEach((range, index) => {
    const read = readRange(range, scheme)
    if (typeof read === 'string') unusable.push(`${label} ranges[${index}]: ${read}`)
    else ranges.push(read)
  })
  const versions = [...new Set((Array.isArray(entry.versions) ? entry.versions : []).filter((v): v is string => typeof v === 'string' && v.trim() !== '' && v.length <= 200).map(tidyVersion))]
  if (versions.length > maxVersions) {
    unusable.push(`${label}: more than ${maxVersions} versions listed`)
    return undefined
  }
  if (ranges.length === 0 && versions.length === 0) {
    unusable.push(`${label}: no usable ranges or versions`)
    return undefined
  }
  return { ecosystem, vendor: '', product: name, platform: null, versions, ranges }
}

/** An OSV range in a version scheme, or why it cannot be used. */
function readRange(range: unknown, ecosystemScheme: VersionScheme): VersionRange | string {
  if (!isRecord(range)) return 'not an object'
  const type = range.type
  if (type === 'GIT') return 'GIT ranges (commit hashes) cannot be matched against installed versions'
  if (type !== 'ECOSYSTEM' && type !== 'SEMVER') return `range type ${text(String(type), 40)} is not supported`
  const scheme: VersionScheme = type === 'SEMVER' ? 'semver' : ecosystemScheme
  if (!Array.isArray(range.events) || range.events.length === 0) return 'no events'
  if (range.events.length > 1000) return 'more than 1000 events'
  const events: RangeEvent[] = []
  for (const event of range.events) {
    const keys = isRecord(event) ? Object.keys(event) : []
    const name = keys[0] as (typeof eventNames)[number] | undefined
    if (keys.length !== 1 || !name || !eventNames.includes(name)) return `an event is not one of ${eventNames.join(', ')}`
    const value = (event as Record<string, unknown>)[name]
    if (typeof value !== 'string' || value.trim() === '' || value.length > 200) return `${name} is not a version`
    const version = tidyVersion(value)
    const acceptable = (name === 'introduced' && version === '0') || (name === 'limit' && version.includes('*')) || isValidVersion(scheme, version)
    if (!acceptable) return `${name} "${text(value, 60)}" is not a valid ${scheme} version`
    events.push({ [name]: version } as RangeEvent)
  }
  if (!events.some((e) => 'introduced' in e)) return 'no "introduced" event, so nothing is inside the range'
  return { scheme, events }
}

function purlType(purl: unknown): string | null {
  if (typeof purl !== 'string' || purl.length > 1000) return null
  try {
    return PackageURL.fromString(purl).type
  } catch {
    return null
  }
}

function aliasesOf(record: Record<string, unknown>): string[] {
  const names = [record.aliases, record.upstream].flatMap((list) => (Array.isArray(list) ? list : []))
  return [...new Set(names.filter((a): a is string => typeof a === 'string' && a.trim() !== '' && a.length <= 100).map((a) => a.trim()))].slice(0, 100)
}

function referencesOf(value: unknown): Reference[] {
  if (!Array.isArray(value)) return []
  return value
    .filter(isRecord)
    .filter((r) => typeof r.url === 'string' && r.url.length <= 2000 && /^https?:\/\//i.test(r.url))
    .slice(0, 200)
    .map((r) => ({ url: r.url as string, type: text(r.type, 50) || 'WEB', title: null }))
}

/**
 * Severity as the record states it: a database's own word (GitHub's database_specific.severity),
 * else the CVSS vector's score, else per affected package, else unknown.
 */
function severityOf(record: Record<string, unknown>): Severity {
  const own = isRecord(record.database_specific) ? severityFromWord(record.database_specific.severity) : undefined
  if (own) return own
  const scored = fromSeverityList(record.severity)
  if (scored) return scored
  let found: Severity | undefined
  for (const entry of Array.isArray(record.affected) ? record.affected : []) {
    if (!isRecord(entry)) continue
    const severity =
      (isRecord(entry.database_specific) ? severityFromWord(entry.database_specific.severity) : undefined) ??
      (isRecord(entry.ecosystem_specific) ? severityFromWord(entry.ecosystem_specific.severity) : undefined) ??
      fromSeverityList(entry.severity)
    if (severity) found = found ? maxSeverity(found, severity) : severity
  }
  return found ?? 'unknown'
}

function fromSeverityList(list: unknown): Severity | undefined {
  if (!Array.isArray(list)) return undefined
  const entries = list.filter(isRecord)
  for (const type of ['CVSS_V3', 'CVSS_V2', 'Ubuntu']) {
    for (const entry of entries.filter((e) => e.type === type)) {
      if (typeof entry.score !== 'string') continue
      if (type === 'Ubuntu') {
        const word = severityFromWord(entry.score)
        if (word) return word
        continue
      }
      const score = type === 'CVSS_V3' ? cvss3BaseScore(entry.score) : cvss2BaseScore(entry.score)
      if (score !== undefined) return type === 'CVSS_V3' ? severityFromCvss3(score) : severityFromCvss2(score)
    }
  }
  return undefined
}
