import type { Db } from '../db/connect.js'
import type { Actor, TenantScope } from '../shared/actor.js'
import type { Clock } from '../shared/clock.js'
import { newId } from '../shared/ids.js'
import { defaultPageSize, decodeCursor, toPage, type Page, type PageRequest } from '../shared/pagination.js'
import { genesisHash, hashRecord, type AuditEvent, type AuditRecord, type ChainBreak, type VerifyOutcome } from './model.js'
import * as store from './store.js'

export interface AuditDeps {
  db: Db
  clock: Clock
}

export interface AuditListQuery extends Partial<PageRequest> {
  targetType?: string | undefined
  targetId?: string | undefined
  action?: string | undefined
}

export type Audit = ReturnType<typeof createAudit>

export function createAudit({ db, clock }: AuditDeps) {
  /**
   * Append an event to the chain inside the caller's transaction, so the change and its
   * record commit together or not at all.
   */
  async function record(trx: Db, actor: Actor, event: AuditEvent): Promise<AuditRecord> {
    if (!trx.isTransaction) throw new Error('audit records are written inside the transaction of the change they describe')
    const head = await store.lockHead(trx)
    const unhashed: Omit<AuditRecord, 'hash'> = {
      seq: head.seq + 1,
      id: newId(),
      at: clock.now().toISOString(),
      actorKind: actor.kind,
      actorId: actor.id,
      actorLabel: actor.label,
      action: event.action,
      targetType: event.targetType,
      targetId: event.targetId,
      customerId: event.customerId ?? null,
      // Round-trip through JSON so what is hashed is exactly what is stored.
      details: JSON.parse(JSON.stringify(event.details ?? {})) as Record<string, unknown>,
      prevHash: head.hash,
    }
    const full: AuditRecord = { ...unhashed, hash: hashRecord(unhashed) }
    await store.appendRecord(trx, full)
    return full
  }

  /**
   * Recompute the whole chain and name the first record that does not fit:
   * changed contents, a broken link, a gap, or a head that disagrees with the last record.
   */
  async function verify(onProgress?: (checked: number, total: number) => void): Promise<VerifyOutcome> {
    const head = await store.findHead(db)
    let previousHash = genesisHash
    let expectedSeq = 1
    let checked = 0
    const batch = 2000
    for (;;) {
      const records = await store.listRecordsAfter(db, expectedSeq - 1, batch)
      for (const record of records) {
        const broken = checkRecord(record, expectedSeq, previousHash)
        if (broken) return { ok: false, records: checked, broken }
        previousHash = record.hash
        expectedSeq += 1
        checked += 1
      }
      onProgress?.(checked, head.seq)
      if (records.length < batch) break
    }
    if (head.seq !== checked || head.hash !== previousHash) {
      const broken: ChainBreak = {
        seq: checked,
        id: null,
        reason: 'head_mismatch',
        message:
          head.seq > checked
            ? `the chain head says ${head.seq} records but only ${checked} remain: records after seq ${checked} were removed`
            : `the chain head (seq ${head.seq}) does not match the last record (seq ${checked})`,
      }
      return { ok: false, records: checked, broken }
    }
    return { ok: true, records: checked, headHash: head.hash }
  }

  async function list(scope: TenantScope, query: AuditListQuery): Promise<Page<AuditRecord>> {
    const limit = query.limit ?? defaultPageSize
    const beforeSeq = query.cursor ? Number(decodeCursor(query.cursor, 1)[0]) : undefined
    const rows = await store.listRecords(db, {
      scope,
      targetType: query.targetType,
      targetId: query.targetId,
      action: query.action,
      beforeSeq: Number.isFinite(beforeSeq) ? beforeSeq : undefined,
      limit: limit + 1,
    })
    return toPage(rows, limit, (r) => [String(r.seq)])
  }

  return { record, verify, list }
}

function checkRecord(record: AuditRecord, expectedSeq: number, previousHash: string): ChainBreak | undefined {
  if (record.seq !== expectedSeq) {
    return {
      seq: record.seq,
      id: record.id,
      reason: 'missing_records',
      message: `expected seq ${expectedSeq} but found ${record.seq}: records ${expectedSeq}..${record.seq - 1} were removed`,
    }
  }
  if (record.prevHash !== previousHash) {
    return { seq: record.seq, id: record.id, reason: 'previous_hash_mismatch', message: `record ${record.seq} does not link to the record before it` }
  }
  const { hash, ...rest } = record
  if (hashRecord(rest) !== hash) {
    return { seq: record.seq, id: record.id, reason: 'hash_mismatch', message: `record ${record.seq} (${record.action} on ${record.targetType} ${record.targetId}) was changed after it was written` }
  }
  return undefined
}
