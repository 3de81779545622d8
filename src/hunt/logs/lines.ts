// The hunt over lines, shared by the single-thread engine and the workers: splits chunks into lines
// with Buffer.indexOf, bounds their length (an over-long line is reported and skipped without being
// held), hands each line to the reader with itself as the sink, and makes sightings of the lines
// whose values matched. Text is made only for those lines and for the unparseable ones sampled.
import { isUtf8 } from 'node:buffer'
import type { HuntIndicator, IndicatorMatcher } from '../match.js'
import { displayText } from './bytes.js'
import { binaryReason, scanText, TextReader } from './text.js'
import type { CandidateSink, LogReader, Sighting, UnparseableLine } from './types.js'

export const defaultMaxLineBytes = 1024 * 1024
export const maxSamples = 20
/** Bytes of an over-long line kept for its sample. */
const sampleBytes = 2048

export interface LineHunterOptions {
  file: string
  maxLineBytes: number
  referenceTime: Date
}

export class LineHunter implements CandidateSink {
  readonly wants: number
  lines = 0
  bytes = 0
  unparseable = 0
  invalidUtf8Lines = 0
  sightings = 0
  readonly samples: UnparseableLine[] = []
  private batch: Sighting[] = []
  private readonly text: TextReader
  private readonly file: string
  private readonly limit: number
  private hitCount = 0
  private readonly hitLists: (readonly HuntIndicator[])[] = []
  private readonly hitValues: string[] = []
  private pending: Buffer[] = []
  private pendingBytes = 0
  /** Inside a line longer than the limit: its first bytes, for the sample. */
  private skipped: Buffer | undefined
  private checkUtf8 = false

  constructor(
    private readonly reader: LogReader,
    private readonly matcher: IndicatorMatcher,
    options: LineHunterOptions,
  ) {
    this.wants = matcher.wants
    this.file = options.file
    this.limit = options.maxLineBytes
    this.text = new TextReader(options.referenceTime)
  }

  /** Reads every line the chunk completes; the rest is kept (copied: the caller may reuse the chunk). */
  push(chunk: Buffer): void {
    this.bytes += chunk.length
    let start = 0
    if (this.pendingBytes > 0 || this.skipped !== undefined) {
      const newline = chunk.indexOf(10)
      if (newline === -1) {
        this.carry(chunk, 0, chunk.length)
        return
      }
      this.carry(chunk, 0, newline)
      this.finishCarried()
      start = newline + 1
    }
    const last = chunk.lastIndexOf(10)
    if (last >= start) {
      // One check for the whole chunk; lines are checked one by one only in a chunk that fails it.
      this.checkUtf8 = !isUtf8(chunk.subarray(start, last))
      for (let newline = chunk.indexOf(10, start); newline !== -1; newline = start > last ? -1 : chunk.indexOf(10, start)) {
        this.line(chunk, start, newline)
        start = newline + 1
      }
    }
    if (start < chunk.length) this.carry(chunk, start, chunk.length)
  }

  /** Reads the last line when the input does not end with a newline. */
  end(): void {
    if (this.pendingBytes > 0 || this.skipped !== undefined) this.finishCarried()
  }

  /** The sightings made since the last take. */
  take(): Sighting[] {
    const batch = this.batch
    this.batch = []
    return batch
  }

  domain(bytes: Buffer, start: number, end: number): void {
    const found = this.matcher.matchDomainBytes(bytes, start, end)
    if (found.length !== 0) this.hit(found, bytes.toString('utf8', start, end))
  }

  url(bytes: Buffer, start: number, end: number): void {
    const found = this.matcher.matchUrlBytes(bytes, start, end)
    if (found.length !== 0) this.hit(found, bytes.toString('utf8', start, end))
  }

  ip(bytes: Buffer, start: number, end: number): void {
    const found = this.matcher.matchIpBytes(bytes, start, end)
    if (found.length !== 0) this.hit(found, bytes.toString('utf8', start, end))
  }

  domainText(value: string): void {
    const found = this.matcher.matchDomain(value)
    if (found.length !== 0) this.hit(found, value)
  }

  urlText(value: string): void {
    const found = this.matcher.matchUrl(value)
    if (found.length !== 0) this.hit(found, value)
  }

  ipText(value: string): void {
    const found = this.matcher.matchIp(value)
    if (found.length !== 0) this.hit(found, value)
  }

  private hit(found: readonly HuntIndicator[], value: string): void {
    this.hitLists[this.hitCount] = found
    this.hitValues[this.hitCount] = value
    this.hitCount++
  }

  private line(bytes: Buffer, start: number, end: number): void {
    this.lines++
    if (end - start > this.limit) return this.tooLong(bytes.subarray(start, start + sampleBytes))
    if (end > start && bytes[end - 1] === 0x0d) end--
    if (end === start) return
    if (this.checkUtf8 && !isUtf8(bytes.subarray(start, end))) this.invalidUtf8Lines++
    this.hitCount = 0
    const reason = this.reader.scan(bytes, start, end, this)
    let describer: LogReader = this.reader
    if (reason !== null) {
      this.unparseableLine(reason, displayText(bytes, start, end))
      // Never hide what an unreadable line holds: it is scanned as plain text.
      this.hitCount = 0
      describer = this.text
      if (!(this.reader.format === 'text' && reason === binaryReason)) scanText(bytes, start, end, this)
    }
    if (this.hitCount !== 0) this.emit(bytes, start, end, describer)
  }

  private emit(bytes: Buffer, start: number, end: number, describer: LogReader): void {
    const { timestamp, client } = describer.describe(bytes, start, end)
    const raw = displayText(bytes, start, end)
    const seen = new Set<string>()
    for (let h = 0; h < this.hitCount; h++) {
      for (const indicator of this.hitLists[h]!) {
        if (seen.has(indicator.id)) continue
        seen.add(indicator.id)
        const value = printable(this.hitValues[h]!)
        this.batch.push({ indicatorId: indicator.id, kind: indicator.kind, value, file: this.file, line: this.lines, timestamp, client, raw })
        this.sightings++
      }
    }
    this.hitCount = 0
  }

  private unparseableLine(reason: string, text: string): void {
    this.unparseable++
    if (this.samples.length < maxSamples) this.samples.push({ line: this.lines, reason, text })
  }

  private tooLong(head: Buffer): void {
    this.unparseableLine(`the line is longer than ${formatBytes(this.limit)}; it was skipped`, displayText(head, 0, head.length))
  }

  private carry(chunk: Buffer, start: number, end: number): void {
    if (this.skipped !== undefined) return
    if (this.pendingBytes + end - start > this.limit) {
      this.skipped = Buffer.concat([...this.pending, chunk.subarray(start, Math.min(end, start + sampleBytes))]).subarray(0, sampleBytes)
      this.pending = []
      this.pendingBytes = 0
      return
    }
    this.pending.push(Buffer.from(chunk.subarray(start, end)))
    this.pendingBytes += end - start
  }

  private finishCarried(): void {
    if (this.skipped !== undefined) {
      this.lines++
      this.tooLong(this.skipped)
      this.skipped = undefined
      return
    }
    const line = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes)
    this.pending = []
    this.pendingBytes = 0
    this.checkUtf8 = true
    this.line(line, 0, line.length)
  }
}

function printable(value: string): string {
  return /[\u0000-\u001f\u007f-\u009f]/.test(value) ? value.replace(/[\u0000-\u001f\u007f-\u009f]/g, '\ufffd') : value
}

export function formatBytes(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`
  return `${bytes} bytes`
}
