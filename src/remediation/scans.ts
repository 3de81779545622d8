import { CsvError, Parser } from 'csv-parse'
import { AppError, type FieldProblem } from '../shared/errors.js'
import { scanResults, type ScanResult } from './model.js'

/**
 * Antivirus scan reports, parsed as they stream in (no database). Two formats:
 *
 * ClamAV `clamscan` logs: per-file "<path>: <signature> FOUND" lines and the block that starts
 * "----------- SCAN SUMMARY -----------" with "Scanned files", "Infected files", "Start Date" and
 * "End Date". The host is `--endpoint`, or a "Host: <name>" line before the block (Cordon's own
 * header: clamscan writes none; wrappers add it, e.g. `echo "Host: $(hostname)"`). A log may
 * hold several scans, each closed by its summary block.
 *
 * CSV for other products, with this header:
 *   hostname,product,scan_started,scan_finished,infected_files,result
 * times ISO-8601, infected_files an integer, result clean|infected|error.
 */

export const scanFormats = ['clamscan', 'csv'] as const
export type ScanFormat = (typeof scanFormats)[number]

export interface ParsedScan {
  host: string
  /** The line that named the host (or the summary's first line when `--endpoint` did). */
  line: number
  product: string
  startedAt: string | null
  finishedAt: string
  scannedFiles: number | null
  infectedFiles: number
  result: ScanResult
  detections: Array<{ path: string; signature: string; line: number }>
}

const maxLine = 64 * 1024
const maxProblems = 100
const maxDetections = 1000
/** Scans one file may hold: they are kept in memory until the import's one transaction. */
export const maxScansPerFile = 100_000
export const csvHeader = 'hostname,product,scan_started,scan_finished,infected_files,result'

function refused(file: string, line: number, message: string, detail = message, cause?: unknown): AppError {
  return new AppError('invalid', `${file}:${line}: ${message}`, { cause, problems: [{ field: `${file}:${line}`, message: detail }] })
}

/**
 * The report's text as it streams in, one piece per chunk; refuses binary input (NUL bytes,
 * invalid UTF-8) and overlong lines, naming the line. Each line of a chunk is checked on its own,
 * so the line named is the one that holds the bad byte (a newline byte is never part of a
 * multi-byte character, so no character is split there).
 */
async function* textOf(bytes: AsyncIterable<Buffer>, file: string): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true })
  let line = 1
  let length = 0 // characters of the current line so far
  for await (const chunk of bytes) {
    let text = ''
    for (let start = 0; start < chunk.length; ) {
      const newline = chunk.indexOf(0x0a, start)
      const end = newline < 0 ? chunk.length : newline + 1
      const piece = chunk.subarray(start, end)
      if (piece.includes(0)) throw refused(file, line, 'binary data (a NUL byte): not a scan report')
      let decoded: string
      try {
        decoded = decoder.decode(piece, { stream: true })
      } catch (cause) {
        throw refused(file, line, 'not UTF-8 text: not a scan report', 'not UTF-8 text', cause)
      }
      length += newline < 0 ? decoded.length : decoded.length - 1
      if (length > maxLine) throw refused(file, line, `a line longer than ${maxLine} characters`)
      text += decoded
      if (newline >= 0) {
        line += 1
        length = 0
      }
      start = end
    }
    if (text !== '') yield text
  }
  let rest: string
  try {
    rest = decoder.decode()
  } catch (cause) {
    throw refused(file, line, 'not UTF-8 text (truncated character)', 'not UTF-8 text', cause)
  }
  if (rest !== '') yield rest
}

/** Text lines with their numbers, without their line ends; refuses what `textOf` refuses. */
async function* linesOf(bytes: AsyncIterable<Buffer>, file: string): AsyncGenerator<{ text: string; line: number }> {
  let pending = ''
  let line = 0
  for await (const text of textOf(bytes, file)) {
    pending += text
    let from = 0
    for (let newline = pending.indexOf('\n'); newline >= 0; newline = pending.indexOf('\n', from)) {
      line += 1
      yield { text: pending.slice(from, newline).replace(/\r$/, ''), line }
      from = newline + 1
    }
    pending = pending.slice(from)
  }
  if (pending.length > 0) yield { text: pending.replace(/\r$/, ''), line: line + 1 }
}

