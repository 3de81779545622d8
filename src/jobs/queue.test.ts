import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import { createAudit, type Audit } from '../audit/index.js'
import { testDialects, type TestDatabase } from '../db/testing.js'
import { allTenants, systemActor } from '../shared/actor.js'
import { FakeClock } from '../shared/clock.js'
import { AppError } from '../shared/errors.js'
import { createJobs, type Jobs } from './index.js'
import * as store from './store/jobs.js'

for (const dialect of testDialects) {
  describe(`job queue (${dialect.name})`, { skip: dialect.skip }, () => {
    let database: TestDatabase
    let clock: FakeClock
    let audit: Audit
    let jobs: Jobs

    before(async () => {
      database = await dialect.open()
    })
    after(() => database?.close())
    beforeEach(async () => {
      await database.db.deleteFrom('jobs').execute()
      clock = new FakeClock('2026-01-01T00:00:00.000Z')
      audit = createAudit({ db: database.db, clock })
      jobs = createJobs({ db: database.db, clock, audit })
    })

    /** Make a job dead as a worker would after its last failed attempt. */
    async function aDeadJob(): Promise<string> {
      const job = await jobs.enqueue({ type: 'test.record', maxAttempts: 1, priority: 100 })
      const now = clock.now().toISOString()
      const [claimed] = await database.db.transaction().execute((trx) =>
        store.claimDueJobs(trx, { workerId: 'test-worker', limit: 1, now, leaseUntil: now }),
      )
      assert.equal(claimed?.job.id, job.id)
      await store.releaseJob(database.db, { id: job.id, leaseToken: claimed.leaseToken }, { status: 'dead', lastError: 'boom', now })
      return job.id
    }

    it('enqueues a job due now with the default attempts and gets it back', async () => {
      const job = await jobs.enqueue({ type: 'test.record', payload: { customer: 'c1' } })

      const found = await jobs.get(job.id)

      assert.deepEqual(found, job)
      assert.equal(found.status, 'queued')
      assert.equal(found.runAt, '2026-01-01T00:00:00.000Z')
      assert.equal(found.maxAttempts, 5)
      assert.deepEqual(found.payload, { customer: 'c1' })
    })

    it('delays a job by delayMs or to runAt, normalised to ISO time', async () => {
      const delayed = await jobs.enqueue({ type: 'test.record', delayMs: 90_000 })
      const at = await jobs.enqueue({ type: 'test.record', runAt: '2026-01-02T01:00:00+01:00' })

      assert.equal(delayed.runAt, '2026-01-01T00:01:30.000Z')
      assert.equal(at.runAt, '2026-01-02T00:00:00.000Z')
    })

    it('keeps a payload that is a JSON string as a string', async () => {
      const job = await jobs.enqueue({ type: 'test.record', payload: '42' })

      const found = await jobs.get(job.id)

      assert.equal(found.payload, '42')
    })

    it('returns the existing job when a job with the same key is enqueued again', async () => {
      const first = await jobs.enqueue({ type: 'test.record', key: 'advisory:1', payload: { n: 1 } })

      const second = await jobs.enqueue({ type: 'test.record', key: 'advisory:1', payload: { n: 2 } })

      assert.equal(second.id, first.id)
      assert.deepEqual(second.payload, { n: 1 })
      assert.equal((await jobs.list({})).items.length, 1)
    })

    it('enqueues in the caller transaction, so a rollback takes the job back', async () => {
      await assert.rejects(
        database.db.transaction().execute(async (trx) => {
          await jobs.enqueue({ type: 'test.record', key: 'outbox:1' }, trx)
          throw new Error('the change failed')
        }),
        /the change failed/,
      )

      const page = await jobs.list({})

      assert.equal(page.items.length, 0)
    })

    it('throws not_found for an unknown job', async () => {
      await assert.rejects(jobs.get('0190d1c4-0000-7000-8000-000000000000'), (error: unknown) => error instanceof AppError && error.kind === 'not_found')
    })

    it('rejects invalid input naming the field', async () => {
      await assert.rejects(jobs.enqueue({ type: '', maxAttempts: 0 }), (error: unknown) => {
        assert.ok(error instanceof AppError)
        assert.equal(error.kind, 'invalid')
        assert.deepEqual(error.problems.map((p) => p.field), ['type', 'maxAttempts'])
        return true
      })
    })

    it('lists jobs newest first, a page at a time', async () => {
      const ids: string[] = []
      for (let i = 0; i < 5; i++) ids.push((await jobs.enqueue({ type: 'test.record', payload: { i } })).id)

      const first = await jobs.list({ limit: 2 })
      const second = await jobs.list({ limit: 2, cursor: first.nextCursor ?? undefined })
      const third = await jobs.list({ limit: 2, cursor: second.nextCursor ?? undefined })

      assert.deepEqual([...first.items, ...second.items, ...third.items].map((job) => job.id), ids.reverse())
      assert.equal(third.nextCursor, null)
    })

    it('filters the list by status and type', async () => {
      await jobs.enqueue({ type: 'feeds.sync' })
      await jobs.enqueue({ type: 'test.record' })
      const dead = await aDeadJob()

      const byType = await jobs.list({ type: 'feeds.sync' })
      const byStatus = await jobs.list({ status: 'dead' })

      assert.deepEqual(byType.items.map((job) => job.type), ['feeds.sync'])
      assert.deepEqual(byStatus.items.map((job) => job.id), [dead])
    })

    it('rejects a list limit out of range', async () => {
      await assert.rejects(jobs.list({ limit: 0 }), (error: unknown) => error instanceof AppError && error.kind === 'invalid')
    })

    it('sends a dead job back to the queue with its attempts reset, and audits it', async () => {
      const id = await aDeadJob()
      clock.advance(60_000)

      const job = await jobs.retry(systemActor, id)

      assert.equal(job.status, 'queued')
      assert.equal(job.attempts, 0)
      assert.equal(job.runAt, '2026-01-01T00:01:00.000Z')
      assert.equal(job.finishedAt, null)
      const records = await audit.list(allTenants, { targetType: 'job', targetId: id })
      assert.deepEqual(records.items.map((r) => r.action), ['job.retried'])
    })

    it('refuses to retry a job that is not dead', async () => {
      const job = await jobs.enqueue({ type: 'test.record' })

      await assert.rejects(jobs.retry(systemActor, job.id), (error: unknown) => error instanceof AppError && error.kind === 'conflict')
    })

    it('counts jobs in every status', async () => {
      await jobs.enqueue({ type: 'test.record' })
      await jobs.enqueue({ type: 'test.record' })
      await aDeadJob()

      const counts = await jobs.counts()

      assert.deepEqual(counts, { queued: 2, running: 0, succeeded: 0, dead: 1 })
    })
  })
}
