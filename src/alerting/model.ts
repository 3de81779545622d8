// Alerts and what decides who hears of them: routing rules, escalation policies and the
// on-call schedules those policies page. Pure types and rules; no I/O.
import { createHash } from 'node:crypto'
import Type, { type Static } from 'typebox'

/** PagerDuty's four severities, most severe first; every adapter maps onto them. */
export const alertSeverities = ['critical', 'error', 'warning', 'info'] as const
export type AlertSeverity = (typeof alertSeverities)[number]

export const alertStatuses = ['triggered', 'acknowledged', 'resolved'] as const
export type AlertStatus = (typeof alertStatuses)[number]

/** How an alert came to be resolved. */
export const resolutions = ['manual', 'source', 'quiet'] as const
export type Resolution = (typeof resolutions)[number]

export const eventActions = ['trigger', 'acknowledge', 'resolve'] as const
export type EventAction = (typeof eventActions)[number]

export const integrationKinds = ['generic', 'pagerduty', 'alertmanager', 'grafana'] as const
export type IntegrationKind = (typeof integrationKinds)[number]

/** 0 is the most severe. */
export function severityRank(severity: AlertSeverity): number {
  return alertSeverities.indexOf(severity)
}

/** Map the severities other tools write (Alertmanager labels, Grafana, syslog words) onto ours; unknown words are warnings. */
export function normaliseSeverity(value: unknown): AlertSeverity {
  const word = typeof value === 'string' ? value.trim().toLowerCase() : ''
  if ((alertSeverities as readonly string[]).includes(word)) return word as AlertSeverity
  if (['crit', 'fatal', 'emergency', 'emerg', 'alert', 'page', 'p1', 'sev1', 'high', 'disaster'].includes(word)) return 'critical'
  if (['err', 'major', 'p2', 'sev2'].includes(word)) return 'error'
  if (['info', 'informational', 'notice', 'none', 'low', 'ok', 'p4', 'p5', 'sev4', 'debug'].includes(word)) return 'info'
  return 'warning'
}

/** One event about an alert, as every adapter produces it. */
export interface AlertEvent {
  action: EventAction
  summary: string
  severity: AlertSeverity
  source: string
  /** Absent: a new alert each time (a fresh key is made). */
  dedupKey?: string
  customerId?: string | null
  labels: Record<string, string>
  details: Record<string, unknown>
}

export interface Alert {
  id: string
  dedupKey: string
  status: AlertStatus
  source: string
  summary: string
  severity: AlertSeverity
  customerId: string | null
  labels: Record<string, string>
  details: Record<string, unknown>
  /** How many times the event arrived while the alert was open. */
  count: number
  firstSeenAt: string
  lastSeenAt: string
  acknowledgedAt: string | null
  acknowledgedBy: string | null
  resolvedAt: string | null
  resolvedBy: string | null
  resolution: Resolution | null
  routeId: string | null
  policyId: string | null
  groupKey: string | null
  /** Set on alerts that joined a group: the group's first alert, which alone pages. */
  groupLeaderId: string | null
  incidentId: string | null
  createdAt: string
  updatedAt: string
}

/** What intake answers for one event. */
export interface IntakeResult {
  alertId: string | null
  dedupKey: string
  status: AlertStatus | null
  count: number
  /** created: a new alert; deduplicated: counted on an open one; updated: acknowledged or resolved; ignored: nothing open under that key. */
  outcome: 'created' | 'deduplicated' | 'updated' | 'ignored'
  incidentId: string | null
}

export interface AlertPage {
  id: string
  alertId: string
  round: number
  step: number
  target: EscalationTarget
  userId: string | null
  notificationId: string | null
  /** paged, or why no one was: nobody_on_call, user_disabled. */
  outcome: string
  createdAt: string
}

// ——— Limits ———

export const maxLabels = 64
const Label = Type.String({ maxLength: 1000 })
const LabelName = '^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$'
const Labels = Type.Record(Type.String({ pattern: LabelName }), Label, { maxProperties: maxLabels })
const Id = Type.String({ minLength: 1, maxLength: 64 })
const Name = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' })

export const AlertInputSchema = Type.Object(
  {
    summary: Type.String({ minLength: 1, maxLength: 1024, pattern: '\\S' }),
    severity: Type.Enum([...alertSeverities]),
    source: Type.String({ minLength: 1, maxLength: 255, pattern: '\\S' }),
    dedupKey: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    action: Type.Optional(Type.Enum([...eventActions])),
    customerId: Type.Optional(Type.Union([Id, Type.Null()])),
    labels: Type.Optional(Labels),
    details: Type.Optional(Type.Record(Type.String({ maxLength: 200 }), Type.Unknown(), { maxProperties: 100 })),
  },
  { additionalProperties: false },
)
export type AlertInput = Static<typeof AlertInputSchema>

// ——— Routing ———

export const RouteConditionsSchema = Type.Object(
  {
    sources: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { minItems: 1, maxItems: 100 })),
    /** At least this severe. */
    minSeverity: Type.Optional(Type.Enum([...alertSeverities])),
    customerIds: Type.Optional(Type.Array(Id, { minItems: 1, maxItems: 1000 })),
    /** Every label given must have this exact value. */
    labels: Type.Optional(Labels),
  },
  { additionalProperties: false },
)
export type RouteConditions = Static<typeof RouteConditionsSchema>

export const incidentSeverities = ['SEV1', 'SEV2', 'SEV3', 'SEV4'] as const