/** "2023:03:30 10:00:00" (clamscan, read as UTC) or ISO-8601; undefined when neither. */
function parseClamDate(text: string): string | undefined {
  const clam = /^(\d{4}):(\d{2}):(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(text.trim())
  const date = clam ? new Date(Date.UTC(+clam[1]!, +clam[2]! - 1, +clam[3]!, +clam[4]!, +clam[5]!, +clam[6]!)) : parseIsoDate(text)
  return date && !Number.isNaN(date.getTime()) ? date.toISOString() : undefined
}

function parseIsoDate(text: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(text.trim())) return undefined
  const date = new Date(text.trim())
  return Number.isNaN(date.getTime()) ? undefined : date
}

function count(text: string): number | undefined {
  return /^\d{1,12}$/.test(text.trim()) ? Number(text.trim()) : undefined
}

/** Parses a clamscan log; all problems are collected (up to 100) and thrown together. */
export async function parseClamscan(bytes: AsyncIterable<Buffer>, file: string, endpoint: string | undefined): Promise<ParsedScan[]> {
  const scans: ParsedScan[] = []
  const problems: FieldProblem[] = []
  const problem = (line: number, message: string) => {
    if (problems.length < maxProblems) problems.push({ field: `${file}:${line}`, message })
  }
  let host: { name: string; line: number } | undefined
  let detections: ParsedScan['detections'] = []
  let summary: { line: number; fields: Map<string, { value: string; line: number }> } | undefined
  let lastLine = 0

  const closeSummary = () => {
    if (!summary) return
    const field = (name: string) => summary!.fields.get(name)
    const infected = field('infected files')
    const end = field('end date')
    const start = field('start date')
    const scanned = field('scanned files')
    const at = summary.line
    if (!infected) problem(at, 'the SCAN SUMMARY has no "Infected files" line (truncated log?)')
    if (!end) problem(at, 'the SCAN SUMMARY has no "End Date" line (truncated log?)')
    const infectedFiles = infected && count(infected.value)
    if (infected && infectedFiles === undefined) problem(infected.line, `"Infected files" is not a count: ${JSON.stringify(infected.value.slice(0, 40))}`)
    const finishedAt = end && parseClamDate(end.value)
    if (end && finishedAt === undefined) problem(end.line, `"End Date" is not a date: ${JSON.stringify(end.value.slice(0, 40))}`)
    const startedAt = start ? parseClamDate(start.value) : null
    if (start && startedAt === undefined) problem(start.line, `"Start Date" is not a date: ${JSON.stringify(start.value.slice(0, 40))}`)
    const scannedFiles = scanned ? count(scanned.value) : null
    if (scanned && scannedFiles === undefined) problem(scanned.line, `"Scanned files" is not a count: ${JSON.stringify(scanned.value.slice(0, 40))}`)
    const name = endpoint ?? host?.name
    if (name === undefined) problem(at, 'no host: give --endpoint, or a "Host: <name>" line before the summary')
    if (name !== undefined && infectedFiles !== undefined && finishedAt !== undefined && startedAt !== undefined && scannedFiles !== undefined) {
      if (scans.length >= maxScansPerFile) throw refused(file, at, `more than ${maxScansPerFile} scans in one file: split it`)
      scans.push({
        host: name,
        line: endpoint === undefined ? host!.line : at,
        product: 'ClamAV',
        startedAt,
        finishedAt,
        scannedFiles,
        infectedFiles,
        result: infectedFiles > 0 || detections.length > 0 ? 'infected' : 'clean',
        detections,
      })
    }
    summary = undefined
    detections = []
    host = undefined
  }

  for await (const { text, line } of linesOf(bytes, file)) {
    lastLine = line
    const trimmed = text.trim()
    if (/^-{3,}\s*SCAN SUMMARY\s*-{3,}$/.test(trimmed)) {
      closeSummary()
      summary = { line, fields: new Map() }
      continue
    }
    const header = /^(?:Host|Hostname|Endpoint)\s*:\s*(\S.*)$/i.exec(trimmed)
    if (header && !summary) {
      host = { name: header[1]!.trim().slice(0, 255), line }
      continue
    }
    if (summary) {
      const field = /^([A-Za-z ]+):\s*(.*)$/.exec(trimmed)
      if (field) {
        const name = field[1]!.trim().toLowerCase()
        summary.fields.set(name, { value: field[2]!, line })
        // End Date is the block's last line: a following Host line or log starts the next scan.
        if (name === 'end date') closeSummary()
        continue
      }
      if (trimmed === '') continue
      closeSummary()
    }
    const found = /^(.*?):\s+(\S.*?)\s+FOUND$/.exec(trimmed)
    if (found) {
      if (detections.length < maxDetections) detections.push({ path: found[1]!, signature: found[2]!, line })
    }
  }
  if (summary) closeSummary()
  if (scans.length === 0 && problems.length === 0) problem(Math.max(1, lastLine), 'no "----------- SCAN SUMMARY -----------" block: not a clamscan log, or truncated')
  if (problems.length > 0) throw new AppError('invalid', `${file}: ${problems.length} problem(s); first at ${problems[0]!.field}: ${problems[0]!.message}`, { problems })
  return scans
}

