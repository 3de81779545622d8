// CSV software inventories exported from RMM tools (NinjaOne, Datto RMM, N-able, ConnectWise
// Automate, Kaseya, ...): one row per installation, columns found by their header among documented
// synonyms. The file is a whole-file snapshot of its hosts, so each row is a `present` observation.
// csv-parse does the quoting; this file checks the bytes first (UTF-8, line length) and keeps the
// newline offsets, so that every row and error names its real first line, quoted newlines included.
import { Parser } from 'csv-parse'
import { Batch, fill } from './batch.js'
import {
  emptyFile, formatBytes, invalidUtf8, isoTime, LineIndex, lineTooLong, maxLineBytesOf, messageOf, readInput, text, Utf8Chunks, validUtf8Prefix,
} from './reading.js'
import { ImportFileError, type Observation, type ParseOptions, type Platform } from './types.js'

export type CsvField = 'host' | 'hostId' | 'customer' | 'vendor' | 'product' | 'version' | 'os' | 'seen'

/** Accepted header names of each field, by preference; matched ignoring case, spaces and punctuation. */
export const csvColumns: Readonly<Record<CsvField, readonly string[]>> = {
  host: ['hostname', 'device name', 'device', 'computer name', 'computer', 'endpoint', 'machine name', 'system name'],
  hostId: ['device id', 'host id', 'serial number', 'agent id'],
  customer: [
    'customer', 'customer name', 'client', 'client name', 'organization', 'organization name', 'organisation', 'organisation name',
    'company', 'company name', 'tenant', 'tenant name', 'site', 'site name',
  ],
  vendor: ['publisher', 'vendor', 'manufacturer'],
  product: ['software', 'software name', 'application', 'name', 'product', 'title', 'display name'],
  version: ['version', 'software version', 'display version'],
  os: ['os', 'operating system', 'platform', 'os name'],
  seen: ['last seen', 'scan date', 'inventory date', 'date'],
}

const fieldLabels: Readonly<Record<CsvField, string>> = {
  host: 'host', hostId: 'host id', customer: 'customer', vendor: 'vendor', product: 'product', version: 'version', os: 'operating system', seen: 'seen time',
}

type Header = { width: number } & Partial<Record<CsvField, number>>

export async function* parseCsv(input: AsyncIterable<Buffer>, options: ParseOptions): AsyncGenerator<Observation[], void, undefined> {
  const { file } = options
  const limit = maxLineBytesOf(options)
  const utf8 = new Utf8Chunks()
  const lines = new LineIndex()
  const batch = new Batch()
  const found: Observation[] = []
  let header: Header | undefined
  let recordStart = 0
  const onRecord = (record: string[], end: number) => {
    const line = lines.lineAt(recordStart)
    recordStart = end
    if (record.length === 1 && record[0]!.trim() === '') return // a blank line
    if (header === undefined) header = csvHeader(record, line, options)
    else found.push(csvRow(record, line, header, options))
  }

  let parser: Parser | undefined
  const head: Buffer[] = [] // the bytes before the first newline: they tell the delimiter
  const guard = (step: Promise<void>) => step.catch((error: unknown) => Promise.reject(csvError(error, file, lines.lineAt(recordStart), limit)))
  const send = async (bytes: Buffer) => {
    if (parser === undefined) {
      head.push(bytes)
      if (bytes.indexOf(10) === -1) return
      bytes = Buffer.concat(head)
      parser = csvParser(bytes, limit, onRecord)
    }
    await guard(write(parser, bytes))
  }

  let offset = 0
  let line = 1
  let lineLength = 0
  for await (const chunk of readInput(input, file)) {
    const bytes = utf8.take(chunk)
    const valid = validUtf8Prefix(bytes)
    let start = 0
    for (let newline = bytes.indexOf(10); newline !== -1 && newline < valid; newline = bytes.indexOf(10, start)) {
      if (lineLength + newline - start > limit) throw lineTooLong(file, line, limit)
      lines.addNewline(offset + newline)
      line++
      lineLength = 0
      start = newline + 1
    }
    lineLength += valid - start
    if (lineLength > limit) throw lineTooLong(file, line, limit)
    if (valid > 0) await send(bytes.subarray(0, valid))
    if (valid < bytes.length) throw invalidUtf8(file, line)
    offset += valid
    yield* fill(batch, found.splice(0))
  }
  if (utf8.rest() !== undefined) throw invalidUtf8(file, line)
  if (offset === 0) throw emptyFile(file)
  if (parser === undefined) {
    // One line and no newline: a header alone.
    parser = csvParser(Buffer.concat(head), limit, onRecord)
    await guard(write(parser, Buffer.concat(head)))
  }
  await guard(finish(parser))
  if (header === undefined) throw new ImportFileError(file, null, 'the file has no header line')
  yield* fill(batch, found.splice(0))
  if (!batch.empty) yield batch.take()
}

