import { sql, type Selectable } from 'kysely'
import { dialectOf, type Db } from '../../db/connect.js'
import { fromJson, toIso, toIsoOrNull, toJson } from '../../db/mappers.js'
import type { AdvisoriesTable, AdvisoryTargetsTable } from '../../db/schema.js'
import type { VersionRange } from '../../versions/index.js'
import type {
  Advisory,
  AdvisorySourceKind,
  AdvisoryTarget,
  AdvisoryTargetDetail,
  Platform,
  Reference,
  Remediation,
  Severity,
} from '../model.js'

/** An advisory as stored: the model plus what the store keeps for finding and sorting it. */
export interface AdvisoryRow extends Advisory {
  details: string
  references: Reference[]
  remediation: Remediation | null
  contentHash: string
  searchText: string
  sortAt: string
}

export interface TargetRow extends AdvisoryTargetDetail {
  id: string
  advisoryId: string
  position: number
}

/** What an import needs to know of an advisory already stored, to decide whether to replace it. */
export interface StoredVersion {
  id: string
  sourceKind: AdvisorySourceKind
  externalId: string
  modifiedAt: string | null
  contentHash: string
  withdrawnAt: string | null
}

// Rows per INSERT: well under SQLite's and PostgreSQL's limits on bound parameters.
const insertBatch = 500

/**
 * Imports run one at a time: on PostgreSQL a transaction-scoped advisory lock (two imports of the
 * same feed would otherwise race to insert the same advisory); SQLite write transactions are
 * already serial (BEGIN IMMEDIATE).
 */
export async function lockImports(db: Db): Promise<void> {
  // The key is arbitrary but fixed: 'CORD' 'INTL' as two 32-bit integers.
  if (dialectOf(db) === 'postgres') await sql`select pg_advisory_xact_lock(${0x434f5244}, ${0x494e544c})`.execute(db)
}

export async function findVersions(db: Db, externalIds: readonly string[]): Promise<Map<string, StoredVersion>> {
  const found = new Map<string, StoredVersion>()
  for (let i = 0; i < externalIds.length; i += insertBatch) {
    const rows = await db
      .selectFrom('advisories')
      .select(['id', 'source_kind', 'external_id', 'modified_at', 'content_hash', 'withdrawn_at'])
      .where('external_id', 'in', externalIds.slice(i, i + insertBatch))
      .execute()
    for (const row of rows) {
      found.set(row.external_id, {
        id: row.id,
        sourceKind: row.source_kind as AdvisorySourceKind,
        externalId: row.external_id,
        modifiedAt: toIsoOrNull(row.modified_at),
        contentHash: row.content_hash,
        withdrawnAt: toIsoOrNull(row.withdrawn_at),
      })
    }
  }
  return found
}

export async function insertAdvisories(db: Db, rows: readonly AdvisoryRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += insertBatch) {
    await db.insertInto('advisories').values(rows.slice(i, i + insertBatch).map(toValues)).execute()
  }
}

export async function updateAdvisory(db: Db, row: AdvisoryRow): Promise<void> {
  const { id: _id, imported_at: _importedAt, ...values } = toValues(row)
  await db.updateTable('advisories').set(values).where('id', '=', row.id).execute()
}

export async function deleteTargets(db: Db, advisoryIds: readonly string[]): Promise<void> {
  for (let i = 0; i < advisoryIds.length; i += insertBatch) {
    await db.deleteFrom('advisory_targets').where('advisory_id', 'in', advisoryIds.slice(i, i + insertBatch)).execute()
  }
}

export async function insertTargets(db: Db, targets: readonly TargetRow[]): Promise<void> {
  for (let i = 0; i < targets.length; i += insertBatch) {
    await db
      .insertInto('advisory_targets')
      .values(
        targets.slice(i, i + insertBatch).map((t) => ({
          id: t.id,
          advisory_id: t.advisoryId,
          position: t.position,
          ecosystem: t.ecosystem,
          vendor: t.vendor,
          vendor_key: t.vendorKey,
          product: t.product,
          product_key: t.productKey,
          platform: t.platform,
          versions: toJson(t.versions),
          ranges: toJson(t.ranges),
        })),
      )
      .execute()
  }
}

/** One advisory by its id or its external id (GHSA-…, CORDON-…). */
export async function findAdvisory(db: Db, reference: string): Promise<AdvisoryRow | undefined> {
  const row = await db
    .selectFrom('advisories')
    .selectAll()
    .where((eb) => eb.or([eb('id', '=', reference), eb('external_id', '=', reference)]))
    .orderBy('id')
    .executeTakeFirst()
  return row && toAdvisoryRow(row)
}

/** Ids of the advisories that name this alias (a CVE id, say). */
export async function findIdsByAlias(db: Db, alias: string, limit: number): Promise<string[]> {
  // search_text holds the aliases lower-cased: narrow with it, then compare exactly.
  const wanted = alias.toLowerCase()
  const rows = await db
    .selectFrom('advisories')
    .select(['id', 'aliases'])
    .where(sql<boolean>`search_text like ${`%${escapeLike(wanted)}%`} escape '\\'`)
    .orderBy('id')
    .limit(1000)
    .execute()
  return rows.filter((r) => fromJson<string[]>(r.aliases).some((a) => a.toLowerCase() === wanted)).slice(0, limit).map((r) => r.id)
}

