// Byte-level reading shared by the parsers: the input loop (with its errors wrapped), BOM and
// UTF-16 handling, UTF-8 validation across chunk boundaries, line positions and the size limit.
import { isUtf8 } from 'node:buffer'
import { isAppError } from '../../shared/errors.js'
import { ImportFileError, type ParseOptions } from './types.js'

export const defaultMaxLineBytes = 64 * 1024 * 1024

export function maxLineBytesOf(options: ParseOptions): number {
  const limit = options.maxLineBytes ?? defaultMaxLineBytes
  if (!Number.isSafeInteger(limit) || limit < 1) throw new Error(`maxLineBytes must be a positive integer, not ${limit}`)
  return limit
}

export function formatBytes(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`
  return `${bytes} bytes`
}

export function lineTooLong(file: string, line: number, limit: number): ImportFileError {
  return new ImportFileError(file, line, `line ${line} is longer than ${formatBytes(limit)}`)
}

export function invalidUtf8(file: string, line: number): ImportFileError {
  return new ImportFileError(file, line, `line ${line} is not valid UTF-8 text`)
}

export function emptyFile(file: string): ImportFileError {
  return new ImportFileError(file, null, 'the file is empty')
}

/**
 * The input's non-empty chunks as Buffers, without a leading UTF-8 BOM. A UTF-16 BOM is an error
 * (exports saved as "Unicode text"), and so is any failure of the input itself: the parsers throw
 * nothing but ImportFileError (or the AppError an input already throws).
 */
export async function* readInput(input: AsyncIterable<Buffer | Uint8Array | string>, file: string): AsyncGenerator<Buffer, void, undefined> {
  const iterator = input[Symbol.asyncIterator]()
  let head: Buffer | undefined = Buffer.alloc(0) // the first bytes, until there are enough to check for a BOM
  try {
    for (;;) {
      let next: IteratorResult<Buffer | Uint8Array | string>
      try {
        next = await iterator.next()
      } catch (error) {
        throw isAppError(error) ? error : new ImportFileError(file, null, `cannot read the file: ${messageOf(error)}`, { cause: error })
      }
      if (next.done) break
      const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength)
      if (head === undefined) {
        if (chunk.length > 0) yield chunk
        continue
      }
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk])
      if (head.length < 3) continue
      const body = withoutBom(head, file)
      head = undefined
      if (body.length > 0) yield body
    }
    if (head !== undefined && head.length > 0) {
      const body = withoutBom(head, file)
      if (body.length > 0) yield body
    }
  } finally {
    // Closes the input when the parse stops early; a failure to close must not hide why it stopped.
    await Promise.resolve(iterator.return?.()).catch(() => undefined)
  }
}

function withoutBom(head: Buffer, file: string): Buffer {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return head.subarray(3)
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) {
    throw new ImportFileError(file, 1, 'the file is UTF-16 text; save it as UTF-8')
  }
  return head
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** The offset where the first line holding invalid UTF-8 starts, or bytes.length when all of it is valid. */
export function validUtf8Prefix(bytes: Buffer): number {
  if (isUtf8(bytes)) return bytes.length
  let start = 0
  for (;;) {
    const end = bytes.indexOf(10, start)
    if (!isUtf8(bytes.subarray(start, end === -1 ? bytes.length : end))) return start
    if (end === -1) return bytes.length // not reached: some line must be the invalid one
    start = end + 1
  }
}

/**
 * Cuts each chunk at its last complete UTF-8 character and carries the rest over to the next
 * chunk, so that every piece handed out can be validated (and decoded) on its own.
 */
export class Utf8Chunks {
  private carry: Buffer | undefined

  take(chunk: Buffer): Buffer {
    const bytes = this.carry === undefined ? chunk : Buffer.concat([this.carry, chunk])
    this.carry = undefined
    const cut = completeLength(bytes)
    if (cut === bytes.length) return bytes
    this.carry = Buffer.from(bytes.subarray(cut))
    return bytes.subarray(0, cut)
  }

  /** The bytes of a character the input ended in the middle of (invalid), if any. */
  rest(): Buffer | undefined {
    return this.carry
  }
}

function completeLength(bytes: Buffer): number {
  for (let i = bytes.length - 1; i >= 0 && i >= bytes.length - 4; i--) {
    const byte = bytes[i]!
    if (byte < 0x80) return bytes.length
    if (byte >= 0xc0) {
      const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2
      return i + length > bytes.length ? i : bytes.length
    }
  }
  return bytes.length
}

/** Line numbers of byte offsets, for offsets that never go backwards; newline offsets are added as the bytes are read. */
export class LineIndex {
  private newlines: number[] = []
  private next = 0
  private line = 1

  addNewline(offset: number): void {
    this.newlines.push(offset)
  }

  lineAt(offset: number): number {
    while (this.next < this.newlines.length && this.newlines[this.next]! < offset) {
      this.line++
      this.next++
    }
    if (this.next > 4096) {
      this.newlines = this.newlines.slice(this.next)
      this.next = 0
    }
    return this.line
  }
}

export type JsonRecord = Record<string, unknown>

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** A trimmed string field; undefined when absent, empty or not a string. */
export function text(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined
  const trimmed = value.trim()
  return trimmed === '' ? undefined : trimmed
}

/** A value for a message: a short quoted text, else its kind. */
export function quote(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value)
  return Array.isArray(value) ? 'an array' : value === undefined ? 'nothing' : 'an object'
}

/** An own property of a record whose key comes from outside (options, file content): never an inherited one. */
export function own(record: JsonRecord, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined
}

/** Why a field cannot be used: absent, or of the wrong type. */
export function missing(field: string, value: unknown): string {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return `no ${field}`
  return `${field} is ${Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`}, not text`
}

const earliest = Date.UTC(1990, 0, 1)
const latest = Date.UTC(2100, 0, 1)

/** An ISO time from an ISO-8601 text (zone-less times are UTC), or null when it is not one in a sane range. */
export function isoTime(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > 40) return null
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)? ?(Z|UTC|[+-]\d{2}:?\d{2})?$/i.exec(value.trim())
  if (!match) return null
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((part) => Number(part ?? 0)) as [number, number, number, number, number, number]
  const midnight = new Date(Date.UTC(year, month - 1, day))
  if (midnight.getUTCMonth() !== month - 1 || midnight.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return null
  let ms = midnight.getTime() + ((hour * 60 + minute) * 60 + second) * 1000 + Math.floor(Number(`0${match[7] ?? ''}`) * 1000)
  const zone = match[8] ?? 'Z'
  if (zone.length > 3) {
    const digits = zone.slice(1).replace(':', '')
    ms -= (zone.startsWith('-') ? -1 : 1) * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000
  }
  return ms >= earliest && ms < latest ? new Date(ms).toISOString() : null
}

/** An ISO time from Unix seconds (a number or a numeric string), or null. */
export function isoFromUnixSeconds(value: unknown): string | null {
  const seconds = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,12}$/.test(value) ? Number(value) : Number.NaN
  if (!Number.isInteger(seconds)) return null
  const ms = seconds * 1000
  return ms >= earliest && ms < latest ? new Date(ms).toISOString() : null
}