function csvParser(firstBytes: Buffer, limit: number, onRecord: (record: string[], end: number) => void): Parser {
  const parser = new Parser({
    delimiter: delimiterOf(firstBytes),
    bom: false, // readInput has removed it
    record_delimiter: ['\r\n', '\n'], // both, even mixed in one file (csv-parse would keep to the first it meets)
    relax_column_count: true, // a row of the wrong width is rejected, not the file
    relax_quotes: true, // a quote inside an unquoted field is text (`12" Monitor Driver`)
    max_record_size: limit,
    on_record: (record, context) => {
      onRecord(record, context.bytes)
      return null
    },
  })
  parser.on('error', () => {}) // the write and end callbacks carry the error
  return parser
}

function write(parser: Parser, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => parser.write(bytes, (error) => (error ? reject(error) : resolve())))
}

function finish(parser: Parser): Promise<void> {
  return new Promise((resolve, reject) => parser.end((error?: Error | null) => (error ? reject(error) : resolve())))
}

/** The delimiter the header line uses most, outside quotes: comma, semicolon (European Excel) or tab. */
function delimiterOf(bytes: Buffer): string {
  const end = bytes.indexOf(10)
  const counts = new Map([[0x2c, 0], [0x3b, 0], [0x09, 0]])
  let quoted = false
  for (const byte of bytes.subarray(0, end === -1 ? bytes.length : end)) {
    if (byte === 0x22) quoted = !quoted
    else if (!quoted && counts.has(byte)) counts.set(byte, counts.get(byte)! + 1)
  }
  const [best] = [...counts].sort((a, b) => b[1] - a[1])
  return String.fromCharCode(best![1] > 0 ? best![0] : 0x2c)
}

export function normalizeHeader(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '')
}

function csvHeader(record: string[], line: number, options: ParseOptions): Header {
  const names = record.map(normalizeHeader)
  const header: Header = { width: record.length }
  for (const [field, synonyms] of Object.entries(csvColumns) as [CsvField, readonly string[]][]) {
    for (const synonym of synonyms) {
      const index = names.indexOf(normalizeHeader(synonym))
      if (index !== -1) {
        header[field] = index
        break
      }
    }
  }
  const required: CsvField[] = options.customer === undefined ? ['host', 'product', 'version', 'customer'] : ['host', 'product', 'version']
  const absent = required.filter((field) => header[field] === undefined)
  if (absent.length > 0) {
    const list = absent.map((field) => `${fieldLabels[field]} (one of: ${csvColumns[field].join(', ')}${field === 'customer' ? '; or give the customer for the whole file' : ''})`)
    throw new ImportFileError(options.file, line, `the header lacks ${absent.length === 1 ? 'a column' : 'columns'} for ${list.join('; ')}`)
  }
  return header
}

function csvRow(record: string[], line: number, header: Header, options: ParseOptions): Observation {
  const rejected = (reason: string): Observation => ({ kind: 'rejected', line, reason })
  if (record.length !== header.width) return rejected(`the row has ${record.length} fields; the header has ${header.width}`)
  const value = (field: CsvField) => {
    const index = header[field]
    return index === undefined ? undefined : text(record[index])
  }
  const hostname = value('host')
  const product = value('product')
  const version = value('version')
  const customer = value('customer') ?? options.customer
  if (hostname === undefined) return rejected('the row has no host name')
  if (product === undefined) return rejected('the row has no product name')
  if (version === undefined) return rejected('the row has no version')
  if (customer === undefined) return rejected('the row has no customer')
  return {
    kind: 'present',
    line,
    host: { identifier: value('hostId') ?? hostname, hostname, customerRef: customer, kind: 'host' },
    source: 'csv',
    observedAt: isoTime(value('seen')),
    items: [{ vendor: value('vendor') ?? '', product, version, platform: platformOf(value('os')), ecosystem: null, purl: null, cpe: null }],
  }
}

const linuxNames = ['linux', 'ubuntu', 'debian', 'rhel', 'red hat', 'centos', 'fedora', 'suse', 'rocky', 'alma', 'amazon', 'oracle', 'mint']

/** The platform an RMM's operating system text names ('Windows 10 Pro', 'macOS 14', 'Ubuntu 22.04'), else 'any'. */
export function platformOf(os: string | undefined): Platform {
  if (os === undefined) return 'any'
  const lower = os.toLowerCase()
  if (lower.includes('windows')) return 'windows'
  if (lower.includes('mac') || lower.includes('os x') || lower.includes('darwin')) return 'macos'
  return linuxNames.some((name) => lower.includes(name)) ? 'linux' : 'any'
}

function csvError(error: unknown, file: string, line: number, limit: number): ImportFileError {
  if (error instanceof ImportFileError) return error
  const code = (error as { code?: unknown }).code
  const reason =
    code === 'CSV_QUOTE_NOT_CLOSED' ? `a quoted field in the record starting at line ${line} is never closed (is the file truncated?)`
    : code === 'CSV_MAX_RECORD_SIZE' ? `the record starting at line ${line} is longer than ${formatBytes(limit)}`
    : `malformed CSV: ${messageOf(error)}`
  return new ImportFileError(file, line, reason, { cause: error })
}
