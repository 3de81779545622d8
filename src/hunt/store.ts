import { sql } from 'kysely'
import type { Db } from '../db/connect.js'
import { fromJson, toIso, toIsoOrNull, toJson, toNumber } from '../db/mappers.js'
import { visibleCustomerIds, type TenantScope } from '../shared/actor.js'
import type { IndicatorKind } from '../intel/index.js'
import type { Hunt, HuntKind, HuntStatus, SightingSummary, StoredSighting } from './model.js'

/** Hunt SQL: hunts, their sightings, and the customers' address ranges. */

// ---- hunts ----

export async function insertHunt(db: Db, hunt: { id: string; kind: HuntKind; status: HuntStatus; customerId: string | null; actorId: string; inputs: string[]; startedAt: string }): Promise<void> {
  await db
    .insertInto('hunts')
    .values({ id: hunt.id, kind: hunt.kind, status: hunt.status, customer_id: hunt.customerId, actor_id: hunt.actorId, inputs: toJson(hunt.inputs), started_at: hunt.startedAt, finished_at: null, report: null, error: null })
    .execute()
}

export async function finishHunt(db: Db, id: string, outcome: { status: HuntStatus; finishedAt: string; report: Hunt['report']; error: string | null }): Promise<void> {
  await db
    .updateTable('hunts')
    .set({ status: outcome.status, finished_at: outcome.finishedAt, report: outcome.report === null ? null : toJson(outcome.report), error: outcome.error })
    .where('id', '=', id)
    .execute()
}

/** A queued hunt starts (or starts over): it is running, and holds no sightings from an earlier attempt. */
export async function restartHunt(db: Db, id: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('sightings').where('hunt_id', '=', id).execute()
    await trx.updateTable('hunts').set({ status: 'running' }).where('id', '=', id).execute()
  })
}

type HuntRow = { id: string; kind: string; status: string; customer_id: string | null; actor_id: string; inputs: unknown; started_at: Date | string; finished_at: Date | string | null; report: unknown; error: string | null }

function toHunt(row: HuntRow): Hunt {
  return {
    id: row.id,
    kind: row.kind as HuntKind,
    status: row.status as HuntStatus,
    customerId: row.customer_id,
    actorId: row.actor_id,
    inputs: fromJson<string[]>(row.inputs as string),
    startedAt: toIso(row.started_at),
    finishedAt: toIsoOrNull(row.finished_at),
    report: row.report === null ? null : fromJson<Hunt['report']>(row.report as string),
    error: row.error,
  }
}

/** A hunt the scope may see: provider staff see all; a customer sees the hunts run for it. */
export async function findHunt(db: Db, scope: TenantScope, id: string): Promise<Hunt | undefined> {
  let q = db.selectFrom('hunts').selectAll().where('id', '=', id)
  const allowed = visibleCustomerIds(scope)
  if (allowed) q = q.where('customer_id', 'in', allowed)
  const row = await q.executeTakeFirst()
  return row && toHunt(row)
}

export async function listHunts(db: Db, scope: TenantScope, after: readonly [startedAt: string, id: string] | undefined, limit: number): Promise<Hunt[]> {
  let q = db.selectFrom('hunts').selectAll()
  const allowed = visibleCustomerIds(scope)
  if (allowed) q = q.where('customer_id', 'in', allowed)
  if (after) q = q.where((eb) => eb.or([eb('started_at', '<', after[0]), eb.and([eb('started_at', '=', after[0]), eb('id', '<', after[1])])]))
  const rows = await q.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute()
  return rows.map(toHunt)
}

// ---- sightings ----

export type SightingInsert = Omit<StoredSighting, 'id' | 'indicator'>

export async function insertSightings(db: Db, rows: readonly SightingInsert[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) {
    await db
      .insertInto('sightings')
      .values(
        rows.slice(i, i + 500).map((s) => ({
          hunt_id: s.huntId,
          indicator_id: s.indicatorId,
          kind: s.kind,
          value: s.value,
          customer_id: s.customerId,
          endpoint_id: s.endpointId,
          file: s.file,
          line: s.line,
          seen_at: s.seenAt,
          client: s.client,
          sha256: s.sha256,
          detail: s.detail,
          created_at: s.createdAt,
        })),
      )
      .execute()
  }
}

export interface SightingQuery {
  scope: TenantScope
  huntId?: string | undefined
  customerId?: string | undefined
  indicatorId?: string | undefined
  afterId?: number | undefined
  limit: number
}

