import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createAudit } from '../audit/index.js'
import { testDialects, type TestDatabase } from '../db/testing.js'
import { systemActor, type Actor } from '../shared/actor.js'
import { FakeClock } from '../shared/clock.js'
import { AppError } from '../shared/errors.js'
import { createCustomers, type Customers } from './service.js'

function rejectsWith(kind: AppError['kind'], field?: string) {
  return (error: unknown) => {
    assert.ok(error instanceof AppError, String(error))
    assert.equal(error.kind, kind, error.message)
    if (field) assert.ok(error.problems.some((p) => p.field === field), JSON.stringify(error.problems))
    return true
  }
}

let counter = 0
function aCustomer(overrides: Record<string, unknown> = {}) {
  counter += 1
  return { name: `Customer ${counter}`, ...overrides }
}

for (const dialect of testDialects) {
  describe(`customers (${dialect.name})`, { skip: dialect.skip }, () => {
    let database: TestDatabase
    let customers: Customers
    const clock = new FakeClock('2026-03-29T10:00:00.000Z')

    before(async () => {
      database = await dialect.open()
      customers = createCustomers({ db: database.db, clock, audit: createAudit({ db: database.db, clock }) })
    })
    after(() => database.close())

    it('creates a customer with contacts and reads it back with the same values', async () => {
      const created = await customers.create(systemActor, aCustomer({ name: '  Acme   Telecom ', externalRef: 'psa-1', notes: 'hosted PBX', contacts: [{ name: 'Ana', email: 'Ana@Acme.example', role: 'security', phone: '+44 20 0000' }] }))

      const read = await customers.get(systemActor.scope, created.id)

      assert.equal(read.name, 'Acme Telecom')
      assert.equal(read.kind, 'customer')
      assert.equal(read.externalRef, 'psa-1')
      assert.equal(read.createdAt, '2026-03-29T10:00:00.000Z')
      assert.equal(read.archivedAt, null)
      assert.deepEqual(read.contacts.map((c) => [c.name, c.email, c.role, c.phone]), [['Ana', 'Ana@Acme.example', 'security', '+44 20 0000']])
    })

    it('refuses a second customer whose name differs only in case and spacing', async () => {
      await customers.create(systemActor, { name: 'Globex Corp' })

      await assert.rejects(customers.create(systemActor, { name: ' globex   CORP' }), rejectsWith('conflict', 'name'))
    })

    it('rejects invalid input naming the field, and writes nothing', async () => {
      await assert.rejects(customers.create(systemActor, { name: 'Bad Contact Co', contacts: [{ name: 'X', email: 'not-an-email', role: 'security' }] }), rejectsWith('invalid', 'contacts.0.email'))
      await assert.rejects(customers.create(systemActor, { name: '' }), rejectsWith('invalid', 'name'))
      await assert.rejects(customers.create(systemActor, { name: 'X', kind: 'reseller' }), rejectsWith('invalid', 'kind'))
      await assert.rejects(customers.create(systemActor, { name: 'X', __proto__: { admin: true }, extra: 1 }), rejectsWith('invalid'))

      const page = await customers.list(systemActor.scope, { search: 'bad contact' })
      assert.equal(page.items.length, 0)
    })

    it('rolls back the customer when one of its contacts is a duplicate', async () => {
      const contact = { name: 'Dup', email: 'dup@example.com', role: 'primary' }

      await assert.rejects(customers.create(systemActor, { name: 'Twice Ltd', contacts: [contact, { ...contact, email: 'DUP@example.com' }] }), rejectsWith('conflict'))

      assert.equal((await customers.list(systemActor.scope, { search: 'twice' })).items.length, 0)
    })

    it('attaches a customer to a partner, and refuses a parent that is not a partner', async () => {
      const partner = await customers.create(systemActor, aCustomer({ kind: 'partner' }))
      const plain = await customers.create(systemActor, aCustomer())

      const child = await customers.create(systemActor, aCustomer({ parentId: partner.id }))

      assert.equal(child.parentId, partner.id)
      await assert.rejects(customers.create(systemActor, aCustomer({ parentId: plain.id })), rejectsWith('invalid', 'parentId'))
      await assert.rejects(customers.create(systemActor, aCustomer({ kind: 'partner', parentId: partner.id })), rejectsWith('invalid', 'parentId'))
      await assert.rejects(customers.update(systemActor, partner.id, { kind: 'customer' }), rejectsWith('conflict'))
    })

    it("gives a partner's scope its own customers and nobody else's", async () => {
      const partner = await customers.create(systemActor, aCustomer({ kind: 'partner' }))
      const child = await customers.create(systemActor, aCustomer({ parentId: partner.id }))
      const stranger = await customers.create(systemActor, aCustomer())

      const scope = await customers.resolveTenantScope(partner.id)

      assert.ok(scope && !scope.all)
      assert.deepEqual([...scope.customerIds].sort(), [partner.id, child.id].sort())
      const visible = await customers.list(scope, { limit: 500 })
      assert.deepEqual(visible.items.map((c) => c.id).sort(), [partner.id, child.id].sort())
      await assert.rejects(customers.get(scope, stranger.id), rejectsWith('not_found'))
    })

    it('pages through customers by name with a cursor, without gaps or repeats', async () => {
      for (let i = 0; i < 7; i++) await customers.create(systemActor, { name: `Paging ${String.fromCharCode(71 - i)}` })

      const seen: string[] = []
      let cursor: string | undefined
      do {
        const page = await customers.list(systemActor.scope, { search: 'paging', limit: 3, cursor })
        seen.push(...page.items.map((c) => c.name))
        cursor = page.nextCursor ?? undefined
      } while (cursor)

      assert.deepEqual(seen, ['Paging A', 'Paging B', 'Paging C', 'Paging D', 'Paging E', 'Paging F', 'Paging G'])
    })

    it('treats LIKE wildcards in a search as plain text', async () => {
      await customers.create(systemActor, { name: '100% Uptime' })
      await customers.create(systemActor, { name: '100 Percent' })

      const page = await customers.list(systemActor.scope, { search: '100%' })

      assert.deepEqual(page.items.map((c) => c.name), ['100% Uptime'])
    })

    it('archives a customer: hidden from lists, still readable, its scope gone; restore brings it back', async () => {
      const customer = await customers.create(systemActor, aCustomer({ name: 'Archive Me' }))

      await customers.archive(systemActor, customer.id)

      assert.equal((await customers.list(systemActor.scope, { search: 'archive me' })).items.length, 0)
      assert.equal((await customers.list(systemActor.scope, { search: 'archive me', includeArchived: true })).items.length, 1)
      assert.equal(await customers.resolveTenantScope(customer.id), undefined)
      await customers.restore(systemActor, customer.id)
      assert.equal((await customers.list(systemActor.scope, { search: 'archive me' })).items.length, 1)
    })

    it('updates, then removes, a contact; a customer actor cannot touch another customer', async () => {
      const customer = await customers.create(systemActor, aCustomer({ contacts: [{ name: 'Cy', email: 'cy@c.example', role: 'technical' }] }))
      const other = await customers.create(systemActor, aCustomer())
      const contactId = customer.contacts[0]!.id
      const outsider: Actor = { ...systemActor, kind: 'token', id: 't', role: 'customer', scope: { all: false, customerIds: [other.id] } }

      const updated = await customers.updateContact(systemActor, customer.id, contactId, { role: 'security', phone: null })

      assert.equal(updated.role, 'security')
      await assert.rejects(customers.removeContact(outsider, customer.id, contactId), rejectsWith('not_found'))
      await customers.removeContact(systemActor, customer.id, contactId)
      assert.deepEqual(await customers.listContacts(systemActor.scope, customer.id), [])
    })

    it('resolves a customer by id, external reference or name', async () => {
      const customer = await customers.create(systemActor, aCustomer({ name: 'Initech', externalRef: 'rmm-42' }))

      for (const reference of [customer.id, 'rmm-42', 'initech', ' INITECH ']) {
        assert.equal((await customers.resolve(systemActor.scope, reference)).id, customer.id, reference)
      }
      await assert.rejects(customers.resolve(systemActor.scope, 'no such'), rejectsWith('not_found'))
    })
  })
}
