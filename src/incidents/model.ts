import Type, { type Static } from 'typebox'
import { AppError } from '../shared/errors.js'

/** SEV1 is the worst: customers down or compromised. SEV4 is minor. */
export const severities = ['SEV1', 'SEV2', 'SEV3', 'SEV4'] as const
export type Severity = (typeof severities)[number]

/** An incident's life, in order. */
export const statuses = ['triage', 'active', 'contained', 'resolved', 'closed'] as const
export type Status = (typeof statuses)[number]

/** The statuses in which an incident is still being handled (alerts may join it). */
export const openStatuses: readonly Status[] = ['triage', 'active', 'contained']

export const incidentRoles = ['commander', 'communications_lead', 'operations_lead'] as const
export type IncidentRole = (typeof incidentRoles)[number]

export const roleLabels: Record<IncidentRole, string> = { commander: 'Commander', communications_lead: 'Communications lead', operations_lead: 'Operations lead' }

export const linkKinds = ['alert', 'customer', 'advisory', 'finding', 'sighting'] as const
export type LinkKind = (typeof linkKinds)[number]

export const taskStatuses = ['open', 'done', 'skipped'] as const
export type TaskStatus = (typeof taskStatuses)[number]

export interface Incident {
  id: string
  title: string
  summary: string
  severity: Severity
  status: Status
  commanderId: string | null
  communicationsLeadId: string | null
  operationsLeadId: string | null
  openedAt: string
  /** The label of whoever opened it (a person's token, or the alerting that opened it). */
  openedBy: string
  /** The first time it left triage, or a linked alert was acknowledged. */
  acknowledgedAt: string | null
  /** The first time it was contained (or got past contained, skipping it). */
  containedAt: string | null
  /** The first time it was resolved (or closed, skipping resolved). */
  resolvedAt: string | null
  closedAt: string | null
  updatedAt: string
}

export interface IncidentLink {
  kind: LinkKind
  targetId: string
  createdAt: string
  createdBy: string
}

export interface RoleHolder {
  role: IncidentRole
  userId: string
  name: string
  email: string
}

export interface IncidentTask {
  id: string
  incidentId: string
  position: number
  title: string
  description: string
  /** Who should do it, by role (the holder is assigned when the task is made). */
  role: IncidentRole | null
  assigneeId: string | null
  dueAt: string | null
  status: TaskStatus
  /** The playbook it came from; null when added by hand. */
  playbookId: string | null
  createdAt: string
  updatedAt: string
  completedAt: string | null
}

export interface TimelineEntry {
  id: string
  incidentId: string
  at: string
  /** What happened: opened, status, severity, role, link, task, playbook, note, or another module's event (alert.joined, page.sent…). */
  kind: string
  text: string
  actorLabel: string
  data: unknown
}

/** The report's figures, in seconds from opening; null while it has not happened. */
export interface IncidentFigures {
  timeToAcknowledgeSeconds: number | null
  timeToContainSeconds: number | null
  timeToResolveSeconds: number | null
}

export interface IncidentDetail extends Incident {
  roles: RoleHolder[]
  links: IncidentLink[]
  tasks: IncidentTask[]
  figures: IncidentFigures
}

export interface TaskTemplate {
  title: string
  description: string
  role: IncidentRole | null
  /** The task is due this many minutes after the playbook is applied; null: no due time. */
  dueInMinutes: number | null
}

export interface Playbook {
  id: string
  slug: string
  name: string
  description: string
  tasks: TaskTemplate[]
  source: 'bundled' | 'custom'
  createdAt: string
  updatedAt: string
}

// ---- rules ----

const rank: Record<Status, number> = { triage: 0, active: 1, contained: 2, resolved: 3, closed: 4 }

/**
 * Why an incident may not go from one status to another, or undefined when it may. Forward moves
 * may skip steps; a contained or resolved incident may go back to active (it is reopened);
 * closed is final.
 */
export function transitionProblem(from: Status, to: Status): string | undefined {
  if (from === to) return undefined
  if (from === 'closed') return 'the incident is closed, and closed is final'
  if (rank[to] > rank[from]) return undefined
  if (to === 'active' && (from === 'contained' || from === 'resolved')) return undefined
  return `an incident cannot go back from ${from} to ${to} (only a contained or resolved incident goes back, to active)`
}

