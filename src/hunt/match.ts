// Matching values read from logs against network indicators: the hunt's hot path. A log value is
// looked up by hashing its bytes where the log holds them (no string is made for a miss): a name
// once from right to left, probing the hash of each parent suffix at its dot; an address as
// numbers, probing one table per prefix length that the indicators use.
import { isUtf8 } from 'node:buffer'
import { domainToASCII } from 'node:url'
import type { Indicator } from '../intel/index.js'

/** What the matcher needs of an indicator. Values are expected as intel stores them, and are normalised again to be sure. */
export type HuntIndicator = Pick<Indicator, 'id' | 'kind' | 'value'>

/**
 * Bits telling readers which values are worth finding: `domain` (names, and the hosts of URLs),
 * `url` (whole URLs: there are URL indicators) and `ip` (addresses, and URLs with an address host).
 */
export const wantDomains = 1
export const wantUrls = 2
export const wantIps = 4

const none: readonly HuntIndicator[] = Object.freeze([])
const hashSeed = 0x811c9dc5 | 0
const dot = 0x2e
const backslash = 0x5c

/**
 * Each byte of a name folded to lower case; 0 for bytes that need the slow path (non-ASCII, and
 * the backslash of an escape). The name hash is a rotate and xor per character, a short
 * dependency chain; the hash is mixed only when a suffix is probed.
 */
const folded = new Uint8Array(256)
for (let code = 1; code < 0x80; code++) folded[code] = code >= 0x41 && code <= 0x5a ? code | 0x20 : code
folded[backslash] = 0

/**
 * Network indicators, ready to look log values up against.
 *
 * - A domain indicator matches the name and every name below it (`evil.com` matches
 *   `cdn.evil.com`, not `notevil.com`), case-insensitively, with or without the trailing dot, in
 *   punycode or Unicode. Names in logs may carry `\DDD` (BIND, Unbound) or `\xHH` (Zeek) escapes.
 * - IPv4 and IPv6 addresses match exactly, networks (CIDR) every address inside. An IPv4-mapped
 *   IPv6 address (`::ffff:192.0.2.1`) is its IPv4 address, in indicators and in logs alike; an IPv6
 *   network matches IPv4 addresses only when it lies inside ::ffff:0:0/96.
 * - A URL indicator matches a URL with the same scheme, host and port (default ports dropped) whose
 *   path starts with the indicator's at a segment boundary (`/a/b` matches `/a/b/c`, not `/a/bc`).
 *   When the indicator has a query, the path must be the same and the query too. The host of every
 *   URL is also matched as a domain or an address.
 *
 * Hash indicators have nothing to match in network logs and are left out (see `ignored`).
 * Lookups return the indicators matched, or a shared empty array: nothing is allocated for a miss.
 * The returned arrays belong to the matcher and must not be changed.
 */
export class IndicatorMatcher {
  /** Bits of wantDomains, wantUrls and wantIps for the kinds of indicator held. */
  readonly wants: number
  /** The indicators given (id, kind and value only: what a worker thread needs to build its own matcher). */
  readonly indicators: HuntIndicator[] = []
  /** Indicators left out, and why (hashes; values that are not what their kind says). */
  readonly ignored: { indicator: HuntIndicator; reason: string }[] = []
  private readonly domains: NameTable | undefined
  private readonly urlHosts: Map<string, UrlIndicator[]> | undefined
  private readonly urlHostNames: NameTable | undefined
  private readonly v4: NetworkTable | undefined
  private readonly v6: NetworkTable | undefined
  private readonly words = new Int32Array(4)
  private readonly masked = new Int32Array(4)
  private readonly hextets = new Uint16Array(8)

