import { sql, type Selectable } from 'kysely'
import { dialectOf, type Db } from '../db/connect.js'
import { fromJson, toIso, toIsoOrNull, toJson, toNumber } from '../db/mappers.js'
import type { EndpointsTable, SoftwareCatalogTable } from '../db/schema.js'
import { visibleCustomerIds, type TenantScope } from '../shared/actor.js'
import type { CatalogEntry, Endpoint, EndpointKind, ImportReport, Installation, InstallSource, Platform } from './model.js'

/**
 * Inventory SQL. The bulk paths (installations, snapshot sweeps) send one parameter per batch,
 * a JSON array on SQLite (read with json_each) and arrays on PostgreSQL (read with unnest),
 * so a batch of thousands of rows is one statement on both.
 */

/** A LIKE pattern (with `escape '\\'`) for lower-cased text containing `text`. */
function containing(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

// ---- endpoints ----

export interface EndpointUpsert {
  id: string
  customerId: string
  kind: EndpointKind
  identifier: string
  identifierKey: string
  hostname: string | null
  platform: Platform | null
  osName: string | null
  osVersion: string | null
  hardwareSerial: string | null
  hardwareUuid: string | null
  seenAt: string
  now: string
}

/** Insert new endpoints, merge facts into known ones; returns each endpoint's id and whether it is new. */
export async function upsertEndpoints(db: Db, rows: EndpointUpsert[]): Promise<Array<{ id: string; seq: number; customerId: string; identifierKey: string; created: boolean }>> {
  if (rows.length === 0) return []
  const later = dialectOf(db) === 'postgres' ? 'greatest' : 'max'
  const earlier = dialectOf(db) === 'postgres' ? 'least' : 'min'
  const result = await db
    .insertInto('endpoints')
    .values(
      rows.map((r) => ({
        id: r.id,
        customer_id: r.customerId,
        kind: r.kind,
        identifier: r.identifier,
        identifier_key: r.identifierKey,
        hostname: r.hostname,
        platform: r.platform,
        os_name: r.osName,
        os_version: r.osVersion,
        hardware_serial: r.hardwareSerial,
        hardware_uuid: r.hardwareUuid,
        first_seen: r.seenAt,
        last_seen: r.seenAt,
        created_at: r.now,
        updated_at: r.now,
      })),
    )
    .onConflict((oc) =>
      oc.columns(['customer_id', 'identifier_key']).doUpdateSet({
        hostname: sql`coalesce(excluded.hostname, endpoints.hostname)`,
        platform: sql`coalesce(excluded.platform, endpoints.platform)`,
        os_name: sql`coalesce(excluded.os_name, endpoints.os_name)`,
        os_version: sql`coalesce(excluded.os_version, endpoints.os_version)`,
        hardware_serial: sql`coalesce(excluded.hardware_serial, endpoints.hardware_serial)`,
        hardware_uuid: sql`coalesce(excluded.hardware_uuid, endpoints.hardware_uuid)`,
        first_seen: sql`${sql.raw(earlier)}(endpoints.first_seen, excluded.first_seen)`,
        last_seen: sql`${sql.raw(later)}(endpoints.last_seen, excluded.last_seen)`,
        updated_at: sql`excluded.updated_at`,
      }),
    )
    .returning(['id', 'seq', 'customer_id', 'identifier_key'])
    .execute()
  const createdIds = new Set(rows.map((r) => r.id))
  return result.map((r) => ({ id: r.id, seq: toNumber(r.seq), customerId: r.customer_id, identifierKey: r.identifier_key, created: createdIds.has(r.id) }))
}

function toEndpoint(row: Selectable<EndpointsTable>): Endpoint {
  return {
    id: row.id,
    customerId: row.customer_id,
    kind: row.kind as EndpointKind,
    identifier: row.identifier,
    hostname: row.hostname,
    platform: row.platform as Platform | null,
    osName: row.os_name,
    osVersion: row.os_version,
    hardwareSerial: row.hardware_serial,
    hardwareUuid: row.hardware_uuid,
    firstSeen: toIso(row.first_seen),
    lastSeen: toIso(row.last_seen),
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  }
}

export interface EndpointListQuery {
  scope: TenantScope
  customerId?: string | undefined
  search?: string | undefined
  platform?: Platform | undefined
  after?: readonly [identifierKey: string, id: string] | undefined
  limit: number
}

export async function listEndpoints(db: Db, query: EndpointListQuery): Promise<Array<Endpoint & { identifierKey: string }>> {
  let q = db.selectFrom('endpoints').selectAll()
  const allowed = visibleCustomerIds(query.scope)
  if (allowed) q = q.where('customer_id', 'in', allowed)
  if (query.customerId) q = q.where('customer_id', '=', query.customerId)
  if (query.platform) q = q.where('platform', '=', query.platform)
  if (query.search) {
    const pattern = containing(query.search)
    q = q.where((eb) => eb.or([eb('identifier_key', 'like', sql<string>`${pattern} escape '\\'`), eb(sql`lower(hostname)`, 'like', sql<string>`${pattern} escape '\\'`)]))
  }
  if (query.after) {
    const [key, id] = query.after
    q = q.where((eb) => eb.or([eb('identifier_key', '>', key), eb.and([eb('identifier_key', '=', key), eb('id', '>', id)])]))
  }
  const rows = await q.orderBy('identifier_key').orderBy('id').limit(query.limit + 1).execute()
  return rows.map((r) => ({ ...toEndpoint(r), identifierKey: r.identifier_key }))
}

export async function findEndpoint(db: Db, scope: TenantScope, id: string): Promise<Endpoint | undefined> {
  let q = db.selectFrom('endpoints').selectAll().where('id', '=', id)
  const allowed = visibleCustomerIds(scope)
  if (allowed) q = q.where('customer_id', 'in', allowed)
  const row = await q.executeTakeFirst()
  return row && toEndpoint(row)
}

/** Endpoints known by identifier (or hostname) within the scope: for `endpoints show <name>`. */
export async function findEndpointsByIdentifier(db: Db, scope: TenantScope, identifierKey: string): Promise<Endpoint[]> {
  let q = db.selectFrom('endpoints').selectAll().where((eb) => eb.or([eb('identifier_key', '=', identifierKey), eb(sql`lower(hostname)`, '=', identifierKey)]))
  const allowed = visibleCustomerIds(scope)
  if (allowed) q = q.where('customer_id', 'in', allowed)
  return (await q.orderBy('id').limit(20).execute()).map(toEndpoint)
}

/** Addresses endpoints reported: new ones are added, known ones seen again. */
export async function upsertAddresses(db: Db, rows: ReadonlyArray<{ endpointId: string; address: string; seenAt: string }>): Promise<void> {
  if (rows.length === 0) return
  const later = dialectOf(db) === 'postgres' ? 'greatest' : 'max'
  const unique = new Map(rows.map((r) => [`${r.endpointId}\u001f${r.address}`, r]))
  await db
    .insertInto('endpoint_addresses')
    .values([...unique.values()].map((r) => ({ endpoint_id: r.endpointId, address: r.address, first_seen: r.seenAt, last_seen: r.seenAt })))
    .onConflict((oc) => oc.columns(['endpoint_id', 'address']).doUpdateSet({ last_seen: sql`${sql.raw(later)}(endpoint_addresses.last_seen, excluded.last_seen)` }))
    .execute()
}

export async function findEndpointsByAddress(db: Db, scope: TenantScope, address: string): Promise<Endpoint[]> {
  let q = db.selectFrom('endpoint_addresses as a').innerJoin('endpoints as e', 'e.id', 'a.endpoint_id').selectAll('e').where('a.address', '=', address)
  const allowed = visibleCustomerIds(scope)
  if (allowed) q = q.where('e.customer_id', 'in', allowed)
  return (await q.orderBy('a.last_seen', 'desc').limit(20).execute()).map(toEndpoint)
}

// ---- catalog ----

export interface CatalogInsert {
  key: string
  vendor: string
  vendorKey: string
  product: string
  productKey: string
  version: string
  platform: Platform
  ecosystem: string | null
  sourceKey: string | null
  purl: string | null
  cpe: string | null
}

export async function findCatalogIds(db: Db, keys: readonly string[]): Promise<Map<string, number>> {
  const found = new Map<string, number>()
  for (let i = 0; i < keys.length; i += 500) {
    const rows = await db.selectFrom('software_catalog').select(['id', 'key']).where('key', 'in', keys.slice(i, i + 500)).execute()
    for (const row of rows) found.set(row.key, toNumber(row.id))
  }
  return found
}

/** Insert entries not yet in the catalog; returns the ids of those this call created. */
export async function insertCatalog(db: Db, entries: readonly CatalogInsert[], now: string): Promise<Map<string, number>> {
  const created = new Map<string, number>()
  for (let i = 0; i < entries.length; i += 1000) {
    const rows = await db
      .insertInto('software_catalog')
      .values(
        entries.slice(i, i + 1000).map((e) => ({
          key: e.key,
          vendor: e.vendor,
          vendor_key: e.vendorKey,
          product: e.product,
          product_key: e.productKey,
          version: e.version,
          platform: e.platform,
          ecosystem: e.ecosystem,
          source_key: e.sourceKey,
          purl: e.purl,
          cpe: e.cpe,
          created_at: now,
        })),
      )
      .onConflict((oc) => oc.column('key').doNothing())
      .returning(['id', 'key'])
      .execute()
    for (const row of rows) created.set(row.key, toNumber(row.id))
  }
  return created
}

function toCatalogEntry(row: Selectable<SoftwareCatalogTable>): CatalogEntry {
  return {
    id: toNumber(row.id),
    vendor: row.vendor,
    vendorKey: row.vendor_key,
    product: row.product,
    productKey: row.product_key,
    version: row.version,
    platform: row.platform as Platform,
    ecosystem: row.ecosystem,
    sourceKey: row.source_key,
    purl: row.purl,
    cpe: row.cpe,
    createdAt: toIso(row.created_at),
  }
}

/** Catalog entries in id order, a page at a time: for matching the whole catalog. */
export async function catalogPage(db: Db, afterId: number, limit: number): Promise<CatalogEntry[]> {
  const rows = await db.selectFrom('software_catalog').selectAll().where('id', '>', afterId).orderBy('id').limit(limit).execute()
  return rows.map(toCatalogEntry)
}

export async function catalogByIds(db: Db, ids: readonly number[]): Promise<CatalogEntry[]> {
  const out: CatalogEntry[] = []
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db.selectFrom('software_catalog').selectAll().where('id', 'in', ids.slice(i, i + 500)).execute()
    out.push(...rows.map(toCatalogEntry))
  }
  return out
}

