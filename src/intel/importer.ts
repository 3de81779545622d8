import { basename } from 'node:path'
import type { Audit } from '../audit/index.js'
import type { Db } from '../db/connect.js'
import type { Actor } from '../shared/actor.js'
import type { Clock } from '../shared/clock.js'
import { newId } from '../shared/ids.js'
import { looksLikeCordon, readCordonAdvisory } from './formats/cordon.js'
import { readCsvIndicators } from './formats/csv.js'
import { looksLikeOsv, readOsvRecord } from './formats/osv.js'
import { isRecord, type ParsedAdvisory, type RecordReading } from './formats/parsed.js'
import { identityOf, looksLikeStix, readStixObject } from './formats/stix.js'
import { ImportWriter } from './import-writer.js'
import type { ImportFormat, ImportReport } from './model.js'
import { invalidFile, isDirectory, listJsonFiles, peekBytes, readBytes, type ImportInput, type ImportLimits } from './readers/input.js'
import { readJson, type JsonItem } from './readers/json.js'
import { looksLikeZip, readZipEntries } from './readers/zip.js'
import { lockImports } from './store/advisories.js'

/**
 * One import: work out what the input is, read it, and write what it holds in one transaction
 * with one audit record. A file that cannot be read is an `invalid` error and nothing is
 * written; a record or row that cannot be used is reported and the rest goes in.
 */

export interface ImportDeps {
  db: Db
  clock: Clock
  audit: Audit
  limits: ImportLimits
  onAdvisoriesChanged?: ((trx: Db, advisoryIds: string[]) => Promise<void>) | undefined
}

export interface ImportOptions {
  /** Skip detection: read the input as this format. */
  format?: ImportFormat | undefined
  /** Called now and then with the number of records read so far. */
  onProgress?: ((records: number) => void) | undefined
  /** The advisories' recorded source; the input's name by default. */
  source?: string | undefined
  /** Write an audit record even when nothing changed (the default; the bundled advisories skip it). */
  auditUnchanged?: boolean | undefined
}

type Container = 'json' | 'zip' | 'directory' | 'csv'

interface Plan {
  container: Container
  format: ImportFormat
  /** STIX identity id → name, read in a first pass over a bundle. */
  identities: Map<string, string>
}

const progressEvery = 500

export async function runImport(deps: ImportDeps, actor: Actor, input: ImportInput, options: ImportOptions = {}): Promise<ImportReport> {
  const started = performance.now()
  const plan = await planImport(deps.limits, input, options.format)
  const now = deps.clock.now().toISOString()
  const file = input.name
  return deps.db.transaction().execute(async (trx) => {
    await lockImports(trx)
    const writer = new ImportWriter(trx, now, options.source ?? basename(file))
    let records = 0
    const progress = () => {
      records += 1
      if (records % progressEvery === 0) options.onProgress?.(records)
    }
    const reader = new RecordReader(writer, plan, progress)
    switch (plan.container) {
      case 'csv':
        for await (const row of readCsvIndicators(readBytes(input), { file, source: basename(file), limits: deps.limits })) {
          progress()
          if ('rejected' in row) writer.reject({ file, line: row.line, reason: row.rejected })
          else await writer.addIndicators(row.indicators)
        }
        break
      case 'json':
        await reader.readFile(file, readBytes(input), deps.limits)
        break
      case 'zip':
        for await (const entry of readZipEntries(input, deps.limits, (name, reason) => writer.reject({ file: `${file}/${name}`, reason: `skipped: ${reason}` }))) {
          await reader.readFile(`${file}/${entry.name}`, entry.bytes, deps.limits)
        }
        break
      case 'directory': {
        const { files, skipped } = await listJsonFiles(input as ImportInput & { path: string }, deps.limits.maxEntries)
        for (const skip of skipped) writer.reject({ file: skip.file, reason: `skipped: ${skip.reason}` })
        for (const one of files) await reader.readFile(one.name, readBytes(one), deps.limits)
        break
      }
    }
    await writer.flush()
    options.onProgress?.(records)
    if (writer.changedAdvisoryIds.length > 0) await deps.onAdvisoriesChanged?.(trx, [...writer.changedAdvisoryIds])
    const counts = writer.counts
    if (options.auditUnchanged !== false || writer.hasChanges) {
      await deps.audit.record(trx, actor, {
        action: 'intel.imported',
        targetType: 'intel_import',
        targetId: newId(),
        details: {
          file,
          format: plan.format,
          advisories: counts.advisories,
          indicators: counts.indicators,
          rejected: counts.rejectedCount,
          unusable: counts.unusableCount,
        },
      })
    }
    return { file, format: plan.format, ...counts, durationMs: Math.round(performance.now() - started) }
  })
}

