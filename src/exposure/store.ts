import { sql, type RawBuilder } from 'kysely'
import { dialectOf, type Db } from '../db/connect.js'
import { fromJson, toIso, toIsoOrNull, toJson, toNumber } from '../db/mappers.js'
import { visibleCustomerIds, type TenantScope } from '../shared/actor.js'
import type { Finding, FindingEvent, FindingStatus, Resolution } from './model.js'

/**
 * Exposure SQL. Findings are reconciled set-based from matches × installations, restricted to
 * what changed (an import's endpoints, or some advisories), never advisory × installation in a loop.
 * Reads join the inventory's and customers' tables (endpoint names, catalog names, customer names).
 */

/** A timestamp parameter: typed on PostgreSQL, ISO text on SQLite. */
function at(db: Db, iso: string): RawBuilder<unknown> {
  return dialectOf(db) === 'postgres' ? sql`cast(${iso} as timestamptz)` : sql`${iso}`
}

// ---- matches ----

export interface MatchPair {
  advisoryId: string
  catalogId: number
}

export async function insertMatches(db: Db, pairs: readonly MatchPair[], now: string): Promise<void> {
  for (let i = 0; i < pairs.length; i += 2000) {
    await db
      .insertInto('exposure_matches')
      .values(pairs.slice(i, i + 2000).map((p) => ({ advisory_id: p.advisoryId, catalog_id: p.catalogId, matched_at: now })))
      .onConflict((oc) => oc.doNothing())
      .execute()
  }
}

export async function deleteMatches(db: Db, pairs: readonly MatchPair[]): Promise<void> {
  for (const pair of pairs) {
    await db.deleteFrom('exposure_matches').where('advisory_id', '=', pair.advisoryId).where('catalog_id', '=', pair.catalogId).execute()
  }
}

export async function matchesOf(db: Db, advisoryIds: readonly string[] | 'all'): Promise<MatchPair[]> {
  const out: MatchPair[] = []
  const chunks = advisoryIds === 'all' ? [null] : chunk(advisoryIds, 500)
  for (const ids of chunks) {
    let q = db.selectFrom('exposure_matches').select(['advisory_id', 'catalog_id'])
    if (ids) q = q.where('advisory_id', 'in', ids)
    for (const row of await q.execute()) out.push({ advisoryId: row.advisory_id, catalogId: toNumber(row.catalog_id) })
  }
  return out
}

// ---- reconciling findings ----

export type ReconcileScope = { importId: string } | { advisoryIds: readonly string[] } | { all: true }

export interface Transitions {
  opened: number
  resolved: number
  reopened: number
}

/**
 * Bring findings in line with matches and present installations:
 * open what is newly exposed, resolve what is gone (removed, upgraded, no longer affected), reopen what came back.
 */
export async function reconcile(db: Db, scope: ReconcileScope, now: string): Promise<Transitions> {
  if ('advisoryIds' in scope) {
    const total = { opened: 0, resolved: 0, reopened: 0 }
    for (const ids of chunk(scope.advisoryIds, 500)) {
      const part = await reconcileIn(db, { advisoryIds: ids }, now)
      total.opened += part.opened
      total.resolved += part.resolved
      total.reopened += part.reopened
    }
    return total
  }
  return reconcileIn(db, scope, now)
}

