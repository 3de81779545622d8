import { Readable } from 'node:stream'
import { createGunzip } from 'node:zlib'
import type { Audit } from '../audit/index.js'
import type { Customers } from '../customers/index.js'
import type { Db } from '../db/connect.js'
import type { Actor, TenantScope } from '../shared/actor.js'
import type { Clock } from '../shared/clock.js'
import { AppError, isAppError, notFound } from '../shared/errors.js'
import { newId } from '../shared/ids.js'
import { decodeCursor, decodeIntegerCursor, defaultPageSize, toPage, type Page, type PageRequest } from '../shared/pagination.js'
import { parseInput } from '../shared/validate.js'
import { productKey, tidyVersion, vendorKey } from '../versions/index.js'
import {
  catalogKey,
  identifierKey,
  ImportOptionsSchema,
  type CatalogEntry,
  type Endpoint,
  type EndpointKind,
  type ImportReport,
  type Installation,
  type InstallSource,
  type InventoryFormat,
  type Platform,
  type RejectedRow,
} from './model.js'
import { detectInventoryFormat, parserFor } from './parsers/index.js'
import type { HostFacts, HostRef, Observation, SoftwareItem } from './parsers/types.js'
import * as store from './store.js'

export interface InventoryDeps {
  db: Db
  clock: Clock
  audit: Audit
  customers: Customers
}

/** What an import changed, for modules that follow the inventory (exposure matching). */
export interface InventoryChange {
  importId: string
  /** Catalog entries this import created. */
  catalogAdded: number[]
}

/** Runs inside the import's transaction: a follower's writes commit (or roll back) with the import. */
export type ImportFollower = (trx: Db, change: InventoryChange) => Promise<void>

export interface ImportInput {
  /** The file's bytes (already decompressed). */
  bytes: AsyncIterable<Buffer>
  file: string
  format?: InventoryFormat | undefined
  customer?: string | undefined
  customerField?: string | undefined
  host?: string | undefined
  onProgress?: ((progress: { bytes: number; accepted: number; rejected: number }) => void) | undefined
}

export type Inventory = ReturnType<typeof createInventory>

/** Observations are written in batches of about this many installation rows. */
const batchRows = 20_000
/** Addresses kept per endpoint in one batch (a host with thousands of interfaces is not an endpoint). */
const maxAddresses = 64
/** Imports of at least this many rows refresh the query planner's statistics before findings are reconciled. */
const analyzeAfterRows = 100_000
/** Reports list this many rejected rows; the count covers them all. */
const reportedRejections = 1_000
/** Caches of names and catalog ids are dropped when they grow past this, to keep memory flat. */
const cacheLimit = 300_000
const maxField = 1_000

interface PendingHost {
  customerId: string
  identifier: string
  identifierKey: string
  kind: EndpointKind
  facts: HostFacts
  seenAt: string
}

interface PendingOp {
  kind: 'snapshot' | 'present' | 'added' | 'removed'
  line: number
  hostKey: string
  source: InstallSource
  at: string
  items: SoftwareItem[]
}

