import type { Kysely } from 'kysely'
import { columnTypes } from './column-types.js'

// Frozen in time: never edit a migration that has shipped; add a new one.

/**
 * Incidents: the incident with its roles and the first times it was acknowledged, contained and
 * resolved; what it is linked to (alerts, customers, advisories, findings, sightings: a kind and
 * an id, since the targets live in other modules' tables); its timeline; its tasks; and the
 * playbooks whose task templates are applied to it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const t = columnTypes(db)
  const serial = (c: any) => (t.postgres ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey())

  await db.schema
    .createTable('playbooks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('slug', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    // The task templates, in order: title, description, role, due in minutes.
    .addColumn('tasks', t.json, (c) => c.notNull())
    // 'bundled' (shipped with Cordon, upserted at start) or 'custom'.
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('incidents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('commander_id', 'text', (c) => c.references('users.id'))
    .addColumn('communications_lead_id', 'text', (c) => c.references('users.id'))
    .addColumn('operations_lead_id', 'text', (c) => c.references('users.id'))
    .addColumn('opened_at', t.timestamp, (c) => c.notNull())
    .addColumn('opened_by', 'text', (c) => c.notNull())
    // The first time each happened; a reopened incident keeps them (the report's figures).
    .addColumn('acknowledged_at', t.timestamp)
    .addColumn('contained_at', t.timestamp)
    .addColumn('resolved_at', t.timestamp)
    .addColumn('closed_at', t.timestamp)
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute()
  await db.schema.createIndex('incidents_opened_idx').on('incidents').columns(['opened_at', 'id']).execute()
  await db.schema.createIndex('incidents_status_idx').on('incidents').columns(['status', 'opened_at', 'id']).execute()

  await db.schema
    .createTable('incident_links')
    .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('target_id', 'text', (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('incident_links_pk', ['incident_id', 'kind', 'target_id'])
    .execute()
  // The incidents of a customer (list filters, tenant scope) and of an alert.
  await db.schema.createIndex('incident_links_target_idx').on('incident_links').columns(['kind', 'target_id', 'incident_id']).execute()

  await db.schema
    .createTable('incident_timeline')
    .addColumn('id', t.bigint, serial)
    .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id'))
    .addColumn('at', t.timestamp, (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('actor_label', 'text', (c) => c.notNull())
    .addColumn('data', t.json)
    .execute()
  await db.schema.createIndex('incident_timeline_incident_idx').on('incident_timeline').columns(['incident_id', 'at', 'id']).execute()

  await db.schema
    .createTable('incident_tasks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('role', 'text')
    .addColumn('assignee_id', 'text', (c) => c.references('users.id'))
    .addColumn('due_at', t.timestamp)
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('playbook_id', 'text', (c) => c.references('playbooks.id'))
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addColumn('completed_at', t.timestamp)
    .addUniqueConstraint('incident_tasks_position_unique', ['incident_id', 'position'])
    .execute()
}