/**
 * Parses the scan CSV as it streams in (csv-parse splits the records: quoted fields may hold
 * commas, doubled quotes and line breaks). Each row and problem names the line its record starts
 * on; all problems are collected (up to 100) and thrown together.
 */
export async function parseScanCsv(bytes: AsyncIterable<Buffer>, file: string, endpoint: string | undefined): Promise<ParsedScan[]> {
  const scans: ParsedScan[] = []
  const problems: FieldProblem[] = []
  const problem = (line: number, message: string) => {
    if (problems.length < maxProblems) problems.push({ field: `${file}:${line}`, message })
  }
  let headerSeen = false
  let stop = false
  // The line the next record starts on. Counted here, not taken from csv-parse's `info.lines`,
  // which counts a CRLF inside a quoted field as two lines.
  let line = 1
  const onRecord = (fields: string[]) => {
    const at = line
    line += 1 + fields.reduce((n, field) => n + newlinesIn(field), 0)
    if (stop) return
    if (!headerSeen) {
      if (fields.map((f) => f.trim().toLowerCase().replaceAll(' ', '')).join(',') !== csvHeader) {
        problem(at, `the first line must be the header ${csvHeader}`)
        stop = true
        return
      }
      headerSeen = true
      return
    }
    if (fields.length === 1 && fields[0]!.trim() === '') return
    const scan = scanOfRow(fields, at, endpoint, (message) => problem(at, message))
    if (scan && scans.length >= maxScansPerFile) {
      problem(at, `more than ${maxScansPerFile} scans in one file: split it`)
      stop = true
    } else if (scan) scans.push(scan)
  }
  const parser = new Parser({
    delimiter: ',',
    record_delimiter: ['\r\n', '\n'],
    bom: false, // the decoder has taken it off
    relax_column_count: true, // a row of the wrong width is reported with its line, not the file
    relax_quotes: true, // a quote inside an unquoted field is text
    max_record_size: maxLine,
    on_record: (record) => {
      onRecord(record)
      return null
    },
  })
  parser.on('error', () => {}) // the write and end callbacks carry the error
  try {
    for await (const text of textOf(bytes, file)) {
      await write(parser, text)
      if (stop) break
    }
    if (!stop) await finish(parser)
  } catch (error) {
    if (!(error instanceof CsvError)) throw error
    // csv-parse stops at a quoting error: after it, nothing can be split into records reliably.
    problem(line, csvErrorMessage(error))
  } finally {
    parser.destroy()
  }
  if (!headerSeen && problems.length === 0) problem(1, `empty file: expected the header ${csvHeader}`)
  if (problems.length === 0 && scans.length === 0) problem(2, 'no scans after the header')
  if (problems.length > 0) throw new AppError('invalid', `${file}: ${problems.length} problem(s); first at ${problems[0]!.field}: ${problems[0]!.message}`, { problems })
  return scans
}

