import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { performance } from 'node:perf_hooks'
import type { Db } from '../db/connect.js'
import type { Clock } from '../shared/clock.js'
import { AppError, type FieldProblem } from '../shared/errors.js'
import {
  backoffDelayMs,
  defaultBackoff,
  describeError,
  expiredLeaseOutcome,
  type BackoffPolicy,
  type Job,
  type JobCommit,
  type JobHandler,
  type JobLogger,
} from './model.js'
import * as store from './store/jobs.js'

export interface WorkerOptions {
  /** The handler for each job type. A claimed job of any other type fails its attempt. */
  handlers: Record<string, JobHandler>
  /** Most jobs run at once. Default 1. */
  concurrency?: number
  /** How long an idle worker waits before looking for due jobs again. Default 500. */
  pollIntervalMs?: number
  /** How long a claim lasts without renewal; renewed every third of it. Default 30 000. */
  leaseMs?: number
  /** Written to jobs.lease_owner. Default host:pid:random. */
  workerId?: string
  /** When failed jobs are tried again. Default 2 s doubling to 1 h, ±20 %. */
  backoff?: Partial<BackoffPolicy>
}

/**
 * A loop that claims due jobs, runs their handlers and records the outcome, and ticks the
 * recurring schedules. Any number of workers, in any number of processes, may share a database.
 */
export interface Worker {
  start(): void
  /**
   * Stop claiming jobs and wait for the running ones to finish. After `timeoutMs` it stops
   * waiting: running handlers are aborted through their signal and their outcomes are not
   * recorded, so their leases run out and another worker runs them again.
   */
  stop(options?: { timeoutMs?: number }): Promise<void>
  readonly id: string
}

export interface WorkerDeps {
  db: Db
  clock: Clock
  logger: JobLogger
  /** Enqueue the jobs of due schedules; called on every poll. */
  tickSchedules: () => Promise<number>
}

interface RunningJob {
  lease: store.LeaseRef
  controller: AbortController
  renewal: NodeJS.Timeout
  renewing: boolean
  /** Set when stop() gave up waiting: the outcome is no longer written. */
  abandoned: boolean
  /** Settles when the job's outcome is written (never rejects). */
  done: Promise<void>
}

/** How many expired leases one poll recovers. */
const recoverBatchSize = 100

