import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { testDialects } from '../db/testing.js'
import { systemActor } from '../shared/actor.js'
import { createTestApp, type TestApp } from '../testing.js'

// A customer's account owner, through the HTTP door of the composed app: only an active staff
// user can own an account, changes are audited, and a customer's token sees the field on its own
// record only.

for (const dialect of testDialects) {
  describe(`customers' account owners (${dialect.name})`, { skip: dialect.skip }, () => {
    let test: TestApp
    let admin: string
    let staff: string
    let disabled: string
    let customerUser: string
    let other: string

    before(async () => {
      test = await createTestApp(dialect.name)
      const { access, customers } = test.services
      admin = await test.tokenFor('admin')
      other = (await customers.create(systemActor, { name: 'Other Co' })).id
      staff = (await access.createUser(systemActor, { email: 'amy@provider.example', name: 'Amy', role: 'responder' })).id
      disabled = (await access.createUser(systemActor, { email: 'old@provider.example', name: 'Old', role: 'responder' })).id
      await access.disableUser(systemActor, disabled)
      customerUser = (await access.createUser(systemActor, { email: 'cu@other.example', name: 'Cu', role: 'customer', customerId: other })).id
    })
    after(() => test?.close())

    const call = (method: 'POST' | 'PATCH' | 'GET', url: string, payload?: unknown, token = admin) =>
      test.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload !== undefined && { payload: payload as object }) })

    it('sets, changes and clears the account owner, with an audit record of the change', async () => {
      const created = await call('POST', '/api/v1/customers', { name: 'Owned Ltd', accountOwnerId: staff })
      assert.equal(created.statusCode, 201, created.body)
      const id = created.json().id as string
      assert.equal(created.json().accountOwnerId, staff)

      const cleared = await call('PATCH', `/api/v1/customers/${id}`, { accountOwnerId: null })

      assert.equal(cleared.statusCode, 200, cleared.body)
      assert.equal(cleared.json().accountOwnerId, null)
      assert.equal((await test.services.customers.get(systemActor.scope, id)).accountOwnerId, null)
      const audit = await test.services.audit.list(systemActor.scope, { targetId: id, action: 'customer.updated', limit: 10 })
      const change = audit.items.find((entry) => entry.action === 'customer.updated')
      assert.deepEqual(change?.details, { accountOwnerId: { from: staff, to: null } })
    })

    it('refuses an unknown, disabled or customer user as account owner, naming the field, and writes nothing', async () => {
      for (const [who, userId, message] of [
        ['unknown', 'no-such-user', /no user no-such-user/],
        ['disabled', disabled, /disabled/],
        ['customer', customerUser, /customer's user, not staff/],
      ] as const) {
        const refused = await call('POST', '/api/v1/customers', { name: `Refused ${who}`, accountOwnerId: userId })
        assert.equal(refused.statusCode, 400, `${who}: ${refused.body}`)
        assert.match(refused.body, /accountOwnerId/)
        assert.match(refused.body, message)
        const patched = await call('PATCH', `/api/v1/customers/${other}`, { accountOwnerId: userId })
        assert.equal(patched.statusCode, 400, `${who}: ${patched.body}`)
      }
      const names = (await test.services.customers.list(systemActor.scope, { limit: 100 })).items.map((c) => c.name)
      assert.ok(!names.some((name) => name.startsWith('Refused')), names.join(', '))
      assert.equal((await test.services.customers.get(systemActor.scope, other)).accountOwnerId, null)
    })
  })
}