export function isReopening(from: Status, to: Status): boolean {
  return rank[to] < rank[from]
}

/** What a move to `to` sets for the first time: each happens once, and later moves keep the first time. */
export function milestonesOf(incident: Pick<Incident, 'acknowledgedAt' | 'containedAt' | 'resolvedAt' | 'closedAt'>, to: Status, at: string): Partial<Pick<Incident, 'acknowledgedAt' | 'containedAt' | 'resolvedAt' | 'closedAt'>> {
  const set: Partial<Pick<Incident, 'acknowledgedAt' | 'containedAt' | 'resolvedAt' | 'closedAt'>> = {}
  if (incident.acknowledgedAt === null && rank[to] >= rank.active) set.acknowledgedAt = at
  // Resolving an incident that was never marked contained contains it too.
  if (incident.containedAt === null && rank[to] >= rank.contained) set.containedAt = at
  if (incident.resolvedAt === null && rank[to] >= rank.resolved) set.resolvedAt = at
  if (incident.closedAt === null && to === 'closed') set.closedAt = at
  return set
}

export function figuresOf(incident: Pick<Incident, 'openedAt' | 'acknowledgedAt' | 'containedAt' | 'resolvedAt'>): IncidentFigures {
  const since = (at: string | null) => (at === null ? null : Math.max(0, Math.round((Date.parse(at) - Date.parse(incident.openedAt)) / 1000)))
  return {
    timeToAcknowledgeSeconds: since(incident.acknowledgedAt),
    timeToContainSeconds: since(incident.containedAt),
    timeToResolveSeconds: since(incident.resolvedAt),
  }
}

/** "45 s", "5 min", "1 h 5 min", "2 d 3 h": figures for people. */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes} min`
  const hours = Math.floor(minutes / 60)
  if (hours < 24) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`
  const days = Math.floor(hours / 24)
  return hours % 24 === 0 ? `${days} d` : `${days} d ${hours % 24} h`
}

/** A one-line text: runs of whitespace (newlines included) become one space. */
export function tidyLine(text: string): string {
  return text.trim().replace(/\s+/g, ' ')
}

// ---- input schemas (the routes declare the same ones, so both doors refuse the same things) ----

// PostgreSQL refuses NUL in text; every text field refuses it rather than failing on write.
const noNul = '^[^\\u0000]*$'
// Something besides spaces, and no NUL (linear: the first non-space character ends the leading run).
const someText = '^\\s*[^\\s\\u0000][^\\u0000]*$'
const Title = Type.String({ minLength: 1, maxLength: 200, pattern: someText, description: 'One line, up to 200 characters.' })
const LongText = (description: string) => Type.String({ maxLength: 10_000, pattern: noNul, description })
const UserId = Type.String({ minLength: 1, maxLength: 64, pattern: noNul, description: 'A user id (staff, not disabled).' })
const NullableUserId = Type.Union([UserId, Type.Null()])
const DueInMinutes = Type.Integer({ minimum: 0, maximum: 525_600, description: 'Minutes from now (up to a year).' })
const Reference = Type.String({ minLength: 1, maxLength: 200, pattern: noNul })

export const SeveritySchema = Type.Enum([...severities])
export const StatusSchema = Type.Enum([...statuses])
export const RoleSchema = Type.Enum([...incidentRoles])
export const LinkKindSchema = Type.Enum([...linkKinds])
export const TaskStatusSchema = Type.Enum([...taskStatuses])

export const OpenIncidentSchema = Type.Object(
  {
    title: Title,
    severity: SeveritySchema,
    summary: Type.Optional(LongText('What is known so far.')),
    customerIds: Type.Optional(Type.Array(Reference, { maxItems: 100, description: 'Affected customers (id, external reference or name).' })),
    commanderId: Type.Optional(UserId),
    playbook: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: noNul, description: 'A playbook to apply, by slug or id.' })),
    alertIds: Type.Optional(Type.Array(Reference, { maxItems: 1000, description: 'Alerts this incident is about.' })),
  },
  { additionalProperties: false },
)
export type OpenIncidentInput = Static<typeof OpenIncidentSchema>

