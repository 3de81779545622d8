import type { Kysely } from 'kysely'

// Frozen in time: never edit a migration that has shipped; add a new one.

/**
 * A customer's account owner: the provider's user who answers for the customer. Notices nobody
 * at the customer acknowledges are escalated to them.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('customers').addColumn('account_owner_id', 'text').execute()
}
