import { Cron } from 'croner'
import type { Db } from '../db/connect.js'
import type { FieldProblem } from '../shared/errors.js'

/** Where a job is in its life: waiting, leased to a worker, done, or given up on. */
export const jobStatuses = ['queued', 'running', 'succeeded', 'dead'] as const
export type JobStatus = (typeof jobStatuses)[number]

export function isJobStatus(value: string): value is JobStatus {
  return (jobStatuses as readonly string[]).includes(value)
}

/**
 * A unit of background work. A worker leases it (leaseOwner, leaseUntil) while it runs; a lease
 * that runs out without being renewed means the worker died, and the job is run again.
 */
export interface Job {
  id: string
  type: string
  payload: unknown
  status: JobStatus
  /** Idempotency key: enqueueing the same key again returns this job. Unique for all time. */
  key: string | null
  /** Higher runs first among due jobs. */
  priority: number
  /** Not claimed before this time. */
  runAt: string
  /** Attempts started so far, counting the running one. */
  attempts: number
  maxAttempts: number
  leaseOwner: string | null
  leaseUntil: string | null
  lastError: string | null
  createdAt: string
  updatedAt: string
  finishedAt: string | null
}

/** What to run, when, and how often to try. `runAt` and `delayMs` are alternatives. */
export interface EnqueueInput {
  type: string
  payload?: unknown
  /** ISO-8601 time before which the job is not run. */
  runAt?: string
  /** Run no sooner than this many milliseconds from now. */
  delayMs?: number
  /** Idempotency key: a second enqueue with the same key returns the first job. */
  key?: string
  /** Default 5. */
  maxAttempts?: number
  /** Default 0; higher runs first. */
  priority?: number
}

export interface JobListQuery {
  status?: JobStatus
  type?: string
  limit?: number
  cursor?: string
}

/** A recurring job: each time its cron expression comes due, one job of `type` is enqueued. */
export interface Schedule {
  name: string
  type: string
  payload: unknown
  cron: string
  /** IANA time zone the cron expression is read in. */
  timezone: string
  nextRunAt: string
  /** The due time of the last job this schedule enqueued. */
  lastRunAt: string | null
  /**
   * Set when the schedule stopped firing: its cron expression has no further times (or was
   * found invalid in the database). Saving it with another cron expression or zone resumes it.
   */
  pausedAt: string | null
  createdAt: string
  updatedAt: string
}

export interface ScheduleInput {
  name: string
  type: string
  payload?: unknown
  cron: string
  /** Default 'UTC'. */
  timezone?: string
}

/**
 * Writes that belong to a job's success. The worker runs them in the transaction that marks
 * the job succeeded, and only while it still holds the job's lease, so a job's committed
 * effects happen exactly once even when a job runs twice. Use the `trx` given, never the
 * outer Db: on SQLite the outer Db waits for this transaction and would deadlock.
 */
export type JobCommit = (trx: Db) => Promise<void>

export interface JobContext {
  /** Aborted when the worker loses the job's lease or gives up waiting for it on stop. */
  signal: AbortSignal
  workerId: string
}

/**
 * Runs one job. Throwing fails the attempt (retried with backoff until maxAttempts). Work
 * outside the database may run more than once, so it should be idempotent; database writes
 * that must happen once go in the returned JobCommit.
 */
export type JobHandler = (job: Job, context: JobContext) => Promise<void | JobCommit>

/** The part of a pino logger the jobs module uses. */
export interface JobLogger {
  info(details: object, message?: string): void
  warn(details: object, message?: string): void
  error(details: object, message?: string): void
}

export const silentLogger: JobLogger = Object.freeze({
  info: () => {},
  warn: () => {},
  error: () => {},
})

export const defaultMaxAttempts = 5
export const maxErrorLength = 2000

/** How long to wait before the next attempt of a failed job. */
export interface BackoffPolicy {
  /** The wait after the first failure; it doubles with each further failure. */
  baseMs: number
  /** The longest wait, before jitter. */
  maxMs: number
  /** Fraction of random spread either side, so failed jobs do not retry in lockstep. */
  jitter: number
}

export const defaultBackoff: BackoffPolicy = Object.freeze({ baseMs: 2000, maxMs: 60 * 60 * 1000, jitter: 0.2 })

/**
 * Exponential backoff with jitter: base·2^(attempts−1), capped at maxMs, then spread by ±jitter.
 * The cap comes before the jitter so that jobs at the cap still spread out. `random` is in [0, 1).
 */
export function backoffDelayMs(attempts: number, policy: BackoffPolicy, random: () => number): number {
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempts - 1))
  const spread = 1 + policy.jitter * (2 * random() - 1)
  return Math.max(0, Math.round(exponential * spread))
}

/** A failed attempt's error as stored in last_error: its message, bounded in length. */
export function describeError(error: unknown): string {
  let text: string
  if (error instanceof Error) {
    text = error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message
  } else {
    text = String(error)
  }
  return text.length > maxErrorLength ? `${text.slice(0, maxErrorLength - 1)}…` : text
}

