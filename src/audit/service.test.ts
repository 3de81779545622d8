import assert from 'node:assert/strict'
import { after, beforeEach, describe, it } from 'node:test'
import { sql } from 'kysely'
import { testDialects, type TestDatabase } from '../db/testing.js'
import { systemActor } from '../shared/actor.js'
import { FakeClock } from '../shared/clock.js'
import { createAudit, type Audit } from './service.js'

for (const dialect of testDialects) {
  describe(`audit chain (${dialect.name})`, { skip: dialect.skip }, () => {
    let database: TestDatabase | undefined
    let audit: Audit

    beforeEach(async () => {
      await database?.close()
      database = await dialect.open()
      audit = createAudit({ db: database.db, clock: new FakeClock() })
      for (let i = 1; i <= 5; i++) {
        await database.db.transaction().execute((trx) =>
          audit.record(trx, systemActor, { action: 'customer.updated', targetType: 'customer', targetId: `c${i}`, customerId: `c${i}`, details: { step: i, nested: { b: 1, a: [1, 2] } } }),
        )
      }
    })
    after(() => database?.close())

    it('verifies an untouched chain', async () => {
      const outcome = await audit.verify()

      assert.deepEqual({ ok: outcome.ok, records: outcome.records }, { ok: true, records: 5 })
    })

    it('names the record whose contents were edited directly in the database', async () => {
      await sql`update audit_log set details = ${JSON.stringify({ step: 99 })} where seq = 3`.execute(database!.db)

      const outcome = await audit.verify()

      assert.equal(outcome.ok, false)
      assert.ok(!outcome.ok)
      assert.equal(outcome.broken.seq, 3)
      assert.equal(outcome.broken.reason, 'hash_mismatch')
    })

    it('catches a record whose hash was recomputed but whose successor still links to the old one', async () => {
      await sql`update audit_log set actor_label = 'someone else', hash = ${'f'.repeat(64)} where seq = 2`.execute(database!.db)

      const outcome = await audit.verify()

      assert.ok(!outcome.ok)
      assert.equal(outcome.broken.seq, 2)
    })

    it('catches a deleted record in the middle and at the end', async () => {
      await sql`delete from audit_log where seq = 4`.execute(database!.db)
      const middle = await audit.verify()
      await sql`delete from audit_log where seq = 5`.execute(database!.db)
      await sql`delete from audit_log where seq = 4`.execute(database!.db)
      const end = await audit.verify()

      assert.ok(!middle.ok)
      assert.equal(middle.broken.reason, 'missing_records')
      assert.equal(middle.broken.seq, 5)
      assert.ok(!end.ok)
      assert.equal(end.broken.reason, 'head_mismatch')
    })

    it('keeps one unbroken chain when many transactions write at once', async () => {
      await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          database!.db.transaction().execute((trx) => audit.record(trx, systemActor, { action: 'customer.updated', targetType: 'customer', targetId: `p${i}` })),
        ),
      )

      const outcome = await audit.verify()

      assert.deepEqual({ ok: outcome.ok, records: outcome.records }, { ok: true, records: 35 })
    })

    it('refuses to write a record outside a transaction', async () => {
      await assert.rejects(audit.record(database!.db, systemActor, { action: 'x.y', targetType: 'x', targetId: '1' }), /inside the transaction/)
    })

    it('rolls the record back with the change it describes', async () => {
      await assert.rejects(
        database!.db.transaction().execute(async (trx) => {
          await audit.record(trx, systemActor, { action: 'customer.created', targetType: 'customer', targetId: 'gone' })
          throw new Error('the change failed')
        }),
      )

      const outcome = await audit.verify()
      assert.equal(outcome.records, 5)
      assert.ok(outcome.ok)
    })

    it('lists records newest first, scoped to the customers an actor may see', async () => {
      const page = await audit.list({ all: false, customerIds: ['c2', 'c4'] }, { limit: 1 })
      const next = await audit.list({ all: false, customerIds: ['c2', 'c4'] }, { limit: 1, cursor: page.nextCursor! })

      assert.deepEqual([...page.items, ...next.items].map((r) => r.targetId), ['c4', 'c2'])
      assert.equal(next.nextCursor, null)
    })
  })
}
