import { timingSafeEqual } from 'node:crypto'
import type { Access } from '../access/index.js'
import type { Audit } from '../audit/index.js'
import type { Db } from '../db/connect.js'
import type { Incidents } from '../incidents/index.js'
import type { Jobs } from '../jobs/index.js'
import type { Notifications } from '../notifications/index.js'
import type { Actor } from '../shared/actor.js'
import type { Clock } from '../shared/clock.js'
import { AppError, notFound } from '../shared/errors.js'
import { decodeCursor, defaultPageSize, toPage, type Page } from '../shared/pagination.js'
import { parseInput } from '../shared/validate.js'
import { parseAlertmanagerWebhook, parsePagerDutyEvent } from './adapters.js'
import { createConfiguration, hashSecret } from './configuration.js'
import { createEscalation } from './escalation.js'
import { createIntake, type Submission } from './intake.js'
import { AlertInputSchema, type Alert, type AlertPage, type AlertStatus, type IntakeResult, type Integration, type IntegrationKind } from './model.js'
import { createRateLimiter, type RateLimit } from './rate-limit.js'
import * as store from './store/alerts.js'
import * as settings from './store/configuration.js'

/**
 * Alerts: intake through every door (rate-limited per source, written in batches), the alert
 * lifecycle, and the escalation job handlers; the configuration that routes them is composed in.
 */

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

export type { IssuedIntegration, StoredOverride, StoredSchedule } from './configuration.js'

const integrationKeyPattern = /^cordon_int_([0-9a-f-]{36})_([A-Za-z0-9_-]{43})$/

export function createAlerting(deps: AlertingDeps) {
  const { db, clock, audit, jobs, incidents } = deps
  const intake = createIntake({ db, clock, jobs, incidents })
  const configuration = createConfiguration(deps)
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
    const found = await settings.findIntegrationWithSecret(db, match[1]!)
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
    ...configuration,
    /** Job handlers: escalation steps and quiet-period resolution. */
    escalate: escalation.escalate,
    resolveQuiet: escalation.resolveQuiet,
  }
}

/** Idempotency keys are kept per door, so two integrations' keys never collide. */
function scopedKey(scope: string, key: string): string {
  return `${scope}:${key.slice(0, 200)}`
}
