import type { Kysely } from 'kysely'
import { columnTypes } from './column-types.js'

// Frozen in time: never edit a migration that has shipped; add a new one.

/**
 * Remediation: campaigns (from advisories, with the actions every affected endpoint must take and
 * a deadline), one task per affected endpoint × action × product with its state and evidence,
 * and the antivirus scans imported as evidence for `av_scan` tasks.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const t = columnTypes(db)

  await db.schema
    .createTable('remediation_campaigns')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('advisory_ids', t.json, (c) => c.notNull())
    .addColumn('incident_id', 'text')
    .addColumn('actions', t.json, (c) => c.notNull())
    .addColumn('deadline', t.timestamp)
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute()
  await db.schema.createIndex('remediation_campaigns_created_idx').on('remediation_campaigns').columns(['created_at', 'id']).execute()

  await db.schema
    .createTable('remediation_tasks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('campaign_id', 'text', (c) => c.notNull().references('remediation_campaigns.id'))
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
    .addColumn('endpoint_id', 'text', (c) => c.notNull().references('endpoints.id'))
    .addColumn('action_index', 'integer', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    // '' for actions about no product (av_scan, custom); the catalog's product key otherwise.
    .addColumn('product_key', 'text', (c) => c.notNull())
    .addColumn('product', 'text')
    .addColumn('target_version', 'text')
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('state_at', t.timestamp, (c) => c.notNull())
    .addColumn('evidence', t.json)
    .addColumn('exempt_reason', 'text')
    .addColumn('exempt_approver', 'text')
    .addColumn('reopened_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addUniqueConstraint('remediation_tasks_identity_unique', ['campaign_id', 'endpoint_id', 'action_index', 'product_key'])
    .execute()
  await db.schema.createIndex('remediation_tasks_campaign_idx').on('remediation_tasks').columns(['campaign_id', 'customer_id', 'id']).execute()
  await db.schema.createIndex('remediation_tasks_endpoint_idx').on('remediation_tasks').columns(['endpoint_id', 'state']).execute()

  await db.schema
    .createTable('remediation_scans')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('import_id', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
    .addColumn('endpoint_id', 'text', (c) => c.notNull().references('endpoints.id'))
    .addColumn('product', 'text', (c) => c.notNull())
    .addColumn('file', 'text', (c) => c.notNull())
    .addColumn('line', 'integer', (c) => c.notNull())
    .addColumn('started_at', t.timestamp)
    .addColumn('finished_at', t.timestamp, (c) => c.notNull())
    .addColumn('scanned_files', t.bigint)
    .addColumn('infected_files', t.bigint, (c) => c.notNull())
    .addColumn('result', 'text', (c) => c.notNull())
    .addColumn('detections', t.json, (c) => c.notNull())
    .addColumn('actor_id', 'text', (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .execute()
  await db.schema.createIndex('remediation_scans_endpoint_idx').on('remediation_scans').columns(['endpoint_id', 'finished_at']).execute()
}
