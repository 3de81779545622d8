import type { Kysely } from 'kysely'
import { columnTypes } from './column-types.js'

// Frozen in time: never edit a migration that has shipped; add a new one.

/**
 * Exposure: which catalog entries each advisory affects (small: matching runs on the catalog),
 * and findings, one per endpoint × advisory × installed catalog entry, with their lifecycle.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const t = columnTypes(db)
  const serial = (c: any) => (t.postgres ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey())

  await db.schema
    .createTable('exposure_matches')
    .addColumn('advisory_id', 'text', (c) => c.notNull().references('advisories.id'))
    .addColumn('catalog_id', t.bigint, (c) => c.notNull().references('software_catalog.id'))
    .addColumn('matched_at', t.timestamp, (c) => c.notNull())
    .addPrimaryKeyConstraint('exposure_matches_pk', ['advisory_id', 'catalog_id'])
    .execute()
  await db.schema.createIndex('exposure_matches_catalog_idx').on('exposure_matches').columns(['catalog_id', 'advisory_id']).execute()

  await db.schema
    .createTable('findings')
    .addColumn('id', t.bigint, serial)
    .addColumn('endpoint_id', 'text', (c) => c.notNull().references('endpoints.id'))
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
    .addColumn('advisory_id', 'text', (c) => c.notNull().references('advisories.id'))
    .addColumn('catalog_id', t.bigint, (c) => c.notNull().references('software_catalog.id'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('detected_at', t.timestamp, (c) => c.notNull())
    .addColumn('installed_since', t.timestamp, (c) => c.notNull())
    .addColumn('resolved_at', t.timestamp)
    .addColumn('resolution', 'text')
    .addColumn('evidence', t.json)
    .addColumn('reopened_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('reopened_at', t.timestamp)
    .addColumn('triage_reason', 'text')
    .addColumn('accepted_until', t.timestamp)
    .addColumn('triaged_by', 'text')
    .addColumn('triaged_at', t.timestamp)
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addUniqueConstraint('findings_identity_unique', ['endpoint_id', 'advisory_id', 'catalog_id'])
    .execute()
  await db.schema.createIndex('findings_advisory_idx').on('findings').columns(['advisory_id', 'status', 'customer_id']).execute()
  await db.schema.createIndex('findings_customer_idx').on('findings').columns(['customer_id', 'status', 'id']).execute()

  await db.schema
    .createTable('finding_events')
    .addColumn('id', t.bigint, serial)
    .addColumn('finding_id', t.bigint, (c) => c.notNull().references('findings.id'))
    .addColumn('at', t.timestamp, (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('detail', t.json, (c) => c.notNull())
    .execute()
  await db.schema.createIndex('finding_events_finding_idx').on('finding_events').columns(['finding_id', 'id']).execute()
}
