import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { after, before, describe, it } from 'node:test'
import { sql } from 'kysely'
import { createAudit } from '../audit/index.js'
import type { Db } from '../db/connect.js'
import { openPostgresTestDatabase, postgresSkipReason, postgresTestUrl, type TestDatabase } from '../db/testing.js'
import { systemClock } from '../shared/clock.js'
import { createJobs } from './index.js'
import { sleep, waitFor } from './testing.js'

// Three worker processes share 1,000 jobs; one is SIGKILLed mid-run. The jobs it held must be
// run again by the others once its leases expire, and no job's commit may happen twice.

const fixture = fileURLToPath(new URL('./kill-worker.fixture.ts', import.meta.url))
const jobCount = 1000

interface WorkerProcess {
  id: string
  child: ChildProcess
  output: string[]
  exit: Promise<number | null>
}

function startWorkerProcess(id: string, databaseUrl: string): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    env: { ...process.env, CORDON_JOBS_FIXTURE_DATABASE_URL: databaseUrl, CORDON_JOBS_FIXTURE_WORKER_ID: id },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output: string[] = []
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()))
  const exit = once(child, 'exit').then(([code]) => code as number | null)
  return { id, child, output, exit }
}

/**
 * SIGKILL the victim once 150 jobs are done and it holds at least one. It is frozen (SIGSTOP)
 * first, so the jobs it holds can be read without a race against its own completions; a
 * commit it sent before freezing gets 50 ms to land. Returns the ids of the jobs it held.
 */
async function killWhileHoldingJobs(db: Db, victim: WorkerProcess): Promise<string[]> {
  for (;;) {
    await waitFor(async () => {
      const { rows } = await sql<{ succeeded: string; held: string }>`
        select count(*) filter (where status = 'succeeded') as succeeded,
               count(*) filter (where status = 'running' and lease_owner = ${victim.id}) as held
        from jobs`.execute(db)
      return Number(rows[0]?.succeeded) >= 150 && Number(rows[0]?.held) > 0
    }, 'some jobs to succeed while the victim holds some', 20_000)
    victim.child.kill('SIGSTOP')
    await sleep(50)
    const { rows } = await sql<{ id: string }>`select id from jobs where status = 'running' and lease_owner = ${victim.id}`.execute(db)
    if (rows.length > 0) {
      victim.child.kill('SIGKILL')
      await victim.exit
      return rows.map((row) => row.id)
    }
    victim.child.kill('SIGCONT')
  }
}

describe('job workers in separate processes (postgres)', { skip: postgresTestUrl ? false : postgresSkipReason }, () => {
  let database: TestDatabase
  let workers: WorkerProcess[] = []

  before(async () => {
    database = await openPostgresTestDatabase()
    await sql`create table job_test_runs (job_id text not null, worker text not null)`.execute(database.db)
  })
  after(async () => {
    for (const worker of workers) if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL')
    await Promise.all(workers.map((worker) => worker.exit))
    await database?.close()
  })

  it('completes every job exactly once when a worker is killed while holding jobs', { timeout: 60_000 }, async (context) => {
    const db = database.db
    const jobs = createJobs({ db, clock: systemClock, audit: createAudit({ db, clock: systemClock }) })
    if (database.config.kind !== 'postgres') throw new Error('this test needs PostgreSQL')
    const url = database.config.url
    workers = ['worker-a', 'worker-b', 'worker-c'].map((id) => startWorkerProcess(id, url))
    const [victim, ...survivors] = workers as [WorkerProcess, WorkerProcess, WorkerProcess]
    const startedAt = Date.now()
    let heldAtDeath: string[]
    let survivorExitCodes: Array<number | null>

    try {
      await waitFor(() => workers.every((worker) => worker.output.join('').includes('ready')), 'the workers to start', 20_000)
      await db.transaction().execute(async (trx) => {
        for (let i = 0; i < jobCount; i++) await jobs.enqueue({ type: 'test.record', payload: { i } }, trx)
      })
      heldAtDeath = await killWhileHoldingJobs(db, victim)
      await waitFor(async () => (await jobs.counts()).succeeded === jobCount, 'every job to succeed', 30_000)
      for (const worker of survivors) worker.child.kill('SIGTERM')
      survivorExitCodes = await Promise.all(survivors.map((worker) => worker.exit))
    } catch (error) {
      // The workers' own warnings and errors say why.
      context.diagnostic(workers.map((worker) => `--- ${worker.id}\n${worker.output.join('')}`).join('\n'))
      throw error
    }

    const counts = await jobs.counts()
    const { rows: runs } = await sql<{ total: string; distinct_jobs: string; by_victim: string }>`
      select count(*) as total, count(distinct job_id) as distinct_jobs, count(*) filter (where worker = ${victim.id}) as by_victim
      from job_test_runs`.execute(db)
    assert.deepEqual(counts, { queued: 0, running: 0, succeeded: jobCount, dead: 0 })
    assert.equal(Number(runs[0]?.total), jobCount, 'one run recorded per job')
    assert.equal(Number(runs[0]?.distinct_jobs), jobCount, 'no job committed twice')
    assert.ok(Number(runs[0]?.by_victim) > 0, 'the killed worker completed jobs before it died')
    assert.ok(heldAtDeath.length > 0, 'the killed worker held jobs when it died')
    const { rows: rerun } = await sql<{ id: string; attempts: number; last_error: string | null; worker: string }>`
      select jobs.id, jobs.attempts, jobs.last_error, job_test_runs.worker
      from jobs join job_test_runs on job_test_runs.job_id = jobs.id
      where jobs.id in (${sql.join(heldAtDeath)})`.execute(db)
    assert.equal(rerun.length, heldAtDeath.length)
    for (const job of rerun) {
      assert.notEqual(job.worker, victim.id, `job ${job.id} was completed by a surviving worker`)
      assert.ok(job.attempts >= 2, `job ${job.id} ran again`)
      assert.match(job.last_error ?? '', new RegExp(`^lease held by ${victim.id} expired`))
    }
    assert.deepEqual(survivorExitCodes, [0, 0], 'the survivors exit cleanly on SIGTERM')
    context.diagnostic(`${runs[0]?.by_victim} jobs completed by the killed worker, ${heldAtDeath.length} held at its death and re-run; ${Date.now() - startedAt} ms`)
  })
})
