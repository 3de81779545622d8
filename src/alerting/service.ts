import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Access } from '../access/index.js'
import type { Audit } from '../audit/index.js'
import type { Db } from '../db/connect.js'
import { isUniqueViolation } from '../db/errors.js'
import type { Incidents } from '../incidents/index.js'
import type { Jobs } from '../jobs/index.js'
import type { Notifications } from '../notifications/index.js'
import type { Actor } from '../shared/actor.js'
import type { Clock } from '../shared/clock.js'
import { AppError, notFound, type FieldProblem } from '../shared/errors.js'
import { newId } from '../shared/ids.js'
import { decodeCursor, defaultPageSize, toPage, type Page } from '../shared/pagination.js'
import { parseInput } from '../shared/validate.js'
import { parseAlertmanagerWebhook, parsePagerDutyEvent } from './adapters.js'
import { createEscalation } from './escalation.js'
import { createIntake, type Submission } from './intake.js'
import {
  AlertInputSchema,
  IntegrationInputSchema,
  PolicyInputSchema,
  RouteInputSchema,
  defaultGroupWindowSeconds,
  type Alert,
  type AlertPage,
  type AlertRoute,
  type AlertStatus,
  type EscalationPolicy,
  type IntakeResult,
  type Integration,
  type IntegrationKind,
} from './model.js'
import { checkSchedule, renderShifts, whoIsOnCall, type ScheduleDefinition, type Shift } from './oncall.js'
import { createRateLimiter, type RateLimit } from './rate-limit.js'
import * as store from './store.js'

export interface AlertingDeps {
  db: Db
  clock: Clock
  audit: Audit
  jobs: Jobs
  access: Access
  incidents: Incidents
  notifications: Notifications
  /** Intake allowed per source; beyond it intake answers rate_limited and stores nothing. */
  rateLimit: RateLimit
}

export type Alerting = ReturnType<typeof createAlerting>

export interface AlertListQuery {
  status?: AlertStatus
  source?: string
  customerId?: string
  incidentId?: string
  limit?: number
  cursor?: string
}

export interface IssuedIntegration {
  integration: Integration
  /** The key the sending tool presents: shown once, stored only as a hash. */
  key: string
}

export type StoredSchedule = store.StoredSchedule
export type StoredOverride = store.StoredOverride

const integrationKeyPattern = /^cordon_int_([0-9a-f-]{36})_([A-Za-z0-9_-]{43})$/

