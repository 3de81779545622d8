import type { Selectable } from 'kysely'
import type { Db } from '../../db/connect.js'
import type { AlertIntegrationsTable, AlertRoutesTable, EscalationPoliciesTable, OncallSchedulesTable } from '../../db/schema.js'
import { fromJson, toIso, toIsoOrNull, toJson } from '../../db/mappers.js'
import type { AlertRoute, EscalationPolicy, EscalationTarget, Integration, IntegrationKind, RouteConditions, RouteIncident } from '../model.js'
import type { Override, ScheduleDefinition } from '../oncall.js'

/** Alerting's settings SQL: integrations, routing rules, escalation policies, schedules and overrides. */

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

type IntegrationRow = Omit<Selectable<AlertIntegrationsTable>, 'secret_hash'>

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

type RouteRow = Selectable<AlertRoutesTable>

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

type PolicyRow = Selectable<EscalationPoliciesTable>

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

type ScheduleRow = Selectable<OncallSchedulesTable>

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