  constructor(indicators: Iterable<HuntIndicator>) {
    const domains = new Map<string, HuntIndicator[]>()
    const urls = new Map<string, UrlIndicator[]>()
    const v4 = new NetworkTable(1)
    const v6 = new NetworkTable(4)
    for (const given of indicators) {
      const indicator: HuntIndicator = { id: given.id, kind: given.kind, value: given.value }
      this.indicators.push(indicator)
      const reason = this.add(indicator, domains, urls, v4, v6)
      if (reason !== undefined) this.ignored.push({ indicator, reason })
    }
    this.domains = domains.size > 0 ? new NameTable(domains) : undefined
    this.urlHosts = urls.size > 0 ? urls : undefined
    this.urlHostNames = urls.size > 0 ? new NameTable(new Map([...urls].map(([host, list]) => [host, list.map((url) => url.indicator)]))) : undefined
    this.v4 = v4.size > 0 ? v4.build() : undefined
    this.v6 = v6.size > 0 ? v6.build() : undefined
    this.wants = (this.domains ? wantDomains : 0) | (this.urlHosts ? wantUrls : 0) | (this.v4 || this.v6 ? wantIps : 0)
  }

  /** The indicators a name from a log matches: the name itself, then each parent domain. */
  matchDomain(name: string): readonly HuntIndicator[] {
    const table = this.domains
    if (table === undefined) return none
    let end = name.length
    if (end > 0 && name.charCodeAt(end - 1) === dot) end--
    let found = none
    let hash = hashSeed
    for (let i = end - 1; i >= 0; i--) {
      const char = name.charCodeAt(i)
      const code = char < 0x80 ? folded[char]! : 0
      if (code === dot) found = table.probeText(found, hash, name, i + 1, end)
      else if (code === 0) return this.matchUnicodeName(name.slice(0, end))
      hash = ((hash << 5) | (hash >>> 27)) ^ code
    }
    return table.probeText(found, hash, name, 0, end)
  }

  /** matchDomain for the bytes [start, end) of a log line, read where they are. */
  matchDomainBytes(bytes: Uint8Array, start: number, end: number): readonly HuntIndicator[] {
    const table = this.domains
    if (table === undefined) return none
    if (end > start && bytes[end - 1] === dot) end--
    let found = none
    let hash = hashSeed
    for (let i = end - 1; i >= start; i--) {
      const code = folded[bytes[i]!]!
      if (code === dot) found = table.probeBytes(found, hash, bytes, i + 1, end)
      else if (code === 0) return this.matchUnicodeName(decodeName(bytes, start, end))
      hash = ((hash << 5) | (hash >>> 27)) ^ code
    }
    return table.probeBytes(found, hash, bytes, start, end)
  }

  /** The indicators an IPv4 or IPv6 address matches (brackets and an IPv6 zone are allowed). */
  matchIp(address: string): readonly HuntIndicator[] {
    if (this.v4 === undefined && this.v6 === undefined) return none
    return this.matchIpBytes(asciiBytes(address), 0, address.length)
  }

  matchIpBytes(bytes: Uint8Array, start: number, end: number): readonly HuntIndicator[] {
    if (this.v4 === undefined && this.v6 === undefined) return none
    if (bytes[start] === 0x5b && end - start > 2 && bytes[end - 1] === 0x5d) {
      start++
      end--
    }
    const v4 = parseIpv4(bytes, start, end)
    if (v4 >= 0) return this.lookupV4(v4)
    const words = this.words
    if (!parseIpv6(bytes, start, end, this.hextets, words)) return none
    if (words[0] === 0 && words[1] === 0 && words[2] === 0xffff) return this.lookupV4(words[3]! >>> 0)
    return this.lookupV6(words)
  }

  /**
   * The indicators a URL matches: URL indicators, and domain or address indicators through its
   * host. A URL without a scheme is read as http.
   */
  matchUrl(url: string): readonly HuntIndicator[] {
    if (this.wants === 0) return none
    for (let i = 0; i < url.length; i++) {
      if (url.charCodeAt(i) >= 0x80) return this.matchUrlSlowly(url)
    }
    return this.matchUrlBytes(asciiBytes(url), 0, url.length)
  }

