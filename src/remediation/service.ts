import type { Alerting } from '../alerting/index.js'
import type { Static } from 'typebox'
import type { Audit } from '../audit/index.js'
import type { Customers } from '../customers/index.js'
import type { Db } from '../db/connect.js'
import type { Exposure, Finding } from '../exposure/index.js'
import type { Incidents } from '../incidents/index.js'
import type { Idempotency } from '../idempotency/index.js'
import type { Intel } from '../intel/index.js'
import type { Inventory, InventoryChange } from '../inventory/index.js'
import type { Job, JobCommit, Jobs } from '../jobs/index.js'
import type { Notifications, OutboundMessage } from '../notifications/index.js'
import { allTenants, isResponder, systemActor, type Actor, type TenantScope } from '../shared/actor.js'
import type { Clock } from '../shared/clock.js'
import { AppError, isAppError, notFound, type FieldProblem } from '../shared/errors.js'
import { newId } from '../shared/ids.js'
import { decodeCursor, defaultPageSize, toPage, type Page, type PageRequest } from '../shared/pagination.js'
import { parseInput } from '../shared/validate.js'
import { compareVersions, productKey, schemeForEcosystem } from '../versions/index.js'
import {
  actionTitle,
  allClearAt,
  CampaignInputSchema,
  checkActions,
  countStates,
  csvLine,
  isOverdue,
  openStates,
  secondsBetween,
  TaskPatchSchema,
  type AvScanImportReport,
  type Campaign,
  type CampaignMetrics,
  type CampaignProgress,
  type CustomerProgress,
  type Task,
  type TaskEvidence,
  type TaskState,
} from './model.js'
import { detectScanFormat, parseClamscan, parseScanCsv, type ParsedScan, type ScanFormat } from './scans.js'
import * as store from './store.js'

/** When each customer was told and acknowledged a campaign (comms owns notices; wired in by the composition root). */
export type NoticeTimes = (campaign: Campaign) => Promise<Map<string, { notifiedAt: string | null; acknowledgedAt: string | null }>>

export interface RemediationDeps {
  db: Db
  clock: Clock
  audit: Audit
  customers: Pick<Customers, 'resolve' | 'listContacts'>
  inventory: Pick<Inventory, 'findEndpoints'>
  intel: Pick<Intel, 'getAdvisory'>
  exposure: Pick<Exposure, 'listFindings'>
  incidents: Pick<Incidents, 'get'>
  notifications: Pick<Notifications, 'enqueue'>
  jobs: Pick<Jobs, 'enqueue' | 'schedule'>
  alerting: Pick<Alerting, 'send'>
  idempotency: Pick<Idempotency, 'once'>
  noticeTimes?: NoticeTimes | undefined
}

/** The job that raises a remediation alert, outside the transaction that found the reason for it. */
export const raiseAlertJob = 'remediation.raise-alert'
/** The daily job that reminds customers' contacts of overdue tasks. */
export const overdueRemindersJob = 'remediation.overdue-reminders'

export interface RemediationAlert {
  summary: string
  dedupKey: string
  customerId: string
  labels: Record<string, string>
}

export interface ScanImportRequest {
  inputs: Array<{ name: string; bytes: AsyncIterable<Buffer> }>
  format?: ScanFormat | undefined
  /** The endpoint every scan in the files is of (id, identifier or hostname); otherwise each scan names its host. */
  endpoint?: string | undefined
  /** The customer whose endpoints these are (id, external ref or name): narrows host look-ups. */
  customer?: string | undefined
}

export type Remediation = ReturnType<typeof createRemediation>

const findingPage = 500

function requireStaff(actor: Actor): void {
  if (!isResponder(actor)) throw new AppError('forbidden', 'remediation changes are made by the provider’s responders')
}

