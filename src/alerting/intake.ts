import { dialectOf, type Db } from '../db/connect.js'
import { isUniqueViolation } from '../db/errors.js'
import type { Incidents } from '../incidents/index.js'
import type { Jobs } from '../jobs/index.js'
import { systemActor } from '../shared/actor.js'
import type { Clock } from '../shared/clock.js'
import { AppError } from '../shared/errors.js'
import { newId } from '../shared/ids.js'
import { groupKeyOf, pickRoute, type Alert, type AlertEvent, type AlertRoute, type AlertSeverity, type IntakeResult } from './model.js'
import * as store from './store/alerts.js'
import * as settings from './store/configuration.js'

/**
 * Alert intake. Events from every door queue here and are written in batches: one transaction
 * holds every event that arrived while the previous one committed, and each caller is answered
 * only after the commit that holds its event. A storm of alerts costs one commit per batch, not
 * one per alert, and nothing is acknowledged that is not on disk.
 */

export const escalateJob = 'alerting.escalate'
export const quietJob = 'alerting.auto-resolve'

/** The largest batch one transaction takes; the rest wait for the next. */
const maxBatch = 500

export interface IntakeDeps {
  db: Db
  clock: Clock
  jobs: Jobs
  incidents: Incidents
}

export interface Submission {
  event: AlertEvent
  /** A retried request with the same key gets the first answer and changes nothing. */
  idempotencyKey?: string
}

interface Pending extends Submission {
  resolve(result: IntakeResult): void
  reject(error: unknown): void
}

export interface Intake {
  submit(submission: Submission): Promise<IntakeResult>
  submitMany(submissions: readonly Submission[]): Promise<IntakeResult[]>
  /** Resolves once every submission so far is committed or failed. */
  drain(): Promise<void>
}

