import type { Kysely } from 'kysely'
import { columnTypes } from './column-types.js'

// Frozen in time: never edit a migration that has shipped; add a new one.

/**
 * Comms: notice templates, the notices sent to customers (one per customer per send) and their
 * recipients (one per contact, with the acknowledgement), incident updates, incidents published on
 * the public status page, and customers' private status-page links (only a hash of each token).
 * Incident, advisory and user ids are plain references: those rows are never deleted.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const t = columnTypes(db)

  await db.schema
    .createTable('comms_templates')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('name_key', 'text', (c) => c.notNull().unique())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('comms_notices')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
    .addColumn('incident_id', 'text')
    .addColumn('advisory_id', 'text')
    .addColumn('template_id', 'text', (c) => c.notNull().references('comms_templates.id'))
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('html', 'text', (c) => c.notNull())
    // The provider user escalations go to when contacts do not acknowledge; null: no escalation.
    .addColumn('owner_id', 'text')
    .addColumn('reminder_minutes', 'integer', (c) => c.notNull())
    .addColumn('escalation_minutes', 'integer', (c) => c.notNull())
    .addColumn('expires_at', t.timestamp, (c) => c.notNull())
    .addColumn('sent_by', 'text', (c) => c.notNull())
    .addColumn('sent_at', t.timestamp, (c) => c.notNull())
    .execute()
  await db.schema.createIndex('comms_notices_customer_idx').on('comms_notices').columns(['customer_id', 'sent_at', 'id']).execute()
  await db.schema.createIndex('comms_notices_incident_idx').on('comms_notices').columns(['incident_id', 'sent_at']).execute()

  await db.schema
    .createTable('comms_recipients')
    .addColumn('notice_id', 'text', (c) => c.notNull().references('comms_notices.id'))
    .addColumn('contact_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('notification_id', 'text', (c) => c.notNull())
    .addColumn('acknowledged_at', t.timestamp)
    // The name the person typed on the acknowledgement page, or the contact's own.
    .addColumn('acknowledged_by', 'text')
    .addPrimaryKeyConstraint('comms_recipients_pk', ['notice_id', 'contact_id'])
    .execute()

  await db.schema
    .createTable('comms_updates')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    // 1: also shown on the public status page (integer: SQLite has no booleans to bind).
    .addColumn('public', 'integer', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .execute()
  await db.schema.createIndex('comms_updates_incident_idx').on('comms_updates').columns(['incident_id', 'created_at', 'id']).execute()

  // What the public page may say about an incident: its own title, never the incident's (which may name customers).
  await db.schema
    .createTable('comms_public_incidents')
    .addColumn('incident_id', 'text', (c) => c.primaryKey())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('published_at', t.timestamp, (c) => c.notNull())
    .addColumn('withdrawn_at', t.timestamp)
    .execute()

  await db.schema
    .createTable('comms_status_links')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('revoked_at', t.timestamp)
    .execute()
  await db.schema.createIndex('comms_status_links_customer_idx').on('comms_status_links').column('customer_id').execute()
}