  matchUrlBytes(bytes: Uint8Array, start: number, end: number): readonly HuntIndicator[] {
    if (this.wants === 0) return none
    let authority = start
    const limit = Math.min(end - 2, start + 32)
    for (let i = start; i < limit; i++) {
      const code = bytes[i]!
      if (code === 0x3a) {
        if (bytes[i + 1] === 0x2f && bytes[i + 2] === 0x2f && i > start) authority = i + 3
        break
      }
      if (!isSchemeCode(code)) break
    }
    let authorityEnd = authority
    let hostStart = authority
    while (authorityEnd < end) {
      const code = bytes[authorityEnd]!
      if (code === 0x2f || code === 0x3f || code === 0x23 || code === backslash) break
      if (code === 0x40) hostStart = authorityEnd + 1
      authorityEnd++
    }
    let hostEnd = authorityEnd
    let found = none
    let slow = false
    if (bytes[hostStart] === 0x5b) {
      hostEnd = hostStart
      while (hostEnd < authorityEnd && bytes[hostEnd] !== 0x5d) hostEnd++
      found = this.matchIpBytes(bytes, hostStart + 1, hostEnd)
      slow = this.urlHosts !== undefined // IPv6 hosts are rare: compare them as the URL parser writes them
    } else {
      for (let i = hostStart; i < authorityEnd; i++) {
        if (bytes[i] === 0x3a) {
          hostEnd = i
          break
        }
      }
      switch (hostShape(bytes, hostStart, hostEnd)) {
        case 'name':
          found = this.matchDomainBytes(bytes, hostStart, hostEnd)
          break
        case 'ipv4':
          found = this.matchIpBytes(bytes, hostStart, hostEnd)
          break
        default:
          return this.matchUrlSlowly(textOf(bytes, start, end))
      }
    }
    if (this.urlHostNames !== undefined && (slow || this.urlHostNames.has(bytes, hostStart, hostEnd))) {
      return merge(found, this.matchUrlIndicators(textOf(bytes, start, end)))
    }
    return found
  }

  private add(
    indicator: HuntIndicator,
    domains: Map<string, HuntIndicator[]>,
    urls: Map<string, UrlIndicator[]>,
    v4: NetworkTable,
    v6: NetworkTable,
  ): string | undefined {
    const value = indicator.value.trim()
    switch (indicator.kind) {
      case 'domain': {
        const name = normaliseName(value)
        if (name === '') return `"${value}" is not a domain name`
        push(domains, name, indicator)
        return undefined
      }
      case 'ipv4':
      case 'ipv6':
      case 'cidr':
        return this.addNetwork(indicator, value, v4, v6)
      case 'url': {
        const url = parseUrl(value)
        if (url === undefined) return `"${value}" is not a URL`
        const host = withoutTrailingDot(url.hostname)
        push(urls, host, { protocol: url.protocol, port: url.port, path: url.pathname, query: url.search, indicator })
        return undefined
      }
      default:
        return 'file hashes do not appear in network logs'
    }
  }

  private addNetwork(indicator: HuntIndicator, value: string, v4: NetworkTable, v6: NetworkTable): string | undefined {
    const slash = value.indexOf('/')
    const address = slash === -1 ? value : value.slice(0, slash)
    const prefixText = slash === -1 ? '' : value.slice(slash + 1)
    if (slash !== -1 && !/^\d{1,3}$/.test(prefixText)) return `"${value}" is not an address or network`
    const bytes = asciiBytes(address)
    const v4Address = parseIpv4(bytes, 0, address.length)
    if (v4Address >= 0 && indicator.kind !== 'ipv6') {
      const prefix = slash === -1 ? 32 : Number(prefixText)
      if (prefix > 32) return `"${value}" is not a network`
      v4.add(prefix, [v4Address | 0], indicator)
      return undefined
    }
    const words = new Int32Array(4)
    if (indicator.kind === 'ipv4' || !parseIpv6(bytes, 0, address.length, new Uint16Array(8), words)) return `"${value}" is not an ${indicator.kind === 'ipv4' ? 'IPv4' : 'IP'} address or network`
    const prefix = slash === -1 ? 128 : Number(prefixText)
    if (prefix > 128) return `"${value}" is not a network`
    if (prefix >= 96 && words[0] === 0 && words[1] === 0 && words[2] === 0xffff) v4.add(prefix - 96, [words[3]!], indicator)
    else v6.add(prefix, [...words], indicator)
    return undefined
  }

  private matchUnicodeName(name: string): readonly HuntIndicator[] {
    const ascii = normaliseName(name)
    return ascii === '' || ascii === name ? none : this.matchDomain(ascii)
  }