export const RouteIncidentSchema = Type.Object(
  {
    /** none: alerts only page. open: the group's first alert opens an incident; later alerts of the group join it. */
    mode: Type.Enum(['none', 'open']),
    severity: Type.Optional(Type.Enum([...incidentSeverities])),
    playbook: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
)
export type RouteIncident = Static<typeof RouteIncidentSchema>

/** Group keys are built from these: `source`, `customer`, `severity` or a label name. */
const GroupField = Type.String({ pattern: LabelName })

export const RouteInputSchema = Type.Object(
  {
    name: Name,
    position: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
    conditions: Type.Optional(RouteConditionsSchema),
    policyId: Type.Optional(Type.Union([Id, Type.Null()])),
    incident: Type.Optional(RouteIncidentSchema),
    groupBy: Type.Optional(Type.Array(GroupField, { maxItems: 10 })),
    groupWindowSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 7 * 24 * 3600 })),
    autoResolveMinutes: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 30 * 24 * 60 }), Type.Null()])),
  },
  { additionalProperties: false },
)
export type RouteInput = Static<typeof RouteInputSchema>

export interface AlertRoute {
  id: string
  name: string
  position: number
  conditions: RouteConditions
  policyId: string | null
  incident: RouteIncident
  groupBy: string[]
  groupWindowSeconds: number
  autoResolveMinutes: number | null
  createdAt: string
  updatedAt: string
}

export const defaultGroupWindowSeconds = 300

/** Does this alert event meet every condition the rule sets? A rule without conditions matches everything. */
export function routeMatches(conditions: RouteConditions, event: Pick<AlertEvent, 'source' | 'severity' | 'customerId' | 'labels'>): boolean {
  if (conditions.sources && !conditions.sources.includes(event.source)) return false
  if (conditions.minSeverity && severityRank(event.severity) > severityRank(conditions.minSeverity)) return false
  if (conditions.customerIds && !(event.customerId && conditions.customerIds.includes(event.customerId))) return false
  if (conditions.labels) {
    for (const [name, value] of Object.entries(conditions.labels)) {
      if (event.labels[name] !== value) return false
    }
  }
  return true
}

/** The first rule, in position order, that matches. */
export function pickRoute(routes: readonly AlertRoute[], event: Pick<AlertEvent, 'source' | 'severity' | 'customerId' | 'labels'>): AlertRoute | undefined {
  return routes.find((route) => routeMatches(route.conditions, event))
}

/**
 * Alerts with the same group key within the rule's window form one group: only the first pages
 * and opens an incident. Null when the rule does not group. The key is hashed so label values of
 * any length make a short, fixed-size key.
 */
export function groupKeyOf(route: AlertRoute, event: Pick<AlertEvent, 'source' | 'severity' | 'customerId' | 'labels'>): string | null {
  if (route.groupBy.length === 0) return null
  const parts = route.groupBy.map((field) => {
    if (field === 'source') return event.source
    if (field === 'customer') return event.customerId ?? ''
    if (field === 'severity') return event.severity
    return event.labels[field] ?? ''
  })
  return `${route.id}:${createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 22)}`
}

// ——— Escalation ———

export const EscalationTargetSchema = Type.Union([
  Type.Object({ kind: Type.Literal('user'), id: Id }, { additionalProperties: false }),
  Type.Object({ kind: Type.Literal('schedule'), id: Id }, { additionalProperties: false }),
  Type.Object({ kind: Type.Literal('channel'), id: Id }, { additionalProperties: false }),
])
export type EscalationTarget = Static<typeof EscalationTargetSchema>

export const EscalationStepSchema = Type.Object(
  {
    targets: Type.Array(EscalationTargetSchema, { minItems: 1, maxItems: 20 }),
    /** Minutes to wait for an acknowledgement before the next step. */
    waitMinutes: Type.Integer({ minimum: 1, maximum: 24 * 60 }),
  },
  { additionalProperties: false },
)
export type EscalationStep = Static<typeof EscalationStepSchema>

export const PolicyInputSchema = Type.Object(
  {
    name: Name,
    steps: Type.Array(EscalationStepSchema, { minItems: 1, maxItems: 20 }),
    /** Times the whole policy runs again after its last step; 0 runs it once. */
    repeats: Type.Optional(Type.Integer({ minimum: 0, maximum: 10 })),
  },
  { additionalProperties: false },
)
export type PolicyInput = Static<typeof PolicyInputSchema>

export interface EscalationPolicy {
  id: string
  name: string
  steps: EscalationStep[]
  repeats: number
  createdAt: string
  updatedAt: string
}

/** Where escalation goes after (round, step): the next step, the next round, or nowhere. */
export function nextEscalation(policy: Pick<EscalationPolicy, 'steps' | 'repeats'>, round: number, step: number): { round: number; step: number } | null {
  if (step + 1 < policy.steps.length) return { round, step: step + 1 }
  if (round < policy.repeats) return { round: round + 1, step: 0 }
  return null
}

// ——— Integrations ———

export const IntegrationInputSchema = Type.Object(
  {
    name: Name,
    kind: Type.Enum([...integrationKinds]),
    /** The source of its alerts; the name when not given. */
    source: Type.Optional(Type.String({ minLength: 1, maxLength: 255, pattern: '\\S' })),
    customerId: Type.Optional(Type.Union([Id, Type.Null()])),
  },
  { additionalProperties: false },
)
export type IntegrationInput = Static<typeof IntegrationInputSchema>

export interface Integration {
  id: string
  name: string
  kind: IntegrationKind
  source: string
  customerId: string | null
  createdAt: string
  disabledAt: string | null
}
