// What other tools send, turned into alert events, so they can point at Cordon unchanged:
// PagerDuty's Events API v2, Prometheus Alertmanager's webhook and Grafana's alerting webhook.
// Pure: each parser checks the hostile payload and names the field that is wrong.
import { createHash } from 'node:crypto'
import { AppError, type FieldProblem } from '../shared/errors.js'
import { eventActions, maxLabels, normaliseSeverity, type AlertEvent, type EventAction } from './model.js'

/** What every adapter knows about the integration the payload came through. */
export interface IntegrationContext {
  id: string
  source: string
  customerId: string | null
}

const maxSummary = 1024
const maxKey = 255
const maxAlertsPerWebhook = 1000

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function invalid(what: string, problems: FieldProblem[]): AppError {
  return new AppError('invalid', `invalid ${what}: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`, { problems })
}

function cut(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text
}

/** A string→string map from a payload's labels; values that are not strings are problems, not coerced. */
function stringMap(value: unknown, field: string, problems: FieldProblem[]): Record<string, string> {
  if (value === undefined || value === null) return {}
  if (!isRecord(value)) {
    problems.push({ field, message: 'must be an object of strings' })
    return {}
  }
  const entries = Object.entries(value)
  if (entries.length > maxLabels) problems.push({ field, message: `must have at most ${maxLabels} entries` })
  // A null-prototype object: a `__proto__` label stays a label.
  const out: Record<string, string> = Object.create(null)
  for (const [name, text] of entries.slice(0, maxLabels)) {
    if (typeof text !== 'string') {
      problems.push({ field: `${field}.${name}`, message: 'must be a string' })
      continue
    }
    if (name.length > 128) problems.push({ field: `${field}.${name.slice(0, 40)}…`, message: 'name must be at most 128 characters' })
    else out[name] = cut(text, 1000)
  }
  return out
}

// ——— PagerDuty Events API v2 ———

/** A PagerDuty Events API v2 event, checked; `routingKey` is what authenticates it. */
export interface PagerDutyEvent {
  routingKey: string
  event: AlertEvent
}

/**
 * `{routing_key, event_action, dedup_key?, payload: {summary, source, severity, custom_details, …}}`.
 * Acknowledge and resolve need only the dedup key, as in PagerDuty.
 */
export function parsePagerDutyEvent(body: unknown): PagerDutyEvent {
  const problems: FieldProblem[] = []
  if (!isRecord(body)) throw invalid('PagerDuty event', [{ field: '(root)', message: 'must be a JSON object' }])
  const routingKey = body.routing_key
  if (typeof routingKey !== 'string' || routingKey === '' || routingKey.length > 200) problems.push({ field: 'routing_key', message: 'must be a non-empty string' })
  const action = body.event_action
  if (typeof action !== 'string' || !(eventActions as readonly string[]).includes(action)) {
    problems.push({ field: 'event_action', message: `must be one of: ${eventActions.join(', ')}` })
  }
  const dedupKey = body.dedup_key
  if (dedupKey !== undefined && dedupKey !== null && (typeof dedupKey !== 'string' || dedupKey === '' || dedupKey.length > maxKey)) {
    problems.push({ field: 'dedup_key', message: `must be a string of 1 to ${maxKey} characters` })
  }
  if ((action === 'acknowledge' || action === 'resolve') && (typeof dedupKey !== 'string' || dedupKey === '')) {
    problems.push({ field: 'dedup_key', message: `is required to ${action}` })
  }
  const payload = body.payload
  let summary = ''
  let source = ''
  let severity: AlertEvent['severity'] = 'warning'
  let labels: Record<string, string> = {}
  let details: Record<string, unknown> = {}
  if (action === 'trigger' || payload !== undefined) {
    if (!isRecord(payload)) {
      problems.push({ field: 'payload', message: 'must be an object' })
    } else {
      if (typeof payload.summary !== 'string' || payload.summary.trim() === '') problems.push({ field: 'payload.summary', message: 'must be a non-empty string' })
      else if (payload.summary.length > maxSummary) problems.push({ field: 'payload.summary', message: `must be at most ${maxSummary} characters` })
      else summary = payload.summary
      if (typeof payload.source !== 'string' || payload.source.trim() === '' || payload.source.length > 255) problems.push({ field: 'payload.source', message: 'must be a non-empty string' })
      else source = payload.source
      if (!['critical', 'error', 'warning', 'info'].includes(payload.severity as string)) {
        problems.push({ field: 'payload.severity', message: 'must be one of: critical, error, warning, info' })
      } else severity = payload.severity as AlertEvent['severity']
      for (const field of ['component', 'group', 'class'] as const) {
        const value = payload[field]
        if (value === undefined || value === null) continue
        if (typeof value !== 'string') problems.push({ field: `payload.${field}`, message: 'must be a string' })
        else labels[field] = cut(value, 1000)
      }
      if (payload.custom_details !== undefined && payload.custom_details !== null) {
        details = isRecord(payload.custom_details) ? { custom_details: payload.custom_details } : { custom_details: String(payload.custom_details).slice(0, 10_000) }
      }
    }
  }
  if (problems.length > 0) throw invalid('PagerDuty event', problems)
  labels = Object.assign(Object.create(null), labels) as Record<string, string>
  return {
    routingKey: routingKey as string,
    event: {
      action: action as EventAction,
      summary: summary || `${action} ${String(dedupKey)}`,
      severity,
      source: source || 'pagerduty',
      dedupKey: typeof dedupKey === 'string' && dedupKey !== '' ? dedupKey : undefined,
      labels,
      details,
    },
  }
}

