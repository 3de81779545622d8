import type { Selectable } from 'kysely'
import { dialectOf, type Db } from '../db/connect.js'
import type { IncidentTasksTable, IncidentsTable, PlaybooksTable } from '../db/schema.js'
import { fromJson, toIso, toIsoOrNull, toJson, toNumber } from '../db/mappers.js'
import { visibleCustomerIds, type TenantScope } from '../shared/actor.js'
import type { Incident, IncidentLink, IncidentRole, IncidentTask, LinkKind, Playbook, Severity, Status, TaskStatus, TaskTemplate, TimelineEntry } from './model.js'

/** Incident SQL: incidents, their links, timeline and tasks, and the playbooks. */

// ---- incidents ----

type IncidentRow = Selectable<IncidentsTable>

function toIncident(row: IncidentRow): Incident {
  return {
    id: row.id,
    title: row.title,
    summary: row.summary,
    severity: row.severity as Severity,
    status: row.status as Status,
    commanderId: row.commander_id,
    communicationsLeadId: row.communications_lead_id,
    operationsLeadId: row.operations_lead_id,
    openedAt: toIso(row.opened_at),
    openedBy: row.opened_by,
    acknowledgedAt: toIsoOrNull(row.acknowledged_at),
    containedAt: toIsoOrNull(row.contained_at),
    resolvedAt: toIsoOrNull(row.resolved_at),
    closedAt: toIsoOrNull(row.closed_at),
    updatedAt: toIso(row.updated_at),
  }
}

export async function insertIncident(db: Db, incident: Incident): Promise<void> {
  await db
    .insertInto('incidents')
    .values({
      id: incident.id,
      title: incident.title,
      summary: incident.summary,
      severity: incident.severity,
      status: incident.status,
      commander_id: incident.commanderId,
      communications_lead_id: incident.communicationsLeadId,
      operations_lead_id: incident.operationsLeadId,
      opened_at: incident.openedAt,
      opened_by: incident.openedBy,
      acknowledged_at: incident.acknowledgedAt,
      contained_at: incident.containedAt,
      resolved_at: incident.resolvedAt,
      closed_at: incident.closedAt,
      updated_at: incident.updatedAt,
    })
    .execute()
}

export type IncidentChanges = Partial<Omit<Incident, 'id' | 'openedAt' | 'openedBy'>>

export async function updateIncident(db: Db, id: string, changes: IncidentChanges): Promise<void> {
  await db
    .updateTable('incidents')
    .set({
      ...(changes.title !== undefined && { title: changes.title }),
      ...(changes.summary !== undefined && { summary: changes.summary }),
      ...(changes.severity !== undefined && { severity: changes.severity }),
      ...(changes.status !== undefined && { status: changes.status }),
      ...(changes.commanderId !== undefined && { commander_id: changes.commanderId }),
      ...(changes.communicationsLeadId !== undefined && { communications_lead_id: changes.communicationsLeadId }),
      ...(changes.operationsLeadId !== undefined && { operations_lead_id: changes.operationsLeadId }),
      ...(changes.acknowledgedAt !== undefined && { acknowledged_at: changes.acknowledgedAt }),
      ...(changes.containedAt !== undefined && { contained_at: changes.containedAt }),
      ...(changes.resolvedAt !== undefined && { resolved_at: changes.resolvedAt }),
      ...(changes.closedAt !== undefined && { closed_at: changes.closedAt }),
      ...(changes.updatedAt !== undefined && { updated_at: changes.updatedAt }),
    })
    .where('id', '=', id)
    .execute()
}

/**
 * An incident the scope may see: staff see all; a customer scope sees incidents linked to one of
 * its customers. `lock` holds the row until the transaction ends on PostgreSQL, so two changes
 * to one incident take turns (SQLite's write transactions already do).
 */
export async function findIncident(db: Db, scope: TenantScope, id: string, options: { lock?: boolean } = {}): Promise<Incident | undefined> {
  let query = db.selectFrom('incidents').selectAll().where('id', '=', id)
  const allowed = visibleCustomerIds(scope)
  if (allowed) query = query.where('id', 'in', incidentsOfCustomers(db, allowed))
  if (options.lock && dialectOf(db) === 'postgres') query = query.forUpdate()
  const row = await query.executeTakeFirst()
  return row && toIncident(row)
}

export interface IncidentListQuery {
  scope: TenantScope
  status?: Status | undefined
  severity?: Severity | undefined
  customerId?: string | undefined
  /** Sort key (opened_at, id) of the last item of the previous page. */
  after?: readonly [openedAt: string, id: string] | undefined
  limit: number
}

