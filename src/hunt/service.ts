import { createWriteStream } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { BlockList, isIP } from 'node:net'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { Audit } from '../audit/index.js'
import type { Customers } from '../customers/index.js'
import type { Db } from '../db/connect.js'
import type { Intel, Indicator } from '../intel/index.js'
import type { Inventory } from '../inventory/index.js'
import type { Jobs } from '../jobs/index.js'
import { systemActor, type Actor, type TenantScope } from '../shared/actor.js'
import type { Clock } from '../shared/clock.js'
import { AppError, isAppError, notFound } from '../shared/errors.js'
import { newId } from '../shared/ids.js'
import { decodeCursor, decodeIntegerCursor, defaultPageSize, toPage, type Page, type PageRequest } from '../shared/pagination.js'
import { sweepFiles, type SweepProgress } from './files/sweep.js'
import type { WalkOptions } from './files/walk.js'
import { huntLog, huntLogFile, type HuntProgress } from './logs/engine.js'
import type { JsonFields, LogFormat, Sighting } from './logs/types.js'
import { IndicatorMatcher, type HuntIndicator } from './match.js'
import type { FileSweepReport, Hunt, InputReport, SightingSummary, StoredSighting } from './model.js'
import * as store from './store.js'

export interface HuntDeps {
  db: Db
  clock: Clock
  audit: Audit
  customers: Customers
  intel: Intel
  inventory: Inventory
  jobs: Pick<Jobs, 'enqueue'>
  /** Uploaded logs wait here for their job. */
  dataDir: string
}

/** The job that hunts an uploaded log. */
export const logHuntJob = 'hunt.logs'

/** What a queued log hunt's job carries. */
export interface QueuedLogHunt {
  huntId: string
  path: string
  name: string
  format?: LogFormat | undefined
  fields?: JsonFields | undefined
  customerId: string | null
}

export type HuntService = ReturnType<typeof createHunt>

/** A log to hunt: a file on disk (hunted on all cores when plain), or a stream (standard input, an upload). */
export type LogInput = { name: string; path: string } | { name: string; bytes: AsyncIterable<Buffer> }

export interface LogHuntRequest {
  inputs: LogInput[]
  format?: LogFormat | undefined
  fields?: JsonFields | undefined
  /** The customer whose logs these are (id, external ref or name): sightings without a better attribution go to it. */
  customer?: string | undefined
  workers?: number | undefined
  onProgress?: ((progress: HuntProgress & { input: string }) => void) | undefined
}

export interface FileHuntRequest extends Omit<WalkOptions, 'onSkipped'> {
  roots: string[]
  customer?: string | undefined
  /** The endpoint swept (id, identifier or hostname), when the sweep runs on one. */
  endpoint?: string | undefined
  threads?: number | undefined
  onProgress?: ((progress: SweepProgress) => void) | undefined
}

const suspiciousListed = 1_000

/** Hunts without a customer, and customers' networks, are the provider's business. */
function requireAll(scope: TenantScope): void {
  if (!scope.all) throw new AppError('forbidden', 'name the customer this hunt is for')
}

