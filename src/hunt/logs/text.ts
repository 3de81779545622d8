// Plain text: URLs, names and addresses found anywhere in a line, by a byte scanner (no regular
// expressions, so no line can make it slow). Every dotted token is offered to the matcher as a
// name, and only indicator hits are reported: `d3dcompiler_47.dll` is looked up like
// `evil.example`, and is reported only if an indicator names it. Also the fallback that scans
// the lines other readers cannot read, so nothing in them goes unseen.
import { parseIpv6, wantDomains, wantIps, wantUrls } from '../match.js'
import { ascii } from './bytes.js'
import { leadingTime } from './time.js'
import type { CandidateSink, LineContext, LogReader } from './types.js'

const separator = 0
const word = 1 // A-Z a-z 0-9 - _
const dotClass = 2
const colonClass = 3
const wide = 4 // a byte of a multi-byte UTF-8 character

const classes = new Uint8Array(256)
for (let code = 0; code < 256; code++) {
  const lower = code | 0x20
  if ((lower >= 0x61 && lower <= 0x7a) || (code >= 0x30 && code <= 0x39) || code === 0x2d || code === 0x5f) classes[code] = word
  else if (code === 0x2e) classes[code] = dotClass
  else if (code === 0x3a) classes[code] = colonClass
  else if (code >= 0x80) classes[code] = wide
}

/** Control characters that make a line binary: all but tab, line feed, vertical tab, form feed, carriage return and escape (ANSI colours). */
const binary = new Uint8Array(256)
for (let code = 0; code < 0x20; code++) binary[code] = code === 0x09 || code === 0x0a || code === 0x0b || code === 0x0c || code === 0x0d || code === 0x1b ? 0 : 1

/** Characters that end a URL in free text. */
const urlEnds = new Uint8Array(256)
for (const code of ascii(' \t"\'<>`\\^{|}')) urlEnds[code] = 1
for (let code = 0; code < 0x20; code++) urlEnds[code] = 1
urlEnds[0x7f] = 1

export const binaryReason = 'binary data, not text'

/** Scratch space for checking IPv6 candidates (a thread runs one scan at a time). */
const hextets = new Uint16Array(8)
const words = new Int32Array(4)

/** Hands every URL, name and address in [start, end) to the sink; a reason when the line is binary. */
export function scanText(bytes: Buffer, start: number, end: number, sink: CandidateSink): string | null {
  const wants = sink.wants
  let i = start
  while (i < end) {
    const code = bytes[i]!
    const kind = classes[code]!
    if (kind === separator) {
      if (binary[code] === 1) return binaryReason
      i++
      continue
    }
    if (kind === wide && letterLength(bytes, i, end) === 0) {
      // Unicode punctuation (quotes, guillemets) separates like ASCII punctuation: skip the whole character.
      i++
      while (i < end && (bytes[i]! & 0xc0) === 0x80) i++
      continue
    }
    const tokenStart = i
    let colons = 0
    let hexOnly = true
    while (i < end) {
      const c = bytes[i]!
      const k = classes[c]!
      if (k === separator) break
      if (k === wide) {
        const length = letterLength(bytes, i, end)
        if (length === 0) break
        i += length
        hexOnly = false
        continue
      }
      if (k === colonClass) colons++
      else if (k === word && hexOnly && !isHex(c)) hexOnly = false
      i++
    }
    const tokenEnd = i
    if (colons > 0 && bytes[tokenEnd - 1] === 0x3a && bytes[i] === 0x2f && bytes[i + 1] === 0x2f) {
      i = url(bytes, tokenStart, tokenEnd, end, sink)
      continue
    }
    if (colons >= 2 && hexOnly) {
      // Times (10:15:30) and MAC addresses have this shape too: only real addresses are offered.
      if (wants & wantIps && parseIpv6(bytes, tokenStart, tokenEnd, hextets, words)) sink.ip(bytes, tokenStart, tokenEnd)
      continue
    }
    if (colons === 0) {
      dotted(bytes, tokenStart, tokenEnd, sink)
      continue
    }
    let partStart = tokenStart
    for (let k = tokenStart; k <= tokenEnd; k++) {
      if (k === tokenEnd || bytes[k] === 0x3a) {
        dotted(bytes, partStart, k, sink)
        partStart = k + 1
      }
    }
  }
  return null
}

