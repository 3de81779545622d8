// The Windows DNS server's debug log (dns.log): a preamble, then one line per packet,
// `3/18/2024 10:15:30 AM 0E84 PACKET  000000B5F8E3A0F0 UDP Rcv 192.168.1.10    c1d5   Q [0001   D   NOERROR] A      (3)www(7)example(3)com(0)`,
// names in wire form. With details on, indented lines follow a packet (its sections, quoted names
// and answer data). The date is the server's locale: 3/18/2024 with AM/PM, 18/03/2024, 18.03.2024 or ISO.
import { wantDomains, wantIps } from '../match.js'
import { ascii, findBytes, isDigit, skipSpaces, startsWith, tokenEnd } from './bytes.js'
import { scanText } from './text.js'
import { leadingTime } from './time.js'
import type { CandidateSink, LineContext, LogReader } from './types.js'

const packet = ascii(' PACKET ')
const preambles = ['DNS Server log', 'Log file wrap', 'Message logging key', 'Field #', 'Log file'].map(ascii)
const receive = ascii('Rcv')
const responseFlag = 0x52 // R

export class WindowsDnsReader implements LogReader {
  readonly format = 'windows-dns' as const
  private scratch = Buffer.alloc(512)

  constructor(private readonly referenceTime: Date) {}

  scan(bytes: Buffer, start: number, end: number, sink: CandidateSink): string | null {
    const first = bytes[start]
    if (first === 0x20 || first === 0x09) return this.detail(bytes, start, end, sink)
    if (!isDigit(first)) {
      if (preambles.some((preamble) => startsWith(bytes, start, end, preamble))) return scanText(bytes, start, end, sink)
      return 'not a Windows DNS debug log line'
    }
    const marker = findBytes(bytes, start, Math.min(end, start + 64), packet)
    if (marker === -1) return scanText(bytes, start, end, sink)
    const fields = packetFields(bytes, marker, end)
    if (fields === undefined) return 'a PACKET line without its remote address and name'
    if (sink.wants & wantIps) sink.ip(bytes, fields.remote, fields.remoteEnd)
    if (sink.wants & wantDomains) {
      const length = this.decodeName(bytes, fields.name, end)
      if (length === -1) return 'a PACKET line whose name is not in (3)www(7)example(3)com(0) form'
      if (length > 0) sink.domain(this.scratch, 0, length)
    }
    return null
  }

  describe(bytes: Buffer, start: number, end: number): LineContext {
    const timestamp = leadingTime(bytes.toString('latin1', start, Math.min(end, start + 64)), this.referenceTime)
    const marker = findBytes(bytes, start, Math.min(end, start + 64), packet)
    const fields = marker === -1 ? undefined : packetFields(bytes, marker, end)
    if (fields === undefined) return { timestamp, client: null }
    // Client-facing packets are queries received and responses sent; the others go to and come from other servers.
    const clientFacing = fields.received !== fields.response
    return { timestamp, client: clientFacing ? bytes.toString('latin1', fields.remote, fields.remoteEnd) : null }
  }

  state(): string | null {
    return null
  }

  /** An indented detail line: a quoted wire-form name, or text (answer data). */
  private detail(bytes: Buffer, start: number, end: number, sink: CandidateSink): string | null {
    const quote = findBytes(bytes, start, end, ascii('"('))
    if (quote === -1) return scanText(bytes, start, end, sink)
    const length = this.decodeName(bytes, quote + 1, end)
    if (length > 0 && sink.wants & wantDomains) sink.domain(this.scratch, 0, length)
    return null
  }

  /** Writes the dotted form of the wire-form name at `at` into the scratch buffer; its length, or -1 when malformed. */
  private decodeName(bytes: Buffer, at: number, end: number): number {
    let length = 0
    let i = at
    while (i < end && bytes[i] === 0x28) {
      let size = 0
      i++
      while (i < end && isDigit(bytes[i])) size = size * 10 + (bytes[i++]! - 0x30)
      if (bytes[i] !== 0x29 || size > 63) return -1
      i++
      if (size === 0) return length
      if (i + size > end) return -1
      if (length + size + 1 > this.scratch.length) return -1
      if (length > 0) this.scratch[length++] = 0x2e
      bytes.copy(this.scratch, length, i, i + size)
      length += size
      i += size
    }
    return -1 // no (0) at the end: cut short
  }
}

/** After ` PACKET `: id, protocol, direction, remote address, xid, an R for responses, opcode, flags, type, name. */
function packetFields(bytes: Buffer, marker: number, end: number): { remote: number; remoteEnd: number; received: boolean; response: boolean; name: number } | undefined {
  let i = skipSpaces(bytes, marker + packet.length, end)
  i = skipSpaces(bytes, tokenEnd(bytes, i, end), end) // packet id
  i = skipSpaces(bytes, tokenEnd(bytes, i, end), end) // UDP or TCP
  const direction = i
  i = skipSpaces(bytes, tokenEnd(bytes, i, end), end)
  const remote = i
  const remoteEnd = tokenEnd(bytes, i, end)
  if (remoteEnd === remote) return undefined
  i = skipSpaces(bytes, remoteEnd, end)
  i = skipSpaces(bytes, tokenEnd(bytes, i, end), end) // xid
  const response = bytes[i] === responseFlag && (bytes[i + 1] === 0x20 || bytes[i + 1] === 0x09)
  let last = end
  while (last > i && (bytes[last - 1] === 0x20 || bytes[last - 1] === 0x09)) last--
  let name = last
  while (name > i && bytes[name - 1] !== 0x20 && bytes[name - 1] !== 0x09) name--
  if (bytes[name] !== 0x28) return undefined
  return { remote, remoteEnd, received: startsWith(bytes, direction, end, receive), response, name }
}
