import type { Db } from '../db/connect.js'
import { newId } from '../shared/ids.js'
import { productKey, vendorKey } from '../versions/index.js'
import type { ParsedAdvisory, ParsedIndicator } from './formats/parsed.js'
import type { ImportProblem, ImportReport, Indicator } from './model.js'
import * as advisoryStore from './store/advisories.js'
import * as indicatorStore from './store/indicators.js'

/**
 * Writes what an import reads, inside the import's transaction, in batches: advisories are
 * added, replaced by a newer version, or left alone; indicators are added, updated or left
 * alone. It keeps the report's counts and remembers which advisories changed.
 */

const advisoryBatch = 100
const indicatorBatch = 500
/** Problems listed in a report; the counts go on. */
const listedProblems = 1000

interface PendingAdvisory {
  advisory: ParsedAdvisory
  where: Omit<ImportProblem, 'reason'>
}

export type ImportCounts = Pick<ImportReport, 'advisories' | 'indicators' | 'rejected' | 'rejectedCount' | 'unusable' | 'unusableCount'>

export class ImportWriter {
  readonly counts: ImportCounts = {
    advisories: { added: 0, updated: 0, unchanged: 0, withdrawn: 0 },
    indicators: { added: 0, updated: 0, unchanged: 0 },
    rejected: [],
    rejectedCount: 0,
    unusable: [],
    unusableCount: 0,
  }
  /** Advisories added, changed or withdrawn by this import. */
  readonly changedAdvisoryIds: string[] = []
  private pendingAdvisories: PendingAdvisory[] = []
  private pendingIndicators: ParsedIndicator[] = []

  constructor(
    private readonly trx: Db,
    private readonly now: string,
    /** Where the advisories came from: the file's name, or 'bundled'. */
    private readonly source: string,
  ) {}

  reject(problem: ImportProblem): void {
    this.counts.rejectedCount += 1
    if (this.counts.rejected.length < listedProblems) this.counts.rejected.push(problem)
  }

  unusable(problem: ImportProblem): void {
    this.counts.unusableCount += 1
    if (this.counts.unusable.length < listedProblems) this.counts.unusable.push(problem)
  }

  get hasChanges(): boolean {
    const { advisories, indicators } = this.counts
    return advisories.added + advisories.updated + advisories.withdrawn + indicators.added + indicators.updated > 0
  }

  async addAdvisory(advisory: ParsedAdvisory, where: Omit<ImportProblem, 'reason'>): Promise<void> {
    // The same id twice in one file: the first must be written before the second is compared with it.
    if (this.pendingAdvisories.some((p) => p.advisory.externalId === advisory.externalId)) await this.flushAdvisories()
    this.pendingAdvisories.push({ advisory, where })
    if (this.pendingAdvisories.length >= advisoryBatch) await this.flushAdvisories()
  }

  async addIndicators(indicators: readonly ParsedIndicator[]): Promise<void> {
    this.pendingIndicators.push(...indicators)
    if (this.pendingIndicators.length >= indicatorBatch) await this.flushIndicators()
  }

  async flush(): Promise<void> {
    await this.flushAdvisories()
    await this.flushIndicators()
  }

  private async flushAdvisories(): Promise<void> {
    const batch = this.pendingAdvisories.splice(0)
    if (batch.length === 0) return
    const stored = await advisoryStore.findVersions(this.trx, batch.map((p) => p.advisory.externalId))
    const inserts: advisoryStore.AdvisoryRow[] = []
    const replaced: string[] = []
    const targets: advisoryStore.TargetRow[] = []
    const withIndicators: Array<{ id: string; advisory: ParsedAdvisory; isNew: boolean }> = []

    for (const { advisory, where } of batch) {
      const existing = stored.get(advisory.externalId)
      if (existing && existing.sourceKind !== advisory.sourceKind) {
        this.reject({ ...where, reason: `${advisory.externalId} was already imported from ${existing.sourceKind === 'osv' ? 'an OSV' : 'a Cordon'} advisory; ids must be unique across formats` })
        continue
      }
      if (existing && (existing.contentHash === advisory.contentHash || isNotNewer(advisory.modifiedAt, existing.modifiedAt))) {
        this.counts.advisories.unchanged += 1
        continue
      }
      const id = existing?.id ?? newId()
      const row = this.toRow(id, advisory)
      if (existing) {
        await advisoryStore.updateAdvisory(this.trx, row)
        replaced.push(id)
      } else {
        inserts.push(row)
      }
      advisory.targets.forEach((target, position) => {
        targets.push({ ...target, id: newId(), advisoryId: id, position, vendorKey: vendorKey(target.vendor), productKey: productKey(target.product) })
      })
      const becameWithdrawn = advisory.withdrawnAt !== null && (!existing || existing.withdrawnAt === null)
      if (becameWithdrawn) this.counts.advisories.withdrawn += 1
      else if (existing) this.counts.advisories.updated += 1
      else this.counts.advisories.added += 1
      this.changedAdvisoryIds.push(id)
      if (advisory.sourceKind === 'cordon') withIndicators.push({ id, advisory, isNew: !existing })
    }

    await advisoryStore.insertAdvisories(this.trx, inserts)
    await advisoryStore.deleteTargets(this.trx, replaced)
    await advisoryStore.insertTargets(this.trx, targets)
    for (const { id, advisory, isNew } of withIndicators) {
      const kept = await this.upsertIndicators(advisory.indicators, id)
      // A new version of an advisory replaces its list of indicators.
      if (!isNew) await indicatorStore.deleteAdvisoryIndicatorsExcept(this.trx, id, kept)
    }
  }