/** A URL whose scheme ends the token [tokenStart, schemeEnd) (with its colon); returns where scanning goes on. */
function url(bytes: Buffer, tokenStart: number, schemeEnd: number, end: number, sink: CandidateSink): number {
  let schemeStart = schemeEnd - 1
  while (schemeStart > tokenStart && bytes[schemeStart - 1] !== 0x3a) schemeStart--
  let urlEnd = schemeEnd + 2
  while (urlEnd < end && urlEnds[bytes[urlEnd]!] === 0) urlEnd++
  let trimmed = urlEnd
  // Punctuation that ends a sentence or closes a bracket around the URL is not part of it.
  while (trimmed > schemeEnd + 2 && isTrailingPunctuation(bytes[trimmed - 1]!)) trimmed--
  if (trimmed > schemeEnd + 2 && sink.wants & (wantDomains | wantUrls | wantIps)) sink.url(bytes, schemeStart, trimmed)
  return urlEnd
}

function isTrailingPunctuation(code: number): boolean {
  return code === 0x2e || code === 0x2c || code === 0x3b || code === 0x3a || code === 0x21 || code === 0x3f || code === 0x29 || code === 0x5d || code === 0x7d
}

/** A token without colons: a name or an IPv4 address when it has a dot. */
function dotted(bytes: Buffer, start: number, end: number, sink: CandidateSink): void {
  while (start < end && (bytes[start] === 0x2e || bytes[start] === 0x2d)) start++
  while (end > start && (bytes[end - 1] === 0x2e || bytes[end - 1] === 0x2d)) end--
  let dots = 0
  let numeric = true
  for (let k = start; k < end; k++) {
    const code = bytes[k]!
    if (code === 0x2e) dots++
    else if (code < 0x30 || code > 0x39) numeric = false
  }
  if (dots === 0) return
  if (numeric) {
    if (dots === 3 && sink.wants & wantIps) sink.ip(bytes, start, end)
  } else if (sink.wants & wantDomains) {
    sink.domain(bytes, start, end)
  }
}

function isHex(code: number): boolean {
  const lower = code | 0x20
  return (code >= 0x30 && code <= 0x39) || (lower >= 0x61 && lower <= 0x66)
}

/** The byte length of the UTF-8 character at i when it is a letter, mark or digit (part of a name), else 0. */
function letterLength(bytes: Buffer, i: number, end: number): number {
  const lead = bytes[i]!
  const length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 0
  if (length === 0 || i + length > end) return 0
  let codePoint = lead & (0xff >> (length + 1))
  for (let k = 1; k < length; k++) {
    const next = bytes[i + k]!
    if ((next & 0xc0) !== 0x80) return 0
    codePoint = (codePoint << 6) | (next & 0x3f)
  }
  return /[\p{L}\p{M}\p{N}]/u.test(String.fromCodePoint(codePoint)) ? length : 0
}

/** The plain-text reader: any line is text; only binary lines are not. */
export class TextReader implements LogReader {
  readonly format = 'text' as const

  constructor(private readonly referenceTime: Date) {}

  scan(bytes: Buffer, start: number, end: number, sink: CandidateSink): string | null {
    return scanText(bytes, start, end, sink)
  }

  describe(bytes: Buffer, start: number, end: number): LineContext {
    return { timestamp: leadingTime(bytes.toString('latin1', start, Math.min(end, start + 64)), this.referenceTime), client: null }
  }

  state(): string | null {
    return null
  }
}
