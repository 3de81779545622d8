import type { Kysely } from 'kysely'

// Frozen in time: never edit a migration that has shipped; add a new one.

/** Workers claim due jobs by priority, then run time, then id: index that order. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('jobs_claim_idx').on('jobs').columns(['status', 'priority desc', 'run_at', 'id']).execute()
}