  private async flushIndicators(): Promise<void> {
    const batch = this.pendingIndicators.splice(0)
    if (batch.length > 0) await this.upsertIndicators(batch, null)
  }

  /** Add or update indicators (one per kind, value and source); returns the ids of all of them. */
  private async upsertIndicators(indicators: readonly ParsedIndicator[], advisoryId: string | null): Promise<string[]> {
    const bySource = new Map<string, Map<string, ParsedIndicator>>()
    for (const indicator of indicators) {
      const ofSource = bySource.get(indicator.source) ?? new Map<string, ParsedIndicator>()
      bySource.set(indicator.source, ofSource)
      const key = `${indicator.kind}\u0000${indicator.value}`
      // The same indicator twice in one batch: the first one counts, the repeat changes nothing.
      if (ofSource.has(key)) this.counts.indicators.unchanged += 1
      else ofSource.set(key, indicator)
    }
    const ids: string[] = []
    for (const [source, ofSource] of bySource) {
      const known = new Map(
        (await indicatorStore.findIndicators(this.trx, source, [...new Set([...ofSource.values()].map((i) => i.value))])).map((i) => [`${i.kind}\u0000${i.value}`, i]),
      )
      const inserts: Indicator[] = []
      for (const [key, parsed] of ofSource) {
        const existing = known.get(key)
        if (!existing) {
          const id = newId()
          inserts.push({ ...parsed, id, advisoryId, createdAt: this.now, updatedAt: this.now })
          ids.push(id)
          continue
        }
        ids.push(existing.id)
        const next: Indicator = { ...existing, ...parsed, id: existing.id, advisoryId: advisoryId ?? existing.advisoryId, createdAt: existing.createdAt, updatedAt: this.now }
        if (sameIndicator(existing, next)) {
          this.counts.indicators.unchanged += 1
        } else {
          await indicatorStore.updateIndicator(this.trx, next)
          this.counts.indicators.updated += 1
        }
      }
      await indicatorStore.insertIndicators(this.trx, inserts)
      this.counts.indicators.added += inserts.length
    }
    return ids
  }

  private toRow(id: string, advisory: ParsedAdvisory): advisoryStore.AdvisoryRow {
    const { targets, indicators: _indicators, contentHash, ...fields } = advisory
    const names = new Set(targets.flatMap((t) => [t.vendor, t.product]))
    const searchText = [advisory.externalId, ...advisory.aliases, advisory.title, advisory.summary, ...names]
      .join(' ')
      .normalize('NFKC')
      .toLowerCase()
      .replace(/\s+/g, ' ')
    return {
      ...fields,
      id,
      source: this.source,
      contentHash,
      searchText,
      sortAt: advisory.publishedAt ?? advisory.modifiedAt ?? this.now,
      importedAt: this.now,
      updatedAt: this.now,
    }
  }
}

/** An incoming version that is dated no later than the stored one changes nothing (OSV's rule for re-imports). */
function isNotNewer(incoming: string | null, stored: string | null): boolean {
  return incoming !== null && stored !== null && incoming <= stored
}

function sameIndicator(a: Indicator, b: Indicator): boolean {
  return (
    a.description === b.description &&
    a.confidence === b.confidence &&
    a.advisoryId === b.advisoryId &&
    a.validFrom === b.validFrom &&
    a.validUntil === b.validUntil &&
    JSON.stringify(a.tags) === JSON.stringify(b.tags)
  )
}
