import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { testDialects } from '../db/testing.js'
import { systemActor } from '../shared/actor.js'
import { FakeClock } from '../shared/clock.js'
import { createTestApp, type TestApp } from '../testing.js'

// Alert intake over HTTP: Cordon's own API, the PagerDuty, Alertmanager and Grafana doors, and the
// bad requests each must refuse without storing anything.

for (const dialect of testDialects) {
  describe(`alerting over HTTP (${dialect.name})`, { skip: dialect.skip }, () => {
    let test: TestApp
    let clock: FakeClock
    let responder: string
    let pagerDutyKey: string
    let alertmanagerKey: string
    let grafanaKey: string
    let customerToken: string

    before(async () => {
      clock = new FakeClock('2026-03-29T10:00:00Z')
      test = await createTestApp(dialect.name, { clock })
      responder = await test.tokenFor('responder')
      const customer = await test.services.customers.create(systemActor, { name: 'Acme' })
      customerToken = await test.tokenFor('customer', customer.id)
      pagerDutyKey = (await test.services.alerting.createIntegration(systemActor, { name: 'EDR', kind: 'pagerduty', source: 'edr' })).key
      alertmanagerKey = (await test.services.alerting.createIntegration(systemActor, { name: 'Prometheus', kind: 'alertmanager' })).key
      grafanaKey = (await test.services.alerting.createIntegration(systemActor, { name: 'Grafana', kind: 'grafana', customerId: customer.id })).key
    })
    after(() => test.close())

    const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
      test.inject({ method: 'POST', url: `/api/v1${url}`, payload: payload as object, headers: { authorization: `Bearer ${responder}`, ...headers } })

    it('answers 202 with the alert, and counts a repeat of its dedup key on it', async () => {
      const first = await post('/alerts', { summary: 'trunk down', severity: 'error', source: 'sbc', dedupKey: 'trunk-1' })
      const second = await post('/alerts', { summary: 'trunk down', severity: 'error', source: 'sbc', dedupKey: 'trunk-1' })

      assert.equal(first.statusCode, 202)
      assert.equal(second.json().outcome, 'deduplicated')
      assert.equal(second.json().count, 2)
      const shown = await test.inject({ method: 'GET', url: `/api/v1/alerts/${first.json().alertId}`, headers: { authorization: `Bearer ${responder}` } })
      assert.equal(shown.json().count, 2)
    })

    it('replays the first answer for a repeated Idempotency-Key', async () => {
      const first = await post('/alerts', { summary: 'x', severity: 'info', source: 'idem', dedupKey: 'idem-1' }, { 'idempotency-key': 'k-1' })
      const again = await post('/alerts', { summary: 'x', severity: 'info', source: 'idem', dedupKey: 'idem-1' }, { 'idempotency-key': 'k-1' })

      assert.deepEqual(again.json(), first.json())
      assert.equal((await test.services.alerting.getAlert(first.json().alertId)).count, 1)
    })

    it('takes PagerDuty Events API v2 events with an integration key as routing key, and answers as PagerDuty does', async () => {
      const event = { routing_key: pagerDutyKey, event_action: 'trigger', dedup_key: 'pd-1', payload: { summary: '3CX flagged on srv01', source: 'srv01', severity: 'critical' } }

      const response = await test.inject({ method: 'POST', url: '/api/v1/integrations/pagerduty/enqueue', payload: event })
      const ack = await test.inject({ method: 'POST', url: '/api/v1/integrations/pagerduty/enqueue', payload: { routing_key: pagerDutyKey, event_action: 'acknowledge', dedup_key: 'pd-1' } })

      assert.equal(response.statusCode, 202)
      assert.deepEqual(response.json(), { status: 'success', message: 'Event processed', dedup_key: 'pd-1' })
      assert.equal(ack.statusCode, 202)
      const page = await test.services.alerting.listAlerts({ source: 'srv01' })
      assert.equal(page.items[0]!.status, 'acknowledged')
    })

    it('refuses a PagerDuty event with a wrong routing key (401) or an unknown event action (400), storing nothing', async () => {
      const before = await test.services.alerting.countAlerts()

      const wrongKey = await test.inject({ method: 'POST', url: '/api/v1/integrations/pagerduty/enqueue', payload: { routing_key: alertmanagerKey, event_action: 'trigger', payload: { summary: 's', source: 's', severity: 'info' } } })
      const badAction = await test.inject({ method: 'POST', url: '/api/v1/integrations/pagerduty/enqueue', payload: { routing_key: pagerDutyKey, event_action: 'snooze', dedup_key: 'x' } })

      assert.equal(wrongKey.statusCode, 401)
      assert.equal(badAction.statusCode, 400)
      assert.ok(badAction.json().errors.some((e: { field: string }) => e.field === 'event_action'))
      assert.equal(await test.services.alerting.countAlerts(), before)
    })

    it('takes an Alertmanager webhook with a bearer integration key and a Grafana one with ?key=', async () => {
      const am = await test.inject({
        method: 'POST',
        url: '/api/v1/integrations/alertmanager',
        headers: { authorization: `Bearer ${alertmanagerKey}` },
        payload: { version: '4', status: 'firing', alerts: [{ status: 'firing', labels: { alertname: 'SipDown', severity: 'critical' }, annotations: { summary: 'SIP down' }, fingerprint: 'f1' }] },
      })
      const grafana = await test.inject({
        method: 'POST',
        url: `/api/v1/integrations/grafana?key=${encodeURIComponent(grafanaKey)}`,
        payload: { title: '[FIRING:1] Latency', state: 'alerting', status: 'firing', alerts: [{ status: 'firing', labels: { alertname: 'Latency' }, annotations: {}, fingerprint: 'g1' }] },
      })

      assert.equal(am.statusCode, 202)
      assert.equal(am.json().alerts[0].outcome, 'created')
      assert.equal(grafana.statusCode, 202)
      const alert = await test.services.alerting.getAlert(grafana.json().alerts[0].alertId)
      assert.ok(alert.customerId, 'the Grafana integration belongs to a customer, and so do its alerts')
      assert.equal(alert.summary, '[FIRING:1] Latency')
    })

    it('refuses an oversized body (413), a wrong content type (415) and malformed JSON (400), storing nothing', async () => {
      const before = await test.services.alerting.countAlerts()

      const huge = await post('/alerts', { summary: 'x', severity: 'info', source: 'big', details: { blob: 'x'.repeat(300 * 1024) } })
      const text = await test.inject({ method: 'POST', url: '/api/v1/alerts', headers: { authorization: `Bearer ${responder}`, 'content-type': 'text/plain' }, payload: 'summary=x' })
      const broken = await test.inject({ method: 'POST', url: '/api/v1/alerts', headers: { authorization: `Bearer ${responder}`, 'content-type': 'application/json' }, payload: '{"summary": "x",' })
      const unknownField = await post('/alerts', { summary: 'x', severity: 'info', source: 's', owner: 'me' })
      const badSeverity = await post('/alerts', { summary: 'x', severity: 'sev0', source: 's' })

      assert.equal(huge.statusCode, 413)
      assert.equal(text.statusCode, 415)
      assert.equal(broken.statusCode, 400)
      assert.equal(unknownField.statusCode, 400)
      assert.equal(badSeverity.statusCode, 400)
      assert.equal(await test.services.alerting.countAlerts(), before)
    })

    it('answers 429 with Retry-After past a source’s rate, having stored exactly what it acknowledged', async () => {
      const responses = await Promise.all(Array.from({ length: 600 }, (_, i) => post('/alerts', { summary: 'flood', severity: 'info', source: 'http-flood', dedupKey: `hf-${i}` })))

      const accepted = responses.filter((r) => r.statusCode === 202)
      const refused = responses.filter((r) => r.statusCode === 429)
      assert.equal(accepted.length + refused.length, 600)
      assert.ok(refused.length > 0)
      assert.ok(Number(refused[0]!.headers['retry-after']) >= 1)
      const stored = await test.services.alerting.existingAlertIds(accepted.map((r) => r.json().alertId as string))
      assert.equal(stored.size, accepted.length)
    })

    it('refuses customer tokens on alert routes', async () => {
      const list = await test.inject({ method: 'GET', url: '/api/v1/alerts', headers: { authorization: `Bearer ${customerToken}` } })
      const send = await test.inject({ method: 'POST', url: '/api/v1/alerts', headers: { authorization: `Bearer ${customerToken}` }, payload: { summary: 'x', severity: 'info', source: 's' } })

      assert.equal(list.statusCode, 403)
      assert.equal(send.statusCode, 403)
    })

    it('refuses a schedule in an unknown time zone with the field named, and says who is on call', async () => {
      const user = await test.services.access.createUser(systemActor, { email: 'oncall@provider.example', name: 'On Call', role: 'responder' })
      const admin = await test.tokenFor('admin')
      const definition = { timezone: 'America/New_York', layers: [{ name: 'all', start: '2026-03-01T09:00', rotation: { kind: 'weekly' }, users: [user.id] }] }

      const bad = await test.inject({ method: 'POST', url: '/api/v1/oncall-schedules', headers: { authorization: `Bearer ${admin}` }, payload: { name: 'bad', definition: { ...definition, timezone: 'Nowhere/Land' } } })
      const good = await test.inject({ method: 'POST', url: '/api/v1/oncall-schedules', headers: { authorization: `Bearer ${admin}` }, payload: { name: 'NOC', definition } })
      const who = await test.inject({ method: 'GET', url: '/api/v1/oncall?at=2026-03-08T12:00:00Z', headers: { authorization: `Bearer ${responder}` } })

      assert.equal(bad.statusCode, 400)
      assert.ok(bad.json().errors.some((e: { field: string }) => e.field === 'definition.timezone'))
      assert.equal(good.statusCode, 201)
      assert.deepEqual(who.json().map((w: { schedule: { name: string }; shift: { userId: string } | null }) => [w.schedule.name, w.shift?.userId]), [['NOC', user.id]])
    })
  })
}
