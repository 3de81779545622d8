import { sql, type Selectable } from 'kysely'
import { dialectOf, type Db } from '../db/connect.js'
import { fromJson, toIso, toIsoOrNull, toJson } from '../db/mappers.js'
import type { AlertsTable } from '../db/schema.js'
import type {
  Alert,
  AlertPage,
  AlertRoute,
  AlertSeverity,
  AlertStatus,
  EscalationPolicy,
  EscalationTarget,
  Integration,
  IntegrationKind,
  IntakeResult,
  Resolution,
  RouteConditions,
  RouteIncident,
} from './model.js'
import type { Override, ScheduleDefinition } from './oncall.js'

/** Alerting SQL: alerts and their pages, integrations, routing rules, escalation policies, schedules. */

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

// ---- integrations ----

export async function insertIntegration(db: Db, integration: Integration, secretHash: string): Promise<void> {
  await db
    .insertInto('alert_integrations')
    .values({
      id: integration.id,
      name: integration.name,
      kind: integration.kind,
      source: integration.source,
      customer_id: integration.customerId,
      secret_hash: secretHash,
      created_at: integration.createdAt,
      disabled_at: null,
    })
    .execute()
}

type IntegrationRow = { id: string; name: string; kind: string; source: string; customer_id: string | null; created_at: Date | string; disabled_at: Date | string | null }

function toIntegration(row: IntegrationRow): Integration {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind as IntegrationKind,
    source: row.source,
    customerId: row.customer_id,
    createdAt: toIso(row.created_at),
    disabledAt: toIsoOrNull(row.disabled_at),
  }
}

export async function findIntegrationWithSecret(db: Db, id: string): Promise<(Integration & { secretHash: string }) | undefined> {
  const row = await db.selectFrom('alert_integrations').selectAll().where('id', '=', id).executeTakeFirst()
  return row && { ...toIntegration(row), secretHash: row.secret_hash }
}

export async function listIntegrations(db: Db): Promise<Integration[]> {
  const rows = await db.selectFrom('alert_integrations').selectAll().orderBy('name').execute()
  return rows.map(toIntegration)
}

export async function disableIntegration(db: Db, id: string, at: string): Promise<boolean> {
  const result = await db.updateTable('alert_integrations').set({ disabled_at: at }).where('id', '=', id).where('disabled_at', 'is', null).executeTakeFirst()
  return result.numUpdatedRows > 0n
}

// ---- routing rules ----

type RouteRow = {
  id: string
  name: string
  position: number
  conditions: unknown
  policy_id: string | null
  incident: unknown
  group_by: unknown
  group_window_seconds: number
  auto_resolve_minutes: number | null
  created_at: Date | string
  updated_at: Date | string
}

function toRoute(row: RouteRow): AlertRoute {
  return {
    id: row.id,
    name: row.name,
    position: Number(row.position),
    conditions: fromJson<RouteConditions>(row.conditions),
    policyId: row.policy_id,
    incident: fromJson<RouteIncident>(row.incident),
    groupBy: fromJson<string[]>(row.group_by),
    groupWindowSeconds: Number(row.group_window_seconds),
    autoResolveMinutes: row.auto_resolve_minutes === null ? null : Number(row.auto_resolve_minutes),
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  }
}

function routeValues(route: AlertRoute) {
  return {
    name: route.name,
    position: route.position,
    conditions: toJson(route.conditions),
    policy_id: route.policyId,
    incident: toJson(route.incident),
    group_by: toJson(route.groupBy),
    group_window_seconds: route.groupWindowSeconds,
    auto_resolve_minutes: route.autoResolveMinutes,
    updated_at: route.updatedAt,
  }
}

export async function insertRoute(db: Db, route: AlertRoute): Promise<void> {
  await db
    .insertInto('alert_routes')
    .values({ id: route.id, created_at: route.createdAt, ...routeValues(route) })
    .execute()
}

export async function updateRoute(db: Db, route: AlertRoute): Promise<void> {
  await db.updateTable('alert_routes').set(routeValues(route)).where('id', '=', route.id).execute()
}

export async function deleteRoute(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom('alert_routes').where('id', '=', id).executeTakeFirst()
  return result.numDeletedRows > 0n
}

export async function findRoute(db: Db, id: string): Promise<AlertRoute | undefined> {
  const row = await db.selectFrom('alert_routes').selectAll().where('id', '=', id).executeTakeFirst()
  return row && toRoute(row)
}

/** In the order they are tried. */
export async function listRoutes(db: Db): Promise<AlertRoute[]> {
  const rows = await db.selectFrom('alert_routes').selectAll().orderBy('position').orderBy('name').execute()
  return rows.map(toRoute)
}

export async function routesUsingPolicy(db: Db, policyId: string): Promise<string[]> {
  const rows = await db.selectFrom('alert_routes').select('name').where('policy_id', '=', policyId).execute()
  return rows.map((row) => row.name)
}

// ---- escalation policies ----

type PolicyRow = { id: string; name: string; steps: unknown; repeats: number; created_at: Date | string; updated_at: Date | string }

