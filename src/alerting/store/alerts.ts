import { sql, type Selectable } from 'kysely'
import { dialectOf, type Db } from '../../db/connect.js'
import { fromJson, toIso, toIsoOrNull, toJson } from '../../db/mappers.js'
import type { AlertsTable } from '../../db/schema.js'
import type { Alert, AlertPage, AlertSeverity, AlertStatus, EscalationTarget, IntakeResult, Resolution } from '../model.js'

/** Alerting's alerts SQL: alerts, the pages they sent, intake idempotency keys. */

// ---- alerts ----

type AlertRow = Selectable<AlertsTable>

function toAlert(row: AlertRow): Alert {
  return {
    id: row.id,
    dedupKey: row.dedup_key,
    status: row.status as AlertStatus,
    source: row.source,
    summary: row.summary,
    severity: row.severity as AlertSeverity,
    customerId: row.customer_id,
    labels: fromJson<Record<string, string>>(row.labels),
    details: fromJson<Record<string, unknown>>(row.details),
    count: Number(row.count),
    firstSeenAt: toIso(row.first_seen_at),
    lastSeenAt: toIso(row.last_seen_at),
    acknowledgedAt: toIsoOrNull(row.acknowledged_at),
    acknowledgedBy: row.acknowledged_by,
    resolvedAt: toIsoOrNull(row.resolved_at),
    resolvedBy: row.resolved_by,
    resolution: row.resolution as Resolution | null,
    routeId: row.route_id,
    policyId: row.policy_id,
    groupKey: row.group_key,
    groupLeaderId: row.group_leader_id,
    incidentId: row.incident_id,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  }
}

function alertValues(alert: Alert) {
  return {
      id: alert.id,
      dedup_key: alert.dedupKey,
      status: alert.status,
      source: alert.source,
      summary: alert.summary,
      severity: alert.severity,
      customer_id: alert.customerId,
      labels: toJson(alert.labels),
      details: toJson(alert.details),
      count: alert.count,
      first_seen_at: alert.firstSeenAt,
      last_seen_at: alert.lastSeenAt,
      acknowledged_at: alert.acknowledgedAt,
      acknowledged_by: alert.acknowledgedBy,
      resolved_at: alert.resolvedAt,
      resolved_by: alert.resolvedBy,
      resolution: alert.resolution,
      route_id: alert.routeId,
      policy_id: alert.policyId,
      group_key: alert.groupKey,
      group_leader_id: alert.groupLeaderId,
      incident_id: alert.incidentId,
      created_at: alert.createdAt,
      updated_at: alert.updatedAt,
  }
}

/** Many alerts at once, in statements of 100 rows. */
export async function insertAlerts(db: Db, alerts: readonly Alert[]): Promise<void> {
  for (let i = 0; i < alerts.length; i += 100) {
    await db.insertInto('alerts').values(alerts.slice(i, i + 100).map(alertValues)).execute()
  }
}

/** The open (triggered or acknowledged) alert under this dedup key, if any. */
export async function findOpenAlert(db: Db, dedupKey: string): Promise<Alert | undefined> {
  const row = await db.selectFrom('alerts').selectAll().where('dedup_key', '=', dedupKey).where('status', '<>', 'resolved').executeTakeFirst()
  return row && toAlert(row)
}

export async function findAlert(db: Db, id: string): Promise<Alert | undefined> {
  const row = await db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst()
  return row && toAlert(row)
}

/** The open alerts under these dedup keys. */
export async function findOpenAlerts(db: Db, dedupKeys: readonly string[]): Promise<Alert[]> {
  const unique = [...new Set(dedupKeys)]
  const found: Alert[] = []
  for (let i = 0; i < unique.length; i += 500) {
    const rows = await db.selectFrom('alerts').selectAll().where('dedup_key', 'in', unique.slice(i, i + 500)).where('status', '<>', 'resolved').execute()
    found.push(...rows.map(toAlert))
  }
  return found
}

/**
 * Repeats of open alerts: each alert's count grows by its number of arrivals, all seen at `at`.
 * One statement for the whole batch, the pairs passed as one parameter (arrays on PostgreSQL, a
 * JSON array on SQLite).
 */
export async function countRepeats(db: Db, repeats: ReadonlyMap<string, number>, at: string): Promise<void> {
  // In id order, so two writers updating overlapping alerts take their row locks in the same order.
  const ids = [...repeats.keys()].sort()
  const counts = ids.map((id) => repeats.get(id)!)
  if (dialectOf(db) === 'postgres') {
    await sql`update alerts a set count = a.count + r.n, last_seen_at = ${at}, updated_at = ${at}
      from unnest(${ids}::text[], ${counts}::int[]) as r(id, n) where a.id = r.id`.execute(db)
  } else {
    await sql`update alerts set count = count + r.n, last_seen_at = ${at}, updated_at = ${at}
      from (select j.value ->> 0 as id, j.value ->> 1 as n from json_each(${JSON.stringify(ids.map((id, i) => [id, counts[i]]))}) j) as r where alerts.id = r.id`.execute(db)
  }
}

