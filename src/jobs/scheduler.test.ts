import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import { createAudit, type Audit } from '../audit/index.js'
import { testDialects, type TestDatabase } from '../db/testing.js'
import { allTenants, systemActor } from '../shared/actor.js'
import { FakeClock } from '../shared/clock.js'
import { AppError } from '../shared/errors.js'
import { silentLogger } from './model.js'
import { createQueue } from './queue.js'
import { createScheduler, type Scheduler } from './scheduler.js'

function isInvalid(field: string) {
  return (error: unknown) => {
    assert.ok(error instanceof AppError)
    assert.equal(error.kind, 'invalid')
    assert.deepEqual(error.problems.map((p) => p.field), [field])
    return true
  }
}

for (const dialect of testDialects) {
  describe(`job schedules (${dialect.name})`, { skip: dialect.skip }, () => {
    let database: TestDatabase
    let clock: FakeClock
    let audit: Audit
    let scheduler: Scheduler
    let queue: ReturnType<typeof createQueue>

    before(async () => {
      database = await dialect.open()
    })
    after(() => database?.close())
    beforeEach(async () => {
      await database.db.deleteFrom('jobs').execute()
      await database.db.deleteFrom('job_schedules').execute()
      clock = new FakeClock('2026-01-01T00:00:00.000Z')
      audit = createAudit({ db: database.db, clock })
      scheduler = createScheduler({ db: database.db, clock, audit, logger: silentLogger })
      queue = createQueue({ db: database.db, clock, audit })
    })

    async function auditActions(name: string): Promise<string[]> {
      const page = await audit.list(allTenants, { targetType: 'job_schedule', targetId: name })
      return page.items.map((record) => record.action).reverse()
    }

    it('saves a schedule due at its next cron time in its time zone, and audits it', async () => {
      const schedule = await scheduler.schedule(systemActor, { name: 'digest-1', type: 'test.record', payload: { to: 'soc' }, cron: '0 9 * * *', timezone: 'Europe/Berlin' })

      assert.equal(schedule.nextRunAt, '2026-01-01T08:00:00.000Z')
      assert.deepEqual(await scheduler.listSchedules(), [schedule])
      assert.deepEqual(await auditActions('digest-1'), ['job_schedule.created'])
    })

    it('defaults the time zone to UTC', async () => {
      const schedule = await scheduler.schedule(systemActor, { name: 'digest-2', type: 'test.record', cron: '0 9 * * *' })

      assert.equal(schedule.timezone, 'UTC')
      assert.equal(schedule.nextRunAt, '2026-01-01T09:00:00.000Z')
    })

    it('replaces a schedule of the same name and audits the update', async () => {
      await scheduler.schedule(systemActor, { name: 'digest-3', type: 'test.record', cron: '0 9 * * *' })
      clock.advance(1000)

      const changed = await scheduler.schedule(systemActor, { name: 'digest-3', type: 'test.record', cron: '30 6 * * *' })

      assert.equal(changed.nextRunAt, '2026-01-01T06:30:00.000Z')
      assert.equal(changed.createdAt, '2026-01-01T00:00:00.000Z')
      assert.equal((await scheduler.listSchedules()).length, 1)
      assert.deepEqual(await auditActions('digest-3'), ['job_schedule.created', 'job_schedule.updated'])
    })

    it('writes nothing when a schedule is saved again unchanged', async () => {
      const first = await scheduler.schedule(systemActor, { name: 'digest-4', type: 'test.record', payload: { a: 1, b: 2 }, cron: '0 9 * * *' })
      clock.advance(60_000)

      const again = await scheduler.schedule(systemActor, { name: 'digest-4', type: 'test.record', payload: { b: 2, a: 1 }, cron: '0 9 * * *' })

      assert.deepEqual(again, first)
      assert.deepEqual(await auditActions('digest-4'), ['job_schedule.created'])
    })

    it('rejects an invalid cron expression naming the cron field', async () => {
      await assert.rejects(scheduler.schedule(systemActor, { name: 'digest-5', type: 'test.record', cron: '61 * * * *' }), isInvalid('cron'))
    })

    it('rejects an unknown time zone naming the timezone field', async () => {
      await assert.rejects(scheduler.schedule(systemActor, { name: 'digest-6', type: 'test.record', cron: '0 9 * * *', timezone: 'Europe/Atlantis' }), isInvalid('timezone'))
    })

    it('removes a schedule and audits it', async () => {
      await scheduler.schedule(systemActor, { name: 'digest-7', type: 'test.record', cron: '0 9 * * *' })

      await scheduler.removeSchedule(systemActor, 'digest-7')

      assert.deepEqual(await scheduler.listSchedules(), [])
      assert.deepEqual(await auditActions('digest-7'), ['job_schedule.created', 'job_schedule.removed'])
    })

    it('throws not_found when removing an unknown schedule', async () => {
      await assert.rejects(scheduler.removeSchedule(systemActor, 'nothing'), (error: unknown) => error instanceof AppError && error.kind === 'not_found')
    })

    it('enqueues nothing before a schedule is due', async () => {
      await scheduler.schedule(systemActor, { name: 'every-minute', type: 'test.record', cron: '* * * * *' })
      clock.advance(59_999)

      const fired = await scheduler.tick()

      assert.equal(fired, 0)
      assert.equal((await queue.list({})).items.length, 0)
    })

    it('enqueues one job per due time when two workers tick at once, and advances the schedule', async () => {
      await scheduler.schedule(systemActor, { name: 'every-minute', type: 'test.record', payload: { n: 1 }, cron: '* * * * *' })
      clock.advance(60_000)
      const other = createScheduler({ db: database.db, clock, audit, logger: silentLogger })

      await Promise.all([scheduler.tick(), other.tick(), scheduler.tick(), other.tick()])

      const jobs = (await queue.list({})).items
      assert.equal(jobs.length, 1)
      assert.deepEqual(
        { type: jobs[0]?.type, payload: jobs[0]?.payload, key: jobs[0]?.key, runAt: jobs[0]?.runAt },
        { type: 'test.record', payload: { n: 1 }, key: 'schedule:every-minute:2026-01-01T00:01:00.000Z', runAt: '2026-01-01T00:01:00.000Z' },
      )
      const [schedule] = await scheduler.listSchedules()
      assert.equal(schedule?.nextRunAt, '2026-01-01T00:02:00.000Z')
      assert.equal(schedule?.lastRunAt, '2026-01-01T00:01:00.000Z')
    })

    it('enqueues once after a long gap and moves on to the next time after now', async () => {
      await scheduler.schedule(systemActor, { name: 'hourly', type: 'test.record', cron: '0 * * * *' })
      clock.set('2026-01-01T05:30:00.000Z')

      await scheduler.tick()
      await scheduler.tick()

      assert.equal((await queue.list({})).items.length, 1)
      const [schedule] = await scheduler.listSchedules()
      assert.equal(schedule?.nextRunAt, '2026-01-01T06:00:00.000Z')
    })

    it('pauses a schedule after the last time of its cron expression', async () => {
      await scheduler.schedule(systemActor, { name: 'once', type: 'test.record', cron: '0 0 12 1 1 * 2026' })
      clock.set('2026-01-01T12:00:00.000Z')

      await scheduler.tick()

      const [schedule] = await scheduler.listSchedules()
      assert.equal(schedule?.pausedAt, '2026-01-01T12:00:00.000Z')
      assert.equal((await queue.list({})).items.length, 1)
    })

    it('resumes a paused schedule saved with a new cron expression', async () => {
      await scheduler.schedule(systemActor, { name: 'once', type: 'test.record', cron: '0 0 12 1 1 * 2026' })
      clock.set('2026-01-01T12:00:00.000Z')
      await scheduler.tick()

      const resumed = await scheduler.schedule(systemActor, { name: 'once', type: 'test.record', cron: '0 * * * *' })

      assert.deepEqual({ pausedAt: resumed.pausedAt, nextRunAt: resumed.nextRunAt }, { pausedAt: null, nextRunAt: '2026-01-01T13:00:00.000Z' })
    })

    it('enqueues again at the next due time', async () => {
      await scheduler.schedule(systemActor, { name: 'every-minute', type: 'test.record', cron: '* * * * *' })
      clock.advance(60_000)
      await scheduler.tick()
      clock.advance(60_000)

      await scheduler.tick()

      const keys = (await queue.list({})).items.map((job) => job.key).sort()
      assert.deepEqual(keys, ['schedule:every-minute:2026-01-01T00:01:00.000Z', 'schedule:every-minute:2026-01-01T00:02:00.000Z'])
    })
  })
}
