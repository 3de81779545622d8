import type { Audit } from '../audit/index.js'
import type { Db } from '../db/connect.js'
import type { AdvisoryTarget, Intel } from '../intel/index.js'
import type { CatalogEntry, Inventory, InventoryChange } from '../inventory/index.js'
import { systemActor, type Actor, type TenantScope } from '../shared/actor.js'
import type { Clock } from '../shared/clock.js'
import { AppError, notFound } from '../shared/errors.js'
import { decodeIntegerCursor, defaultPageSize, toPage, type Page, type PageRequest } from '../shared/pagination.js'
import { parseInput } from '../shared/validate.js'
import { targetMatches, TriageSchema, type AdvisoryExposure, type Finding, type FindingEvent, type FindingStatus } from './model.js'
import * as store from './store.js'

export interface ExposureDeps {
  db: Db
  clock: Clock
  audit: Audit
  inventory: Inventory
  intel: Intel
}

export type Exposure = ReturnType<typeof createExposure>

export interface RematchReport {
  advisories: number
  catalogEntries: number
  matches: number
  added: number
  removed: number
  opened: number
  resolved: number
  reopened: number
  durationMs: number
}

/** Targets grouped by product key: the one lookup matching does per catalog entry. */
function indexTargets(targets: readonly AdvisoryTarget[]): Map<string, AdvisoryTarget[]> {
  const byProduct = new Map<string, AdvisoryTarget[]>()
  for (const target of targets) {
    const list = byProduct.get(target.productKey)
    if (list) list.push(target)
    else byProduct.set(target.productKey, [target])
  }
  return byProduct
}

function matchEntries(entries: readonly CatalogEntry[], byProduct: Map<string, AdvisoryTarget[]>, into: Map<string, store.MatchPair>): void {
  for (const entry of entries) {
    for (const key of entry.sourceKey && entry.sourceKey !== entry.productKey ? [entry.productKey, entry.sourceKey] : [entry.productKey]) {
      for (const target of byProduct.get(key) ?? []) {
        if (targetMatches(target, entry)) into.set(`${target.advisoryId}\u001f${entry.id}`, { advisoryId: target.advisoryId, catalogId: entry.id })
      }
    }
  }
}

