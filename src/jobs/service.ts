import type { Audit } from '../audit/index.js'
import type { Db } from '../db/connect.js'
import type { Actor } from '../shared/actor.js'
import type { Clock } from '../shared/clock.js'
import type { Page } from '../shared/pagination.js'
import { silentLogger, type EnqueueInput, type Job, type JobListQuery, type JobLogger, type JobStatus, type Schedule, type ScheduleInput } from './model.js'
import { createQueue } from './queue.js'
import { createScheduler } from './scheduler.js'
import { createWorker, type Worker, type WorkerOptions } from './worker.js'

export interface JobsDeps {
  db: Db
  clock: Clock
  audit: Audit
  /** Where workers report outcomes; silent when not given. */
  logger?: JobLogger
}

/** The jobs module's use-cases: the queue, recurring schedules, and workers that run both. */
export interface Jobs {
  /**
   * Add a job. With `trx`, it is written in the caller's transaction and exists only if that
   * commits (an outbox). A second enqueue with the same `key` returns the first job, whatever
   * its status: keys are never reused.
   */
  enqueue(input: EnqueueInput, trx?: Db): Promise<Job>
  /** Throws AppError('not_found'). */
  get(id: string): Promise<Job>
  /** Newest first, a page at a time. */
  list(query: JobListQuery): Promise<Page<Job>>
  /** Send a dead job back to the queue with its attempts reset (audited); AppError('conflict') if it is not dead. */
  retry(actor: Actor, id: string): Promise<Job>
  /** Create or change a recurring job, by name (audited); AppError('invalid') names a bad cron or timezone. */
  schedule(actor: Actor, input: ScheduleInput): Promise<Schedule>
  listSchedules(): Promise<Schedule[]>
  /** Throws AppError('not_found'). Audited. */
  removeSchedule(actor: Actor, name: string): Promise<void>
  counts(): Promise<Record<JobStatus, number>>
  /** A worker that runs jobs with these handlers and ticks the schedules. Call start() to begin. */
  createWorker(options: WorkerOptions): Worker
}

export function createJobs({ db, clock, audit, logger = silentLogger }: JobsDeps): Jobs {
  const queue = createQueue({ db, clock, audit })
  const scheduler = createScheduler({ db, clock, audit, logger })
  return {
    enqueue: queue.enqueue,
    get: queue.get,
    list: queue.list,
    retry: queue.retry,
    counts: queue.counts,
    schedule: scheduler.schedule,
    listSchedules: scheduler.listSchedules,
    removeSchedule: scheduler.removeSchedule,
    createWorker: (options) => createWorker({ db, clock, logger, tickSchedules: scheduler.tick }, options),
  }
}
