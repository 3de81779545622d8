// JSON lines: Zeek's JSON output (its field names known), or any JSON lines with the caller's
// dotted paths to the domain, URL, address, client and time fields. Without paths, every string in
// the line is scanned as text. Each line is parsed with JSON.parse: slower than the byte readers,
// and exact.
import { wantDomains, wantIps, wantUrls } from '../match.js'
import { scanText } from './text.js'
import { isoFromEpoch, isoFromEpochNumber, isoFromText } from './time.js'
import type { CandidateSink, JsonFields, LineContext, LogReader } from './types.js'

/** A dotted path, with the key for every run of its parts (`id.orig_h` is the key "id.orig_h" or "id" then "orig_h"). */
interface Path {
  length: number
  keys: string[][]
}

interface Spec {
  domain: Path[]
  url: Path[]
  ip: Path[]
  /** A name or an address, maybe with a port (Zeek's http host). */
  host: Path[]
  /** Names and addresses mixed (Zeek's DNS answers). */
  answers: Path[]
  /** Zeek's http.log: a URL from the host and the URI. */
  hostAndUri: { host: Path; uri: Path } | undefined
  client: Path[]
  timestamp: Path[]
}

const zeekSpec: Spec = {
  domain: paths(['query', 'server_name']),
  url: [],
  ip: paths(['id.orig_h', 'id.resp_h']),
  host: paths(['host']),
  answers: paths(['answers']),
  hostAndUri: { host: path('host'), uri: path('uri') },
  client: paths(['id.orig_h']),
  timestamp: paths(['ts']),
}

/** Where a line's time and client usually are, for JSON lines read without paths. */
const guessedClient = paths(['client_ip', 'client.ip', 'clientip', 'client', 'src_ip', 'source.ip', 'src', 'remote_addr', 'id.orig_h'])
const guessedTimestamp = paths(['@timestamp', 'timestamp', 'time', 'ts', 'datetime', 'date', 'eventTime'])

export class JsonReader implements LogReader {
  private readonly spec: Spec | undefined
  private lastLine: { bytes: Buffer; start: number; value: Record<string, unknown> } | undefined

  constructor(
    readonly format: 'zeek-json' | 'json',
    fields: JsonFields | undefined,
  ) {
    this.spec = format === 'zeek-json' ? zeekSpec : fields && specOf(fields)
  }

  scan(bytes: Buffer, start: number, end: number, sink: CandidateSink): string | null {
    this.lastLine = undefined
    let i = start
    while (i < end && (bytes[i] === 0x20 || bytes[i] === 0x09)) i++
    if (bytes[i] !== 0x7b) return 'not a JSON object'
    let value: unknown
    try {
      value = JSON.parse(bytes.toString('utf8', i, end))
    } catch (error) {
      return `malformed JSON (${error instanceof Error ? error.message : String(error)})`
    }
    if (!isRecord(value)) return 'not a JSON object'
    this.lastLine = { bytes, start, value }
    const spec = this.spec
    if (spec === undefined) return scanText(bytes, start, end, sink)
    const wants = sink.wants
    if (wants & wantDomains) for (const p of spec.domain) visit(value, p, 0, (v) => sink.domainText(v))
    if (wants & (wantDomains | wantUrls | wantIps)) for (const p of spec.url) visit(value, p, 0, (v) => sink.urlText(v))
    if (wants & wantIps) for (const p of spec.ip) visit(value, p, 0, (v) => sink.ipText(stripPort(v)))
    for (const p of spec.host) visit(value, p, 0, (v) => host(v, sink))
    for (const p of spec.answers) visit(value, p, 0, (v) => (v.includes(' ') ? undefined : nameOrAddress(v, sink)))
    if (spec.hostAndUri && wants & wantUrls) {
      const hostValue = first(value, spec.hostAndUri.host)
      visit(value, spec.hostAndUri.uri, 0, (uri) => {
        if (uri.startsWith('/') && hostValue !== undefined) sink.urlText(`http://${hostValue}${uri}`)
        else if (uri.includes('://')) sink.urlText(uri)
      })
    }
    return null
  }

