import type { Audit } from '../audit/index.js'
import type { Db } from '../db/connect.js'
import type { Actor } from '../shared/actor.js'
import type { Clock } from '../shared/clock.js'
import { AppError, notFound } from '../shared/errors.js'
import { newId } from '../shared/ids.js'
import { decodeCursor, defaultPageSize, maxPageSize, toPage, type Page } from '../shared/pagination.js'
import { checkEnqueueInput, defaultMaxAttempts, isJobStatus, jobStatuses, type EnqueueInput, type Job, type JobListQuery, type JobStatus } from './model.js'
import * as store from './store/jobs.js'

export interface QueueDeps {
  db: Db
  clock: Clock
  audit: Audit
}

/** The queue's use-cases: putting jobs in, looking at them, and sending dead ones back. */
export function createQueue({ db, clock, audit }: QueueDeps) {
  /**
   * Add a job, in the caller's transaction when `trx` is given (it then exists only if that
   * transaction commits). A job with the same `key` is returned instead of adding another.
   */
  async function enqueue(input: EnqueueInput, trx?: Db): Promise<Job> {
    return enqueueJob(trx ?? db, clock, input)
  }

  async function get(id: string): Promise<Job> {
    const job = await store.findJob(db, id)
    if (!job) throw notFound('job', id)
    return job
  }

  /** Jobs newest first, a page at a time. */
  async function list(query: JobListQuery = {}): Promise<Page<Job>> {
    const limit = query.limit ?? defaultPageSize
    if (!Number.isInteger(limit) || limit < 1 || limit > maxPageSize) {
      throw new AppError('invalid', `limit must be an integer from 1 to ${maxPageSize}`, {
        problems: [{ field: 'limit', message: `must be an integer from 1 to ${maxPageSize}` }],
      })
    }
    if (query.status !== undefined && !isJobStatus(query.status)) {
      throw new AppError('invalid', `status must be one of ${jobStatuses.join(', ')}`, {
        problems: [{ field: 'status', message: `must be one of ${jobStatuses.join(', ')}` }],
      })
    }
    const beforeId = query.cursor ? decodeCursor(query.cursor, 1)[0] : undefined
    const rows = await store.listJobs(db, { status: query.status, type: query.type, beforeId, limit: limit + 1 })
    return toPage(rows, limit, (job) => [job.id])
  }

  /** Send a dead job back to the queue, due now, with its attempts reset. */
  async function retry(actor: Actor, id: string): Promise<Job> {
    return db.transaction().execute(async (trx) => {
      const job = await store.findJob(trx, id, { lock: true })
      if (!job) throw notFound('job', id)
      if (job.status !== 'dead') throw new AppError('conflict', `job ${id} is ${job.status}: only a dead job can be retried`)
      const requeued = await store.requeueDeadJob(trx, id, clock.now().toISOString())
      if (!requeued) throw new Error(`job ${id} was dead under lock but could not be requeued`)
      await audit.record(trx, actor, {
        action: 'job.retried',
        targetType: 'job',
        targetId: id,
        details: { type: job.type, attempts: job.attempts, lastError: job.lastError },
      })
      return requeued
    })
  }

  /** How many jobs are in each status, every status present. */
  async function counts(): Promise<Record<JobStatus, number>> {
    const result: Record<JobStatus, number> = { queued: 0, running: 0, succeeded: 0, dead: 0 }
    for (const { status, count } of await store.countJobsByStatus(db)) {
      if (isJobStatus(status)) result[status] = count
    }
    return result
  }

  return { enqueue, get, list, retry, counts }
}

/** Validate and insert a job, or return the existing job with the same key. Shared with the scheduler. */
export async function enqueueJob(db: Db, clock: Clock, input: EnqueueInput): Promise<Job> {
  const problems = checkEnqueueInput(input)
  if (problems.length > 0) {
    throw new AppError('invalid', `invalid job: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`, { problems })
  }
  const now = clock.now()
  const runAt = input.runAt !== undefined ? new Date(input.runAt) : new Date(now.getTime() + (input.delayMs ?? 0))
  const inserted = await store.insertJob(db, {
    id: newId(),
    type: input.type,
    payload: input.payload ?? null,
    key: input.key ?? null,
    priority: input.priority ?? 0,
    // Normalised so that ISO text compares as time on SQLite.
    runAt: runAt.toISOString(),
    maxAttempts: input.maxAttempts ?? defaultMaxAttempts,
    now: now.toISOString(),
  })
  if (inserted) return inserted
  if (input.key === undefined) throw new Error('a job without a key was not inserted')
  const existing = await store.findJobByKey(db, input.key)
  if (!existing) throw new Error(`job key ${input.key} conflicted, but no job has it`)
  return existing
}