function toPolicy(row: PolicyRow): EscalationPolicy {
  return {
    id: row.id,
    name: row.name,
    steps: fromJson<EscalationPolicy['steps']>(row.steps),
    repeats: Number(row.repeats),
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  }
}

export async function insertPolicy(db: Db, policy: EscalationPolicy): Promise<void> {
  await db
    .insertInto('escalation_policies')
    .values({ id: policy.id, name: policy.name, steps: toJson(policy.steps), repeats: policy.repeats, created_at: policy.createdAt, updated_at: policy.updatedAt })
    .execute()
}

export async function updatePolicy(db: Db, policy: EscalationPolicy): Promise<void> {
  await db
    .updateTable('escalation_policies')
    .set({ name: policy.name, steps: toJson(policy.steps), repeats: policy.repeats, updated_at: policy.updatedAt })
    .where('id', '=', policy.id)
    .execute()
}

export async function deletePolicy(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom('escalation_policies').where('id', '=', id).executeTakeFirst()
  return result.numDeletedRows > 0n
}

export async function findPolicy(db: Db, id: string): Promise<EscalationPolicy | undefined> {
  const row = await db.selectFrom('escalation_policies').selectAll().where('id', '=', id).executeTakeFirst()
  return row && toPolicy(row)
}

export async function listPolicies(db: Db): Promise<EscalationPolicy[]> {
  const rows = await db.selectFrom('escalation_policies').selectAll().orderBy('name').execute()
  return rows.map(toPolicy)
}

/** Policies whose steps name this schedule or user (so neither is removed from under them). */
export async function policiesTargeting(db: Db, target: EscalationTarget): Promise<string[]> {
  const policies = await listPolicies(db)
  return policies.filter((policy) => policy.steps.some((step) => step.targets.some((t) => t.kind === target.kind && t.id === target.id))).map((policy) => policy.name)
}

// ---- schedules ----

export interface StoredSchedule {
  id: string
  name: string
  definition: ScheduleDefinition
  createdAt: string
  updatedAt: string
}

type ScheduleRow = { id: string; name: string; definition: unknown; created_at: Date | string; updated_at: Date | string }

function toSchedule(row: ScheduleRow): StoredSchedule {
  return { id: row.id, name: row.name, definition: fromJson<ScheduleDefinition>(row.definition), createdAt: toIso(row.created_at), updatedAt: toIso(row.updated_at) }
}

export async function insertSchedule(db: Db, schedule: StoredSchedule): Promise<void> {
  await db
    .insertInto('oncall_schedules')
    .values({ id: schedule.id, name: schedule.name, definition: toJson(schedule.definition), created_at: schedule.createdAt, updated_at: schedule.updatedAt })
    .execute()
}

export async function updateSchedule(db: Db, schedule: StoredSchedule): Promise<void> {
  await db
    .updateTable('oncall_schedules')
    .set({ name: schedule.name, definition: toJson(schedule.definition), updated_at: schedule.updatedAt })
    .where('id', '=', schedule.id)
    .execute()
}

export async function deleteSchedule(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom('oncall_schedules').where('id', '=', id).executeTakeFirst()
  return result.numDeletedRows > 0n
}

export async function findSchedule(db: Db, id: string): Promise<StoredSchedule | undefined> {
  const row = await db.selectFrom('oncall_schedules').selectAll().where('id', '=', id).executeTakeFirst()
  return row && toSchedule(row)
}

export async function findScheduleByName(db: Db, name: string): Promise<StoredSchedule | undefined> {
  const row = await db.selectFrom('oncall_schedules').selectAll().where('name', '=', name).executeTakeFirst()
  return row && toSchedule(row)
}

export async function listSchedules(db: Db): Promise<StoredSchedule[]> {
  const rows = await db.selectFrom('oncall_schedules').selectAll().orderBy('name').execute()
  return rows.map(toSchedule)
}

export interface StoredOverride extends Override {
  id: string
  scheduleId: string
  createdAt: string
}

export async function insertOverride(db: Db, override: StoredOverride): Promise<void> {
  await db
    .insertInto('oncall_overrides')
    .values({ id: override.id, schedule_id: override.scheduleId, user_id: override.userId, starts_at: override.start, ends_at: override.end, created_at: override.createdAt })
    .execute()
}

export async function deleteOverride(db: Db, scheduleId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('oncall_overrides').where('id', '=', id).where('schedule_id', '=', scheduleId).executeTakeFirst()
  return result.numDeletedRows > 0n
}

/** Overrides of a schedule that end after `from` (and start before `to`, when given). */
export async function listOverrides(db: Db, scheduleId: string, from: string, to?: string): Promise<StoredOverride[]> {
  let select = db.selectFrom('oncall_overrides').selectAll().where('schedule_id', '=', scheduleId).where('ends_at', '>', from)
  if (to) select = select.where('starts_at', '<', to)
  const rows = await select.orderBy('starts_at').execute()
  return rows.map((row) => ({ id: row.id, scheduleId: row.schedule_id, userId: row.user_id, start: toIso(row.starts_at), end: toIso(row.ends_at), createdAt: toIso(row.created_at) }))
}
