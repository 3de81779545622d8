import { sql, type Selectable } from 'kysely'
import type { Db } from '../db/connect.js'
import { toIso, toIsoOrNull } from '../db/mappers.js'
import type { CustomerContactsTable, CustomersTable } from '../db/schema.js'
import type { TenantScope } from '../shared/actor.js'
import type { Contact, ContactRole, Customer, CustomerKind } from './model.js'

export interface CustomerRow extends Customer {
  nameKey: string
}

export async function insertCustomer(db: Db, customer: CustomerRow): Promise<void> {
  await db
    .insertInto('customers')
    .values({
      id: customer.id,
      name: customer.name,
      name_key: customer.nameKey,
      kind: customer.kind,
      parent_id: customer.parentId,
      external_ref: customer.externalRef,
      account_owner_id: customer.accountOwnerId,
      notes: customer.notes,
      created_at: customer.createdAt,
      updated_at: customer.updatedAt,
      archived_at: customer.archivedAt,
    })
    .execute()
}

export async function updateCustomer(db: Db, id: string, changes: Partial<Omit<CustomerRow, 'id' | 'createdAt'>>): Promise<void> {
  await db
    .updateTable('customers')
    .set({
      ...(changes.name !== undefined && { name: changes.name }),
      ...(changes.nameKey !== undefined && { name_key: changes.nameKey }),
      ...(changes.kind !== undefined && { kind: changes.kind }),
      ...(changes.parentId !== undefined && { parent_id: changes.parentId }),
      ...(changes.externalRef !== undefined && { external_ref: changes.externalRef }),
      ...(changes.accountOwnerId !== undefined && { account_owner_id: changes.accountOwnerId }),
      ...(changes.notes !== undefined && { notes: changes.notes }),
      ...(changes.updatedAt !== undefined && { updated_at: changes.updatedAt }),
      ...(changes.archivedAt !== undefined && { archived_at: changes.archivedAt }),
    })
    .where('id', '=', id)
    .execute()
}

/** One customer, if it exists and the scope may see it. */
export async function findCustomer(db: Db, scope: TenantScope, id: string): Promise<Customer | undefined> {
  if (!scope.all && !scope.customerIds.includes(id)) return undefined
  const row = await db.selectFrom('customers').selectAll().where('id', '=', id).executeTakeFirst()
  return row && toCustomer(row)
}

export async function findCustomerByNameKey(db: Db, key: string): Promise<Customer | undefined> {
  const row = await db.selectFrom('customers').selectAll().where('name_key', '=', key).executeTakeFirst()
  return row && toCustomer(row)
}

export async function findCustomerByExternalRef(db: Db, externalRef: string): Promise<Customer | undefined> {
  const row = await db.selectFrom('customers').selectAll().where('external_ref', '=', externalRef).executeTakeFirst()
  return row && toCustomer(row)
}

export interface CustomerListQuery {
  scope: TenantScope
  /** Case-insensitive substring of the name. */
  search?: string | undefined
  parentId?: string | undefined
  kind?: CustomerKind | undefined
  includeArchived: boolean
  /** Sort key (name_key, id) of the last item of the previous page. */
  after?: readonly [string, string] | undefined
  limit: number
}

/** Customers sorted by name, a page at a time, scoped in the query. */
export async function listCustomers(db: Db, query: CustomerListQuery): Promise<Array<Customer & { nameKey: string }>> {
  let select = db.selectFrom('customers').selectAll().orderBy('name_key').orderBy('id').limit(query.limit)
  if (!query.scope.all) {
    if (query.scope.customerIds.length === 0) return []
    select = select.where('id', 'in', [...query.scope.customerIds])
  }
  if (!query.includeArchived) select = select.where('archived_at', 'is', null)
  if (query.kind) select = select.where('kind', '=', query.kind)
  if (query.parentId) select = select.where('parent_id', '=', query.parentId)
  if (query.search) {
    // SQLite's LIKE has no escape character unless one is named; PostgreSQL's is the backslash.
    const pattern = `%${escapeLike(query.search.toLowerCase())}%`
    select = select.where(sql<boolean>`name_key like ${pattern} escape '\\'`)
  }
  if (query.after) {
    const [nameKey, id] = query.after
    select = select.where((eb) => eb.or([eb('name_key', '>', nameKey), eb.and([eb('name_key', '=', nameKey), eb('id', '>', id)])]))
  }
  const rows = await select.execute()
  return rows.map((row) => ({ ...toCustomer(row), nameKey: row.name_key }))
}

