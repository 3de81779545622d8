import { dialectOf, type Db } from '../db/connect.js'
import { fromJson, toIso, toNumber } from '../db/mappers.js'
import type { AuditLogTable } from '../db/schema.js'
import type { Selectable } from 'kysely'
import type { TenantScope } from '../shared/actor.js'
import type { AuditRecord } from './model.js'

/**
 * The chain head, locked for the rest of the transaction. On PostgreSQL the row lock
 * serialises writers; on SQLite the write transaction (BEGIN IMMEDIATE) already does.
 */
export async function lockHead(db: Db): Promise<{ seq: number; hash: string }> {
  let query = db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1)
  if (dialectOf(db) === 'postgres') query = query.forUpdate()
  const row = await query.executeTakeFirstOrThrow()
  return { seq: toNumber(row.seq), hash: row.hash }
}

export async function findHead(db: Db): Promise<{ seq: number; hash: string }> {
  const row = await db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirstOrThrow()
  return { seq: toNumber(row.seq), hash: row.hash }
}

export async function appendRecord(db: Db, record: AuditRecord): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      seq: record.seq,
      id: record.id,
      at: record.at,
      actor_kind: record.actorKind,
      actor_id: record.actorId,
      actor_label: record.actorLabel,
      action: record.action,
      target_type: record.targetType,
      target_id: record.targetId,
      customer_id: record.customerId,
      details: JSON.stringify(record.details),
      prev_hash: record.prevHash,
      hash: record.hash,
    })
    .execute()
  await db.updateTable('audit_head').set({ seq: record.seq, hash: record.hash }).where('id', '=', 1).execute()
}

/** Records in chain order from `afterSeq`, a batch at a time. */
export async function listRecordsAfter(db: Db, afterSeq: number, limit: number): Promise<AuditRecord[]> {
  const rows = await db.selectFrom('audit_log').selectAll().where('seq', '>', afterSeq).orderBy('seq').limit(limit).execute()
  return rows.map(toAuditRecord)
}

export interface AuditQuery {
  scope: TenantScope
  targetType?: string | undefined
  targetId?: string | undefined
  action?: string | undefined
  /** Newest first: records with seq below this one. */
  beforeSeq?: number | undefined
  limit: number
}

export async function listRecords(db: Db, query: AuditQuery): Promise<AuditRecord[]> {
  let select = db.selectFrom('audit_log').selectAll().orderBy('seq', 'desc').limit(query.limit)
  if (!query.scope.all) {
    if (query.scope.customerIds.length === 0) return []
    select = select.where('customer_id', 'in', [...query.scope.customerIds])
  }
  if (query.targetType) select = select.where('target_type', '=', query.targetType)
  if (query.targetId) select = select.where('target_id', '=', query.targetId)
  if (query.action) select = select.where('action', '=', query.action)
  if (query.beforeSeq !== undefined) select = select.where('seq', '<', query.beforeSeq)
  const rows = await select.execute()
  return rows.map(toAuditRecord)
}

function toAuditRecord(row: Selectable<AuditLogTable>): AuditRecord {
  return {
    seq: toNumber(row.seq),
    id: row.id,
    at: toIso(row.at),
    actorKind: row.actor_kind,
    actorId: row.actor_id,
    actorLabel: row.actor_label,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    customerId: row.customer_id,
    details: fromJson<Record<string, unknown>>(row.details),
    prevHash: row.prev_hash,
    hash: row.hash,
  }
}
