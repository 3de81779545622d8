import { isIPv4, isIPv6 } from 'node:net'
import { domainToASCII } from 'node:url'
import { err, ok, type Result } from '../shared/result.js'
import type { IndicatorKind } from './model.js'

/**
 * Indicator values as Cordon stores and compares them: one spelling per thing, so that a hunt
 * looks a value up once. Hashes are lower-case hex; domains lower-case ASCII (punycode) without
 * the trailing dot; URLs as the WHATWG URL parser writes them (scheme and host lower-case,
 * default port dropped, no fragment); IPs in canonical form (RFC 5952 for IPv6); networks as
 * their network address and prefix. Published values are often "defanged" and are refanged first.
 */

/** A value and the kind it turned out to be (a "URL" that is only a domain is stored as a domain). */
export interface NormalisedIndicator {
  kind: IndicatorKind
  value: string
}

const hashLengths = { sha256: 64, sha1: 40, md5: 32 } as const
const hashByLength = new Map<number, 'sha256' | 'sha1' | 'md5'>([[64, 'sha256'], [40, 'sha1'], [32, 'md5']])
const urlSchemes = new Set(['http:', 'https:', 'ftp:', 'ftps:', 'ws:', 'wss:'])
/** File extensions that look like top-level domains in a bare list ("ffmpeg.dll"); never inferred as domains. */
const fileExtensions = new Set([
  'exe', 'dll', 'sys', 'bat', 'cmd', 'ps1', 'psm1', 'vbs', 'vbe', 'js', 'jse', 'wsf', 'hta', 'msi', 'msp', 'dmg', 'pkg', 'dylib',
  'so', 'bin', 'tmp', 'dat', 'log', 'txt', 'doc', 'docx', 'docm', 'xls', 'xlsx', 'xlsm', 'ppt', 'pptx', 'pdf', 'lnk', 'jar', 'ico',
  'png', 'jpg', 'jpeg', 'gif', 'plist', 'nupkg', 'iso', 'img', 'vhd', 'rar', '7z', 'gz', 'tgz', 'cab', 'scr', 'cpl', 'ocx', 'php',
  'asp', 'aspx', 'jsp', 'py', 'sh', 'elf', 'apk', 'ipa', 'json', 'xml', 'html', 'htm', 'ini', 'cfg', 'conf', 'db', 'sqlite',
])

