import { createHash, randomBytes } from 'node:crypto'
import type { Access } from '../access/index.js'
import type { Audit } from '../audit/index.js'
import type { Db } from '../db/connect.js'
import { isUniqueViolation } from '../db/errors.js'
import type { Incidents } from '../incidents/index.js'
import type { Notifications } from '../notifications/index.js'
import type { Actor } from '../shared/actor.js'
import type { Clock } from '../shared/clock.js'
import { AppError, notFound, type FieldProblem } from '../shared/errors.js'
import { newId } from '../shared/ids.js'
import { parseInput } from '../shared/validate.js'
import { IntegrationInputSchema, PolicyInputSchema, RouteInputSchema, defaultGroupWindowSeconds, type AlertRoute, type EscalationPolicy, type Integration } from './model.js'
import { checkSchedule, renderShifts, whoIsOnCall, type ScheduleDefinition, type Shift } from './oncall.js'
import * as store from './store/alerts.js'
import * as settings from './store/configuration.js'

/**
 * What decides who hears of an alert, as people configure it: the integrations that may send
 * alerts, routing rules, escalation policies, on-call schedules and their overrides. Every change
 * is audited. Checks through other modules run before a change's transaction: on SQLite a read
 * outside the transaction would wait for it.
 */

export interface ConfigurationDeps {
  db: Db
  clock: Clock
  audit: Audit
  access: Access
  incidents: Incidents
  notifications: Notifications
}

export interface IssuedIntegration {
  integration: Integration
  /** The key the sending tool presents: shown once, stored only as a hash. */
  key: string
}

export type StoredSchedule = settings.StoredSchedule
export type StoredOverride = settings.StoredOverride

