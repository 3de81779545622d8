import type { Kysely } from 'kysely'
import { columnTypes } from './column-types.js'

// Frozen in time: never edit a migration that has shipped; add a new one.

/**
 * Hunts: log hunts and file sweeps, their reports, and the sightings they found (an indicator
 * seen in a log line or a file, attributed to a customer and endpoint when the address or name
 * is known). Customer networks are the address ranges that attribute a log's clients.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const t = columnTypes(db)
  const serial = (c: any) => (t.postgres ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey())

  await db.schema
    .createTable('hunts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    // The customer the hunt was run for (its sightings belong to it unless an address says otherwise); null: the provider's own.
    .addColumn('customer_id', 'text', (c) => c.references('customers.id'))
    .addColumn('actor_id', 'text', (c) => c.notNull())
    .addColumn('inputs', t.json, (c) => c.notNull())
    .addColumn('started_at', t.timestamp, (c) => c.notNull())
    .addColumn('finished_at', t.timestamp)
    .addColumn('report', t.json)
    .addColumn('error', 'text')
    .execute()
  await db.schema.createIndex('hunts_started_idx').on('hunts').columns(['started_at', 'id']).execute()

  await db.schema
    .createTable('sightings')
    .addColumn('id', t.bigint, serial)
    .addColumn('hunt_id', 'text', (c) => c.notNull().references('hunts.id'))
    .addColumn('indicator_id', 'text', (c) => c.notNull().references('indicators.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text', (c) => c.references('customers.id'))
    .addColumn('endpoint_id', 'text', (c) => c.references('endpoints.id'))
    .addColumn('file', 'text', (c) => c.notNull())
    .addColumn('line', t.bigint)
    .addColumn('seen_at', t.timestamp)
    .addColumn('client', 'text')
    .addColumn('sha256', 'text')
    .addColumn('detail', 'text')
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .execute()
  await db.schema.createIndex('sightings_hunt_idx').on('sightings').columns(['hunt_id', 'id']).execute()
  await db.schema.createIndex('sightings_customer_idx').on('sightings').columns(['customer_id', 'id']).execute()
  await db.schema.createIndex('sightings_indicator_idx').on('sightings').columns(['indicator_id', 'id']).execute()

  await db.schema
    .createTable('customer_networks')
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
    .addColumn('network', 'text', (c) => c.notNull())
    .addColumn('label', 'text')
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addPrimaryKeyConstraint('customer_networks_pk', ['customer_id', 'network'])
    .execute()
}