  private lookupV4(address: number): readonly HuntIndicator[] {
    const table = this.v4
    if (table === undefined) return none
    let found = none
    const prefixes = table.prefixes
    const key = this.masked
    for (let i = 0; i < prefixes.length; i++) {
      const prefix = prefixes[i]!
      key[0] = prefix === 0 ? 0 : address & (-1 << (32 - prefix))
      found = table.probe(found, prefix, key)
    }
    return found
  }

  private lookupV6(words: Int32Array): readonly HuntIndicator[] {
    const table = this.v6
    if (table === undefined) return none
    let found = none
    const prefixes = table.prefixes
    const key = this.masked
    for (let i = 0; i < prefixes.length; i++) {
      const prefix = prefixes[i]!
      for (let w = 0; w < 4; w++) {
        const bits = prefix - w * 32
        key[w] = bits >= 32 ? words[w]! : bits <= 0 ? 0 : words[w]! & (-1 << (32 - bits))
      }
      found = table.probe(found, prefix, key)
    }
    return found
  }

  /** The URL parsed as intel parses indicators (WHATWG): for hosts that are neither plain names nor dotted IPv4, and for URL indicators. */
  private matchUrlSlowly(text: string): readonly HuntIndicator[] {
    const url = parseUrl(text)
    if (url === undefined) return none
    const host = url.hostname
    const found = host.startsWith('[') ? this.matchIp(host) : isDottedQuad(host) ? this.matchIp(host) : this.matchDomain(host)
    return merge(found, this.matchUrlIndicators(text, url))
  }

  private matchUrlIndicators(text: string, parsed?: URL): readonly HuntIndicator[] {
    if (this.urlHosts === undefined) return none
    const url = parsed ?? parseUrl(text)
    if (url === undefined) return none
    const candidates = this.urlHosts.get(withoutTrailingDot(url.hostname))
    if (candidates === undefined) return none
    let found = none
    for (const candidate of candidates) {
      if (candidate.protocol !== url.protocol || candidate.port !== url.port) continue
      const matches = candidate.query === '' ? isPathPrefix(candidate.path, url.pathname) : candidate.path === url.pathname && candidate.query === url.search
      if (matches) found = merge(found, [candidate.indicator])
    }
    return found
  }
}

interface UrlIndicator {
  protocol: string
  port: string
  path: string
  query: string
  indicator: HuntIndicator
}

/**
 * Names (ASCII, lower-case) in an open-addressing hash table, with the hash computed from the last
 * character to the first: a lookup hashes a name once and probes every parent suffix on the way.
 */
class NameTable {
  private readonly slots: Int32Array
  private readonly hashes: Int32Array
  private readonly starts: Int32Array
  private readonly lengths: Int32Array
  private readonly keys: Buffer
  private readonly values: HuntIndicator[][]
  private readonly mask: number
  private readonly minLength: number
  private readonly maxLength: number

  constructor(entries: Map<string, HuntIndicator[]>) {
    const names = [...entries.keys()]
    let size = 16
    while (size < names.length * 3) size *= 2
    this.slots = new Int32Array(size)
    this.mask = size - 1
    this.hashes = new Int32Array(names.length)
    this.starts = new Int32Array(names.length)
    this.lengths = new Int32Array(names.length)
    this.keys = Buffer.from(names.join(''), 'latin1')
    this.values = names.map((name) => entries.get(name)!)
    this.minLength = Math.min(...names.map((name) => name.length))
    this.maxLength = Math.max(...names.map((name) => name.length))
    let offset = 0
    names.forEach((name, entry) => {
      let hash = hashSeed
      for (let i = name.length - 1; i >= 0; i--) hash = ((hash << 5) | (hash >>> 27)) ^ name.charCodeAt(i)
      this.hashes[entry] = hash
      this.starts[entry] = offset
      this.lengths[entry] = name.length
      offset += name.length
      let slot = spread(hash) & this.mask
      while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask
      this.slots[slot] = entry + 1
    })
  }

