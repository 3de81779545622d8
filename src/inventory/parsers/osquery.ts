// osquery output: osqueryd results logs (JSON lines in the snapshot, event or batch format) and
// `osqueryi --json` arrays. The results log is the hot path (fleets of 100,000 endpoints), so a line
// is found with Buffer.indexOf, checked with isUtf8, decoded once and handed to JSON.parse.
import { isUtf8 } from 'node:buffer'
import { Batch } from './batch.js'
import { JsonDocumentReader, readDocument } from './json-document.js'
import { readRow, tableHint, type Table } from './osquery-tables.js'
import {
  emptyFile, invalidUtf8, isoFromUnixSeconds, isRecord, lineTooLong, maxLineBytesOf, messageOf, own, readInput, text, type JsonRecord,
} from './reading.js'
import { ImportFileError, type HostRef, type InstallSource, type Observation, type ParseOptions, type SoftwareItem } from './types.js'

const defaultCustomerFields = ['customer', 'customer_id', 'cordon_customer']

/** Reads osqueryd results logs and osqueryi --json arrays, told apart by their first character. */
export async function* parseOsquery(input: AsyncIterable<Buffer>, options: ParseOptions): AsyncGenerator<Observation[], void, undefined> {
  const chunks = readInput(input, options.file)
  const head: Buffer[] = []
  let first: number | undefined
  // Not for-await: leaving it would close the input, which the chosen reader goes on with.
  for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
    head.push(next.value)
    first = next.value.find((byte) => byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09)
    if (first !== undefined) break
  }
  if (first === undefined) throw emptyFile(options.file)
  if (first === 0x7b) return yield* resultsLog(resume(head, chunks), options)
  if (first === 0x5b) return yield* osqueryiArray(resume(head, chunks), options)
  const start = Buffer.concat(head)
  const line = start.subarray(0, start.indexOf(first)).filter((byte) => byte === 0x0a).length + 1
  throw new ImportFileError(options.file, line, 'not osquery output: expected JSON lines from osqueryd or a JSON array from osqueryi --json')
}

async function* resume(head: Buffer[], rest: AsyncGenerator<Buffer, void, undefined>): AsyncGenerator<Buffer, void, undefined> {
  yield* head
  yield* rest
}

/** osqueryd's results log: one JSON object per line. */
async function* resultsLog(chunks: AsyncIterable<Buffer>, options: ParseOptions): AsyncGenerator<Observation[], void, undefined> {
  const limit = maxLineBytesOf(options)
  const context = new LogContext(options)
  const batch = new Batch()
  let pending: Buffer[] = []
  let pendingBytes = 0
  let line = 1
  for await (const chunk of chunks) {
    let start = 0
    for (let newline = chunk.indexOf(10); newline !== -1; newline = chunk.indexOf(10, start)) {
      const length = pendingBytes + newline - start
      if (length > limit) throw lineTooLong(options.file, line, limit)
      let bytes = chunk.subarray(start, newline)
      if (pendingBytes > 0) {
        pending.push(bytes)
        bytes = Buffer.concat(pending, length)
        pending = []
        pendingBytes = 0
      }
      context.readLine(bytes, line, batch)
      line++
      start = newline + 1
      if (batch.full) yield batch.take()
    }
    if (start < chunk.length) {
      pendingBytes += chunk.length - start
      if (pendingBytes > limit) throw lineTooLong(options.file, line, limit)
      pending.push(chunk.subarray(start))
    }
  }
  if (pendingBytes > 0) context.readLine(Buffer.concat(pending, pendingBytes), line, batch)
  if (!batch.empty) yield batch.take()
}

/** What the lines of one results log share: the options, and each host's distribution once an os_version row told it. */
class LogContext {
  private readonly distros = new Map<string, string>()
  private readonly customerFields: readonly string[]

  constructor(private readonly options: ParseOptions) {
    this.customerFields = options.customerField === undefined ? defaultCustomerFields : [options.customerField]
  }

  readLine(bytes: Buffer, line: number, batch: Batch): void {
    let end = bytes.length
    while (end > 0 && (bytes[end - 1] === 0x0d || bytes[end - 1] === 0x20 || bytes[end - 1] === 0x09)) end--
    if (end === 0) return
    if (!isUtf8(bytes)) throw invalidUtf8(this.options.file, line)
    let value: unknown
    try {
      value = JSON.parse(bytes.toString('utf8', 0, end))
    } catch (error) {
      throw new ImportFileError(this.options.file, line, `malformed JSON (${messageOf(error)}); a cut last line means a truncated file`, { cause: error })
    }
    this.readResult(value, line, batch)
  }

