// Zeek's tab-separated logs (dns.log, http.log, conn.log, ssl.log and the like): a header of `#`
// lines says the separator, the set separator, how unset (`-`) and empty (`(empty)`) fields are
// written, and the fields; columns are found by name. The header can come again in the middle of a
// file (logs concatenated): each new #fields line applies from there on. Values escape the
// separator and non-printable bytes as \xHH (the matcher decodes those in names).
import { wantDomains, wantIps, wantUrls } from '../match.js'
import { ascii, indexOfByte, reportHost, startsWith } from './bytes.js'
import { isoFromEpoch, isoFromText } from './time.js'
import type { CandidateSink, LineContext, LogReader } from './types.js'

/** What a line's columns are, from the header: shared with workers as JSON text. */
export interface ZeekHeader {
  separator: number
  setSeparator: number
  empty: string
  unset: string
  path: string | null
  fields: string[] | null
}

const none = 0
const nameRole = 1 // query, server_name
const answersRole = 2 // answers: addresses and names
const hostRole = 3 // http host, with an optional port
const uriRole = 4
const addressRole = 5 // id.orig_h, id.resp_h

const roles: Record<string, number> = {
  query: nameRole,
  server_name: nameRole,
  answers: answersRole,
  host: hostRole,
  uri: uriRole,
  'id.orig_h': addressRole,
  'id.resp_h': addressRole,
}

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

const headerLines = {
  separator: ascii('#separator '),
  setSeparator: ascii('#set_separator'),
  empty: ascii('#empty_field'),
  unset: ascii('#unset_field'),
  path: ascii('#path'),
  fields: ascii('#fields'),
}

export function defaultZeekHeader(): ZeekHeader {
  return headerOf({ separator: 0x09, setSeparator: 0x2c, empty: '(empty)', unset: '-', path: null, fields: null })
}

/** A header object of one shape whatever made it (a literal, JSON.parse), so the hot path sees one hidden class. */
function headerOf(value: ZeekHeader): ZeekHeader {
  return {
    separator: Number(value.separator),
    setSeparator: Number(value.setSeparator),
    empty: String(value.empty),
    unset: String(value.unset),
    path: value.path === null ? null : String(value.path),
    fields: Array.isArray(value.fields) ? value.fields.map(String) : null,
  }
}

export class ZeekReader implements LogReader {
  readonly format = 'zeek' as const
  private header: ZeekHeader
  private columnRoles = new Uint8Array(0)
  private columnCount = 0
  private starts = new Int32Array(0)
  private ends = new Int32Array(0)
  private hostColumn = -1
  private uriColumn = -1
  private timeColumn = -1
  private clientColumn = -1
  private unset = ascii('-')
  private empty = ascii('(empty)')
  private scratch = Buffer.alloc(4096)
  private plannedFor = -1
  /** The columns this sink needs, in order. */
  private wanted = new Int32Array(0)
  /** The indexes of the separators that bound them, ascending, then 0x7fffffff. */
  private neededSeparators = Int32Array.from([0x7fffffff])
  /** Where each needed separator was found on the current line. */
  private separatorAt = new Int32Array(0)
  private wordsBuffer: ArrayBufferLike = new ArrayBuffer(0)
  private separator = 0x09
  private words: Int32Array<ArrayBufferLike> = new Int32Array(0)

  constructor(state?: string | null) {
    this.header = state ? headerOf(JSON.parse(state) as ZeekHeader) : defaultZeekHeader()
    this.applyHeader()
  }

