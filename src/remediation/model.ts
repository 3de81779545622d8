import Type from 'typebox'
import type { FieldProblem } from '../shared/errors.js'

/** Remediation campaigns, their tasks (one per affected endpoint × action × product) and the evidence that closes them. */

export const actionKinds = ['uninstall', 'upgrade', 'av_scan', 'custom'] as const
export type ActionKind = (typeof actionKinds)[number]

/** What every affected endpoint of a campaign must do. */
export type CampaignAction =
  | { kind: 'uninstall'; product: string }
  | { kind: 'upgrade'; version: string }
  | { kind: 'av_scan' }
  | { kind: 'custom'; title: string }

export const taskStates = ['pending', 'in_progress', 'done_verified', 'done_attested', 'exempted'] as const
export type TaskState = (typeof taskStates)[number]

/** States that end a task: the endpoint is clean for this action, or someone with authority said it need not be. */
export const closedStates: readonly TaskState[] = ['done_verified', 'done_attested', 'exempted']
export const openStates: readonly TaskState[] = ['pending', 'in_progress']

export interface Campaign {
  id: string
  title: string
  advisoryIds: string[]
  incidentId: string | null
  actions: CampaignAction[]
  deadline: string | null
  createdBy: string
  createdAt: string
  updatedAt: string
}

/**
 * Why a task is in its state: the inventory import whose snapshot verified it (or reopened it), the
 * scan that attested it, or the person who attested or exempted it.
 */
export type TaskEvidence = {
  importId?: string
  observedAt?: string
  scanId?: string
  file?: string
  scannedFiles?: number | null
  /** Versions of the product present when an upgrade was verified. */
  versions?: string[]
  findingIds?: string[]
  by?: string
  note?: string
}

export interface Task {
  id: string
  campaignId: string
  customerId: string
  endpointId: string
  hostname: string | null
  endpoint: string
  actionIndex: number
  action: ActionKind
  product: string | null
  targetVersion: string | null
  title: string
  state: TaskState
  stateAt: string
  evidence: TaskEvidence | null
  exemptReason: string | null
  exemptApprover: string | null
  reopenedCount: number
  createdAt: string
  updatedAt: string
}

export interface StateCounts {
  total: number
  pending: number
  inProgress: number
  doneVerified: number
  doneAttested: number
  exempted: number
  overdue: number
  /** Verified by evidence, of all tasks (0 to 100, one decimal). */
  percentVerified: number
  /** Verified, attested or exempted, of all tasks. */
  percentDone: number
}

export interface CustomerProgress extends StateCounts {
  customerId: string
  customerName: string
  endpoints: number
  /** When the customer's last task closed, once all have; null while any is open. */
  allClearAt: string | null
}

export interface CampaignProgress {
  campaignId: string
  deadline: string | null
  overall: StateCounts & { endpoints: number; allClearAt: string | null }
  customers: CustomerProgress[]
}

/** Per customer: time from the campaign's start to notice, acknowledgement (from comms, when wired) and all-clear. */
export interface CustomerMetrics {
  customerId: string
  customerName: string
  tasks: number
  open: number
  notifiedAt: string | null
  acknowledgedAt: string | null
  allClearAt: string | null
  secondsToNotify: number | null
  secondsToAcknowledge: number | null
  secondsToAllClear: number | null
}

export interface CampaignMetrics {
  campaignId: string
  startedAt: string
  customers: CustomerMetrics[]
  overall: { allClearAt: string | null; secondsToAllClear: number | null }
}

export const scanResults = ['clean', 'infected', 'error'] as const
export type ScanResult = (typeof scanResults)[number]

export interface AvScan {
  id: string
  importId: string
  customerId: string
  endpointId: string
  product: string
  file: string
  line: number
  startedAt: string | null
  finishedAt: string
  scannedFiles: number | null
  infectedFiles: number
  result: ScanResult
  detections: Array<{ path: string; signature: string; line: number }>
  createdAt: string
}

export interface AvScanImportReport {
  importId: string
  scans: number
  attested: number
  infected: number
  /** Tasks attested, per scan. */
  results: Array<{ scanId: string; host: string; endpointId: string; result: ScanResult; infectedFiles: number; attestedTasks: string[] }>
}

// ---- inputs ----

const Action = Type.Object(
  {
    kind: Type.Enum([...actionKinds]),
    product: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
    version: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
  },
  { additionalProperties: false },
)

export const CampaignInputSchema = Type.Object(
  {
    advisoryId: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'the advisory (id, external id or alias)' })),
    incidentId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: "the incident: the campaign covers the advisories linked to it" })),
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
    actions: Type.Array(Action, { minItems: 1, maxItems: 20 }),
    deadline: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
)

export const TaskPatchSchema = Type.Object(
  {
    state: Type.Enum(['in_progress', 'done_attested', 'exempted'], { description: 'start, attest (done by a person) or exempt (needs reason and approver)' }),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
    approver: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    note: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
  },
  { additionalProperties: false },
)

