import type { Db } from '../db/connect.js'
import { toIso } from '../db/mappers.js'

/** Idempotency's SQL: one row per (operation, key) answered. */

export interface StoredAnswer {
  fingerprint: string
  answer: unknown
  createdAt: string
}

export async function findAnswer(db: Db, operation: string, key: string): Promise<StoredAnswer | undefined> {
  const row = await db.selectFrom('idempotency_keys').select(['fingerprint', 'answer', 'created_at']).where('operation', '=', operation).where('key', '=', key).executeTakeFirst()
  return row && { fingerprint: row.fingerprint, answer: JSON.parse(row.answer) as unknown, createdAt: toIso(row.created_at) }
}

export async function insertAnswer(db: Db, row: { operation: string; key: string; fingerprint: string; answer: unknown; actorId: string; createdAt: string }): Promise<void> {
  await db
    .insertInto('idempotency_keys')
    .values({ operation: row.operation, key: row.key, fingerprint: row.fingerprint, answer: JSON.stringify(row.answer), actor_id: row.actorId, created_at: row.createdAt })
    .execute()
}