/** Incidents, newest first, filtered and scoped in the query. */
export async function listIncidents(db: Db, query: IncidentListQuery): Promise<Incident[]> {
  let select = db.selectFrom('incidents').selectAll()
  const allowed = visibleCustomerIds(query.scope)
  if (allowed) select = select.where('id', 'in', incidentsOfCustomers(db, allowed))
  if (query.customerId !== undefined) select = select.where('id', 'in', incidentsOfCustomers(db, [query.customerId]))
  if (query.status !== undefined) select = select.where('status', '=', query.status)
  if (query.severity !== undefined) select = select.where('severity', '=', query.severity)
  const after = query.after
  if (after) select = select.where((eb) => eb.or([eb('opened_at', '<', after[0]), eb.and([eb('opened_at', '=', after[0]), eb('id', '<', after[1])])]))
  const rows = await select.orderBy('opened_at', 'desc').orderBy('id', 'desc').limit(query.limit).execute()
  return rows.map(toIncident)
}

/** The ids of incidents linked to any of these customers, for an `in`. */
function incidentsOfCustomers(db: Db, customerIds: readonly string[]) {
  return db.selectFrom('incident_links').select('incident_id').where('kind', '=', 'customer').where('target_id', 'in', customerIds)
}

/** Sets acknowledged_at unless it is set already; true when this call set it. */
export async function acknowledge(db: Db, id: string, at: string): Promise<boolean> {
  const result = await db.updateTable('incidents').set({ acknowledged_at: at }).where('id', '=', id).where('acknowledged_at', 'is', null).executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

// ---- links ----

/** Adds a link; false when the incident already had it. */
export async function insertLink(db: Db, incidentId: string, link: IncidentLink): Promise<boolean> {
  const result = await db
    .insertInto('incident_links')
    .values({ incident_id: incidentId, kind: link.kind, target_id: link.targetId, created_at: link.createdAt, created_by: link.createdBy })
    .onConflict((oc) => oc.columns(['incident_id', 'kind', 'target_id']).doNothing())
    .returning('incident_id')
    .executeTakeFirst()
  return result !== undefined
}

export async function listLinks(db: Db, incidentId: string): Promise<IncidentLink[]> {
  const rows = await db.selectFrom('incident_links').selectAll().where('incident_id', '=', incidentId).orderBy('created_at').orderBy('kind').orderBy('target_id').execute()
  return rows.map((r) => ({ kind: r.kind as LinkKind, targetId: r.target_id, createdAt: toIso(r.created_at), createdBy: r.created_by }))
}

// ---- timeline ----

export type TimelineInsert = Omit<TimelineEntry, 'id'>

export async function insertTimeline(db: Db, entries: readonly TimelineInsert[]): Promise<void> {
  if (entries.length === 0) return
  await db
    .insertInto('incident_timeline')
    .values(entries.map((e) => ({ incident_id: e.incidentId, at: e.at, kind: e.kind, text: e.text, actor_label: e.actorLabel, data: e.data === null ? null : toJson(e.data) })))
    .execute()
}

/** One entry, with the id it was given. */
export async function insertTimelineEntry(db: Db, entry: TimelineInsert): Promise<TimelineEntry> {
  const row = await db
    .insertInto('incident_timeline')
    .values({ incident_id: entry.incidentId, at: entry.at, kind: entry.kind, text: entry.text, actor_label: entry.actorLabel, data: entry.data === null ? null : toJson(entry.data) })
    .returning('id')
    .executeTakeFirstOrThrow()
  return { id: String(toNumber(row.id)), ...entry }
}

export async function countTimeline(db: Db, incidentId: string): Promise<number> {
  const row = await db.selectFrom('incident_timeline').select((eb) => eb.fn.countAll().as('entries')).where('incident_id', '=', incidentId).executeTakeFirstOrThrow()
  return toNumber(row.entries as number | string)
}

/** An incident's timeline in time order (entries of one time in the order written), a page at a time. */
export async function listTimeline(db: Db, incidentId: string, after: readonly [at: string, id: number] | undefined, limit: number): Promise<TimelineEntry[]> {
  let query = db.selectFrom('incident_timeline').selectAll().where('incident_id', '=', incidentId)
  if (after) query = query.where((eb) => eb.or([eb('at', '>', after[0]), eb.and([eb('at', '=', after[0]), eb('id', '>', after[1])])]))
  const rows = await query.orderBy('at').orderBy('id').limit(limit).execute()
  return rows.map((r) => ({
    id: String(toNumber(r.id)),
    incidentId: r.incident_id,
    at: toIso(r.at),
    kind: r.kind,
    text: r.text,
    actorLabel: r.actor_label,
    data: r.data === null ? null : fromJson(r.data),
  }))
}

// ---- tasks ----

type TaskRow = Selectable<IncidentTasksTable>

function toTask(row: TaskRow): IncidentTask {
  return {
    id: row.id,
    incidentId: row.incident_id,
    position: Number(row.position),
    title: row.title,
    description: row.description,
    role: row.role as IncidentRole | null,
    assigneeId: row.assignee_id,
    dueAt: toIsoOrNull(row.due_at),
    status: row.status as TaskStatus,
    playbookId: row.playbook_id,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
    completedAt: toIsoOrNull(row.completed_at),
  }
}

export async function insertTasks(db: Db, tasks: readonly IncidentTask[]): Promise<void> {
  if (tasks.length === 0) return
  await db
    .insertInto('incident_tasks')
    .values(
      tasks.map((t) => ({
        id: t.id,
        incident_id: t.incidentId,
        position: t.position,
        title: t.title,
        description: t.description,
        role: t.role,
        assignee_id: t.assigneeId,
        due_at: t.dueAt,
        status: t.status,
        playbook_id: t.playbookId,
        created_at: t.createdAt,
        updated_at: t.updatedAt,
        completed_at: t.completedAt,
      })),
    )
    .execute()
}

export async function updateTask(db: Db, id: string, changes: Partial<Pick<IncidentTask, 'title' | 'description' | 'assigneeId' | 'dueAt' | 'status' | 'updatedAt' | 'completedAt'>>): Promise<void> {
  await db
    .updateTable('incident_tasks')
    .set({
      ...(changes.title !== undefined && { title: changes.title }),
      ...(changes.description !== undefined && { description: changes.description }),
      ...(changes.assigneeId !== undefined && { assignee_id: changes.assigneeId }),
      ...(changes.dueAt !== undefined && { due_at: changes.dueAt }),
      ...(changes.status !== undefined && { status: changes.status }),
      ...(changes.updatedAt !== undefined && { updated_at: changes.updatedAt }),
      ...(changes.completedAt !== undefined && { completed_at: changes.completedAt }),
    })
    .where('id', '=', id)
    .execute()
}

export async function findTask(db: Db, incidentId: string, taskId: string): Promise<IncidentTask | undefined> {
  const row = await db.selectFrom('incident_tasks').selectAll().where('incident_id', '=', incidentId).where('id', '=', taskId).executeTakeFirst()
  return row && toTask(row)
}

export async function listTasks(db: Db, incidentId: string): Promise<IncidentTask[]> {
  const rows = await db.selectFrom('incident_tasks').selectAll().where('incident_id', '=', incidentId).orderBy('position').execute()
  return rows.map(toTask)
}

/** The position after the incident's last task. */
export async function nextTaskPosition(db: Db, incidentId: string): Promise<number> {
  const row = await db.selectFrom('incident_tasks').select((eb) => eb.fn.max('position').as('last')).where('incident_id', '=', incidentId).executeTakeFirst()
  return row?.last === null || row?.last === undefined ? 1 : Number(row.last) + 1
}

export async function hasTasksFrom(db: Db, incidentId: string, playbookId: string): Promise<boolean> {
  const row = await db.selectFrom('incident_tasks').select('id').where('incident_id', '=', incidentId).where('playbook_id', '=', playbookId).limit(1).executeTakeFirst()
  return row !== undefined
}

// ---- playbooks ----

export interface PlaybookRow extends Playbook {
  contentHash: string
}

type PlaybookDbRow = Selectable<PlaybooksTable>

function toPlaybook(row: PlaybookDbRow): PlaybookRow {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    description: row.description,
    tasks: fromJson<TaskTemplate[]>(row.tasks),
    source: row.source as Playbook['source'],
    contentHash: row.content_hash,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  }
}