/** Entries whose product, or source package, has one of these keys. */
export async function catalogByProductKeys(db: Db, productKeys: readonly string[]): Promise<CatalogEntry[]> {
  const out: CatalogEntry[] = []
  for (let i = 0; i < productKeys.length; i += 500) {
    const keys = productKeys.slice(i, i + 500)
    const rows = await db.selectFrom('software_catalog').selectAll().where((eb) => eb.or([eb('product_key', 'in', keys), eb('source_key', 'in', keys)])).execute()
    out.push(...rows.map(toCatalogEntry))
  }
  return out
}

export interface CatalogSearch {
  search?: string | undefined
  platform?: Platform | undefined
  after?: number | undefined
  limit: number
}

export async function searchCatalog(db: Db, query: CatalogSearch): Promise<CatalogEntry[]> {
  let q = db.selectFrom('software_catalog').selectAll()
  if (query.search) {
    const pattern = containing(query.search)
    q = q.where((eb) => eb.or([eb('product_key', 'like', sql<string>`${pattern} escape '\\'`), eb('vendor_key', 'like', sql<string>`${pattern} escape '\\'`)]))
  }
  if (query.platform) q = q.where('platform', '=', query.platform)
  if (query.after !== undefined) q = q.where('id', '>', query.after)
  return (await q.orderBy('id').limit(query.limit + 1).execute()).map(toCatalogEntry)
}

