import type { Audit } from '../audit/index.js'
import type { Customers } from '../customers/index.js'
import type { Db } from '../db/connect.js'
import { isUniqueViolation } from '../db/errors.js'
import { allTenants, systemActor, type Actor, type Role, type TenantScope } from '../shared/actor.js'
import type { Clock } from '../shared/clock.js'
import { AppError, notFound } from '../shared/errors.js'
import { newId } from '../shared/ids.js'
import { decodeCursor, defaultPageSize, toPage, type Page, type PageRequest } from '../shared/pagination.js'
import { parseInput } from '../shared/validate.js'
import {
  generateToken,
  parseToken,
  secretMatches,
  staffUserProblem,
  TokenInputSchema,
  UserInputSchema,
  type ApiToken,
  type User,
} from './model.js'
import * as store from './store.js'

export interface AccessDeps {
  db: Db
  clock: Clock
  audit: Audit
  customers: Customers
}

export type Access = ReturnType<typeof createAccess>

/** A newly created token: the only time its secret is seen. */
export interface IssuedToken {
  token: ApiToken
  secret: string
}

export function createAccess({ db, clock, audit, customers }: AccessDeps) {
  /**
   * Who presents this token, or undefined when it is not a valid, live token.
   * Callers answer 401 for undefined and never say which check failed.
   */
  async function authenticate(presented: string): Promise<Actor | undefined> {
    const parsed = parseToken(presented)
    if (!parsed) return undefined
    const token = await store.findTokenWithSecret(db, parsed.id)
    if (!token || !secretMatches(parsed.secret, token.secretHash)) return undefined
    const now = clock.now()
    if (token.revokedAt !== null) return undefined
    if (token.expiresAt !== null && token.expiresAt <= now.toISOString()) return undefined
    if (token.userId !== null) {
      const user = await store.findUser(db, token.userId)
      if (!user || user.disabledAt !== null) return undefined
    }
    const scope = await scopeFor(token.role, token.customerId)
    if (!scope) return undefined
    // Last use is kept to the minute: most requests need no write at all.
    const olderThan = new Date(now.getTime() - 60_000).toISOString()
    if (token.lastUsedAt === null || token.lastUsedAt < olderThan) await store.touchToken(db, token.id, now.toISOString(), olderThan)
    return { kind: 'token', id: token.id, label: token.name, role: token.role, scope }
  }

  async function scopeFor(role: Role, customerId: string | null): Promise<TenantScope | undefined> {
    if (role !== 'customer') return allTenants
    if (customerId === null) return undefined
    return customers.resolveTenantScope(customerId)
  }

  async function createToken(actor: Actor, input: unknown): Promise<IssuedToken> {
    const data = parseInput(TokenInputSchema, input, 'token')
    const customerId = await checkCustomerBinding(data.role, data.customerId ?? null)
    if (data.userId) {
      const user = await store.findUser(db, data.userId)
      if (!user) throw new AppError('invalid', `user ${data.userId} does not exist`, { problems: [{ field: 'userId', message: 'no such user' }] })
      if (user.role !== data.role || user.customerId !== customerId) {
        throw new AppError('invalid', "a user's token has the user's role and customer", { problems: [{ field: 'role', message: `must be ${user.role}` }] })
      }
    }
    const now = clock.now().toISOString()
    if (data.expiresAt && new Date(data.expiresAt).toISOString() <= now) {
      throw new AppError('invalid', 'expiresAt is in the past', { problems: [{ field: 'expiresAt', message: 'must be in the future' }] })
    }
    const id = newId()
    const { token: secret, secretHash } = generateToken(id)
    const token: ApiToken = {
      id,
      name: data.name.trim(),
      role: data.role,
      customerId,
      userId: data.userId ?? null,
      createdBy: `${actor.kind}:${actor.id}`,
      createdAt: now,
      expiresAt: data.expiresAt ? new Date(data.expiresAt).toISOString() : null,
      lastUsedAt: null,
      revokedAt: null,
    }
    await db.transaction().execute(async (trx) => {
      await store.insertToken(trx, { ...token, secretHash })
      await audit.record(trx, actor, {
        action: 'token.created',
        targetType: 'token',
        targetId: id,
        customerId,
        details: { name: token.name, role: token.role, expiresAt: token.expiresAt },
      })
    })
    return { token, secret }
  }

  async function checkCustomerBinding(role: Role, customerId: string | null): Promise<string | null> {
    if (role !== 'customer') {
      if (customerId) throw new AppError('invalid', 'only customer tokens and users are bound to a customer', { problems: [{ field: 'customerId', message: `not allowed for role ${role}` }] })
      return null
    }
    if (!customerId) throw new AppError('invalid', 'a customer token or user needs the customer it belongs to', { problems: [{ field: 'customerId', message: 'required for role customer' }] })
    const customer = await customers.resolve(allTenants, customerId).catch((error: unknown) => {
      if (error instanceof AppError && error.kind === 'not_found') {
        throw new AppError('invalid', `customer ${customerId} does not exist`, { cause: error, problems: [{ field: 'customerId', message: 'no such customer' }] })
      }
      throw error
    })
    if (customer.archivedAt !== null) throw new AppError('invalid', `customer ${customer.name} is archived`, { problems: [{ field: 'customerId', message: 'is archived' }] })
    return customer.id
  }

  async function listTokens(request: Partial<PageRequest> & { includeRevoked?: boolean } = {}): Promise<Page<ApiToken>> {
    const limit = request.limit ?? defaultPageSize
    const beforeId = request.cursor ? decodeCursor(request.cursor, 1)[0] : undefined
    const rows = await store.listTokens(db, { beforeId, limit: limit + 1, includeRevoked: request.includeRevoked ?? false })
    return toPage(rows, limit, (t) => [t.id])
  }

  async function getToken(id: string): Promise<ApiToken> {
    const token = await store.findToken(db, id)
    if (!token) throw notFound('token', id)
    return token
  }

  async function revokeToken(actor: Actor, id: string): Promise<ApiToken> {
    await db.transaction().execute(async (trx) => {
      const token = await store.findToken(trx, id)
      if (!token) throw notFound('token', id)
      if (token.revokedAt !== null) return
      await store.revokeToken(trx, id, clock.now().toISOString())
      await audit.record(trx, actor, { action: 'token.revoked', targetType: 'token', targetId: id, customerId: token.customerId, details: { name: token.name } })
    })
    return getToken(id)
  }

  async function createUser(actor: Actor, input: unknown): Promise<User> {
    const data = parseInput(UserInputSchema, input, 'user')
    const customerId = await checkCustomerBinding(data.role, data.customerId ?? null)
    const now = clock.now().toISOString()
    const user: User = {
      id: newId(),
      email: data.email.trim(),
      name: data.name.trim(),
      role: data.role,
      customerId,
      createdAt: now,
      updatedAt: now,
      disabledAt: null,
    }
    const emailKey = user.email.toLowerCase()
    try {
      await db.transaction().execute(async (trx) => {
        if (await store.findUserByEmailKey(trx, emailKey)) throw new AppError('conflict', `a user with email ${user.email} already exists`, { problems: [{ field: 'email', message: 'already used' }] })
        await store.insertUser(trx, { ...user, emailKey })
        await audit.record(trx, actor, { action: 'user.created', targetType: 'user', targetId: user.id, customerId, details: { email: user.email, role: user.role } })
      })
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError('conflict', `a user with email ${user.email} already exists`, { cause: error })
      throw error
    }
    return user
  }

  async function getUser(id: string): Promise<User> {
    const user = await store.findUser(db, id)
    if (!user) throw notFound('user', id)
    return user
  }

  /** A user who may answer for something (an account, say): exists, staff, not disabled; else AppError 'invalid' naming `field`. */
  async function requireStaffUser(id: string, field: string): Promise<User> {
    const user = await store.findUser(db, id)
    const problem = staffUserProblem(user, id)
    if (problem) throw new AppError('invalid', `${field}: ${problem}`, { problems: [{ field, message: problem }] })
    return user!
  }

  async function listUsers(request: Partial<PageRequest> = {}): Promise<Page<User>> {
    const limit = request.limit ?? defaultPageSize
    const afterEmailKey = request.cursor ? decodeCursor(request.cursor, 1)[0] : undefined
    const rows = await store.listUsers(db, { afterEmailKey, limit: limit + 1 })
    const page = toPage(rows, limit, (u) => [u.emailKey])
    return { items: page.items.map(({ emailKey: _key, ...user }) => user), nextCursor: page.nextCursor }
  }

  /** Disabling a user also stops every token issued to them. */
  async function disableUser(actor: Actor, id: string): Promise<User> {
    await db.transaction().execute(async (trx) => {
      const user = await store.findUser(trx, id)
      if (!user) throw notFound('user', id)
      if (user.disabledAt !== null) return
      await store.disableUser(trx, id, clock.now().toISOString())
      await audit.record(trx, actor, { action: 'user.disabled', targetType: 'user', targetId: id, customerId: user.customerId, details: { email: user.email } })
    })
    return getUser(id)
  }

  /**
   * On a database that has never had a token, make the first admin token and return it
   * (its secret is shown once, by the caller). Exactly one process ever gets it, however
   * many start at once; afterwards this returns undefined.
   */
  async function ensureFirstAdminToken(): Promise<IssuedToken | undefined> {
    const now = clock.now().toISOString()
    return db.transaction().execute(async (trx) => {
      const first = await store.claimSetting(trx, 'access.first_admin_token', { at: now }, now)
      if (!first || (await store.countTokens(trx)) > 0) return undefined
      const id = newId()
      const { token: secret, secretHash } = generateToken(id)
      const token: ApiToken = {
        id,
        name: 'first admin',
        role: 'admin',
        customerId: null,
        userId: null,
        createdBy: 'system:bootstrap',
        createdAt: now,
        expiresAt: null,
        lastUsedAt: null,
        revokedAt: null,
      }
      await store.insertToken(trx, { ...token, secretHash })
      await audit.record(trx, systemActor, { action: 'token.created', targetType: 'token', targetId: id, details: { name: token.name, role: 'admin', bootstrap: true } })
      return { token, secret }
    })
  }

  return {
    authenticate,
    createToken,
    listTokens,
    getToken,
    revokeToken,
    createUser,
    getUser,
    requireStaffUser,
    listUsers,
    disableUser,
    ensureFirstAdminToken,
  }
}