export function createWorker({ db, clock, logger, tickSchedules }: WorkerDeps, options: WorkerOptions): Worker {
  const settings = checkWorkerOptions(options)
  const { handlers, concurrency, pollIntervalMs, leaseMs, backoff } = settings
  const id = options.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
  // Keyed by lease token, not job id: a job whose lease this worker lost (say, to an event loop
  // stall) may be claimed by it again while the first run is still winding down.
  const active = new Map<string, RunningJob>()
  let state: 'new' | 'running' | 'stopping' | 'stopped' = 'new'
  let timer: NodeJS.Timeout | undefined
  let polling: Promise<void> | undefined
  let pollAgain = false
  let stopping: Promise<void> | undefined

  function start(): void {
    if (state === 'running') return
    if (state !== 'new') throw new Error(`worker ${id} was stopped and cannot be started again`)
    state = 'running'
    logger.info({ workerId: id, concurrency, types: Object.keys(handlers) }, 'job worker started')
    wake()
  }

  function stop(stopOptions: { timeoutMs?: number } = {}): Promise<void> {
    stopping ??= shutdown(stopOptions.timeoutMs)
    return stopping
  }

  async function shutdown(timeoutMs: number | undefined): Promise<void> {
    state = 'stopping'
    clearTimeout(timer)
    timer = undefined
    // A poll in progress may still claim jobs; they are run and waited for like the others.
    await polling
    const finished = Promise.all([...active.values()].map((running) => running.done))
    if (timeoutMs === undefined) {
      await finished
    } else {
      let deadline: NodeJS.Timeout | undefined
      const timedOut = await Promise.race([
        finished.then(() => false),
        new Promise<boolean>((resolve) => (deadline = setTimeout(() => resolve(true), timeoutMs))),
      ])
      clearTimeout(deadline)
      if (timedOut) abandonRunningJobs()
    }
    state = 'stopped'
    logger.info({ workerId: id }, 'job worker stopped')
  }

  function abandonRunningJobs(): void {
    const jobIds = [...active.values()].map((running) => running.lease.id)
    for (const running of active.values()) {
      running.abandoned = true
      clearInterval(running.renewal)
      running.controller.abort(new Error(`worker ${id} stopped before the job finished`))
    }
    logger.warn({ workerId: id, jobIds }, 'job worker stopped with jobs still running; their leases will run out and they will run again')
  }

  /** Poll as soon as possible (after the poll in progress, if there is one). */
  function wake(): void {
    if (state !== 'running') return
    if (polling) {
      pollAgain = true
      return
    }
    schedulePoll(0)
  }

  function schedulePoll(delayMs: number): void {
    clearTimeout(timer)
    timer = setTimeout(runPoll, delayMs)
  }

  function runPoll(): void {
    timer = undefined
    if (state !== 'running' || polling) return
    pollAgain = false
    polling = poll().then(() => {
      polling = undefined
      // A slot freed while polling: look again now. Otherwise a finishing job wakes the loop.
      if (state === 'running') schedulePoll(pollAgain ? 0 : pollIntervalMs)
    })
  }

  async function poll(): Promise<void> {
    await attempt('ticking job schedules', tickSchedules)
    await attempt('recovering expired job leases', recoverExpiredLeases)
    const free = concurrency - active.size
    if (free <= 0) return
    const claimed = (await attempt('claiming jobs', () => claim(free))) ?? []
    for (const job of claimed) launch(job)
  }

  async function attempt<T>(what: string, action: () => Promise<T>): Promise<T | undefined> {
    try {
      return await action()
    } catch (error) {
      logger.error({ workerId: id, err: error }, `job worker failed ${what}`)
      return undefined
    }
  }

  async function claim(limit: number): Promise<store.ClaimedJob[]> {
    const now = clock.now()
    return db.transaction().execute((trx) =>
      store.claimDueJobs(trx, {
        workerId: id,
        limit,
        now: now.toISOString(),
        leaseUntil: new Date(now.getTime() + leaseMs).toISOString(),
      }),
    )
  }

  /** Jobs whose worker stopped renewing go back to the queue, or die if that was their last attempt. */
  async function recoverExpiredLeases(): Promise<void> {
    const now = clock.now().toISOString()
    if (!(await store.hasExpiredLease(db, now))) return
    const recovered = await db.transaction().execute(async (trx) => {
      const released: Array<{ job: Job; status: 'queued' | 'dead'; lastError: string }> = []
      for (const { job, leaseToken } of await store.listExpiredLeases(trx, now, recoverBatchSize)) {
        const outcome = expiredLeaseOutcome(job)
        if (await store.releaseJob(trx, { id: job.id, leaseToken }, { ...outcome, now })) released.push({ job, ...outcome })
      }
      return released
    })
    for (const { job, status, lastError } of recovered) {
      const details = { workerId: id, jobId: job.id, type: job.type, attempt: job.attempts, maxAttempts: job.maxAttempts, error: lastError }
      if (status === 'dead') logger.error(details, 'job lease expired on its last attempt; it is dead')
      else logger.warn(details, 'job lease expired; it will run again')
    }
  }

  function launch({ job, leaseToken }: store.ClaimedJob): void {
    const running: RunningJob = {
      lease: { id: job.id, leaseToken },
      controller: new AbortController(),
      renewal: setInterval(() => void renew(job, running), Math.max(1, Math.floor(leaseMs / 3))),
      renewing: false,
      abandoned: false,
      done: Promise.resolve(),
    }
    active.set(leaseToken, running)
    running.done = execute(job, running)
      .catch((error: unknown) => logger.error({ workerId: id, jobId: job.id, err: error }, 'job worker failed running a job'))
      .finally(() => {
        clearInterval(running.renewal)
        active.delete(leaseToken)
        wake()
      })
  }

  async function renew(job: Job, running: RunningJob): Promise<void> {
    if (running.renewing || running.controller.signal.aborted) return
    running.renewing = true
    try {
      const now = clock.now()
      const held = await store.renewLease(db, running.lease, new Date(now.getTime() + leaseMs).toISOString(), now.toISOString())
      if (!held) {
        clearInterval(running.renewal)
        logger.warn({ workerId: id, jobId: job.id, type: job.type }, 'job lease was lost (it expired and was taken back); aborting the handler')
        running.controller.abort(new Error(`the lease on job ${job.id} was lost`))
      }
    } catch (error) {
      logger.warn({ workerId: id, jobId: job.id, err: error }, 'could not renew a job lease; trying again')
    } finally {
      running.renewing = false
    }
  }

  async function execute(job: Job, running: RunningJob): Promise<void> {
    const startedAt = performance.now()
    const handler = Object.hasOwn(handlers, job.type) ? handlers[job.type] : undefined
    let outcome: { ok: true; commit: JobCommit | undefined } | { ok: false; error: unknown }
    if (handler === undefined) {
      outcome = { ok: false, error: new Error(`no handler for job type '${job.type}' on worker ${id}`) }
    } else {
      try {
        const result = await handler(job, { signal: running.controller.signal, workerId: id })
        outcome = { ok: true, commit: typeof result === 'function' ? result : undefined }
      } catch (error) {
        outcome = { ok: false, error }
      }
    }
    if (running.abandoned) return
    const details = { workerId: id, jobId: job.id, type: job.type, attempt: job.attempts, durationMs: Math.round(performance.now() - startedAt) }
    if (outcome.ok) {
      try {
        const committed = await complete(running.lease, outcome.commit)
        if (committed) logger.info(details, 'job succeeded')
        else logger.warn(details, 'job finished after its lease was lost; its result was discarded')
        return
      } catch (error) {
        // The JobCommit (or the write) failed, so the transaction rolled back: a failed attempt.
        outcome = { ok: false, error }
      }
    }
    await fail(job, running.lease, outcome.error, details)
  }

  /**
   * Mark the job succeeded and run its commit in one transaction, only while the lease is still
   * this claim's: a job whose lease went to another worker never commits its effects.
   */
  async function complete(lease: store.LeaseRef, commit: JobCommit | undefined): Promise<boolean> {
    return db.transaction().execute(async (trx) => {
      if (!(await store.completeJob(trx, lease, clock.now().toISOString()))) return false
      if (commit) await commit(trx)
      return true
    })
  }

  async function fail(job: Job, lease: store.LeaseRef, error: unknown, details: object): Promise<void> {
    const now = clock.now()
    const lastError = describeError(error)
    const again = job.attempts < job.maxAttempts
    const runAt = again ? new Date(now.getTime() + backoffDelayMs(job.attempts, backoff, Math.random)).toISOString() : undefined
    try {
      const released = await store.releaseJob(db, lease, { status: again ? 'queued' : 'dead', runAt, lastError, now: now.toISOString() })
      if (!released) logger.warn({ ...details, error: lastError }, 'job failed after its lease was lost')
      else if (again) logger.warn({ ...details, maxAttempts: job.maxAttempts, runAt, error: lastError }, 'job failed; it will run again')
      else logger.error({ ...details, maxAttempts: job.maxAttempts, error: lastError }, 'job failed on its last attempt; it is dead')
    } catch (writeError) {
      // The lease runs out and the job runs again.
      logger.error({ ...details, err: writeError, error: lastError }, 'could not record a failed job attempt')
    }
  }

  return {
    start,
    stop,
    get id() {
      return id
    },
  }
}

