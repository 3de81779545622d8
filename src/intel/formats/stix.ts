import { confidenceFromScore } from '../model.js'
import { indicatorsFromPattern } from '../stix-indicators.js'
import { isoOrNull, isRecord, text, type ParsedIndicator } from './parsed.js'

/**
 * STIX 2.1 bundles (STIX 2.0 indicators too, which have no pattern_type): `indicator` objects whose
 * pattern Cordon can read become indicators; `identity` objects name their source. Other objects
 * (malware, relationships, reports) are not indicators and are counted as such in the report.
 */

export type StixReading =
  /** An indicator object: what it yields, and what of it could not be used. */
  | { kind: 'indicator'; objectId: string; indicators: ParsedIndicator[]; problems: string[] }
  /** Any other STIX object: not imported. */
  | { kind: 'other'; objectId: string; type: string }
  /** Not a STIX object at all. */
  | { kind: 'rejected'; objectId: string | undefined; reason: string }

export interface StixContext {
  /** The bundle's name, for the indicators' source. */
  file: string
  /** identity id → name, from the bundle's identity objects. */
  identities: ReadonlyMap<string, string>
}

const stixId = /^[a-z0-9][a-z0-9-]*--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/

/** A STIX bundle, or a STIX object (an id of the form type--uuid). */
export function looksLikeStix(value: unknown): boolean {
  if (!isRecord(value) || typeof value.type !== 'string') return false
  return value.type === 'bundle' || (typeof value.id === 'string' && stixId.test(value.id))
}

/** An identity object's id and name, for naming the source of the indicators it created. */
export function identityOf(value: unknown): [id: string, name: string] | undefined {
  if (!isRecord(value) || value.type !== 'identity' || typeof value.id !== 'string') return undefined
  const name = text(value.name, 200)
  return name ? [value.id, name] : undefined
}

export function readStixObject(object: unknown, context: StixContext): StixReading {
  if (!isRecord(object)) return { kind: 'rejected', objectId: undefined, reason: 'not a STIX object: expected a JSON object' }
  const objectId = typeof object.id === 'string' ? object.id.slice(0, 200) : undefined
  if (typeof object.type !== 'string' || !objectId || !stixId.test(objectId)) {
    return { kind: 'rejected', objectId, reason: 'not a STIX object: "type" or an "id" of the form type--uuid is missing' }
  }
  if (object.type !== 'indicator') return { kind: 'other', objectId, type: text(object.type, 60) }
  if (object.revoked === true) return { kind: 'indicator', objectId, indicators: [], problems: ['the indicator is revoked'] }
  const patternType = object.pattern_type ?? 'stix'
  if (patternType !== 'stix') return { kind: 'indicator', objectId, indicators: [], problems: [`pattern_type ${text(String(patternType), 40)} is not supported (only stix)`] }
  if (typeof object.pattern !== 'string' || object.pattern.trim() === '') return { kind: 'indicator', objectId, indicators: [], problems: ['the indicator has no pattern'] }

  const reading = indicatorsFromPattern(object.pattern)
  const creator = typeof object.created_by_ref === 'string' ? context.identities.get(object.created_by_ref) : undefined
  const name = text(object.name, 500)
  const description = text(object.description, 1500)
  const tags = [...(Array.isArray(object.indicator_types) ? object.indicator_types : []), ...(Array.isArray(object.labels) ? object.labels : [])]
    .filter((t): t is string => typeof t === 'string' && t.length > 0 && t.length <= 100)
    .slice(0, 50)
  const common = {
    description: [name, description].filter(Boolean).join(': ').slice(0, 2000),
    confidence: typeof object.confidence === 'number' ? confidenceFromScore(object.confidence) : ('unknown' as const),
    source: creator ? `${context.file} (${creator})` : context.file,
    tags: [...new Set(tags)],
    validFrom: isoOrNull(object.valid_from),
    validUntil: isoOrNull(object.valid_until),
  }
  return { kind: 'indicator', objectId, indicators: reading.indicators.map((i) => ({ ...i, ...common })), problems: reading.problems }
}
