import type { Selectable } from 'kysely'
import { dialectOf, type Db } from '../../db/connect.js'
import { fromJson, toIso, toIsoOrNull, toJson } from '../../db/mappers.js'
import type { JobSchedulesTable } from '../../db/schema.js'
import type { Schedule } from '../model.js'

/** Recurring schedules' SQL (table job_schedules). */

export async function findSchedule(db: Db, name: string, options: { lock?: boolean } = {}): Promise<Schedule | undefined> {
  let query = db.selectFrom('job_schedules').selectAll().where('name', '=', name)
  if (options.lock && dialectOf(db) === 'postgres') query = query.forUpdate()
  const row = await query.executeTakeFirst()
  return row && toSchedule(row)
}

export async function listSchedules(db: Db): Promise<Schedule[]> {
  const rows = await db.selectFrom('job_schedules').selectAll().orderBy('name').execute()
  return rows.map((row) => toSchedule(row))
}

/** Insert a schedule, or replace what it runs and when if the name exists (its lastRunAt is kept). */
export async function saveSchedule(db: Db, schedule: Schedule): Promise<Schedule> {
  const changes = {
    type: schedule.type,
    payload: toJson(schedule.payload),
    cron: schedule.cron,
    timezone: schedule.timezone,
    next_run_at: schedule.nextRunAt,
    paused_at: schedule.pausedAt,
    updated_at: schedule.updatedAt,
  }
  const row = await db
    .insertInto('job_schedules')
    .values({ ...changes, name: schedule.name, last_run_at: schedule.lastRunAt, created_at: schedule.createdAt })
    .onConflict((conflict) => conflict.column('name').doUpdateSet(changes))
    .returningAll()
    .executeTakeFirstOrThrow()
  return toSchedule(row)
}

export async function deleteSchedule(db: Db, name: string): Promise<boolean> {
  const result = await db.deleteFrom('job_schedules').where('name', '=', name).executeTakeFirst()
  return result.numDeletedRows > 0n
}

/** Whether any schedule is due: a cheap check before a write transaction. */
export async function hasDueSchedule(db: Db, now: string): Promise<boolean> {
  const row = await dueSchedules(db, now).select('name').limit(1).executeTakeFirst()
  return row !== undefined
}

/** Due schedules, locked (skipping rows another worker is ticking) on PostgreSQL. */
export async function listDueSchedules(db: Db, now: string, limit: number): Promise<Schedule[]> {
  let query = dueSchedules(db, now).selectAll().orderBy('next_run_at').orderBy('name').limit(limit)
  const dialect = dialectOf(db)
  if (dialect === 'postgres') query = query.forUpdate().skipLocked()
  const rows = await query.execute()
  return rows.map((row) => toSchedule(row))
}

export interface ScheduleAdvance {
  nextRunAt: string
  lastRunAt: string | null
  /** Set when the cron expression has no further times. */
  pausedAt: string | null
  now: string
}

export async function advanceSchedule(db: Db, name: string, advance: ScheduleAdvance): Promise<void> {
  await db
    .updateTable('job_schedules')
    .set({ next_run_at: advance.nextRunAt, last_run_at: advance.lastRunAt, paused_at: advance.pausedAt, updated_at: advance.now })
    .where('name', '=', name)
    .execute()
}

function dueSchedules(db: Db, now: string) {
  return db.selectFrom('job_schedules').where('next_run_at', '<=', now).where('paused_at', 'is', null)
}

function toSchedule(row: Selectable<JobSchedulesTable>): Schedule {
  return {
    name: row.name,
    type: row.type,
    payload: fromJson(row.payload),
    cron: row.cron,
    timezone: row.timezone,
    nextRunAt: toIso(row.next_run_at),
    lastRunAt: toIsoOrNull(row.last_run_at),
    pausedAt: toIsoOrNull(row.paused_at),
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  }
}
