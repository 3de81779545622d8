import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { testDialects, type TestDatabase } from '../db/testing.js'
import { systemActor } from '../shared/actor.js'
import { FakeClock } from '../shared/clock.js'
import { AppError } from '../shared/errors.js'
import { createIdempotency, type Idempotency } from './service.js'

// The first answer per operation and key, on both databases: a retry does nothing again, a key
// reused for another request is refused, and two copies racing each other commit once.

for (const dialect of testDialects) {
  describe(`idempotency (${dialect.name})`, { skip: dialect.skip }, () => {
    let database: TestDatabase
    let idempotency: Idempotency
    let runs = 0

    before(async () => {
      database = await dialect.open()
      idempotency = createIdempotency({ db: database.db, clock: new FakeClock('2026-03-30T09:00:00.000Z') })
    })
    after(() => database?.close())

    /** Work that counts its runs and commits its answer with the key. */
    const work = (answer: string, delayMs = 0) => async (remember: (trx: typeof database.db, answer: { made: string }) => Promise<void>) =>
      database.db.transaction().execute(async (trx) => {
        runs += 1
        if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs))
        await remember(trx, { made: answer })
        return { made: answer }
      })

    it('does the work once per key and answers a retry with the first answer', async () => {
      runs = 0
      const first = await idempotency.once(systemActor, 'test.op', 'key-1', { a: 1, b: [2, 3] }, work('first'))
      // The same request with its keys in another order is the same request.
      const retry = await idempotency.once(systemActor, 'test.op', 'key-1', { b: [2, 3], a: 1 }, work('second'))

      assert.deepEqual(first, { made: 'first' })
      assert.deepEqual(retry, { made: 'first' })
      assert.equal(runs, 1)
    })

    it('keeps keys apart per operation, and does the work every time without a key', async () => {
      runs = 0
      await idempotency.once(systemActor, 'test.other', 'key-1', { a: 1, b: [2, 3] }, work('other'))
      await idempotency.once(systemActor, 'test.op', undefined, {}, work('no key'))
      await idempotency.once(systemActor, 'test.op', undefined, {}, work('no key'))

      assert.equal(runs, 3)
    })

    it('refuses the same key with a different request, doing nothing', async () => {
      runs = 0
      await assert.rejects(idempotency.once(systemActor, 'test.op', 'key-1', { a: 2 }, work('changed')), (error: unknown) => {
        assert.ok(error instanceof AppError)
        assert.equal(error.kind, 'conflict')
        assert.equal(error.problems[0]!.field, 'Idempotency-Key')
        return true
      })
      assert.equal(runs, 0)
    })

    it('refuses an empty, overlong or control-character key', async () => {
      for (const key of ['', 'x'.repeat(201), 'a\nb']) {
        await assert.rejects(idempotency.once(systemActor, 'test.op', key, {}, work('bad')), (error: unknown) => error instanceof AppError && error.kind === 'invalid', JSON.stringify(key))
      }
    })

    it('commits once when two copies race: the loser rolls back and answers with the winner’s answer', async () => {
      runs = 0
      const [a, b] = await Promise.all([
        idempotency.once(systemActor, 'test.op', 'race', { n: 1 }, work('a', 30)),
        idempotency.once(systemActor, 'test.op', 'race', { n: 1 }, work('b', 30)),
      ])

      assert.deepEqual(a, b)
      const stored = await database.db.selectFrom('idempotency_keys').selectAll().where('key', '=', 'race').execute()
      assert.equal(stored.length, 1)
      assert.deepEqual(JSON.parse(stored[0]!.answer), a)
    })
  })
}
