// Just enough BER to find where an element ends: the PKCS#7 SignedData in a WIN_CERTIFICATE is one
// SEQUENCE, and the bytes after its end are what CVE-2013-3900 is about.
// Reference: ITU-T X.690, section 8.1 (identifier octets 8.1.2, length octets 8.1.3, end-of-contents 8.1.5).

/**
 * Where the element starting at `start` ends, reading no further than `limit`: the tag (with
 * the high-tag-number form), then the length in short form (one byte below 0x80), long form (0x80
 * plus the count of length bytes) or, for constructed elements, indefinite form (0x80, contents
 * ended by two zero bytes). DER allows only the first two; the indefinite form is accepted because
 * Windows reads BER, and rejecting it would make a finding of an odd but valid signature.
 */
export function elementEnd(bytes: Buffer, start: number, limit: number, depth: number): { end: number } | { error: string } {
  const cut = { error: 'an element is cut short by the end of its entry' }
  let position = start
  if (position >= limit) return cut
  const tag = bytes[position++]!
  if ((tag & 0x1f) === 0x1f) {
    for (;;) {
      if (position >= limit) return cut
      if ((bytes[position++]! & 0x80) === 0) break
    }
  }
  if (position >= limit) return cut
  const first = bytes[position++]!
  if (first < 0x80) return position + first <= limit ? { end: position + first } : tooLong(position + first, limit)
  if (first === 0x80) {
    if ((tag & 0x20) === 0) return { error: 'a primitive element has an indefinite length' }
    if (depth >= 32) return { error: 'elements are nested more than 32 deep' }
    for (;;) {
      if (position + 2 <= limit && bytes[position] === 0 && bytes[position + 1] === 0) return { end: position + 2 }
      const child = elementEnd(bytes, position, limit, depth + 1)
      if ('error' in child) return child
      position = child.end
    }
  }
  const count = first & 0x7f
  if (count > 4) return { error: `an element's length takes ${count} bytes (more than 4 GiB)` }
  if (position + count > limit) return cut
  let length = 0
  for (let i = 0; i < count; i++) length = length * 256 + bytes[position++]!
  return position + length <= limit ? { end: position + length } : tooLong(position + length, limit)
}

function tooLong(end: number, limit: number): { error: string } {
  return { error: `an element's length puts its end ${end - limit} bytes past the end of its entry` }
}
