/** Roles: three for the provider's staff, one for a customer's own people. */
export const roles = ['admin', 'responder', 'viewer', 'customer'] as const
export type Role = (typeof roles)[number]

export function isRole(value: string): value is Role {
  return (roles as readonly string[]).includes(value)
}

/**
 * Which customers' data an actor may see. Staff see all; a customer actor sees its own
 * organisation and, for a partner, the customers it resells to. Stores put this in the
 * WHERE clause; nothing is filtered after the query.
 */
export type TenantScope = { all: true } | { all: false; customerIds: readonly string[] }

export const allTenants: TenantScope = Object.freeze({ all: true })

/** Who is doing something: written to the audit log and used for scoping. */
export interface Actor {
  kind: 'token' | 'user' | 'cli' | 'system'
  id: string
  label: string
  role: Role
  scope: TenantScope
}

/** The provider's staff, any role, seeing every customer. */
export function isStaff(actor: Pick<Actor, 'role' | 'scope'>): boolean {
  return actor.scope.all && actor.role !== 'customer'
}

/** Staff who may change things (admins and responders), not viewers. */
export function isResponder(actor: Pick<Actor, 'role' | 'scope'>): boolean {
  return isStaff(actor) && actor.role !== 'viewer'
}

/** The actor for work Cordon does by itself (jobs, bootstrap). */
export const systemActor: Actor = Object.freeze({
  kind: 'system',
  id: 'system',
  label: 'cordon',
  role: 'admin',
  scope: allTenants,
})

/**
 * The customers a scope may see, as the list for an SQL `in` (a scope of no customers gives a list
 * no id matches, never an empty one); null when it sees every customer.
 */
export function visibleCustomerIds(scope: TenantScope): string[] | null {
  return scope.all ? null : scope.customerIds.length > 0 ? [...scope.customerIds] : ['']
}

export function canSeeCustomer(scope: TenantScope, customerId: string): boolean {
  return scope.all || scope.customerIds.includes(customerId)
}

/** The actor a door authenticated. Its absence past authentication is a bug, not a 401. */
export function requireActor(actor: Actor | null | undefined): Actor {
  if (!actor) throw new Error('no authenticated actor where one is required')
  return actor
}