export function createInventory({ db, clock, audit, customers }: InventoryDeps) {
  const followers: ImportFollower[] = []

  /** Register a follower of every import (the composition root wires exposure matching here). */
  function followImports(follower: ImportFollower): void {
    followers.push(follower)
  }

  async function importInventory(actor: Actor, input: ImportInput): Promise<ImportReport> {
    const options = parseInput(ImportOptionsSchema, { format: input.format, customer: input.customer, customerField: input.customerField, host: input.host }, 'import options')
    const startedAt = clock.now()
    let bytes = 0
    let stream = await peek(countBytes(input.bytes, (n) => (bytes += n)))
    if (stream.head[0] === 0x1f && stream.head[1] === 0x8b) stream = await peek(gunzip(stream.all, input.file))
    const format = options.format ?? detectInventoryFormat(input.file, stream.head)
    const counted = stream.all

    return db.transaction().execute(async (trx) => {
      const importId = newId()
      const startedIso = startedAt.toISOString()
      await store.insertImport(trx, { id: importId, file: input.file, format, actorId: actor.id, startedAt: startedIso })
      const run = new ImportRun(trx, importId, input.file, startedIso, options.customer, customers, actor.scope, clock)
      const parse = parserFor(format)
      let lastProgress = 0
      try {
        for await (const observations of parse(counted, { file: input.file, customerField: options.customerField, customer: options.customer, host: options.host })) {
          for (const observation of observations) await run.take(observation)
          if (input.onProgress && Date.now() - lastProgress > 250) {
            lastProgress = Date.now()
            input.onProgress({ bytes, accepted: run.accepted, rejected: run.rejected })
          }
        }
        await run.finish()
      } catch (error) {
        await run.settle()
        throw error
      }
      // The planner's picture of installations predates this transaction; a large import changes it.
      if (run.accepted >= analyzeAfterRows) await store.refreshStatistics(trx)
      for (const follow of followers) await follow(trx, { importId, catalogAdded: run.catalogAdded })
      const finishedAt = clock.now()
      const report: ImportReport = {
        id: importId,
        file: input.file,
        format,
        startedAt: startedIso,
        finishedAt: finishedAt.toISOString(),
        durationMs: Math.max(0, finishedAt.getTime() - startedAt.getTime()),
        bytes,
        accepted: run.accepted,
        rejected: run.rejected,
        rejections: run.rejections,
        endpointsTouched: run.touched.size,
        endpointsCreated: run.endpointsCreated,
        catalogAdded: run.catalogAdded.length,
        installationsRemoved: run.removed,
      }
      await store.finishImport(trx, report)
      await audit.record(trx, actor, {
        action: 'inventory.imported',
        targetType: 'inventory_import',
        targetId: importId,
        details: { file: input.file, format, accepted: report.accepted, rejected: report.rejected, endpoints: report.endpointsTouched, catalogAdded: report.catalogAdded },
      })
      input.onProgress?.({ bytes, accepted: run.accepted, rejected: run.rejected })
      return report
    })
  }

  async function listEndpoints(
    scope: TenantScope,
    request: Partial<PageRequest> & { customerId?: string | undefined; search?: string | undefined; platform?: Platform | undefined },
  ): Promise<Page<Endpoint>> {
    const limit = request.limit ?? defaultPageSize
    const after = request.cursor ? (decodeCursor(request.cursor, 2) as [string, string]) : undefined
    const rows = await store.listEndpoints(db, { scope, customerId: request.customerId, search: request.search, platform: request.platform, after, limit })
    const page = toPage(rows, limit, (e) => [e.identifierKey, e.id])
    return { items: page.items.map(({ identifierKey: _key, ...endpoint }) => endpoint), nextCursor: page.nextCursor }
  }

  /** An endpoint by id, or by identifier or hostname when exactly one in scope has it. */
  async function getEndpoint(scope: TenantScope, reference: string): Promise<Endpoint> {
    const byId = await store.findEndpoint(db, scope, reference)
    if (byId) return byId
    const named = await store.findEndpointsByIdentifier(db, scope, identifierKey(reference))
    if (named.length === 1) return named[0]!
    if (named.length > 1) {
      throw new AppError('conflict', `${named.length} endpoints are called ${reference}; use an id`, { problems: named.map((e) => ({ field: 'endpoint', message: `${e.id} (customer ${e.customerId})` })) })
    }
    throw notFound('endpoint', reference)
  }

  /** Endpoints whose identifier or hostname is `name` (case-insensitive), in the scope; none, one or a few. */
  async function findEndpoints(scope: TenantScope, name: string): Promise<Endpoint[]> {
    return store.findEndpointsByIdentifier(db, scope, identifierKey(name))
  }

  /** Endpoints that reported `address` on an interface, in the scope, latest first. */
  async function findEndpointsByAddress(scope: TenantScope, address: string): Promise<Endpoint[]> {
    return store.findEndpointsByAddress(db, scope, address.toLowerCase())
  }

  async function listSoftware(scope: TenantScope, endpointId: string, request: Partial<PageRequest> & { includeRemoved?: boolean | undefined }): Promise<Page<Installation>> {
    const endpoint = await store.findEndpoint(db, scope, endpointId)
    if (!endpoint) throw notFound('endpoint', endpointId)
    const limit = request.limit ?? defaultPageSize
    const after = request.cursor ? decodeIntegerCursor(request.cursor) : undefined
    const rows = await store.listInstallations(db, { endpointId, includeRemoved: request.includeRemoved ?? false, after, limit })
    // A catalog entry seen by two sources is two rows; page on the catalog id, so never split them.
    return toPage(rows, limit, (i) => [String(i.catalogId)])
  }

  async function searchCatalog(request: Partial<PageRequest> & { search?: string | undefined; platform?: Platform | undefined }): Promise<Page<CatalogEntry>> {
    const limit = request.limit ?? defaultPageSize
    const after = request.cursor ? decodeIntegerCursor(request.cursor) : undefined
    const rows = await store.searchCatalog(db, { search: request.search, platform: request.platform, after, limit })
    return toPage(rows, limit, (e) => [String(e.id)])
  }

  async function getImport(id: string): Promise<ImportReport> {
    const found = await store.findImport(db, id)
    if (!found) throw notFound('inventory import', id)
    return found
  }

  async function listImports(request: Partial<PageRequest>): Promise<Page<ImportReport>> {
    const limit = request.limit ?? defaultPageSize
    const after = request.cursor ? (decodeCursor(request.cursor, 2) as [string, string]) : undefined
    const rows = await store.listImports(db, after, limit)
    return toPage(rows, limit, (r) => [r.startedAt, r.id])
  }

  /** The catalog, a page at a time in id order (matching reads it whole), or by ids or product keys. */
  const catalog = {
    page: (afterId: number, limit: number, executor: Db = db) => store.catalogPage(executor, afterId, limit),
    byIds: (ids: readonly number[], executor: Db = db) => store.catalogByIds(executor, ids),
    byProductKeys: (keys: readonly string[], executor: Db = db) => store.catalogByProductKeys(executor, keys),
  }

  return { importInventory, followImports, listEndpoints, getEndpoint, findEndpoints, findEndpointsByAddress, listSoftware, searchCatalog, getImport, listImports, catalog }
}