export async function listSightings(db: Db, query: SightingQuery): Promise<StoredSighting[]> {
  let q = db.selectFrom('sightings as s').innerJoin('indicators as i', 'i.id', 's.indicator_id').selectAll('s').select('i.value as indicator')
  const allowed = visibleCustomerIds(query.scope)
  if (allowed) q = q.where('s.customer_id', 'in', allowed)
  if (query.huntId !== undefined) q = q.where('s.hunt_id', '=', query.huntId)
  if (query.customerId !== undefined) q = q.where('s.customer_id', '=', query.customerId)
  if (query.indicatorId !== undefined) q = q.where('s.indicator_id', '=', query.indicatorId)
  if (query.afterId !== undefined) q = q.where('s.id', '>', query.afterId)
  const rows = await q.orderBy('s.id').limit(query.limit + 1).execute()
  return rows.map((r) => ({
    id: String(r.id),
    huntId: r.hunt_id,
    indicatorId: r.indicator_id,
    indicator: r.indicator,
    kind: r.kind as IndicatorKind,
    value: r.value,
    customerId: r.customer_id,
    endpointId: r.endpoint_id,
    file: r.file,
    line: r.line === null ? null : toNumber(r.line),
    seenAt: toIsoOrNull(r.seen_at),
    client: r.client,
    sha256: r.sha256,
    detail: r.detail,
    createdAt: toIso(r.created_at),
  }))
}

/** Sightings per indicator and per customer, in the scope (and one hunt, when given). */
export async function summarizeSightings(db: Db, scope: TenantScope, huntId: string | undefined): Promise<SightingSummary> {
  const allowed = visibleCustomerIds(scope)
  let byIndicator = db
    .selectFrom('sightings')
    .innerJoin('indicators', 'indicators.id', 'sightings.indicator_id')
    .select([
      'sightings.indicator_id',
      sql<string>`min(indicators.kind)`.as('kind'),
      sql<string>`min(indicators.value)`.as('value'),
      sql<number>`count(*)`.as('sightings'),
      sql<number>`count(distinct sightings.customer_id)`.as('customers'),
      sql<number>`count(distinct sightings.endpoint_id)`.as('endpoints'),
      sql<string | null>`min(sightings.seen_at)`.as('first_seen'),
      sql<string | null>`max(sightings.seen_at)`.as('last_seen'),
    ])
  let byCustomer = db
    .selectFrom('sightings')
    .select(['customer_id', sql<number>`count(*)`.as('sightings'), sql<number>`count(distinct indicator_id)`.as('indicators'), sql<number>`count(distinct endpoint_id)`.as('endpoints')])
  if (allowed) {
    byIndicator = byIndicator.where('sightings.customer_id', 'in', allowed)
    byCustomer = byCustomer.where('customer_id', 'in', allowed)
  }
  if (huntId !== undefined) {
    byIndicator = byIndicator.where('sightings.hunt_id', '=', huntId)
    byCustomer = byCustomer.where('hunt_id', '=', huntId)
  }
  const [indicators, customers] = await Promise.all([byIndicator.groupBy('sightings.indicator_id').orderBy('sightings.indicator_id').execute(), byCustomer.groupBy('customer_id').orderBy('customer_id').execute()])
  return {
    indicators: indicators.map((r) => ({
      indicatorId: r.indicator_id,
      kind: r.kind,
      value: r.value,
      sightings: Number(r.sightings),
      customers: Number(r.customers),
      endpoints: Number(r.endpoints),
      firstSeen: r.first_seen === null ? null : toIso(r.first_seen),
      lastSeen: r.last_seen === null ? null : toIso(r.last_seen),
    })),
    customers: customers.map((r) => ({ customerId: r.customer_id, sightings: Number(r.sightings), indicators: Number(r.indicators), endpoints: Number(r.endpoints) })),
  }
}

// ---- customer networks ----

export async function listNetworks(db: Db, customerIds: readonly string[] | null): Promise<Array<{ customerId: string; network: string; label: string | null }>> {
  let q = db.selectFrom('customer_networks').select(['customer_id', 'network', 'label'])
  if (customerIds) q = q.where('customer_id', 'in', customerIds.length > 0 ? customerIds : [''])
  const rows = await q.orderBy('customer_id').orderBy('network').execute()
  return rows.map((r) => ({ customerId: r.customer_id, network: r.network, label: r.label }))
}

/** Replaces a customer's address ranges. */
export async function replaceNetworks(db: Db, customerId: string, networks: ReadonlyArray<{ network: string; label: string | null }>, now: string): Promise<void> {
  await db.deleteFrom('customer_networks').where('customer_id', '=', customerId).execute()
  if (networks.length === 0) return
  await db
    .insertInto('customer_networks')
    .values(networks.map((n) => ({ customer_id: customerId, network: n.network, label: n.label, created_at: now })))
    .execute()
}