// ---- installations ----

export interface Sighting {
  endpointSeq: number
  catalogId: number
  source: InstallSource
  at: string
}

/** Record installations as seen at their time: new ones inserted, known ones extended, returned ones un-removed. */
export async function upsertInstallations(db: Db, rows: readonly Sighting[]): Promise<void> {
  if (rows.length === 0) return
  if (dialectOf(db) === 'postgres') {
    await sql`
      insert into installations (endpoint_seq, catalog_id, source, first_seen, last_seen, removed_at)
      select e, c, s, t, t, null
      from unnest(${rows.map((r) => r.endpointSeq)}::bigint[], ${rows.map((r) => r.catalogId)}::bigint[], ${rows.map((r) => r.source)}::text[], ${rows.map((r) => r.at)}::timestamptz[]) as j(e, c, s, t)
      on conflict (endpoint_seq, catalog_id, source) do update set
        first_seen = least(installations.first_seen, excluded.first_seen),
        last_seen = greatest(installations.last_seen, excluded.last_seen),
        removed_at = case when installations.removed_at is not null and excluded.last_seen >= installations.removed_at then null else installations.removed_at end
      where installations.last_seen < excluded.last_seen or installations.first_seen > excluded.first_seen
        or (installations.removed_at is not null and excluded.last_seen >= installations.removed_at)`.execute(db)
    return
  }
  await sql`
    insert into installations (endpoint_seq, catalog_id, source, first_seen, last_seen, removed_at)
    select j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 3, null
    from json_each(${JSON.stringify(rows.map((r) => [r.endpointSeq, r.catalogId, r.source, r.at]))}) j where true
    on conflict (endpoint_seq, catalog_id, source) do update set
      first_seen = min(installations.first_seen, excluded.first_seen),
      last_seen = max(installations.last_seen, excluded.last_seen),
      removed_at = case when installations.removed_at is not null and excluded.last_seen >= installations.removed_at then null else installations.removed_at end
    where installations.last_seen < excluded.last_seen or installations.first_seen > excluded.first_seen
      or (installations.removed_at is not null and excluded.last_seen >= installations.removed_at)`.execute(db)
}

