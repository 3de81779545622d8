import { createHash } from 'node:crypto'
import type { VersionRange } from '../../versions/index.js'
import type { AdvisorySourceKind, Confidence, IndicatorKind, Platform, Reference, Remediation, Severity } from '../model.js'

/**
 * What the format readers produce from a file's records, before anything is stored: advisories
 * with their targets and indicators, in Cordon's terms. Readers are pure: a record in, a reading
 * out (or the reason it cannot be used).
 */

export interface ParsedTarget {
  ecosystem: string | null
  vendor: string
  product: string
  platform: Platform | null
  versions: string[]
  ranges: VersionRange[]
}

export interface ParsedIndicator {
  kind: IndicatorKind
  value: string
  description: string
  confidence: Confidence
  source: string
  tags: string[]
  validFrom: string | null
  validUntil: string | null
}

export interface ParsedAdvisory {
  sourceKind: AdvisorySourceKind
  externalId: string
  aliases: string[]
  title: string
  summary: string
  details: string
  severity: Severity
  publishedAt: string | null
  modifiedAt: string | null
  withdrawnAt: string | null
  references: Reference[]
  remediation: Remediation | null
  targets: ParsedTarget[]
  /** Indicators that belong to the advisory (Cordon format). */
  indicators: ParsedIndicator[]
  /** SHA-256 of the record as read, canonicalised: the same record always gives the same hash. */
  contentHash: string
}

/** A record read: what it holds and which parts of it could not be used; or why none of it can. */
export type RecordReading<T> = { ok: true; value: T; unusable: string[] } | { ok: false; reason: string }

/** A hash of a JSON value that does not depend on key order. */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex')
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    }
    return v
  })
}

/** An RFC 3339 / ISO 8601 date as stored (UTC, milliseconds), or null when absent or not a date. */
export function isoOrNull(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > 64) return null
  const time = Date.parse(value)
  if (Number.isNaN(time)) return null
  const date = new Date(time)
  return date.getUTCFullYear() < 1970 || date.getUTCFullYear() > 9999 ? null : date.toISOString()
}

/** Text from an untrusted field: a string, control characters (but newlines and tabs) removed, clipped. */
export function text(value: unknown, max: number): string {
  if (typeof value !== 'string') return ''
  const clean = value.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '').trim()
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
