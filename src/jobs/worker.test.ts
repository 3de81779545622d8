import assert from 'node:assert/strict'
import { after, afterEach, before, beforeEach, describe, it } from 'node:test'
import { createAudit, type Audit } from '../audit/index.js'
import { testDialects, type TestDatabase } from '../db/testing.js'
import { allTenants, systemActor } from '../shared/actor.js'
import { FakeClock } from '../shared/clock.js'
import { createJobs, type Job, type JobCommit, type JobHandler, type Jobs, type Worker, type WorkerOptions } from './index.js'
import * as store from './store/jobs.js'
import { aGate, aRecordingLogger, sleep, waitFor } from './testing.js'

for (const dialect of testDialects) {
  describe(`job worker (${dialect.name})`, { skip: dialect.skip }, () => {
    let database: TestDatabase
    let clock: FakeClock
    let audit: Audit
    let jobs: Jobs
    let logger: ReturnType<typeof aRecordingLogger>
    let workers: Worker[]

    before(async () => {
      database = await dialect.open()
    })
    after(() => database?.close())
    beforeEach(async () => {
      await database.db.deleteFrom('jobs').execute()
      await database.db.deleteFrom('job_schedules').execute()
      clock = new FakeClock('2026-01-01T00:00:00.000Z')
      audit = createAudit({ db: database.db, clock })
      logger = aRecordingLogger()
      jobs = createJobs({ db: database.db, clock, audit, logger })
      workers = []
    })
    afterEach(async () => {
      await Promise.all(workers.map((worker) => worker.stop({ timeoutMs: 1000 })))
    })

    /** A started worker that polls quickly; stopped after the test. */
    function aWorker(handlers: Record<string, JobHandler>, options: Partial<WorkerOptions> = {}): Worker {
      const worker = jobs.createWorker({ handlers, pollIntervalMs: 5, ...options })
      workers.push(worker)
      worker.start()
      return worker
    }

    /** A JobCommit that leaves a trace: an audit record naming the worker, in the completing transaction. */
    function recordCommit(job: Job, workerId: string): JobCommit {
      return async (trx) => {
        await audit.record(trx, systemActor, { action: 'test.committed', targetType: 'job', targetId: job.id, details: { workerId } })
      }
    }

    async function commitsOf(jobId: string): Promise<unknown[]> {
      const page = await audit.list(allTenants, { targetType: 'job', targetId: jobId, action: 'test.committed' })
      return page.items.map((record) => record.details.workerId)
    }

    async function statusOf(jobId: string): Promise<string> {
      return (await jobs.get(jobId)).status
    }

    it('runs a job and commits its writes in the transaction that marks it succeeded', async () => {
      const job = await jobs.enqueue({ type: 'test.record', payload: { n: 1 } })
      const seen: unknown[] = []

      const worker = aWorker({
        'test.record': async (running, { workerId }) => {
          seen.push(running.payload)
          return recordCommit(running, workerId)
        },
      })
      await waitFor(async () => (await statusOf(job.id)) === 'succeeded', 'the job to succeed')

      const done = await jobs.get(job.id)
      assert.deepEqual(seen, [{ n: 1 }])
      assert.deepEqual(await commitsOf(job.id), [worker.id])
      assert.deepEqual({ attempts: done.attempts, leaseOwner: done.leaseOwner, finishedAt: done.finishedAt }, { attempts: 1, leaseOwner: null, finishedAt: '2026-01-01T00:00:00.000Z' })
    })

    it('does not claim a delayed job before its time', async () => {
      const job = await jobs.enqueue({ type: 'test.record', delayMs: 60_000 })
      let runs = 0
      aWorker({ 'test.record': async () => void (runs += 1) })

      await sleep(100)
      const early = await statusOf(job.id)
      clock.advance(60_000)
      await waitFor(async () => (await statusOf(job.id)) === 'succeeded', 'the job to succeed once due')

      assert.equal(early, 'queued')
      assert.equal(runs, 1)
    })

    it('runs due jobs highest priority first, then oldest first', async () => {
      const order: unknown[] = []
      await jobs.enqueue({ type: 'test.record', payload: 'low', priority: -1 })
      await jobs.enqueue({ type: 'test.record', payload: 'normal-old', runAt: '2025-12-31T23:00:00Z' })
      await jobs.enqueue({ type: 'test.record', payload: 'normal-new' })
      await jobs.enqueue({ type: 'test.record', payload: 'urgent', priority: 10 })

      aWorker({ 'test.record': async (job) => void order.push(job.payload) }, { concurrency: 1 })
      await waitFor(() => order.length === 4, 'all four jobs to run')

      assert.deepEqual(order, ['urgent', 'normal-old', 'normal-new', 'low'])
    })

    it('never runs more jobs at once than its concurrency', async () => {
      for (let i = 0; i < 9; i++) await jobs.enqueue({ type: 'test.record' })
      let running = 0
      let most = 0
      let finished = 0

      aWorker(
        {
          'test.record': async () => {
            running += 1
            most = Math.max(most, running)
            await sleep(20)
            running -= 1
            finished += 1
          },
        },
        { concurrency: 3 },
      )
      await waitFor(() => finished === 9, 'all nine jobs to run')

      assert.equal(most, 3)
    })

    it('retries a failing job with growing backoff, then declares it dead after its last attempt', async () => {
      const job = await jobs.enqueue({ type: 'test.record', maxAttempts: 3 })
      aWorker({ 'test.record': async () => Promise.reject(new Error('feed unreachable')) }, { backoff: { baseMs: 1000 } })

      await waitFor(async () => (await jobs.get(job.id)).attempts === 1 && (await statusOf(job.id)) === 'queued', 'the first failure')
      const first = await jobs.get(job.id)
      clock.set(first.runAt)
      await waitFor(async () => (await jobs.get(job.id)).attempts === 2 && (await statusOf(job.id)) === 'queued', 'the second failure')
      const second = await jobs.get(job.id)
      clock.set(second.runAt)
      await waitFor(async () => (await statusOf(job.id)) === 'dead', 'the job to die')
      const dead = await jobs.get(job.id)

      const firstWait = Date.parse(first.runAt) - Date.parse('2026-01-01T00:00:00.000Z')
      const secondWait = Date.parse(second.runAt) - Date.parse(first.runAt)
      assert.ok(firstWait >= 800 && firstWait <= 1200, `first wait ${firstWait} ms`)
      assert.ok(secondWait >= 1600 && secondWait <= 2400, `second wait ${secondWait} ms`)
      assert.equal(first.lastError, 'feed unreachable')
      assert.deepEqual({ attempts: dead.attempts, lastError: dead.lastError, finishedAt: dead.finishedAt }, { attempts: 3, lastError: 'feed unreachable', finishedAt: second.runAt })
    })

    it('fails the attempt of a job type it has no handler for, saying so', async () => {
      const job = await jobs.enqueue({ type: 'nobody.handles', maxAttempts: 1 })

      const worker = aWorker({ 'test.record': async () => {} })
      await waitFor(async () => (await statusOf(job.id)) === 'dead', 'the job to die')

      assert.equal((await jobs.get(job.id)).lastError, `no handler for job type 'nobody.handles' on worker ${worker.id}`)
    })

    it('counts a failing JobCommit as a failed attempt and rolls back its writes', async () => {
      const job = await jobs.enqueue({ type: 'test.record', maxAttempts: 1 })

      aWorker({
        'test.record': async (running, { workerId }) => async (trx) => {
          await recordCommit(running, workerId)(trx)
          throw new Error('constraint violated')
        },
      })
      await waitFor(async () => (await statusOf(job.id)) === 'dead', 'the job to die')

      assert.equal((await jobs.get(job.id)).lastError, 'constraint violated')
      assert.deepEqual(await commitsOf(job.id), [])
    })

    it('runs a job again on another worker when the lease of the worker that claimed it expired', async () => {
      const job = await jobs.enqueue({ type: 'test.record' })
      const now = clock.now().toISOString()
      // A worker that claimed the job and then vanished without a word.
      await database.db.transaction().execute((trx) =>
        store.claimDueJobs(trx, { workerId: 'vanished-worker', limit: 1, now, leaseUntil: new Date(clock.now().getTime() + 30_000).toISOString() }),
      )
      clock.advance(30_001)

      const worker = aWorker({ 'test.record': async (running, { workerId }) => recordCommit(running, workerId) })
      await waitFor(async () => (await statusOf(job.id)) === 'succeeded', 'the job to succeed')

      const done = await jobs.get(job.id)
      assert.equal(done.attempts, 2)
      assert.match(done.lastError ?? '', /^lease held by vanished-worker expired/)
      assert.deepEqual(await commitsOf(job.id), [worker.id])
    })

    it('declares a job dead when the lease of its last attempt expired', async () => {
      const job = await jobs.enqueue({ type: 'test.record', maxAttempts: 1 })
      const now = clock.now().toISOString()
      await database.db.transaction().execute((trx) => store.claimDueJobs(trx, { workerId: 'vanished-worker', limit: 1, now, leaseUntil: now }))
      clock.advance(1)

      aWorker({ 'test.record': async () => {} })
      await waitFor(async () => (await statusOf(job.id)) === 'dead', 'the job to die')

      assert.match((await jobs.get(job.id)).lastError ?? '', /lease held by vanished-worker expired .* attempt 1 of 1/)
    })

    it('discards the JobCommit of a worker that lost its lease to another worker', async () => {
      const job = await jobs.enqueue({ type: 'test.record' })
      const gate = aGate()
      let entered = false
      const slow = aWorker(
        {
          'test.record': async (running, { workerId }) => {
            entered = true
            await gate.promise
            return recordCommit(running, workerId)
          },
        },
        { leaseMs: 60_000, workerId: 'slow-worker' },
      )
      await waitFor(() => entered, 'the slow worker to start the job')

      clock.advance(60_001)
      const fast = aWorker({ 'test.record': async (running, { workerId }) => recordCommit(running, workerId) }, { workerId: 'fast-worker' })
      await waitFor(async () => (await statusOf(job.id)) === 'succeeded', 'the fast worker to finish the job')
      gate.open()
      await slow.stop()

      assert.deepEqual(await commitsOf(job.id), [fast.id])
      assert.ok(logger.entries.some((entry) => entry.message.includes('lease was lost') && 'workerId' in entry.details && entry.details.workerId === 'slow-worker'))
    })

    it('aborts the handler signal when its lease renewal finds the lease gone', async () => {
      const job = await jobs.enqueue({ type: 'test.record' })
      let aborted = false
      aWorker(
        {
          'test.record': async (_running, { signal }) => {
            await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()))
            aborted = true
            throw signal.reason
          },
        },
        { leaseMs: 300 },
      )
      await waitFor(async () => (await statusOf(job.id)) === 'running', 'the job to start')

      // Another worker took the job over: the token in the row is no longer this worker's.
      await database.db.updateTable('jobs').set({ lease_token: 'someone-else' }).where('id', '=', job.id).execute()
      await waitFor(() => aborted, 'the handler to be aborted')

      assert.equal(await statusOf(job.id), 'running')
    })

    it('waits on stop for a running job to finish, and claims nothing after', async () => {
      const job = await jobs.enqueue({ type: 'test.record' })
      const gate = aGate()
      let entered = false
      const worker = aWorker({
        'test.record': async () => {
          entered = true
          await gate.promise
        },
      })
      await waitFor(() => entered, 'the job to start')

      let stopped = false
      const stopping = worker.stop().then(() => (stopped = true))
      await sleep(50)
      const stoppedEarly = stopped
      gate.open()
      await stopping
      const later = await jobs.enqueue({ type: 'test.record' })
      await sleep(50)

      assert.equal(stoppedEarly, false)
      assert.equal(await statusOf(job.id), 'succeeded')
      assert.equal(await statusOf(later.id), 'queued')
    })

    it('gives up waiting on stop after the timeout and aborts the running handler', async () => {
      const job = await jobs.enqueue({ type: 'test.record' })
      let signal: AbortSignal | undefined
      const worker = aWorker({
        'test.record': async (_running, context) => {
          signal = context.signal
          await new Promise(() => {})
        },
      })
      await waitFor(() => signal !== undefined, 'the job to start')

      await worker.stop({ timeoutMs: 20 })

      assert.equal(signal?.aborted, true)
      assert.equal(await statusOf(job.id), 'running')
    })

    it('enqueues and runs the jobs of due schedules', async () => {
      await jobs.schedule(systemActor, { name: 'every-minute', type: 'test.record', payload: { from: 'schedule' }, cron: '* * * * *' })
      const seen: unknown[] = []
      aWorker({ 'test.record': async (job) => void seen.push(job.payload) })

      clock.advance(60_000)
      await waitFor(() => seen.length === 1, 'the scheduled job to run')

      assert.deepEqual(seen, [{ from: 'schedule' }])
      const [schedule] = await jobs.listSchedules()
      assert.equal(schedule?.nextRunAt, '2026-01-01T00:02:00.000Z')
    })
  })
}
