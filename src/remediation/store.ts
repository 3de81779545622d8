import { sql } from 'kysely'
import type { Db } from '../db/connect.js'
import { fromJson, toIso, toIsoOrNull, toJson, toNumber } from '../db/mappers.js'
import { visibleCustomerIds, type TenantScope } from '../shared/actor.js'
import type { ActionKind, AvScan, Campaign, CampaignAction, ScanResult, Task, TaskEvidence, TaskState } from './model.js'

/**
 * Remediation SQL: campaigns, tasks and scans. The verification reads (installations, catalog,
 * findings of an import) join the inventory's and exposure's tables, read-only, as exposure's
 * store reads the inventory's.
 */

// ---- campaigns ----

export async function insertCampaign(db: Db, campaign: Campaign): Promise<void> {
  await db
    .insertInto('remediation_campaigns')
    .values({
      id: campaign.id,
      title: campaign.title,
      advisory_ids: toJson(campaign.advisoryIds),
      incident_id: campaign.incidentId,
      actions: toJson(campaign.actions),
      deadline: campaign.deadline,
      created_by: campaign.createdBy,
      created_at: campaign.createdAt,
      updated_at: campaign.updatedAt,
    })
    .execute()
}

type CampaignRow = { id: string; title: string; advisory_ids: unknown; incident_id: string | null; actions: unknown; deadline: Date | string | null; created_by: string; created_at: Date | string; updated_at: Date | string }

function toCampaign(row: CampaignRow): Campaign {
  return {
    id: row.id,
    title: row.title,
    advisoryIds: fromJson<string[]>(row.advisory_ids),
    incidentId: row.incident_id,
    actions: fromJson<CampaignAction[]>(row.actions),
    deadline: toIsoOrNull(row.deadline),
    createdBy: row.created_by,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  }
}

/** Staff see every campaign; a customer sees the campaigns that hold tasks of its customers. */
function campaignsQuery(db: Db, scope: TenantScope) {
  let q = db.selectFrom('remediation_campaigns as c').selectAll('c')
  const allowed = visibleCustomerIds(scope)
  if (allowed) q = q.where((eb) => eb.exists(eb.selectFrom('remediation_tasks as t').select('t.id').whereRef('t.campaign_id', '=', 'c.id').where('t.customer_id', 'in', allowed)))
  return q
}

export async function findCampaign(db: Db, scope: TenantScope, id: string): Promise<Campaign | undefined> {
  const row = await campaignsQuery(db, scope).where('c.id', '=', id).executeTakeFirst()
  return row && toCampaign(row)
}

export async function listCampaigns(db: Db, scope: TenantScope, after: readonly [createdAt: string, id: string] | undefined, limit: number): Promise<Campaign[]> {
  let q = campaignsQuery(db, scope)
  if (after) q = q.where((eb) => eb.or([eb('c.created_at', '<', after[0]), eb.and([eb('c.created_at', '=', after[0]), eb('c.id', '<', after[1])])]))
  const rows = await q.orderBy('c.created_at', 'desc').orderBy('c.id', 'desc').limit(limit + 1).execute()
  return rows.map(toCampaign)
}

// ---- tasks ----

/** A new task; `productKey` is the catalog's key of its product ('' for actions about no product). */
export type TaskInsert = Omit<Task, 'hostname' | 'endpoint' | 'evidence' | 'exemptReason' | 'exemptApprover' | 'reopenedCount' | 'updatedAt'> & { productKey: string }

export async function insertTasks(db: Db, tasks: readonly TaskInsert[]): Promise<void> {
  for (let i = 0; i < tasks.length; i += 500) {
    await db
      .insertInto('remediation_tasks')
      .values(
        tasks.slice(i, i + 500).map((t) => ({
          id: t.id,
          campaign_id: t.campaignId,
          customer_id: t.customerId,
          endpoint_id: t.endpointId,
          action_index: t.actionIndex,
          action: t.action,
          product_key: t.productKey,
          product: t.product,
          target_version: t.targetVersion,
          title: t.title,
          state: t.state,
          state_at: t.stateAt,
          evidence: null,
          exempt_reason: null,
          exempt_approver: null,
          reopened_count: 0,
          created_at: t.createdAt,
          updated_at: t.createdAt,
        })),
      )
      .execute()
  }
}

