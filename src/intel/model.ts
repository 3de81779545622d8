import Type, { type Static } from 'typebox'
import { versionSchemes, type VersionRange } from '../versions/index.js'

/**
 * Advisories say which software versions are bad and what to do about it; indicators (IOCs) say
 * which file hashes, domains, URLs and addresses betray a compromise. Both come from files:
 * OSV records, Cordon's own advisory format, STIX 2.1 bundles and vendors' CSV lists.
 */

export const severities = ['critical', 'high', 'medium', 'low', 'unknown'] as const
export type Severity = (typeof severities)[number]

/** Where an advisory's record came from: an OSV database, or Cordon's own format. */
export const advisorySourceKinds = ['osv', 'cordon'] as const
export type AdvisorySourceKind = (typeof advisorySourceKinds)[number]

export const platforms = ['windows', 'macos', 'linux', 'any'] as const
export type Platform = (typeof platforms)[number]

export const indicatorKinds = ['sha256', 'sha1', 'md5', 'domain', 'url', 'ipv4', 'ipv6', 'cidr'] as const
export type IndicatorKind = (typeof indicatorKinds)[number]

export const confidences = ['high', 'medium', 'low', 'unknown'] as const
export type Confidence = (typeof confidences)[number]

export const remediationActions = ['uninstall', 'upgrade', 'scan', 'custom'] as const
export type RemediationAction = (typeof remediationActions)[number]

export const importFormats = ['osv', 'cordon', 'stix', 'csv'] as const
export type ImportFormat = (typeof importFormats)[number]

/**
 * What an advisory affects, in the catalog's terms: the contract exposure matching reads.
 * A target names a product (by its normalised key), optionally a vendor, ecosystem and platform,
 * and the affected versions: explicit ones, and OSV-style ranges in a version scheme.
 */
export interface AdvisoryTarget {
  advisoryId: string
  /** purl type ('deb', 'rpm', 'npm', 'pypi', 'maven', 'golang', ...); null for vendor software. */
  ecosystem: string | null
  /** '' = any vendor. */
  vendorKey: string
  productKey: string
  /** null = any. */
  platform: Platform | null
  /** Explicitly affected versions. */
  versions: string[]
  ranges: VersionRange[]
}

/** An advisory target as people read it: the names as the source wrote them. */
export interface AdvisoryTargetDetail extends Omit<AdvisoryTarget, 'advisoryId'> {
  vendor: string
  product: string
}

export interface Reference {
  url: string
  /** OSV's reference types (ADVISORY, WEB, FIX, REPORT, ...), or Cordon's lower-case ones. */
  type: string
  title: string | null
}

export interface RemediationStep {
  action: RemediationAction
  text: string
  minimumVersion: string | null
  platform: Platform | null
}

export interface FixedVersion {
  platform: Platform
  version: string
  note: string | null
}

export interface Remediation {
  summary: string
  steps: RemediationStep[]
  fixedVersions: FixedVersion[]
}

export interface Advisory {
  id: string
  sourceKind: AdvisorySourceKind
  /** The OSV id (GHSA-…, DSA-…) or the Cordon advisory id. Unique. */
  externalId: string
  /** Other names of the same issue: CVE ids and the like. */
  aliases: string[]
  title: string
  summary: string
  severity: Severity
  publishedAt: string | null
  modifiedAt: string | null
  withdrawnAt: string | null
  /** Where it was imported from: a file name, or 'bundled'. */
  source: string
  importedAt: string
  updatedAt: string
}

export interface AdvisoryDetail extends Advisory {
  details: string
  references: Reference[]
  remediation: Remediation | null
  targets: AdvisoryTargetDetail[]
  indicatorCount: number
}

export interface Indicator {
  id: string
  kind: IndicatorKind
  /** Normalised: lower-case hashes, ASCII (punycode) domains, canonical URLs, IPs and networks. */
  value: string
  description: string
  /** Who published it: a feed, a vendor's file, a research repository. */
  source: string
  confidence: Confidence
  advisoryId: string | null
  tags: string[]
  validFrom: string | null
  validUntil: string | null
  createdAt: string
  updatedAt: string
}

/** A part of a file that was not imported, and why. Exactly one of line and objectId is usually set. */
export interface ImportProblem {
  file: string
  line?: number | undefined
  objectId?: string | undefined
  reason: string
}

/**
 * What one import did. `rejected`: records or rows that were not imported at all; `unusable`: parts
 * that could not be used (a GIT range, a STIX pattern Cordon cannot match), the rest imported.
 * Both lists keep the first entries only; the counts are complete.
 */
export interface ImportReport {
  file: string
  format: ImportFormat
  advisories: { added: number; updated: number; unchanged: number; withdrawn: number }
  indicators: { added: number; updated: number; unchanged: number }
  rejected: ImportProblem[]
  rejectedCount: number
  unusable: ImportProblem[]
  unusableCount: number
  durationMs: number
}

/** Confidence from a 0–100 score (STIX, many CSVs): high from 70, medium from 30. */
export function confidenceFromScore(score: number): Confidence {
  if (!Number.isFinite(score) || score < 0 || score > 100) return 'unknown'
  return score >= 70 ? 'high' : score >= 30 ? 'medium' : 'low'
}