  probeBytes(found: readonly HuntIndicator[], hash: number, bytes: Uint8Array, start: number, end: number): readonly HuntIndicator[] {
    const length = end - start
    if (length < this.minLength || length > this.maxLength) return found
    for (let slot = spread(hash) & this.mask; ; slot = (slot + 1) & this.mask) {
      const entry = this.slots[slot]! - 1
      if (entry < 0) return found
      if (this.hashes[entry] === hash && this.lengths[entry] === length && this.equalBytes(entry, bytes, start)) return merge(found, this.values[entry]!)
    }
  }

  probeText(found: readonly HuntIndicator[], hash: number, text: string, start: number, end: number): readonly HuntIndicator[] {
    const length = end - start
    if (length < this.minLength || length > this.maxLength) return found
    for (let slot = spread(hash) & this.mask; ; slot = (slot + 1) & this.mask) {
      const entry = this.slots[slot]! - 1
      if (entry < 0) return found
      if (this.hashes[entry] === hash && this.lengths[entry] === length && this.equalText(entry, text, start)) return merge(found, this.values[entry]!)
    }
  }

  /** Whether the whole name [start, end) is a key (no parent suffixes). */
  has(bytes: Uint8Array, start: number, end: number): boolean {
    if (end > start && bytes[end - 1] === dot) end--
    let hash = hashSeed
    for (let i = end - 1; i >= start; i--) {
      const code = bytes[i]!
      hash = ((hash << 5) | (hash >>> 27)) ^ (code >= 0x41 && code <= 0x5a ? code | 0x20 : code)
    }
    return this.probeBytes(none, hash, bytes, start, end) !== none
  }

  private equalBytes(entry: number, bytes: Uint8Array, start: number): boolean {
    const keys = this.keys
    const offset = this.starts[entry]!
    const length = this.lengths[entry]!
    for (let i = 0; i < length; i++) {
      let code = bytes[start + i]!
      if (code >= 0x41 && code <= 0x5a) code |= 0x20
      if (code !== keys[offset + i]) return false
    }
    return true
  }

  private equalText(entry: number, text: string, start: number): boolean {
    const keys = this.keys
    const offset = this.starts[entry]!
    const length = this.lengths[entry]!
    for (let i = 0; i < length; i++) {
      let code = text.charCodeAt(start + i)
      if (code >= 0x41 && code <= 0x5a) code |= 0x20
      if (code !== keys[offset + i]) return false
    }
    return true
  }
}

/**
 * Networks of one address family keyed by (prefix length, masked address), in one open-addressing
 * table; a lookup probes once for each prefix length the indicators use, longest first.
 */
class NetworkTable {
  prefixes: Int32Array = new Int32Array(0)
  private readonly pending = new Map<string, { prefix: number; words: number[]; indicators: HuntIndicator[] }>()
  private slots = new Int32Array(0)
  private keys = new Int32Array(0)
  private values: HuntIndicator[][] = []
  private mask = 0

  constructor(private readonly width: number) {}

  get size(): number {
    return this.pending.size
  }

  add(prefix: number, address: number[], indicator: HuntIndicator): void {
    const words = address.map((word, w) => {
      const bits = prefix - w * 32
      return bits >= 32 ? word | 0 : bits <= 0 ? 0 : word & (-1 << (32 - bits))
    })
    const key = `${prefix}/${words.join(',')}`
    const entry = this.pending.get(key)
    if (entry) entry.indicators.push(indicator)
    else this.pending.set(key, { prefix, words, indicators: [indicator] })
  }

  build(): this {
    const entries = [...this.pending.values()]
    let size = 16
    while (size < entries.length * 3) size *= 2
    this.mask = size - 1
    this.slots = new Int32Array(size)
    this.keys = new Int32Array(entries.length * (this.width + 1))
    this.values = entries.map((entry) => entry.indicators)
    this.prefixes = Int32Array.from(new Set(entries.map((entry) => entry.prefix))).sort().reverse()
    const key = new Int32Array(this.width)
    entries.forEach((entry, index) => {
      key.set(entry.words)
      const base = index * (this.width + 1)
      this.keys[base] = entry.prefix
      this.keys.set(entry.words, base + 1)
      let slot = spread(this.hash(entry.prefix, key)) & this.mask
      while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask
      this.slots[slot] = index + 1
    })
    return this
  }

