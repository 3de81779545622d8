import { createHash } from 'node:crypto'

/** What happened, to what, for the audit log. Actions are past-tense events: `customer.created`. */
export interface AuditEvent {
  action: string
  targetType: string
  targetId: string
  /** The tenant the change belongs to, when it belongs to one. */
  customerId?: string | null
  details?: Record<string, unknown>
}

export interface AuditRecord {
  seq: number
  id: string
  at: string
  actorKind: string
  actorId: string
  actorLabel: string
  action: string
  targetType: string
  targetId: string
  customerId: string | null
  details: Record<string, unknown>
  prevHash: string
  hash: string
}

export const genesisHash = '0'.repeat(64)

/**
 * The hash of a record covers every field but its own hash, including the previous record's
 * hash, so changing, removing or reordering any record breaks the chain from there on.
 */
export function hashRecord(record: Omit<AuditRecord, 'hash'>): string {
  const material = canonicalJson([
    record.seq,
    record.id,
    record.at,
    record.actorKind,
    record.actorId,
    record.actorLabel,
    record.action,
    record.targetType,
    record.targetId,
    record.customerId,
    record.details,
    record.prevHash,
  ])
  return createHash('sha256').update(material).digest('hex')
}

/** JSON with object keys sorted at every depth: the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    }
    return v
  })
}

export type ChainBreak = {
  seq: number
  id: string | null
  reason: 'hash_mismatch' | 'previous_hash_mismatch' | 'missing_records' | 'head_mismatch'
  message: string
}

export type VerifyOutcome =
  | { ok: true; records: number; headHash: string }
  | { ok: false; records: number; broken: ChainBreak }