export function createAlerting(deps: AlertingDeps) {
  const { db, clock, audit, jobs, access, incidents } = deps
  const intake = createIntake({ db, clock, jobs, incidents })
  const escalation = createEscalation(deps)
  const limiter = createRateLimiter(deps.rateLimit, clock)

  function admit(source: string): void {
    const wait = limiter.take(source)
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000)
      throw new AppError('rate_limited', `too many alerts from source ${source}: nothing was stored; retry in ${seconds} s`, { retryAfterSeconds: seconds })
    }
  }

  // ——— intake ———

  /** Cordon's own intake: one alert event from a staff token. */
  async function send(input: unknown, options: { idempotencyKey?: string } = {}): Promise<IntakeResult> {
    const parsed = parseInput(AlertInputSchema, input, 'alert')
    admit(parsed.source)
    const labels: Record<string, string> = Object.assign(Object.create(null), parsed.labels ?? {})
    return intake.submit({
      event: {
        action: parsed.action ?? 'trigger',
        summary: parsed.summary,
        severity: parsed.severity,
        source: parsed.source,
        ...(parsed.dedupKey !== undefined && { dedupKey: parsed.dedupKey }),
        customerId: parsed.customerId ?? null,
        labels,
        details: parsed.details ?? {},
      },
      ...(options.idempotencyKey && { idempotencyKey: scopedKey('api', options.idempotencyKey) }),
    })
  }

  /** PagerDuty Events API v2: the routing key is an integration key of kind pagerduty. */
  async function sendPagerDuty(body: unknown, options: { idempotencyKey?: string } = {}): Promise<IntakeResult> {
    const { routingKey, event } = parsePagerDutyEvent(body)
    const integration = await authenticateIntegration(routingKey, 'pagerduty')
    admit(integration.source)
    return intake.submit({
      event: { ...event, source: event.source === 'pagerduty' ? integration.source : event.source, customerId: integration.customerId },
      ...(options.idempotencyKey && { idempotencyKey: scopedKey(integration.id, options.idempotencyKey) }),
    })
  }

  /** Alertmanager and Grafana webhooks: every alert in the payload is one event, all in one batch. */
  async function sendWebhook(kind: 'alertmanager' | 'grafana', key: string, body: unknown): Promise<IntakeResult[]> {
    const integration = await authenticateIntegration(key, kind)
    const events = parseAlertmanagerWebhook(body, integration, kind)
    for (let i = 0; i < Math.max(1, events.length); i += 1) admit(integration.source)
    return intake.submitMany(events.map((event): Submission => ({ event })))
  }

  /** An integration key, checked in constant time; anything wrong is one `unauthenticated`, never which part. */
  async function authenticateIntegration(key: string, kind: IntegrationKind): Promise<Integration> {
    const refused = new AppError('unauthenticated', `not a valid ${kind} integration key`)
    const match = integrationKeyPattern.exec(key)
    if (!match) throw refused
    const found = await store.findIntegrationWithSecret(db, match[1]!)
    if (!found || found.disabledAt !== null || found.kind !== kind) throw refused
    const presented = Buffer.from(hashSecret(match[2]!), 'hex')
    const stored = Buffer.from(found.secretHash, 'hex')
    if (presented.length !== stored.length || !timingSafeEqual(presented, stored)) throw refused
    const { secretHash: _secret, ...integration } = found
    return integration
  }

  // ——— alerts ———

  async function getAlert(id: string): Promise<Alert & { pages: AlertPage[] }> {
    const alert = await store.findAlert(db, id)
    if (!alert) throw notFound('alert', id)
    return { ...alert, pages: await store.listPages(db, id) }
  }

  async function listAlerts(query: AlertListQuery = {}): Promise<Page<Alert>> {
    const limit = query.limit ?? defaultPageSize
    const after = query.cursor ? (decodeCursor(query.cursor, 2) as [string, string]) : undefined
    const rows = await store.listAlerts(db, {
      ...(query.status && { status: query.status }),
      ...(query.source && { source: query.source }),
      ...(query.customerId && { customerId: query.customerId }),
      ...(query.incidentId && { incidentId: query.incidentId }),
      ...(after && { after }),
      limit: limit + 1,
    })
    return toPage(rows, limit, (alert) => [alert.createdAt, alert.id])
  }

  /** Stops escalation. Acknowledging an acknowledged alert changes nothing; a resolved one is a conflict. */
  async function acknowledge(actor: Actor, id: string): Promise<Alert> {
    return db.transaction().execute(async (trx) => {
      const alert = await store.findAlert(trx, id)
      if (!alert) throw notFound('alert', id)
      if (alert.status === 'resolved') throw new AppError('conflict', `alert ${id} is already resolved`)
      if (alert.status === 'acknowledged') return alert
      const at = clock.now().toISOString()
      await store.markAcknowledged(trx, id, at, actor.label)
      await audit.record(trx, actor, { action: 'alert.acknowledged', targetType: 'alert', targetId: id, customerId: alert.customerId })
      if (alert.incidentId) {
        await incidents.acknowledgeIn(trx, alert.incidentId, at)
        await incidents.recordIn(trx, alert.incidentId, { kind: 'alert.acknowledged', text: `${actor.label} acknowledged alert: ${alert.summary}`, actorLabel: actor.label, data: { alertId: id } })
      }
      return { ...alert, status: 'acknowledged' as const, acknowledgedAt: at, acknowledgedBy: actor.label, updatedAt: at }
    })
  }

  async function resolve(actor: Actor, id: string): Promise<Alert> {
    return db.transaction().execute(async (trx) => {
      const alert = await store.findAlert(trx, id)
      if (!alert) throw notFound('alert', id)
      if (alert.status === 'resolved') return alert
      const at = clock.now().toISOString()
      await store.markResolved(trx, id, at, actor.label, 'manual')
      await audit.record(trx, actor, { action: 'alert.resolved', targetType: 'alert', targetId: id, customerId: alert.customerId })
      if (alert.incidentId) {
        await incidents.recordIn(trx, alert.incidentId, { kind: 'alert.resolved', text: `${actor.label} resolved alert: ${alert.summary}`, actorLabel: actor.label, data: { alertId: id } })
      }
      return { ...alert, status: 'resolved' as const, resolvedAt: at, resolvedBy: actor.label, resolution: 'manual' as const, updatedAt: at }
    })
  }

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
      await uniquely(`an integration named ${integration.name}`, () => store.insertIntegration(trx, integration, hashSecret(secret)))
      await audit.record(trx, actor, { action: 'alert-integration.created', targetType: 'alert-integration', targetId: integration.id, customerId: integration.customerId, details: { name: integration.name, kind: integration.kind } })
    })
    return { integration, key: `cordon_int_${integration.id}_${secret}` }
  }

  async function disableIntegration(actor: Actor, id: string): Promise<void> {
    await db.transaction().execute(async (trx) => {
      if (!(await store.disableIntegration(trx, id, clock.now().toISOString()))) throw notFound('integration', id)
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
      const existing = id === undefined ? undefined : await store.findRoute(trx, id)
      if (id !== undefined && !existing) throw notFound('routing rule', id)
      if (parsed.policyId && !(await store.findPolicy(trx, parsed.policyId))) {
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
        position: parsed.position ?? existing?.position ?? (await store.listRoutes(trx)).reduce((max, r) => Math.max(max, r.position + 10), 10),
        conditions: parsed.conditions ?? {},
        policyId: parsed.policyId ?? null,
        incident: parsed.incident ?? { mode: 'none' },
        groupBy: parsed.groupBy ?? [],
        groupWindowSeconds: parsed.groupWindowSeconds ?? defaultGroupWindowSeconds,
        autoResolveMinutes: parsed.autoResolveMinutes ?? null,
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
      }
      await uniquely(`a routing rule named ${route.name}`, () => (existing ? store.updateRoute(trx, route) : store.insertRoute(trx, route)))
      await audit.record(trx, actor, { action: existing ? 'alert-route.changed' : 'alert-route.created', targetType: 'alert-route', targetId: route.id, details: { name: route.name } })
      return route
    })
  }

  async function removeRoute(actor: Actor, id: string): Promise<void> {
    await db.transaction().execute(async (trx) => {
      if (!(await store.deleteRoute(trx, id))) throw notFound('routing rule', id)
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
        if (target.kind === 'schedule' && !(await store.findSchedule(db, target.id))) problems.push({ field, message: `no schedule ${target.id}` })
        if (target.kind === 'user' && !(await access.getUser(target.id).catch(() => undefined))) problems.push({ field, message: `no user ${target.id}` })
        if (target.kind === 'channel' && !(await deps.notifications.findChannel(target.id))) problems.push({ field, message: `no notification channel ${target.id}` })
      }
    }
    if (problems.length > 0) throw new AppError('invalid', `invalid escalation policy: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`, { problems })
    return db.transaction().execute(async (trx) => {
      const existing = id === undefined ? undefined : await store.findPolicy(trx, id)
      if (id !== undefined && !existing) throw notFound('escalation policy', id)
      const now = clock.now().toISOString()
      const policy: EscalationPolicy = { id: existing?.id ?? newId(), name: parsed.name, steps: parsed.steps, repeats: parsed.repeats ?? 0, createdAt: existing?.createdAt ?? now, updatedAt: now }
      await uniquely(`an escalation policy named ${policy.name}`, () => (existing ? store.updatePolicy(trx, policy) : store.insertPolicy(trx, policy)))
      await audit.record(trx, actor, { action: existing ? 'escalation-policy.changed' : 'escalation-policy.created', targetType: 'escalation-policy', targetId: policy.id, details: { name: policy.name } })
      return policy
    })
  }

  async function getPolicy(id: string): Promise<EscalationPolicy> {
    const policy = await store.findPolicy(db, id)
    if (!policy) throw notFound('escalation policy', id)
    return policy
  }

  async function removePolicy(actor: Actor, id: string): Promise<void> {
    await db.transaction().execute(async (trx) => {
      const users = await store.routesUsingPolicy(trx, id)
      if (users.length > 0) throw new AppError('conflict', `escalation policy ${id} is used by routing rules: ${users.join(', ')}`)
      if (!(await store.deletePolicy(trx, id))) throw notFound('escalation policy', id)
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
      const existing = id === undefined ? undefined : await store.findSchedule(trx, id)
      if (id !== undefined && !existing) throw notFound('schedule', id)
      const at = now.toISOString()
      const schedule: StoredSchedule = { id: existing?.id ?? newId(), name: input.name as string, definition, createdAt: existing?.createdAt ?? at, updatedAt: at }
      await uniquely(`a schedule named ${schedule.name}`, () => (existing ? store.updateSchedule(trx, schedule) : store.insertSchedule(trx, schedule)))
      await audit.record(trx, actor, { action: existing ? 'schedule.changed' : 'schedule.created', targetType: 'schedule', targetId: schedule.id, details: { name: schedule.name } })
      return schedule
    })
  }

  /** By id or by name. */
  async function getSchedule(idOrName: string): Promise<StoredSchedule> {
    const schedule = (await store.findSchedule(db, idOrName)) ?? (await store.findScheduleByName(db, idOrName))
    if (!schedule) throw notFound('schedule', idOrName)
    return schedule
  }

  async function removeSchedule(actor: Actor, id: string): Promise<void> {
    await db.transaction().execute(async (trx) => {
      const users = await store.policiesTargeting(trx, { kind: 'schedule', id })
      if (users.length > 0) throw new AppError('conflict', `schedule ${id} is paged by escalation policies: ${users.join(', ')}`)
      if (!(await store.deleteSchedule(trx, id))) throw notFound('schedule', id)
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
      await store.insertOverride(trx, override)
      await audit.record(trx, actor, { action: 'schedule.override-added', targetType: 'schedule', targetId: schedule.id, details: { overrideId: override.id, userId: override.userId, start: override.start, end: override.end } })
      return override
    })
  }

  async function removeOverride(actor: Actor, scheduleId: string, overrideId: string): Promise<void> {
    await db.transaction().execute(async (trx) => {
      if (!(await store.deleteOverride(trx, scheduleId, overrideId))) throw notFound('override', overrideId)
      await audit.record(trx, actor, { action: 'schedule.override-removed', targetType: 'schedule', targetId: scheduleId, details: { overrideId } })
    })
  }

  /** Who is on call for a schedule at `at`, or null when no one is. */
  async function onCall(scheduleIdOrName: string, at: Date = clock.now()): Promise<{ schedule: { id: string; name: string }; at: string; shift: Shift | null }> {
    const schedule = await getSchedule(scheduleIdOrName)
    const overrides = await store.listOverrides(db, schedule.id, at.toISOString())
    return { schedule: { id: schedule.id, name: schedule.name }, at: at.toISOString(), shift: whoIsOnCall(schedule.definition, overrides, at) }
  }

  /** Who is on call at `at`, for every schedule. */
  async function onCallEverywhere(at: Date = clock.now()): Promise<Array<{ schedule: { id: string; name: string }; at: string; shift: Shift | null }>> {
    const schedules = await store.listSchedules(db)
    return Promise.all(schedules.map((schedule) => onCall(schedule.id, at)))
  }

  /** The final schedule between two times: rotations, restrictions and overrides applied. */
  async function shifts(scheduleIdOrName: string, from: Date, to: Date): Promise<Shift[]> {
    if (!(to > from)) throw new AppError('invalid', 'to must be after from', { problems: [{ field: 'to', message: 'must be after from' }] })
    if (to.getTime() - from.getTime() > 366 * 24 * 3600 * 1000) throw new AppError('invalid', 'at most a year of shifts at a time', { problems: [{ field: 'to', message: 'at most 366 days after from' }] })
    const schedule = await getSchedule(scheduleIdOrName)
    const overrides = await store.listOverrides(db, schedule.id, from.toISOString(), to.toISOString())
    return renderShifts(schedule.definition, overrides, from, to)
  }

  return {
    send,
    sendPagerDuty,
    sendWebhook,
    /** Wait for queued intake to commit (for shutdown and tests). */
    drain: intake.drain,
    getAlert,
    listAlerts,
    acknowledge,
    resolve,
    countAlerts: () => store.countAlerts(db),
    /** Which of these alert ids are stored (the benchmark checks acknowledged alerts survived a kill). */
    existingAlertIds: (ids: readonly string[]) => store.existingAlertIds(db, ids),
    /** The counts of the open alerts under these dedup keys. */
    openCounts: (dedupKeys: readonly string[]) => store.openCounts(db, dedupKeys),
    createIntegration,
    listIntegrations: () => store.listIntegrations(db),
    disableIntegration,
    saveRoute,
    listRoutes: () => store.listRoutes(db),
    getRoute: async (id: string) => (await store.findRoute(db, id)) ?? Promise.reject(notFound('routing rule', id)),
    removeRoute,
    savePolicy,
    getPolicy,
    listPolicies: () => store.listPolicies(db),
    removePolicy,
    saveSchedule,
    getSchedule,
    listSchedules: () => store.listSchedules(db),
    removeSchedule,
    addOverride,
    removeOverride,
    /** Overrides that have not ended by `from` (default now). */
    listOverrides: async (scheduleIdOrName: string, from: Date = clock.now()) => store.listOverrides(db, (await getSchedule(scheduleIdOrName)).id, from.toISOString()),
    onCall,
    onCallEverywhere,
    shifts,
    /** Job handlers: escalation steps and quiet-period resolution. */
    escalate: escalation.escalate,
    resolveQuiet: escalation.resolveQuiet,
  }
}

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex')
}

/** Idempotency keys are kept per door, so two integrations' keys never collide. */
function scopedKey(scope: string, key: string): string {
  return `${scope}:${key.slice(0, 200)}`
}

async function uniquely(what: string, write: () => Promise<void>): Promise<void> {
  try {
    await write()
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('conflict', `there is already ${what}`, { cause: error })
    throw error
  }
}