/** One import in progress: resolves customers, endpoints and catalog ids, and writes in batches. */
class ImportRun {
  accepted = 0
  rejected = 0
  removed = 0
  endpointsCreated = 0
  readonly rejections: RejectedRow[] = []
  readonly touched = new Set<string>()
  /** Endpoints this import created, and their sources already written by an earlier batch: a snapshot sweep has nothing to remove otherwise. */
  private readonly createdSeqs = new Set<number>()
  private readonly writtenSources = new Set<string>()
  readonly catalogAdded: number[] = []
  /** Whole-file snapshots (CSV, osqueryi): swept once the file is read. */
  private readonly presentScopes = new Map<string, store.SnapshotScope>()

  private hosts = new Map<string, PendingHost>()
  private ops: PendingOp[] = []
  private opKeys = new Set<string>()
  private snapshotKeys = new Set<string>()
  private pendingRows = 0

  private readonly customerIds = new Map<string, string | AppError>()
  private readonly knownHosts = new Map<string, string | null>()
  private endpointIds = new Map<string, { id: string; seq: number }>()
  private readonly catalogIds = new CatalogIdCache()
  private vendorKeys = new Map<string, string>()
  private productKeys = new Map<string, string>()

  constructor(
    private readonly trx: Db,
    private readonly importId: string,
    private readonly file: string,
    private readonly startedAt: string,
    private readonly defaultCustomer: string | undefined,
    private readonly customers: Customers,
    private readonly scope: TenantScope,
    private readonly clock: Clock,
  ) {}

  reject(line: number, reason: string): void {
    this.rejected += 1
    if (this.rejections.length < reportedRejections) this.rejections.push({ file: this.file, line, reason })
  }

