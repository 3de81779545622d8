import type { Kysely } from 'kysely'

// Frozen in time: never edit a migration that has shipped; add a new one.

/**
 * A notification channel may belong to a customer (its ticketing system's webhook, say): notices
 * and updates for that customer go to it as well as to its contacts.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('notification_channels').addColumn('customer_id', 'text', (c) => c.references('customers.id')).execute()
  await db.schema.createIndex('notification_channels_customer_idx').on('notification_channels').column('customer_id').execute()
}
