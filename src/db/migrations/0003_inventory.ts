import { sql, type Kysely } from 'kysely'
import { columnTypes } from './column-types.js'

// Frozen in time: never edit a migration that has shipped; add a new one.

/**
 * Inventory: endpoints, the software catalog (each distinct vendor/product/version/platform once)
 * and installations (an endpoint has a catalog entry, as seen by one source, with its history).
 * Installations are the one table that grows to tens of millions of rows: integer catalog ids,
 * a clustered primary key on SQLite, and exactly one secondary index (catalog_id, for matching).
 */
export async function up(db: Kysely<any>): Promise<void> {
  const t = columnTypes(db)
  const serial = (c: any) => (t.postgres ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey())

  await db.schema
    .createTable('endpoints')
    // seq is the endpoint's compact key inside the database (installations are keyed by it: an
    // integer key halves the bulk insert cost of a 36-character id); id is the one the API shows.
    .addColumn('seq', t.bigint, serial)
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('identifier', 'text', (c) => c.notNull())
    .addColumn('identifier_key', 'text', (c) => c.notNull())
    .addColumn('hostname', 'text')
    .addColumn('platform', 'text')
    .addColumn('os_name', 'text')
    .addColumn('os_version', 'text')
    .addColumn('hardware_serial', 'text')
    .addColumn('hardware_uuid', 'text')
    .addColumn('first_seen', t.timestamp, (c) => c.notNull())
    .addColumn('last_seen', t.timestamp, (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addUniqueConstraint('endpoints_identity_unique', ['customer_id', 'identifier_key'])
    .execute()
  await db.schema.createIndex('endpoints_identifier_idx').on('endpoints').columns(['identifier_key', 'id']).execute()

  await db.schema
    .createTable('software_catalog')
    .addColumn('id', t.bigint, serial)
    .addColumn('key', 'text', (c) => c.notNull().unique())
    .addColumn('vendor', 'text', (c) => c.notNull())
    .addColumn('vendor_key', 'text', (c) => c.notNull())
    .addColumn('product', 'text', (c) => c.notNull())
    .addColumn('product_key', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('ecosystem', 'text')
    // A binary package's source package (Debian advisories name source packages).
    .addColumn('source_key', 'text')
    .addColumn('purl', 'text')
    .addColumn('cpe', 'text')
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .execute()
  await db.schema.createIndex('software_catalog_product_idx').on('software_catalog').columns(['product_key', 'id']).execute()
  await db.schema.createIndex('software_catalog_source_idx').on('software_catalog').columns(['source_key', 'id']).execute()

  let installations = db.schema
    .createTable('installations')
    // No foreign keys here: checking two parents per row halves the bulk insert rate. Only the
    // import writes this table, with ids it has just read or created in the same transaction,
    // and endpoints and catalog entries are never deleted.
    .addColumn('endpoint_seq', t.bigint, (c) => c.notNull())
    .addColumn('catalog_id', t.bigint, (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('first_seen', t.timestamp, (c) => c.notNull())
    .addColumn('last_seen', t.timestamp, (c) => c.notNull())
    .addColumn('removed_at', t.timestamp)
    .addPrimaryKeyConstraint('installations_pk', ['endpoint_seq', 'catalog_id', 'source'])
  if (!t.postgres) installations = installations.modifyEnd(sql`without rowid`)
  await installations.execute()
  await db.schema.createIndex('installations_catalog_idx').on('installations').columns(['catalog_id', 'endpoint_seq']).execute()

  // The time of the latest full snapshot per endpoint and source: an older one is refused.
  await db.schema
    .createTable('endpoint_sources')
    .addColumn('endpoint_id', 'text', (c) => c.notNull().references('endpoints.id'))
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('last_snapshot_at', t.timestamp, (c) => c.notNull())
    .addPrimaryKeyConstraint('endpoint_sources_pk', ['endpoint_id', 'source'])
    .execute()

  await db.schema
    .createTable('inventory_imports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('file', 'text', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text', (c) => c.notNull())
    .addColumn('started_at', t.timestamp, (c) => c.notNull())
    .addColumn('finished_at', t.timestamp, (c) => c.notNull())
    .addColumn('accepted', t.bigint, (c) => c.notNull())
    .addColumn('rejected', t.bigint, (c) => c.notNull())
    .addColumn('endpoints', t.bigint, (c) => c.notNull())
    .addColumn('report', t.json, (c) => c.notNull())
    .execute()
  await db.schema.createIndex('inventory_imports_started_idx').on('inventory_imports').columns(['started_at', 'id']).execute()

  // Which endpoints each import touched: the evidence behind "resolved by the snapshot of …".
  await db.schema
    .createTable('inventory_import_endpoints')
    .addColumn('import_id', 'text', (c) => c.notNull().references('inventory_imports.id'))
    .addColumn('endpoint_id', 'text', (c) => c.notNull().references('endpoints.id'))
    .addPrimaryKeyConstraint('inventory_import_endpoints_pk', ['import_id', 'endpoint_id'])
    .execute()
}
