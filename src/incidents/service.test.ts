import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import { testDialects } from '../db/testing.js'
import { systemActor, type Actor } from '../shared/actor.js'
import { FakeClock } from '../shared/clock.js'
import { AppError } from '../shared/errors.js'
import { createTestApp, type TestApp } from '../testing.js'
import type { Incidents } from './service.js'

// Incidents through the composed app (real users, customers and advisories), on both dialects,
// with a clock that moves only when told to.

function rejectsWith(kind: AppError['kind'], field?: string) {
  return (error: unknown) => {
    assert.ok(error instanceof AppError, String(error))
    assert.equal(error.kind, kind, error.message)
    if (field) assert.ok(error.problems.some((p) => p.field === field), JSON.stringify(error.problems))
    return true
  }
}

const start = '2026-03-29T10:00:00.000Z'
const minutes = (n: number) => n * 60_000

let counter = 0
function anIncident(overrides: Record<string, unknown> = {}) {
  counter += 1
  return { title: `Incident ${counter}`, severity: 'SEV3', ...overrides }
}

for (const dialect of testDialects) {
  describe(`incidents (${dialect.name})`, { skip: dialect.skip }, () => {
    const clock = new FakeClock(start)
    let t: TestApp
    let incidents: Incidents
    let alice: string
    let bob: string
    let acme: string
    const responder: Actor = { kind: 'token', id: 'responder-token', label: 'Rita (responder)', role: 'responder', scope: { all: true } }

    before(async () => {
      t = await createTestApp(dialect.name, { clock })
      incidents = t.services.incidents
      alice = (await t.services.access.createUser(systemActor, { email: 'alice@provider.example', name: 'Alice Commander', role: 'responder' })).id
      bob = (await t.services.access.createUser(systemActor, { email: 'bob@provider.example', name: 'Bob Comms', role: 'responder' })).id
      acme = (await t.services.customers.create(systemActor, { name: 'Acme Telecom', externalRef: 'acme' })).id
    })
    beforeEach(() => clock.set(start))
    after(() => t.close())

    async function kindsOf(id: string): Promise<string[]> {
      return (await incidents.timeline(responder, id, { limit: 500 })).items.map((e) => e.kind)
    }

    async function count(): Promise<number> {
      let total = 0
      for (let cursor: string | undefined; ; ) {
        const page = await incidents.list(systemActor, { limit: 500, cursor })
        total += page.items.length
        if (!page.nextCursor) return total
        cursor = page.nextCursor
      }
    }

    it('opens an incident in triage, on the timeline and in the audit log', async () => {
      const opened = await incidents.open(responder, anIncident({ title: '  3CX   DesktopApp compromised ', severity: 'SEV1', summary: 'Signed build carries a backdoor.' }))

      assert.equal(opened.status, 'triage')
      assert.equal(opened.title, '3CX DesktopApp compromised')
      assert.equal(opened.openedAt, start)
      assert.equal(opened.openedBy, 'Rita (responder)')
      const [entry] = (await incidents.timeline(responder, opened.id)).items
      assert.deepEqual([entry?.kind, entry?.text, entry?.actorLabel, entry?.at], ['opened', 'Opened at SEV1: 3CX DesktopApp compromised', 'Rita (responder)', start])
      const audit = await t.services.audit.list(systemActor.scope, { targetType: 'incident', targetId: opened.id })
      assert.deepEqual(audit.items.map((r) => r.action), ['incident.opened'])
    })

    it('writes a timeline entry for each change: severity, status, role and title', async () => {
      const opened = await incidents.open(responder, anIncident())

      await incidents.update(responder, opened.id, { severity: 'SEV2', status: 'active', commanderId: alice, title: 'Renamed' })

      assert.deepEqual(await kindsOf(opened.id), ['opened', 'title', 'severity', 'role', 'status'])
      const texts = (await incidents.timeline(responder, opened.id)).items.map((e) => e.text)
      assert.ok(texts.includes('Severity changed from SEV3 to SEV2'), texts.join(' | '))
      assert.ok(texts.includes('Commander: Alice Commander'), texts.join(' | '))
    })

    it('sets acknowledged, contained and resolved times when a move skips straight to resolved', async () => {
      const opened = await incidents.open(responder, anIncident())
      clock.advance(minutes(7))

      const resolved = await incidents.update(responder, opened.id, { status: 'resolved' })

      const at = new Date(Date.parse(start) + minutes(7)).toISOString()
      assert.deepEqual([resolved.acknowledgedAt, resolved.containedAt, resolved.resolvedAt, resolved.closedAt], [at, at, at, null])
      assert.deepEqual(resolved.figures, { timeToAcknowledgeSeconds: 420, timeToContainSeconds: 420, timeToResolveSeconds: 420 })
    })

    it('reopens a resolved incident: audited, on the timeline, keeping the first resolved time', async () => {
      const opened = await incidents.open(responder, anIncident())
      clock.advance(minutes(10))
      const resolved = await incidents.update(responder, opened.id, { status: 'resolved' })
      clock.advance(minutes(10))

      const reopened = await incidents.update(responder, opened.id, { status: 'active' })

      assert.equal(reopened.status, 'active')
      assert.equal(reopened.resolvedAt, resolved.resolvedAt)
      assert.deepEqual((await kindsOf(opened.id)).slice(-2), ['status', 'reopened'])
      const audit = await t.services.audit.list(systemActor.scope, { targetType: 'incident', targetId: opened.id, limit: 1 })
      assert.equal(audit.items[0]?.action, 'incident.reopened')
    })

    it('refuses a backwards move that is not a reopening, naming status, and writes nothing', async () => {
      const opened = await incidents.open(responder, anIncident())
      await incidents.update(responder, opened.id, { status: 'contained' })

      await assert.rejects(incidents.update(responder, opened.id, { status: 'triage', severity: 'SEV1' }), rejectsWith('invalid', 'status'))

      const read = await incidents.get(responder, opened.id)
      assert.deepEqual([read.status, read.severity], ['contained', 'SEV3'])
      assert.deepEqual(await kindsOf(opened.id), ['opened', 'status'])
    })

    it('keeps a closed incident closed: no status back, no field changes, no tasks', async () => {
      const opened = await incidents.open(responder, anIncident())
      await incidents.update(responder, opened.id, { status: 'closed' })

      await assert.rejects(incidents.update(responder, opened.id, { status: 'active' }), rejectsWith('invalid', 'status'))
      await assert.rejects(incidents.update(responder, opened.id, { title: 'Changed after closing' }), rejectsWith('conflict'))
      await assert.rejects(incidents.addTask(responder, opened.id, { title: 'Too late' }), rejectsWith('conflict'))

      assert.equal((await incidents.get(responder, opened.id)).title, opened.title)
    })

    it('refuses an unknown severity, an oversize title and an unknown playbook, naming the field, and opens nothing', async () => {
      const before = await count()

      await assert.rejects(incidents.open(responder, anIncident({ severity: 'SEV5' })), rejectsWith('invalid', 'severity'))
      await assert.rejects(incidents.open(responder, anIncident({ title: 'x'.repeat(201) })), rejectsWith('invalid', 'title'))
      await assert.rejects(incidents.open(responder, anIncident({ playbook: 'no-such-playbook' })), rejectsWith('invalid', 'playbook'))
      await assert.rejects(incidents.open(responder, anIncident({ title: 'nul \u0000 byte' })), rejectsWith('invalid', 'title'))

      assert.equal(await count(), before)
    })

    it('refuses an unknown status and an oversize note, naming the field', async () => {
      const opened = await incidents.open(responder, anIncident())

      await assert.rejects(incidents.update(responder, opened.id, { status: 'done' }), rejectsWith('invalid', 'status'))
      await assert.rejects(incidents.addNote(responder, opened.id, 'n'.repeat(10_001)), rejectsWith('invalid', 'text'))

      assert.deepEqual(await kindsOf(opened.id), ['opened'])
    })

    it('refuses an unknown, a disabled or a customer user as a role holder, naming the field', async () => {
      const opened = await incidents.open(responder, anIncident())
      const disabled = await t.services.access.createUser(systemActor, { email: `gone${counter}@provider.example`, name: 'Gone', role: 'responder' })
      await t.services.access.disableUser(systemActor, disabled.id)
      const customerUser = await t.services.access.createUser(systemActor, { email: `it${counter}@acme.example`, name: 'Acme IT', role: 'customer', customerId: acme })

      await assert.rejects(incidents.update(responder, opened.id, { commanderId: 'no-such-user' }), rejectsWith('invalid', 'commanderId'))
      await assert.rejects(incidents.update(responder, opened.id, { operationsLeadId: disabled.id }), rejectsWith('invalid', 'operationsLeadId'))
      await assert.rejects(incidents.update(responder, opened.id, { communicationsLeadId: customerUser.id }), rejectsWith('invalid', 'communicationsLeadId'))
      await assert.rejects(incidents.open(responder, anIncident({ commanderId: 'no-such-user' })), rejectsWith('invalid', 'commanderId'))
    })

    it('refuses an unknown customer on opening, naming which, and opens nothing', async () => {
      const before = await count()

      await assert.rejects(incidents.open(responder, anIncident({ customerIds: ['acme', 'nobody'] })), rejectsWith('invalid', 'customerIds.1'))

      assert.equal(await count(), before)
    })

    it('applies the bundled playbook on opening: its tasks in order, due from the clock, assigned by role', async () => {
      const opened = await incidents.open(responder, anIncident({ playbook: 'vendor-supply-chain-compromise', commanderId: alice }))

      const tasks = await incidents.listTasks(responder, opened.id)

      const playbook = await incidents.getPlaybook(responder, 'vendor-supply-chain-compromise')
      assert.deepEqual(tasks.map((task) => task.title), playbook.tasks.map((template) => template.title))
      assert.deepEqual(tasks.map((task) => task.position), playbook.tasks.map((_, index) => index + 1))
      assert.equal(tasks[0]?.title, 'Confirm the affected versions and who runs them')
      assert.equal(tasks[0]?.dueAt, '2026-03-29T10:30:00.000Z')
      assert.equal(tasks.at(-1)?.dueAt, '2026-04-05T10:00:00.000Z')
      assert.deepEqual(tasks.filter((task) => task.role === 'commander').map((task) => task.assigneeId), [alice, alice])
      assert.ok(tasks.filter((task) => task.role === 'operations_lead').every((task) => task.assigneeId === null))
      assert.deepEqual(await kindsOf(opened.id), ['opened', 'role', 'playbook'])
    })

    it('ships a supply-chain playbook that warns that isolating a softphone cuts phone service', async () => {
      const playbook = await incidents.getPlaybook(responder, 'vendor-supply-chain-compromise')

      const isolate = playbook.tasks.find((task) => task.title.startsWith('Lock down'))

      assert.match(isolate?.description ?? '', /cuts that person's phone service/)
      assert.match(isolate?.description ?? '', /web client/)
      assert.deepEqual(playbook.tasks.map((task) => task.role).slice(0, 3), ['operations_lead', 'operations_lead', 'operations_lead'])
    })

    it('refuses to apply the same playbook twice', async () => {
      const opened = await incidents.open(responder, anIncident({ playbook: 'vendor-supply-chain-compromise' }))

      await assert.rejects(incidents.applyPlaybook(responder, opened.id, 'vendor-supply-chain-compromise'), rejectsWith('conflict', 'playbook'))

      assert.equal((await incidents.listTasks(responder, opened.id)).length, 9)
    })

    it('adds a task by hand due in minutes, and marks it done with the time it was done', async () => {
      const opened = await incidents.open(responder, anIncident())
      const task = await incidents.addTask(responder, opened.id, { title: 'Call Acme', assigneeId: bob, dueInMinutes: 45 })
      clock.advance(minutes(20))

      const done = await incidents.updateTask(responder, opened.id, task.id, { status: 'done' })

      assert.equal(task.dueAt, '2026-03-29T10:45:00.000Z')
      assert.deepEqual([done.status, done.completedAt, done.assigneeId], ['done', '2026-03-29T10:20:00.000Z', bob])
      const last = (await incidents.timeline(responder, opened.id)).items.at(-1)
      assert.equal(last?.text, 'Task "Call Acme": done')
    })

    it('refuses a task due both at a time and in minutes', async () => {
      const opened = await incidents.open(responder, anIncident())

      await assert.rejects(incidents.addTask(responder, opened.id, { title: 'Both', dueAt: '2026-04-01T00:00:00Z', dueInMinutes: 5 }), rejectsWith('invalid', 'dueInMinutes'))

      assert.deepEqual(await incidents.listTasks(responder, opened.id), [])
    })

    it('sets the acknowledged time once, from the first acknowledgement', async () => {
      const opened = await incidents.open(responder, anIncident())

      await t.services.database.db.transaction().execute((trx) => incidents.acknowledgeIn(trx, opened.id, '2026-03-29T10:03:00.000Z'))
      await t.services.database.db.transaction().execute((trx) => incidents.acknowledgeIn(trx, opened.id, '2026-03-29T10:09:00.000Z'))

      const read = await incidents.get(responder, opened.id)
      assert.equal(read.acknowledgedAt, '2026-03-29T10:03:00.000Z')
      assert.equal(read.figures.timeToAcknowledgeSeconds, 180)
      assert.equal((await incidents.update(responder, opened.id, { status: 'active' })).acknowledgedAt, '2026-03-29T10:03:00.000Z')
    })

    it("records another module's event with its data, inside that module's transaction", async () => {
      const opened = await incidents.open(responder, anIncident())

      await t.services.database.db.transaction().execute((trx) => incidents.recordIn(trx, opened.id, { kind: 'page.sent', text: 'Paged Alice by email', actorLabel: 'alerting', data: { userId: alice, attempt: 1 } }))

      const last = (await incidents.timeline(responder, opened.id)).items.at(-1)
      assert.deepEqual([last?.kind, last?.text, last?.actorLabel, last?.data], ['page.sent', 'Paged Alice by email', 'alerting', { userId: alice, attempt: 1 }])
    })

    it('refuses a timeline entry with a malformed kind, naming it', async () => {
      const opened = await incidents.open(responder, anIncident())

      await assert.rejects(
        t.services.database.db.transaction().execute((trx) => incidents.recordIn(trx, opened.id, { kind: 'Page Sent!', text: 'x' })),
        rejectsWith('invalid', 'kind'),
      )
    })

    it('refuses timeline data PostgreSQL could not store, naming it', async () => {
      const opened = await incidents.open(responder, anIncident())

      await assert.rejects(
        t.services.database.db.transaction().execute((trx) => incidents.recordIn(trx, opened.id, { kind: 'page.sent', text: 'x', data: { detail: 'nul \u0000 inside' } })),
        rejectsWith('invalid', 'data'),
      )
      await assert.rejects(
        t.services.database.db.transaction().execute((trx) => incidents.recordIn(trx, opened.id, { kind: 'page.sent', text: 'x', data: { count: 1n } })),
        rejectsWith('invalid', 'data'),
      )
    })

    it("answers not found for a task of another incident, and changes nothing", async () => {
      const one = await incidents.open(responder, anIncident())
      const other = await incidents.open(responder, anIncident())
      const task = await incidents.addTask(responder, one.id, { title: 'Mine' })

      await assert.rejects(incidents.updateTask(responder, other.id, task.id, { status: 'done' }), rejectsWith('not_found'))

      assert.equal((await incidents.listTasks(responder, one.id))[0]?.status, 'open')
    })

    it('opens and links inside a caller’s transaction, and writes nothing when the caller rolls back', async () => {
      const before = await count()

      await assert.rejects(
        t.services.database.db.transaction().execute(async (trx) => {
          const opened = await incidents.openIn(trx, systemActor, { title: 'From an alert', severity: 'SEV2', customerIds: [acme] })
          await incidents.linkIn(trx, systemActor, opened.id, { kind: 'alert', targetId: 'alert-1' })
          throw new Error('the caller failed')
        }),
        /the caller failed/,
      )

      assert.equal(await count(), before)
    })

    it('links an alert once, and a customer by name as its id', async () => {
      const opened = await incidents.open(responder, anIncident())

      await t.services.database.db.transaction().execute((trx) => incidents.linkIn(trx, systemActor, opened.id, { kind: 'alert', targetId: 'alert-42' }))
      await t.services.database.db.transaction().execute((trx) => incidents.linkIn(trx, systemActor, opened.id, { kind: 'alert', targetId: 'alert-42' }))
      await incidents.link(responder, opened.id, { kind: 'customer', targetId: 'Acme Telecom' })

      const read = await incidents.get(responder, opened.id)
      assert.deepEqual(read.links.map((l) => [l.kind, l.targetId]), [['alert', 'alert-42'], ['customer', acme]])
      assert.deepEqual(await kindsOf(opened.id), ['opened', 'link', 'link'])
    })

    it('links an advisory by its CVE as the advisory id, and refuses one that does not exist', async () => {
      const opened = await incidents.open(responder, anIncident())
      const advisory = await t.services.intel.getAdvisory('CVE-2023-29059')

      const link = await incidents.link(responder, opened.id, { kind: 'advisory', targetId: 'CVE-2023-29059' })

      assert.equal(link.targetId, advisory.id)
      await assert.rejects(incidents.link(responder, opened.id, { kind: 'advisory', targetId: 'CVE-1999-0000' }), rejectsWith('invalid', 'targetId'))
    })

    it('lists incidents by customer, status and severity, newest first, a page at a time', async () => {
      const first = await incidents.open(responder, anIncident({ severity: 'SEV1', customerIds: ['acme'] }))
      clock.advance(1000)
      const second = await incidents.open(responder, anIncident({ severity: 'SEV1', customerIds: [acme] }))
      clock.advance(1000)
      await incidents.open(responder, anIncident({ severity: 'SEV4' }))

      const page1 = await incidents.list(responder, { customerId: acme, severity: 'SEV1', status: 'triage', limit: 1 })
      const page2 = await incidents.list(responder, { customerId: acme, severity: 'SEV1', status: 'triage', limit: 1, cursor: page1.nextCursor! })

      assert.deepEqual([...page1.items, ...page2.items].map((i) => i.id), [second.id, first.id])
      assert.equal(page2.nextCursor, null)
    })

    it('finds an incident still being handled, and not a resolved one', async () => {
      const handled = await incidents.open(responder, anIncident())
      const resolved = await incidents.open(responder, anIncident())
      await incidents.update(responder, resolved.id, { status: 'resolved' })

      const found = await t.services.database.db.transaction().execute(async (trx) => [await incidents.findOpenIn(trx, handled.id), await incidents.findOpenIn(trx, resolved.id)])

      assert.deepEqual(found.map((i) => i?.id), [handled.id, undefined])
    })

    it('pages through a timeline in time order, an entry recorded for an earlier time in its place', async () => {
      const opened = await incidents.open(responder, anIncident())
      clock.advance(minutes(5))
      await incidents.addNote(responder, opened.id, 'second')
      await t.services.database.db.transaction().execute((trx) => incidents.recordIn(trx, opened.id, { kind: 'alert.joined', text: 'first, reported late', at: '2026-03-29T10:01:00Z' }))

      const page1 = await incidents.timeline(responder, opened.id, { limit: 2 })
      const page2 = await incidents.timeline(responder, opened.id, { limit: 2, cursor: page1.nextCursor! })

      assert.deepEqual([...page1.items, ...page2.items].map((e) => e.text), ['Opened at SEV3: ' + opened.title, 'first, reported late', 'second'])
    })

    it('computes the report figures from the clock, and says "not yet" for what has not happened', async () => {
      const opened = await incidents.open(responder, anIncident({ title: 'Figures' }))
      clock.advance(minutes(5))
      await incidents.update(responder, opened.id, { status: 'active' })
      clock.advance(minutes(60))
      await incidents.update(responder, opened.id, { status: 'contained' })

      const report = await incidents.report(responder, opened.id, 'markdown')

      assert.match(report, /^# Incident report: Figures$/m)
      assert.match(report, /\| Time to acknowledge \| 5 min \|/)
      assert.match(report, /\| Time to contain \| 1 h 5 min \|/)
      assert.match(report, /\| Time to resolve \| not yet \|/)
    })

    it('escapes a hostile title, note and task in the HTML report', async () => {
      const opened = await incidents.open(responder, anIncident({ title: '<script>alert(1)</script> [x](javascript:alert(2))', customerIds: [acme] }))
      await incidents.addNote(responder, opened.id, '<img src=x onerror=alert(3)>\n# not a heading')
      await incidents.addTask(responder, opened.id, { title: '| <b>bold</b> |' })

      const html = await incidents.report(responder, opened.id, 'html')

      assert.ok(!/<script|<img|<b>|href="javascript/i.test(html), html)
      assert.match(html, /<title>Incident report: &lt;script&gt;alert\(1\)&lt;\/script&gt;/)
      assert.match(html, /&lt;img src=x onerror=alert\(3\)&gt;/)
      assert.match(html, /Acme Telecom/)
    })

    it('refuses a customer actor everything', async () => {
      const opened = await incidents.open(responder, anIncident({ customerIds: [acme] }))
      const customer: Actor = { kind: 'token', id: 'acme-token', label: 'Acme', role: 'customer', scope: { all: false, customerIds: [acme] } }

      await assert.rejects(incidents.get(customer, opened.id), rejectsWith('forbidden'))
      await assert.rejects(incidents.list(customer, {}), rejectsWith('forbidden'))
      await assert.rejects(incidents.addNote(customer, opened.id, 'hello'), rejectsWith('forbidden'))
    })

    it('saves a custom playbook, audited, and refuses the slug of a bundled one', async () => {
      const saved = await incidents.savePlaybook(responder, { slug: 'pbx-outage', name: 'PBX outage', tasks: [{ title: 'Check the trunk', role: 'operations_lead', dueInMinutes: 15 }] })

      assert.deepEqual([saved.source, saved.tasks], ['custom', [{ title: 'Check the trunk', description: '', role: 'operations_lead', dueInMinutes: 15 }]])
      const audit = await t.services.audit.list(systemActor.scope, { targetType: 'playbook', targetId: saved.id })
      assert.deepEqual(audit.items.map((r) => r.action), ['playbook.created'])
      await assert.rejects(incidents.savePlaybook(responder, { slug: 'vendor-supply-chain-compromise', name: 'Mine', tasks: [{ title: 'x' }] }), rejectsWith('conflict', 'slug'))
    })

    it('loads the bundled playbooks again without writing anything', async () => {
      const before = (await t.services.audit.list(systemActor.scope, { targetType: 'playbook', limit: 500 })).items.length

      await incidents.loadBundledPlaybooks(systemActor)

      assert.equal((await t.services.audit.list(systemActor.scope, { targetType: 'playbook', limit: 500 })).items.length, before)
    })
  })
}