const severityRank: Record<Severity, number> = { critical: 4, high: 3, medium: 2, low: 1, unknown: 0 }

/** The more severe of two severities; unknown ranks lowest. */
export function maxSeverity(a: Severity, b: Severity): Severity {
  return severityRank[a] >= severityRank[b] ? a : b
}

// ---- the Cordon advisory format ----

const DateTime = Type.String({ format: 'date-time', description: 'RFC 3339 date and time, e.g. 2023-03-30T00:00:00Z.' })
const PlatformSchema = Type.Enum([...platforms], { description: 'windows, macos, linux, or any.' })
const Version = Type.String({ minLength: 1, maxLength: 200 })

const RangeEventSchema = Type.Object(
  {
    introduced: Type.Optional(Version),
    fixed: Type.Optional(Version),
    last_affected: Type.Optional(Version),
    limit: Type.Optional(Version),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    maxProperties: 1,
    description: 'One OSV-style event: {"introduced": v}, {"fixed": v}, {"last_affected": v} or {"limit": v}. "0" as introduced means from the first version.',
  },
)

const RangeSchema = Type.Object(
  {
    scheme: Type.Enum([...versionSchemes], { description: 'How versions compare: semver, dotted (numeric parts, as most vendor software), debian or rpm.' }),
    events: Type.Array(RangeEventSchema, { minItems: 1, maxItems: 100 }),
  },
  { additionalProperties: false },
)

const AffectedSchema = Type.Object(
  {
    vendor: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }),
    product: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }),
    productAliases: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }), {
        maxItems: 20,
        description: 'Other names the product is installed under (a Windows program name, a macOS bundle name); each becomes a target of its own.',
      }),
    ),
    platform: PlatformSchema,
    versions: Type.Optional(Type.Array(Version, { maxItems: 10_000, description: 'Explicitly affected versions.' })),
    ranges: Type.Optional(Type.Array(RangeSchema, { maxItems: 100 })),
  },
  { additionalProperties: false, description: 'A product and the versions of it that are affected: give versions, ranges or both.' },
)

const RemediationStepSchema = Type.Object(
  {
    action: Type.Enum([...remediationActions]),
    text: Type.String({ minLength: 1, maxLength: 5000 }),
    minimumVersion: Type.Optional(Version),
    platform: Type.Optional(PlatformSchema),
  },
  { additionalProperties: false },
)

const FixedVersionSchema = Type.Object(
  {
    platform: PlatformSchema,
    version: Version,
    note: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
)

const RemediationSchema = Type.Object(
  {
    summary: Type.String({ maxLength: 5000 }),
    steps: Type.Array(RemediationStepSchema, { maxItems: 100 }),
    fixedVersions: Type.Optional(Type.Array(FixedVersionSchema, { maxItems: 100 })),
  },
  { additionalProperties: false },
)

const IndicatorInputSchema = Type.Object(
  {
    kind: Type.Enum([...indicatorKinds]),
    value: Type.String({ minLength: 1, maxLength: 2048 }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    confidence: Type.Enum([...confidences]),
    source: Type.String({ minLength: 1, maxLength: 500, description: 'Who published the indicator.' }),
    tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 50 })),
    validFrom: Type.Optional(DateTime),
    validUntil: Type.Optional(DateTime),
  },
  { additionalProperties: false },
)

const ReferenceSchema = Type.Object(
  {
    url: Type.String({ format: 'uri', maxLength: 2000 }),
    type: Type.Optional(Type.String({ minLength: 1, maxLength: 50, description: 'advisory, article, report, fix, web, ...' })),
    title: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
)

export const cordonAdvisoryFormat = 'cordon-advisory/1'

/** Cordon's own advisory format: the bundled advisories, and any an operator writes. Documented in docs/advisories.md. */
export const CordonAdvisorySchema = Type.Object(
  {
    $schema: Type.Optional(Type.String({ maxLength: 500 })),
    format: Type.Literal(cordonAdvisoryFormat),
    id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{1,99}$', description: 'Unique, e.g. CORDON-2023-0001.' }),
    title: Type.String({ minLength: 1, maxLength: 300, pattern: '\\S' }),
    summary: Type.String({ maxLength: 5000 }),
    details: Type.Optional(Type.String({ maxLength: 100_000 })),
    severity: Type.Enum([...severities]),
    published: DateTime,
    modified: Type.Optional(DateTime),
    withdrawn: Type.Optional(DateTime),
    aliases: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 100, uniqueItems: true, description: 'CVE ids and other names of the same issue.' })),
    references: Type.Optional(Type.Array(ReferenceSchema, { maxItems: 200 })),
    affected: Type.Array(AffectedSchema, { maxItems: 1000 }),
    remediation: Type.Optional(RemediationSchema),
    indicators: Type.Optional(Type.Array(IndicatorInputSchema, { maxItems: 100_000 })),
  },
  {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'cordon-advisory.schema.json',
    title: 'Cordon advisory',
    description: 'An advisory in Cordon\'s own format: affected products and versions, remediation, and indicators of compromise.',
    additionalProperties: false,
  },
)
export type CordonAdvisory = Static<typeof CordonAdvisorySchema>
export type CordonIndicator = Static<typeof IndicatorInputSchema>
