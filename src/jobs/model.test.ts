import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  backoffDelayMs,
  checkEnqueueInput,
  checkScheduleInput,
  defaultBackoff,
  describeError,
  expiredLeaseOutcome,
  maxErrorLength,
  nextCronRun,
  sameJson,
  type Job,
} from './model.js'

function aRunningJob(overrides: Partial<Job> = {}): Job {
  return {
    id: '0190d1c4-0000-7000-8000-000000000001',
    type: 'test.record',
    payload: null,
    status: 'running',
    key: null,
    priority: 0,
    runAt: '2026-01-01T00:00:00.000Z',
    attempts: 1,
    maxAttempts: 5,
    leaseOwner: 'worker-1',
    leaseUntil: '2026-01-01T00:00:30.000Z',
    lastError: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: null,
    ...overrides,
  }
}

const now = new Date('2026-01-01T00:00:00.000Z')

describe('job rules', () => {
  it('doubles the backoff with each failed attempt', () => {
    const middle = () => 0.5

    const delays = [1, 2, 3, 4].map((attempts) => backoffDelayMs(attempts, defaultBackoff, middle))

    assert.deepEqual(delays, [2000, 4000, 8000, 16000])
  })

  it('caps the backoff at an hour before spreading it by the jitter', () => {
    const lowest = backoffDelayMs(30, defaultBackoff, () => 0)
    const highest = backoffDelayMs(30, defaultBackoff, () => 0.999999)

    assert.equal(lowest, 0.8 * 3_600_000)
    assert.ok(highest <= 1.2 * 3_600_000 && highest > 1.19 * 3_600_000)
  })

  it('keeps an error message and bounds its length', () => {
    const short = describeError(new TypeError('x is not a function'))
    const long = describeError(new Error('e'.repeat(5000)))

    assert.equal(short, 'TypeError: x is not a function')
    assert.equal(long.length, maxErrorLength)
  })

  it('requeues a job whose lease expired while it has attempts left, naming the worker', () => {
    const outcome = expiredLeaseOutcome(aRunningJob({ attempts: 2 }))

    assert.equal(outcome.status, 'queued')
    assert.match(outcome.lastError, /lease held by worker-1 expired/)
  })

  it('declares a job dead when its lease expired on its last attempt', () => {
    const outcome = expiredLeaseOutcome(aRunningJob({ attempts: 5, maxAttempts: 5 }))

    assert.equal(outcome.status, 'dead')
  })

  it('reads a cron expression in its time zone', () => {
    const next = nextCronRun('0 9 * * *', 'Europe/Berlin', new Date('2026-01-01T00:00:00Z'))

    assert.equal(next?.toISOString(), '2026-01-01T08:00:00.000Z')
  })

  it('names the cron field when a cron expression is invalid', () => {
    const problems = checkScheduleInput({ name: 'nightly', type: 'test.record', cron: 'every night' }, now)

    assert.deepEqual(problems.map((p) => p.field), ['cron'])
  })

  it('names the timezone field when the time zone is unknown', () => {
    const problems = checkScheduleInput({ name: 'nightly', type: 'test.record', cron: '0 3 * * *', timezone: 'Mars/Olympus' }, now)

    assert.deepEqual(problems.map((p) => p.field), ['timezone'])
  })

  it('rejects a cron expression that never comes due', () => {
    const problems = checkScheduleInput({ name: 'never', type: 'test.record', cron: '0 0 30 2 *' }, now)

    assert.deepEqual(problems.map((p) => p.field), ['cron'])
    assert.match(problems[0]?.message ?? '', /never comes due/)
  })

  it('rejects a cron expression whose last time has passed', () => {
    const problems = checkScheduleInput({ name: 'once', type: 'test.record', cron: '0 0 12 1 1 * 2025' }, now)

    assert.deepEqual(problems.map((p) => p.field), ['cron'])
  })

  it('rejects a run time without a zone, which would be read in the host time zone', () => {
    const problems = checkEnqueueInput({ type: 'test.record', runAt: '2026-01-01T10:00:00' })

    assert.deepEqual(problems.map((p) => p.field), ['runAt'])
  })

  it('rejects a job given both a run time and a delay', () => {
    const problems = checkEnqueueInput({ type: 'test.record', runAt: '2026-01-01T10:00:00Z', delayMs: 10 })

    assert.deepEqual(problems.map((p) => p.field), ['delayMs'])
  })

  it('compares JSON payloads regardless of key order', () => {
    assert.equal(sameJson({ a: 1, b: { c: 2, d: 3 } }, { b: { d: 3, c: 2 }, a: 1 }), true)
    assert.equal(sameJson({ a: 1 }, { a: 2 }), false)
  })
})
