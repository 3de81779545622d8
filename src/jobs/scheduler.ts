import type { Audit } from '../audit/index.js'
import type { Db } from '../db/connect.js'
import type { Actor } from '../shared/actor.js'
import type { Clock } from '../shared/clock.js'
import { AppError, notFound } from '../shared/errors.js'
import {
  canonicalTimezone,
  checkScheduleInput,
  describeError,
  nextCronRun,
  sameJson,
  scheduledJobKey,
  type JobLogger,
  type Schedule,
  type ScheduleInput,
} from './model.js'
import { enqueueJob } from './queue.js'
import * as store from './store/schedules.js'

export interface SchedulerDeps {
  db: Db
  clock: Clock
  audit: Audit
  logger: JobLogger
}

/** How many due schedules one tick handles; the rest wait for the next tick. */
const tickBatchSize = 100

export type Scheduler = ReturnType<typeof createScheduler>

/** Recurring jobs: keeping the schedules, and the tick that turns due ones into jobs. */
export function createScheduler({ db, clock, audit, logger }: SchedulerDeps) {
  /**
   * Create or change the schedule with this name. Saving what is already there writes
   * nothing, so a process may declare its schedules at every start. The next due time is kept
   * while the cron expression and time zone stay the same, so a change of payload does not
   * skip a run.
   */
  async function schedule(actor: Actor, input: ScheduleInput): Promise<Schedule> {
    const now = clock.now()
    const problems = checkScheduleInput(input, now)
    if (problems.length > 0) {
      throw new AppError('invalid', `invalid schedule: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`, { problems })
    }
    const timezone = canonicalTimezone(input.timezone ?? 'UTC') ?? 'UTC'
    const payload = input.payload ?? null
    return db.transaction().execute(async (trx) => {
      const existing = await store.findSchedule(trx, input.name, { lock: true })
      const sameTiming = existing !== undefined && existing.cron === input.cron && existing.timezone === timezone
      if (existing && sameTiming && existing.type === input.type && sameJson(existing.payload, payload)) return existing
      const nextRunAt = sameTiming ? existing.nextRunAt : nextCronRun(input.cron, timezone, now)?.toISOString()
      if (nextRunAt === undefined) throw new Error(`cron '${input.cron}' passed validation but never comes due`)
      const saved = await store.saveSchedule(trx, {
        name: input.name,
        type: input.type,
        payload,
        cron: input.cron,
        timezone,
        nextRunAt,
        lastRunAt: existing?.lastRunAt ?? null,
        // A schedule paused because its old cron expression ran out fires again on a new one.
        pausedAt: sameTiming ? existing.pausedAt : null,
        createdAt: existing?.createdAt ?? now.toISOString(),
        updatedAt: now.toISOString(),
      })
      await audit.record(trx, actor, {
        action: existing ? 'job_schedule.updated' : 'job_schedule.created',
        targetType: 'job_schedule',
        targetId: saved.name,
        details: { type: saved.type, cron: saved.cron, timezone: saved.timezone },
      })
      return saved
    })
  }

  async function listSchedules(): Promise<Schedule[]> {
    return store.listSchedules(db)
  }

  async function removeSchedule(actor: Actor, name: string): Promise<void> {
    await db.transaction().execute(async (trx) => {
      const existing = await store.findSchedule(trx, name, { lock: true })
      if (!existing || !(await store.deleteSchedule(trx, name))) throw notFound('job schedule', name)
      await audit.record(trx, actor, {
        action: 'job_schedule.removed',
        targetType: 'job_schedule',
        targetId: name,
        details: { type: existing.type, cron: existing.cron, timezone: existing.timezone },
      })
    })
  }

  /**
   * Enqueue one job for each due schedule and move the schedule to its next time after now.
   * Runs missed while no worker ticked are not caught up one by one: the oldest due time is
   * enqueued once. The job's key names the schedule and due time, so workers ticking at the
   * same moment enqueue it once. Returns how many schedules fired.
   */
  async function tick(): Promise<number> {
    const now = clock.now()
    const nowIso = now.toISOString()
    if (!(await store.hasDueSchedule(db, nowIso))) return 0
    const fired: Array<{ schedule: string; jobId: string; dueAt: string; nextRunAt: string | null }> = []
    await db.transaction().execute(async (trx) => {
      const due = await store.listDueSchedules(trx, nowIso, tickBatchSize)
      for (const schedule of due) {
        let next: Date | undefined
        try {
          next = nextCronRun(schedule.cron, schedule.timezone, now)
        } catch (error) {
          // Only a row edited by hand gets here (schedule() validates): stop it rather than fail every tick.
          logger.error({ schedule: schedule.name, cron: schedule.cron, error: describeError(error) }, 'job schedule has an invalid cron expression; pausing it')
          await store.advanceSchedule(trx, schedule.name, { nextRunAt: schedule.nextRunAt, lastRunAt: schedule.lastRunAt, pausedAt: nowIso, now: nowIso })
          continue
        }
        const job = await enqueueJob(trx, clock, {
          type: schedule.type,
          payload: schedule.payload,
          runAt: schedule.nextRunAt,
          key: scheduledJobKey(schedule.name, schedule.nextRunAt),
        })
        await store.advanceSchedule(trx, schedule.name, {
          nextRunAt: next?.toISOString() ?? schedule.nextRunAt,
          lastRunAt: schedule.nextRunAt,
          pausedAt: next === undefined ? nowIso : null,
          now: nowIso,
        })
        fired.push({ schedule: schedule.name, jobId: job.id, dueAt: schedule.nextRunAt, nextRunAt: next?.toISOString() ?? null })
      }
    })
    for (const details of fired) logger.info(details, 'job schedule fired')
    return fired.length
  }

  return { schedule, listSchedules, removeSchedule, tick }
}
