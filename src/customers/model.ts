import Type, { type Static } from 'typebox'

/**
 * A customer is a tenant: an organisation the provider serves. A partner is a customer that
 * resells to customers of its own (one level: a partner's customers are not partners).
 */
export const customerKinds = ['customer', 'partner'] as const
export type CustomerKind = (typeof customerKinds)[number]

/** Why someone at a customer is contacted. Notices go to contacts by role. */
export const contactRoles = ['primary', 'technical', 'security', 'billing', 'executive', 'other'] as const
export type ContactRole = (typeof contactRoles)[number]

export interface Contact {
  id: string
  customerId: string
  name: string
  email: string
  role: ContactRole
  phone: string | null
  createdAt: string
  updatedAt: string
}

export interface Customer {
  id: string
  name: string
  kind: CustomerKind
  parentId: string | null
  externalRef: string | null
  /** The provider's user who answers for this customer; unacknowledged notices escalate to them. */
  accountOwnerId: string | null
  notes: string
  createdAt: string
  updatedAt: string
  archivedAt: string | null
}

export interface CustomerWithContacts extends Customer {
  contacts: Contact[]
}

const Name = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' })
const Email = Type.String({ minLength: 3, maxLength: 254, pattern: '^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$' })
const Id = Type.String({ minLength: 1, maxLength: 64 })

export const ContactInputSchema = Type.Object(
  {
    name: Name,
    email: Email,
    role: Type.Enum([...contactRoles]),
    phone: Type.Optional(Type.Union([Type.String({ maxLength: 50 }), Type.Null()])),
  },
  { additionalProperties: false },
)
export type ContactInput = Static<typeof ContactInputSchema>

export const ContactPatchSchema = Type.Partial(ContactInputSchema, { additionalProperties: false, minProperties: 1 })
export type ContactPatch = Static<typeof ContactPatchSchema>

export const CustomerInputSchema = Type.Object(
  {
    name: Name,
    kind: Type.Optional(Type.Enum([...customerKinds])),
    parentId: Type.Optional(Type.Union([Id, Type.Null()])),
    externalRef: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()])),
    accountOwnerId: Type.Optional(Type.Union([Id, Type.Null()], { description: 'a staff user id: the account owner' })),
    notes: Type.Optional(Type.String({ maxLength: 10_000 })),
    contacts: Type.Optional(Type.Array(ContactInputSchema, { maxItems: 100 })),
  },
  { additionalProperties: false },
)
export type CustomerInput = Static<typeof CustomerInputSchema>

export const CustomerPatchSchema = Type.Object(
  {
    name: Type.Optional(Name),
    kind: Type.Optional(Type.Enum([...customerKinds])),
    parentId: Type.Optional(Type.Union([Id, Type.Null()])),
    externalRef: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()])),
    accountOwnerId: Type.Optional(Type.Union([Id, Type.Null()], { description: 'a staff user id: the account owner; null clears it' })),
    notes: Type.Optional(Type.String({ maxLength: 10_000 })),
  },
  { additionalProperties: false, minProperties: 1 },
)
export type CustomerPatch = Static<typeof CustomerPatchSchema>

/** Names are unique regardless of case and spacing: "Acme  Ltd" and "acme ltd" are one customer. */
export function nameKey(name: string): string {
  return name.trim().replace(/\s+/g, ' ').toLowerCase()
}

export function tidyName(name: string): string {
  return name.trim().replace(/\s+/g, ' ')
}

export function emailKey(email: string): string {
  return email.trim().toLowerCase()
}
