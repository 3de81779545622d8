import type { Kysely } from 'kysely'
import { columnTypes } from './column-types.js'

// Frozen in time: never edit a migration that has shipped; add a new one.

/**
 * Intel: advisories (from OSV databases and Cordon's own format), what each affects (targets,
 * matched on product_key against the software catalog), and indicators of compromise.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const t = columnTypes(db)

  await db.schema
    .createTable('advisories')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('source_kind', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull().unique())
    .addColumn('aliases', t.json, (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('details', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('published_at', t.timestamp)
    .addColumn('modified_at', t.timestamp)
    .addColumn('withdrawn_at', t.timestamp)
    .addColumn('reference_links', t.json, (c) => c.notNull())
    .addColumn('remediation', t.json)
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('content_hash', 'text', (c) => c.notNull())
    // Lower-case id, aliases, title and product names: what a search looks in.
    .addColumn('search_text', 'text', (c) => c.notNull())
    // Newest first: published, else modified, else imported.
    .addColumn('sort_at', t.timestamp, (c) => c.notNull())
    .addColumn('imported_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute()
  await db.schema.createIndex('advisories_sort_idx').on('advisories').columns(['sort_at', 'id']).execute()
  await db.schema.createIndex('advisories_severity_idx').on('advisories').columns(['severity', 'sort_at', 'id']).execute()

  await db.schema
    .createTable('advisory_targets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('advisory_id', 'text', (c) => c.notNull().references('advisories.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('ecosystem', 'text')
    .addColumn('vendor', 'text', (c) => c.notNull())
    .addColumn('vendor_key', 'text', (c) => c.notNull())
    .addColumn('product', 'text', (c) => c.notNull())
    .addColumn('product_key', 'text', (c) => c.notNull())
    .addColumn('platform', 'text')
    .addColumn('versions', t.json, (c) => c.notNull())
    .addColumn('ranges', t.json, (c) => c.notNull())
    .execute()
  await db.schema.createIndex('advisory_targets_product_idx').on('advisory_targets').columns(['product_key']).execute()
  await db.schema.createIndex('advisory_targets_advisory_idx').on('advisory_targets').columns(['advisory_id', 'position']).execute()

  await db.schema
    .createTable('indicators')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('confidence', 'text', (c) => c.notNull())
    .addColumn('advisory_id', 'text', (c) => c.references('advisories.id'))
    .addColumn('tags', t.json, (c) => c.notNull())
    .addColumn('valid_from', t.timestamp)
    .addColumn('valid_until', t.timestamp)
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addUniqueConstraint('indicators_identity_unique', ['kind', 'value', 'source'])
    .execute()
  await db.schema.createIndex('indicators_value_idx').on('indicators').columns(['value']).execute()
  await db.schema.createIndex('indicators_advisory_idx').on('indicators').columns(['advisory_id']).execute()
}
