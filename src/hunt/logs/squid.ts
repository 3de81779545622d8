// Squid's native access.log: `1710756930.123    456 192.168.1.10 TCP_MISS/200 1234 GET http://example.com/ - HIER_DIRECT/93.184.216.34 text/html`,
// and tunnels: `... TCP_TUNNEL/200 5678 CONNECT example.com:443 - HIER_DIRECT/93.184.216.34 -`.
// The URL (or CONNECT's host:port), the client and the server the proxy went to are checked.
import { wantIps } from '../match.js'
import { ascii, indexOfByte, isDigit, isDigits, reportHost, reportNameOrAddress, skipSpaces, startsWith, tokenEnd, wantsUrls } from './bytes.js'
import { isoFromEpoch } from './time.js'
import type { CandidateSink, LineContext, LogReader } from './types.js'

const connect = ascii('CONNECT')
const fieldCount = 10

export class SquidReader implements LogReader {
  readonly format = 'squid' as const
  private readonly starts = new Int32Array(fieldCount)
  private readonly ends = new Int32Array(fieldCount)

  scan(bytes: Buffer, start: number, end: number, sink: CandidateSink): string | null {
    const count = this.split(bytes, start, end)
    const { starts, ends } = this
    if (count < 7 || !isEpoch(bytes, starts[0]!, ends[0]!) || indexOfByte(bytes, 0x2f, starts[3]!, ends[3]!) === -1) {
      return 'not a Squid access.log line (time, elapsed, client, code/status, bytes, method, URL)'
    }
    if (sink.wants & wantIps) sink.ip(bytes, starts[2]!, ends[2]!)
    const url = starts[6]!
    const urlEnd = ends[6]!
    const isConnect = ends[5]! - starts[5]! === connect.length && startsWith(bytes, starts[5]!, ends[5]!, connect)
    if (isConnect || indexOfByte(bytes, 0x2f, url, urlEnd) === -1) reportHost(sink, bytes, url, urlEnd)
    else if (wantsUrls(sink)) sink.url(bytes, url, urlEnd)
    if (count >= 9) {
      const slash = indexOfByte(bytes, 0x2f, starts[8]!, ends[8]!)
      // HIER_DIRECT/93.184.216.34, FIRSTUP_PARENT/proxy.example; HIER_NONE/- has none
      if (slash !== -1 && !(ends[8]! - slash === 2 && bytes[slash + 1] === 0x2d)) reportNameOrAddress(sink, bytes, slash + 1, ends[8]!)
    }
    return null
  }

  describe(bytes: Buffer, start: number, end: number): LineContext {
    const count = this.split(bytes, start, end)
    if (count < 3) return { timestamp: null, client: null }
    const { starts, ends } = this
    return { timestamp: isoFromEpoch(bytes.toString('latin1', starts[0]!, ends[0]!)), client: bytes.toString('latin1', starts[2]!, ends[2]!) }
  }

  state(): string | null {
    return null
  }

  /** Finds the first ten space-separated fields (the time is padded, the rest single-spaced); returns how many there are. */
  private split(bytes: Buffer, start: number, end: number): number {
    let count = 0
    let i = skipSpaces(bytes, start, end)
    while (i < end && count < fieldCount) {
      this.starts[count] = i
      i = tokenEnd(bytes, i, end)
      this.ends[count++] = i
      i = skipSpaces(bytes, i, end)
    }
    return count
  }
}

function isEpoch(bytes: Buffer, start: number, end: number): boolean {
  const dot = indexOfByte(bytes, 0x2e, start, end)
  return dot === -1 ? isDigits(bytes, start, end) : isDigits(bytes, start, dot) && isDigit(bytes[dot + 1]) && isDigits(bytes, dot + 1, end)
}
