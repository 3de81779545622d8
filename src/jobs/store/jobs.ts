import { randomUUID } from 'node:crypto'
import { sql, type Selectable } from 'kysely'
import { dialectOf, type Db } from '../../db/connect.js'
import { fromJson, toIso, toIsoOrNull, toJson, toNumber } from '../../db/mappers.js'
import type { JobsTable } from '../../db/schema.js'
import { isJobStatus, type Job, type JobStatus } from '../model.js'

/**
 * The queue's SQL (table jobs).
 * Times are compared as ISO text parameters, which order as time on SQLite (ISO text columns)
 * and are read as timestamptz on PostgreSQL.
 */

/** A job as its worker holds it: the lease token proves the lease is still this claim's. */
export interface ClaimedJob {
  job: Job
  leaseToken: string
}

export interface NewJob {
  id: string
  type: string
  payload: unknown
  key: string | null
  priority: number
  runAt: string
  maxAttempts: number
  now: string
}

/** Insert a queued job, or do nothing if its key is taken (undefined). */
export async function insertJob(db: Db, job: NewJob): Promise<Job | undefined> {
  const row = await db
    .insertInto('jobs')
    .values({
      id: job.id,
      type: job.type,
      payload: toJson(job.payload),
      status: 'queued',
      key: job.key,
      priority: job.priority,
      run_at: job.runAt,
      attempts: 0,
      max_attempts: job.maxAttempts,
      created_at: job.now,
      updated_at: job.now,
    })
    .onConflict((conflict) => conflict.column('key').doNothing())
    .returningAll()
    .executeTakeFirst()
  return row && toJob(row)
}

/** The job, locked for the rest of the transaction on PostgreSQL when `lock` is set. */
export async function findJob(db: Db, id: string, options: { lock?: boolean } = {}): Promise<Job | undefined> {
  let query = db.selectFrom('jobs').selectAll().where('id', '=', id)
  if (options.lock && dialectOf(db) === 'postgres') query = query.forUpdate()
  const row = await query.executeTakeFirst()
  return row && toJob(row)
}

export async function findJobByKey(db: Db, key: string): Promise<Job | undefined> {
  const row = await db.selectFrom('jobs').selectAll().where('key', '=', key).executeTakeFirst()
  return row && toJob(row)
}

export interface JobQuery {
  status?: JobStatus | undefined
  type?: string | undefined
  /** Newest first: jobs with ids below this one (ids are UUIDv7, ordered by creation). */
  beforeId?: string | undefined
  limit: number
}

export async function listJobs(db: Db, query: JobQuery): Promise<Job[]> {
  let select = db.selectFrom('jobs').selectAll().orderBy('id', 'desc').limit(query.limit)
  if (query.status) select = select.where('status', '=', query.status)
  if (query.type) select = select.where('type', '=', query.type)
  if (query.beforeId) select = select.where('id', '<', query.beforeId)
  const rows = await select.execute()
  return rows.map((row) => toJob(row))
}

export async function countJobsByStatus(db: Db): Promise<Array<{ status: string; count: number }>> {
  const rows = await db
    .selectFrom('jobs')
    .select(['status', (eb) => eb.fn.countAll<number | string>().as('count')])
    .groupBy('status')
    .execute()
  return rows.map((row) => ({ status: row.status, count: toNumber(row.count) }))
}

/** Put a dead job back in the queue with its attempts reset. Undefined if it is not dead. */
export async function requeueDeadJob(db: Db, id: string, now: string): Promise<Job | undefined> {
  const row = await db
    .updateTable('jobs')
    .set({ status: 'queued', attempts: 0, run_at: now, finished_at: null, updated_at: now })
    .where('id', '=', id)
    .where('status', '=', 'dead')
    .returningAll()
    .executeTakeFirst()
  return row && toJob(row)
}

export interface ClaimRequest {
  workerId: string
  limit: number
  now: string
  leaseUntil: string
}

/**
 * Lease up to `limit` due jobs (queued, run_at reached), highest priority first, then oldest.
 * Call inside a transaction. PostgreSQL locks the chosen rows with SKIP LOCKED so concurrent
 * workers take different jobs without waiting on each other; SQLite's transactions begin
 * IMMEDIATE, so there the select and the update are already serialised across processes.
 */
