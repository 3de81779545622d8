import type { Audit } from '../audit/index.js'
import type { Db } from '../db/connect.js'
import { isUniqueViolation } from '../db/errors.js'
import type { Actor, TenantScope } from '../shared/actor.js'
import type { Clock } from '../shared/clock.js'
import { AppError, notFound } from '../shared/errors.js'
import { newId } from '../shared/ids.js'
import { decodeCursor, defaultPageSize, toPage, type Page, type PageRequest } from '../shared/pagination.js'
import { parseInput } from '../shared/validate.js'
import {
  ContactInputSchema,
  ContactPatchSchema,
  CustomerInputSchema,
  CustomerPatchSchema,
  emailKey,
  nameKey,
  tidyName,
  type Contact,
  type ContactInput,
  type Customer,
  type CustomerKind,
  type CustomerWithContacts,
} from './model.js'
import * as store from './store.js'

export interface CustomersDeps {
  db: Db
  clock: Clock
  audit: Audit
  /**
   * Seam: refuses (AppError 'invalid', field accountOwnerId) a user who cannot own an account.
   * Users live in access, which depends on customers; the composition root wires this.
   * Without it, account owners cannot be set.
   */
  checkAccountOwner?: ((userId: string) => Promise<void>) | undefined
}

export interface CustomerListRequest extends Partial<PageRequest> {
  search?: string | undefined
  parentId?: string | undefined
  kind?: CustomerKind | undefined
  includeArchived?: boolean | undefined
}

export type Customers = ReturnType<typeof createCustomers>

/** Two writers racing past the uniqueness checks: the loser gets a conflict, not a crash. */
async function conflictOnDuplicate<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('conflict', 'a customer or contact with these details already exists', { cause: error })
    throw error
  }
}

