import type { Kysely } from 'kysely'
import { columnTypes } from './column-types.js'

// Frozen in time: never edit a migration that has shipped; add a new one.

/**
 * The addresses endpoints reported (osquery's interface_addresses): a log's client address names
 * the endpoint that made the request. Loopback and link-local addresses are not kept.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const t = columnTypes(db)
  await db.schema
    .createTable('endpoint_addresses')
    .addColumn('endpoint_id', 'text', (c) => c.notNull().references('endpoints.id'))
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('first_seen', t.timestamp, (c) => c.notNull())
    .addColumn('last_seen', t.timestamp, (c) => c.notNull())
    .addPrimaryKeyConstraint('endpoint_addresses_pk', ['endpoint_id', 'address'])
    .execute()
  await db.schema.createIndex('endpoint_addresses_address_idx').on('endpoint_addresses').columns(['address', 'endpoint_id']).execute()
}