// ——— Alertmanager and Grafana ———

/**
 * Prometheus Alertmanager's webhook (`version: "4"`): one event per alert, firing → trigger,
 * resolved → resolve. Grafana's alerting webhook has the same shape with a few extra fields
 * (`title`, `state`, `message`, `orgId`), so one parser reads both. An alert's fingerprint (or,
 * without one, its labels) is its dedup key within the integration.
 */
export function parseAlertmanagerWebhook(body: unknown, integration: IntegrationContext, flavour: 'alertmanager' | 'grafana'): AlertEvent[] {
  const what = flavour === 'grafana' ? 'Grafana webhook' : 'Alertmanager webhook'
  if (!isRecord(body)) throw invalid(what, [{ field: '(root)', message: 'must be a JSON object' }])
  const problems: FieldProblem[] = []
  if (!Array.isArray(body.alerts)) throw invalid(what, [{ field: 'alerts', message: 'must be an array' }])
  if (body.alerts.length > maxAlertsPerWebhook) throw invalid(what, [{ field: 'alerts', message: `must have at most ${maxAlertsPerWebhook} alerts` }])
  const common = stringMap(body.commonLabels, 'commonLabels', problems)
  const events: AlertEvent[] = []
  body.alerts.forEach((alert: unknown, index: number) => {
    const at = `alerts[${index}]`
    if (!isRecord(alert)) {
      problems.push({ field: at, message: 'must be an object' })
      return
    }
    const status = alert.status
    if (status !== 'firing' && status !== 'resolved') {
      problems.push({ field: `${at}.status`, message: 'must be firing or resolved' })
      return
    }
    const labels = { ...common, ...stringMap(alert.labels, `${at}.labels`, problems) }
    const annotations = stringMap(alert.annotations, `${at}.annotations`, problems)
    const fingerprint = alert.fingerprint
    if (fingerprint !== undefined && (typeof fingerprint !== 'string' || fingerprint === '' || fingerprint.length > 128)) {
      problems.push({ field: `${at}.fingerprint`, message: 'must be a string of 1 to 128 characters' })
      return
    }
    const identity = typeof fingerprint === 'string' ? fingerprint : stableLabels(labels)
    const summary = annotations.summary || annotations.description || (flavour === 'grafana' && typeof body.title === 'string' ? body.title : '') || labels.alertname || 'alert'
    const details: Record<string, unknown> = { annotations }
    for (const field of ['startsAt', 'endsAt', 'generatorURL', 'dashboardURL', 'panelURL', 'silenceURL', 'valueString']) {
      if (typeof alert[field] === 'string') details[field] = cut(alert[field] as string, 2000)
    }
    events.push({
      action: status === 'firing' ? 'trigger' : 'resolve',
      summary: cut(summary, maxSummary),
      severity: normaliseSeverity(labels.severity),
      source: integration.source,
      dedupKey: cut(`${integration.id}:${identity}`, maxKey),
      customerId: integration.customerId,
      labels,
      details,
    })
  })
  if (problems.length > 0) throw invalid(what, problems)
  return events
}

/** A hash of the labels in a fixed order: an alert's identity when the sender gave no fingerprint. */
function stableLabels(labels: Record<string, string>): string {
  const text = JSON.stringify(Object.keys(labels).sort().map((name) => [name, labels[name]]))
  return createHash('sha256').update(text).digest('base64url').slice(0, 32)
}
