import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import Type, { type Static } from 'typebox'
import { roles, type Role } from '../shared/actor.js'

/**
 * What a route (or CLI command) needs from its caller. `public` needs nothing; otherwise the
 * caller's role must be at least `role` (viewer < responder < admin), and `customer` actors
 * are let in only where `customers` is true, and then only to their own data.
 */
export type AccessRequirement = 'public' | { role: StaffRole; customers?: boolean }
export type StaffRole = Exclude<Role, 'customer'>

const staffRank: Record<StaffRole, number> = { viewer: 1, responder: 2, admin: 3 }

export function permits(role: Role, requirement: AccessRequirement): boolean {
  if (requirement === 'public') return true
  if (role === 'customer') return requirement.customers === true
  return staffRank[role] >= staffRank[requirement.role]
}

export interface ApiToken {
  id: string
  name: string
  role: Role
  customerId: string | null
  userId: string | null
  createdBy: string
  createdAt: string
  expiresAt: string | null
  lastUsedAt: string | null
  revokedAt: string | null
}

export interface User {
  id: string
  email: string
  name: string
  role: Role
  customerId: string | null
  createdAt: string
  updatedAt: string
  disabledAt: string | null
}

/** Why this user cannot hold a role or answer for something (missing, disabled, a customer's user), or undefined when it can. */
export function staffUserProblem(user: User | undefined, id: string): string | undefined {
  if (!user) return `no user ${id}`
  if (user.disabledAt !== null) return `user ${user.email} is disabled`
  if (user.role === 'customer') return `user ${user.email} is a customer's user, not staff`
  return undefined
}

const tokenPrefix = 'cordon_'

/**
 * A token is `cordon_<token id>_<secret>`: the id finds the row, the secret proves possession.
 * Only a SHA-256 of the secret is stored: the secret is 256 random bits, so a slow KDF adds
 * nothing, and a database leak does not leak usable tokens.
 */
export function generateToken(id: string): { token: string; secretHash: string } {
  const secret = randomBytes(32).toString('base64url')
  return { token: `${tokenPrefix}${id}_${secret}`, secretHash: hashSecret(secret) }
}

export function parseToken(token: string): { id: string; secret: string } | undefined {
  if (!token.startsWith(tokenPrefix) || token.length > 200) return undefined
  const rest = token.slice(tokenPrefix.length)
  const id = rest.slice(0, 36)
  const secret = rest.slice(37)
  if (rest[36] !== '_' || secret.length < 20 || !/^[0-9a-f-]{36}$/.test(id)) return undefined
  return { id, secret }
}

export function secretMatches(secret: string, secretHash: string): boolean {
  const actual = Buffer.from(hashSecret(secret), 'hex')
  const expected = Buffer.from(secretHash, 'hex')
  return actual.length === expected.length && timingSafeEqual(actual, expected)
}

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex')
}

const RoleSchema = Type.Enum([...roles])

export const TokenInputSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }),
    role: RoleSchema,
    customerId: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()])),
    userId: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()])),
    expiresAt: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()])),
  },
  { additionalProperties: false },
)
export type TokenInput = Static<typeof TokenInputSchema>

export const UserInputSchema = Type.Object(
  {
    email: Type.String({ minLength: 3, maxLength: 254, pattern: '^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$' }),
    name: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }),
    role: RoleSchema,
    customerId: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()])),
  },
  { additionalProperties: false },
)
export type UserInput = Static<typeof UserInputSchema>