function tasksQuery(db: Db) {
  return db
    .selectFrom('remediation_tasks as t')
    .innerJoin('endpoints as e', 'e.id', 't.endpoint_id')
    .select([
      't.id',
      't.campaign_id',
      't.customer_id',
      't.endpoint_id',
      't.action_index',
      't.action',
      't.product',
      't.target_version',
      't.title',
      't.state',
      't.state_at',
      't.evidence',
      't.exempt_reason',
      't.exempt_approver',
      't.reopened_count',
      't.created_at',
      't.updated_at',
      'e.hostname',
      'e.identifier',
    ])
}

type TaskRow = Awaited<ReturnType<ReturnType<typeof tasksQuery>['execute']>>[number]

function toTask(row: TaskRow): Task {
  return {
    id: row.id,
    campaignId: row.campaign_id,
    customerId: row.customer_id,
    endpointId: row.endpoint_id,
    hostname: row.hostname,
    endpoint: row.identifier,
    actionIndex: toNumber(row.action_index),
    action: row.action as ActionKind,
    product: row.product,
    targetVersion: row.target_version,
    title: row.title,
    state: row.state as TaskState,
    stateAt: toIso(row.state_at),
    evidence: row.evidence === null ? null : fromJson<TaskEvidence>(row.evidence),
    exemptReason: row.exempt_reason,
    exemptApprover: row.exempt_approver,
    reopenedCount: toNumber(row.reopened_count),
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  }
}

export interface TaskQuery {
  scope: TenantScope
  campaignId: string
  customerId?: string | undefined
  endpointId?: string | undefined
  states?: readonly TaskState[] | undefined
  afterId?: string | undefined
  /** Omitted: every task (progress and export). */
  limit?: number | undefined
}

export async function listTasks(db: Db, query: TaskQuery): Promise<Task[]> {
  let q = tasksQuery(db).where('t.campaign_id', '=', query.campaignId)
  const allowed = visibleCustomerIds(query.scope)
  if (allowed) q = q.where('t.customer_id', 'in', allowed)
  if (query.customerId !== undefined) q = q.where('t.customer_id', '=', query.customerId)
  if (query.endpointId !== undefined) q = q.where('t.endpoint_id', '=', query.endpointId)
  if (query.states) q = q.where('t.state', 'in', query.states)
  if (query.afterId !== undefined) q = q.where('t.id', '>', query.afterId)
  q = q.orderBy('t.id')
  if (query.limit !== undefined) q = q.limit(query.limit + 1)
  return (await q.execute()).map(toTask)
}

export async function findTask(db: Db, scope: TenantScope, campaignId: string | undefined, id: string): Promise<Task | undefined> {
  let q = tasksQuery(db).where('t.id', '=', id)
  if (campaignId !== undefined) q = q.where('t.campaign_id', '=', campaignId)
  const allowed = visibleCustomerIds(scope)
  if (allowed) q = q.where('t.customer_id', 'in', allowed)
  const row = await q.executeTakeFirst()
  return row && toTask(row)
}