/** Differential removals: each installation is marked removed at its time, unless seen since. */
export async function markRemoved(db: Db, rows: readonly Sighting[]): Promise<number> {
  if (rows.length === 0) return 0
  const result =
    dialectOf(db) === 'postgres'
      ? await sql`
          update installations set removed_at = j.t
          from unnest(${rows.map((r) => r.endpointSeq)}::bigint[], ${rows.map((r) => r.catalogId)}::bigint[], ${rows.map((r) => r.source)}::text[], ${rows.map((r) => r.at)}::timestamptz[]) as j(e, c, s, t)
          where installations.endpoint_seq = j.e and installations.catalog_id = j.c and installations.source = j.s
            and installations.removed_at is null and installations.last_seen <= j.t`.execute(db)
      : await sql`
          update installations set removed_at = j.value ->> 3
          from json_each(${JSON.stringify(rows.map((r) => [r.endpointSeq, r.catalogId, r.source, r.at]))}) j
          where installations.endpoint_seq = j.value ->> 0 and installations.catalog_id = j.value ->> 1 and installations.source = j.value ->> 2
            and installations.removed_at is null and installations.last_seen <= j.value ->> 3`.execute(db)
  return Number(result.numAffectedRows ?? 0)
}

export interface SnapshotScope {
  endpointId: string
  endpointSeq: number
  source: InstallSource
  at: string
}

/** After a full snapshot at time T, what the endpoint's source did not report at T is removed at T. */
export async function sweepSnapshots(db: Db, scopes: readonly SnapshotScope[]): Promise<number> {
  if (scopes.length === 0) return 0
  const result =
    dialectOf(db) === 'postgres'
      ? await sql`
          update installations set removed_at = j.t
          from unnest(${scopes.map((s) => s.endpointSeq)}::bigint[], ${scopes.map((s) => s.source)}::text[], ${scopes.map((s) => s.at)}::timestamptz[]) as j(e, s, t)
          where installations.endpoint_seq = j.e and installations.source = j.s
            and installations.removed_at is null and installations.last_seen < j.t`.execute(db)
      : await sql`
          update installations set removed_at = j.value ->> 2
          from json_each(${JSON.stringify(scopes.map((s) => [s.endpointSeq, s.source, s.at]))}) j
          where installations.endpoint_seq = j.value ->> 0 and installations.source = j.value ->> 1
            and installations.removed_at is null and installations.last_seen < j.value ->> 2`.execute(db)
  await upsertSnapshotTimes(db, scopes)
  return Number(result.numAffectedRows ?? 0)
}

/**
 * PostgreSQL plans from statistics that a large import makes stale (a seq scan for a table it
 * believes small); ANALYZE samples the table inside the transaction. SQLite's planner needs none.
 */
export async function refreshStatistics(db: Db): Promise<void> {
  if (dialectOf(db) === 'postgres') await sql`analyze installations, endpoints, software_catalog, inventory_import_endpoints`.execute(db)
}

/** Records the time of snapshots that had nothing to sweep. */
export async function recordSnapshots(db: Db, scopes: readonly SnapshotScope[]): Promise<void> {
  await upsertSnapshotTimes(db, scopes)
}