async function reconcileIn(db: Db, scope: ReconcileScope, now: string): Promise<Transitions> {
  const nowAt = at(db, now)
  const byInstallation =
    'importId' in scope
      ? // The unary + keeps the planner from driving the join by the import's endpoints (every row
        // they have) instead of by the matched catalog entries (the few rows that matter).
        sql`+i.endpoint_seq in (select ie.seq from inventory_import_endpoints x join endpoints ie on ie.id = x.endpoint_id where x.import_id = ${scope.importId})`
      : 'advisoryIds' in scope
        ? sql`m.advisory_id in (${sql.join(scope.advisoryIds)})`
        : sql`1 = 1`
  const byFinding =
    'importId' in scope
      ? sql`findings.endpoint_id in (select endpoint_id from inventory_import_endpoints where import_id = ${scope.importId})`
      : 'advisoryIds' in scope
        ? sql`findings.advisory_id in (${sql.join(scope.advisoryIds)})`
        : sql`1 = 1`
  const evidence = toJson('importId' in scope ? { importId: scope.importId } : { reason: 'advisory changed' })

  const seq = sql`(select fe.seq from endpoints fe where fe.id = findings.endpoint_id)`
  const present = sql`exists (select 1 from installations i where i.endpoint_seq = ${seq} and i.catalog_id = findings.catalog_id and i.removed_at is null)`
  const matched = sql`exists (select 1 from exposure_matches m where m.advisory_id = findings.advisory_id and m.catalog_id = findings.catalog_id)`
  const upgraded = sql`exists (
    select 1 from installations i2
    join software_catalog c2 on c2.id = i2.catalog_id
    join software_catalog c1 on c1.id = findings.catalog_id
    where i2.endpoint_seq = ${seq} and i2.removed_at is null
      and c2.product_key = c1.product_key and c2.platform = c1.platform and c2.id <> c1.id)`
  const lastGone = sql`(select max(i.removed_at) from installations i where i.endpoint_seq = ${seq} and i.catalog_id = findings.catalog_id)`

  const resolved = await sql<{ id: number | string; resolution: string; resolved_at: Date | string }>`
    update findings set
      status = 'resolved',
      resolution = case when not ${matched} then 'no_longer_affected' when ${upgraded} then 'upgraded' else 'removed' end,
      resolved_at = case when not ${matched} then ${nowAt} else coalesce(${lastGone}, ${nowAt}) end,
      evidence = ${evidence},
      updated_at = ${nowAt}
    where status in ('open', 'accepted') and ${byFinding} and (not ${present} or not ${matched})
    returning id, resolution, resolved_at`.execute(db)

  const reopened = await sql<{ id: number | string }>`
    update findings set
      status = 'open', reopened_count = reopened_count + 1, reopened_at = ${nowAt},
      resolved_at = null, resolution = null, evidence = null, updated_at = ${nowAt}
    where status = 'resolved' and ${byFinding} and ${present} and ${matched}
    returning id`.execute(db)

  // New findings last: the checks above need not look at rows that are present and matched by construction.
  // Counted, not returned: an advisory for a common package opens a finding on most endpoints.
  const opened = await sql`
    insert into findings (endpoint_id, customer_id, advisory_id, catalog_id, status, detected_at, installed_since, reopened_count, updated_at)
    select e.id, e.customer_id, m.advisory_id, m.catalog_id, 'open', ${nowAt}, min(i.first_seen), 0, ${nowAt}
    from exposure_matches m
    join installations i on i.catalog_id = m.catalog_id and i.removed_at is null
    join endpoints e on e.seq = i.endpoint_seq
    where ${byInstallation}
    group by e.id, e.customer_id, m.advisory_id, m.catalog_id
    on conflict (endpoint_id, advisory_id, catalog_id) do nothing`.execute(db)

  const events = [
    ...resolved.rows.map((r) => ({ findingId: toNumber(r.id), event: 'resolved', detail: { resolution: r.resolution, observedAt: toIso(r.resolved_at), ...JSON.parse(evidence) } })),
    ...reopened.rows.map((r) => ({ findingId: toNumber(r.id), event: 'reopened', detail: 'importId' in scope ? { importId: scope.importId } : {} })),
  ]
  await insertEvents(db, events, now)
  return { opened: Number(opened.numAffectedRows ?? 0), resolved: resolved.rows.length, reopened: reopened.rows.length }
}

export async function insertEvents(db: Db, events: ReadonlyArray<{ findingId: number; event: string; detail: Record<string, unknown> }>, now: string): Promise<void> {
  for (let i = 0; i < events.length; i += 2000) {
    await db
      .insertInto('finding_events')
      .values(events.slice(i, i + 2000).map((e) => ({ finding_id: e.findingId, at: now, event: e.event, detail: toJson(e.detail) })))
      .execute()
  }
}

// ---- reads ----

function findingsQuery(db: Db) {
  return db
    .selectFrom('findings as f')
    .innerJoin('endpoints as e', 'e.id', 'f.endpoint_id')
    .innerJoin('software_catalog as c', 'c.id', 'f.catalog_id')
    .selectAll('f')
    .select(['e.hostname', 'e.identifier', 'c.vendor', 'c.product', 'c.version', 'c.platform'])
}

type FindingRow = Awaited<ReturnType<ReturnType<typeof findingsQuery>['execute']>>[number]

function toFinding(row: FindingRow): Finding {
  return {
    id: String(row.id),
    endpointId: row.endpoint_id,
    customerId: row.customer_id,
    advisoryId: row.advisory_id,
    catalogId: toNumber(row.catalog_id),
    hostname: row.hostname,
    endpoint: row.identifier,
    vendor: row.vendor,
    product: row.product,
    version: row.version,
    platform: row.platform,
    status: row.status as FindingStatus,
    detectedAt: toIso(row.detected_at),
    installedSince: toIso(row.installed_since),
    resolvedAt: toIsoOrNull(row.resolved_at),
    resolution: row.resolution as Resolution | null,
    evidence: row.evidence === null ? null : fromJson(row.evidence),
    reopenedCount: row.reopened_count,
    reopenedAt: toIsoOrNull(row.reopened_at),
    triageReason: row.triage_reason,
    acceptedUntil: toIsoOrNull(row.accepted_until),
    triagedBy: row.triaged_by,
    triagedAt: toIsoOrNull(row.triaged_at),
    updatedAt: toIso(row.updated_at),
  }
}

