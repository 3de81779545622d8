import type { Selectable } from 'kysely'
import type { Db } from '../db/connect.js'
import { toIso, toIsoOrNull } from '../db/mappers.js'
import type { ApiTokensTable, UsersTable } from '../db/schema.js'
import type { Role } from '../shared/actor.js'
import type { ApiToken, User } from './model.js'

export interface TokenRow extends ApiToken {
  secretHash: string
}

export async function insertToken(db: Db, token: TokenRow): Promise<void> {
  await db
    .insertInto('api_tokens')
    .values({
      id: token.id,
      name: token.name,
      role: token.role,
      customer_id: token.customerId,
      user_id: token.userId,
      secret_hash: token.secretHash,
      created_by: token.createdBy,
      created_at: token.createdAt,
      expires_at: token.expiresAt,
      last_used_at: token.lastUsedAt,
      revoked_at: token.revokedAt,
    })
    .execute()
}

export async function findTokenWithSecret(db: Db, id: string): Promise<TokenRow | undefined> {
  const row = await db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst()
  return row && { ...toToken(row), secretHash: row.secret_hash }
}

export async function findToken(db: Db, id: string): Promise<ApiToken | undefined> {
  const row = await db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst()
  return row && toToken(row)
}

/** Newest first, from before the token id `beforeId` (ids sort by creation time). */
export async function listTokens(db: Db, options: { beforeId?: string | undefined; limit: number; includeRevoked: boolean }): Promise<ApiToken[]> {
  let select = db.selectFrom('api_tokens').selectAll().orderBy('id', 'desc').limit(options.limit)
  if (!options.includeRevoked) select = select.where('revoked_at', 'is', null)
  if (options.beforeId) select = select.where('id', '<', options.beforeId)
  return (await select.execute()).map(toToken)
}

export async function countTokens(db: Db): Promise<number> {
  const row = await db.selectFrom('api_tokens').select((eb) => eb.fn.countAll<number | string>().as('count')).executeTakeFirstOrThrow()
  return Number(row.count)
}

export async function revokeToken(db: Db, id: string, at: string): Promise<void> {
  await db.updateTable('api_tokens').set({ revoked_at: at }).where('id', '=', id).execute()
}

/** Record use, at most once a minute per token, so authentication is not a write per request. */
export async function touchToken(db: Db, id: string, at: string, olderThan: string): Promise<void> {
  await db
    .updateTable('api_tokens')
    .set({ last_used_at: at })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', olderThan)]))
    .execute()
}

export async function insertUser(db: Db, user: User & { emailKey: string }): Promise<void> {
  await db
    .insertInto('users')
    .values({
      id: user.id,
      email: user.email,
      email_key: user.emailKey,
      name: user.name,
      role: user.role,
      customer_id: user.customerId,
      created_at: user.createdAt,
      updated_at: user.updatedAt,
      disabled_at: user.disabledAt,
    })
    .execute()
}

export async function findUser(db: Db, id: string): Promise<User | undefined> {
  const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()
  return row && toUser(row)
}

export async function findUserByEmailKey(db: Db, emailKey: string): Promise<User | undefined> {
  const row = await db.selectFrom('users').selectAll().where('email_key', '=', emailKey).executeTakeFirst()
  return row && toUser(row)
}

export async function listUsers(db: Db, options: { afterEmailKey?: string | undefined; limit: number }): Promise<Array<User & { emailKey: string }>> {
  let select = db.selectFrom('users').selectAll().orderBy('email_key').limit(options.limit)
  if (options.afterEmailKey) select = select.where('email_key', '>', options.afterEmailKey)
  return (await select.execute()).map((row) => ({ ...toUser(row), emailKey: row.email_key }))
}

export async function disableUser(db: Db, id: string, at: string): Promise<void> {
  await db.updateTable('users').set({ disabled_at: at, updated_at: at }).where('id', '=', id).execute()
}

/** Claim a one-time flag; true only for the first caller, whatever the concurrency. */
export async function claimSetting(db: Db, key: string, value: unknown, at: string): Promise<boolean> {
  const result = await db
    .insertInto('settings')
    .values({ key, value: JSON.stringify(value), updated_at: at })
    .onConflict((oc) => oc.column('key').doNothing())
    .executeTakeFirst()
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0
}

function toToken(row: Selectable<ApiTokensTable>): ApiToken {
  return {
    id: row.id,
    name: row.name,
    role: row.role as Role,
    customerId: row.customer_id,
    userId: row.user_id,
    createdBy: row.created_by,
    createdAt: toIso(row.created_at),
    expiresAt: toIsoOrNull(row.expires_at),
    lastUsedAt: toIsoOrNull(row.last_used_at),
    revokedAt: toIsoOrNull(row.revoked_at),
  }
}

function toUser(row: Selectable<UsersTable>): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role as Role,
    customerId: row.customer_id,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
    disabledAt: toIsoOrNull(row.disabled_at),
  }
}