/** What the input is, from its content (or as the caller says), checked before the transaction opens. */
async function planImport(limits: ImportLimits, input: ImportInput, format: ImportFormat | undefined): Promise<Plan> {
  const identities = new Map<string, string>()
  if (await isDirectory(input)) {
    if (format === 'csv' || format === 'stix') throw invalidFile(input.name, null, `a directory is read as OSV or Cordon advisories, not ${format}`)
    return { container: 'directory', format: format ?? 'osv', identities }
  }
  const head = await peekBytes(input, 4096)
  if (head.length === 0) throw invalidFile(input.name, null, 'the file is empty')
  if (looksLikeZip(head)) {
    if (format === 'csv' || format === 'stix') throw invalidFile(input.name, null, `this is a zip archive, which is read as OSV records, not ${format}`)
    return { container: 'zip', format: format ?? 'osv', identities }
  }
  const first = head.subarray(head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0).toString('latin1').trimStart()[0]
  const json = first === '{' || first === '['
  if (format === 'csv' || (format === undefined && !json)) return { container: 'csv', format: 'csv', identities }
  if (!json) throw invalidFile(input.name, 1, `expected JSON for ${format}, but the file does not start with { or [`)
  // A first pass: the format from the first record, and a STIX bundle's identities (which may come after the indicators they created).
  let detected: ImportFormat | undefined = format
  for await (const item of readJson(readBytes(input), { file: input.name, limits, streamKey: 'objects' })) {
    const value = item.kind === 'document' && item.streamed ? undefined : item.value
    if (detected === undefined && item.kind === 'document' && isRecord(item.value) && item.value.type === 'bundle') detected = 'stix'
    if (detected === undefined && value !== undefined) {
      detected = detectFormat(value)
      if (!detected) throw invalidFile(input.name, item.line, 'not a format Cordon imports: expected OSV records, a Cordon advisory ("format": "cordon-advisory/1") or a STIX 2.1 bundle')
    }
    if (detected !== undefined && detected !== 'stix') break
    const identity = identityOf(value)
    if (identity) identities.set(...identity)
  }
  return { container: 'json', format: detected ?? 'osv', identities }
}

function detectFormat(value: unknown): ImportFormat | undefined {
  if (looksLikeCordon(value)) return 'cordon'
  if (looksLikeStix(value)) return 'stix'
  if (looksLikeOsv(value)) return 'osv'
  return undefined
}

/** Reads the records of JSON files (one, or many in a zip or directory) into the writer. */
class RecordReader {
  constructor(
    private readonly writer: ImportWriter,
    private readonly plan: Plan,
    private readonly progress: () => void,
  ) {}

  async readFile(file: string, bytes: AsyncIterable<Buffer>, limits: ImportLimits): Promise<void> {
    const stix = this.plan.format === 'stix'
    const otherObjects = new Map<string, number>()
    for await (const item of readJson(bytes, { file, limits, ...(stix && { streamKey: 'objects' }) })) {
      if (item.kind === 'document' && item.streamed) {
        if (stix && isRecord(item.value) && item.value.type !== 'bundle') this.writer.reject({ file, line: item.line, reason: 'the top-level object is not a STIX bundle' })
        continue
      }
      this.progress()
      if (stix) await this.readStix(file, item, otherObjects)
      else await this.readAdvisory(file, item)
    }
    // Objects that are not indicators are not imported; say so once per type rather than once per object.
    for (const [type, count] of otherObjects) {
      if (type !== 'identity') this.writer.unusable({ file, reason: `${count} ${type} ${count === 1 ? 'object is' : 'objects are'} not ${count === 1 ? 'an indicator' : 'indicators'}: not imported` })
    }
  }

  private async readAdvisory(file: string, item: JsonItem): Promise<void> {
    const where = { file, line: item.line }
    const reading: RecordReading<ParsedAdvisory> =
      this.plan.format === 'cordon' || looksLikeCordon(item.value)
        ? readCordonAdvisory(item.value)
        : looksLikeStix(item.value)
          ? { ok: false, reason: 'a STIX object among advisories: import STIX bundles on their own' }
          : readOsvRecord(item.value)
    if (!reading.ok) {
      this.writer.reject({ ...where, reason: reading.reason })
      return
    }
    for (const reason of reading.unusable) this.writer.unusable({ ...where, reason })
    await this.writer.addAdvisory(reading.value, where)
  }

  private async readStix(file: string, item: JsonItem, otherObjects: Map<string, number>): Promise<void> {
    const value = item.value
    if (item.kind === 'document' && isRecord(value) && value.type === 'bundle') {
      this.writer.reject({ file, line: item.line, reason: 'the bundle has no "objects" array' })
      return
    }
    const reading = readStixObject(value, { file: basename(file), identities: this.plan.identities })
    switch (reading.kind) {
      case 'rejected':
        this.writer.reject({ file, line: item.line, ...(reading.objectId && { objectId: reading.objectId }), reason: reading.reason })
        return
      case 'other':
        otherObjects.set(reading.type, (otherObjects.get(reading.type) ?? 0) + 1)
        return
      case 'indicator':
        for (const problem of reading.problems) this.writer.unusable({ file, objectId: reading.objectId, reason: problem })
        await this.writer.addIndicators(reading.indicators)
    }
  }
}