export interface AdvisoryListQuery {
  search?: string | undefined
  severity?: Severity | undefined
  source?: string | undefined
  sourceKind?: AdvisorySourceKind | undefined
  includeWithdrawn: boolean
  /** Sort key (sort_at, id) of the last item of the previous page. */
  after?: readonly [string, string] | undefined
  limit: number
}

/** Advisories, newest first, a page at a time. */
export async function listAdvisories(db: Db, query: AdvisoryListQuery): Promise<AdvisoryRow[]> {
  let select = db.selectFrom('advisories').selectAll().orderBy('sort_at', 'desc').orderBy('id', 'desc').limit(query.limit)
  if (query.severity) select = select.where('severity', '=', query.severity)
  if (query.source) select = select.where('source', '=', query.source)
  if (query.sourceKind) select = select.where('source_kind', '=', query.sourceKind)
  if (!query.includeWithdrawn) select = select.where('withdrawn_at', 'is', null)
  if (query.search) {
    // SQLite's LIKE has no escape character unless one is named; PostgreSQL's is the backslash.
    const pattern = `%${escapeLike(query.search.toLowerCase())}%`
    select = select.where(sql<boolean>`search_text like ${pattern} escape '\\'`)
  }
  if (query.after) {
    const [sortAt, id] = query.after
    select = select.where((eb) => eb.or([eb('sort_at', '<', sortAt), eb.and([eb('sort_at', '=', sortAt), eb('id', '<', id)])]))
  }
  return (await select.execute()).map(toAdvisoryRow)
}

/** The targets of one advisory, in the order the source listed them. */
export async function listTargetDetails(db: Db, advisoryId: string): Promise<AdvisoryTargetDetail[]> {
  const rows = await db.selectFrom('advisory_targets').selectAll().where('advisory_id', '=', advisoryId).orderBy('position').execute()
  return rows.map((row) => {
    const { advisoryId: _advisoryId, ...target } = toTarget(row)
    return { ...target, vendor: row.vendor, product: row.product }
  })
}

/** Targets of advisories that are not withdrawn: all of them, or those of the given advisories. */
export async function listTargets(db: Db, advisoryIds?: readonly string[]): Promise<AdvisoryTarget[]> {
  const select = () =>
    db
      .selectFrom('advisory_targets')
      .innerJoin('advisories', 'advisories.id', 'advisory_targets.advisory_id')
      .selectAll('advisory_targets')
      .where('advisories.withdrawn_at', 'is', null)
      .orderBy('advisory_targets.advisory_id')
      .orderBy('advisory_targets.position')
  if (advisoryIds === undefined) return (await select().execute()).map(toTarget)
  const targets: AdvisoryTarget[] = []
  for (let i = 0; i < advisoryIds.length; i += insertBatch) {
    const rows = await select().where('advisory_targets.advisory_id', 'in', advisoryIds.slice(i, i + insertBatch)).execute()
    targets.push(...rows.map(toTarget))
  }
  return targets
}

function toValues(row: AdvisoryRow) {
  return {
    id: row.id,
    source_kind: row.sourceKind,
    external_id: row.externalId,
    aliases: toJson(row.aliases),
    title: row.title,
    summary: row.summary,
    details: row.details,
    severity: row.severity,
    published_at: row.publishedAt,
    modified_at: row.modifiedAt,
    withdrawn_at: row.withdrawnAt,
    reference_links: toJson(row.references),
    remediation: row.remediation === null ? null : toJson(row.remediation),
    source: row.source,
    content_hash: row.contentHash,
    search_text: row.searchText,
    sort_at: row.sortAt,
    imported_at: row.importedAt,
    updated_at: row.updatedAt,
  }
}

function toAdvisoryRow(row: Selectable<AdvisoriesTable>): AdvisoryRow {
  return {
    id: row.id,
    sourceKind: row.source_kind as AdvisorySourceKind,
    externalId: row.external_id,
    aliases: fromJson<string[]>(row.aliases),
    title: row.title,
    summary: row.summary,
    details: row.details,
    severity: row.severity as Severity,
    publishedAt: toIsoOrNull(row.published_at),
    modifiedAt: toIsoOrNull(row.modified_at),
    withdrawnAt: toIsoOrNull(row.withdrawn_at),
    references: fromJson<Reference[]>(row.reference_links),
    remediation: row.remediation === null ? null : fromJson<Remediation>(row.remediation),
    source: row.source,
    contentHash: row.content_hash,
    searchText: row.search_text,
    sortAt: toIso(row.sort_at),
    importedAt: toIso(row.imported_at),
    updatedAt: toIso(row.updated_at),
  }
}

function toTarget(row: Selectable<AdvisoryTargetsTable>): AdvisoryTarget {
  return {
    advisoryId: row.advisory_id,
    ecosystem: row.ecosystem,
    vendorKey: row.vendor_key,
    productKey: row.product_key,
    platform: row.platform as Platform | null,
    versions: fromJson<string[]>(row.versions),
    ranges: fromJson<VersionRange[]>(row.ranges),
  }
}

function escapeLike(text: string): string {
  // Kysely binds the pattern as a parameter; only LIKE's own wildcards need neutralising.
  return text.replace(/[\\%_]/g, (c) => `\\${c}`)
}