export function createRemediation(deps: RemediationDeps) {
  const { db, clock, audit, customers, inventory, intel, exposure, incidents, notifications, jobs, alerting } = deps

  /**
   * A campaign over the advisory's (or the incident's advisories') open findings: one task per
   * affected endpoint and action (an upgrade, per affected product on the endpoint).
   */
  async function createCampaign(actor: Actor, input: unknown, options: { idempotencyKey?: string | undefined } = {}): Promise<Campaign> {
    requireStaff(actor)
    const data = parseInput(CampaignInputSchema, input, 'campaign')
    // A retry with the same key answers with the campaign the first request made.
    return deps.idempotency.once<Campaign>(actor, 'remediation.campaign.create', options.idempotencyKey, data, (remember) => openCampaign(actor, data, remember))
  }

  async function openCampaign(actor: Actor, data: Static<typeof CampaignInputSchema>, remember: (trx: Db, campaign: Campaign) => Promise<void>): Promise<Campaign> {
    const { actions, problems } = checkActions(data.actions)
    if (!data.advisoryId && !data.incidentId) problems.push({ field: 'advisoryId', message: 'give an advisory or an incident' })
    if (problems.length > 0) throw new AppError('invalid', 'invalid campaign', { problems })
    const references = new Set<string>()
    let incidentTitle: string | null = null
    if (data.incidentId) {
      const incident = await incidents.get(actor, data.incidentId)
      incidentTitle = incident.title
      for (const link of incident.links) if (link.kind === 'advisory') references.add(link.targetId)
      if (references.size === 0 && !data.advisoryId) throw new AppError('invalid', `incident ${data.incidentId} links no advisory`, { problems: [{ field: 'incidentId', message: 'link an advisory to the incident first, or give advisoryId' }] })
    }
    if (data.advisoryId) references.add(data.advisoryId)
    const advisories = await Promise.all([...references].map((reference) => intel.getAdvisory(reference)))
    const advisoryIds = [...new Set(advisories.map((a) => a.id))]

    const affected = new Map<string, { customerId: string; products: Map<string, string> }>()
    for (const advisoryId of advisoryIds) {
      let cursor: string | undefined
      do {
        const page = await exposure.listFindings(allTenants, { advisoryId, status: ['open'], limit: findingPage, cursor })
        for (const finding of page.items) addAffected(affected, finding)
        cursor = page.nextCursor ?? undefined
      } while (cursor)
    }

    const now = clock.now().toISOString()
    const campaign: Campaign = {
      id: newId(),
      title: data.title ?? `Remediate ${incidentTitle ?? advisories[0]!.title}`.slice(0, 300),
      advisoryIds,
      incidentId: data.incidentId ?? null,
      actions,
      deadline: data.deadline ? new Date(data.deadline).toISOString() : null,
      createdBy: actor.id,
      createdAt: now,
      updatedAt: now,
    }
    const tasks: store.TaskInsert[] = []
    for (const [endpointId, { customerId, products }] of affected) {
      actions.forEach((action, actionIndex) => {
        const base = { campaignId: campaign.id, customerId, endpointId, actionIndex, action: action.kind, state: 'pending' as const, stateAt: now, createdAt: now }
        if (action.kind === 'upgrade') {
          for (const [key, product] of products) tasks.push({ ...base, id: newId(), productKey: key, product, targetVersion: action.version, title: actionTitle(action, product) })
        } else {
          const product = action.kind === 'uninstall' ? action.product : null
          tasks.push({ ...base, id: newId(), productKey: product === null ? '' : productKey(product), product, targetVersion: null, title: actionTitle(action, product) })
        }
      })
    }
    await db.transaction().execute(async (trx) => {
      await store.insertCampaign(trx, campaign)
      await store.insertTasks(trx, tasks)
      await audit.record(trx, actor, {
        action: 'remediation.campaign.created',
        targetType: 'campaign',
        targetId: campaign.id,
        details: { advisoryIds, incidentId: campaign.incidentId, actions, deadline: campaign.deadline, endpoints: affected.size, tasks: tasks.length },
      })
      await remember(trx, campaign)
    })
    return campaign
  }

  function addAffected(affected: Map<string, { customerId: string; products: Map<string, string> }>, finding: Finding): void {
    let entry = affected.get(finding.endpointId)
    if (!entry) affected.set(finding.endpointId, (entry = { customerId: finding.customerId, products: new Map() }))
    entry.products.set(productKey(finding.product), finding.product)
  }

  async function getCampaign(scope: TenantScope, id: string): Promise<Campaign> {
    const campaign = await store.findCampaign(db, scope, id)
    if (!campaign) throw notFound('campaign', id)
    return campaign
  }

  async function listCampaigns(scope: TenantScope, request: Partial<PageRequest> = {}): Promise<Page<Campaign>> {
    const limit = request.limit ?? defaultPageSize
    const after = request.cursor ? (decodeCursor(request.cursor, 2) as [string, string]) : undefined
    return toPage(await store.listCampaigns(db, scope, after, limit), limit, (c) => [c.createdAt, c.id])
  }

  async function listTasks(
    scope: TenantScope,
    campaignId: string,
    request: Partial<PageRequest> & { customerId?: string | undefined; endpointId?: string | undefined; state?: TaskState[] | undefined } = {},
  ): Promise<Page<Task>> {
    await getCampaign(scope, campaignId)
    const limit = request.limit ?? defaultPageSize
    const afterId = request.cursor ? decodeCursor(request.cursor, 1)[0] : undefined
    const rows = await store.listTasks(db, { scope, campaignId, customerId: request.customerId, endpointId: request.endpointId, states: request.state, afterId, limit })
    return toPage(rows, limit, (t) => [t.id])
  }

  async function getTask(scope: TenantScope, taskId: string, campaignId?: string): Promise<Task> {
    const task = await store.findTask(db, scope, campaignId, taskId)
    if (!task) throw notFound('task', taskId)
    return task
  }

  /** Start a task, attest it done (a person vouches), or exempt it (a reason and an approver); audited. */
  async function updateTask(actor: Actor, campaignId: string | undefined, taskId: string, input: unknown): Promise<Task> {
    requireStaff(actor)
    const data = parseInput(TaskPatchSchema, input, 'task')
    const task = await getTask(actor.scope, taskId, campaignId)
    const problems: FieldProblem[] = []
    if (data.state === 'exempted') {
      if (!data.reason?.trim()) problems.push({ field: 'reason', message: 'an exemption needs a reason' })
      if (!data.approver?.trim()) problems.push({ field: 'approver', message: 'an exemption needs the approver' })
    }
    if (problems.length > 0) throw new AppError('invalid', 'invalid task change', { problems })
    const from: TaskState[] = data.state === 'in_progress' ? ['pending'] : [...openStates]
    if (!from.includes(task.state)) throw new AppError('conflict', `task ${task.id} is ${task.state}: it cannot become ${data.state}`)
    const now = clock.now().toISOString()
    const evidence: TaskEvidence | null = data.state === 'in_progress' ? task.evidence : { by: actor.label, ...(data.note && { note: data.note }), observedAt: now }
    await db.transaction().execute(async (trx) => {
      const changed = await store.setTaskState(trx, task.id, from, {
        state: data.state,
        at: now,
        evidence,
        exemptReason: data.state === 'exempted' ? data.reason!.trim() : null,
        exemptApprover: data.state === 'exempted' ? data.approver!.trim() : null,
      })
      if (!changed) throw new AppError('conflict', `task ${task.id} changed meanwhile; read it again`)
      const verb = data.state === 'in_progress' ? 'started' : data.state === 'done_attested' ? 'attested' : 'exempted'
      await audit.record(trx, actor, {
        action: `remediation.task.${verb}`,
        targetType: 'remediation_task',
        targetId: task.id,
        customerId: task.customerId,
        details: { campaignId: task.campaignId, from: task.state, ...(data.reason && { reason: data.reason }), ...(data.approver && { approver: data.approver }), ...(data.note && { note: data.note }) },
      })
    })
    return getTask(actor.scope, task.id, task.campaignId)
  }

  // ---- evidence from inventory imports ----

  /**
   * Follows inventory imports inside their transaction, after exposure has reconciled findings.
   * Uninstall is verified when the endpoint has no installation of the product left; upgrade when
   * no installed version is affected (no open finding of the campaign's advisories) and one is at
   * or above the target, in the catalog entry's version scheme. A bad version that comes back
   * reopens a verified task, and an alert is raised by a job (alerting writes in its own transaction).
   */
  async function followImport(trx: Db, change: InventoryChange): Promise<void> {
    const tasks = await store.tasksOfImport(trx, change.importId)
    if (tasks.length === 0) return
    const [findings, installed] = await Promise.all([
      store.openFindingsOfImport(trx, change.importId),
      store.presentInstallations(trx, [...new Set(tasks.map((t) => t.endpointId))], [...new Set(tasks.map((t) => t.productKey))]),
    ])
    const findingsOn = groupBy(findings, (f) => `${f.endpointId}\u001f${f.productKey}`)
    const installedOn = groupBy(installed, (i) => `${i.endpointId}\u001f${i.productKey}`)
    const now = clock.now().toISOString()
    const verified: string[] = []
    const reopened: string[] = []
    for (const task of tasks) {
      const key = `${task.endpointId}\u001f${task.productKey}`
      const bad = (findingsOn.get(key) ?? []).filter((f) => task.advisoryIds.includes(f.advisoryId))
      const present = installedOn.get(key) ?? []
      const versions = [...new Set(present.map((p) => p.version))]
      if (task.state === 'done_verified') {
        if (bad.length === 0) continue
        const evidence: TaskEvidence = { importId: change.importId, observedAt: now, findingIds: bad.map((f) => f.id), versions }
        if (!(await store.setTaskState(trx, task.id, ['done_verified'], { state: 'pending', at: now, evidence, reopened: true }))) continue
        reopened.push(task.id)
        const alert: RemediationAlert = {
          summary: `Remediation reopened: ${bad.map((f) => f.version).join(', ')} is back on endpoint ${task.endpointId} (task ${task.id})`.slice(0, 1024),
          dedupKey: `remediation-task:${task.id}`,
          customerId: task.customerId,
          labels: { campaign: task.campaignId, task: task.id, endpoint: task.endpointId, import: change.importId },
        }
        await jobs.enqueue({ type: raiseAlertJob, payload: alert, key: `remediation.reopened:${task.id}:${task.reopenedCount + 1}` }, trx)
        continue
      }
      // Uninstall: the product is gone. Upgrade: no affected version is left, either because every
      // installation is at the target version or later, or because the product was removed.
      const clean =
        task.action === 'uninstall'
          ? present.length === 0
          : bad.length === 0 && task.targetVersion !== null && present.every((p) => compareVersions(schemeForEcosystem(p.ecosystem), p.version, task.targetVersion!) >= 0)
      if (!clean) continue
      const evidence: TaskEvidence = { importId: change.importId, observedAt: now, ...(task.action === 'upgrade' && { versions }) }
      if (await store.setTaskState(trx, task.id, ['pending', 'in_progress'], { state: 'done_verified', at: now, evidence })) verified.push(task.id)
    }
    if (verified.length > 0 || reopened.length > 0) {
      await audit.record(trx, systemActor, {
        action: 'remediation.tasks.verified',
        targetType: 'inventory_import',
        targetId: change.importId,
        details: { verified: verified.length, reopened: reopened.length, taskIds: [...verified, ...reopened].slice(0, 200) },
      })
    }
  }

  /** The job handler for raiseAlertJob. */
  async function raiseAlert(job: Job): Promise<void> {
    const alert = job.payload as RemediationAlert
    await alerting.send({ summary: alert.summary, severity: 'critical', source: 'cordon-remediation', dedupKey: alert.dedupKey, customerId: alert.customerId, labels: alert.labels })
  }

  // ---- antivirus scans ----

  /**
   * Imports antivirus scan reports: every file is parsed and every host resolved before anything
   * is written, then one transaction records the scans. A clean scan attests the endpoint's open
   * av_scan tasks; a scan that found infected files attests nothing and raises an alert.
   */
  async function importScans(actor: Actor, request: ScanImportRequest): Promise<AvScanImportReport> {
    requireStaff(actor)
    if (request.inputs.length === 0) throw new AppError('invalid', 'no scan reports to import', { problems: [{ field: 'inputs', message: 'give at least one file' }] })
    const customerId = request.customer === undefined ? undefined : (await customers.resolve(actor.scope, request.customer)).id
    const scope: TenantScope = customerId === undefined ? actor.scope : { all: false, customerIds: [customerId] }
    const problems: FieldProblem[] = []
    const parsed: Array<{ file: string; scan: ParsedScan }> = []
    for (const input of request.inputs) {
      try {
        const { format, bytes } = await formatOf(input.name, input.bytes, request.format)
        const scans = format === 'csv' ? await parseScanCsv(bytes, input.name, request.endpoint) : await parseClamscan(bytes, input.name, request.endpoint)
        for (const scan of scans) parsed.push({ file: input.name, scan })
      } catch (error) {
        if (!isAppError(error) || error.kind !== 'invalid') throw error
        problems.push(...(error.problems.length > 0 ? error.problems : [{ field: input.name, message: error.message }]))
      }
    }
    const endpoints = new Map<string, { id: string; customerId: string }>()
    for (const { file, scan } of parsed) {
      if (endpoints.has(scan.host)) continue
      const found = await inventory.findEndpoints(scope, scan.host)
      if (found.length === 1) endpoints.set(scan.host, { id: found[0]!.id, customerId: found[0]!.customerId })
      else problems.push({ field: `${file}:${scan.line}`, message: found.length === 0 ? `unknown host ${JSON.stringify(scan.host.slice(0, 100))}` : `${found.length} endpoints are called ${scan.host}: give --customer` })
    }
    if (problems.length > 0) throw new AppError('invalid', `scan reports not imported: ${problems.length} problem(s); first at ${problems[0]!.field}: ${problems[0]!.message}`, { problems: problems.slice(0, 100) })

    const importId = newId()
    const now = clock.now().toISOString()
    const report: AvScanImportReport = { importId, scans: 0, attested: 0, infected: 0, results: [] }
    await db.transaction().execute(async (trx) => {
      for (const { file, scan } of parsed) {
        const endpoint = endpoints.get(scan.host)!
        const id = newId()
        await store.insertScan(trx, { id, importId, customerId: endpoint.customerId, endpointId: endpoint.id, product: scan.product, file, line: scan.line, startedAt: scan.startedAt, finishedAt: scan.finishedAt, scannedFiles: scan.scannedFiles, infectedFiles: scan.infectedFiles, result: scan.result, detections: scan.detections, createdAt: now, actorId: actor.id })
        const attested: string[] = []
        if (scan.result === 'clean') {
          for (const task of await store.openScanTasks(trx, endpoint.id, scan.finishedAt)) {
            const evidence: TaskEvidence = { scanId: id, file, observedAt: scan.finishedAt, scannedFiles: scan.scannedFiles, by: actor.label }
            if (await store.setTaskState(trx, task.id, [task.state], { state: 'done_attested', at: now, evidence })) attested.push(task.id)
          }
        } else if (scan.result === 'infected') {
          report.infected += 1
          const alert: RemediationAlert = {
            summary: `${scan.product} found ${scan.infectedFiles} infected file(s) on ${scan.host}${scan.detections[0] ? `: ${scan.detections[0].signature}` : ''}`.slice(0, 1024),
            dedupKey: `remediation-scan:${endpoint.id}`,
            customerId: endpoint.customerId,
            labels: { endpoint: endpoint.id, scan: id, host: scan.host.slice(0, 1000) },
          }
          await jobs.enqueue({ type: raiseAlertJob, payload: alert, key: `remediation.infected:${id}` }, trx)
        }
        report.scans += 1
        report.attested += attested.length
        report.results.push({ scanId: id, host: scan.host, endpointId: endpoint.id, result: scan.result, infectedFiles: scan.infectedFiles, attestedTasks: attested })
      }
      await audit.record(trx, actor, {
        action: 'remediation.scans.imported',
        targetType: 'scan_import',
        targetId: importId,
        details: { files: request.inputs.map((i) => i.name), scans: report.scans, attested: report.attested, infected: report.infected },
      })
    })
    return report
  }

  async function formatOf(file: string, bytes: AsyncIterable<Buffer>, format: ScanFormat | undefined): Promise<{ format: ScanFormat; bytes: AsyncIterable<Buffer> }> {
    if (format) return { format, bytes }
    const iterator = bytes[Symbol.asyncIterator]()
    const first = await iterator.next()
    const head = first.done ? Buffer.alloc(0) : first.value
    const rest = (async function* () {
      if (!first.done) yield head
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value
    })()
    return { format: detectScanFormat(file, head.subarray(0, 200).toString('latin1')), bytes: rest }
  }

  // ---- progress, metrics, export ----

  async function progress(scope: TenantScope, campaignId: string): Promise<CampaignProgress> {
    const campaign = await getCampaign(scope, campaignId)
    const tasks = await store.listTasks(db, { scope, campaignId })
    const now = clock.now()
    const byCustomer = groupBy(tasks, (t) => t.customerId)
    const names = await store.customerNames(db, [...byCustomer.keys()])
    const customers: CustomerProgress[] = [...byCustomer].map(([customerId, own]) => ({
      customerId,
      customerName: names.get(customerId) ?? customerId,
      endpoints: new Set(own.map((t) => t.endpointId)).size,
      ...countStates(own, campaign.deadline, now),
      allClearAt: allClearAt(own),
    }))
    customers.sort((a, b) => a.customerName.localeCompare(b.customerName) || a.customerId.localeCompare(b.customerId))
    return {
      campaignId,
      deadline: campaign.deadline,
      overall: { ...countStates(tasks, campaign.deadline, now), endpoints: new Set(tasks.map((t) => t.endpointId)).size, allClearAt: allClearAt(tasks) },
      customers,
    }
  }

  /** A customer's (or every visible customer's) tasks on one endpoint, with their evidence and the endpoint's scans. */
  async function endpointProgress(scope: TenantScope, campaignId: string, endpointId: string) {
    await getCampaign(scope, campaignId)
    const tasks = await store.listTasks(db, { scope, campaignId, endpointId })
    if (tasks.length === 0) throw notFound('endpoint in campaign', endpointId)
    return { endpointId, hostname: tasks[0]!.hostname, customerId: tasks[0]!.customerId, tasks, scans: await store.listScans(db, scope, endpointId) }
  }

  async function metrics(scope: TenantScope, campaignId: string): Promise<CampaignMetrics> {
    const campaign = await getCampaign(scope, campaignId)
    const tasks = await store.listTasks(db, { scope, campaignId })
    const byCustomer = groupBy(tasks, (t) => t.customerId)
    const names = await store.customerNames(db, [...byCustomer.keys()])
    const notices = deps.noticeTimes ? await deps.noticeTimes(campaign) : new Map<string, { notifiedAt: string | null; acknowledgedAt: string | null }>()
    // The clock starts when the response did: the incident's opening, or else the campaign or the
    // first notice about its advisories, whichever came first. (The campaign's scope was checked above.)
    const firstNotice = [...notices.values()].map((n) => n.notifiedAt).filter((at): at is string => at !== null).sort()[0]
    const startedAt = campaign.incidentId
      ? (await incidents.get(systemActor, campaign.incidentId)).openedAt
      : firstNotice !== undefined && firstNotice < campaign.createdAt
        ? firstNotice
        : campaign.createdAt
    const customerMetrics = [...byCustomer].map(([customerId, own]) => {
      const notice = notices.get(customerId)
      const clear = allClearAt(own)
      return {
        customerId,
        customerName: names.get(customerId) ?? customerId,
        tasks: own.length,
        open: own.filter((t) => (openStates as readonly string[]).includes(t.state)).length,
        notifiedAt: notice?.notifiedAt ?? null,
        acknowledgedAt: notice?.acknowledgedAt ?? null,
        allClearAt: clear,
        secondsToNotify: secondsBetween(startedAt, notice?.notifiedAt ?? null),
        secondsToAcknowledge: secondsBetween(startedAt, notice?.acknowledgedAt ?? null),
        secondsToAllClear: secondsBetween(startedAt, clear),
      }
    })
    customerMetrics.sort((a, b) => a.customerName.localeCompare(b.customerName) || a.customerId.localeCompare(b.customerId))
    const overallClear = allClearAt(tasks)
    return { campaignId, startedAt, customers: customerMetrics, overall: { allClearAt: overallClear, secondsToAllClear: secondsBetween(startedAt, overallClear) } }
  }

  /** One CSV row per task the scope may see. */
  async function exportCsv(scope: TenantScope, campaignId: string): Promise<string> {
    const campaign = await getCampaign(scope, campaignId)
    const tasks = await store.listTasks(db, { scope, campaignId })
    const names = await store.customerNames(db, [...new Set(tasks.map((t) => t.customerId))])
    const now = clock.now()
    let out = csvLine(['customer', 'customer_id', 'endpoint_id', 'hostname', 'action', 'title', 'state', 'verified_at', 'attested_at', 'evidence', 'deadline', 'overdue'])
    for (const task of tasks) {
      out += csvLine([
        names.get(task.customerId) ?? task.customerId,
        task.customerId,
        task.endpointId,
        task.hostname ?? task.endpoint,
        task.action,
        task.title,
        task.state,
        task.state === 'done_verified' ? task.stateAt : null,
        task.state === 'done_attested' ? task.stateAt : null,
        evidenceText(task),
        campaign.deadline,
        isOverdue(task, campaign.deadline, now),
      ])
    }
    return out
  }

  async function exportMetricsCsv(scope: TenantScope, campaignId: string): Promise<string> {
    const result = await metrics(scope, campaignId)
    let out = csvLine(['customer', 'customer_id', 'tasks', 'open', 'notified_at', 'acknowledged_at', 'all_clear_at', 'seconds_to_notify', 'seconds_to_acknowledge', 'seconds_to_all_clear'])
    for (const c of result.customers) out += csvLine([c.customerName, c.customerId, c.tasks, c.open, c.notifiedAt, c.acknowledgedAt, c.allClearAt, c.secondsToNotify, c.secondsToAcknowledge, c.secondsToAllClear])
    return out
  }

  // ---- deadlines ----

  /**
   * The overdue-reminders job: one email per contact of each customer with overdue tasks, keyed per
   * customer, contact and day so a rerun the same day sends nothing twice. Written in the job's completion.
   */
  async function remindOverdue(): Promise<JobCommit | void> {
    const now = clock.now()
    const day = now.toISOString().slice(0, 10)
    const overdue = await store.overdueByCustomer(db, now.toISOString())
    const byCustomer = groupBy(overdue, (o) => o.customerId)
    const messages: Array<{ customerId: string; message: OutboundMessage }> = []
    for (const [customerId, campaigns] of byCustomer) {
      const contacts = await customers.listContacts(allTenants, customerId)
      const lines = campaigns.map((c) => `- ${c.title}: ${c.tasks} task(s) open past the deadline ${c.deadline}`)
      for (const contact of contacts) {
        messages.push({
          customerId,
          message: {
            idempotencyKey: `remediation-overdue:${customerId}:${day}:${contact.id}`,
            to: { email: contact.email, name: contact.name },
            subject: `Overdue remediation: ${campaigns.reduce((n, c) => n + c.tasks, 0)} task(s) past their deadline`,
            text: `These remediation tasks are past their deadline:\n\n${lines.join('\n')}\n\nPlease complete them, or tell us why they cannot be done.\n`,
            links: { customerId },
          },
        })
      }
    }
    if (messages.length === 0) return
    return async (trx) => {
      for (const { message } of messages) await notifications.enqueue(trx, message)
      await audit.record(trx, systemActor, { action: 'remediation.reminders.sent', targetType: 'remediation_reminders', targetId: day, details: { customers: byCustomer.size, messages: messages.length } })
    }
  }

  /** Runs the overdue reminders every day (08:00 UTC unless told otherwise); setting the same schedule again changes nothing. */
  async function scheduleReminders(actor: Actor, cron = '0 8 * * *', timezone = 'UTC') {
    requireStaff(actor)
    return jobs.schedule(actor, { name: overdueRemindersJob, type: overdueRemindersJob, cron, timezone })
  }

  return { scheduleReminders, createCampaign, getCampaign, listCampaigns, listTasks, getTask, updateTask, followImport, raiseAlert, importScans, progress, endpointProgress, metrics, exportCsv, exportMetricsCsv, remindOverdue }
}

function evidenceText(task: Task): string | null {
  const e = task.evidence
  if (task.state === 'exempted') return `exempted: ${task.exemptReason ?? ''} (approved by ${task.exemptApprover ?? ''})`
  if (!e) return null
  if (e.scanId) return `scan ${e.scanId} (${e.file ?? ''}) at ${e.observedAt ?? ''}`
  if (e.importId) return `${task.state === 'done_verified' ? 'inventory import' : 'reopened by import'} ${e.importId} at ${e.observedAt ?? ''}${e.versions?.length ? ` (versions ${e.versions.join(' ')})` : ''}`
  if (e.by) return `attested by ${e.by}${e.note ? `: ${e.note}` : ''}`
  return null
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>()
  for (const item of items) {
    const list = out.get(key(item))
    if (list) list.push(item)
    else out.set(key(item), [item])
  }
  return out
}