export function createHunt({ db, clock, audit, customers, intel, inventory, jobs, dataDir }: HuntDeps) {
  /** Every indicator Cordon holds, a page at a time. */
  async function allIndicators(): Promise<Indicator[]> {
    const all: Indicator[] = []
    for (let cursor: string | undefined; ; ) {
      const page = await intel.listIndicators({ limit: 500, cursor })
      all.push(...page.items)
      if (!page.nextCursor) return all
      cursor = page.nextCursor
    }
  }

  async function customerOf(scope: TenantScope, reference: string | undefined): Promise<string | null> {
    if (reference === undefined) return null
    return (await customers.resolve(scope, reference)).id
  }

  async function start(actor: Actor, kind: Hunt['kind'], customerId: string | null, inputs: string[], queued?: Omit<QueuedLogHunt, 'huntId'>): Promise<{ id: string; startedAt: string }> {
    const id = newId()
    const startedAt = clock.now().toISOString()
    await db.transaction().execute(async (trx) => {
      await store.insertHunt(trx, { id, kind, status: queued ? 'queued' : 'running', customerId, actorId: actor.id, inputs, startedAt })
      await audit.record(trx, actor, { action: `hunt.${kind}.${queued ? 'queued' : 'started'}`, targetType: 'hunt', targetId: id, details: { inputs: inputs.slice(0, 50), customerId } })
      if (queued) await jobs.enqueue({ type: logHuntJob, payload: { huntId: id, ...queued } satisfies QueuedLogHunt, key: `hunt:${id}` }, trx)
    })
    return { id, startedAt }
  }

  /**
   * Takes an uploaded log (streamed to disk, flushed, before anything is acknowledged) and queues its
   * hunt as a job; the hunt's id is the handle for its results.
   */
  async function queueLogHunt(actor: Actor, upload: { name: string; bytes: AsyncIterable<Buffer>; format?: LogFormat | undefined; fields?: JsonFields | undefined; customer?: string | undefined }): Promise<Hunt> {
    const customerId = await customerOf(actor.scope, upload.customer)
    if (customerId === null) requireAll(actor.scope)
    const dir = join(dataDir, 'uploads')
    await mkdir(dir, { recursive: true })
    const path = join(dir, `hunt-${newId()}.log`)
    try {
      await pipeline(upload.bytes, createWriteStream(path, { flush: true }))
    } catch (error) {
      await rm(path, { force: true })
      throw new AppError('invalid', `${upload.name}: the upload did not arrive whole (${error instanceof Error ? error.message : String(error)})`, { cause: error })
    }
    const { id } = await start(actor, 'logs', customerId, [upload.name], { path, name: upload.name, format: upload.format, fields: upload.fields, customerId })
    return (await store.findHunt(db, actor.scope, id))!
  }

  /**
   * The job of a queued log hunt. A retry (the worker died mid-hunt) starts the hunt over: the
   * sightings of the earlier attempt are removed first, so they are never counted twice.
   */
  async function runQueued(job: QueuedLogHunt): Promise<void> {
    const hunt = await store.findHunt(db, systemActor.scope, job.huntId)
    if (!hunt || hunt.status === 'done' || hunt.status === 'failed') return
    await store.restartHunt(db, job.huntId)
    const actor: Actor = { ...systemActor, id: hunt.actorId, label: hunt.actorId }
    try {
      await runLogHunt(actor, job.huntId, job.customerId, { inputs: [{ name: job.name, path: job.path }], format: job.format, fields: job.fields, workers: 1 })
    } finally {
      await rm(job.path, { force: true })
    }
  }

  async function finish(actor: Actor, id: string, kind: Hunt['kind'], report: Hunt['report'], error: string | null): Promise<Hunt> {
    const status = error === null ? 'done' : 'failed'
    await db.transaction().execute(async (trx) => {
      await store.finishHunt(trx, id, { status, finishedAt: clock.now().toISOString(), report, error })
      await audit.record(trx, actor, { action: `hunt.${kind}.finished`, targetType: 'hunt', targetId: id, details: { status, sightings: report?.sightings ?? 0, error } })
    })
    return (await store.findHunt(db, actor.scope, id))!
  }

  /**
   * Hunts logs for every indicator's domains, URLs and addresses. Each input is hunted in turn; one
   * that cannot be read (a corrupt gzip, a binary file) is reported and the others go on. Sightings
   * are stored as they are found; the hunt's report says what each input gave.
   */
  async function huntLogs(actor: Actor, request: LogHuntRequest): Promise<Hunt> {
    if (request.inputs.length === 0) throw new AppError('invalid', 'no logs to hunt', { problems: [{ field: 'inputs', message: 'give at least one file' }] })
    const customerId = await customerOf(actor.scope, request.customer)
    if (customerId === null) requireAll(actor.scope)
    const { id } = await start(actor, 'logs', customerId, request.inputs.map((i) => i.name))
    return runLogHunt(actor, id, customerId, request)
  }

  async function runLogHunt(actor: Actor, id: string, customerId: string | null, request: Omit<LogHuntRequest, 'customer'>): Promise<Hunt> {
    const matcher = new IndicatorMatcher((await allIndicators()).map((i): HuntIndicator => ({ id: i.id, kind: i.kind, value: i.value })))
    const attribution = await attributor(actor.scope, customerId)
    const reports: InputReport[] = []
    let sightings = 0
    let failure: string | null = null
    try {
      for (const input of request.inputs) {
        const options = {
          format: request.format,
          fields: request.fields,
          matcher,
          onProgress: request.onProgress && ((progress: HuntProgress) => request.onProgress!({ ...progress, input: input.name })),
        }
        const hunt = 'path' in input ? huntLogFile(input.path, { ...options, file: input.name, workers: request.workers }) : huntLog(input.bytes, { ...options, file: input.name })
        try {
          for (let next = await hunt.next(); ; next = await hunt.next()) {
            if (next.done) {
              reports.push({ input: input.name, ...next.value })
              break
            }
            sightings += next.value.length
            await store.insertSightings(db, await Promise.all(next.value.map((s) => fromLog(id, s, attribution))))
          }
        } catch (error) {
          if (!isAppError(error)) throw error
          reports.push({ input: input.name, error: error.message })
        }
      }
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error)
      await finish(actor, id, 'logs', summaryOf(reports, sightings), failure)
      throw error
    }
    return finish(actor, id, 'logs', summaryOf(reports, sightings), null)
  }

  function summaryOf(logs: InputReport[], sightings: number): Hunt['report'] {
    let bytes = 0
    let lines = 0
    for (const report of logs) {
      if (report.error === undefined) {
        bytes += report.bytes
        lines += report.lines
      }
    }
    return { logs, sightings, bytes, lines }
  }

  async function fromLog(huntId: string, sighting: Sighting, attribute: Attributor): Promise<store.SightingInsert> {
    const { customerId, endpointId } = await attribute(sighting.client)
    return {
      huntId,
      indicatorId: sighting.indicatorId,
      kind: sighting.kind,
      value: sighting.value,
      customerId,
      endpointId,
      file: sighting.file,
      line: sighting.line,
      seenAt: sighting.timestamp,
      client: sighting.client,
      sha256: null,
      detail: sighting.raw,
      createdAt: clock.now().toISOString(),
    }
  }

  type Attributor = (client: string | null) => Promise<{ customerId: string | null; endpointId: string | null }>

  /**
   * Who a log's client is: an address inside a customer's networks belongs to that customer; a name
   * is looked up among the endpoints (of the hunt's customer, when it has one). Otherwise the
   * sighting belongs to the hunt's customer, or to nobody yet.
   */
  async function attributor(scope: TenantScope, huntCustomer: string | null): Promise<Attributor> {
    const networks = await store.listNetworks(db, huntCustomer === null ? (scope.all ? null : scope.customerIds) : [huntCustomer])
    const lists = new Map<string, BlockList>()
    for (const { customerId, network } of networks) {
      let list = lists.get(customerId)
      if (!list) lists.set(customerId, (list = new BlockList()))
      const [address, prefix] = network.split('/') as [string, string]
      list.addSubnet(address, Number(prefix), isIP(address) === 6 ? 'ipv6' : 'ipv4')
    }
    const nameScope: TenantScope = huntCustomer === null ? scope : { all: false, customerIds: [huntCustomer] }
    const known = new Map<string, { customerId: string | null; endpointId: string | null }>()
    return async (client) => {
      if (client === null) return { customerId: huntCustomer, endpointId: null }
      let found = known.get(client)
      if (found) return found
      const family = isIP(client)
      if (family !== 0) {
        // An endpoint that reported the address; if several did (DHCP hands it on), the latest.
        const [endpoint] = await inventory.findEndpointsByAddress(nameScope, client)
        const type = family === 6 ? 'ipv6' : 'ipv4'
        const owner = [...lists].find(([, list]) => list.check(client, type))?.[0]
        found = endpoint ? { customerId: endpoint.customerId, endpointId: endpoint.id } : { customerId: owner ?? huntCustomer, endpointId: null }
      } else {
        const endpoints = await inventory.findEndpoints(nameScope, client)
        found = endpoints.length === 1 ? { customerId: endpoints[0]!.customerId, endpointId: endpoints[0]!.id } : { customerId: huntCustomer, endpointId: null }
      }
      if (known.size < 100_000) known.set(client, found)
      return found
    }
  }

  /** Sweeps directories for files with a known-bad hash and PE images with a tampered signature. */
  async function huntFiles(actor: Actor, request: FileHuntRequest): Promise<Hunt> {
    if (request.roots.length === 0) throw new AppError('invalid', 'no directories to sweep', { problems: [{ field: 'roots', message: 'give at least one directory' }] })
    const customerId = await customerOf(actor.scope, request.customer)
    if (customerId === null) requireAll(actor.scope)
    const endpoint = request.endpoint === undefined ? null : await inventory.getEndpoint(customerId === null ? actor.scope : { all: false, customerIds: [customerId] }, request.endpoint)
    const byHash = new Map<string, Indicator[]>()
    const hashes = { sha256: new Set<string>(), sha1: new Set<string>(), md5: new Set<string>() }
    for (const indicator of await allIndicators()) {
      if (indicator.kind !== 'sha256' && indicator.kind !== 'sha1' && indicator.kind !== 'md5') continue
      hashes[indicator.kind].add(indicator.value)
      const list = byHash.get(indicator.value)
      if (list) list.push(indicator)
      else byHash.set(indicator.value, [indicator])
    }
    const { id } = await start(actor, 'files', customerId ?? endpoint?.customerId ?? null, request.roots)
    const report: FileSweepReport = { roots: request.roots, files: 0, bytes: 0, matches: 0, problems: 0, problemSample: [], skipped: 0, pe: { inspected: 0, malformed: 0, withFindings: 0 }, suspicious: [] }
    let sightings = 0
    try {
      const sweep = sweepFiles(request.roots, {
        ...request,
        hashes: { sha256: hashes.sha256, sha1: hashes.sha1.size > 0 ? hashes.sha1 : undefined, md5: hashes.md5.size > 0 ? hashes.md5 : undefined },
        inspectPe: true,
        threads: request.threads,
        onProgress: request.onProgress,
      })
      for await (const result of sweep) {
        if (result.kind === 'summary') {
          Object.assign(report, { files: result.files, bytes: result.bytes, matches: result.matches, problems: result.problems, skipped: result.skipped, pe: result.pe })
          report.problemSample = result.problemSample.map((p) => ({ path: p.path, problem: p.problem }))
          continue
        }
        if (result.pe.length > 0 && report.suspicious.length < suspiciousListed) {
          report.suspicious.push({ path: result.path, sha256: result.sha256, findings: result.pe.map((f) => ({ kind: f.kind, explanation: f.explanation, offset: f.offset, length: f.length })) })
        }
        const rows: store.SightingInsert[] = []
        for (const match of result.matched) {
          for (const indicator of byHash.get(match.value) ?? []) {
            rows.push({
              huntId: id,
              indicatorId: indicator.id,
              kind: indicator.kind,
              value: match.value,
              customerId: customerId ?? endpoint?.customerId ?? null,
              endpointId: endpoint?.id ?? null,
              file: result.path,
              line: null,
              seenAt: null,
              client: null,
              sha256: result.sha256,
              detail: result.pe.length > 0 ? result.pe.map((f) => f.explanation).join('; ').slice(0, 512) : null,
              createdAt: clock.now().toISOString(),
            })
          }
        }
        sightings += rows.length
        await store.insertSightings(db, rows)
      }
    } catch (error) {
      await finish(actor, id, 'files', { files: report, sightings, bytes: report.bytes, lines: 0 }, error instanceof Error ? error.message : String(error))
      throw error
    }
    return finish(actor, id, 'files', { files: report, sightings, bytes: report.bytes, lines: 0 }, null)
  }

  async function getHunt(scope: TenantScope, id: string): Promise<Hunt> {
    const hunt = await store.findHunt(db, scope, id)
    if (!hunt) throw notFound('hunt', id)
    return hunt
  }

  async function listHunts(scope: TenantScope, request: Partial<PageRequest>): Promise<Page<Hunt>> {
    const limit = request.limit ?? defaultPageSize
    const after = request.cursor ? (decodeCursor(request.cursor, 2) as [string, string]) : undefined
    return toPage(await store.listHunts(db, scope, after, limit), limit, (h) => [h.startedAt, h.id])
  }

  async function listSightings(
    scope: TenantScope,
    request: Partial<PageRequest> & { huntId?: string | undefined; customerId?: string | undefined; indicatorId?: string | undefined },
  ): Promise<Page<StoredSighting>> {
    if (request.huntId !== undefined) await getHunt(scope, request.huntId)
    if (request.customerId !== undefined && !scope.all && !scope.customerIds.includes(request.customerId)) throw notFound('customer', request.customerId)
    const limit = request.limit ?? defaultPageSize
    const afterId = request.cursor ? decodeIntegerCursor(request.cursor) : undefined
    const rows = await store.listSightings(db, { scope, huntId: request.huntId, customerId: request.customerId, indicatorId: request.indicatorId, afterId, limit })
    return toPage(rows, limit, (s) => [s.id])
  }

  async function summary(scope: TenantScope, huntId?: string): Promise<SightingSummary> {
    if (huntId !== undefined) await getHunt(scope, huntId)
    return store.summarizeSightings(db, scope, huntId)
  }

  async function listNetworks(scope: TenantScope, customer: string): Promise<Array<{ network: string; label: string | null }>> {
    const { id } = await customers.resolve(scope, customer)
    return (await store.listNetworks(db, [id])).map(({ network, label }) => ({ network, label }))
  }

  /** Sets a customer's address ranges (CIDR; a bare address is a /32 or /128). */
  async function setNetworks(actor: Actor, customer: string, networks: ReadonlyArray<{ network: string; label?: string | null | undefined }>): Promise<Array<{ network: string; label: string | null }>> {
    requireAll(actor.scope)
    const { id } = await customers.resolve(actor.scope, customer)
    const problems: Array<{ field: string; message: string }> = []
    const tidy = new Map<string, { network: string; label: string | null }>()
    networks.forEach((entry, index) => {
      const network = canonicalNetwork(entry.network)
      if (network === undefined) problems.push({ field: `networks[${index}]`, message: `${JSON.stringify(String(entry.network).slice(0, 60))} is not an address range (CIDR)` })
      else tidy.set(network, { network, label: entry.label?.slice(0, 200) ?? null })
    })
    if (problems.length > 0) throw new AppError('invalid', 'invalid networks', { problems })
    await db.transaction().execute(async (trx) => {
      await store.replaceNetworks(trx, id, [...tidy.values()], clock.now().toISOString())
      await audit.record(trx, actor, { action: 'customer.networks.set', targetType: 'customer', targetId: id, details: { networks: [...tidy.keys()] } })
    })
    return listNetworks(actor.scope, id)
  }

  return { huntLogs, queueLogHunt, runQueued, huntFiles, getHunt, listHunts, listSightings, summary, listNetworks, setNetworks }
}

/** "10.1.2.0/24", "2001:db8::/32", or a bare address (a /32 or /128). Host bits past the prefix are allowed: matching masks them. */
export function canonicalNetwork(text: unknown): string | undefined {
  if (typeof text !== 'string') return undefined
  const [address, prefixText, ...rest] = text.trim().split('/')
  if (address === undefined || rest.length > 0) return undefined
  const family = isIP(address)
  if (family === 0) return undefined
  const max = family === 6 ? 128 : 32
  const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN
  if (!(prefix >= 0 && prefix <= max)) return undefined
  return `${address.toLowerCase()}/${prefix}`
}