/** What happens to a job whose worker stopped renewing its lease: run again, or dead if out of attempts. */
export function expiredLeaseOutcome(job: Job): { status: 'queued' | 'dead'; lastError: string } {
  const lastError = `lease held by ${job.leaseOwner ?? '(unknown worker)'} expired at ${job.leaseUntil ?? '(unknown time)'} during attempt ${job.attempts} of ${job.maxAttempts}`
  return { status: job.attempts >= job.maxAttempts ? 'dead' : 'queued', lastError }
}

/** The idempotency key of the job a schedule enqueues for one due time, so it is enqueued once. */
export function scheduledJobKey(name: string, dueAt: string): string {
  return `schedule:${name}:${dueAt}`
}

export function checkEnqueueInput(input: EnqueueInput): FieldProblem[] {
  const problems: FieldProblem[] = []
  if (typeof input.type !== 'string' || input.type.trim() === '') problems.push({ field: 'type', message: 'must be a non-empty string' })
  if (input.runAt !== undefined && !isIsoTime(input.runAt)) problems.push({ field: 'runAt', message: 'must be an ISO-8601 time' })
  if (input.delayMs !== undefined && !(Number.isFinite(input.delayMs) && input.delayMs >= 0)) {
    problems.push({ field: 'delayMs', message: 'must be a number of milliseconds, 0 or more' })
  }
  if (input.runAt !== undefined && input.delayMs !== undefined) problems.push({ field: 'delayMs', message: 'give runAt or delayMs, not both' })
  if (input.key !== undefined && (typeof input.key !== 'string' || input.key === '')) problems.push({ field: 'key', message: 'must be a non-empty string' })
  if (input.maxAttempts !== undefined && !(Number.isInteger(input.maxAttempts) && input.maxAttempts >= 1 && input.maxAttempts <= 1000)) {
    problems.push({ field: 'maxAttempts', message: 'must be an integer from 1 to 1000' })
  }
  if (input.priority !== undefined && !(Number.isInteger(input.priority) && Math.abs(input.priority) <= 2 ** 31 - 1)) {
    problems.push({ field: 'priority', message: 'must be a 32-bit integer' })
  }
  if (!isJsonValue(input.payload)) problems.push({ field: 'payload', message: 'must be JSON-serialisable' })
  return problems
}

/** Problems with a schedule as of `now` (a cron expression must still have a time after it). */
export function checkScheduleInput(input: ScheduleInput, now: Date): FieldProblem[] {
  const problems: FieldProblem[] = []
  if (typeof input.name !== 'string' || input.name.trim() === '' || input.name.length > 200) {
    problems.push({ field: 'name', message: 'must be a non-empty string of at most 200 characters' })
  }
  if (typeof input.type !== 'string' || input.type.trim() === '') problems.push({ field: 'type', message: 'must be a non-empty string' })
  if (!isJsonValue(input.payload)) problems.push({ field: 'payload', message: 'must be JSON-serialisable' })
  const timezone = input.timezone ?? 'UTC'
  const zone = canonicalTimezone(timezone)
  if (zone === undefined) problems.push({ field: 'timezone', message: `'${timezone}' is not an IANA time zone` })
  const cronProblem = checkCron(input.cron, zone ?? 'UTC', now)
  if (cronProblem !== undefined) problems.push({ field: 'cron', message: cronProblem })
  return problems
}

/** The IANA name of a time zone as the runtime spells it ('utc' → 'UTC'), or undefined if unknown. */
export function canonicalTimezone(timezone: string): string | undefined {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: timezone }).resolvedOptions().timeZone
  } catch {
    return undefined
  }
}

/**
 * The first time strictly after `after` that a cron expression (5 fields, or 6 with seconds)
 * comes due in a time zone, or undefined if it never does again. Throws on a bad expression.
 */
export function nextCronRun(cron: string, timezone: string, after: Date): Date | undefined {
  // No callback: croner only parses and computes, it starts no timer.
  const pattern = new Cron(cron, { timezone, paused: true })
  return pattern.nextRun(after) ?? undefined
}

function checkCron(cron: unknown, timezone: string, now: Date): string | undefined {
  if (typeof cron !== 'string' || cron.trim() === '') return 'must be a cron expression'
  try {
    return nextCronRun(cron, timezone, now) === undefined ? `'${cron}' never comes due` : undefined
  } catch (error) {
    return `'${cron}' is not a valid cron expression: ${describeError(error)}`
  }
}

/** Whether two JSON values are the same, ignoring key order (PostgreSQL's jsonb reorders keys). */
export function sameJson(left: unknown, right: unknown): boolean {
  return canonicalJson(left) === canonicalJson(right)
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value ?? null, (_key, item: unknown) => {
    if (item && typeof item === 'object' && !Array.isArray(item)) {
      return Object.fromEntries(Object.entries(item as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    }
    return item
  })
}

function isIsoTime(value: unknown): boolean {
  // A zone designator is required: without one, Date.parse reads the time in the host's zone.
  return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}.*(Z|[+-]\d{2}:?\d{2})$/.test(value) && Number.isFinite(Date.parse(value))
}

function isJsonValue(value: unknown): boolean {
  try {
    JSON.stringify(value ?? null)
    return true
  } catch {
    return false
  }
}