async function upsertSnapshotTimes(db: Db, scopes: readonly SnapshotScope[]): Promise<void> {
  const later = dialectOf(db) === 'postgres' ? 'greatest' : 'max'
  for (let i = 0; i < scopes.length; i += 1000) {
    await db
      .insertInto('endpoint_sources')
      .values(scopes.slice(i, i + 1000).map((s) => ({ endpoint_id: s.endpointId, source: s.source, last_snapshot_at: s.at })))
      .onConflict((oc) => oc.columns(['endpoint_id', 'source']).doUpdateSet({ last_snapshot_at: sql`${sql.raw(later)}(endpoint_sources.last_snapshot_at, excluded.last_snapshot_at)` }))
      .execute()
  }
}

/** The latest snapshot time per (endpoint, source) of the given endpoints. */
export async function snapshotTimes(db: Db, endpointIds: readonly string[]): Promise<Map<string, string>> {
  const times = new Map<string, string>()
  for (let i = 0; i < endpointIds.length; i += 500) {
    const rows = await db.selectFrom('endpoint_sources').selectAll().where('endpoint_id', 'in', endpointIds.slice(i, i + 500)).execute()
    for (const row of rows) times.set(`${row.endpoint_id}\u001f${row.source}`, toIso(row.last_snapshot_at))
  }
  return times
}

export interface InstallationQuery {
  endpointId: string
  includeRemoved: boolean
  after?: number | undefined
  limit: number
}

export async function listInstallations(db: Db, query: InstallationQuery): Promise<Installation[]> {
  let q = db
    .selectFrom('installations as i')
    .innerJoin('software_catalog as c', 'c.id', 'i.catalog_id')
    .innerJoin('endpoints as e', 'e.seq', 'i.endpoint_seq')
    .select(['e.id as endpoint_id', 'i.catalog_id', 'i.source', 'i.first_seen', 'i.last_seen', 'i.removed_at', 'c.vendor', 'c.product', 'c.version', 'c.platform', 'c.ecosystem'])
    .where('e.id', '=', query.endpointId)
  if (!query.includeRemoved) q = q.where('i.removed_at', 'is', null)
  if (query.after !== undefined) q = q.where('i.catalog_id', '>', query.after)
  const rows = await q.orderBy('i.catalog_id').orderBy('i.source').limit(query.limit + 1).execute()
  return rows.map((r) => ({
    endpointId: r.endpoint_id,
    catalogId: toNumber(r.catalog_id),
    source: r.source as InstallSource,
    vendor: r.vendor,
    product: r.product,
    version: r.version,
    platform: r.platform as Platform,
    ecosystem: r.ecosystem,
    firstSeen: toIso(r.first_seen),
    lastSeen: toIso(r.last_seen),
    removedAt: toIsoOrNull(r.removed_at),
  }))
}

// ---- imports ----

export async function insertImport(db: Db, row: { id: string; file: string; format: string; actorId: string; startedAt: string }): Promise<void> {
  await db
    .insertInto('inventory_imports')
    .values({ id: row.id, file: row.file, format: row.format, actor_id: row.actorId, started_at: row.startedAt, finished_at: row.startedAt, accepted: 0, rejected: 0, endpoints: 0, report: toJson({}) })
    .execute()
}

export async function finishImport(db: Db, report: ImportReport): Promise<void> {
  await db
    .updateTable('inventory_imports')
    .set({ finished_at: report.finishedAt, accepted: report.accepted, rejected: report.rejected, endpoints: report.endpointsTouched, report: toJson(report) })
    .where('id', '=', report.id)
    .execute()
}

export async function addImportEndpoints(db: Db, importId: string, endpointIds: readonly string[]): Promise<void> {
  for (let i = 0; i < endpointIds.length; i += 2000) {
    await db
      .insertInto('inventory_import_endpoints')
      .values(endpointIds.slice(i, i + 2000).map((endpointId) => ({ import_id: importId, endpoint_id: endpointId })))
      .onConflict((oc) => oc.doNothing())
      .execute()
  }
}

export async function findImport(db: Db, id: string): Promise<ImportReport | undefined> {
  const row = await db.selectFrom('inventory_imports').select('report').where('id', '=', id).executeTakeFirst()
  return row && fromJson<ImportReport>(row.report)
}

export async function listImports(db: Db, after: readonly [startedAt: string, id: string] | undefined, limit: number): Promise<ImportReport[]> {
  let q = db.selectFrom('inventory_imports').select(['report', 'started_at', 'id'])
  if (after) q = q.where((eb) => eb.or([eb('started_at', '<', after[0]), eb.and([eb('started_at', '=', after[0]), eb('id', '<', after[1])])]))
  const rows = await q.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute()
  return rows.map((r) => fromJson<ImportReport>(r.report))
}
