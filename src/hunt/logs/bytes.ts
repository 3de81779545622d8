// Small byte-level helpers shared by the readers: searching within a line, tokens, hosts with
// ports, and the text shown for a line.
import { wantDomains, wantIps, wantUrls } from '../match.js'
import type { CandidateSink } from './types.js'

export const space = 0x20
export const tab = 0x09

/** The bytes of an ASCII text, for searching. */
export function ascii(text: string): Buffer {
  return Buffer.from(text, 'latin1')
}

/** The first offset in [start, end) where `needle` starts, or -1; never looks past `end`. */
export function findBytes(bytes: Uint8Array, start: number, end: number, needle: Uint8Array): number {
  const first = needle[0]!
  const last = end - needle.length
  outer: for (let i = start; i <= last; i++) {
    if (bytes[i] !== first) continue
    for (let k = 1; k < needle.length; k++) {
      if (bytes[i + k] !== needle[k]) continue outer
    }
    return i
  }
  return -1
}

export function startsWith(bytes: Uint8Array, at: number, end: number, needle: Uint8Array): boolean {
  if (end - at < needle.length) return false
  for (let k = 0; k < needle.length; k++) {
    if (bytes[at + k] !== needle[k]) return false
  }
  return true
}

export function indexOfByte(bytes: Uint8Array, code: number, start: number, end: number): number {
  for (let i = start; i < end; i++) {
    if (bytes[i] === code) return i
  }
  return -1
}

export function skipSpaces(bytes: Uint8Array, i: number, end: number): number {
  while (i < end && (bytes[i] === space || bytes[i] === tab)) i++
  return i
}

/** The end of the token starting at i: the next space or tab, or `end`. */
export function tokenEnd(bytes: Uint8Array, i: number, end: number): number {
  while (i < end && bytes[i] !== space && bytes[i] !== tab) i++
  return i
}

export function isDigit(code: number | undefined): boolean {
  return code !== undefined && code >= 0x30 && code <= 0x39
}

/** Whether [start, end) is all digits, with at least one. */
export function isDigits(bytes: Uint8Array, start: number, end: number): boolean {
  if (end <= start) return false
  for (let i = start; i < end; i++) if (!isDigit(bytes[i])) return false
  return true
}

/**
 * A host as proxies and HTTP logs write it: a name or an address, with an optional port
 * (`example.com:8080`, `192.0.2.1:443`, `[2001:db8::1]:443`, a bare IPv6 address).
 */
export function reportHost(sink: CandidateSink, bytes: Buffer, start: number, end: number): void {
  if (end <= start) return
  if (bytes[start] === 0x5b) {
    const close = indexOfByte(bytes, 0x5d, start, end)
    if (close !== -1 && sink.wants & wantIps) sink.ip(bytes, start + 1, close)
    return
  }
  let colon = -1
  let colons = 0
  for (let i = start; i < end; i++) {
    if (bytes[i] === 0x3a) {
      colons++
      colon = i
    }
  }
  if (colons >= 2) {
    if (sink.wants & wantIps) sink.ip(bytes, start, end)
    return
  }
  const hostEnd = colons === 1 ? colon : end
  if (isAddressShaped(bytes, start, hostEnd)) {
    if (sink.wants & wantIps) sink.ip(bytes, start, hostEnd)
  } else if (sink.wants & (wantDomains | wantUrls)) {
    sink.domain(bytes, start, hostEnd)
  }
}

/**
 * A name or an address, without port (DNS answers, peers): an address when it has a colon or is
 * all digits and dots; a name when it has a dot (NXDOMAIN and the like are neither).
 */
export function reportNameOrAddress(sink: CandidateSink, bytes: Buffer, start: number, end: number): void {
  if (end <= start) return
  if (indexOfByte(bytes, 0x3a, start, end) !== -1 || isAddressShaped(bytes, start, end)) {
    if (sink.wants & wantIps) sink.ip(bytes, start, end)
  } else if (sink.wants & wantDomains && indexOfByte(bytes, 0x2e, start, end) !== -1) {
    sink.domain(bytes, start, end)
  }
}

/** All digits and dots, starting with a digit. */
export function isAddressShaped(bytes: Uint8Array, start: number, end: number): boolean {
  if (end <= start || !isDigit(bytes[start])) return false
  for (let i = start; i < end; i++) {
    const code = bytes[i]!
    if (code !== 0x2e && !isDigit(code)) return false
  }
  return true
}

/** Whether the sink wants anything a URL can give (its host, or itself). */
export function wantsUrls(sink: CandidateSink): boolean {
  return (sink.wants & (wantDomains | wantUrls | wantIps)) !== 0
}

const maxDisplay = 512

/** A line as text for a report: at most 512 characters, control characters (but tab) replaced by U+FFFD. */
export function displayText(bytes: Buffer, start: number, end: number): string {
  let text = bytes.toString('utf8', start, Math.min(end, start + maxDisplay * 4))
  if (text.length > maxDisplay) {
    const cut = text.charCodeAt(maxDisplay - 1) >= 0xd800 && text.charCodeAt(maxDisplay - 1) < 0xdc00 ? maxDisplay - 1 : maxDisplay
    text = text.slice(0, cut)
  }
  return text.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g, '\ufffd')
}