export async function insertPlaybook(db: Db, playbook: PlaybookRow): Promise<void> {
  await db
    .insertInto('playbooks')
    .values({
      id: playbook.id,
      slug: playbook.slug,
      name: playbook.name,
      description: playbook.description,
      tasks: toJson(playbook.tasks),
      source: playbook.source,
      content_hash: playbook.contentHash,
      created_at: playbook.createdAt,
      updated_at: playbook.updatedAt,
    })
    .execute()
}

export async function replacePlaybook(db: Db, id: string, playbook: Pick<PlaybookRow, 'name' | 'description' | 'tasks' | 'contentHash' | 'updatedAt'>): Promise<void> {
  await db
    .updateTable('playbooks')
    .set({ name: playbook.name, description: playbook.description, tasks: toJson(playbook.tasks), content_hash: playbook.contentHash, updated_at: playbook.updatedAt })
    .where('id', '=', id)
    .execute()
}

/** A playbook by id, else by slug (an id is never taken for another playbook's slug). */
export async function findPlaybook(db: Db, reference: string): Promise<PlaybookRow | undefined> {
  const row =
    (await db.selectFrom('playbooks').selectAll().where('id', '=', reference).executeTakeFirst()) ??
    (await db.selectFrom('playbooks').selectAll().where('slug', '=', reference).executeTakeFirst())
  return row && toPlaybook(row)
}

export async function listPlaybooks(db: Db): Promise<PlaybookRow[]> {
  const rows = await db.selectFrom('playbooks').selectAll().orderBy('name').orderBy('slug').execute()
  return rows.map(toPlaybook)
}