export function createCustomers({ db, clock, audit, checkAccountOwner }: CustomersDeps) {
  /** Before any transaction: the check reads another module's store. */
  async function checkOwner(userId: string | null | undefined): Promise<void> {
    if (userId === undefined || userId === null) return
    if (!checkAccountOwner) throw new AppError('invalid', 'account owners cannot be set here', { problems: [{ field: 'accountOwnerId', message: 'not supported' }] })
    await checkAccountOwner(userId)
  }

  async function create(actor: Actor, input: unknown): Promise<CustomerWithContacts> {
    const data = parseInput(CustomerInputSchema, input, 'customer')
    await checkOwner(data.accountOwnerId)
    const now = clock.now().toISOString()
    const row: store.CustomerRow = {
      id: newId(),
      name: tidyName(data.name),
      nameKey: nameKey(data.name),
      kind: data.kind ?? 'customer',
      parentId: data.parentId ?? null,
      externalRef: data.externalRef ?? null,
      accountOwnerId: data.accountOwnerId ?? null,
      notes: data.notes ?? '',
      createdAt: now,
      updatedAt: now,
      archivedAt: null,
    }
    return conflictOnDuplicate(() => db.transaction().execute(async (trx) => {
      await assertUnique(trx, row.nameKey, row.externalRef)
      if (row.parentId) await assertValidParent(trx, row.parentId, row.kind)
      await store.insertCustomer(trx, row)
      const contacts: Contact[] = []
      for (const [index, contactInput] of (data.contacts ?? []).entries()) {
        contacts.push(await addContactInTransaction(trx, actor, row.id, contactInput, `contacts.${index}`))
      }
      const { nameKey: _key, ...customer } = row
      await audit.record(trx, actor, {
        action: 'customer.created',
        targetType: 'customer',
        targetId: row.id,
        customerId: row.id,
        details: { name: row.name, kind: row.kind, parentId: row.parentId },
      })
      return { ...customer, contacts }
    }))
  }

  async function get(scope: TenantScope, id: string): Promise<CustomerWithContacts> {
    const customer = await store.findCustomer(db, scope, id)
    if (!customer) throw notFound('customer', id)
    const contacts = await store.listContacts(db, [id])
    return { ...customer, contacts }
  }

  /** Customers by name, a page at a time. Archived ones only when asked for. */
  async function list(scope: TenantScope, request: CustomerListRequest = {}): Promise<Page<Customer>> {
    const limit = request.limit ?? defaultPageSize
    const after = request.cursor ? (decodeCursor(request.cursor, 2) as [string, string]) : undefined
    const rows = await store.listCustomers(db, {
      scope,
      search: request.search,
      parentId: request.parentId,
      kind: request.kind,
      includeArchived: request.includeArchived ?? false,
      after,
      limit: limit + 1,
    })
    const page = toPage(rows, limit, (r) => [r.nameKey, r.id])
    return { items: page.items.map(({ nameKey: _key, ...customer }) => customer), nextCursor: page.nextCursor }
  }

  async function update(actor: Actor, id: string, patch: unknown): Promise<CustomerWithContacts> {
    const data = parseInput(CustomerPatchSchema, patch, 'customer change')
    await checkOwner(data.accountOwnerId)
    await conflictOnDuplicate(() => db.transaction().execute(async (trx) => {
      const current = await store.findCustomer(trx, actor.scope, id)
      if (!current) throw notFound('customer', id)
      const changes: Parameters<typeof store.updateCustomer>[2] = { updatedAt: clock.now().toISOString() }
      const changed: Record<string, unknown> = {}
      if (data.name !== undefined && tidyName(data.name) !== current.name) {
        changes.name = tidyName(data.name)
        changes.nameKey = nameKey(data.name)
        if (changes.nameKey !== nameKey(current.name)) await assertUnique(trx, changes.nameKey, null)
        changed.name = { from: current.name, to: changes.name }
      }
      if (data.externalRef !== undefined && data.externalRef !== current.externalRef) {
        if (data.externalRef !== null) await assertUnique(trx, null, data.externalRef)
        changes.externalRef = data.externalRef
        changed.externalRef = { from: current.externalRef, to: data.externalRef }
      }
      if (data.accountOwnerId !== undefined && data.accountOwnerId !== current.accountOwnerId) {
        changes.accountOwnerId = data.accountOwnerId
        changed.accountOwnerId = { from: current.accountOwnerId, to: data.accountOwnerId }
      }
      const kind = data.kind ?? current.kind
      if (kind !== current.kind) {
        if (kind === 'customer' && (await store.countChildren(trx, id)) > 0) {
          throw new AppError('conflict', `customer ${id} resells to other customers: it must stay a partner while it has any`)
        }
        changes.kind = kind
        changed.kind = { from: current.kind, to: kind }
      }
      const parentId = data.parentId === undefined ? current.parentId : data.parentId
      if (parentId !== current.parentId || kind !== current.kind) {
        if (parentId) {
          if (parentId === id) throw new AppError('invalid', 'a customer cannot be its own partner', { problems: [{ field: 'parentId', message: 'is the customer itself' }] })
          await assertValidParent(trx, parentId, kind)
        }
        if (parentId !== current.parentId) {
          changes.parentId = parentId
          changed.parentId = { from: current.parentId, to: parentId }
        }
      }
      if (data.notes !== undefined && data.notes !== current.notes) {
        changes.notes = data.notes
        changed.notes = true
      }
      if (Object.keys(changed).length === 0) return
      await store.updateCustomer(trx, id, changes)
      await audit.record(trx, actor, { action: 'customer.updated', targetType: 'customer', targetId: id, customerId: id, details: changed })
    }))
    return get(actor.scope, id)
  }

  /** Archive: hidden from lists and its people lose access; history and data stay. */
  async function archive(actor: Actor, id: string): Promise<CustomerWithContacts> {
    return setArchived(actor, id, true)
  }

  async function restore(actor: Actor, id: string): Promise<CustomerWithContacts> {
    return setArchived(actor, id, false)
  }

  async function setArchived(actor: Actor, id: string, archived: boolean): Promise<CustomerWithContacts> {
    await db.transaction().execute(async (trx) => {
      const current = await store.findCustomer(trx, actor.scope, id)
      if (!current) throw notFound('customer', id)
      if ((current.archivedAt !== null) === archived) return
      const now = clock.now().toISOString()
      await store.updateCustomer(trx, id, { archivedAt: archived ? now : null, updatedAt: now })
      await audit.record(trx, actor, {
        action: archived ? 'customer.archived' : 'customer.restored',
        targetType: 'customer',
        targetId: id,
        customerId: id,
      })
    })
    return get(actor.scope, id)
  }

  async function listContacts(scope: TenantScope, customerId: string): Promise<Contact[]> {
    await get(scope, customerId)
    return store.listContacts(db, [customerId])
  }

  async function addContact(actor: Actor, customerId: string, input: unknown): Promise<Contact> {
    const data = parseInput(ContactInputSchema, input, 'contact')
    return db.transaction().execute(async (trx) => {
      const customer = await store.findCustomer(trx, actor.scope, customerId)
      if (!customer) throw notFound('customer', customerId)
      return addContactInTransaction(trx, actor, customerId, data, 'email')
    })
  }

  async function addContactInTransaction(trx: Db, actor: Actor, customerId: string, data: ContactInput, field: string): Promise<Contact> {
    const now = clock.now().toISOString()
    const contact: store.ContactRow = {
      id: newId(),
      customerId,
      name: tidyName(data.name),
      email: data.email.trim(),
      emailKey: emailKey(data.email),
      role: data.role,
      phone: data.phone ?? null,
      createdAt: now,
      updatedAt: now,
    }
    if (await store.findContactByEmail(trx, customerId, contact.emailKey)) {
      throw new AppError('conflict', `a contact with email ${contact.email} already exists for this customer`, { problems: [{ field, message: 'already used' }] })
    }
    await store.insertContact(trx, contact)
    await audit.record(trx, actor, {
      action: 'customer.contact_added',
      targetType: 'contact',
      targetId: contact.id,
      customerId,
      details: { email: contact.email, role: contact.role },
    })
    const { emailKey: _key, ...result } = contact
    return result
  }

  async function updateContact(actor: Actor, customerId: string, contactId: string, patch: unknown): Promise<Contact> {
    const data = parseInput(ContactPatchSchema, patch, 'contact change')
    return db.transaction().execute(async (trx) => {
      const contact = await findScopedContact(trx, actor.scope, customerId, contactId)
      const next: store.ContactRow = {
        ...contact,
        name: data.name !== undefined ? tidyName(data.name) : contact.name,
        email: data.email !== undefined ? data.email.trim() : contact.email,
        emailKey: emailKey(data.email ?? contact.email),
        role: data.role ?? contact.role,
        phone: data.phone !== undefined ? data.phone : contact.phone,
        updatedAt: clock.now().toISOString(),
      }
      if (next.emailKey !== emailKey(contact.email)) {
        const clash = await store.findContactByEmail(trx, customerId, next.emailKey)
        if (clash) throw new AppError('conflict', `a contact with email ${next.email} already exists for this customer`, { problems: [{ field: 'email', message: 'already used' }] })
      }
      await store.updateContact(trx, next)
      await audit.record(trx, actor, {
        action: 'customer.contact_updated',
        targetType: 'contact',
        targetId: contactId,
        customerId,
        details: { fields: Object.keys(data) },
      })
      const { emailKey: _key, ...result } = next
      return result
    })
  }

  async function removeContact(actor: Actor, customerId: string, contactId: string): Promise<void> {
    await db.transaction().execute(async (trx) => {
      const contact = await findScopedContact(trx, actor.scope, customerId, contactId)
      await store.deleteContact(trx, contactId)
      await audit.record(trx, actor, {
        action: 'customer.contact_removed',
        targetType: 'contact',
        targetId: contactId,
        customerId,
        details: { email: contact.email },
      })
    })
  }

  async function findScopedContact(trx: Db, scope: TenantScope, customerId: string, contactId: string): Promise<Contact> {
    const customer = await store.findCustomer(trx, scope, customerId)
    if (!customer) throw notFound('customer', customerId)
    const contact = await store.findContact(trx, customerId, contactId)
    if (!contact) throw notFound('contact', contactId)
    return contact
  }

  /**
   * The customers a customer-bound actor may see: its own organisation and, for a partner,
   * the customers it resells to. Undefined when the customer is unknown or archived.
   */
  async function resolveTenantScope(customerId: string): Promise<TenantScope | undefined> {
    const customer = await store.findCustomer(db, { all: true }, customerId)
    if (!customer || customer.archivedAt !== null) return undefined
    const children = customer.kind === 'partner' ? await store.listChildIds(db, customerId) : []
    return { all: false, customerIds: [customerId, ...children] }
  }

  /** Look a customer up by id, exact name or external reference (for the CLI and importers). */
  /** A customer by id, external reference or name. `executor` lets a caller resolve inside its own transaction. */
  async function resolve(scope: TenantScope, reference: string, executor: Db = db): Promise<Customer> {
    const found =
      (await store.findCustomer(executor, scope, reference)) ??
      (await store.findCustomerByExternalRef(executor, reference)) ??
      (await store.findCustomerByNameKey(executor, nameKey(reference)))
    if (!found || (!scope.all && !scope.customerIds.includes(found.id))) throw notFound('customer', reference)
    return found
  }

  async function assertUnique(trx: Db, key: string | null, externalRef: string | null): Promise<void> {
    if (key !== null && (await store.findCustomerByNameKey(trx, key))) {
      throw new AppError('conflict', `a customer with this name already exists`, { problems: [{ field: 'name', message: 'already used' }] })
    }
    if (externalRef !== null && (await store.findCustomerByExternalRef(trx, externalRef))) {
      throw new AppError('conflict', `a customer with external reference ${externalRef} already exists`, { problems: [{ field: 'externalRef', message: 'already used' }] })
    }
  }

  async function assertValidParent(trx: Db, parentId: string, kind: CustomerKind): Promise<void> {
    if (kind === 'partner') {
      throw new AppError('invalid', 'a partner cannot itself have a partner', { problems: [{ field: 'parentId', message: 'partners are top-level' }] })
    }
    const parent = await store.findCustomer(trx, { all: true }, parentId)
    if (!parent) throw new AppError('invalid', `partner ${parentId} does not exist`, { problems: [{ field: 'parentId', message: 'no such customer' }] })
    if (parent.kind !== 'partner') {
      throw new AppError('invalid', `${parent.name} is not a partner`, { problems: [{ field: 'parentId', message: 'is not a partner' }] })
    }
    if (parent.archivedAt !== null) {
      throw new AppError('invalid', `partner ${parent.name} is archived`, { problems: [{ field: 'parentId', message: 'is archived' }] })
    }
  }

  return { create, get, list, update, archive, restore, listContacts, addContact, updateContact, removeContact, resolveTenantScope, resolve }
}