export function createIntake({ db, clock, jobs, incidents }: IntakeDeps): Intake {
  let queue: Pending[] = []
  let writers = 0
  let idle: Array<() => void> = []
  // SQLite writes one transaction at a time whatever we do. On PostgreSQL a second writer
  // gathers the next batch while the first waits on the network: two transactions in flight.
  // They may touch the same alert: its row lock orders the counts, and a key both try to open
  // fails one with a unique violation, whose batch is then written again and finds the alert.
  const maxWriters = dialectOf(db) === 'postgres' ? 2 : 1

  function submit(submission: Submission): Promise<IntakeResult> {
    return new Promise<IntakeResult>((resolve, reject) => {
      queue.push({ ...submission, resolve, reject })
      if (writers < maxWriters) {
        writers += 1
        void run()
      }
    })
  }

  async function run(): Promise<void> {
    try {
      // Let the requests that arrive in the same turn of the event loop join this batch.
      await new Promise<void>((resolve) => setImmediate(resolve))
      while (queue.length > 0) {
        const batch = queue.slice(0, maxBatch)
        queue = queue.slice(batch.length)
        await writeBatch(batch)
      }
    } finally {
      // In the same turn as the empty-queue check, so a submission never finds a writer that is about to leave.
      writers -= 1
      if (writers === 0) {
        for (const resolve of idle) resolve()
        idle = []
      }
    }
  }

  async function writeBatch(batch: Pending[]): Promise<void> {
    const valid = await rejectUnknownCustomers(batch)
    if (valid.length === 0) return
    for (let attempt = 1; ; attempt += 1) {
      try {
        const results = await db.transaction().execute(async (trx) => processBatch(trx, valid, await settings.listRoutes(trx)))
        valid.forEach((item, index) => item.resolve(results[index]!))
        return
      } catch (error) {
        // Another process opened an alert under the same key between our read and write: the retry finds it.
        if (attempt < 5 && (isUniqueViolation(error) || isDeadlock(error))) continue
        for (const item of valid) item.reject(error)
        return
      }
    }
  }

  /** Events that name a customer Cordon does not know fail alone, before the batch is written. */
  async function rejectUnknownCustomers(batch: Pending[]): Promise<Pending[]> {
    const named = [...new Set(batch.map((item) => item.event.customerId).filter((id): id is string => typeof id === 'string'))]
    if (named.length === 0) return batch
    let known: Set<string>
    try {
      known = await store.existingCustomerIds(db, named)
    } catch (error) {
      for (const item of batch) item.reject(error)
      return []
    }
    return batch.filter((item) => {
      const id = item.event.customerId
      if (typeof id === 'string' && !known.has(id)) {
        item.reject(new AppError('invalid', `customerId: no customer ${id}`, { problems: [{ field: 'customerId', message: `no customer ${id}` }] }))
        return false
      }
      return true
    })
  }

  /**
   * One batch, set-based where it counts: the open alerts of every key in one read, repeats
   * summed in memory and written as one update per batch, new alerts inserted together. Events
   * are still applied in arrival order, so a key opened, repeated and resolved within one batch
   * ends as it would have one event at a time.
   */
  async function processBatch(trx: Db, items: readonly Submission[], routes: AlertRoute[]): Promise<IntakeResult[]> {
    const now = clock.now().toISOString()
    const keys = items.map((item) => item.idempotencyKey).filter((key): key is string => key !== undefined)
    const earlier = await store.findIntakeResponses(trx, keys)
    const open = new Map((await store.findOpenAlerts(trx, items.flatMap((item) => (item.event.dedupKey ? [item.event.dedupKey] : [])))).map((alert) => [alert.dedupKey, alert]))
    const created = new Map<string, Alert>()
    const repeats = new Map<string, number>()
    const leaders = new Map<string, Alert>()
    const answered = new Map<string, IntakeResult>()
    const results: IntakeResult[] = []
    for (const item of items) {
      const replay = item.idempotencyKey ? (answered.get(item.idempotencyKey) ?? earlier.get(item.idempotencyKey)) : undefined
      if (replay) {
        results.push(replay)
        continue
      }
      const result = await applyEvent(trx, item.event, now)
      if (item.idempotencyKey) answered.set(item.idempotencyKey, result)
      results.push(result)
    }
    if (created.size > 0) await store.insertAlerts(trx, [...created.values()])
    for (const alert of created.values()) await afterCreate(trx, alert, routes)
    if (repeats.size > 0) await store.countRepeats(trx, repeats, now)
    if (answered.size > 0) await store.insertIntakeKeys(trx, [...answered].map(([key, result]) => ({ key, result })), now)
    return results

    async function applyEvent(trx: Db, event: AlertEvent, at: string): Promise<IntakeResult> {
      const current = event.dedupKey ? open.get(event.dedupKey) : undefined
      if (event.action === 'trigger') {
        if (current) {
          current.count += 1
          current.lastSeenAt = at
          if (created.has(current.id)) current.updatedAt = at
          else repeats.set(current.id, (repeats.get(current.id) ?? 0) + 1)
          return resultOf(current, 'deduplicated')
        }
        const alert = await newAlert(trx, event, at)
        created.set(alert.id, alert)
        open.set(alert.dedupKey, alert)
        return resultOf(alert, 'created')
      }
      if (!current) return { alertId: null, dedupKey: event.dedupKey ?? '', status: null, count: 0, outcome: 'ignored', incidentId: null }
      const fresh = created.has(current.id)
      if (event.action === 'acknowledge') {
        if (current.status !== 'triggered') return resultOf(current, 'updated')
        Object.assign(current, { status: 'acknowledged', acknowledgedAt: at, acknowledgedBy: event.source, updatedAt: at })
        if (!fresh) await store.markAcknowledged(trx, current.id, at, event.source)
        if (current.incidentId) {
          await incidents.acknowledgeIn(trx, current.incidentId, at)
          await incidents.recordIn(trx, current.incidentId, { kind: 'alert.acknowledged', text: `Alert acknowledged by ${event.source}: ${current.summary}`, actorLabel: event.source, data: { alertId: current.id } })
        }
        return resultOf(current, 'updated')
      }
      Object.assign(current, { status: 'resolved', resolvedAt: at, resolvedBy: event.source, resolution: 'source', updatedAt: at })
      open.delete(current.dedupKey)
      if (!fresh) await store.markResolved(trx, current.id, at, event.source, 'source')
      if (current.incidentId) {
        await incidents.recordIn(trx, current.incidentId, { kind: 'alert.resolved', text: `Alert resolved by ${event.source}: ${current.summary}`, actorLabel: event.source, data: { alertId: current.id } })
      }
      return resultOf(current, 'updated')
    }

    async function newAlert(trx: Db, event: AlertEvent, at: string): Promise<Alert> {
      const route = pickRoute(routes, event)
      const groupKey = route ? groupKeyOf(route, event) : null
      const since = route ? new Date(Date.parse(at) - route.groupWindowSeconds * 1000).toISOString() : at
      const local = groupKey ? leaders.get(groupKey) : undefined
      const leader = groupKey ? (local && local.firstSeenAt >= since && local.status !== 'resolved' ? local : await store.findGroupLeader(trx, groupKey, since)) : undefined
      const alert: Alert = {
        id: newId(),
        dedupKey: event.dedupKey ?? newId(),
        status: 'triggered',
        source: event.source,
        summary: event.summary,
        severity: event.severity,
        customerId: event.customerId ?? null,
        labels: event.labels,
        details: event.details,
        count: 1,
        firstSeenAt: at,
        lastSeenAt: at,
        acknowledgedAt: null,
        acknowledgedBy: null,
        resolvedAt: null,
        resolvedBy: null,
        resolution: null,
        routeId: route?.id ?? null,
        policyId: route?.policyId ?? null,
        groupKey,
        groupLeaderId: leader?.id ?? null,
        incidentId: leader?.incidentId ?? null,
        createdAt: at,
        updatedAt: at,
      }
      if (!leader && route?.incident.mode === 'open') {
        const incident = await incidents.openIn(trx, systemActor, {
          title: alert.summary.length > 200 ? `${alert.summary.slice(0, 199)}…` : alert.summary,
          severity: route.incident.severity ?? incidentSeverityOf(alert.severity),
          summary: `Opened by alert from ${alert.source} (rule ${route.name}).`,
          customerIds: alert.customerId ? [alert.customerId] : [],
          ...(route.incident.playbook && { playbook: route.incident.playbook }),
        })
        alert.incidentId = incident.id
      }
      if (groupKey && !leader) leaders.set(groupKey, alert)
      return alert
    }
  }

  /** What a new alert sets going once it is stored: its incident link, its escalation, its quiet-period check. */
  async function afterCreate(trx: Db, alert: Alert, routes: AlertRoute[]): Promise<void> {
    if (alert.incidentId) await incidents.linkIn(trx, systemActor, alert.incidentId, { kind: 'alert', targetId: alert.id })
    // Storm protection: only a group's first alert pages; the rest are counted with it.
    if (!alert.groupLeaderId && alert.policyId && alert.status === 'triggered') {
      await jobs.enqueue({ type: escalateJob, payload: { alertId: alert.id, round: 0, step: 0 }, key: escalationKey(alert.id, 0, 0), maxAttempts: 10 }, trx)
    }
    const route = alert.routeId ? routes.find((r) => r.id === alert.routeId) : undefined
    if (route?.autoResolveMinutes && alert.status !== 'resolved') {
      await jobs.enqueue({ type: quietJob, payload: { alertId: alert.id }, runAt: new Date(Date.parse(alert.firstSeenAt) + route.autoResolveMinutes * 60_000).toISOString(), key: quietKey(alert.id, alert.firstSeenAt) }, trx)
    }
  }

  return {
    submit,
    submitMany: (submissions) => Promise.all(submissions.map(submit)),
    async drain() {
      if (writers > 0) await new Promise<void>((resolve) => idle.push(resolve))
    },
  }
}

function resultOf(alert: Alert, outcome: IntakeResult['outcome']): IntakeResult {
  return { alertId: alert.id, dedupKey: alert.dedupKey, status: alert.status, count: alert.count, outcome, incidentId: alert.incidentId }
}

/** An incident opened by an alert starts at the severity the alert suggests; people adjust it. */
export function incidentSeverityOf(severity: AlertSeverity): 'SEV1' | 'SEV2' | 'SEV3' | 'SEV4' {
  return severity === 'critical' ? 'SEV1' : severity === 'error' ? 'SEV2' : severity === 'warning' ? 'SEV3' : 'SEV4'
}

/** PostgreSQL broke a lock cycle between two intake writers by aborting one: write that batch again. */
function isDeadlock(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '40P01'
}

/** Each escalation step is one job for all time: a step runs once, whatever restarts. */
export function escalationKey(alertId: string, round: number, step: number): string {
  return `alert.escalate:${alertId}:${round}:${step}`
}

/** One quiet-period check per (alert, last arrival it was scheduled from). */
export function quietKey(alertId: string, lastSeenAt: string): string {
  return `alert.quiet:${alertId}:${lastSeenAt}`
}