/** One row of the scan CSV as a scan, or undefined after reporting each of its problems. */
function scanOfRow(fields: string[], line: number, endpoint: string | undefined, problem: (message: string) => void): ParsedScan | undefined {
  if (fields.length !== 6) {
    problem(`expected 6 fields (${csvHeader}), found ${fields.length}`)
    return undefined
  }
  const [hostname, product, started, finished, infected, result] = fields.map((f) => f.trim()) as [string, string, string, string, string, string]
  const host = endpoint ?? hostname
  if (host === '' || host.length > 255) problem('hostname is empty or too long')
  if (product === '' || product.length > 200) problem('product is empty or too long')
  const startedAt = started === '' ? null : parseIsoDate(started)?.toISOString()
  if (startedAt === undefined) problem(`scan_started is not an ISO-8601 time: ${JSON.stringify(started.slice(0, 40))}`)
  const finishedAt = parseIsoDate(finished)?.toISOString()
  if (finishedAt === undefined) problem(`scan_finished is not an ISO-8601 time: ${JSON.stringify(finished.slice(0, 40))}`)
  const infectedFiles = count(infected)
  if (infectedFiles === undefined) problem(`infected_files is not a count: ${JSON.stringify(infected.slice(0, 40))}`)
  const outcome = result.toLowerCase()
  const known = (scanResults as readonly string[]).includes(outcome)
  if (!known) problem(`result must be clean, infected or error, not ${JSON.stringify(result.slice(0, 40))}`)
  if (outcome === 'clean' && infectedFiles !== undefined && infectedFiles > 0) problem('result is clean but infected_files is above 0')
  if (host === '' || host.length > 255 || product === '' || product.length > 200 || startedAt === undefined || finishedAt === undefined || infectedFiles === undefined || !known) return undefined
  return { host, line, product, startedAt, finishedAt, scannedFiles: null, infectedFiles, result: infectedFiles > 0 ? 'infected' : (outcome as ScanResult), detections: [] }
}

function newlinesIn(text: string): number {
  let n = 0
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n += 1
  return n
}

function csvErrorMessage(error: CsvError): string {
  if (error.code === 'CSV_QUOTE_NOT_CLOSED') return 'a quoted field that starts in this record is never closed (is the file truncated?)'
  if (error.code === 'CSV_MAX_RECORD_SIZE') return `a record longer than ${maxLine} characters`
  return `malformed CSV: ${error.message.slice(0, 200)}`
}

function write(parser: Parser, text: string): Promise<void> {
  return new Promise((resolve, reject) => parser.write(text, (error) => (error ? reject(error) : resolve())))
}

function finish(parser: Parser): Promise<void> {
  return new Promise((resolve, reject) => parser.end((error?: Error | null) => (error ? reject(error) : resolve())))
}

/** The format by name or content: a CSV header, or else a clamscan log. */
export function detectScanFormat(file: string, head: string): ScanFormat {
  // The head may be decoded as Latin-1 (the service does), where a UTF-8 BOM reads as "ï»¿".
  if (head.replace(/^(?:\uFEFF|\u00EF\u00BB\u00BF)/, '').trim().toLowerCase().startsWith('hostname,')) return 'csv'
  if (file.toLowerCase().endsWith('.csv')) return 'csv'
  return 'clamscan'
}