interface WorkerSettings {
  handlers: Record<string, JobHandler>
  concurrency: number
  pollIntervalMs: number
  leaseMs: number
  backoff: BackoffPolicy
}

function checkWorkerOptions(options: WorkerOptions): WorkerSettings {
  const settings: WorkerSettings = {
    handlers: options.handlers,
    concurrency: options.concurrency ?? 1,
    pollIntervalMs: options.pollIntervalMs ?? 500,
    leaseMs: options.leaseMs ?? 30_000,
    backoff: { ...defaultBackoff, ...options.backoff },
  }
  const problems: FieldProblem[] = []
  if (typeof settings.handlers !== 'object' || settings.handlers === null) problems.push({ field: 'handlers', message: 'must map job types to handlers' })
  if (!Number.isInteger(settings.concurrency) || settings.concurrency < 1) problems.push({ field: 'concurrency', message: 'must be an integer, 1 or more' })
  if (!(settings.pollIntervalMs >= 1)) problems.push({ field: 'pollIntervalMs', message: 'must be 1 or more' })
  if (!(settings.leaseMs >= 100)) problems.push({ field: 'leaseMs', message: 'must be 100 or more' })
  const { baseMs, maxMs, jitter } = settings.backoff
  if (!(baseMs >= 0 && maxMs >= baseMs && jitter >= 0 && jitter <= 1)) {
    problems.push({ field: 'backoff', message: 'needs 0 ≤ baseMs ≤ maxMs and jitter from 0 to 1' })
  }
  if (options.workerId !== undefined && options.workerId === '') problems.push({ field: 'workerId', message: 'must be a non-empty string' })
  if (problems.length > 0) {
    throw new AppError('invalid', `invalid worker options: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`, { problems })
  }
  return settings
}