  async take(observation: Observation): Promise<void> {
    if (observation.kind === 'rejected') return this.reject(observation.line, observation.reason)
    const at = observation.observedAt ?? this.startedAt
    const customerId = await this.customerFor(observation.host, observation.line)
    if (customerId === undefined) return
    const hostKey = `${customerId}\u001f${identifierKey(observation.host.identifier)}`
    this.noteHost(hostKey, customerId, observation.host, observation.kind === 'host' ? observation.facts : {}, at)
    if (observation.kind === 'host') {
      this.accepted += 1
      return
    }
    const opKey = `${hostKey}\u001f${observation.source}`
    // A second full snapshot of the same endpoint and source must see the first one written.
    if (this.opKeys.has(opKey) && (observation.kind === 'snapshot' || this.snapshotKeys.has(opKey))) {
      await this.flush()
      this.noteHost(hostKey, customerId, observation.host, {}, at)
    }
    const items = observation.items.filter((item) => this.usable(item, observation.line))
    this.opKeys.add(opKey)
    if (observation.kind === 'snapshot') this.snapshotKeys.add(opKey)
    this.ops.push({ kind: observation.kind, line: observation.line, hostKey, source: observation.source, at, items })
    this.pendingRows += items.length
    if (this.pendingRows >= batchRows) await this.flushWhenFree()
  }

  async finish(): Promise<void> {
    await this.flush()
    const scopes = [...this.presentScopes.values()]
    for (let i = 0; i < scopes.length; i += 5000) this.removed += await store.sweepSnapshots(this.trx, scopes.slice(i, i + 5000))
    const touched = [...this.touched]
    await store.addImportEndpoints(this.trx, this.importId, touched)
  }

  private usable(item: SoftwareItem, line: number): boolean {
    for (const [field, value] of [['vendor', item.vendor], ['product', item.product], ['version', item.version]] as const) {
      if (typeof value !== 'string') return this.refuse(line, `${field} is not text`)
      if (value.length > maxField) return this.refuse(line, `${field} is longer than ${maxField} characters`)
    }
    if (!item.product.trim()) return this.refuse(line, 'no product name')
    if (!tidyVersion(item.version)) return this.refuse(line, `no version for ${item.product}`)
    return true
  }

  private refuse(line: number, reason: string): false {
    this.reject(line, reason)
    return false
  }

  private async customerFor(host: HostRef, line: number): Promise<string | undefined> {
    const reference = host.customerRef?.trim() || this.defaultCustomer
    if (reference) {
      let resolved = this.customerIds.get(reference)
      if (resolved === undefined) {
        try {
          const customer = await this.customers.resolve(this.scope, reference, this.trx)
          resolved = customer.archivedAt ? new AppError('invalid', `customer ${customer.name} is archived`) : customer.id
        } catch (error) {
          if (!isAppError(error) || error.kind !== 'not_found') throw error
          resolved = new AppError('invalid', `no customer ${JSON.stringify(reference)}`)
        }
        this.customerIds.set(reference, resolved)
      }
      if (typeof resolved === 'string') return resolved
      this.reject(line, `${resolved.message} (host ${host.identifier})`)
      return undefined
    }
    // No customer named: a host already known under exactly one customer keeps it.
    const key = identifierKey(host.identifier)
    let known = this.knownHosts.get(key)
    if (known === undefined) {
      const found = await store.findEndpointsByIdentifier(this.trx, this.scope, key)
      const owners = new Set(found.filter((e) => e.identifier.trim().toLowerCase() === key).map((e) => e.customerId))
      known = owners.size === 1 ? [...owners][0]! : null
      if (this.knownHosts.size > cacheLimit) this.knownHosts.clear()
      this.knownHosts.set(key, known)
    }
    if (known) return known
    this.reject(line, `no customer for host ${host.identifier}: name one in the file (decoration or column) or with --customer`)
    return undefined
  }

  private noteHost(hostKey: string, customerId: string, host: HostRef, facts: HostFacts, at: string): void {
    const pending = this.hosts.get(hostKey)
    const hostname = facts.hostname ?? host.hostname
    if (pending) {
      const addresses = pending.facts.addresses && facts.addresses ? [...new Set([...pending.facts.addresses, ...facts.addresses])].slice(0, maxAddresses) : undefined
      pending.facts = { ...pending.facts, ...definedOnly({ ...facts, hostname }), ...(addresses && { addresses }) }
      if (at > pending.seenAt) pending.seenAt = at
      return
    }
    this.hosts.set(hostKey, {
      customerId,
      identifier: host.identifier.trim().slice(0, maxField),
      identifierKey: identifierKey(host.identifier).slice(0, maxField),
      kind: host.kind ?? 'host',
      facts: definedOnly({ ...facts, hostname }),
      seenAt: at,
    })
  }