  probe(found: readonly HuntIndicator[], prefix: number, key: Int32Array): readonly HuntIndicator[] {
    const width = this.width
    for (let slot = spread(this.hash(prefix, key)) & this.mask; ; slot = (slot + 1) & this.mask) {
      const entry = this.slots[slot]! - 1
      if (entry < 0) return found
      const base = entry * (width + 1)
      if (this.keys[base] !== prefix) continue
      let same = true
      for (let w = 0; w < width; w++) {
        if (this.keys[base + 1 + w] !== key[w]) {
          same = false
          break
        }
      }
      if (same) return merge(found, this.values[entry]!)
    }
  }

  private hash(prefix: number, key: Int32Array): number {
    let hash = Math.imul(prefix + 1, 0x9e3779b1)
    for (let w = 0; w < this.width; w++) hash = Math.imul(hash ^ key[w]!, 0x85ebca6b) ^ (hash >>> 13)
    return hash
  }
}

/** Murmur3's finaliser: every bit of the hash moves the table slot. */
function spread(hash: number): number {
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b)
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35)
  return hash ^ (hash >>> 16)
}

function merge(found: readonly HuntIndicator[], more: readonly HuntIndicator[]): readonly HuntIndicator[] {
  if (more.length === 0) return found
  return found.length === 0 ? more : [...found, ...more]
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key)
  if (list) list.push(value)
  else map.set(key, [value])
}

/** The IPv4 address in bytes [start, end) as an unsigned number, or -1 when it is not one (leading zeros are not allowed). */
function parseIpv4(bytes: Uint8Array, start: number, end: number): number {
  let value = 0
  let octet = 0
  let digits = 0
  let dots = 0
  for (let i = start; i < end; i++) {
    const code = bytes[i]!
    if (code >= 0x30 && code <= 0x39) {
      if (digits === 1 && octet === 0) return -1
      octet = octet * 10 + (code - 0x30)
      digits++
      if (octet > 255) return -1
    } else if (code === dot) {
      if (digits === 0 || dots === 3) return -1
      value = value * 256 + octet
      octet = 0
      digits = 0
      dots++
    } else {
      return -1
    }
  }
  if (digits === 0 || dots !== 3) return -1
  return value * 256 + octet
}

/**
 * Reads the IPv6 address in bytes [start, end) (an embedded IPv4 tail and a %zone allowed) into
 * four 32-bit words; false when it is not one. `hextets` is scratch space.
 */
export function parseIpv6(bytes: Uint8Array, start: number, end: number, hextets: Uint16Array, words: Int32Array): boolean {
  for (let i = start; i < end; i++) {
    if (bytes[i] === 0x25) {
      end = i
      break
    }
  }
  let count = 0
  let gap = -1
  let i = start
  if (end - start >= 2 && bytes[i] === 0x3a && bytes[i + 1] === 0x3a) {
    gap = 0
    i += 2
  }
  while (i < end) {
    const groupStart = i
    let group = 0
    while (i < end && i - groupStart < 5) {
      const digit = hexValue(bytes[i]!)
      if (digit < 0) break
      group = group * 16 + digit
      i++
    }
    if (i < end && bytes[i] === dot) {
      const v4 = parseIpv4(bytes, groupStart, end)
      if (v4 < 0 || count > 6) return false
      hextets[count++] = Math.floor(v4 / 65536)
      hextets[count++] = v4 & 0xffff
      i = end
      break
    }
    const digits = i - groupStart
    if (digits === 0 || digits > 4 || count === 8) return false
    hextets[count++] = group
    if (i === end) break
    if (bytes[i] !== 0x3a) return false
    i++
    if (i < end && bytes[i] === 0x3a) {
      if (gap !== -1) return false
      gap = count
      i++
    } else if (i === end) {
      return false
    }
  }
  if (gap === -1 ? count !== 8 : count > 7) return false
  if (gap !== -1) {
    const missing = 8 - count
    for (let k = count - 1; k >= gap; k--) hextets[k + missing] = hextets[k]!
    for (let k = gap; k < gap + missing; k++) hextets[k] = 0
  }
  for (let w = 0; w < 4; w++) words[w] = (hextets[w * 2]! << 16) | hextets[w * 2 + 1]!
  return true
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30
  const lower = code | 0x20
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1
}