/** Ids of the (non-archived) customers a partner resells to. */
export async function listChildIds(db: Db, parentId: string): Promise<string[]> {
  const rows = await db.selectFrom('customers').select('id').where('parent_id', '=', parentId).where('archived_at', 'is', null).execute()
  return rows.map((r) => r.id)
}

export async function countChildren(db: Db, parentId: string): Promise<number> {
  const row = await db
    .selectFrom('customers')
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .where('parent_id', '=', parentId)
    .executeTakeFirstOrThrow()
  return Number(row.count)
}

export interface ContactRow extends Contact {
  emailKey: string
}

export async function insertContact(db: Db, contact: ContactRow): Promise<void> {
  await db
    .insertInto('customer_contacts')
    .values({
      id: contact.id,
      customer_id: contact.customerId,
      name: contact.name,
      email: contact.email,
      email_key: contact.emailKey,
      role: contact.role,
      phone: contact.phone,
      created_at: contact.createdAt,
      updated_at: contact.updatedAt,
    })
    .execute()
}

export async function updateContact(db: Db, contact: ContactRow): Promise<void> {
  await db
    .updateTable('customer_contacts')
    .set({
      name: contact.name,
      email: contact.email,
      email_key: contact.emailKey,
      role: contact.role,
      phone: contact.phone,
      updated_at: contact.updatedAt,
    })
    .where('id', '=', contact.id)
    .execute()
}

export async function deleteContact(db: Db, id: string): Promise<void> {
  await db.deleteFrom('customer_contacts').where('id', '=', id).execute()
}

export async function findContact(db: Db, customerId: string, id: string): Promise<Contact | undefined> {
  const row = await db.selectFrom('customer_contacts').selectAll().where('id', '=', id).where('customer_id', '=', customerId).executeTakeFirst()
  return row && toContact(row)
}

export async function findContactByEmail(db: Db, customerId: string, emailKey: string): Promise<Contact | undefined> {
  const row = await db
    .selectFrom('customer_contacts')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('email_key', '=', emailKey)
    .executeTakeFirst()
  return row && toContact(row)
}

/** Contacts of several customers at once, in a stable order (one query, not one per customer). */
export async function listContacts(db: Db, customerIds: readonly string[]): Promise<Contact[]> {
  if (customerIds.length === 0) return []
  const rows = await db
    .selectFrom('customer_contacts')
    .selectAll()
    .where('customer_id', 'in', [...customerIds])
    .orderBy('customer_id')
    .orderBy('name')
    .orderBy('id')
    .execute()
  return rows.map(toContact)
}

function escapeLike(text: string): string {
  // Kysely binds the pattern as a parameter; only LIKE's own wildcards need neutralising.
  return text.replace(/[\\%_]/g, (c) => `\\${c}`)
}

function toCustomer(row: Selectable<CustomersTable>): Customer {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind as CustomerKind,
    parentId: row.parent_id,
    externalRef: row.external_ref,
    accountOwnerId: row.account_owner_id ?? null,
    notes: row.notes,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
    archivedAt: toIsoOrNull(row.archived_at),
  }
}

function toContact(row: Selectable<CustomerContactsTable>): Contact {
  return {
    id: row.id,
    customerId: row.customer_id,
    name: row.name,
    email: row.email,
    role: row.role as ContactRole,
    phone: row.phone,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  }
}