export async function markAcknowledged(db: Db, id: string, at: string, by: string): Promise<boolean> {
  const result = await db
    .updateTable('alerts')
    .set({ status: 'acknowledged', acknowledged_at: at, acknowledged_by: by, updated_at: at })
    .where('id', '=', id)
    .where('status', '=', 'triggered')
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

export async function markResolved(db: Db, id: string, at: string, by: string, resolution: Resolution): Promise<boolean> {
  const result = await db
    .updateTable('alerts')
    .set({ status: 'resolved', resolved_at: at, resolved_by: by, resolution, updated_at: at })
    .where('id', '=', id)
    .where('status', '<>', 'resolved')
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

export async function setAlertIncident(db: Db, id: string, incidentId: string): Promise<void> {
  await db.updateTable('alerts').set({ incident_id: incidentId }).where('id', '=', id).execute()
}

/** The open first alert of a group that began at or after `since`. */
export async function findGroupLeader(db: Db, groupKey: string, since: string): Promise<Alert | undefined> {
  const row = await db
    .selectFrom('alerts')
    .selectAll()
    .where('group_key', '=', groupKey)
    .where('status', '<>', 'resolved')
    .where('group_leader_id', 'is', null)
    .where('first_seen_at', '>=', since)
    .orderBy('first_seen_at', 'desc')
    .limit(1)
    .executeTakeFirst()
  return row && toAlert(row)
}

export interface AlertQuery {
  status?: AlertStatus
  source?: string
  customerId?: string
  incidentId?: string
  after?: readonly [createdAt: string, id: string]
  limit: number
}

/** Newest first. */
export async function listAlerts(db: Db, query: AlertQuery): Promise<Alert[]> {
  let select = db.selectFrom('alerts').selectAll()
  if (query.status) select = select.where('status', '=', query.status)
  if (query.source) select = select.where('source', '=', query.source)
  if (query.customerId) select = select.where('customer_id', '=', query.customerId)
  if (query.incidentId) select = select.where('incident_id', '=', query.incidentId)
  if (query.after) {
    const [createdAt, id] = query.after
    select = select.where((eb) => eb.or([eb('created_at', '<', createdAt), eb.and([eb('created_at', '=', createdAt), eb('id', '<', id)])]))
  }
  const rows = await select.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(query.limit).execute()
  return rows.map(toAlert)
}

/** Every alert stored (the benchmark checks acknowledged alerts against it). */
export async function countAlerts(db: Db): Promise<number> {
  const row = await db.selectFrom('alerts').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow()
  return Number(row.n)
}

/** Which of these alert ids exist (for checking a list of ids the caller gave). */
export async function existingAlertIds(db: Db, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set()
  const rows = await db.selectFrom('alerts').select('id').where('id', 'in', [...ids]).execute()
  return new Set(rows.map((row) => row.id))
}

/** The counts of the open alerts under these dedup keys. */
export async function openCounts(db: Db, dedupKeys: readonly string[]): Promise<Map<string, number>> {
  if (dedupKeys.length === 0) return new Map()
  const rows = await db.selectFrom('alerts').select(['dedup_key', 'count']).where('dedup_key', 'in', [...dedupKeys]).where('status', '<>', 'resolved').execute()
  return new Map(rows.map((row) => [row.dedup_key, Number(row.count)]))
}

// ---- intake idempotency ----

export async function findIntakeResponses(db: Db, keys: readonly string[]): Promise<Map<string, IntakeResult>> {
  if (keys.length === 0) return new Map()
  const rows = await db.selectFrom('alert_intake_keys').select(['key', 'response']).where('key', 'in', [...new Set(keys)]).execute()
  return new Map(rows.map((row) => [row.key, fromJson<IntakeResult>(row.response)]))
}

export async function insertIntakeKeys(db: Db, entries: ReadonlyArray<{ key: string; result: IntakeResult }>, at: string): Promise<void> {
  for (let i = 0; i < entries.length; i += 200) {
    await db
      .insertInto('alert_intake_keys')
      .values(entries.slice(i, i + 200).map(({ key, result }) => ({ key, alert_id: result.alertId ?? '', response: toJson(result), created_at: at })))
      .execute()
  }
}

// ---- pages ----

export async function insertPage(db: Db, page: AlertPage): Promise<void> {
  await db
    .insertInto('alert_pages')
    .values({
      id: page.id,
      alert_id: page.alertId,
      round: page.round,
      step: page.step,
      target: toJson(page.target),
      user_id: page.userId,
      notification_id: page.notificationId,
      outcome: page.outcome,
      created_at: page.createdAt,
    })
    .execute()
}

export async function listPages(db: Db, alertId: string): Promise<AlertPage[]> {
  const rows = await db.selectFrom('alert_pages').selectAll().where('alert_id', '=', alertId).orderBy('created_at').orderBy('id').execute()
  return rows.map((row) => ({
    id: row.id,
    alertId: row.alert_id,
    round: Number(row.round),
    step: Number(row.step),
    target: fromJson<EscalationTarget>(row.target),
    userId: row.user_id,
    notificationId: row.notification_id,
    outcome: row.outcome,
    createdAt: toIso(row.created_at),
  }))
}

// ---- customers (read-only: which ids exist) ----

export async function existingCustomerIds(db: Db, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set()
  const rows = await db.selectFrom('customers').select('id').where('id', 'in', [...ids]).execute()
  return new Set(rows.map((row) => row.id))
}

