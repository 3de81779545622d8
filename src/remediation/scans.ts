import { AppError, type FieldProblem } from '../shared/errors.js'
import type { ScanResult } from './model.js'

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
export const csvHeader = 'hostname,product,scan_started,scan_finished,infected_files,result'

/** Text lines with their numbers; refuses binary input (NUL bytes, invalid UTF-8) and overlong lines. */
async function* linesOf(bytes: AsyncIterable<Buffer>, file: string): AsyncGenerator<{ text: string; line: number }> {
  const decoder = new TextDecoder('utf-8', { fatal: true })
  let pending = ''
  let line = 0
  const fail = (message: string) => new AppError('invalid', `${file}:${line + 1}: ${message}`, { problems: [{ field: `${file}:${line + 1}`, message }] })
  for await (const chunk of bytes) {
    const nul = chunk.indexOf(0)
    if (nul >= 0) {
      const at = line + 1 + chunk.subarray(0, nul).reduce((n, byte) => (byte === 0x0a ? n + 1 : n), 0)
      throw new AppError('invalid', `${file}:${at}: binary data (a NUL byte): not a scan report`, { problems: [{ field: `${file}:${at}`, message: 'binary data (a NUL byte): not a scan report' }] })
    }
    let text: string
    try {
      text = decoder.decode(chunk, { stream: true })
    } catch (cause) {
      throw new AppError('invalid', `${file}:${line + 1}: not UTF-8 text: not a scan report`, { cause, problems: [{ field: `${file}:${line + 1}`, message: 'not UTF-8 text' }] })
    }
    pending += text
    let newline = pending.indexOf('\n')
    while (newline >= 0) {
      line += 1
      yield { text: pending.slice(0, newline).replace(/\r$/, ''), line }
      pending = pending.slice(newline + 1)
      newline = pending.indexOf('\n')
    }
    if (pending.length > maxLine) throw fail(`a line longer than ${maxLine} characters`)
  }
  try {
    pending += decoder.decode()
  } catch (cause) {
    throw new AppError('invalid', `${file}:${line + 1}: not UTF-8 text (truncated character)`, { cause, problems: [{ field: `${file}:${line + 1}`, message: 'not UTF-8 text' }] })
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

/** One CSV record of a line: commas, double-quoted fields with "" inside (no line breaks inside fields). */
function splitCsv(text: string): string[] | undefined {
  const fields: string[] = []
  let i = 0
  for (;;) {
    if (text[i] === '"') {
      let value = ''
      i += 1
      for (;;) {
        if (i >= text.length) return undefined
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            value += '"'
            i += 2
            continue
          }
          i += 1
          break
        }
        value += text[i]
        i += 1
      }
      fields.push(value)
      if (i === text.length) return fields
      if (text[i] !== ',') return undefined
      i += 1
    } else {
      const comma = text.indexOf(',', i)
      if (comma < 0) {
        fields.push(text.slice(i))
        return fields
      }
      fields.push(text.slice(i, comma))
      i = comma + 1
    }
  }
}

/** Parses the scan CSV; all problems are collected (up to 100) and thrown together. */
export async function parseScanCsv(bytes: AsyncIterable<Buffer>, file: string, endpoint: string | undefined): Promise<ParsedScan[]> {
  const scans: ParsedScan[] = []
  const problems: FieldProblem[] = []
  const problem = (line: number, message: string) => {
    if (problems.length < maxProblems) problems.push({ field: `${file}:${line}`, message })
  }
  let headerSeen = false
  for await (const { text, line } of linesOf(bytes, file)) {
    if (!headerSeen) {
      if (text.replace(/^\uFEFF/, '').trim().toLowerCase().replaceAll(' ', '') !== csvHeader) {
        problem(line, `the first line must be the header ${csvHeader}`)
        break
      }
      headerSeen = true
      continue
    }
    if (text.trim() === '') continue
    const fields = splitCsv(text)
    if (!fields || fields.length !== 6) {
      problem(line, `expected 6 fields (${csvHeader})${fields ? `, found ${fields.length}` : ': unbalanced quotes'}`)
      continue
    }
    const [hostname, product, started, finished, infected, result] = fields.map((f) => f.trim()) as [string, string, string, string, string, string]
    const host = endpoint ?? hostname
    if (host === '' || host.length > 255) problem(line, 'hostname is empty or too long')
    if (product === '' || product.length > 200) problem(line, 'product is empty or too long')
    const startedAt = started === '' ? null : parseIsoDate(started)?.toISOString()
    if (startedAt === undefined) problem(line, `scan_started is not an ISO-8601 time: ${JSON.stringify(started.slice(0, 40))}`)
    const finishedAt = parseIsoDate(finished)?.toISOString()
    if (finishedAt === undefined) problem(line, `scan_finished is not an ISO-8601 time: ${JSON.stringify(finished.slice(0, 40))}`)
    const infectedFiles = count(infected)
    if (infectedFiles === undefined) problem(line, `infected_files is not a count: ${JSON.stringify(infected.slice(0, 40))}`)
    const outcome = result.toLowerCase()
    if (!['clean', 'infected', 'error'].includes(outcome)) problem(line, `result must be clean, infected or error, not ${JSON.stringify(result.slice(0, 40))}`)
    if (outcome === 'clean' && infectedFiles !== undefined && infectedFiles > 0) problem(line, 'result is clean but infected_files is above 0')
    if (host !== '' && product !== '' && startedAt !== undefined && finishedAt !== undefined && infectedFiles !== undefined && ['clean', 'infected', 'error'].includes(outcome)) {
      scans.push({ host, line, product, startedAt, finishedAt, scannedFiles: null, infectedFiles, result: infectedFiles > 0 ? 'infected' : (outcome as ScanResult), detections: [] })
    }
  }
  if (!headerSeen && problems.length === 0) problem(1, `empty file: expected the header ${csvHeader}`)
  if (problems.length === 0 && scans.length === 0) problem(2, 'no scans after the header')
  if (problems.length > 0) throw new AppError('invalid', `${file}: ${problems.length} problem(s); first at ${problems[0]!.field}: ${problems[0]!.message}`, { problems })
  return scans
}

/** The format by name or content: a CSV header, or else a clamscan log. */
export function detectScanFormat(file: string, head: string): ScanFormat {
  if (head.replace(/^\uFEFF/, '').trim().toLowerCase().startsWith('hostname,')) return 'csv'
  if (file.toLowerCase().endsWith('.csv')) return 'csv'
  return 'clamscan'
}
