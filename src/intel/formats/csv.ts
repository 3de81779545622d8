import { parse, type CsvError } from 'csv-parse'
import { Readable } from 'node:stream'
import { inferIndicatorKind, normaliseIndicator } from '../indicator-values.js'
import { confidenceFromScore, type Confidence, type IndicatorKind } from '../model.js'
import { invalidFile, type ImportLimits } from '../readers/input.js'
import type { ParsedIndicator } from './parsed.js'

/**
 * Indicator lists in the CSV shapes vendors publish: a header naming the value and type columns
 * under one of their many names (Volexity's value,entity_type,description; Sophos'
 * Indicator_type,Data,Note and Indicator,Data,Note; OTX's Indicator type,Indicator,Description),
 * a single column whose header names the kind ("sha256"), or no header at all (each value's kind
 * judged from its shape). Defanged values are refanged. A row that cannot be used is rejected
 * with its line; a file that is not a readable CSV in UTF-8 is an `invalid` error.
 */

export type CsvRow =
  | { line: number; indicators: ParsedIndicator[] }
  | { line: number; rejected: string }

export interface CsvReadOptions {
  file: string
  /** The indicators' source: the file's name. */
  source: string
  limits: Pick<ImportLimits, 'maxTokenBytes'>
}

type TypeName = IndicatorKind | 'ip' | 'hash'

interface Columns {
  value: number
  kind?: number | undefined
  description?: number | undefined
  confidence?: number | undefined
  /** A single-column file whose header names the kind ("sha256"). */
  kindOfAll?: TypeName | undefined
}

// Header names compared lower-case with everything but letters and digits removed ("Indicator_type" → "indicatortype").
const valueHeaders = ['value', 'data', 'ioc', 'indicatorvalue', 'iocvalue', 'observable', 'indicator']
const kindHeaders = ['type', 'indicatortype', 'kind', 'ioctype', 'entitytype', 'datatype', 'observabletype']
const descriptionHeaders = ['description', 'comment', 'comments', 'notes', 'note', 'context', 'details', 'desc']
const confidenceHeaders = ['confidence', 'confidencelevel']

const typeNames: ReadonlyMap<string, TypeName> = new Map([
  ...['sha256', 'filehashsha256', 'hashsha256', 'sha256hash'].map((n) => [n, 'sha256'] as const),
  ...['sha1', 'filehashsha1', 'hashsha1', 'sha1hash'].map((n) => [n, 'sha1'] as const),
  ...['md5', 'filehashmd5', 'hashmd5', 'md5hash'].map((n) => [n, 'md5'] as const),
  ...['hash', 'hashes', 'filehash', 'filehashes', 'file'].map((n) => [n, 'hash'] as const),
  ...['domain', 'domainname', 'hostname', 'host', 'fqdn'].map((n) => [n, 'domain'] as const),
  ...['url', 'uri', 'link', 'urls'].map((n) => [n, 'url'] as const),
  ...['ip', 'ipaddress', 'ipaddr', 'address'].map((n) => [n, 'ip'] as const),
  ...['ipv4', 'ipv4addr', 'ipv4address'].map((n) => [n, 'ipv4'] as const),
  ...['ipv6', 'ipv6addr', 'ipv6address'].map((n) => [n, 'ipv6'] as const),
  ...['cidr', 'netblock', 'subnet', 'iprange', 'ipv4cidr', 'ipv6cidr', 'network'].map((n) => [n, 'cidr'] as const),
])

const squash = (text: string) => text.toLowerCase().replace(/[^a-z0-9]/g, '')