  /** The batches handed to the writer so far; at most one is being written while the next fills. */
  private writing: Promise<void> = Promise.resolve()

  /** Writes the pending batch and every one before it. */
  private async flush(): Promise<void> {
    this.dispatch()
    await this.writing
  }

  /**
   * Hands the pending batch to the writer once the one in flight is written, and returns: the
   * parser reads the next batch while the database writes this one (they overlap on PostgreSQL).
   */
  private async flushWhenFree(): Promise<void> {
    await this.writing
    this.dispatch()
  }

  private dispatch(): void {
    if (this.hosts.size === 0 && this.ops.length === 0) return
    const { hosts, ops } = this
    this.hosts = new Map()
    this.ops = []
    this.opKeys = new Set()
    this.snapshotKeys = new Set()
    this.pendingRows = 0
    const written = this.writing.then(() => this.write(hosts, ops))
    written.catch(() => {}) // a failure is reported by the next flush, or dropped by settle() after another error
    this.writing = written
  }

  /** Waits for the batch in flight whatever its outcome: the transaction must not end under it. */
  async settle(): Promise<void> {
    await this.writing.catch(() => {})
  }

  private async write(hosts: ReadonlyMap<string, PendingHost>, ops: readonly PendingOp[]): Promise<void> {
    const now = this.clock.now().toISOString()
    const upserts: store.EndpointUpsert[] = [...hosts.values()].map((h) => ({
      id: newId(),
      customerId: h.customerId,
      kind: h.kind,
      identifier: h.identifier,
      identifierKey: h.identifierKey,
      hostname: clip(h.facts.hostname),
      platform: h.facts.platform ?? null,
      osName: clip(h.facts.osName),
      osVersion: clip(h.facts.osVersion),
      hardwareSerial: clip(h.facts.hardwareSerial),
      hardwareUuid: clip(h.facts.hardwareUuid),
      seenAt: h.seenAt,
      now,
    }))
    if (this.endpointIds.size > cacheLimit) this.endpointIds = new Map()
    const addressed = [...hosts.values()].filter((h) => h.facts.addresses !== undefined)
    for (let i = 0; i < upserts.length; i += 500) {
      for (const row of await store.upsertEndpoints(this.trx, upserts.slice(i, i + 500))) {
        this.endpointIds.set(`${row.customerId}\u001f${row.identifierKey}`, { id: row.id, seq: row.seq })
        this.touched.add(row.id)
        if (row.created) {
          this.endpointsCreated += 1
          this.createdSeqs.add(row.seq)
        }
      }
    }

    const addresses = addressed.flatMap((h) => {
      const endpoint = this.endpointIds.get(`${h.customerId}\u001f${h.identifierKey}`)!
      return h.facts.addresses!.map((address) => ({ endpointId: endpoint.id, address, seenAt: h.seenAt }))
    })
    for (let i = 0; i < addresses.length; i += 1000) await store.upsertAddresses(this.trx, addresses.slice(i, i + 1000))
    const snapshotEndpoints = [...new Set(ops.filter((op) => op.kind === 'snapshot').map((op) => this.endpointIds.get(op.hostKey)!.id))]
    const latest = snapshotEndpoints.length > 0 ? await store.snapshotTimes(this.trx, snapshotEndpoints) : new Map<string, string>()
    const live: Array<PendingOp & { endpointId: string; endpointSeq: number }> = []
    for (const op of ops) {
      const { id: endpointId, seq: endpointSeq } = this.endpointIds.get(op.hostKey)!
      const previous = op.kind === 'snapshot' ? latest.get(`${endpointId}\u001f${op.source}`) : undefined
      if (previous !== undefined && previous > op.at) {
        this.reject(op.line, `snapshot of ${op.at} is older than the one already imported for this endpoint (${previous}); nothing from it was applied`)
        continue
      }
      live.push({ ...op, endpointId, endpointSeq })
    }

    const ids = await this.catalogIdsFor(live.flatMap((op) => op.items))
    let next = 0
    const seen: store.Sighting[] = []
    const removals: store.Sighting[] = []
    const sweeps: store.SnapshotScope[] = []
    const fresh: store.SnapshotScope[] = []
    for (const op of live) {
      for (let i = 0; i < op.items.length; i++) {
        const sighting = { endpointSeq: op.endpointSeq, catalogId: ids[next++]!, source: op.source, at: op.at }
        if (op.kind === 'removed') {
          removals.push(sighting)
          continue
        }
        seen.push(sighting)
      }
      this.accepted += op.items.length
      if (op.kind === 'snapshot') {
        const scope = { endpointId: op.endpointId, endpointSeq: op.endpointSeq, source: op.source, at: op.at }
        // A new endpoint's first write of a source holds exactly the snapshot: only its time is recorded.
        const sourceKey = `${op.endpointSeq}\u001f${op.source}`
        if (this.createdSeqs.has(op.endpointSeq) && !this.writtenSources.has(sourceKey)) fresh.push(scope)
        else sweeps.push(scope)
      }
      if (this.createdSeqs.has(op.endpointSeq)) this.writtenSources.add(`${op.endpointSeq}\u001f${op.source}`)
      if (op.kind === 'present') {
        const scopeKey = `${op.endpointId}\u001f${op.source}`
        const scope = this.presentScopes.get(scopeKey)
        if (!scope || scope.at < op.at) this.presentScopes.set(scopeKey, { endpointId: op.endpointId, endpointSeq: op.endpointSeq, source: op.source, at: op.at })
      }
    }
    // In catalog order, so the (catalog_id, endpoint) index is written front to back, not at random;
    // an installation seen twice in the batch is written once, with its latest time.
    seen.sort((a, b) => a.catalogId - b.catalogId || a.endpointSeq - b.endpointSeq || (a.source < b.source ? -1 : a.source > b.source ? 1 : 0) || (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
    const sightings: store.Sighting[] = []
    for (let i = 0; i < seen.length; i++) {
      const a = seen[i]!
      const b = seen[i + 1]
      if (b === undefined || b.catalogId !== a.catalogId || b.endpointSeq !== a.endpointSeq || b.source !== a.source) sightings.push(a)
    }
    for (let i = 0; i < sightings.length; i += 10_000) await store.upsertInstallations(this.trx, sightings.slice(i, i + 10_000))
    for (let i = 0; i < removals.length; i += 10_000) this.removed += await store.markRemoved(this.trx, removals.slice(i, i + 10_000))
    for (let i = 0; i < sweeps.length; i += 5000) this.removed += await store.sweepSnapshots(this.trx, sweeps.slice(i, i + 5000))
    await store.recordSnapshots(this.trx, fresh)
  }

  /** Catalog ids for items (in their order), creating entries the catalog lacks. */
  private async catalogIdsFor(items: readonly SoftwareItem[]): Promise<number[]> {
    const ids: number[] = new Array(items.length)
    const wanted = new Map<string, store.CatalogInsert>()
    const pending: Array<{ index: number; key: string }> = []
    if (this.catalogIds.size > cacheLimit) this.catalogIds.clear()
    for (let index = 0; index < items.length; index++) {
      const item = items[index]!
      const cached = this.catalogIds.get(item)
      if (cached !== undefined) {
        ids[index] = cached
        continue
      }
      const entry = this.entryFor(item)
      pending.push({ index, key: entry.key })
      if (!wanted.has(entry.key)) wanted.set(entry.key, entry)
    }
    if (wanted.size > 0) {
      const found = await store.findCatalogIds(this.trx, [...wanted.keys()])
      const missing = [...wanted.values()].filter((e) => !found.has(e.key))
      if (missing.length > 0) {
        const created = await store.insertCatalog(this.trx, missing, this.clock.now().toISOString())
        for (const [key, id] of created) {
          found.set(key, id)
          this.catalogAdded.push(id)
        }
        const raced = missing.filter((e) => !found.has(e.key)).map((e) => e.key)
        if (raced.length > 0) for (const [key, id] of await store.findCatalogIds(this.trx, raced)) found.set(key, id)
      }
      for (const { index, key } of pending) {
        const id = found.get(key)!
        this.catalogIds.set(items[index]!, id)
        ids[index] = id
      }
    }
    return ids
  }

  private entryFor(item: SoftwareItem): store.CatalogInsert {
    const vendor = item.vendor.trim().replace(/\s+/g, ' ')
    const product = item.product.trim().replace(/\s+/g, ' ')
    const version = tidyVersion(item.version)
    const entry = {
      vendor,
      vendorKey: this.cachedKey(this.vendorKeys, vendor, vendorKey),
      product,
      productKey: this.cachedKey(this.productKeys, product, productKey),
      version,
      platform: item.platform,
      ecosystem: item.ecosystem,
      sourceKey: item.sourcePackage ? this.cachedKey(this.productKeys, item.sourcePackage.trim(), productKey) : null,
      purl: item.purl,
      cpe: item.cpe,
    }
    return { ...entry, key: catalogKey(entry) }
  }

  private cachedKey(cache: Map<string, string>, text: string, keyOf: (text: string) => string): string {
    let key = cache.get(text)
    if (key === undefined) {
      if (cache.size > cacheLimit) cache.clear()
      key = keyOf(text)
      cache.set(text, key)
    }
    return key
  }
}

/**
 * Catalog ids by the item's raw fields, looked up product → version → (vendor, platform,
 * ecosystem): map lookups on the strings the parser made, no key built per item.
 */
class CatalogIdCache {
  private byProduct = new Map<string, Map<string, Array<{ vendor: string; platform: string; ecosystem: string | null; id: number }>>>()
  size = 0

  get(item: SoftwareItem): number | undefined {
    const candidates = this.byProduct.get(item.product)?.get(item.version)
    if (candidates === undefined) return undefined
    for (const c of candidates) if (c.vendor === item.vendor && c.platform === item.platform && c.ecosystem === item.ecosystem) return c.id
    return undefined
  }

  set(item: SoftwareItem, id: number): void {
    let versions = this.byProduct.get(item.product)
    if (versions === undefined) this.byProduct.set(item.product, (versions = new Map()))
    const candidates = versions.get(item.version)
    const entry = { vendor: item.vendor, platform: item.platform, ecosystem: item.ecosystem, id }
    if (candidates === undefined) versions.set(item.version, [entry])
    else candidates.push(entry)
    this.size++
  }

  clear(): void {
    this.byProduct = new Map()
    this.size = 0
  }
}

/** The first bytes (for format detection), and the whole stream including them. */
async function peek(source: AsyncIterable<Buffer>): Promise<{ head: Buffer; all: AsyncIterable<Buffer> }> {
  const iterator = source[Symbol.asyncIterator]()
  const head: Buffer[] = []
  let size = 0
  while (size < 64 * 1024) {
    const next = await iterator.next()
    if (next.done) break
    head.push(next.value)
    size += next.value.length
  }
  const all = (async function* () {
    yield* head
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value
  })()
  return { head: Buffer.concat(head), all }
}

async function* countBytes(source: AsyncIterable<Buffer>, count: (n: number) => void): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    count(chunk.length)
    yield chunk
  }
}

/** gzip-compressed input, read transparently; a corrupt stream is an error naming the file. */
async function* gunzip(source: AsyncIterable<Buffer>, file: string): AsyncGenerator<Buffer> {
  const stream = Readable.from(source).pipe(createGunzip())
  try {
    for await (const chunk of stream) yield chunk as Buffer
  } catch (error) {
    throw new AppError('invalid', `${file}: not a readable gzip stream (${(error as Error).message})`, { cause: error, problems: [{ field: file, message: 'corrupt gzip data' }] })
  }
}

function definedOnly(facts: HostFacts): HostFacts {
  return Object.fromEntries(Object.entries(facts).filter(([, value]) => value !== undefined && value !== null && value !== '')) as HostFacts
}

function clip(value: string | undefined): string | null {
  return value === undefined ? null : value.slice(0, maxField)
}