export interface FindingQuery {
  scope: TenantScope
  advisoryId?: string | undefined
  customerIds?: readonly string[] | undefined
  endpointId?: string | undefined
  statuses?: readonly FindingStatus[] | undefined
  afterId?: number | undefined
  limit: number
}

export async function listFindings(db: Db, query: FindingQuery): Promise<Finding[]> {
  let q = findingsQuery(db)
  const allowed = visibleCustomerIds(query.scope)
  if (allowed) q = q.where('f.customer_id', 'in', allowed)
  if (query.customerIds) q = q.where('f.customer_id', 'in', query.customerIds.length > 0 ? [...query.customerIds] : [''])
  if (query.advisoryId) q = q.where('f.advisory_id', '=', query.advisoryId)
  if (query.endpointId) q = q.where('f.endpoint_id', '=', query.endpointId)
  if (query.statuses) q = q.where('f.status', 'in', query.statuses)
  if (query.afterId !== undefined) q = q.where('f.id', '>', query.afterId)
  return (await q.orderBy('f.id').limit(query.limit + 1).execute()).map(toFinding)
}

export async function findFinding(db: Db, scope: TenantScope, id: number): Promise<Finding | undefined> {
  let q = findingsQuery(db).where('f.id', '=', id)
  const allowed = visibleCustomerIds(scope)
  if (allowed) q = q.where('f.customer_id', 'in', allowed)
  const row = await q.executeTakeFirst()
  return row && toFinding(row)
}

export async function findingEvents(db: Db, findingId: number): Promise<FindingEvent[]> {
  const rows = await db.selectFrom('finding_events').selectAll().where('finding_id', '=', findingId).orderBy('id').execute()
  return rows.map((r) => ({ at: toIso(r.at), event: r.event, detail: fromJson<Record<string, unknown>>(r.detail) }))
}

export async function setTriage(
  db: Db,
  id: number,
  change: { status: FindingStatus; reason: string | null; acceptedUntil: string | null; triagedBy: string | null; triagedAt: string | null; now: string },
): Promise<void> {
  await db
    .updateTable('findings')
    .set({ status: change.status, triage_reason: change.reason, accepted_until: change.acceptedUntil, triaged_by: change.triagedBy, triaged_at: change.triagedAt, updated_at: change.now })
    .where('id', '=', id)
    .execute()
}

/** Accepted findings whose acceptance has run out, for the expiry job. */
export async function expiredAcceptances(db: Db, now: string, limit: number): Promise<Array<{ id: number; customerId: string }>> {
  const rows = await db
    .selectFrom('findings')
    .select(['id', 'customer_id'])
    .where('status', '=', 'accepted')
    .where('accepted_until', '<=', now)
    .orderBy('id')
    .limit(limit)
    .execute()
  return rows.map((r) => ({ id: toNumber(r.id), customerId: r.customer_id }))
}

/** Per customer: open findings and the affected endpoints, for one advisory. */
export async function exposureRows(db: Db, scope: TenantScope, advisoryId: string) {
  let q = db
    .selectFrom('findings as f')
    .innerJoin('endpoints as e', 'e.id', 'f.endpoint_id')
    .innerJoin('software_catalog as c', 'c.id', 'f.catalog_id')
    .innerJoin('customers as cu', 'cu.id', 'f.customer_id')
    .select(['f.customer_id', 'cu.name as customer_name', 'e.id as endpoint_id', 'e.hostname', 'e.identifier', 'c.product', 'c.version', 'c.platform'])
    .where('f.advisory_id', '=', advisoryId)
    .where('f.status', '=', 'open')
  const allowed = visibleCustomerIds(scope)
  if (allowed) q = q.where('f.customer_id', 'in', allowed)
  return q.orderBy('cu.name').orderBy('f.customer_id').orderBy('e.identifier_key').orderBy('e.id').execute()
}

/** Per advisory, the number of customers and endpoints with open findings in the scope. */
export async function advisorySummary(db: Db, scope: TenantScope, advisoryIds: readonly string[] | null) {
  let q = db
    .selectFrom('findings as f')
    .select(['f.advisory_id', sql<number>`count(distinct f.customer_id)`.as('customers'), sql<number>`count(distinct f.endpoint_id)`.as('endpoints'), sql<number>`count(*)`.as('findings')])
    .where('f.status', '=', 'open')
  const allowed = visibleCustomerIds(scope)
  if (allowed) q = q.where('f.customer_id', 'in', allowed)
  if (advisoryIds) q = q.where('f.advisory_id', 'in', advisoryIds.length > 0 ? advisoryIds : [''])
  const rows = await q.groupBy('f.advisory_id').execute()
  return rows.map((r) => ({ advisoryId: r.advisory_id, customers: Number(r.customers), endpoints: Number(r.endpoints), findings: Number(r.findings) }))
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}