  private readResult(result: unknown, line: number, batch: Batch): void {
    if (!isRecord(result)) return batch.add(rejected(line, 'the line is not a JSON object'))
    const identifier = text(result.hostIdentifier) ?? text(result.hostname)
    if (identifier === undefined) return batch.add(rejected(line, 'the result names no host (hostIdentifier)'))
    const decorations = isRecord(result.decorations) ? result.decorations : undefined
    const host: HostRef = { identifier, hostname: decorations && text(decorations.hostname), customerRef: this.customerOf(decorations), kind: 'host' }
    const observedAt = isoFromUnixSeconds(result.unixTime)
    const query = text(result.name) ?? 'the query'
    const hint = tableHint(query)
    const rows = (kind: 'snapshot' | 'added' | 'removed', list: unknown[], label: string) =>
      this.readRows({ kind, rows: list, query, label, line, host, observedAt, hint }, batch)

    if (result.snapshot !== undefined) {
      if (!Array.isArray(result.snapshot)) return batch.add(rejected(line, `the snapshot of ${query} is not an array`))
      return rows('snapshot', result.snapshot, `row {n} of ${query}`)
    }
    if (result.columns !== undefined) {
      if (result.action !== 'added' && result.action !== 'removed') return batch.add(rejected(line, `the action of ${query} is neither added nor removed`))
      return rows(result.action, [result.columns], `the ${result.action} row of ${query}`)
    }
    if (result.diffResults !== undefined) {
      const diff = result.diffResults
      if (!isRecord(diff)) return batch.add(rejected(line, `the diffResults of ${query} is not an object`))
      for (const action of ['removed', 'added'] as const) { // removed first, as osquery writes them: an update is both
        const list = diff[action]
        if (list === undefined) continue
        if (!Array.isArray(list)) batch.add(rejected(line, `diffResults.${action} of ${query} is not an array`))
        else rows(action, list, `${action} row {n} of ${query}`)
      }
      return
    }
    batch.add(rejected(line, `not an osquery result: no snapshot, columns or diffResults`))
  }

  /**
   * Reads the rows of one result. Items are grouped by source (one observation per source: a
   * snapshot replaces the installed set of its own source only); an empty snapshot says nothing,
   * since osquery also logs one when the table does not exist on the host's platform.
   */
  private readRows(
    result: { kind: 'snapshot' | 'added' | 'removed'; rows: unknown[]; query: string; label: string; line: number; host: HostRef; observedAt: string | null; hint: Table | undefined },
    batch: Batch,
  ): void {
    const { kind, rows, line, host, observedAt, hint } = result
    let source: InstallSource | undefined
    const items: SoftwareItem[] = []
    let others: Map<InstallSource, SoftwareItem[]> | undefined
    const distro = this.distros.get(host.identifier)
    // Rows of tables Cordon does not read (a results log holds every scheduled query): one rejection for them all.
    let unknown = 0
    let firstUnknown: { index: number; reason: string } | undefined
    for (let i = 0; i < rows.length; i++) {
      const reading = readRow(rows[i], hint, distro)
      if (reading.kind === 'rejected' && reading.unknownTable) {
        unknown++
        firstUnknown ??= { index: i, reason: reading.reason }
        continue
      }
      if (reading.kind === 'item') {
        if (source === undefined || source === reading.source) {
          source = reading.source
          items.push(reading.item)
        } else {
          others ??= new Map()
          const list = others.get(reading.source)
          if (list) list.push(reading.item)
          else others.set(reading.source, [reading.item])
        }
      } else if (reading.kind === 'facts') {
        if (kind === 'removed') continue // the facts a later added row replaces
        if (reading.distro) this.distros.set(host.identifier, reading.distro)
        const hostname = host.hostname ?? reading.facts.hostname
        batch.add({ kind: 'host', line, host: { ...host, hostname }, observedAt, facts: reading.facts })
      } else if (reading.kind === 'rejected') {
        batch.add(rejected(line, `${result.label.replace('{n}', String(i + 1))}: ${reading.reason}`))
      }
    }
    if (firstUnknown) {
      const rowsOf = unknown === 1 ? result.label.replace('{n}', String(firstUnknown.index + 1)) : `${unknown} rows of ${result.query}`
      batch.add(rejected(line, `${rowsOf}: ${firstUnknown.reason}`))
    }
    if (source !== undefined) batch.add({ kind, line, host, source, observedAt, items })
    for (const [other, list] of others ?? []) batch.add({ kind, line, host, source: other, observedAt, items: list })
  }

  private customerOf(decorations: JsonRecord | undefined): string | undefined {
    if (decorations) {
      for (const field of this.customerFields) {
        const value = own(decorations, field)
        const customer = text(value) ?? (typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined)
        if (customer !== undefined) return customer
      }
    }
    return this.options.customer
  }
}

/** osqueryi --json: an array of rows, streamed element by element; the rows are the host's whole installed set. */
async function* osqueryiArray(chunks: AsyncIterable<Buffer>, options: ParseOptions): AsyncGenerator<Observation[], void, undefined> {
  const reader = new JsonDocumentReader(options.file, { root: 'array', select: [['*']], maxBytes: maxLineBytesOf(options) })
  const batch = new Batch()
  for await (const values of readDocument(chunks, reader)) {
    for (const { value, line } of values) {
      const observation = osqueryiRow(value, line, options)
      if (observation) batch.add(observation)
      if (batch.full) yield batch.take()
    }
  }
  if (!batch.empty) yield batch.take()
}

function osqueryiRow(value: unknown, line: number, options: ParseOptions): Observation | undefined {
  const row = isRecord(value) ? value : undefined
  const identifier = options.host ?? (row && (text(row.hostname) ?? text(row.host_identifier) ?? text(row.hostIdentifier)))
  if (identifier === undefined) {
    throw new ImportFileError(options.file, line, 'osqueryi output does not say which host it is from: give the host, or select a hostname column')
  }
  const host: HostRef = { identifier, customerRef: options.customer, kind: 'host' }
  const reading = readRow(value, undefined, undefined)
  switch (reading.kind) {
    case 'item':
      return { kind: 'present', line, host, source: reading.source, observedAt: null, items: [reading.item] }
    case 'facts':
      return { kind: 'host', line, host: { ...host, hostname: reading.facts.hostname }, observedAt: null, facts: reading.facts }
    case 'skipped':
      return undefined
    case 'rejected':
      return rejected(line, reading.reason)
  }
}

function rejected(line: number, reason: string): Observation {
  return { kind: 'rejected', line, reason }
}