/** Undo the usual defanging: hxxp, [.], (.), {.}, [dot], [:], [://], [/], [@]. */
export function refang(value: string): string {
  return value
    .trim()
    .replace(/\bhxxp(s?)(?=\[?:)/gi, 'http$1')
    .replace(/\[\s*\.\s*\]|\(\s*\.\s*\)|\{\s*\.\s*\}|\[dot\]|\(dot\)/gi, '.')
    .replace(/\[:\/\/\]/g, '://')
    .replace(/\[\s*:\s*\]/g, ':')
    .replace(/\[\/\]/g, '/')
    .replace(/\[@\]|\[at\]/gi, '@')
}

/** The kind a bare value is, judged from its shape; undefined when it is none of them. */
export function inferIndicatorKind(raw: string): IndicatorKind | undefined {
  const value = refang(raw)
  if (/^[0-9a-f]+$/i.test(value)) return hashByLength.get(value.length)
  if (isIPv4(value)) return 'ipv4'
  if (isIPv6(value)) return 'ipv6'
  if (isCidrShaped(value)) return 'cidr'
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return 'url'
  const slash = value.indexOf('/')
  const host = slash === -1 ? value : value.slice(0, slash)
  if (!looksLikeDomain(host)) return undefined
  return slash === -1 ? 'domain' : 'url'
}

/**
 * The stored form of a value of the given kind, or why it is not one. `ip` and `hash` are accepted
 * for sources that say only that much; the value decides the exact kind.
 */
export function normaliseIndicator(kind: IndicatorKind | 'ip' | 'hash', raw: string): Result<NormalisedIndicator, string> {
  const value = refang(raw)
  if (value === '') return err('the value is empty')
  if (value.length > 2048) return err('the value is longer than 2048 characters')
  switch (kind) {
    case 'sha256':
    case 'sha1':
    case 'md5':
      return normaliseHash(value, kind)
    case 'hash': {
      const inferred = hashByLength.get(value.replace(/\s+/g, '').length)
      return inferred ? normaliseHash(value, inferred) : err(`"${clip(value)}" is not an MD5, SHA-1 or SHA-256 hash`)
    }
    case 'domain':
      return normaliseDomain(value)
    case 'url':
      return normaliseUrl(value)
    case 'ipv4':
    case 'ipv6':
    case 'ip':
    case 'cidr':
      return normaliseAddress(value, kind)
  }
}

function normaliseHash(value: string, kind: 'sha256' | 'sha1' | 'md5'): Result<NormalisedIndicator, string> {
  const hex = value.replace(/\s+/g, '').toLowerCase()
  const names = { sha256: 'SHA-256', sha1: 'SHA-1', md5: 'MD5' }
  if (!/^[0-9a-f]+$/.test(hex)) return err(`"${clip(value)}" is not a hexadecimal ${names[kind]} hash`)
  if (hex.length !== hashLengths[kind]) return err(`"${clip(value)}" has ${hex.length} hex digits; a ${names[kind]} hash has ${hashLengths[kind]}`)
  return ok({ kind, value: hex })
}

function normaliseDomain(value: string): Result<NormalisedIndicator, string> {
  const lower = value.toLowerCase().replace(/\.$/, '')
  if (lower.includes('*')) return err(`"${clip(value)}": wildcard domains are not supported`)
  if (lower.includes('://') || lower.includes('/')) return err(`"${clip(value)}" is a URL, not a domain name`)
  if (isIPv4(lower) || isIPv6(lower)) return err(`"${clip(value)}" is an IP address, not a domain name`)
  const ascii = domainToASCII(lower)
  if (!ascii || !isValidHostname(ascii)) return err(`"${clip(value)}" is not a valid domain name`)
  return ok({ kind: 'domain', value: ascii })
}

function normaliseUrl(value: string): Result<NormalisedIndicator, string> {
  if (/\s/.test(value)) return err(`"${clip(value)}" is not a URL: it contains whitespace`)
  let text = value
  const opaque = /^([a-z][a-z0-9+.-]*):(?!\/\/|\d)/i.exec(text)
  if (opaque) return err(`"${clip(value)}": URL scheme ${opaque[1]!.toLowerCase()} is not supported`)
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    // Vendors list C2 "URLs" without a scheme, and often without a path: a bare host is a domain
    // (or an address); a host with a path is read as http.
    if (!/[/?#]/.test(text)) return isIPv4(text) || isIPv6(text) ? normaliseAddress(text, 'ip') : normaliseDomain(text)
    text = `http://${text}`
  }
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return err(`"${clip(value)}" is not a valid URL`)
  }
  if (!urlSchemes.has(url.protocol)) return err(`"${clip(value)}": URL scheme ${url.protocol.slice(0, -1)} is not supported`)
  if (!url.hostname) return err(`"${clip(value)}" is a URL without a host`)
  url.hash = ''
  return ok({ kind: 'url', value: url.href })
}

function normaliseAddress(value: string, kind: 'ipv4' | 'ipv6' | 'ip' | 'cidr'): Result<NormalisedIndicator, string> {
  if (value.includes('/')) return normaliseCidr(value)
  if (kind === 'cidr') return err(`"${clip(value)}" is not a network (address/prefix)`)
  if (value.includes('%')) return err(`"${clip(value)}": IPv6 zone identifiers are not supported`)
  if (isIPv4(value) && kind !== 'ipv6') return ok({ kind: 'ipv4', value })
  if (isIPv6(value) && kind !== 'ipv4') return ok({ kind: 'ipv6', value: formatIpv6(parseIpv6(value)) })
  const expected = kind === 'ipv4' ? 'an IPv4 address' : kind === 'ipv6' ? 'an IPv6 address' : 'an IP address'
  return err(`"${clip(value)}" is not ${expected}`)
}

function normaliseCidr(value: string): Result<NormalisedIndicator, string> {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(value)
  const address = match?.[1] ?? ''
  const prefix = Number(match?.[2])
  if (match && isIPv4(address) && prefix <= 32) {
    const bits = address.split('.').reduce((n, part) => n * 256 + Number(part), 0)
    const network = prefix === 0 ? 0 : Math.floor(bits / 2 ** (32 - prefix)) * 2 ** (32 - prefix)
    const text = [24, 16, 8, 0].map((shift) => Math.floor(network / 2 ** shift) % 256).join('.')
    return ok(prefix === 32 ? { kind: 'ipv4', value: text } : { kind: 'cidr', value: `${text}/${prefix}` })
  }
  if (match && isIPv6(address) && !address.includes('%') && prefix <= 128) {
    const hextets = parseIpv6(address).map((hextet, i) => {
      const keep = Math.min(16, Math.max(0, prefix - i * 16))
      return keep === 0 ? 0 : hextet & (0xffff << (16 - keep)) & 0xffff
    })
    const text = formatIpv6(hextets)
    return ok(prefix === 128 ? { kind: 'ipv6', value: text } : { kind: 'cidr', value: `${text}/${prefix}` })
  }
  return err(`"${clip(value)}" is not a network (IPv4 address/0-32 or IPv6 address/0-128)`)
}

function isCidrShaped(value: string): boolean {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(value)
  return match !== null && (isIPv4(match[1]!) || isIPv6(match[1]!))
}

/** Eight 16-bit groups of a valid IPv6 address (an embedded IPv4 tail becomes the last two). */
function parseIpv6(address: string): number[] {
  let text = address.toLowerCase()
  const tail: number[] = []
  const lastColon = text.lastIndexOf(':')
  const last = text.slice(lastColon + 1)
  if (last.includes('.')) {
    const octets = last.split('.').map(Number)
    tail.push(octets[0]! * 256 + octets[1]!, octets[2]! * 256 + octets[3]!)
    text = text.slice(0, lastColon + 1)
    if (!text.endsWith('::')) text = text.slice(0, -1)
  }
  const [head = '', rest] = text.split('::')
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((h) => parseInt(h, 16)))
  const left = parse(head)
  const right = parse(rest ?? '')
  const groups = 8 - tail.length
  const middle = rest === undefined ? [] : new Array<number>(groups - left.length - right.length).fill(0)
  return [...left, ...middle, ...right, ...tail]
}