export async function claimDueJobs(db: Db, request: ClaimRequest): Promise<ClaimedJob[]> {
  const dialect = dialectOf(db)
  const due = db
    .selectFrom('jobs')
    .select('id')
    .where('status', '=', 'queued')
    .where('run_at', '<=', request.now)
    .orderBy('priority', 'desc')
    .orderBy('run_at')
    .orderBy('id')
    .limit(request.limit)
  let rows: Array<Selectable<JobsTable>>
  if (dialect === 'postgres') {
    rows = await db
      .updateTable('jobs')
      .set((eb) => ({
        status: 'running',
        attempts: eb('attempts', '+', 1),
        lease_owner: request.workerId,
        // One UPDATE leases many rows, and each lease needs its own token: generate it per row.
        lease_token: sql<string>`gen_random_uuid()::text`,
        lease_until: request.leaseUntil,
        updated_at: request.now,
      }))
      .where('id', 'in', due.forUpdate().skipLocked())
      .returningAll()
      .execute()
  } else {
    rows = []
    for (const { id } of await due.execute()) {
      const row = await db
        .updateTable('jobs')
        .set((eb) => ({
          status: 'running',
          attempts: eb('attempts', '+', 1),
          lease_owner: request.workerId,
          lease_token: randomUUID(),
          lease_until: request.leaseUntil,
          updated_at: request.now,
        }))
        .where('id', '=', id)
        .where('status', '=', 'queued')
        .returningAll()
        .executeTakeFirst()
      if (row) rows.push(row)
    }
  }
  // RETURNING does not keep the subquery's order.
  return rows.map((row) => toClaimedJob(row)).sort((a, b) => compareDue(a.job, b.job))
}

/** Whether any running job's lease has run out: a cheap check before a write transaction. */
export async function hasExpiredLease(db: Db, now: string): Promise<boolean> {
  const row = await db
    .selectFrom('jobs')
    .select('id')
    .where('status', '=', 'running')
    .where('lease_until', '<', now)
    .limit(1)
    .executeTakeFirst()
  return row !== undefined
}

/** Running jobs whose lease ran out, locked (skipping rows other workers hold) on PostgreSQL. */
export async function listExpiredLeases(db: Db, now: string, limit: number): Promise<ClaimedJob[]> {
  let query = db
    .selectFrom('jobs')
    .selectAll()
    .where('status', '=', 'running')
    .where('lease_until', '<', now)
    .orderBy('lease_until')
    .limit(limit)
  const dialect = dialectOf(db)
  if (dialect === 'postgres') query = query.forUpdate().skipLocked()
  const rows = await query.execute()
  return rows.map((row) => toClaimedJob(row))
}

export interface LeaseRef {
  id: string
  leaseToken: string
}

/** Extend a lease; false if the lease is no longer this claim's. */
export async function renewLease(db: Db, lease: LeaseRef, leaseUntil: string, now: string): Promise<boolean> {
  const result = await db
    .updateTable('jobs')
    .set({ lease_until: leaseUntil, updated_at: now })
    .where('id', '=', lease.id)
    .where('lease_token', '=', lease.leaseToken)
    .where('status', '=', 'running')
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

/** Mark a job succeeded; false (nothing written) if the lease is no longer this claim's. */
export async function completeJob(db: Db, lease: LeaseRef, now: string): Promise<boolean> {
  const result = await db
    .updateTable('jobs')
    .set({ status: 'succeeded', finished_at: now, updated_at: now, lease_owner: null, lease_token: null, lease_until: null })
    .where('id', '=', lease.id)
    .where('lease_token', '=', lease.leaseToken)
    .where('status', '=', 'running')
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

export interface Release {
  status: 'queued' | 'dead'
  /** When a queued job may run again. */
  runAt?: string
  lastError: string
  now: string
}

/**
 * End a lease without success: back to the queue (at `runAt`) or dead. False (nothing written)
 * if the lease is no longer this claim's.
 */
export async function releaseJob(db: Db, lease: LeaseRef, release: Release): Promise<boolean> {
  let update = db
    .updateTable('jobs')
    .set({
      status: release.status,
      last_error: release.lastError,
      updated_at: release.now,
      lease_owner: null,
      lease_token: null,
      lease_until: null,
      finished_at: release.status === 'dead' ? release.now : null,
    })
    .where('id', '=', lease.id)
    .where('lease_token', '=', lease.leaseToken)
    .where('status', '=', 'running')
  if (release.runAt !== undefined) update = update.set({ run_at: release.runAt })
  const result = await update.executeTakeFirst()
  return result.numUpdatedRows > 0n
}

function compareDue(a: Job, b: Job): number {
  if (a.priority !== b.priority) return b.priority - a.priority
  if (a.runAt !== b.runAt) return a.runAt < b.runAt ? -1 : 1
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

function toClaimedJob(row: Selectable<JobsTable>): ClaimedJob {
  if (row.lease_token === null) throw new Error(`claimed job ${row.id} has no lease token`)
  return { job: toJob(row), leaseToken: row.lease_token }
}

function toJob(row: Selectable<JobsTable>): Job {
  if (!isJobStatus(row.status)) throw new Error(`job ${row.id} has unknown status '${row.status}'`)
  return {
    id: row.id,
    type: row.type,
    payload: fromJson(row.payload),
    status: row.status,
    key: row.key,
    priority: toNumber(row.priority),
    runAt: toIso(row.run_at),
    attempts: toNumber(row.attempts),
    maxAttempts: toNumber(row.max_attempts),
    leaseOwner: row.lease_owner,
    leaseUntil: toIsoOrNull(row.lease_until),
    lastError: row.last_error,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
    finishedAt: toIsoOrNull(row.finished_at),
  }
}
