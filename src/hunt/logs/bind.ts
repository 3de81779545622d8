// BIND 9 query logs: `client @0x55d0c1 192.0.2.1#53211 (example.com): query: example.com IN A +E(0)K (192.0.2.53)`,
// after BIND's own date (18-Mar-2024 10:15:30.123, or ISO 8601 with print-time iso8601), its
// category and severity, or a syslog prefix from named. Older releases have no @0x token; views
// add `view internal: `. BIND lines other than queries (denials, errors) are scanned as text.
import { wantDomains } from '../match.js'
import { ascii, findBytes, indexOfByte, isDigit, startsWith, tokenEnd } from './bytes.js'
import { scanText } from './text.js'
import { leadingTime } from './time.js'
import type { CandidateSink, LineContext, LogReader } from './types.js'

const queryMarker = ascii(' query: ')
const clientMarker = ascii('client ')
const named = ascii('named')

export class BindReader implements LogReader {
  readonly format = 'bind' as const

  constructor(private readonly referenceTime: Date) {}

  scan(bytes: Buffer, start: number, end: number, sink: CandidateSink): string | null {
    const query = findBytes(bytes, start, end, queryMarker)
    if (query !== -1 && findBytes(bytes, start, query, clientMarker) !== -1) {
      const name = query + queryMarker.length
      const nameEnd = tokenEnd(bytes, name, end)
      if (nameEnd === name) return 'a BIND query line without a name'
      if (sink.wants & wantDomains) sink.domain(bytes, name, nameEnd)
      return null
    }
    if (!isBindLine(bytes, start, end)) return 'not a BIND log line'
    return scanText(bytes, start, end, sink)
  }

  describe(bytes: Buffer, start: number, end: number): LineContext {
    return { timestamp: leadingTime(bytes.toString('latin1', start, Math.min(end, start + 64)), this.referenceTime), client: clientOf(bytes, start, end) }
  }

  state(): string | null {
    return null
  }
}

/** BIND's own date (18-Mar-2024, or ISO), a line starting with `client `, or a syslog line from named. */
function isBindLine(bytes: Buffer, start: number, end: number): boolean {
  if (startsWith(bytes, start, end, clientMarker)) return true
  if (isDigit(bytes[start]) && isDigit(bytes[start + 1])) {
    return bytes[start + 2] === 0x2d || (isDigit(bytes[start + 2]) && isDigit(bytes[start + 3]) && bytes[start + 4] === 0x2d)
  }
  return findBytes(bytes, start, Math.min(end, start + 96), named) !== -1
}

function clientOf(bytes: Buffer, start: number, end: number): string | null {
  let at = findBytes(bytes, start, end, clientMarker)
  if (at === -1) return null
  at += clientMarker.length
  if (bytes[at] === 0x40) at = tokenEnd(bytes, at, end) + 1 // @0x7f2b1c0a3d50
  const tokenStop = tokenEnd(bytes, at, end)
  const hash = indexOfByte(bytes, 0x23, at, tokenStop)
  return at < tokenStop ? bytes.toString('latin1', at, hash === -1 ? tokenStop : hash) : null
}