/** Moves a task to a state; `from` guards against a concurrent change (returns false when it lost). */
export async function setTaskState(
  db: Db,
  id: string,
  from: readonly TaskState[],
  change: { state: TaskState; at: string; evidence: TaskEvidence | null; exemptReason?: string | null; exemptApprover?: string | null; reopened?: boolean },
): Promise<boolean> {
  const result = await db
    .updateTable('remediation_tasks')
    .set((eb) => ({
      state: change.state,
      state_at: change.at,
      evidence: change.evidence === null ? null : toJson(change.evidence),
      exempt_reason: change.exemptReason ?? null,
      exempt_approver: change.exemptApprover ?? null,
      reopened_count: change.reopened ? eb('reopened_count', '+', 1) : eb.ref('reopened_count'),
      updated_at: change.at,
    }))
    .where('id', '=', id)
    .where('state', 'in', from)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

export async function customerNames(db: Db, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map()
  const rows = await db.selectFrom('customers').select(['id', 'name']).where('id', 'in', ids).execute()
  return new Map(rows.map((r) => [r.id, r.name]))
}

// ---- verification reads (inventory's and exposure's tables) ----

export interface ImportTask {
  id: string
  campaignId: string
  customerId: string
  endpointId: string
  action: 'uninstall' | 'upgrade'
  productKey: string
  targetVersion: string | null
  state: TaskState
  reopenedCount: number
  advisoryIds: string[]
}

/** Uninstall and upgrade tasks, open or verified, on the endpoints an inventory import touched. */
export async function tasksOfImport(db: Db, importId: string): Promise<ImportTask[]> {
  const rows = await db
    .selectFrom('remediation_tasks as t')
    .innerJoin('remediation_campaigns as c', 'c.id', 't.campaign_id')
    .select(['t.id', 't.campaign_id', 't.customer_id', 't.endpoint_id', 't.action', 't.product_key', 't.target_version', 't.state', 't.reopened_count', 'c.advisory_ids'])
    .where('t.action', 'in', ['uninstall', 'upgrade'])
    .where('t.state', 'in', ['pending', 'in_progress', 'done_verified'])
    .where('t.endpoint_id', 'in', (eb) => eb.selectFrom('inventory_import_endpoints').select('endpoint_id').where('import_id', '=', importId))
    .orderBy('t.id')
    .execute()
  return rows.map((r) => ({
    id: r.id,
    campaignId: r.campaign_id,
    customerId: r.customer_id,
    endpointId: r.endpoint_id,
    action: r.action as 'uninstall' | 'upgrade',
    productKey: r.product_key,
    targetVersion: r.target_version,
    state: r.state as TaskState,
    reopenedCount: toNumber(r.reopened_count),
    advisoryIds: fromJson<string[]>(r.advisory_ids),
  }))
}

export interface PresentInstallation {
  endpointId: string
  catalogId: number
  productKey: string
  version: string
  ecosystem: string | null
}

/** What the endpoints have installed now, of these products. */
export async function presentInstallations(db: Db, endpointIds: readonly string[], productKeys: readonly string[]): Promise<PresentInstallation[]> {
  if (endpointIds.length === 0 || productKeys.length === 0) return []
  const out: PresentInstallation[] = []
  for (let i = 0; i < endpointIds.length; i += 500) {
    const rows = await db
      .selectFrom('installations as i')
      .innerJoin('endpoints as e', 'e.seq', 'i.endpoint_seq')
      .innerJoin('software_catalog as c', 'c.id', 'i.catalog_id')
      .select(['e.id as endpoint_id', 'c.id as catalog_id', 'c.product_key', 'c.version', 'c.ecosystem'])
      .where('e.id', 'in', endpointIds.slice(i, i + 500))
      .where('c.product_key', 'in', productKeys)
      .where('i.removed_at', 'is', null)
      .execute()
    for (const r of rows) out.push({ endpointId: r.endpoint_id, catalogId: toNumber(r.catalog_id), productKey: r.product_key, version: r.version, ecosystem: r.ecosystem })
  }
  return out
}

export interface OpenFinding {
  id: string
  endpointId: string
  advisoryId: string
  catalogId: number
  productKey: string
  version: string
}

/** Open findings on the endpoints an import touched, as exposure left them after reconciling the import. */
export async function openFindingsOfImport(db: Db, importId: string): Promise<OpenFinding[]> {
  const rows = await db
    .selectFrom('findings as f')
    .innerJoin('software_catalog as c', 'c.id', 'f.catalog_id')
    .select(['f.id', 'f.endpoint_id', 'f.advisory_id', 'f.catalog_id', 'c.product_key', 'c.version'])
    .where('f.status', '=', 'open')
    .where('f.endpoint_id', 'in', (eb) => eb.selectFrom('inventory_import_endpoints').select('endpoint_id').where('import_id', '=', importId))
    .execute()
  return rows.map((r) => ({ id: String(r.id), endpointId: r.endpoint_id, advisoryId: r.advisory_id, catalogId: toNumber(r.catalog_id), productKey: r.product_key, version: r.version }))
}

// ---- scans ----

export async function insertScan(db: Db, scan: AvScan & { actorId: string }): Promise<void> {
  await db
    .insertInto('remediation_scans')
    .values({
      id: scan.id,
      import_id: scan.importId,
      customer_id: scan.customerId,
      endpoint_id: scan.endpointId,
      product: scan.product,
      file: scan.file,
      line: scan.line,
      started_at: scan.startedAt,
      finished_at: scan.finishedAt,
      scanned_files: scan.scannedFiles,
      infected_files: scan.infectedFiles,
      result: scan.result,
      detections: toJson(scan.detections),
      actor_id: scan.actorId,
      created_at: scan.createdAt,
    })
    .execute()
}

export async function listScans(db: Db, scope: TenantScope, endpointId: string): Promise<AvScan[]> {
  let q = db.selectFrom('remediation_scans').selectAll().where('endpoint_id', '=', endpointId)
  const allowed = visibleCustomerIds(scope)
  if (allowed) q = q.where('customer_id', 'in', allowed)
  const rows = await q.orderBy('finished_at').orderBy('id').execute()
  return rows.map((r) => ({
    id: r.id,
    importId: r.import_id,
    customerId: r.customer_id,
    endpointId: r.endpoint_id,
    product: r.product,
    file: r.file,
    line: toNumber(r.line),
    startedAt: toIsoOrNull(r.started_at),
    finishedAt: toIso(r.finished_at),
    scannedFiles: r.scanned_files === null ? null : toNumber(r.scanned_files),
    infectedFiles: toNumber(r.infected_files),
    result: r.result as ScanResult,
    detections: fromJson(r.detections),
    createdAt: toIso(r.created_at),
  }))
}

/** Open av_scan tasks on an endpoint, of campaigns started at or before the scan finished. */
export async function openScanTasks(db: Db, endpointId: string, finishedAt: string): Promise<Array<{ id: string; campaignId: string; state: TaskState }>> {
  const rows = await db
    .selectFrom('remediation_tasks as t')
    .innerJoin('remediation_campaigns as c', 'c.id', 't.campaign_id')
    .select(['t.id', 't.campaign_id', 't.state', 'c.created_at'])
    .where('t.endpoint_id', '=', endpointId)
    .where('t.action', '=', 'av_scan')
    .where('t.state', 'in', ['pending', 'in_progress'])
    .orderBy('t.id')
    .execute()
  return rows.filter((r) => toIso(r.created_at) <= finishedAt).map((r) => ({ id: r.id, campaignId: r.campaign_id, state: r.state as TaskState }))
}

// ---- deadlines ----

/** Customers with open tasks in campaigns whose deadline has passed, with how many tasks. */
export async function overdueByCustomer(db: Db, now: string): Promise<Array<{ campaignId: string; title: string; deadline: string; customerId: string; tasks: number }>> {
  const rows = await db
    .selectFrom('remediation_tasks as t')
    .innerJoin('remediation_campaigns as c', 'c.id', 't.campaign_id')
    .select(['c.id', sql<string>`min(c.title)`.as('title'), sql<Date | string>`min(c.deadline)`.as('deadline'), 't.customer_id', sql<number | string>`count(*)`.as('tasks')])
    .where('c.deadline', 'is not', null)
    .where('c.deadline', '<', now)
    .where('t.state', 'in', ['pending', 'in_progress'])
    .groupBy(['c.id', 't.customer_id'])
    .orderBy('c.id')
    .orderBy('t.customer_id')
    .execute()
  return rows.map((r) => ({ campaignId: r.id, title: r.title, deadline: toIso(r.deadline), customerId: r.customer_id, tasks: toNumber(r.tasks) }))
}
