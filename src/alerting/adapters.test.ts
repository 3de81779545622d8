import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { AppError } from '../shared/errors.js'
import { parseAlertmanagerWebhook, parsePagerDutyEvent } from './adapters.js'
import { groupKeyOf, nextEscalation, normaliseSeverity, pickRoute, type AlertRoute } from './model.js'

const integration = { id: 'int-1', source: 'prometheus', customerId: null }

/** What Alertmanager 0.27 posts to a webhook receiver. */
const alertmanagerPayload = {
  receiver: 'cordon',
  status: 'firing',
  alerts: [
    {
      status: 'firing',
      labels: { alertname: 'SipRegistrationsDropped', instance: 'sbc-1:9100', severity: 'critical' },
      annotations: { summary: 'SIP registrations dropped by 80% on sbc-1' },
      startsAt: '2026-03-29T10:00:00.000Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.example/graph?g0.expr=...',
      fingerprint: 'c6c3b1d6a0f7e8b2',
    },
    {
      status: 'resolved',
      labels: { alertname: 'DiskFull', instance: 'pbx-2:9100', severity: 'warning' },
      annotations: { description: 'disk usage back under 80%' },
      startsAt: '2026-03-29T09:00:00.000Z',
      endsAt: '2026-03-29T10:05:00.000Z',
      generatorURL: 'http://prometheus.example/graph',
      fingerprint: 'a1b2c3d4e5f60718',
    },
  ],
  groupLabels: { alertname: 'SipRegistrationsDropped' },
  commonLabels: { job: 'node' },
  commonAnnotations: {},
  externalURL: 'http://alertmanager.example:9093',
  version: '4',
  groupKey: '{}:{alertname="SipRegistrationsDropped"}',
  truncatedAlerts: 0,
}

function invalidOn(field: string) {
  return (error: unknown) => error instanceof AppError && error.kind === 'invalid' && error.problems.some((p) => p.field === field)
}

describe('PagerDuty Events API v2 adapter', () => {
  it('reads a trigger event with its payload, dedup key and custom details', () => {
    const parsed = parsePagerDutyEvent({
      routing_key: 'key',
      event_action: 'trigger',
      dedup_key: 'srv01/3cx',
      payload: { summary: '3CXDesktopApp.exe flagged', source: 'srv01.acme.example', severity: 'critical', component: 'edr', custom_details: { sha256: 'abc' } },
    })

    assert.equal(parsed.routingKey, 'key')
    assert.deepEqual({ ...parsed.event, labels: { ...parsed.event.labels } }, {
      action: 'trigger',
      summary: '3CXDesktopApp.exe flagged',
      severity: 'critical',
      source: 'srv01.acme.example',
      dedupKey: 'srv01/3cx',
      labels: { component: 'edr' },
      details: { custom_details: { sha256: 'abc' } },
    })
  })

  it('accepts acknowledge and resolve with only a dedup key, and requires the key for them', () => {
    assert.equal(parsePagerDutyEvent({ routing_key: 'k', event_action: 'resolve', dedup_key: 'x' }).event.action, 'resolve')

    assert.throws(() => parsePagerDutyEvent({ routing_key: 'k', event_action: 'acknowledge' }), invalidOn('dedup_key'))
  })

  it('refuses unknown event actions, a missing payload and a wrong severity, naming each field', () => {
    assert.throws(() => parsePagerDutyEvent({ routing_key: 'k', event_action: 'escalate', dedup_key: 'x' }), invalidOn('event_action'))
    assert.throws(() => parsePagerDutyEvent({ routing_key: 'k', event_action: 'trigger' }), invalidOn('payload'))
    assert.throws(() => parsePagerDutyEvent({ routing_key: 'k', event_action: 'trigger', payload: { summary: 's', source: 'x', severity: 'urgent' } }), invalidOn('payload.severity'))
    assert.throws(() => parsePagerDutyEvent([1, 2]), invalidOn('(root)'))
  })
})

