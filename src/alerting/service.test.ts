import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { testDialects } from '../db/testing.js'
import { waitFor } from '../jobs/testing.js'
import type { Worker } from '../jobs/index.js'
import { systemActor } from '../shared/actor.js'
import { FakeClock } from '../shared/clock.js'
import { AppError } from '../shared/errors.js'
import { createTestApp, type TestApp } from '../testing.js'

// Alerting through the composed app: dedup, idempotent intake, routing, grouping, escalation
// driven by a fake clock and a real worker, quiet-period resolution, incidents from alerts.

const start = '2026-03-02T08:00:00.000Z'
const minute = 60_000

function anAlert(overrides: Record<string, unknown> = {}) {
  return { summary: 'EDR: 3CXDesktopApp.exe spawned a suspicious process', severity: 'critical', source: 'edr', ...overrides }
}

/** A schedule with one user on call around the clock, for escalation targets. */
function roundTheClock(userIds: string[]) {
  return { timezone: 'Europe/London', layers: [{ name: 'primary', start: '2026-03-01T09:00', rotation: { kind: 'weekly' }, users: userIds }] }
}

for (const dialect of testDialects) {
  describe(`alerting (${dialect.name})`, { skip: dialect.skip }, () => {
    let test: TestApp
    let clock: FakeClock
    let worker: Worker
    let ann: string
    let bob: string
    let customer: string

    before(async () => {
      clock = new FakeClock(start)
      test = await createTestApp(dialect.name, { clock })
      worker = test.services.jobs.createWorker({ handlers: test.services.jobHandlers, pollIntervalMs: 5, concurrency: 4 })
      worker.start()
      ann = (await test.services.access.createUser(systemActor, { email: 'ann@provider.example', name: 'Ann', role: 'responder' })).id
      bob = (await test.services.access.createUser(systemActor, { email: 'bob@provider.example', name: 'Bob', role: 'responder' })).id
      customer = (await test.services.customers.create(systemActor, { name: 'Acme Telecom' })).id
    })
    after(async () => {
      await worker.stop()
      await test.close()
    })

    it('counts a repeat of an open dedup key on the open alert instead of opening another', async () => {
      const first = await test.services.alerting.send(anAlert({ dedupKey: 'host-1/3cx' }))
      clock.advance(1000)

      const second = await test.services.alerting.send(anAlert({ dedupKey: 'host-1/3cx' }))

      assert.equal(first.outcome, 'created')
      assert.equal(second.outcome, 'deduplicated')
      assert.equal(second.alertId, first.alertId)
      const alert = await test.services.alerting.getAlert(first.alertId!)
      assert.equal(alert.count, 2)
      assert.equal(alert.lastSeenAt, new Date(Date.parse(start) + 1000).toISOString())
    })

    it('opens a new alert for a dedup key whose alert was resolved', async () => {
      const first = await test.services.alerting.send(anAlert({ dedupKey: 'host-2/3cx' }))
      await test.services.alerting.resolve(systemActor, first.alertId!)

      const again = await test.services.alerting.send(anAlert({ dedupKey: 'host-2/3cx' }))

      assert.equal(again.outcome, 'created')
      assert.notEqual(again.alertId, first.alertId)
    })

    it('answers a retried request with the same idempotency key with the first answer and counts it once', async () => {
      const first = await test.services.alerting.send(anAlert({ dedupKey: 'host-3/3cx' }), { idempotencyKey: 'req-1' })
      const second = await test.services.alerting.send(anAlert({ dedupKey: 'host-3/3cx' }), { idempotencyKey: 'req-2' })

      const retried = await test.services.alerting.send(anAlert({ dedupKey: 'host-3/3cx' }), { idempotencyKey: 'req-2' })

      assert.deepEqual(retried, second)
      assert.equal((await test.services.alerting.getAlert(first.alertId!)).count, 2)
    })

    it('resolves an open alert when its source sends resolve, and ignores a resolve for a key with nothing open', async () => {
      const opened = await test.services.alerting.send(anAlert({ dedupKey: 'host-4/3cx' }))

      const resolved = await test.services.alerting.send(anAlert({ dedupKey: 'host-4/3cx', action: 'resolve' }))
      const nothing = await test.services.alerting.send(anAlert({ dedupKey: 'never-opened', action: 'resolve' }))

      assert.equal(resolved.status, 'resolved')
      const alert = await test.services.alerting.getAlert(opened.alertId!)
      assert.equal(alert.resolution, 'source')
      assert.equal(nothing.outcome, 'ignored')
      assert.equal(nothing.alertId, null)
    })

    it('rejects an event for a customer Cordon does not know, and stores nothing for it', async () => {
      const before = await test.services.alerting.countAlerts()

      await assert.rejects(test.services.alerting.send(anAlert({ customerId: 'no-such-customer' })), (error: unknown) => error instanceof AppError && error.kind === 'invalid' && /customerId/.test(error.message))

      assert.equal(await test.services.alerting.countAlerts(), before)
    })

    it('commits a burst of concurrent events, repeats and new keys alike, with exact counts', async () => {
      const keys = ['burst-a', 'burst-b', 'burst-c']

      const results = await Promise.all(Array.from({ length: 90 }, (_, i) => test.services.alerting.send(anAlert({ source: 'burst', dedupKey: keys[i % 3] }))))

      const ids = new Set(results.map((r) => r.alertId))
      assert.equal(ids.size, 3)
      for (const id of ids) assert.equal((await test.services.alerting.getAlert(id!)).count, 30)
      assert.equal(results.filter((r) => r.outcome === 'created').length, 3)
    })

    it('routes by severity and labels to an escalation policy that pages step by step until acknowledged', async () => {
      const schedule = await test.services.alerting.saveSchedule(systemActor, { name: 'SOC primary', definition: roundTheClock([ann]) })
      const policy = await test.services.alerting.savePolicy(systemActor, {
        name: 'SOC',
        steps: [
          { targets: [{ kind: 'schedule', id: schedule.id }], waitMinutes: 5 },
          { targets: [{ kind: 'user', id: bob }], waitMinutes: 10 },
        ],
        repeats: 0,
      })
      await test.services.alerting.saveRoute(systemActor, { name: 'critical voice', position: 1, conditions: { minSeverity: 'error', labels: { service: 'voice' } }, policyId: policy.id })

      const paged = await test.services.alerting.send(anAlert({ source: 'edr-esc', labels: { service: 'voice' } }))
      const unrouted = await test.services.alerting.send(anAlert({ source: 'edr-esc', severity: 'warning', labels: { service: 'voice' } }))

      await waitFor(async () => (await test.services.alerting.getAlert(paged.alertId!)).pages.length === 1, 'the first page')
      let alert = await test.services.alerting.getAlert(paged.alertId!)
      assert.equal(alert.policyId, policy.id)
      assert.equal(alert.pages[0]!.userId, ann)
      assert.equal(alert.pages[0]!.outcome, 'paged')
      assert.ok(alert.pages[0]!.notificationId)
      assert.equal((await test.services.alerting.getAlert(unrouted.alertId!)).policyId, null)

      clock.advance(4 * minute)
      await new Promise((resolve) => setTimeout(resolve, 100))
      assert.equal((await test.services.alerting.getAlert(paged.alertId!)).pages.length, 1, 'the second step waits its five minutes')

      clock.advance(2 * minute)
      await waitFor(async () => (await test.services.alerting.getAlert(paged.alertId!)).pages.length === 2, 'the second page')
      alert = await test.services.alerting.getAlert(paged.alertId!)
      assert.equal(alert.pages[1]!.userId, bob)

      await test.services.alerting.acknowledge(systemActor, paged.alertId!)
      clock.advance(60 * minute)
      await new Promise((resolve) => setTimeout(resolve, 100))
      assert.equal((await test.services.alerting.getAlert(paged.alertId!)).pages.length, 2, 'no page after the last step and acknowledgement')
    })

    it('stops escalating when the alert is acknowledged before the next step is due', async () => {
      const policy = await test.services.alerting.savePolicy(systemActor, { name: 'ack-stops', steps: [{ targets: [{ kind: 'user', id: ann }], waitMinutes: 5 }, { targets: [{ kind: 'user', id: bob }], waitMinutes: 5 }], repeats: 3 })
      await test.services.alerting.saveRoute(systemActor, { name: 'ack-stops', position: 0, conditions: { sources: ['ack-src'] }, policyId: policy.id })
      const sent = await test.services.alerting.send(anAlert({ source: 'ack-src' }))
      await waitFor(async () => (await test.services.alerting.getAlert(sent.alertId!)).pages.length === 1, 'the first page')

      await test.services.alerting.acknowledge(systemActor, sent.alertId!)
      clock.advance(30 * minute)
      await new Promise((resolve) => setTimeout(resolve, 150))

      assert.equal((await test.services.alerting.getAlert(sent.alertId!)).pages.length, 1)
    })

    it('pages a step that came due while no worker ran once a worker starts again, and only once', async () => {
      const policy = await test.services.alerting.savePolicy(systemActor, { name: 'restart', steps: [{ targets: [{ kind: 'user', id: ann }], waitMinutes: 5 }, { targets: [{ kind: 'user', id: bob }], waitMinutes: 5 }] })
      await test.services.alerting.saveRoute(systemActor, { name: 'restart', position: 0, conditions: { sources: ['restart-src'] }, policyId: policy.id })
      const sent = await test.services.alerting.send(anAlert({ source: 'restart-src' }))
      await waitFor(async () => (await test.services.alerting.getAlert(sent.alertId!)).pages.length === 1, 'the first page')

      await worker.stop()
      clock.advance(30 * minute)
      worker = test.services.jobs.createWorker({ handlers: test.services.jobHandlers, pollIntervalMs: 5, concurrency: 4 })
      worker.start()

      await waitFor(async () => (await test.services.alerting.getAlert(sent.alertId!)).pages.length === 2, 'the overdue second page')
      await new Promise((resolve) => setTimeout(resolve, 150))
      const pages = (await test.services.alerting.getAlert(sent.alertId!)).pages
      assert.deepEqual(pages.map((p) => [p.step, p.userId]), [[0, ann], [1, bob]])
    })

    it('groups alerts with the same group labels within the window: only the first pages, later ones point at it', async () => {
      const policy = await test.services.alerting.savePolicy(systemActor, { name: 'grouping', steps: [{ targets: [{ kind: 'user', id: ann }], waitMinutes: 30 }] })
      await test.services.alerting.saveRoute(systemActor, { name: 'grouping', position: 0, conditions: { sources: ['storm'] }, policyId: policy.id, groupBy: ['cluster'], groupWindowSeconds: 600 })

      const first = await test.services.alerting.send(anAlert({ source: 'storm', dedupKey: 'storm-1', labels: { cluster: 'sbc-east' } }))
      clock.advance(minute)
      const second = await test.services.alerting.send(anAlert({ source: 'storm', dedupKey: 'storm-2', labels: { cluster: 'sbc-east' } }))
      const otherCluster = await test.services.alerting.send(anAlert({ source: 'storm', dedupKey: 'storm-3', labels: { cluster: 'sbc-west' } }))
      clock.advance(11 * minute)
      const afterWindow = await test.services.alerting.send(anAlert({ source: 'storm', dedupKey: 'storm-4', labels: { cluster: 'sbc-east' } }))

      const leader = await test.services.alerting.getAlert(first.alertId!)
      const member = await test.services.alerting.getAlert(second.alertId!)
      assert.equal(leader.groupLeaderId, null)
      assert.equal(member.groupLeaderId, leader.id)
      assert.equal((await test.services.alerting.getAlert(otherCluster.alertId!)).groupLeaderId, null)
      assert.equal((await test.services.alerting.getAlert(afterWindow.alertId!)).groupLeaderId, null)
      await waitFor(async () => (await test.services.alerting.getAlert(otherCluster.alertId!)).pages.length === 1, 'the other cluster pages')
      await new Promise((resolve) => setTimeout(resolve, 100))
      assert.equal(member.pages.length + (await test.services.alerting.getAlert(second.alertId!)).pages.length, 0)
    })

    it('opens an incident from the first alert of a group and links the rest of the group to it', async () => {
      await test.services.alerting.saveRoute(systemActor, { name: 'incidents', position: 0, conditions: { sources: ['sensor'] }, incident: { mode: 'open', severity: 'SEV2' }, groupBy: ['source'] })

      const first = await test.services.alerting.send(anAlert({ source: 'sensor', dedupKey: 'sensor-1', customerId: customer }))
      const second = await test.services.alerting.send(anAlert({ source: 'sensor', dedupKey: 'sensor-2', customerId: customer }))

      assert.ok(first.incidentId)
      assert.equal(second.incidentId, first.incidentId)
      const incident = await test.services.incidents.get(systemActor, first.incidentId!)
      assert.equal(incident.severity, 'SEV2')
      const linkedAlerts = incident.links.filter((link: { kind: string }) => link.kind === 'alert').map((link: { targetId: string }) => link.targetId).sort()
      assert.deepEqual(linkedAlerts, [first.alertId, second.alertId].sort())
    })

    it('sets the incident acknowledged when its alert is acknowledged', async () => {
      const sent = await test.services.alerting.send(anAlert({ source: 'sensor', dedupKey: 'sensor-ack', customerId: customer }))
      clock.advance(3 * minute)

      await test.services.alerting.acknowledge(systemActor, sent.alertId!)

      const incident = await test.services.incidents.get(systemActor, sent.incidentId!)
      assert.ok(incident.acknowledgedAt)
    })

    it('resolves an alert after its rule’s quiet period with no repeats, but not while repeats keep coming', async () => {
      await test.services.alerting.saveRoute(systemActor, { name: 'quiet', position: 0, conditions: { sources: ['flappy'] }, autoResolveMinutes: 10 })
      const sent = await test.services.alerting.send(anAlert({ source: 'flappy', dedupKey: 'flap-1' }))

      clock.advance(8 * minute)
      await test.services.alerting.send(anAlert({ source: 'flappy', dedupKey: 'flap-1' }))
      clock.advance(3 * minute)
      await new Promise((resolve) => setTimeout(resolve, 150))
      assert.equal((await test.services.alerting.getAlert(sent.alertId!)).status, 'triggered', 'a repeat 3 minutes ago keeps it open')

      clock.advance(8 * minute)
      await waitFor(async () => (await test.services.alerting.getAlert(sent.alertId!)).status === 'resolved', 'quiet resolution')
      assert.equal((await test.services.alerting.getAlert(sent.alertId!)).resolution, 'quiet')
    })

    it('refuses events over a source’s rate with rate_limited and stores only what it accepted', async () => {
      const results = await Promise.allSettled(Array.from({ length: 700 }, (_, i) => test.services.alerting.send(anAlert({ source: 'flood', dedupKey: `flood-${i}` }))))

      const accepted = results.filter((r) => r.status === 'fulfilled').length
      const refused = results.filter((r) => r.status === 'rejected')
      assert.equal(accepted, 500, 'the test configuration allows a burst of 500 with the clock standing still')
      assert.ok(refused.every((r) => r.reason instanceof AppError && r.reason.kind === 'rate_limited' && r.reason.retryAfterSeconds! >= 1))
      const page = await test.services.alerting.listAlerts({ source: 'flood', limit: 500 })
      const stored = page.items.length + (page.nextCursor ? (await test.services.alerting.listAlerts({ source: 'flood', limit: 500, cursor: page.nextCursor })).items.length : 0)
      assert.equal(stored, accepted)
    })

    it('refuses a schedule in an unknown time zone and a policy paging a user who does not exist, naming the field', async () => {
      await assert.rejects(
        test.services.alerting.saveSchedule(systemActor, { name: 'mars', definition: { ...roundTheClock([ann]), timezone: 'Mars/Olympus' } }),
        (error: unknown) => error instanceof AppError && error.kind === 'invalid' && error.problems.some((p) => p.field === 'definition.timezone'),
      )
      await assert.rejects(
        test.services.alerting.savePolicy(systemActor, { name: 'ghost', steps: [{ targets: [{ kind: 'user', id: 'no-such-user' }], waitMinutes: 5 }] }),
        (error: unknown) => error instanceof AppError && error.kind === 'invalid' && error.problems.some((p) => p.field === 'steps.0.targets.0.id'),
      )
    })

    it('refuses a schedule with gaps in coverage unless it allows them', async () => {
      const nightsOnly = { timezone: 'Europe/Berlin', layers: [{ name: 'nights', start: '2026-03-02T18:00', rotation: { kind: 'daily' }, users: [ann], restrictions: [{ kind: 'daily', start: '18:00', end: '08:00' }] }] }

      await assert.rejects(test.services.alerting.saveSchedule(systemActor, { name: 'nights', definition: nightsOnly }), (error: unknown) => error instanceof AppError && /no one is on call/.test(error.message))
      const saved = await test.services.alerting.saveSchedule(systemActor, { name: 'nights', definition: { ...nightsOnly, allowGaps: true } })

      assert.equal(saved.name, 'nights')
    })

    it('says who is on call at a time, with an override taking precedence', async () => {
      const schedule = await test.services.alerting.saveSchedule(systemActor, { name: 'weekly pair', definition: { timezone: 'UTC', layers: [{ name: 'l1', start: '2026-03-02T09:00', rotation: { kind: 'weekly' }, users: [ann, bob] }] } })
      await test.services.alerting.addOverride(systemActor, schedule.id, { userId: ann, start: '2026-03-10T00:00:00Z', end: '2026-03-11T00:00:00Z' })

      const week1 = await test.services.alerting.onCall(schedule.id, new Date('2026-03-03T12:00:00Z'))
      const week2 = await test.services.alerting.onCall('weekly pair', new Date('2026-03-09T12:00:00Z'))
      const overridden = await test.services.alerting.onCall(schedule.id, new Date('2026-03-10T12:00:00Z'))

      assert.equal(week1.shift?.userId, ann)
      assert.equal(week2.shift?.userId, bob)
      assert.equal(overridden.shift?.userId, ann)
      assert.equal(overridden.shift?.layer, null)
    })
  })
}