function isSchemeCode(code: number): boolean {
  const lower = code | 0x20
  return (lower >= 0x61 && lower <= 0x7a) || (code >= 0x30 && code <= 0x39) || code === 0x2b || code === 0x2d || code === dot
}

/**
 * 'name' for a host of plain name characters whose last label is not numeric, 'ipv4' for a dotted
 * quad, else 'other' (numeric or hex hosts, percent-escapes, non-ASCII): those go to the URL parser.
 */
function hostShape(bytes: Uint8Array, start: number, end: number): 'name' | 'ipv4' | 'other' {
  if (end > start && bytes[end - 1] === dot) end--
  if (end <= start) return 'other'
  let lastLabel = start
  for (let i = start; i < end; i++) {
    const code = bytes[i]!
    const lower = code | 0x20
    if (code === dot) lastLabel = i + 1
    else if (!((lower >= 0x61 && lower <= 0x7a) || (code >= 0x30 && code <= 0x39) || code === 0x2d || code === 0x5f)) return 'other'
  }
  let numeric = true
  for (let i = lastLabel; i < end; i++) {
    const code = bytes[i]!
    if (code < 0x30 || code > 0x39) numeric = false
  }
  if (end - lastLabel > 1 && bytes[lastLabel] === 0x30 && (bytes[lastLabel + 1]! | 0x20) === 0x78) numeric = true
  if (!numeric) return 'name'
  return parseIpv4(bytes, start, end) >= 0 ? 'ipv4' : 'other'
}

function isDottedQuad(host: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+$/.test(host)
}

function isPathPrefix(prefix: string, path: string): boolean {
  if (!path.startsWith(prefix)) return false
  return path.length === prefix.length || prefix.endsWith('/') || path.charCodeAt(prefix.length) === 0x2f
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`)
  } catch {
    return undefined
  }
}

function withoutTrailingDot(host: string): string {
  return host.endsWith('.') ? host.slice(0, -1) : host
}

/**
 * A name as intel stores domains: lower-case ASCII (punycode), no trailing dot, with `\DDD`, `\xHH`
 * and `\c` escapes decoded first; '' when it is not a valid name.
 */
function normaliseName(name: string): string {
  let text = name.includes('\\') ? unescapeName(name) : name
  if (text.endsWith('.')) text = text.slice(0, -1)
  if (text === '') return ''
  if (/^[\x21-\x7e]*$/.test(text) && !/[%/:@[\]\\]/.test(text)) {
    // domainToASCII refuses some names DNS has (a label starting with a hyphen, say): a plain ASCII name is taken as it is.
    const ascii = domainToASCII(text.toLowerCase())
    return ascii === '' ? text.toLowerCase() : ascii
  }
  return domainToASCII(text.toLowerCase())
}

function unescapeName(name: string): string {
  const bytes: number[] = []
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i)
    if (code === backslash && i + 1 < name.length) {
      const decimal = /^\d{3}/.exec(name.slice(i + 1, i + 4))
      const hex = /^x([0-9a-f]{2})/i.exec(name.slice(i + 1, i + 4))
      if (decimal && Number(decimal[0]) < 256) {
        bytes.push(Number(decimal[0]))
        i += 3
      } else if (hex) {
        bytes.push(parseInt(hex[1]!, 16))
        i += 3
      } else {
        bytes.push(...Buffer.from(name[i + 1]!))
        i += 1
      }
    } else {
      bytes.push(...Buffer.from(String.fromCodePoint(name.codePointAt(i)!)))
      if (code >= 0xd800 && code < 0xdc00) i++
    }
  }
  const buffer = Buffer.from(bytes)
  return buffer.toString('utf8')
}

/** The text of a name in a log: UTF-8, or '' when the bytes are not (no name matches then). */
function decodeName(bytes: Uint8Array, start: number, end: number): string {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start)
  return isUtf8(view) ? view.toString('utf8') : ''
}

function textOf(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8')
}

function asciiBytes(text: string): Buffer {
  return Buffer.from(text, 'latin1')
}