/** RFC 5952: lower-case, no leading zeros, the longest run of two or more zero groups as "::". */
function formatIpv6(hextets: number[]): string {
  if (hextets.slice(0, 5).every((h) => h === 0) && hextets[5] === 0xffff) {
    const [a, b] = [hextets[6]!, hextets[7]!]
    return `::ffff:${[a >> 8, a & 255, b >> 8, b & 255].join('.')}`
  }
  let bestStart = -1
  let bestLength = 1
  for (let i = 0; i < 8; ) {
    if (hextets[i] !== 0) {
      i += 1
      continue
    }
    let j = i
    while (j < 8 && hextets[j] === 0) j += 1
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i]
    i = j
  }
  const hex = hextets.map((h) => h.toString(16))
  if (bestStart === -1) return hex.join(':')
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`
}

function isValidHostname(ascii: string): boolean {
  if (ascii.length > 253) return false
  const labels = ascii.split('.')
  if (labels.length < 2) return false
  if (/^\d+$/.test(labels[labels.length - 1]!)) return false
  return labels.every((label) => label.length >= 1 && label.length <= 63 && /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/.test(label))
}

/** A bare value that is a domain name, not a file name with an extension that happens to look like a TLD. */
function looksLikeDomain(value: string): boolean {
  const lower = value.toLowerCase().replace(/\.$/, '')
  const tld = lower.slice(lower.lastIndexOf('.') + 1)
  if (!/^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/.test(tld) || fileExtensions.has(tld)) return false
  const ascii = domainToASCII(lower)
  return ascii !== '' && isValidHostname(ascii)
}

function clip(value: string): string {
  const printable = value.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')
  return printable.length > 80 ? `${printable.slice(0, 77)}...` : printable
}
