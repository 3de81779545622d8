import { sql, type Selectable } from 'kysely'
import type { Db } from '../../db/connect.js'
import { fromJson, toIso, toIsoOrNull, toJson } from '../../db/mappers.js'
import type { IndicatorsTable } from '../../db/schema.js'
import type { Confidence, Indicator, IndicatorKind } from '../model.js'

const batch = 500

/** Indicators of one source with these values (any kind), for an import to tell new from known. */
export async function findIndicators(db: Db, source: string, values: readonly string[]): Promise<Indicator[]> {
  const found: Indicator[] = []
  for (let i = 0; i < values.length; i += batch) {
    const rows = await db.selectFrom('indicators').selectAll().where('source', '=', source).where('value', 'in', values.slice(i, i + batch)).execute()
    found.push(...rows.map(toIndicator))
  }
  return found
}

export async function insertIndicators(db: Db, indicators: readonly Indicator[]): Promise<void> {
  for (let i = 0; i < indicators.length; i += batch) {
    await db
      .insertInto('indicators')
      .values(
        indicators.slice(i, i + batch).map((indicator) => ({
          id: indicator.id,
          kind: indicator.kind,
          value: indicator.value,
          description: indicator.description,
          source: indicator.source,
          confidence: indicator.confidence,
          advisory_id: indicator.advisoryId,
          tags: toJson(indicator.tags),
          valid_from: indicator.validFrom,
          valid_until: indicator.validUntil,
          created_at: indicator.createdAt,
          updated_at: indicator.updatedAt,
        })),
      )
      .execute()
  }
}

export async function updateIndicator(db: Db, indicator: Indicator): Promise<void> {
  await db
    .updateTable('indicators')
    .set({
      description: indicator.description,
      confidence: indicator.confidence,
      advisory_id: indicator.advisoryId,
      tags: toJson(indicator.tags),
      valid_from: indicator.validFrom,
      valid_until: indicator.validUntil,
      updated_at: indicator.updatedAt,
    })
    .where('id', '=', indicator.id)
    .execute()
}

/** Remove an advisory's indicators other than these (its new version no longer lists them). */
export async function deleteAdvisoryIndicatorsExcept(db: Db, advisoryId: string, keep: readonly string[]): Promise<number> {
  let query = db.deleteFrom('indicators').where('advisory_id', '=', advisoryId)
  if (keep.length > 0) query = query.where('id', 'not in', [...keep])
  const result = await query.executeTakeFirst()
  return Number(result.numDeletedRows)
}

export async function countIndicators(db: Db, advisoryId: string): Promise<number> {
  const row = await db
    .selectFrom('indicators')
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .where('advisory_id', '=', advisoryId)
    .executeTakeFirstOrThrow()
  return Number(row.count)
}

export interface IndicatorListQuery {
  kind?: IndicatorKind | undefined
  advisoryId?: string | undefined
  confidence?: Confidence | undefined
  /** Case-insensitive substring of the value, description or source. */
  search?: string | undefined
  /** The id of the last item of the previous page. */
  after?: string | undefined
  limit: number
}

/** Indicators, newest first (ids are time-ordered), a page at a time. */
export async function listIndicators(db: Db, query: IndicatorListQuery): Promise<Indicator[]> {
  let select = db.selectFrom('indicators').selectAll().orderBy('id', 'desc').limit(query.limit)
  if (query.kind) select = select.where('kind', '=', query.kind)
  if (query.advisoryId) select = select.where('advisory_id', '=', query.advisoryId)
  if (query.confidence) select = select.where('confidence', '=', query.confidence)
  if (query.search) {
    // Values are stored lower-case (URL paths aside); descriptions and sources are compared lower-cased.
    const pattern = `%${query.search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`
    select = select.where(
      sql<boolean>`(lower(value) like ${pattern} escape '\\' or lower(description) like ${pattern} escape '\\' or lower(source) like ${pattern} escape '\\')`,
    )
  }
  if (query.after) select = select.where('id', '<', query.after)
  return (await select.execute()).map(toIndicator)
}

function toIndicator(row: Selectable<IndicatorsTable>): Indicator {
  return {
    id: row.id,
    kind: row.kind as IndicatorKind,
    value: row.value,
    description: row.description,
    source: row.source,
    confidence: row.confidence as Confidence,
    advisoryId: row.advisory_id,
    tags: fromJson<string[]>(row.tags),
    validFrom: toIsoOrNull(row.valid_from),
    validUntil: toIsoOrNull(row.valid_until),
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  }
}