export function createConfiguration(deps: ConfigurationDeps) {
  const { db, clock, audit, access, incidents } = deps

  // ——— integrations ———

  async function createIntegration(actor: Actor, input: unknown): Promise<IssuedIntegration> {
    const parsed = parseInput(IntegrationInputSchema, input, 'integration')
    const secret = randomBytes(32).toString('base64url')
    const integration: Integration = {
      id: newId(),
      name: parsed.name,
      kind: parsed.kind,
      source: parsed.source ?? parsed.name,
      customerId: parsed.customerId ?? null,
      createdAt: clock.now().toISOString(),
      disabledAt: null,
    }
    await db.transaction().execute(async (trx) => {
      if (integration.customerId && (await store.existingCustomerIds(trx, [integration.customerId])).size === 0) {
        throw new AppError('invalid', `customerId: no customer ${integration.customerId}`, { problems: [{ field: 'customerId', message: 'no such customer' }] })
      }
      await uniquely(`an integration named ${integration.name}`, () => settings.insertIntegration(trx, integration, hashSecret(secret)))
      await audit.record(trx, actor, { action: 'alert-integration.created', targetType: 'alert-integration', targetId: integration.id, customerId: integration.customerId, details: { name: integration.name, kind: integration.kind } })
    })
    return { integration, key: `cordon_int_${integration.id}_${secret}` }
  }

  async function disableIntegration(actor: Actor, id: string): Promise<void> {
    await db.transaction().execute(async (trx) => {
      if (!(await settings.disableIntegration(trx, id, clock.now().toISOString()))) throw notFound('integration', id)
      await audit.record(trx, actor, { action: 'alert-integration.disabled', targetType: 'alert-integration', targetId: id })
    })
  }

  // ——— routing rules ———

  async function saveRoute(actor: Actor, input: unknown, id?: string): Promise<AlertRoute> {
    const parsed = parseInput(RouteInputSchema, input, 'routing rule')
    // Checks through other modules run before the transaction: on SQLite a read outside it would wait for it.
    const playbook = parsed.incident?.playbook
    if (playbook) {
      await incidents.getPlaybook(actor, playbook).catch((cause: unknown) => {
        throw new AppError('invalid', `incident.playbook: no playbook ${playbook}`, { cause, problems: [{ field: 'incident.playbook', message: 'no such playbook' }] })
      })
    }
    return db.transaction().execute(async (trx) => {
      const existing = id === undefined ? undefined : await settings.findRoute(trx, id)
      if (id !== undefined && !existing) throw notFound('routing rule', id)
      if (parsed.policyId && !(await settings.findPolicy(trx, parsed.policyId))) {
        throw new AppError('invalid', `policyId: no escalation policy ${parsed.policyId}`, { problems: [{ field: 'policyId', message: 'no such escalation policy' }] })
      }
      const customerIds = parsed.conditions?.customerIds ?? []
      const known = await store.existingCustomerIds(trx, customerIds)
      const unknown = customerIds.filter((customerId) => !known.has(customerId))
      if (unknown.length > 0) throw new AppError('invalid', `conditions.customerIds: no customer ${unknown.join(', ')}`, { problems: [{ field: 'conditions.customerIds', message: `no customer ${unknown.join(', ')}` }] })
      const now = clock.now().toISOString()
      const route: AlertRoute = {
        id: existing?.id ?? newId(),
        name: parsed.name,
        position: parsed.position ?? existing?.position ?? (await settings.listRoutes(trx)).reduce((max, r) => Math.max(max, r.position + 10), 10),
        conditions: parsed.conditions ?? {},
        policyId: parsed.policyId ?? null,
        incident: parsed.incident ?? { mode: 'none' },
        groupBy: parsed.groupBy ?? [],
        groupWindowSeconds: parsed.groupWindowSeconds ?? defaultGroupWindowSeconds,
        autoResolveMinutes: parsed.autoResolveMinutes ?? null,
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
      }
      await uniquely(`a routing rule named ${route.name}`, () => (existing ? settings.updateRoute(trx, route) : settings.insertRoute(trx, route)))
      await audit.record(trx, actor, { action: existing ? 'alert-route.changed' : 'alert-route.created', targetType: 'alert-route', targetId: route.id, details: { name: route.name } })
      return route
    })
  }

  async function removeRoute(actor: Actor, id: string): Promise<void> {
    await db.transaction().execute(async (trx) => {
      if (!(await settings.deleteRoute(trx, id))) throw notFound('routing rule', id)
      await audit.record(trx, actor, { action: 'alert-route.removed', targetType: 'alert-route', targetId: id })
    })
  }

  // ——— escalation policies ———

  async function savePolicy(actor: Actor, input: unknown, id?: string): Promise<EscalationPolicy> {
    const parsed = parseInput(PolicyInputSchema, input, 'escalation policy')
    // Users and channels are checked through their modules before the transaction (on SQLite a read outside it would wait for it).
    const problems: FieldProblem[] = []
    for (const [stepIndex, step] of parsed.steps.entries()) {
      for (const [targetIndex, target] of step.targets.entries()) {
        const field = `steps.${stepIndex}.targets.${targetIndex}.id`
        if (target.kind === 'schedule' && !(await settings.findSchedule(db, target.id))) problems.push({ field, message: `no schedule ${target.id}` })
        if (target.kind === 'user' && !(await access.getUser(target.id).catch(() => undefined))) problems.push({ field, message: `no user ${target.id}` })
        if (target.kind === 'channel' && !(await deps.notifications.findChannel(target.id))) problems.push({ field, message: `no notification channel ${target.id}` })
      }
    }
    if (problems.length > 0) throw new AppError('invalid', `invalid escalation policy: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`, { problems })
    return db.transaction().execute(async (trx) => {
      const existing = id === undefined ? undefined : await settings.findPolicy(trx, id)
      if (id !== undefined && !existing) throw notFound('escalation policy', id)
      const now = clock.now().toISOString()
      const policy: EscalationPolicy = { id: existing?.id ?? newId(), name: parsed.name, steps: parsed.steps, repeats: parsed.repeats ?? 0, createdAt: existing?.createdAt ?? now, updatedAt: now }
      await uniquely(`an escalation policy named ${policy.name}`, () => (existing ? settings.updatePolicy(trx, policy) : settings.insertPolicy(trx, policy)))
      await audit.record(trx, actor, { action: existing ? 'escalation-policy.changed' : 'escalation-policy.created', targetType: 'escalation-policy', targetId: policy.id, details: { name: policy.name } })
      return policy
    })
  }

  async function getPolicy(id: string): Promise<EscalationPolicy> {
    const policy = await settings.findPolicy(db, id)
    if (!policy) throw notFound('escalation policy', id)
    return policy
  }

  async function removePolicy(actor: Actor, id: string): Promise<void> {
    await db.transaction().execute(async (trx) => {
      const users = await settings.routesUsingPolicy(trx, id)
      if (users.length > 0) throw new AppError('conflict', `escalation policy ${id} is used by routing rules: ${users.join(', ')}`)
      if (!(await settings.deletePolicy(trx, id))) throw notFound('escalation policy', id)
      await audit.record(trx, actor, { action: 'escalation-policy.removed', targetType: 'escalation-policy', targetId: id })
    })
  }

  // ——— schedules ———

  async function saveSchedule(actor: Actor, input: { name: unknown; definition: unknown }, id?: string): Promise<StoredSchedule> {
    if (typeof input.name !== 'string' || input.name.trim() === '' || input.name.length > 200) {
      throw new AppError('invalid', 'name: must be a non-empty string of at most 200 characters', { problems: [{ field: 'name', message: 'must be a non-empty string of at most 200 characters' }] })
    }
    const now = clock.now()
    const problems = checkSchedule(input.definition as ScheduleDefinition, now).map((p) => ({ field: `definition.${p.field}`, message: p.message }))
    if (problems.length > 0) throw new AppError('invalid', `invalid schedule: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`, { problems })
    const definition = input.definition as ScheduleDefinition
    const userIds = [...new Set(definition.layers.flatMap((layer) => layer.users))]
    const missing: string[] = []
    for (const userId of userIds) if (!(await access.getUser(userId).catch(() => undefined))) missing.push(userId)
    if (missing.length > 0) throw new AppError('invalid', `definition.layers: no user ${missing.join(', ')}`, { problems: [{ field: 'definition.layers', message: `no user ${missing.join(', ')}` }] })
    return db.transaction().execute(async (trx) => {
      const existing = id === undefined ? undefined : await settings.findSchedule(trx, id)
      if (id !== undefined && !existing) throw notFound('schedule', id)
      const at = now.toISOString()
      const schedule: StoredSchedule = { id: existing?.id ?? newId(), name: input.name as string, definition, createdAt: existing?.createdAt ?? at, updatedAt: at }
      await uniquely(`a schedule named ${schedule.name}`, () => (existing ? settings.updateSchedule(trx, schedule) : settings.insertSchedule(trx, schedule)))
      await audit.record(trx, actor, { action: existing ? 'schedule.changed' : 'schedule.created', targetType: 'schedule', targetId: schedule.id, details: { name: schedule.name } })
      return schedule
    })
  }

  /** By id or by name. */
  async function getSchedule(idOrName: string): Promise<StoredSchedule> {
    const schedule = (await settings.findSchedule(db, idOrName)) ?? (await settings.findScheduleByName(db, idOrName))
    if (!schedule) throw notFound('schedule', idOrName)
    return schedule
  }

  async function removeSchedule(actor: Actor, id: string): Promise<void> {
    await db.transaction().execute(async (trx) => {
      const users = await settings.policiesTargeting(trx, { kind: 'schedule', id })
      if (users.length > 0) throw new AppError('conflict', `schedule ${id} is paged by escalation policies: ${users.join(', ')}`)
      if (!(await settings.deleteSchedule(trx, id))) throw notFound('schedule', id)
      await audit.record(trx, actor, { action: 'schedule.removed', targetType: 'schedule', targetId: id })
    })
  }

  async function addOverride(actor: Actor, scheduleId: string, input: { userId: unknown; start: unknown; end: unknown }): Promise<StoredOverride> {
    const problems: FieldProblem[] = []
    const start = typeof input.start === 'string' ? Date.parse(input.start) : NaN
    const end = typeof input.end === 'string' ? Date.parse(input.end) : NaN
    if (Number.isNaN(start)) problems.push({ field: 'start', message: 'must be an ISO-8601 time' })
    if (Number.isNaN(end)) problems.push({ field: 'end', message: 'must be an ISO-8601 time' })
    if (!Number.isNaN(start) && !Number.isNaN(end) && end <= start) problems.push({ field: 'end', message: 'must be after start' })
    if (typeof input.userId !== 'string' || !(await access.getUser(input.userId).catch(() => undefined))) problems.push({ field: 'userId', message: 'no such user' })
    if (problems.length > 0) throw new AppError('invalid', `invalid override: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`, { problems })
    const schedule = await getSchedule(scheduleId)
    return db.transaction().execute(async (trx) => {
      const override: StoredOverride = { id: newId(), scheduleId: schedule.id, userId: input.userId as string, start: new Date(start).toISOString(), end: new Date(end).toISOString(), createdAt: clock.now().toISOString() }
      await settings.insertOverride(trx, override)
      await audit.record(trx, actor, { action: 'schedule.override-added', targetType: 'schedule', targetId: schedule.id, details: { overrideId: override.id, userId: override.userId, start: override.start, end: override.end } })
      return override
    })
  }

  async function removeOverride(actor: Actor, scheduleId: string, overrideId: string): Promise<void> {
    await db.transaction().execute(async (trx) => {
      if (!(await settings.deleteOverride(trx, scheduleId, overrideId))) throw notFound('override', overrideId)
      await audit.record(trx, actor, { action: 'schedule.override-removed', targetType: 'schedule', targetId: scheduleId, details: { overrideId } })
    })
  }

  /** Who is on call for a schedule at `at`, or null when no one is. */
  async function onCall(scheduleIdOrName: string, at: Date = clock.now()): Promise<{ schedule: { id: string; name: string }; at: string; shift: Shift | null }> {
    const schedule = await getSchedule(scheduleIdOrName)
    const overrides = await settings.listOverrides(db, schedule.id, at.toISOString())
    return { schedule: { id: schedule.id, name: schedule.name }, at: at.toISOString(), shift: whoIsOnCall(schedule.definition, overrides, at) }
  }

  /** Who is on call at `at`, for every schedule. */
  async function onCallEverywhere(at: Date = clock.now()): Promise<Array<{ schedule: { id: string; name: string }; at: string; shift: Shift | null }>> {
    const schedules = await settings.listSchedules(db)
    return Promise.all(schedules.map((schedule) => onCall(schedule.id, at)))
  }

  /** The final schedule between two times: rotations, restrictions and overrides applied. */
  async function shifts(scheduleIdOrName: string, from: Date, to: Date): Promise<Shift[]> {
    if (!(to > from)) throw new AppError('invalid', 'to must be after from', { problems: [{ field: 'to', message: 'must be after from' }] })
    if (to.getTime() - from.getTime() > 366 * 24 * 3600 * 1000) throw new AppError('invalid', 'at most a year of shifts at a time', { problems: [{ field: 'to', message: 'at most 366 days after from' }] })
    const schedule = await getSchedule(scheduleIdOrName)
    const overrides = await settings.listOverrides(db, schedule.id, from.toISOString(), to.toISOString())
    return renderShifts(schedule.definition, overrides, from, to)
  }

  return {
    createIntegration,
    listIntegrations: () => settings.listIntegrations(db),
    disableIntegration,
    saveRoute,
    listRoutes: () => settings.listRoutes(db),
    getRoute: async (id: string) => (await settings.findRoute(db, id)) ?? Promise.reject(notFound('routing rule', id)),
    removeRoute,
    savePolicy,
    getPolicy,
    listPolicies: () => settings.listPolicies(db),
    removePolicy,
    saveSchedule,
    getSchedule,
    listSchedules: () => settings.listSchedules(db),
    removeSchedule,
    addOverride,
    removeOverride,
    /** Overrides that have not ended by `from` (default now). */
    listOverrides: async (scheduleIdOrName: string, from: Date = clock.now()) => settings.listOverrides(db, (await getSchedule(scheduleIdOrName)).id, from.toISOString()),
    onCall,
    onCallEverywhere,
    shifts,
  }
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex')
}

async function uniquely(what: string, write: () => Promise<void>): Promise<void> {
  try {
    await write()
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('conflict', `there is already ${what}`, { cause: error })
    throw error
  }
}
