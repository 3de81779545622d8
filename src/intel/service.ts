import type { Audit } from '../audit/index.js'
import type { Db } from '../db/connect.js'
import type { Actor } from '../shared/actor.js'
import type { Clock } from '../shared/clock.js'
import { AppError, notFound } from '../shared/errors.js'
import { decodeCursor, defaultPageSize, toPage, type Page, type PageRequest } from '../shared/pagination.js'
import { bundledAdvisories } from './bundled.js'
import type { ImportOptions } from './importer.js'
import {
  advisorySourceKinds,
  confidences,
  importFormats,
  indicatorKinds,
  severities,
  type Advisory,
  type AdvisoryDetail,
  type AdvisorySourceKind,
  type AdvisoryTarget,
  type Confidence,
  type ImportReport,
  type Indicator,
  type IndicatorKind,
  type Severity,
} from './model.js'
import { defaultImportLimits, type ImportInput, type ImportLimits } from './readers/input.js'
import * as advisoryStore from './store/advisories.js'
import * as indicatorStore from './store/indicators.js'

export interface IntelDeps {
  db: Db
  clock: Clock
  audit: Audit
  /**
   * Called inside an import's transaction with the advisories it added, changed or withdrew, so
   * that what depends on them (exposure matching) commits with the import or not at all.
   */
  onAdvisoriesChanged?: ((trx: Db, advisoryIds: string[]) => Promise<void>) | undefined
  /** Tighter or looser limits on imported files (tests use small ones). */
  limits?: Partial<ImportLimits> | undefined
}

export interface AdvisoryListRequest extends Partial<PageRequest> {
  /** Case-insensitive text in the id, aliases, title, summary or product names. */
  search?: string | undefined
  severity?: Severity | undefined
  /** Where the advisories were imported from: a file name, or 'bundled'. */
  source?: string | undefined
  sourceKind?: AdvisorySourceKind | undefined
  includeWithdrawn?: boolean | undefined
}

export interface IndicatorListRequest extends Partial<PageRequest> {
  kind?: IndicatorKind | undefined
  advisoryId?: string | undefined
  confidence?: Confidence | undefined
  search?: string | undefined
}

export type Intel = ReturnType<typeof createIntel>

