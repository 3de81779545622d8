import { sql, type Kysely } from 'kysely'
import { columnTypes } from './column-types.js'

// Frozen in time: never edit a migration that has shipped; add a new one.

/**
 * Alerting: alerts (deduplicated by key while open), the integrations that send them, routing
 * rules, escalation policies, on-call schedules with overrides, the pages sent, and intake
 * idempotency keys.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const t = columnTypes(db)

  await db.schema
    .createTable('alert_integrations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull())
    // The alerts' source unless the event names one.
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text', (c) => c.references('customers.id'))
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('disabled_at', t.timestamp)
    .execute()

  await db.schema
    .createTable('escalation_policies')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('steps', t.json, (c) => c.notNull())
    // How many more times the whole policy runs after its last step while nobody acknowledges.
    .addColumn('repeats', 'integer', (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('oncall_schedules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('definition', t.json, (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('oncall_overrides')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('schedule_id', 'text', (c) => c.notNull().references('oncall_schedules.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('starts_at', t.timestamp, (c) => c.notNull())
    .addColumn('ends_at', t.timestamp, (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .execute()
  await db.schema.createIndex('oncall_overrides_schedule_idx').on('oncall_overrides').columns(['schedule_id', 'ends_at']).execute()

  await db.schema
    .createTable('alert_routes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    // Rules are tried in position order; the first that matches routes the alert.
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('conditions', t.json, (c) => c.notNull())
    .addColumn('policy_id', 'text', (c) => c.references('escalation_policies.id'))
    .addColumn('incident', t.json, (c) => c.notNull())
    .addColumn('group_by', t.json, (c) => c.notNull())
    .addColumn('group_window_seconds', 'integer', (c) => c.notNull())
    .addColumn('auto_resolve_minutes', 'integer')
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('alerts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('dedup_key', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text', (c) => c.references('customers.id'))
    .addColumn('labels', t.json, (c) => c.notNull())
    .addColumn('details', t.json, (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('first_seen_at', t.timestamp, (c) => c.notNull())
    .addColumn('last_seen_at', t.timestamp, (c) => c.notNull())
    .addColumn('acknowledged_at', t.timestamp)
    .addColumn('acknowledged_by', 'text')
    .addColumn('resolved_at', t.timestamp)
    .addColumn('resolved_by', 'text')
    .addColumn('resolution', 'text')
    .addColumn('route_id', 'text')
    .addColumn('policy_id', 'text')
    .addColumn('group_key', 'text')
    // The first alert of its group; null for that first alert itself (the one that pages).
    .addColumn('group_leader_id', 'text')
    .addColumn('incident_id', 'text')
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute()
  // One open alert per dedup key: repeats of an open alert count on it instead of opening another.
  await sql`create unique index alerts_open_dedup_idx on alerts (dedup_key) where status <> 'resolved'`.execute(db)
  await db.schema.createIndex('alerts_created_idx').on('alerts').columns(['created_at', 'id']).execute()
  await sql`create index alerts_group_idx on alerts (group_key, first_seen_at) where status <> 'resolved' and group_leader_id is null`.execute(db)
  await db.schema.createIndex('alerts_incident_idx').on('alerts').columns(['incident_id']).execute()

  await db.schema
    .createTable('alert_pages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('alert_id', 'text', (c) => c.notNull().references('alerts.id'))
    .addColumn('round', 'integer', (c) => c.notNull())
    .addColumn('step', 'integer', (c) => c.notNull())
    .addColumn('target', t.json, (c) => c.notNull())
    .addColumn('user_id', 'text')
    .addColumn('notification_id', 'text')
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .execute()
  await db.schema.createIndex('alert_pages_alert_idx').on('alert_pages').columns(['alert_id', 'created_at']).execute()

  await db.schema
    .createTable('alert_intake_keys')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('alert_id', 'text', (c) => c.notNull())
    .addColumn('response', t.json, (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .execute()
}