  scan(bytes: Buffer, start: number, end: number, sink: CandidateSink): string | null {
    if (bytes[start] === 0x23) return this.readHeaderLine(bytes, start, end)
    const count = this.columnCount
    if (count === 0) return 'no #fields header before this line'
    const wants = sink.wants
    if (wants !== this.plannedFor) this.plan(wants)
    const columns = littleEndian ? this.splitByWords(bytes, start, end) : this.splitByBytes(bytes, start, end)
    if (columns !== count) return `${columns} fields where the #fields header has ${count}`
    const columnRoles = this.columnRoles
    const starts = this.starts
    const ends = this.ends
    const wanted = this.wanted
    for (let w = 0; w < wanted.length; w++) {
      const c = wanted[w]!
      const role = columnRoles[c]!
      const from = starts[c]!
      const to = ends[c]!
      if (this.isUnset(bytes, from, to)) continue
      if (role === nameRole) {
        if (wants & wantDomains) sink.domain(bytes, from, to)
      } else if (role === addressRole) {
        if (wants & wantIps) sink.ip(bytes, from, to)
      } else if (role === answersRole) {
        if (wants & (wantDomains | wantIps)) this.answers(bytes, from, to, sink)
      } else if (role === hostRole) {
        reportHost(sink, bytes, from, to)
      } else if (role === uriRole) {
        this.uri(bytes, from, to, sink)
      }
    }
    return null
  }

  /**
   * The number of columns of the line, with the start and end of each wanted column in starts and
   * ends. Four bytes at a time: the separator bytes of a 32-bit word are found exactly by the
   * zero-byte mask of the word XOR the separator repeated (no borrow crosses bytes); separators are
   * only counted (a popcount) except in the words holding one that bounds a wanted column.
   */
  private splitByWords(bytes: Buffer, start: number, end: number): number {
    const separator = this.separator
    const needed = this.neededSeparators
    const at = this.separatorAt
    const base = bytes.byteOffset
    const words = this.wordsOf(bytes)
    const pattern = Math.imul(separator, 0x01010101)
    let seen = 0
    let next = 0
    let need = needed[0]!
    let i = start
    const aligned = Math.min(end, ((base + start + 3) & ~3) - base)
    for (; i < aligned; i++) {
      if (bytes[i] === separator) {
        if (seen === need) {
          at[seen] = i
          need = needed[++next]!
        }
        seen++
      }
    }
    const lastWord = (base + end) >> 2
    for (let word = (base + i) >> 2; word < lastWord; word++) {
      const x = words[word]! ^ pattern
      let found = ~((((x & 0x7f7f7f7f) + 0x7f7f7f7f) | 0) | x | 0x7f7f7f7f)
      const count = Math.imul(found >>> 7, 0x01010101) >>> 24
      if (seen + count <= need) {
        seen += count
        continue
      }
      while (found !== 0) {
        if (seen === need) {
          at[seen] = word * 4 - base + ((31 - Math.clz32(found & -found)) >> 3)
          need = needed[++next]!
        }
        seen++
        found &= found - 1
      }
    }
    for (i = Math.max(i, lastWord * 4 - base); i < end; i++) {
      if (bytes[i] === separator) {
        if (seen === need) {
          at[seen] = i
          need = needed[++next]!
        }
        seen++
      }
    }
    this.positions(start, end, seen + 1)
    return seen + 1
  }

  /** Starts and ends of the wanted columns from the separators found (when the line has the right number of them). */
  private positions(start: number, end: number, columns: number): void {
    if (columns !== this.columnCount) return
    const wanted = this.wanted
    for (let w = 0; w < wanted.length; w++) {
      const column = wanted[w]!
      this.starts[column] = column === 0 ? start : this.separatorAt[column - 1]! + 1
      this.ends[column] = column === columns - 1 ? end : this.separatorAt[column]!
    }
  }

  /** splitByWords for big-endian machines, a byte at a time. */
  private splitByBytes(bytes: Buffer, start: number, end: number): number {
    const separator = this.header.separator
    let seen = 0
    for (let i = start; i < end; i++) {
      if (bytes[i] === separator) {
        if (seen < this.separatorAt.length) this.separatorAt[seen] = i
        seen++
      }
    }
    this.positions(start, end, seen + 1)
    return seen + 1
  }

  /** A 32-bit view of the whole memory the line is in, from its offset 0 (so it is aligned). */
  private wordsOf(bytes: Buffer): Int32Array<ArrayBufferLike> {
    if (bytes.buffer !== this.wordsBuffer) {
      this.wordsBuffer = bytes.buffer
      this.words = new Int32Array(bytes.buffer, 0, bytes.buffer.byteLength >> 2)
    }
    return this.words
  }

