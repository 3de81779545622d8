import Type from 'typebox'
import type { Access, User } from '../access/index.js'
import type { Audit } from '../audit/index.js'
import type { Customers } from '../customers/index.js'
import type { Db } from '../db/connect.js'
import type { Intel } from '../intel/index.js'
import { allTenants, type Actor } from '../shared/actor.js'
import type { Clock } from '../shared/clock.js'
import { AppError, notFound, type FieldProblem } from '../shared/errors.js'
import { newId } from '../shared/ids.js'
import { decodeCursor, defaultPageSize, toPage, type Page, type PageRequest } from '../shared/pagination.js'
import { parseInput } from '../shared/validate.js'
import { closedConflict, createUserCheck, lockedIncident, requireStaff, roleFields, timelineEntry } from './checks.js'
import {
  figuresOf,
  IncidentPatchSchema,
  isReopening,
  LinkInputSchema,
  milestonesOf,
  NoteInputSchema,
  OpenIncidentSchema,
  openStatuses,
  roleLabels,
  SeveritySchema,
  StatusSchema,
  TimelineInputSchema,
  tidyLine,
  timelineDataJson,
  transitionProblem,
  type Incident,
  type IncidentDetail,
  type IncidentLink,
  type IncidentRole,
  type LinkInput,
  type OpenIncidentInput,
  type Playbook,
  type RoleHolder,
  type TimelineEntry,
  type TimelineInput,
} from './model.js'
import { createPlaybooks } from './playbooks.js'
import { renderReport, type ReportFormat } from './report.js'
import { createTasks } from './tasks.js'
import * as store from './store.js'

export interface IncidentsDeps {
  db: Db
  clock: Clock
  audit: Audit
  /** Role holders and assignees are checked against the users. */
  access: Pick<Access, 'getUser'>
  customers: Pick<Customers, 'resolve'>
  /** Linked advisories are checked, and named in reports, when intel is given. */
  intel?: Pick<Intel, 'getAdvisory'> | undefined
}

export type Incidents = ReturnType<typeof createIncidents>

export interface IncidentListRequest extends Partial<PageRequest> {
  status?: string | undefined
  severity?: string | undefined
  customerId?: string | undefined
}

const ListFilterSchema = Type.Object({ status: Type.Optional(StatusSchema), severity: Type.Optional(SeveritySchema), customerId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) })

/** The report shows at most this many timeline entries (and says how many more there are). */
const reportTimelineLimit = 10_000

