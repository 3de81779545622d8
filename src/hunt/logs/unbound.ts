// Unbound with log-queries (and log-replies): `[1710756930] unbound[812:0] info: 192.0.2.1 example.com. A IN`,
// with its epoch in brackets, an ASCII time (log-time-ascii), or a syslog prefix
// (`Mar 18 10:15:30 ns1 unbound: [812:0] info: ...`). A reply line adds the rcode, time and size.
// Unbound's other lines (start-up, local actions, errors) are scanned as text.
import { wantDomains } from '../match.js'
import { ascii, findBytes, isAddressShaped, indexOfByte, skipSpaces, tokenEnd } from './bytes.js'
import { scanText } from './text.js'
import { leadingTime } from './time.js'
import type { CandidateSink, LineContext, LogReader } from './types.js'

const program = ascii('unbound')
const info = ascii(' info: ')

export class UnboundReader implements LogReader {
  readonly format = 'unbound' as const

  constructor(private readonly referenceTime: Date) {}

  scan(bytes: Buffer, start: number, end: number, sink: CandidateSink): string | null {
    if (findBytes(bytes, start, Math.min(end, start + 96), program) === -1) return 'not an Unbound log line'
    const query = queryOf(bytes, start, end)
    if (query === undefined) return scanText(bytes, start, end, sink)
    if (sink.wants & wantDomains) sink.domain(bytes, query.name, query.nameEnd)
    return null
  }

  describe(bytes: Buffer, start: number, end: number): LineContext {
    const timestamp = leadingTime(bytes.toString('latin1', start, Math.min(end, start + 64)), this.referenceTime)
    const query = queryOf(bytes, start, end)
    return { timestamp, client: query ? bytes.toString('latin1', query.client, query.clientEnd) : null }
  }

  state(): string | null {
    return null
  }
}

/** `info: <client> <name>. <TYPE> <CLASS>`: the positions of the client and name, or undefined for other lines. */
function queryOf(bytes: Buffer, start: number, end: number): { client: number; clientEnd: number; name: number; nameEnd: number } | undefined {
  const at = findBytes(bytes, start, end, info)
  if (at === -1) return undefined
  const client = at + info.length
  const clientEnd = tokenEnd(bytes, client, end)
  if (!isAddressShaped(bytes, client, clientEnd) && indexOfByte(bytes, 0x3a, client, clientEnd) === -1) return undefined
  const name = skipSpaces(bytes, clientEnd, end)
  const nameEnd = tokenEnd(bytes, name, end)
  if (nameEnd === name || bytes[nameEnd - 1] !== 0x2e) return undefined
  const type = skipSpaces(bytes, nameEnd, end)
  const typeEnd = tokenEnd(bytes, type, end)
  const dnsClass = skipSpaces(bytes, typeEnd, end)
  const classEnd = tokenEnd(bytes, dnsClass, end)
  if (!isUpperCaseToken(bytes, type, typeEnd) || !isUpperCaseToken(bytes, dnsClass, classEnd)) return undefined
  return { client, clientEnd, name, nameEnd }
}

function isUpperCaseToken(bytes: Buffer, start: number, end: number): boolean {
  if (end <= start) return false
  for (let i = start; i < end; i++) {
    const code = bytes[i]!
    if (!((code >= 0x41 && code <= 0x5a) || (code >= 0x30 && code <= 0x39))) return false
  }
  return true
}