  describe(bytes: Buffer, start: number, end: number): LineContext {
    const last = this.lastLine
    let value: unknown = last && last.bytes === bytes && last.start === start ? last.value : undefined
    if (value === undefined) {
      try {
        value = JSON.parse(bytes.toString('utf8', start, end))
      } catch {
        return { timestamp: null, client: null }
      }
    }
    const clientPaths = this.spec?.client.length ? this.spec.client : guessedClient
    const timestampPaths = this.spec?.timestamp.length ? this.spec.timestamp : guessedTimestamp
    let client: string | null = null
    for (const p of clientPaths) client ??= firstScalar(value, p)
    let timestamp: string | null = null
    for (const p of timestampPaths) {
      if (timestamp !== null) break
      visitAny(value, p, 0, (found) => {
        if (timestamp !== null) return
        if (typeof found === 'number') timestamp = isoFromEpochNumber(found)
        else if (typeof found === 'string') timestamp = isoFromText(found) ?? isoFromEpoch(found)
      })
    }
    return { timestamp, client }
  }

  state(): string | null {
    return null
  }
}

function specOf(fields: JsonFields): Spec {
  return {
    domain: paths(fields.domain ?? []),
    url: paths(fields.url ?? []),
    ip: paths(fields.ip ?? []),
    host: [],
    answers: [],
    hostAndUri: undefined,
    client: fields.client === undefined ? [] : [path(fields.client)],
    timestamp: fields.timestamp === undefined ? [] : [path(fields.timestamp)],
  }
}

function path(text: string): Path {
  const parts = text.split('.')
  const keys = parts.map((_, from) => parts.map((__, to) => (to < from ? '' : parts.slice(from, to + 1).join('.'))))
  return { length: parts.length, keys }
}

function paths(texts: string[]): Path[] {
  return texts.map(path)
}

/** Calls `found` with each string at the path (arrays along the way and at the end give each element). */
function visit(value: unknown, p: Path, from: number, found: (value: string) => void): void {
  visitAny(value, p, from, (v) => {
    if (typeof v === 'string') found(v)
  })
}

function visitAny(value: unknown, p: Path, from: number, found: (value: unknown) => void): void {
  if (from === p.length) {
    if (Array.isArray(value)) for (const item of value) found(item)
    else found(value)
    return
  }
  if (Array.isArray(value)) {
    for (const item of value) visitAny(item, p, from, found)
    return
  }
  if (!isRecord(value)) return
  // The longest key first: "id.orig_h" before "id" then "orig_h".
  for (let to = p.length - 1; to >= from; to--) {
    const key = p.keys[from]![to]!
    if (Object.hasOwn(value, key)) {
      visitAny(value[key], p, to + 1, found)
      return
    }
  }
}

function first(value: unknown, p: Path): string | undefined {
  let result: string | undefined
  visit(value, p, 0, (v) => (result ??= v))
  return result
}

function firstScalar(value: unknown, p: Path): string | null {
  let result: string | null = null
  visitAny(value, p, 0, (v) => {
    if (result === null && (typeof v === 'string' || typeof v === 'number') && v !== '') result = String(v)
  })
  return result
}

function host(value: string, sink: CandidateSink): void {
  const bare = stripPort(value)
  if (bare.includes(':') || /^[\d.]+$/.test(bare)) {
    if (sink.wants & wantIps) sink.ipText(bare)
  } else if (sink.wants & wantDomains) {
    sink.domainText(bare)
  }
}

function nameOrAddress(value: string, sink: CandidateSink): void {
  if (value.includes(':') || /^[\d.]+$/.test(value)) {
    if (sink.wants & wantIps) sink.ipText(value)
  } else if (sink.wants & wantDomains) {
    sink.domainText(value)
  }
}

/** An address without its port: 192.0.2.1:443 and [2001:db8::1]:443; a bare IPv6 address is left as it is. */
function stripPort(value: string): string {
  if (value.startsWith('[')) {
    const close = value.indexOf(']')
    return close === -1 ? value : value.slice(1, close)
  }
  const colon = value.indexOf(':')
  return colon !== -1 && colon === value.lastIndexOf(':') ? value.slice(0, colon) : value
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