export function createIncidents({ db, clock, audit, access, customers, intel }: IncidentsDeps) {
  const playbooks = createPlaybooks({ db, clock, audit })
  const checkUsers = createUserCheck(access)
  const tasks = createTasks({ db, clock, audit, checkUsers, playbooks })

  // ---- opening ----

  /** Opens an incident (and applies its playbook) in one transaction. */
  async function open(actor: Actor, input: unknown): Promise<Incident> {
    requireStaff(actor)
    const data = parseInput(OpenIncidentSchema, input, 'incident')
    const users = await checkUsers([['commanderId', data.commanderId]])
    return db.transaction().execute((trx) => openChecked(trx, actor, data, users))
  }

  /**
   * Opens an incident inside the caller's transaction (alerting opens one as an alert arrives).
   * A commanderId is not looked up here (access cannot read inside the caller's transaction on
   * SQLite): check it with access first; the foreign key refuses an id that is no user.
   */
  async function openIn(trx: Db, actor: Actor, input: OpenIncidentInput): Promise<Incident> {
    requireStaff(actor)
    const data = parseInput(OpenIncidentSchema, input, 'incident')
    return openChecked(trx, actor, data, new Map())
  }

  async function openChecked(trx: Db, actor: Actor, data: OpenIncidentInput, users: ReadonlyMap<string, User>): Promise<Incident> {
    const now = clock.now().toISOString()
    const linkedCustomers = await resolveCustomers(trx, actor, data.customerIds ?? [])
    const customerIds = [...linkedCustomers.keys()]
    const playbook = data.playbook === undefined ? undefined : await playbooks.resolveIn(trx, data.playbook, 'playbook')
    const incident: Incident = {
      id: newId(),
      title: tidyLine(data.title),
      summary: data.summary?.trim() ?? '',
      severity: data.severity,
      status: 'triage',
      commanderId: data.commanderId ?? null,
      communicationsLeadId: null,
      operationsLeadId: null,
      openedAt: now,
      openedBy: actor.label,
      acknowledgedAt: null,
      containedAt: null,
      resolvedAt: null,
      closedAt: null,
      updatedAt: now,
    }
    await store.insertIncident(trx, incident)
    const entries = [timelineEntry(incident, actor.label, now, 'opened', `Opened at ${incident.severity}: ${incident.title}`, { severity: incident.severity })]
    if (incident.commanderId !== null) entries.push(roleEntry(incident, actor.label, now, 'commander', incident.commanderId, users))
    const alertIds = [...new Set(data.alertIds ?? [])]
    const links = [...[...linkedCustomers].map(([targetId, name]) => ({ kind: 'customer' as const, targetId, name })), ...alertIds.map((targetId) => ({ kind: 'alert' as const, targetId, name: targetId }))]
    for (const { kind, targetId, name } of links) {
      await store.insertLink(trx, incident.id, { kind, targetId, createdAt: now, createdBy: actor.label })
      entries.push(timelineEntry(incident, actor.label, now, 'link', `Linked ${kind} ${name}`, { kind, targetId }))
    }
    await store.insertTimeline(trx, entries)
    await audit.record(trx, actor, {
      action: 'incident.opened',
      targetType: 'incident',
      targetId: incident.id,
      details: { title: incident.title, severity: incident.severity, commanderId: incident.commanderId, customerIds, alerts: alertIds.length, playbook: playbook?.slug ?? null },
    })
    if (playbook) await tasks.applyIn(trx, actor, incident, playbook)
    return incident
  }

  /** Customers named in some input, as their ids and names. */
  async function resolveCustomers(trx: Db, actor: Actor, references: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>()
    const problems: FieldProblem[] = []
    for (const [index, reference] of references.entries()) {
      const customer = await customers.resolve(actor.scope, reference, trx).catch((error: unknown) => {
        if (error instanceof AppError && error.kind === 'not_found') return undefined
        throw error
      })
      if (customer) found.set(customer.id, customer.name)
      else problems.push({ field: `customerIds.${index}`, message: `no customer ${reference}` })
    }
    if (problems.length > 0) throw new AppError('invalid', `invalid customers: ${problems.map((p) => p.message).join('; ')}`, { problems })
    return found
  }

  function roleEntry(incident: Incident, actorLabel: string, at: string, role: IncidentRole, userId: string | null, users: ReadonlyMap<string, User>): store.TimelineInsert {
    if (userId === null) return timelineEntry(incident, actorLabel, at, 'role', `${roleLabels[role]} unassigned`, { role, userId: null })
    const user = users.get(userId)
    return timelineEntry(incident, actorLabel, at, 'role', `${roleLabels[role]}: ${user ? user.name : userId}`, { role, userId })
  }

  // ---- reading ----

  async function get(actor: Actor, id: string): Promise<IncidentDetail> {
    requireStaff(actor)
    const incident = await store.findIncident(db, actor.scope, id)
    if (!incident) throw notFound('incident', id)
    const [links, tasks] = await Promise.all([store.listLinks(db, id), store.listTasks(db, id)])
    const roles: RoleHolder[] = []
    for (const role of ['commander', 'communications_lead', 'operations_lead'] as const) {
      const userId = incident[roleFields[role]]
      if (userId === null) continue
      const user = await access.getUser(userId)
      roles.push({ role, userId, name: user.name, email: user.email })
    }
    return { ...incident, roles, links, tasks, figures: figuresOf(incident) }
  }

  /** Incidents, newest first, a page at a time. */
  async function list(actor: Actor, request: IncidentListRequest = {}): Promise<Page<Incident>> {
    requireStaff(actor)
    const filter = parseInput(ListFilterSchema, { status: request.status, severity: request.severity, customerId: request.customerId }, 'incident filter')
    const limit = request.limit ?? defaultPageSize
    const after = request.cursor ? (decodeCursor(request.cursor, 2) as [string, string]) : undefined
    const rows = await store.listIncidents(db, { scope: actor.scope, ...filter, after, limit: limit + 1 })
    return toPage(rows, limit, (i) => [i.openedAt, i.id])
  }

  /** The incident if it is still being handled (triage, active or contained), locked for the caller's transaction. */
  async function findOpenIn(trx: Db, id: string): Promise<Incident | undefined> {
    const incident = await store.findIncident(trx, allTenants, id, { lock: true })
    return incident && openStatuses.includes(incident.status) ? incident : undefined
  }

  // ---- changing ----

  async function update(actor: Actor, id: string, patch: unknown): Promise<IncidentDetail> {
    requireStaff(actor)
    const data = parseInput(IncidentPatchSchema, patch, 'incident change')
    const users = await checkUsers([
      ['commanderId', data.commanderId],
      ['communicationsLeadId', data.communicationsLeadId],
      ['operationsLeadId', data.operationsLeadId],
    ])
    await db.transaction().execute(async (trx) => {
      const current = await lockedIncident(trx, actor, id)
      const now = clock.now().toISOString()
      const changes: store.IncidentChanges = {}
      const changed: Record<string, { from: unknown; to: unknown }> = {}
      const entries: store.TimelineInsert[] = []
      const at = (kind: string, text: string, detail: unknown = null) => entries.push(timelineEntry(current, actor.label, now, kind, text, detail))

      if (data.status !== undefined && data.status !== current.status) {
        const problem = transitionProblem(current.status, data.status)
        if (problem) throw new AppError('invalid', `invalid status: ${problem}`, { problems: [{ field: 'status', message: problem }] })
      }
      const title = data.title === undefined ? undefined : tidyLine(data.title)
      if (title !== undefined && title !== current.title) {
        changes.title = title
        changed.title = { from: current.title, to: title }
        at('title', `Title changed to: ${title}`, { from: current.title })
      }
      const summary = data.summary?.trim()
      if (summary !== undefined && summary !== current.summary) {
        changes.summary = summary
        changed.summary = { from: current.summary.length, to: summary.length }
        at('summary', 'Summary updated')
      }
      if (data.severity !== undefined && data.severity !== current.severity) {
        changes.severity = data.severity
        changed.severity = { from: current.severity, to: data.severity }
        at('severity', `Severity changed from ${current.severity} to ${data.severity}`, { from: current.severity, to: data.severity })
      }
      for (const role of ['commander', 'communications_lead', 'operations_lead'] as const) {
        const field = roleFields[role]
        const next = data[field]
        if (next === undefined || next === current[field]) continue
        changes[field] = next
        changed[field] = { from: current[field], to: next }
        entries.push(roleEntry(current, actor.label, now, role, next, users))
      }
      const reopened = data.status !== undefined && isReopening(current.status, data.status)
      if (data.status !== undefined && data.status !== current.status) {
        changes.status = data.status
        changed.status = { from: current.status, to: data.status }
        Object.assign(changes, milestonesOf(current, data.status, now))
        if (reopened) at('reopened', `Reopened: ${current.status} back to ${data.status}`, { from: current.status, to: data.status })
        else at('status', `Status changed from ${current.status} to ${data.status}`, { from: current.status, to: data.status })
      }
      if (Object.keys(changed).length === 0) return
      // A closed incident's fields stay as they were (notes and links are still recorded).
      if (current.status === 'closed') throw closedConflict(current)
      changes.updatedAt = now
      await store.updateIncident(trx, id, changes)
      await store.insertTimeline(trx, entries)
      await audit.record(trx, actor, { action: reopened ? 'incident.reopened' : 'incident.updated', targetType: 'incident', targetId: id, details: changed })
    })
    return get(actor, id)
  }

  /**
   * Sets when the incident was first acknowledged, unless it was already (alerting calls this
   * when a linked alert is acknowledged, inside its own transaction, which audits the acknowledgement).
   */
  async function acknowledgeIn(trx: Db, incidentId: string, at: string): Promise<void> {
    const time = Date.parse(at)
    if (Number.isNaN(time)) throw new AppError('invalid', `${at} is not a time`, { problems: [{ field: 'at', message: 'not an ISO-8601 time' }] })
    const incident = await store.findIncident(trx, allTenants, incidentId, { lock: true })
    if (!incident) throw notFound('incident', incidentId)
    // An alert acknowledged before its incident was opened makes the incident acknowledged as it opens.
    const when = new Date(Math.max(time, Date.parse(incident.openedAt))).toISOString()
    if (await store.acknowledge(trx, incidentId, when)) {
      await store.insertTimeline(trx, [timelineEntry(incident, 'cordon', when, 'acknowledged', 'Acknowledged')])
    }
  }

  // ---- links ----

  async function link(actor: Actor, id: string, input: unknown): Promise<IncidentLink> {
    requireStaff(actor)
    const data = parseInput(LinkInputSchema, input, 'link')
    // Advisories are read outside the transaction (intel reads on its own connection).
    const advisory = data.kind === 'advisory' && intel ? await advisoryOf(data.targetId) : undefined
    const target = advisory ? { kind: data.kind, targetId: advisory.id } : data
    return db.transaction().execute((trx) => linkChecked(trx, actor, id, target, advisory?.externalId))
  }

  /**
   * Links an item inside the caller's transaction. Customers are checked; the caller checks the
   * rest (alerting its alerts; an advisory is checked by `link` only, as intel cannot read here).
   */
  async function linkIn(trx: Db, actor: Actor, id: string, input: LinkInput): Promise<IncidentLink> {
    requireStaff(actor)
    const data = parseInput(LinkInputSchema, input, 'link')
    return linkChecked(trx, actor, id, data)
  }

  async function advisoryOf(reference: string): Promise<{ id: string; externalId: string }> {
    try {
      return await intel!.getAdvisory(reference)
    } catch (error) {
      if (error instanceof AppError && error.kind === 'not_found') throw new AppError('invalid', `advisory ${reference} does not exist`, { cause: error, problems: [{ field: 'targetId', message: 'no such advisory' }] })
      throw error
    }
  }

  /** Adds the link (an existing one is left as it is); `name` is what the timeline calls the target. */
  async function linkChecked(trx: Db, actor: Actor, id: string, data: LinkInput, name = data.targetId): Promise<IncidentLink> {
    const incident = await lockedIncident(trx, actor, id)
    let targetId = data.targetId
    if (data.kind === 'customer') {
      const customer = await customers.resolve(actor.scope, data.targetId, trx).catch((error: unknown) => {
        if (error instanceof AppError && error.kind === 'not_found') throw new AppError('invalid', `customer ${data.targetId} does not exist`, { cause: error, problems: [{ field: 'targetId', message: 'no such customer' }] })
        throw error
      })
      targetId = customer.id
      name = customer.name
    }
    const now = clock.now().toISOString()
    const link: IncidentLink = { kind: data.kind, targetId, createdAt: now, createdBy: actor.label }
    if (!(await store.insertLink(trx, incident.id, link))) {
      return (await store.listLinks(trx, incident.id)).find((l) => l.kind === link.kind && l.targetId === link.targetId)!
    }
    await store.insertTimeline(trx, [timelineEntry(incident, actor.label, now, 'link', `Linked ${link.kind} ${name}`, { kind: link.kind, targetId })])
    await audit.record(trx, actor, { action: 'incident.linked', targetType: 'incident', targetId: incident.id, details: { kind: link.kind, targetId } })
    return link
  }

  // ---- timeline ----

  async function addNote(actor: Actor, id: string, text: unknown): Promise<TimelineEntry> {
    requireStaff(actor)
    const data = parseInput(NoteInputSchema, { text }, 'note')
    return db.transaction().execute(async (trx) => {
      const incident = await lockedIncident(trx, actor, id)
      const added = await store.insertTimelineEntry(trx, timelineEntry(incident, actor.label, clock.now().toISOString(), 'note', data.text.trim()))
      await audit.record(trx, actor, { action: 'incident.note_added', targetType: 'incident', targetId: id, details: { entryId: added.id, characters: added.text.length } })
      return added
    })
  }

  /**
   * Writes another module's event on an incident's timeline (an alert joined, a page or a message
   * was sent) inside that module's transaction, which audits the event itself.
   */
  async function recordIn(trx: Db, incidentId: string, input: TimelineInput): Promise<TimelineEntry> {
    const data = parseInput(TimelineInputSchema, input, 'timeline entry')
    const json = timelineDataJson(data.data)
    const incident = await store.findIncident(trx, allTenants, incidentId)
    if (!incident) throw notFound('incident', incidentId)
    const at = data.at === undefined ? clock.now().toISOString() : new Date(data.at).toISOString()
    return store.insertTimelineEntry(trx, timelineEntry(incident, data.actorLabel ?? 'cordon', at, data.kind, data.text, json === null ? null : JSON.parse(json)))
  }

  async function timeline(actor: Actor, id: string, request: Partial<PageRequest> = {}): Promise<Page<TimelineEntry>> {
    requireStaff(actor)
    const incident = await store.findIncident(db, actor.scope, id)
    if (!incident) throw notFound('incident', id)
    const limit = request.limit ?? defaultPageSize
    const after = request.cursor ? decodeCursor(request.cursor, 2) : undefined
    const afterKey = after ? ([after[0]!, Number(after[1])] as const) : undefined
    if (afterKey && !Number.isSafeInteger(afterKey[1])) throw new AppError('invalid', 'cursor is not one this server issued', { problems: [{ field: 'cursor', message: 'malformed' }] })
    const rows = await store.listTimeline(db, id, afterKey, limit + 1)
    return toPage(rows, limit, (e) => [e.at, e.id])
  }

  // ---- playbooks ----

  async function listPlaybooks(actor: Actor): Promise<Playbook[]> {
    requireStaff(actor)
    return playbooks.list()
  }

  /** A playbook by slug or id. */
  async function getPlaybook(actor: Actor, reference: string): Promise<Playbook> {
    requireStaff(actor)
    return playbooks.get(reference)
  }

  async function savePlaybook(actor: Actor, input: unknown): Promise<Playbook> {
    requireStaff(actor)
    return playbooks.save(actor, input)
  }

  // ---- report ----

  /** The post-incident report: what happened, who did what, and the times to acknowledge, contain and resolve. */
  async function report(actor: Actor, id: string, format: ReportFormat): Promise<string> {
    const detail = await get(actor, id)
    const entries = await store.listTimeline(db, id, undefined, reportTimelineLimit + 1)
    const omitted = entries.length > reportTimelineLimit ? (await store.countTimeline(db, id)) - reportTimelineLimit : 0
    const linkLabels = new Map<string, string>()
    for (const link of detail.links) {
      const label = await labelOf(actor, link)
      if (label !== undefined) linkLabels.set(`${link.kind}:${link.targetId}`, label)
    }
    const userNames = new Map<string, string>(detail.roles.map((r) => [r.userId, r.name]))
    for (const task of detail.tasks) {
      if (task.assigneeId !== null && !userNames.has(task.assigneeId)) userNames.set(task.assigneeId, (await access.getUser(task.assigneeId)).name)
    }
    return renderReport({ incident: detail, timeline: entries.slice(0, reportTimelineLimit), omittedEntries: omitted, linkLabels, userNames, generatedAt: clock.now().toISOString() }, format)
  }

  /** A linked item's name, when its module can tell cheaply; the id alone otherwise. */
  async function labelOf(actor: Actor, link: IncidentLink): Promise<string | undefined> {
    const quietly = <T>(work: Promise<T>) => work.catch((error: unknown) => (error instanceof AppError && error.kind === 'not_found' ? undefined : Promise.reject(error)))
    if (link.kind === 'customer') return (await quietly(customers.resolve(actor.scope, link.targetId)))?.name
    if (link.kind === 'advisory' && intel) {
      const advisory = await quietly(intel.getAdvisory(link.targetId))
      return advisory && `${advisory.externalId}: ${advisory.title}`
    }
    return undefined
  }

  return {
    open,
    openIn,
    get,
    list,
    findOpenIn,
    update,
    acknowledgeIn,
    link,
    linkIn,
    addNote,
    recordIn,
    timeline,
    listTasks: tasks.listTasks,
    addTask: tasks.addTask,
    updateTask: tasks.updateTask,
    applyPlaybook: tasks.applyPlaybook,
    listPlaybooks,
    getPlaybook,
    savePlaybook,
    loadBundledPlaybooks: playbooks.loadBundled,
    report,
  }
}