  /** Which columns this sink needs: the last one bounds the positions recorded. */
  private plan(wants: number): void {
    this.plannedFor = wants
    const wanted: number[] = []
    this.header.fields?.forEach((_, column) => {
      const role = this.columnRoles[column]!
      const needed =
        role === nameRole ? wants & wantDomains
        : role === addressRole ? wants & wantIps
        : role === answersRole ? wants & (wantDomains | wantIps)
        : role === hostRole ? wants & (wantDomains | wantIps | wantUrls)
        : role === uriRole ? wants & (wantDomains | wantIps | wantUrls)
        : 0
      if (needed) wanted.push(column)
    })
    // The URI is built with the host: the host's position must be known too.
    if (this.uriColumn !== -1 && wanted.includes(this.uriColumn) && !wanted.includes(this.hostColumn) && this.hostColumn !== -1) wanted.push(this.hostColumn)
    wanted.sort((x, y) => x - y)
    this.wanted = Int32Array.from(wanted)
    // The separators before and after each wanted column, then one no line reaches.
    const separators = new Set(wanted.flatMap((column) => [column - 1, column]).filter((index) => index >= 0 && index < this.columnCount - 1))
    this.neededSeparators = Int32Array.from([...[...separators].sort((x, y) => x - y), 0x7fffffff])
  }

  describe(bytes: Buffer, start: number, end: number): LineContext {
    let timestamp: string | null = null
    let client: string | null = null
    if (bytes[start] === 0x23) return { timestamp, client }
    let column = 0
    let fieldStart = start
    for (let i = start; i <= end; i++) {
      if (i === end || bytes[i] === this.header.separator) {
        if (column === this.timeColumn && !this.isUnset(bytes, fieldStart, i)) {
          const text = bytes.toString('latin1', fieldStart, i)
          timestamp = isoFromEpoch(text) ?? isoFromText(text)
        } else if (column === this.clientColumn && !this.isUnset(bytes, fieldStart, i)) {
          client = bytes.toString('latin1', fieldStart, i)
        }
        column++
        fieldStart = i + 1
      }
    }
    return { timestamp, client }
  }

  state(): string | null {
    return JSON.stringify(this.header)
  }

  private isUnset(bytes: Buffer, start: number, end: number): boolean {
    const length = end - start
    if (length === 0) return true
    if (length === this.unset.length && startsWith(bytes, start, end, this.unset)) return true
    return length === this.empty.length && startsWith(bytes, start, end, this.empty)
  }

  /** DNS answers in one pass: addresses (digits and dots, or a colon) and names; TXT answers ("TXT 12 text") are skipped. */
  private answers(bytes: Buffer, start: number, end: number, sink: CandidateSink): void {
    const separator = this.header.setSeparator
    const wants = sink.wants
    if (!(wants & wantIps)) {
      // Names only: an answer ending in a digit is an address (no domain indicator has a numeric top-level label).
      let itemStart = start
      for (let i = start; i <= end; i++) {
        if (i === end || bytes[i] === separator) {
          const last = bytes[i - 1]!
          if (i > itemStart && (last > 0x39 || last < 0x30)) sink.domain(bytes, itemStart, i)
          itemStart = i + 1
        }
      }
      return
    }
    let itemStart = start
    let address = true
    let colon = false
    let blank = false
    for (let i = start; i <= end; i++) {
      const code = i === end ? separator : bytes[i]!
      if (code === separator) {
        if (i > itemStart && !blank) {
          if (colon || address) {
            if (wants & wantIps) sink.ip(bytes, itemStart, i)
          } else if (wants & wantDomains) {
            sink.domain(bytes, itemStart, i)
          }
        }
        itemStart = i + 1
        address = true
        colon = false
        blank = false
      } else if (code === 0x3a) {
        colon = true
      } else if (code === 0x20) {
        blank = true
      } else if (address && code !== 0x2e && (code < 0x30 || code > 0x39)) {
        address = false
      }
    }
  }

