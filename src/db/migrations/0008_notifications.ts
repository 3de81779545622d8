import type { Kysely } from 'kysely'
import { columnTypes } from './column-types.js'

// Frozen in time: never edit a migration that has shipped; add a new one.

/**
 * Notifications: named channels (an email address, or a webhook with its signing secret), the
 * outbox of messages written in the transaction of the change that caused them, and the delivery
 * log of every attempt. Incidents and alerts come in later migrations, so their ids here are
 * plain references without foreign keys; customer ids are labels for listing, not constraints.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const t = columnTypes(db)

  await db.schema
    .createTable('notification_channels')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    // The name as compared: case and spacing do not make another channel.
    .addColumn('name_key', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('preset', 'text')
    .addColumn('address', 'text')
    .addColumn('url', 'text')
    .addColumn('secret', 'text')
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addColumn('disabled_at', t.timestamp)
    .execute()

  await db.schema
    .createTable('notifications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull())
    // A deleted channel leaves its messages behind (channel_name says they went to one); one still
    // queued then dies at its next attempt.
    .addColumn('channel_id', 'text', (c) => c.references('notification_channels.id').onDelete('set null'))
    .addColumn('channel_name', 'text')
    // The email address, or a webhook's origin: where it was going when it was written.
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('recipient_name', 'text')
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('html', 'text')
    .addColumn('event', t.json)
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('customer_id', 'text')
    .addColumn('incident_id', 'text')
    .addColumn('alert_id', 'text')
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addColumn('delivered_at', t.timestamp)
    .execute()
  await db.schema.createIndex('notifications_created_idx').on('notifications').columns(['created_at', 'id']).execute()
  await db.schema.createIndex('notifications_status_idx').on('notifications').columns(['status', 'created_at', 'id']).execute()
  await db.schema.createIndex('notifications_incident_idx').on('notifications').columns(['incident_id', 'created_at', 'id']).execute()
  await db.schema.createIndex('notifications_alert_idx').on('notifications').columns(['alert_id', 'created_at', 'id']).execute()
  await db.schema.createIndex('notifications_customer_idx').on('notifications').columns(['customer_id', 'created_at', 'id']).execute()
  await db.schema.createIndex('notifications_channel_idx').on('notifications').column('channel_id').execute()

  // The delivery log: attempt numbers count from 1 per message and are assigned under the
  // message's row lock (SQLite's write transactions are serial), so they never repeat.
  await db.schema
    .createTable('notification_attempts')
    .addColumn('notification_id', 'text', (c) => c.notNull().references('notifications.id'))
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('started_at', t.timestamp, (c) => c.notNull())
    .addColumn('finished_at', t.timestamp, (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('detail', 'text')
    .addColumn('error', 'text')
    .addPrimaryKeyConstraint('notification_attempts_pk', ['notification_id', 'attempt'])
    .execute()
}