/**
 * Checks each action names what it needs (uninstall a product, upgrade to a version, custom a
 * title) and nothing twice; returns the actions in their stored shape.
 */
export function checkActions(input: ReadonlyArray<{ kind: ActionKind; product?: string | undefined; version?: string | undefined; title?: string | undefined }>): { actions: CampaignAction[]; problems: FieldProblem[] } {
  const actions: CampaignAction[] = []
  const problems: FieldProblem[] = []
  const seen = new Set<string>()
  input.forEach((action, index) => {
    const field = `actions[${index}]`
    const need = (name: 'product' | 'version' | 'title'): string | undefined => {
      const value = action[name]?.trim()
      if (!value) problems.push({ field: `${field}.${name}`, message: `${action.kind} needs a ${name}` })
      return value || undefined
    }
    let parsed: CampaignAction | undefined
    if (action.kind === 'av_scan') parsed = { kind: 'av_scan' }
    else if (action.kind === 'uninstall') {
      const product = need('product')
      if (product) parsed = { kind: 'uninstall', product }
    } else if (action.kind === 'upgrade') {
      const version = need('version')
      if (version) parsed = { kind: 'upgrade', version }
    } else {
      const title = need('title')
      if (title) parsed = { kind: 'custom', title }
    }
    if (!parsed) return
    const key = JSON.stringify(parsed).toLowerCase()
    if (seen.has(key)) problems.push({ field, message: 'the same action is listed twice' })
    seen.add(key)
    actions.push(parsed)
  })
  return { actions, problems }
}

/** The CLI's `--action uninstall:<product>`, `upgrade:<version>`, `av_scan`, `custom:<title>`. */
export function parseActionText(text: string): { kind: ActionKind; product?: string; version?: string; title?: string } {
  const colon = text.indexOf(':')
  const kind = (colon < 0 ? text : text.slice(0, colon)).trim()
  const rest = colon < 0 ? '' : text.slice(colon + 1).trim()
  if (kind === 'uninstall') return { kind, product: rest }
  if (kind === 'upgrade') return { kind, version: rest }
  if (kind === 'custom') return { kind, title: rest }
  if (kind === 'av_scan' || kind === 'av-scan') return { kind: 'av_scan' }
  return { kind: kind as ActionKind }
}

/** What a task asks of one endpoint, in words. */
export function actionTitle(action: CampaignAction, product: string | null): string {
  switch (action.kind) {
    case 'uninstall':
      return `Uninstall ${action.product}`
    case 'upgrade':
      return `Upgrade ${product ?? 'the affected product'} to ${action.version} or later`
    case 'av_scan':
      return 'Run a full antivirus scan'
    case 'custom':
      return action.title
  }
}

export function isOverdue(task: Pick<Task, 'state'>, deadline: string | null, now: Date): boolean {
  return deadline !== null && (openStates as readonly string[]).includes(task.state) && Date.parse(deadline) < now.getTime()
}

/** Counts tasks by state; percentages with one decimal. */
export function countStates(tasks: ReadonlyArray<Pick<Task, 'state'>>, deadline: string | null, now: Date): StateCounts {
  const counts: StateCounts = { total: tasks.length, pending: 0, inProgress: 0, doneVerified: 0, doneAttested: 0, exempted: 0, overdue: 0, percentVerified: 0, percentDone: 0 }
  for (const task of tasks) {
    if (task.state === 'pending') counts.pending += 1
    else if (task.state === 'in_progress') counts.inProgress += 1
    else if (task.state === 'done_verified') counts.doneVerified += 1
    else if (task.state === 'done_attested') counts.doneAttested += 1
    else counts.exempted += 1
    if (isOverdue(task, deadline, now)) counts.overdue += 1
  }
  const percent = (n: number) => (counts.total === 0 ? 100 : Math.round((n / counts.total) * 1000) / 10)
  counts.percentVerified = percent(counts.doneVerified)
  counts.percentDone = percent(counts.doneVerified + counts.doneAttested + counts.exempted)
  return counts
}

/** The time the last task closed, when every task has; null while any is open (or there are none). */
export function allClearAt(tasks: ReadonlyArray<Pick<Task, 'state' | 'stateAt'>>): string | null {
  if (tasks.length === 0) return null
  let last = ''
  for (const task of tasks) {
    if (!(closedStates as readonly string[]).includes(task.state)) return null
    if (task.stateAt > last) last = task.stateAt
  }
  return last
}

export function secondsBetween(from: string, to: string | null): number | null {
  return to === null ? null : Math.round((Date.parse(to) - Date.parse(from)) / 1000)
}

/** One CSV field: quoted when it holds a separator, quote or line break; a leading formula character is defused. */
export function csvField(value: string | number | boolean | null): string {
  if (value === null) return ''
  let text = String(value)
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

export function csvLine(values: ReadonlyArray<string | number | boolean | null>): string {
  return `${values.map(csvField).join(',')}\r\n`
}
