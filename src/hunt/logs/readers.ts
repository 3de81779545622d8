// The reader of each format, and a whole record of one line for tools and tests (the hunt itself
// never builds records: readers hand values to the matcher where they lie).
import { wantDomains, wantIps, wantUrls } from '../match.js'
import { BindReader } from './bind.js'
import { DnsmasqReader } from './dnsmasq.js'
import { JsonReader } from './json.js'
import { SquidReader } from './squid.js'
import { TextReader } from './text.js'
import { UnboundReader } from './unbound.js'
import { WindowsDnsReader } from './windows-dns.js'
import { ZeekReader } from './zeek.js'
import type { CandidateSink, LogFormat, LogReader, LogRecord, ReaderOptions } from './types.js'

export function createLogReader(format: LogFormat, options: ReaderOptions = {}): LogReader {
  const referenceTime = options.referenceTime ?? new Date()
  switch (format) {
    case 'bind':
      return new BindReader(referenceTime)
    case 'dnsmasq':
      return new DnsmasqReader(referenceTime)
    case 'unbound':
      return new UnboundReader(referenceTime)
    case 'windows-dns':
      return new WindowsDnsReader(referenceTime)
    case 'zeek':
      return new ZeekReader(options.state)
    case 'zeek-json':
    case 'json':
      return new JsonReader(format, options.fields)
    case 'squid':
      return new SquidReader()
    case 'text':
      return new TextReader(referenceTime)
  }
}

/** Every value of one line (no CR or newline), with its time and client; or why the reader cannot read it. */
export function readLogRecord(reader: LogReader, line: string | Buffer): LogRecord | { reason: string } {
  const bytes = Buffer.isBuffer(line) ? line : Buffer.from(line)
  const sink = new RecordSink()
  const reason = reader.scan(bytes, 0, bytes.length, sink)
  if (reason !== null) return { reason }
  return { ...reader.describe(bytes, 0, bytes.length), domains: sink.domains, urls: sink.urls, ips: sink.ips }
}

class RecordSink implements CandidateSink {
  readonly wants = wantDomains | wantUrls | wantIps
  readonly domains: string[] = []
  readonly urls: string[] = []
  readonly ips: string[] = []

  domain(bytes: Buffer, start: number, end: number): void {
    this.domains.push(bytes.toString('utf8', start, end))
  }

  url(bytes: Buffer, start: number, end: number): void {
    this.urls.push(bytes.toString('utf8', start, end))
  }

  ip(bytes: Buffer, start: number, end: number): void {
    this.ips.push(bytes.toString('utf8', start, end))
  }

  domainText(value: string): void {
    this.domains.push(value)
  }

  urlText(value: string): void {
    this.urls.push(value)
  }

  ipText(value: string): void {
    this.ips.push(value)
  }
}