describe('Alertmanager and Grafana webhook adapter', () => {
  it('turns each alert into an event: firing triggers, resolved resolves, fingerprints key them within the integration', () => {
    const events = parseAlertmanagerWebhook(alertmanagerPayload, integration, 'alertmanager')

    assert.deepEqual(
      events.map((e) => [e.action, e.summary, e.severity, e.dedupKey, e.source]),
      [
        ['trigger', 'SIP registrations dropped by 80% on sbc-1', 'critical', 'int-1:c6c3b1d6a0f7e8b2', 'prometheus'],
        ['resolve', 'disk usage back under 80%', 'warning', 'int-1:a1b2c3d4e5f60718', 'prometheus'],
      ],
    )
    assert.equal(events[0]!.labels.job, 'node', 'common labels apply to every alert')
  })

  it('keys an alert without a fingerprint by its labels, whatever their order', () => {
    const one = parseAlertmanagerWebhook({ alerts: [{ status: 'firing', labels: { a: '1', b: '2' } }] }, integration, 'grafana')
    const other = parseAlertmanagerWebhook({ alerts: [{ status: 'firing', labels: { b: '2', a: '1' } }] }, integration, 'grafana')

    assert.equal(one[0]!.dedupKey, other[0]!.dedupKey)
  })

  it('names the alert and field that is wrong: a bad status, a label that is not a string, alerts that are not a list', () => {
    assert.throws(() => parseAlertmanagerWebhook({ alerts: [{ status: 'firing' }, { status: 'pending' }] }, integration, 'alertmanager'), invalidOn('alerts[1].status'))
    assert.throws(() => parseAlertmanagerWebhook({ alerts: [{ status: 'firing', labels: { n: 5 } }] }, integration, 'alertmanager'), invalidOn('alerts[0].labels.n'))
    assert.throws(() => parseAlertmanagerWebhook({ alerts: 'x' }, integration, 'alertmanager'), invalidOn('alerts'))
  })

  it('keeps a __proto__ label as a label and pollutes nothing', () => {
    const body = JSON.parse('{"alerts":[{"status":"firing","labels":{"__proto__":"x","alertname":"A"}}]}') as unknown

    const events = parseAlertmanagerWebhook(body, integration, 'alertmanager')

    assert.equal(events[0]!.labels['__proto__'], 'x')
    assert.equal(({} as Record<string, unknown>).x, undefined)
  })
})

describe('routing and escalation rules', () => {
  const route = (overrides: Partial<AlertRoute>): AlertRoute => ({
    id: 'r',
    name: 'r',
    position: 0,
    conditions: {},
    policyId: null,
    incident: { mode: 'none' },
    groupBy: [],
    groupWindowSeconds: 300,
    autoResolveMinutes: null,
    createdAt: '',
    updatedAt: '',
    ...overrides,
  })
  const event = { source: 'edr', severity: 'error' as const, customerId: 'c1', labels: { service: 'voice' } }

  it('picks the first rule whose conditions all hold', () => {
    const rules = [
      route({ id: 'a', conditions: { minSeverity: 'critical' } }),
      route({ id: 'b', conditions: { labels: { service: 'voice' }, customerIds: ['c1'] } }),
      route({ id: 'c' }),
    ]

    assert.equal(pickRoute(rules, event)?.id, 'b')
    assert.equal(pickRoute(rules, { ...event, customerId: null })?.id, 'c')
  })

  it('builds equal group keys for alerts that agree on the grouped fields only', () => {
    const grouped = route({ groupBy: ['service', 'customer'] })

    assert.equal(groupKeyOf(grouped, event), groupKeyOf(grouped, { ...event, source: 'other' }))
    assert.notEqual(groupKeyOf(grouped, event), groupKeyOf(grouped, { ...event, customerId: 'c2' }))
    assert.equal(groupKeyOf(route({}), event), null)
  })

  it('walks the steps, then repeats the policy, then stops', () => {
    const policy = { steps: [{ targets: [], waitMinutes: 1 }, { targets: [], waitMinutes: 1 }], repeats: 1 }

    assert.deepEqual(nextEscalation(policy, 0, 0), { round: 0, step: 1 })
    assert.deepEqual(nextEscalation(policy, 0, 1), { round: 1, step: 0 })
    assert.equal(nextEscalation(policy, 1, 1), null)
  })

  it('maps the severity words other tools use onto four', () => {
    assert.deepEqual(['CRITICAL', 'page', 'major', 'high', 'low', 'whatever'].map(normaliseSeverity), ['critical', 'critical', 'error', 'critical', 'info', 'warning'])
  })
})