  /** http.log's uri: a URL with the line's host when there are URL indicators; an absolute URL (proxies) as it is. */
  private uri(bytes: Buffer, start: number, end: number, sink: CandidateSink): void {
    if (bytes[start] !== 0x2f) {
      if (indexOfByte(bytes, 0x3a, start, end) !== -1 && indexOfByte(bytes, 0x2f, start, end) !== -1) sink.url(bytes, start, end)
      return
    }
    if (!(sink.wants & wantUrls) || this.hostColumn === -1) return
    const hostStart = this.starts[this.hostColumn]!
    const hostEnd = this.ends[this.hostColumn]!
    if (this.isUnset(bytes, hostStart, hostEnd)) return
    const length = 7 + (hostEnd - hostStart) + (end - start)
    if (length > this.scratch.length) this.scratch = Buffer.alloc(Math.max(length, this.scratch.length * 2))
    this.scratch.write('http://', 0, 'latin1')
    bytes.copy(this.scratch, 7, hostStart, hostEnd)
    bytes.copy(this.scratch, 7 + hostEnd - hostStart, start, end)
    sink.url(this.scratch, 0, length)
  }

  private readHeaderLine(bytes: Buffer, start: number, end: number): string | null {
    const separator = this.header.separator
    const valueOf = (marker: Buffer) => unescapeZeek(bytes.toString('utf8', start + marker.length + 1, end))
    if (startsWith(bytes, start, end, headerLines.separator)) {
      const value = unescapeZeek(bytes.toString('latin1', start + headerLines.separator.length, end))
      if (value.length !== 1) return `a #separator of ${value.length} characters`
      this.header = headerOf({ ...defaultZeekHeader(), separator: value.charCodeAt(0) })
      this.applyHeader()
    } else if (isHeader(bytes, start, end, headerLines.setSeparator, separator)) {
      const value = valueOf(headerLines.setSeparator)
      if (value.length !== 1) return `a #set_separator of ${value.length} characters`
      this.header.setSeparator = value.charCodeAt(0)
    } else if (isHeader(bytes, start, end, headerLines.empty, separator)) {
      this.header.empty = valueOf(headerLines.empty)
      this.applyHeader()
    } else if (isHeader(bytes, start, end, headerLines.unset, separator)) {
      this.header.unset = valueOf(headerLines.unset)
      this.applyHeader()
    } else if (isHeader(bytes, start, end, headerLines.path, separator)) {
      this.header.path = valueOf(headerLines.path)
    } else if (isHeader(bytes, start, end, headerLines.fields, separator)) {
      this.header.fields = bytes.toString('utf8', start + headerLines.fields.length + 1, end).split(String.fromCharCode(separator))
      this.applyHeader()
    }
    return null // #types, #open, #close and comments say nothing the hunt needs
  }

  private applyHeader(): void {
    const { fields } = this.header
    this.separator = this.header.separator
    this.unset = Buffer.from(this.header.unset)
    this.empty = Buffer.from(this.header.empty)
    this.columnCount = fields?.length ?? 0
    this.columnRoles = new Uint8Array(this.columnCount + 1)
    this.starts = new Int32Array(this.columnCount + 1)
    this.ends = new Int32Array(this.columnCount + 1)
    this.separatorAt = new Int32Array(this.columnCount + 1)
    this.plannedFor = -1
    this.hostColumn = this.uriColumn = this.timeColumn = this.clientColumn = -1
    fields?.forEach((field, column) => {
      const role = Object.hasOwn(roles, field) ? roles[field]! : none
      this.columnRoles[column] = role
      if (role === hostRole) this.hostColumn = column
      if (role === uriRole) this.uriColumn = column
      if (field === 'ts') this.timeColumn = column
      if (field === 'id.orig_h') this.clientColumn = column
    })
  }
}

function isHeader(bytes: Buffer, start: number, end: number, marker: Buffer, separator: number): boolean {
  return startsWith(bytes, start, end, marker) && bytes[start + marker.length] === separator
}

/** Zeek's \xHH escapes. */
export function unescapeZeek(text: string): string {
  return text.replace(/\\x([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
}
