import { createHash } from 'node:crypto'
import type { Db } from '../db/connect.js'
import { isUniqueViolation } from '../db/errors.js'
import type { Actor } from '../shared/actor.js'
import type { Clock } from '../shared/clock.js'
import { AppError } from '../shared/errors.js'
import * as store from './store.js'

export interface IdempotencyDeps {
  db: Db
  clock: Clock
}

export type Idempotency = ReturnType<typeof createIdempotency>

/** The longest key a client may send. */
export const maxKeyLength = 200

/**
 * Retried requests that must not act twice (sending notices, opening a campaign): the first
 * answer to an operation's key is stored in the transaction that does the work, and a retry with
 * the same key gets that answer back without doing anything. The same key with a different
 * request is refused, so a client's bug is not mistaken for a retry.
 */
export function createIdempotency({ db, clock }: IdempotencyDeps) {
  /** A stable digest of the request: object keys in any order give the same fingerprint. */
  function fingerprintOf(request: unknown): string {
    return createHash('sha256').update(canonical(request)).digest('hex')
  }

  function check(key: string): void {
    if (key.length === 0 || key.length > maxKeyLength || /[\u0000-\u001f\u007f]/.test(key)) {
      throw new AppError('invalid', `an idempotency key is 1 to ${maxKeyLength} printable characters`, { problems: [{ field: 'Idempotency-Key', message: `1 to ${maxKeyLength} printable characters` }] })
    }
  }

  /** The first answer to this key, if there was one; AppError('conflict') if it answered a different request. */
  async function recall<T>(operation: string, key: string, request: unknown, executor: Db = db): Promise<T | undefined> {
    check(key)
    const stored = await store.findAnswer(executor, operation, key)
    if (!stored) return undefined
    if (stored.fingerprint !== fingerprintOf(request)) {
      throw new AppError('conflict', `the idempotency key ${JSON.stringify(key)} was used at ${stored.createdAt} for a different request`, { problems: [{ field: 'Idempotency-Key', message: 'already used for a different request' }] })
    }
    return stored.answer as T
  }

  /** Stores the answer in the transaction that did the work: it exists only if that commits. */
  async function remember(trx: Db, actor: Actor, operation: string, key: string, request: unknown, answer: unknown): Promise<void> {
    if (!trx.isTransaction) throw new Error('idempotency.remember writes in the caller’s transaction: pass the transaction')
    await store.insertAnswer(trx, { operation, key, fingerprint: fingerprintOf(request), answer, actorId: actor.id, createdAt: clock.now().toISOString() })
  }

  /**
   * Runs `work` once per key: a retry gets the first answer. Two copies racing past the first
   * look-up both do the work, but only one commits (the key is unique); the other's transaction
   * rolls back and it answers with the winner's answer.
   */
  async function once<T>(actor: Actor, operation: string, key: string | undefined, request: unknown, work: (remember: (trx: Db, answer: T) => Promise<void>) => Promise<T>): Promise<T> {
    if (key === undefined) return work(async () => {})
    const earlier = await recall<T>(operation, key, request)
    if (earlier !== undefined) return earlier
    try {
      return await work((trx, answer) => remember(trx, actor, operation, key, request, answer))
    } catch (error) {
      if (!isUniqueViolation(error)) throw error
      const winner = await recall<T>(operation, key, request)
      if (winner === undefined) throw error
      return winner
    }
  }

  return { once }
}

/** JSON with object keys sorted, so equal requests digest equally. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined)
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}