export async function* readCsvIndicators(bytes: AsyncIterable<Buffer>, options: CsvReadOptions): AsyncGenerator<CsvRow> {
  const { file } = options
  const { head, rest } = await firstLine(checkedText(bytes, file), file, options.limits.maxTokenBytes)
  const parser = parse({
    delimiter: sniffDelimiter(head.toString('utf8').split('\n')[0] ?? ''),
    bom: true,
    trim: true,
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: true,
    comment: '#',
    comment_no_infix: true,
    max_record_size: options.limits.maxTokenBytes,
    info: true,
  })
  const source = Readable.from(prepend(head, rest))
  source.on('error', (error) => parser.destroy(error))
  source.pipe(parser)

  let columns: Columns | undefined
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const line = info.lines
      if (record.every((cell) => cell === '')) continue
      if (!columns) {
        const header = headerColumns(record)
        if (header) {
          columns = header
          continue
        }
        columns = headerlessColumns(record)
        if (!columns) {
          throw invalidFile(file, line, 'no header naming the indicator column (value, indicator, ioc or data; optionally type and description), and the first row is not an indicator value')
        }
      }
      yield readRow(record, line, columns, options.source)
    }
  } catch (error) {
    const csv = error as Partial<CsvError> & { lines?: number }
    if (typeof csv.code === 'string' && csv.code.startsWith('CSV_')) {
      throw invalidFile(file, typeof csv.lines === 'number' ? csv.lines : null, `malformed CSV: ${csv.message ?? csv.code}`, { cause: error })
    }
    throw error
  } finally {
    source.destroy()
  }
}

function readRow(record: string[], line: number, columns: Columns, source: string): CsvRow {
  const value = record[columns.value] ?? ''
  if (value === '') return { line, rejected: 'no value in the indicator column' }
  const typeText = columns.kind === undefined ? '' : (record[columns.kind] ?? '')
  let kind: TypeName | undefined = columns.kindOfAll
  if (typeText !== '') {
    kind = typeNames.get(squash(typeText))
    if (!kind) return { line, rejected: `type "${clip(typeText)}" is not an indicator type Cordon imports (hashes, domains, URLs, IP addresses and networks)` }
  }
  // One cell may hold several hashes of the same file (Volexity: "sha256,sha1,md5" in one quoted field).
  const values = kind === 'hash' ? value.split(/[\s,;|]+/).filter(Boolean) : [value]
  const indicators: ParsedIndicator[] = []
  for (const one of values) {
    const kindOfValue = kind ?? inferIndicatorKind(one)
    if (!kindOfValue) return { line, rejected: `cannot tell what kind of indicator "${clip(one)}" is` }
    const normalised = normaliseIndicator(kindOfValue, one)
    if (!normalised.ok) return { line, rejected: normalised.error }
    indicators.push({
      ...normalised.value,
      description: columns.description === undefined ? '' : (record[columns.description] ?? '').slice(0, 2000),
      confidence: columns.confidence === undefined ? 'unknown' : confidenceOf(record[columns.confidence] ?? ''),
      source,
      tags: [],
      validFrom: null,
      validUntil: null,
    })
  }
  return { line, indicators }
}

/** The columns a header row names, or undefined when the row is not a header Cordon recognises. */
function headerColumns(record: string[]): Columns | undefined {
  const names = record.map(squash)
  const find = (candidates: string[], exclude: Array<number | undefined> = []) => {
    for (const candidate of candidates) {
      const index = names.indexOf(candidate)
      if (index !== -1 && !exclude.includes(index)) return index
    }
    return undefined
  }
  if (names.length === 1 && typeNames.has(names[0]!)) return { value: 0, kindOfAll: typeNames.get(names[0]!) }
  const value = find(valueHeaders)
  if (value === undefined) return undefined
  // Sophos' "Indicator,Data,Note": with a data column present, "indicator" names the type.
  const kind = find(kindHeaders, [value]) ?? (names[value] !== 'indicator' ? find(['indicator'], [value]) : undefined)
  return { value, kind, description: find(descriptionHeaders, [value, kind]), confidence: find(confidenceHeaders, [value, kind]) }
}