export function createExposure({ db, clock, audit, inventory, intel }: ExposureDeps) {
  /** An import added catalog entries and changed installations: match the new entries, then reconcile its endpoints' findings. */
  async function followImport(trx: Db, change: InventoryChange): Promise<void> {
    const now = clock.now().toISOString()
    if (change.catalogAdded.length > 0) {
      const byProduct = indexTargets(await intel.listTargets(trx))
      if (byProduct.size > 0) {
        const pairs = new Map<string, store.MatchPair>()
        for (let i = 0; i < change.catalogAdded.length; i += 5000) {
          const entries = await inventory.catalog.byIds(change.catalogAdded.slice(i, i + 5000), trx)
          matchEntries(entries, byProduct, pairs)
        }
        await store.insertMatches(trx, [...pairs.values()], now)
      }
    }
    await store.reconcile(trx, { importId: change.importId }, now)
  }

  /** Advisories were added, changed or withdrawn: re-match them against the catalog and reconcile their findings. */
  async function followAdvisories(trx: Db, advisoryIds: string[]): Promise<void> {
    if (advisoryIds.length === 0) return
    const now = clock.now().toISOString()
    const targets = await intel.targetsOf(advisoryIds, trx)
    const byProduct = indexTargets(targets)
    const wanted = new Map<string, store.MatchPair>()
    const keys = [...byProduct.keys()]
    for (let i = 0; i < keys.length; i += 2000) matchEntries(await inventory.catalog.byProductKeys(keys.slice(i, i + 2000), trx), byProduct, wanted)
    const existing = await store.matchesOf(trx, advisoryIds)
    const stale = existing.filter((p) => !wanted.has(`${p.advisoryId}\u001f${p.catalogId}`))
    const have = new Set(existing.map((p) => `${p.advisoryId}\u001f${p.catalogId}`))
    await store.insertMatches(trx, [...wanted.entries()].filter(([key]) => !have.has(key)).map(([, pair]) => pair), now)
    await store.deleteMatches(trx, stale)
    await store.reconcile(trx, { advisoryIds }, now)
  }

  /** Match every advisory against the whole catalog again (after a matching rule changed, say). */
  async function rematchAll(actor: Actor): Promise<RematchReport> {
    const started = Date.now()
    return db.transaction().execute(async (trx) => {
      const now = clock.now().toISOString()
      const targets = await intel.listTargets(trx)
      const byProduct = indexTargets(targets)
      const wanted = new Map<string, store.MatchPair>()
      let catalogEntries = 0
      for (let after = 0; ; ) {
        const page = await inventory.catalog.page(after, 20_000, trx)
        if (page.length === 0) break
        catalogEntries += page.length
        matchEntries(page, byProduct, wanted)
        after = page[page.length - 1]!.id
      }
      const existing = await store.matchesOf(trx, 'all')
      const have = new Set(existing.map((p) => `${p.advisoryId}\u001f${p.catalogId}`))
      const added = [...wanted.entries()].filter(([key]) => !have.has(key)).map(([, pair]) => pair)
      const removed = existing.filter((p) => !wanted.has(`${p.advisoryId}\u001f${p.catalogId}`))
      await store.insertMatches(trx, added, now)
      await store.deleteMatches(trx, removed)
      const changed = [...new Set([...added, ...removed].map((p) => p.advisoryId))]
      const transitions = changed.length > 0 ? await store.reconcile(trx, { advisoryIds: changed }, now) : { opened: 0, resolved: 0, reopened: 0 }
      const report: RematchReport = {
        advisories: new Set(targets.map((t) => t.advisoryId)).size,
        catalogEntries,
        matches: wanted.size,
        added: added.length,
        removed: removed.length,
        ...transitions,
        durationMs: Date.now() - started,
      }
      await audit.record(trx, actor, { action: 'exposure.rematched', targetType: 'exposure', targetId: 'all', details: { ...report } })
      return report
    })
  }

  /** Per customer, the endpoints with open findings for one advisory. */
  async function exposureOf(scope: TenantScope, advisoryId: string): Promise<AdvisoryExposure> {
    const advisory = await intel.getAdvisory(advisoryId)
    const rows = await store.exposureRows(db, scope, advisory.id)
    const customers = new Map<string, AdvisoryExposure['customers'][number]>()
    for (const row of rows) {
      let customer = customers.get(row.customer_id)
      if (!customer) {
        customer = { id: row.customer_id, name: row.customer_name, openFindings: 0, endpoints: [] }
        customers.set(row.customer_id, customer)
      }
      customer.openFindings += 1
      customer.endpoints.push({ id: row.endpoint_id, hostname: row.hostname, identifier: row.identifier, product: row.product, version: row.version, platform: row.platform })
    }
    return { advisory: advisory.id, customers: [...customers.values()] }
  }

  async function listFindings(
    scope: TenantScope,
    request: Partial<PageRequest> & { advisoryId?: string | undefined; customerId?: string | undefined; endpointId?: string | undefined; status?: FindingStatus[] | undefined },
  ): Promise<Page<Finding>> {
    if (request.customerId && !scope.all && !scope.customerIds.includes(request.customerId)) throw notFound('customer', request.customerId)
    const limit = request.limit ?? defaultPageSize
    const afterId = request.cursor ? decodeIntegerCursor(request.cursor) : undefined
    const rows = await store.listFindings(db, {
      scope,
      advisoryId: request.advisoryId,
      customerIds: request.customerId ? [request.customerId] : undefined,
      endpointId: request.endpointId,
      statuses: request.status,
      afterId,
      limit,
    })
    return toPage(rows, limit, (f) => [f.id])
  }

  async function getFinding(scope: TenantScope, id: string): Promise<Finding & { events: FindingEvent[] }> {
    const numeric = Number(id)
    const finding = Number.isSafeInteger(numeric) && numeric > 0 ? await store.findFinding(db, scope, numeric) : undefined
    if (!finding) throw notFound('finding', id)
    return { ...finding, events: await store.findingEvents(db, numeric) }
  }

  /** Accept a risk until a date, mark a false positive, or undo either; audited. */
  async function triage(actor: Actor, id: string, input: unknown): Promise<Finding> {
    const data = parseInput(TriageSchema, input, 'triage')
    const now = clock.now()
    if (data.status === 'accepted') {
      if (!data.until) throw new AppError('invalid', 'an accepted risk needs an expiry', { problems: [{ field: 'until', message: 'required when status is accepted' }] })
      if (new Date(data.until).getTime() <= now.getTime()) throw new AppError('invalid', 'the acceptance must expire in the future', { problems: [{ field: 'until', message: 'must be in the future' }] })
    }
    if (data.status !== 'open' && !data.reason) throw new AppError('invalid', `a reason is required for ${data.status}`, { problems: [{ field: 'reason', message: 'required' }] })
    const numeric = Number(id)
    if (!Number.isSafeInteger(numeric) || numeric <= 0) throw notFound('finding', id)
    return db.transaction().execute(async (trx) => {
      const finding = await store.findFinding(trx, actor.scope, numeric)
      if (!finding) throw notFound('finding', id)
      if (finding.status === 'resolved') throw new AppError('conflict', `finding ${id} is resolved: the software is gone; nothing to triage`)
      const iso = now.toISOString()
      const until = data.status === 'accepted' ? new Date(data.until!).toISOString() : null
      await store.setTriage(trx, numeric, {
        status: data.status,
        reason: data.status === 'open' ? null : data.reason!,
        acceptedUntil: until,
        triagedBy: data.status === 'open' ? null : actor.id,
        triagedAt: data.status === 'open' ? null : iso,
        now: iso,
      })
      await store.insertEvents(trx, [{ findingId: numeric, event: data.status === 'open' ? 'triage_undone' : data.status, detail: { by: actor.id, reason: data.reason ?? null, until } }], iso)
      await audit.record(trx, actor, {
        action: `finding.${data.status === 'open' ? 'reopened' : data.status}`,
        targetType: 'finding',
        targetId: id,
        customerId: finding.customerId,
        details: { reason: data.reason ?? null, until, previous: finding.status },
      })
      return (await store.findFinding(trx, actor.scope, numeric))!
    })
  }

  /** Accepted risks past their expiry are open again (the `exposure.expire-acceptances` job). */
  async function expireAcceptances(): Promise<number> {
    return db.transaction().execute(async (trx) => {
      const now = clock.now().toISOString()
      const expired = await store.expiredAcceptances(trx, now, 1000)
      for (const finding of expired) {
        await store.setTriage(trx, finding.id, { status: 'open', reason: null, acceptedUntil: null, triagedBy: null, triagedAt: null, now })
        await audit.record(trx, systemActor, { action: 'finding.acceptance_expired', targetType: 'finding', targetId: String(finding.id), customerId: finding.customerId, details: {} })
      }
      await store.insertEvents(trx, expired.map((f) => ({ findingId: f.id, event: 'acceptance_expired', detail: {} })), now)
      return expired.length
    })
  }

  async function summary(scope: TenantScope, advisoryIds: string[] | null) {
    return store.advisorySummary(db, scope, advisoryIds)
  }

  return { followImport, followAdvisories, rematchAll, exposureOf, listFindings, getFinding, triage, expireAcceptances, summary }
}