export function createIntel({ db, clock, audit, onAdvisoriesChanged, limits }: IntelDeps) {
  const importDeps = { db, clock, audit, onAdvisoriesChanged, limits: { ...defaultImportLimits, ...limits } }

  /**
   * Import one input (a file, a directory of OSV records, a zip, or uploaded bytes) in one
   * transaction with one audit record, and say what it did.
   */
  async function importFile(actor: Actor, input: ImportInput, options: Pick<ImportOptions, 'format' | 'onProgress'> = {}): Promise<ImportReport> {
    checkOneOf('format', options.format, importFormats)
    const { runImport } = await loadImporter()
    return runImport(importDeps, actor, input, options)
  }

  /**
   * Load the advisories that ship with Cordon (the 3CX DesktopApp compromise). Idempotent: a
   * bundled advisory already stored with the same content changes nothing and writes no audit record.
   */
  async function loadBundled(actor: Actor): Promise<ImportReport[]> {
    const reports: ImportReport[] = []
    for (const bundled of bundledAdvisories) {
      const stored = await advisoryStore.findVersions(db, [bundled.id])
      if (stored.get(bundled.id)?.contentHash === bundled.contentHash) continue
      const input = { name: bundled.name, buffer: Buffer.from(JSON.stringify(bundled.content)) }
      const { runImport } = await loadImporter()
      reports.push(await runImport(importDeps, actor, input, { format: 'cordon', source: 'bundled', auditUnchanged: false }))
    }
    return reports
  }

  /** Advisories, newest first (published, else modified), a page at a time. Withdrawn ones only when asked for. */
  async function listAdvisories(request: AdvisoryListRequest = {}): Promise<Page<Advisory>> {
    checkOneOf('severity', request.severity, severities)
    checkOneOf('sourceKind', request.sourceKind, advisorySourceKinds)
    const limit = request.limit ?? defaultPageSize
    const after = request.cursor ? (decodeCursor(request.cursor, 2) as [string, string]) : undefined
    const rows = await advisoryStore.listAdvisories(db, {
      search: request.search?.trim() || undefined,
      severity: request.severity,
      source: request.source,
      sourceKind: request.sourceKind,
      includeWithdrawn: request.includeWithdrawn ?? false,
      after,
      limit: limit + 1,
    })
    const page = toPage(rows, limit, (r) => [r.sortAt, r.id])
    return { items: page.items.map(toAdvisory), nextCursor: page.nextCursor }
  }

  /**
   * One advisory with what it affects, its remediation and how many indicators it has, by its id,
   * its own id (GHSA-…, CORDON-…) or an alias (a CVE id) that names only one advisory.
   */
  async function getAdvisory(reference: string): Promise<AdvisoryDetail> {
    const row = await resolveAdvisory(reference)
    const [targets, indicatorCount] = await Promise.all([advisoryStore.listTargetDetails(db, row.id), indicatorStore.countIndicators(db, row.id)])
    return { ...toAdvisory(row), details: row.details, references: row.references, remediation: row.remediation, targets, indicatorCount }
  }

  async function resolveAdvisory(reference: string): Promise<advisoryStore.AdvisoryRow> {
    const direct = await advisoryStore.findAdvisory(db, reference)
    if (direct) return direct
    const ids = await advisoryStore.findIdsByAlias(db, reference, 10)
    if (ids.length > 1) {
      const names = await Promise.all(ids.map(async (id) => (await advisoryStore.findAdvisory(db, id))?.externalId ?? id))
      throw new AppError('conflict', `${reference} is an alias of ${ids.length} advisories (${names.join(', ')}): name one of them`)
    }
    const only = ids[0] === undefined ? undefined : await advisoryStore.findAdvisory(db, ids[0])
    if (!only) throw notFound('advisory', reference)
    return only
  }

  /** Indicators, newest first, a page at a time. */
  async function listIndicators(request: IndicatorListRequest = {}): Promise<Page<Indicator>> {
    checkOneOf('kind', request.kind, indicatorKinds)
    checkOneOf('confidence', request.confidence, confidences)
    const limit = request.limit ?? defaultPageSize
    const after = request.cursor ? decodeCursor(request.cursor, 1)[0] : undefined
    const advisoryId = request.advisoryId ? (await resolveAdvisory(request.advisoryId)).id : undefined
    const rows = await indicatorStore.listIndicators(db, {
      kind: request.kind,
      advisoryId,
      confidence: request.confidence,
      search: request.search?.trim() || undefined,
      after,
      limit: limit + 1,
    })
    return toPage(rows, limit, (r) => [r.id])
  }

  /** The targets of every advisory that is not withdrawn: what exposure matching reads. */
  async function listTargets(executor: Db = db): Promise<AdvisoryTarget[]> {
    return advisoryStore.listTargets(executor)
  }

  /** The targets of these advisories (none for a withdrawn one). */
  async function targetsOf(advisoryIds: readonly string[], executor: Db = db): Promise<AdvisoryTarget[]> {
    if (advisoryIds.length === 0) return []
    return advisoryStore.listTargets(executor, advisoryIds)
  }

  return { importFile, loadBundled, listAdvisories, getAdvisory, listIndicators, listTargets, targetsOf }
}

/**
 * The importers and their parsers (csv-parse, yauzl, a streaming JSON tokenizer) load on first use:
 * every CLI command and server start builds this module, and few of them import anything.
 */
function loadImporter(): Promise<typeof import('./importer.js')> {
  return import('./importer.js')
}

/** The doors validate by schema; this keeps the CLI's free-text options to the same values. */
function checkOneOf(field: string, value: string | undefined, allowed: readonly string[]): void {
  if (value !== undefined && !allowed.includes(value)) {
    throw new AppError('invalid', `${field} must be one of: ${allowed.join(', ')}`, { problems: [{ field, message: `must be one of: ${allowed.join(', ')}` }] })
  }
}

function toAdvisory(row: advisoryStore.AdvisoryRow): Advisory {
  return {
    id: row.id,
    sourceKind: row.sourceKind,
    externalId: row.externalId,
    aliases: row.aliases,
    title: row.title,
    summary: row.summary,
    severity: row.severity,
    publishedAt: row.publishedAt,
    modifiedAt: row.modifiedAt,
    withdrawnAt: row.withdrawnAt,
    source: row.source,
    importedAt: row.importedAt,
    updatedAt: row.updatedAt,
  }
}