/** A file without a header: value first (then a description), or type then value (then a description). */
function headerlessColumns(record: string[]): Columns | undefined {
  const [first = '', second = ''] = record
  if (inferIndicatorKind(first)) return { value: 0, description: record.length > 1 ? 1 : undefined }
  if (typeNames.has(squash(first)) && inferIndicatorKind(second)) return { value: 1, kind: 0, description: record.length > 2 ? 2 : undefined }
  return undefined
}

function confidenceOf(text: string): Confidence {
  const word = text.trim().toLowerCase()
  if (word === 'high' || word === 'medium' || word === 'low') return word
  if (/^\d{1,3}(?:\.\d+)?$/.test(word)) return confidenceFromScore(Number(word))
  return 'unknown'
}

/** The most frequent of comma, tab, semicolon and pipe outside quotes on the first line; comma by default. */
function sniffDelimiter(line: string): string {
  const unquoted = line.replace(/"[^"]*"/g, '')
  let best = ','
  let bestCount = 0
  for (const candidate of [',', '\t', ';', '|']) {
    const count = unquoted.split(candidate).length - 1
    if (count > bestCount) [best, bestCount] = [candidate, count]
  }
  return best
}

/** The bytes, checked: UTF-8 (not UTF-16), no NUL bytes. Errors name the line. */
async function* checkedText(bytes: AsyncIterable<Buffer>, file: string): AsyncGenerator<Buffer> {
  const decoder = new TextDecoder('utf-8', { fatal: true })
  let line = 1
  let first = true
  for await (const chunk of bytes) {
    if (first) {
      first = false
      if ((chunk[0] === 0xff && chunk[1] === 0xfe) || (chunk[0] === 0xfe && chunk[1] === 0xff)) throw invalidFile(file, 1, 'the file is UTF-16; save it as UTF-8')
    }
    const nul = chunk.indexOf(0)
    if (nul !== -1) throw invalidFile(file, line + countNewlines(chunk.subarray(0, nul)), 'the file is binary (it contains NUL bytes), not CSV text')
    try {
      decoder.decode(chunk, { stream: true })
    } catch (cause) {
      throw invalidFile(file, line + firstInvalidLine(chunk), 'the file is not valid UTF-8', { cause })
    }
    line += countNewlines(chunk)
    yield chunk
  }
  try {
    decoder.decode()
  } catch (cause) {
    throw invalidFile(file, line, 'the file is not valid UTF-8 (it ends inside a character)', { cause })
  }
}

/** The first line (for sniffing the delimiter) and an iterator over the rest. */
async function firstLine(bytes: AsyncGenerator<Buffer>, file: string, maxLineBytes: number): Promise<{ head: Buffer; rest: AsyncGenerator<Buffer> }> {
  const parts: Buffer[] = []
  let length = 0
  for (;;) {
    const next = await bytes.next()
    if (next.done) break
    parts.push(next.value)
    length += next.value.length
    if (next.value.includes(10)) break
    if (length > maxLineBytes) throw invalidFile(file, 1, `the first line is longer than ${Math.round(maxLineBytes / 1024)} KiB`)
  }
  return { head: Buffer.concat(parts), rest: bytes }
}

async function* prepend(head: Buffer, rest: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
  if (head.length > 0) yield head
  yield* rest
}

function countNewlines(chunk: Buffer): number {
  let count = 0
  for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) count += 1
  return count
}

/** Lines before the first byte sequence that is not UTF-8 in a chunk (approximate at chunk edges). */
function firstInvalidLine(chunk: Buffer): number {
  const decoder = new TextDecoder('utf-8', { fatal: true })
  let start = 0
  let lines = 0
  for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) {
    try {
      decoder.decode(chunk.subarray(start, i + 1))
    } catch {
      return lines
    }
    lines += 1
    start = i + 1
  }
  return lines
}

function clip(value: string): string {
  const printable = value.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')
  return printable.length > 80 ? `${printable.slice(0, 77)}...` : printable
}
