// dnsmasq with log-queries, through syslog or its log-facility file:
// `Mar 18 10:15:30 dnsmasq[812]: query[A] example.com from 192.0.2.10`, then `forwarded example.com
// to 9.9.9.9`, `reply example.com is 93.184.216.34` or `cached ...`, `config ...`, `/etc/hosts ...`.
// With log-queries=extra each line has a serial and the client first: `7 192.0.2.10/40522 query[A] ...`.
// dnsmasq's other lines (start-up, DHCP) are scanned as text.
import { wantDomains, wantIps } from '../match.js'
import { ascii, findBytes, indexOfByte, isDigits, reportNameOrAddress, skipSpaces, startsWith, tokenEnd } from './bytes.js'
import { scanText } from './text.js'
import { leadingTime } from './time.js'
import type { CandidateSink, LineContext, LogReader } from './types.js'

const program = ascii('dnsmasq')
const queryVerb = ascii('query[')
const dnssecVerb = ascii('dnssec-query[')
const verbs = ['reply', 'cached', 'cached-stale', 'config', 'forwarded'].map(ascii)
const isWord = ascii('is')
const from = ascii(' from ')
const toWord = ascii('to')

export class DnsmasqReader implements LogReader {
  readonly format = 'dnsmasq' as const

  constructor(private readonly referenceTime: Date) {}

  scan(bytes: Buffer, start: number, end: number, sink: CandidateSink): string | null {
    const message = messageStart(bytes, start, end)
    if (message === -1) return 'not a dnsmasq log line'
    const extra = extraPrefixEnd(bytes, message, end)
    const verb = extra === -1 ? message : extra
    const verbEnd = tokenEnd(bytes, verb, end)
    if (!isDnsVerb(bytes, verb, verbEnd)) return scanText(bytes, message, end, sink)
    const name = skipSpaces(bytes, verbEnd, end)
    const nameEnd = tokenEnd(bytes, name, end)
    if (nameEnd === name) return 'a dnsmasq query line without a name'
    if (sink.wants & wantDomains) sink.domain(bytes, name, nameEnd)
    const word = skipSpaces(bytes, nameEnd, end)
    const wordEnd = tokenEnd(bytes, word, end)
    const value = skipSpaces(bytes, wordEnd, end)
    const valueEnd = tokenEnd(bytes, value, end)
    if (valueEnd === value || bytes[value] === 0x3c) return null // <CNAME>, <SOA>: no value here
    if (isToken(bytes, word, wordEnd, isWord)) {
      reportNameOrAddress(sink, bytes, value, valueEnd) // NXDOMAIN, NODATA and the like have no dot: nothing matches them
    } else if (isToken(bytes, word, wordEnd, toWord) && sink.wants & wantIps) {
      const hash = indexOfByte(bytes, 0x23, value, valueEnd) // 9.9.9.9#53 in some versions
      sink.ip(bytes, value, hash === -1 ? valueEnd : hash)
    }
    return null
  }

  describe(bytes: Buffer, start: number, end: number): LineContext {
    const timestamp = leadingTime(bytes.toString('latin1', start, Math.min(end, start + 64)), this.referenceTime)
    const message = messageStart(bytes, start, end)
    if (message === -1) return { timestamp, client: null }
    const verb = extraPrefixEnd(bytes, message, end)
    if (verb !== -1) {
      const address = tokenEnd(bytes, message, end) + 1
      return { timestamp, client: bytes.toString('latin1', address, indexOfByte(bytes, 0x2f, address, end)) }
    }
    const at = findBytes(bytes, message, end, from)
    if (at === -1) return { timestamp, client: null }
    return { timestamp, client: bytes.toString('latin1', at + from.length, tokenEnd(bytes, at + from.length, end)) }
  }

  state(): string | null {
    return null
  }
}

/** Where the message starts after `dnsmasq[812]: ` or `dnsmasq: `, or -1. */
function messageStart(bytes: Buffer, start: number, end: number): number {
  const at = findBytes(bytes, start, Math.min(end, start + 128), program)
  if (at === -1) return -1
  let i = at + program.length
  if (bytes[i] === 0x5b) {
    const close = indexOfByte(bytes, 0x5d, i, Math.min(end, i + 12))
    if (close === -1) return -1
    i = close + 1
  }
  if (bytes[i] !== 0x3a || bytes[i + 1] !== 0x20) return -1
  return i + 2
}

/** After log-queries=extra's `7 192.0.2.10/40522 `: where the verb starts, or -1 when there is no such prefix. */
function extraPrefixEnd(bytes: Buffer, message: number, end: number): number {
  const serialEnd = tokenEnd(bytes, message, end)
  if (!isDigits(bytes, message, serialEnd)) return -1
  const address = serialEnd + 1
  const addressEnd = tokenEnd(bytes, address, end)
  if (indexOfByte(bytes, 0x2f, address, addressEnd) === -1) return -1
  return skipSpaces(bytes, addressEnd, end)
}

function isDnsVerb(bytes: Buffer, start: number, end: number): boolean {
  if (startsWith(bytes, start, end, queryVerb) || startsWith(bytes, start, end, dnssecVerb)) return true
  if (bytes[start] === 0x2f) return true // /etc/hosts, /etc/dnsmasq.d/... answers
  return verbs.some((verb) => isToken(bytes, start, end, verb))
}

function isToken(bytes: Buffer, start: number, end: number, word: Buffer): boolean {
  return end - start === word.length && startsWith(bytes, start, end, word)
}