export const IncidentPatchSchema = Type.Object(
  {
    title: Type.Optional(Title),
    summary: Type.Optional(LongText('What is known so far.')),
    severity: Type.Optional(SeveritySchema),
    status: Type.Optional(StatusSchema),
    commanderId: Type.Optional(NullableUserId),
    communicationsLeadId: Type.Optional(NullableUserId),
    operationsLeadId: Type.Optional(NullableUserId),
  },
  { additionalProperties: false, minProperties: 1 },
)
export type IncidentPatch = Static<typeof IncidentPatchSchema>

export const LinkInputSchema = Type.Object({ kind: LinkKindSchema, targetId: Reference }, { additionalProperties: false })
export type LinkInput = Static<typeof LinkInputSchema>

export const NoteInputSchema = Type.Object({ text: Type.String({ minLength: 1, maxLength: 10_000, pattern: someText, description: 'Up to 10,000 characters.' }) }, { additionalProperties: false })

export const TimelineInputSchema = Type.Object(
  {
    kind: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z][a-z0-9_.-]*$' }),
    text: Type.String({ minLength: 1, maxLength: 10_000, pattern: noNul }),
    actorLabel: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: noNul })),
    data: Type.Optional(Type.Unknown()),
    at: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
)
export type TimelineInput = Static<typeof TimelineInputSchema>

export const TaskInputSchema = Type.Object(
  {
    title: Title,
    description: Type.Optional(LongText('How to do it.')),
    role: Type.Optional(Type.Union([RoleSchema, Type.Null()])),
    assigneeId: Type.Optional(NullableUserId),
    dueAt: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()])),
    dueInMinutes: Type.Optional(DueInMinutes),
  },
  { additionalProperties: false },
)
export type TaskInput = Static<typeof TaskInputSchema>

export const TaskPatchSchema = Type.Object(
  {
    title: Type.Optional(Title),
    description: Type.Optional(LongText('How to do it.')),
    assigneeId: Type.Optional(NullableUserId),
    dueAt: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()])),
    status: Type.Optional(TaskStatusSchema),
  },
  { additionalProperties: false, minProperties: 1 },
)
export type TaskPatch = Static<typeof TaskPatchSchema>

export const TaskTemplateSchema = Type.Object(
  {
    title: Title,
    description: Type.Optional(LongText('How to do it.')),
    role: Type.Optional(Type.Union([RoleSchema, Type.Null()])),
    dueInMinutes: Type.Optional(Type.Union([DueInMinutes, Type.Null()])),
  },
  { additionalProperties: false },
)

export const PlaybookInputSchema = Type.Object(
  {
    slug: Type.String({ minLength: 1, maxLength: 100, pattern: '^[a-z0-9]+(-[a-z0-9]+)*$', description: 'Lowercase words joined by hyphens.' }),
    name: Title,
    description: Type.Optional(LongText('When to use it.')),
    tasks: Type.Array(TaskTemplateSchema, { minItems: 1, maxItems: 100 }),
  },
  { additionalProperties: false },
)
export type PlaybookInput = Static<typeof PlaybookInputSchema>

/** JSON data on a timeline entry: kept small, and free of what PostgreSQL's jsonb refuses. */
export function timelineDataJson(data: unknown): string | null {
  if (data === undefined || data === null) return null
  let text: string | undefined
  try {
    text = JSON.stringify(data)
  } catch (cause) {
    // A cycle or a bigint: not something a timeline can keep.
    throw new AppError('invalid', 'data is not JSON', { cause, problems: [{ field: 'data', message: 'not JSON' }] })
  }
  if (text === undefined) throw new AppError('invalid', 'data is not JSON', { problems: [{ field: 'data', message: 'not JSON' }] })
  if (text.length > 64 * 1024) throw new AppError('invalid', 'data is larger than 64 KiB as JSON', { problems: [{ field: 'data', message: 'too large' }] })
  if (text.includes('\\u0000')) throw new AppError('invalid', 'data holds a NUL character', { problems: [{ field: 'data', message: 'holds NUL' }] })
  return text
}
