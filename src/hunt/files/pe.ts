// Inspecting Windows PE images for data smuggled into their Authenticode certificate table, the
// trick of the 3CX supply-chain compromise (March 2023): a Microsoft-signed d3dcompiler_47.dll
// carried RC4-encrypted shellcode, after the marker FE ED FA CE, appended inside its signature
// area. Authenticode leaves the certificate table out of the signed hash, so the signature still
// validated (CVE-2013-3900; strict checking only with the opt-in EnableCertPaddingCheck).
//
// Only the headers and the certificate table are read, whatever the file's size. Every field
// comes from a hostile file: an answer is always returned (not a PE, malformed with the reason,
// or a PE with findings), never an exception for what the bytes say.
//
// References, by section:
//   [PE]  Microsoft, "PE Format" (learn.microsoft.com/windows/win32/debug/pe-format):
//         "MS-DOS Stub (Image Only)", "Signature (Image Only)", "COFF File Header (Object and Image)",
//         "Optional Header (Image Only)", "Optional Header Data Directories (Image Only)",
//         "The Attribute Certificate Table (Image Only)".
//   [AC]  Microsoft, "Windows Authenticode Portable Executable Signature Format": what the image
//         hash covers (everything but the checksum, the certificate table entry of the data
//         directory and the certificate table itself).
import { open } from 'node:fs/promises'
import { elementEnd } from './ber.js'
import { handleSource, type ByteSource } from './byte-source.js'

export type PeFindingKind =
  /** The data directory puts the certificate table (partly) past the end of the file. */
  | 'certificate_table_truncated'
  /** Bytes follow the certificate table, which signing tools append last. */
  | 'certificate_table_not_at_end'
  /** The data directory's size is not the sum of the entries' 8-byte-rounded lengths. */
  | 'certificate_table_size_mismatch'
  /** The table is larger than the inspection limit; its entries were not inspected. */
  | 'certificate_table_too_large'
  /** A WIN_CERTIFICATE entry that cannot be read: bad length, unknown type, or not a DER SEQUENCE. */
  | 'malformed_certificate'
  /** Bytes after the PKCS#7 SignedData inside a WIN_CERTIFICATE beyond zero alignment padding (CVE-2013-3900). */
  | 'data_after_signature'
  /** A known payload marker (the 3CX loader's FE ED FA CE) in the certificate table, outside the signature. */
  | 'payload_marker'

/** Something wrong with a PE file, with the byte range concerned (file offsets). */
export interface PeFinding {
  kind: PeFindingKind
  explanation: string
  offset: number
  length: number
}

export interface PeImage {
  kind: 'pe'
  format: 'PE32' | 'PE32+'
  /** The COFF Machine field (0x14c x86, 0x8664 x64, 0xaa64 ARM64). */
  machine: number
  /** File offset of the `PE\0\0` signature (the DOS header's e_lfanew). */
  peOffset: number
  /** The Security data directory (index 4): a file offset and size, or null for an unsigned image. */
  certificateTable: { offset: number; size: number } | null
  findings: PeFinding[]
}

export type PeInspection =
  /** No PE image: no `MZ`, or an MZ file (an MS-DOS program, or anything else) without a PE signature. */
  | { kind: 'not_pe'; reason: string }
  /** A PE signature with headers that cannot be read; `offset` is where reading failed. */
  | { kind: 'malformed'; reason: string; offset: number }
  | PeImage

export interface PeOptions {
  /** Largest certificate table read, in bytes (default 16 MiB). Real signatures are tens of KiB. */
  maxCertificateTableBytes?: number | undefined
}

const defaultMaxCertificateTableBytes = 16 * 1024 * 1024
/** How many WIN_CERTIFICATE entries and markers are looked at: bounds the work and the findings a crafted table can cause. */
const maxEntries = 256
const maxMarkers = 16

/** The 3CX loader's marker before its encrypted payload (Sophos, Volexity, March 2023). */
export const payloadMarker = Buffer.from([0xfe, 0xed, 0xfa, 0xce])

/** A PE file on disk; throws only when it cannot be opened or read. */
export async function inspectPeFile(path: string, options: PeOptions = {}): Promise<PeInspection> {
  const handle = await open(path, 'r')
  try {
    const { size } = await handle.stat()
    return await inspectPe(handleSource(handle, size), options)
  } finally {
    await handle.close()
  }
}

/** Reads the DOS, COFF and optional headers, then the certificate table the Security directory points to. */
export async function inspectPe(source: ByteSource, options: PeOptions = {}): Promise<PeInspection> {
  // [PE] MS-DOS Stub: an image starts with the MS-DOS header ('MZ'); the 4-byte field at 0x3c
  // (e_lfanew) is the file offset of the PE signature.
  const dos = await source.read(0, 64)
  if (dos.length < 2 || dos[0] !== 0x4d || dos[1] !== 0x5a) return { kind: 'not_pe', reason: 'the file does not start with the MZ signature' }
  if (dos.length < 64) return { kind: 'not_pe', reason: `the file starts with MZ but is too short for an MS-DOS header (${source.size} bytes; the header is 64)` }
  const peOffset = dos.readUInt32LE(0x3c)

  // [PE] Signature: 'PE\0\0'. MS-DOS programs also start with MZ, and their 0x3c is any value.
  // [PE] COFF File Header, 20 bytes after it: Machine at 0, SizeOfOptionalHeader at 16.
  const coff = await source.read(peOffset, 24)
  if (coff.length < 4 || coff.readUInt32LE(0) !== 0x00004550) {
    return { kind: 'not_pe', reason: `an MZ file without a PE signature at the offset its header gives (${hex(peOffset)}): an MS-DOS program, or not an executable` }
  }
  if (coff.length < 24) return { kind: 'malformed', reason: 'the COFF file header is cut short by the end of the file', offset: peOffset + 4 }
  const machine = coff.readUInt16LE(4)
  const optionalSize = coff.readUInt16LE(20)
  const optionalOffset = peOffset + 24

  // [PE] Optional Header: Magic 0x10b (PE32) or 0x20b (PE32+). NumberOfRvaAndSizes is at 92 (PE32)
  // or 108 (PE32+), and the data directories, 8 bytes each (address, size), follow it at 96 or 112.
  if (optionalSize < 2) return { kind: 'malformed', reason: `the COFF header declares an optional header of ${optionalSize} bytes: an object file, not an image`, offset: peOffset + 20 }
  const optional = await source.read(optionalOffset, optionalSize)
  if (optional.length < optionalSize) {
    return { kind: 'malformed', reason: `the optional header (${optionalSize} bytes declared) is cut short by the end of the file`, offset: optionalOffset }
  }
  const magic = optional.readUInt16LE(0)
  const layout = magic === 0x10b ? { format: 'PE32' as const, countAt: 92, directoriesAt: 96 } : magic === 0x20b ? { format: 'PE32+' as const, countAt: 108, directoriesAt: 112 } : undefined
  if (layout === undefined) return { kind: 'malformed', reason: `the optional header magic is ${hex(magic)}, neither PE32 (0x10b) nor PE32+ (0x20b)`, offset: optionalOffset }
  if (optionalSize < layout.directoriesAt) {
    return { kind: 'malformed', reason: `the optional header is ${optionalSize} bytes, too small for ${layout.format} (at least ${layout.directoriesAt})`, offset: optionalOffset }
  }
  // A count larger than the directories the header has room for is believed only as far as the room goes.
  const declaredCount = optional.readUInt32LE(layout.countAt)
  const directoryCount = Math.min(declaredCount, Math.floor((optionalSize - layout.directoriesAt) / 8))
  const image: PeImage = { kind: 'pe', format: layout.format, machine, peOffset, certificateTable: null, findings: [] }

  // [PE] Optional Header Data Directories: index 4 is the Certificate Table; unlike the other
  // directories, its address is a file offset, not an RVA, because the table is not loaded into memory.
  const securityDirectory = 4
  if (directoryCount <= securityDirectory) return image
  const entryAt = layout.directoriesAt + securityDirectory * 8
  const tableOffset = optional.readUInt32LE(entryAt)
  const tableSize = optional.readUInt32LE(entryAt + 4)
  if (tableSize === 0) return image
  image.certificateTable = { offset: tableOffset, size: tableSize }
  image.findings = await inspectCertificateTable(source, tableOffset, tableSize, options.maxCertificateTableBytes ?? defaultMaxCertificateTableBytes)
  return image
}

/**
 * [PE] The Attribute Certificate Table: contiguous, quadword-aligned WIN_CERTIFICATE entries
 * { dwLength: u32, wRevision: u16, wCertificateType: u16, bCertificate }, each starting dwLength
 * bytes, rounded up to a multiple of 8, after the previous one, until the rounded lengths add up to
 * the directory's Size; when they do not, the spec calls the table or the Size field corrupt. A
 * bCertificate that does not end on a quadword boundary is padded with zeros to the next one.
 */
async function inspectCertificateTable(source: ByteSource, offset: number, size: number, limit: number): Promise<PeFinding[]> {
  const findings: PeFinding[] = []
  const end = offset + size
  if (offset >= source.size) {
    findings.push({
      kind: 'certificate_table_truncated',
      explanation: `the data directory puts the certificate table at ${at(offset)}, past the end of the file (${source.size} bytes)`,
      offset, length: size,
    })
    return findings
  }
  if (end > source.size) {
    findings.push({
      kind: 'certificate_table_truncated',
      explanation: `the certificate table is declared as ${size} bytes at ${at(offset)}, but the file ends ${end - source.size} bytes before its end: the file is truncated or the size is wrong`,
      offset, length: size,
    })
  } else if (end < source.size) {
    // [AC] Bytes after the table are part of the signed hash; signing tools append the table last,
    // so anything after it was added after signing or by a tool that left the signature broken.
    findings.push({
      kind: 'certificate_table_not_at_end',
      explanation: `${source.size - end} bytes follow the certificate table, which signing tools write at the very end of the file`,
      offset: end, length: source.size - end,
    })
  }
  const available = Math.min(end, source.size) - offset
  if (available > limit) {
    findings.push({
      kind: 'certificate_table_too_large',
      explanation: `the certificate table is ${available} bytes, more than the ${limit} inspected (Authenticode signatures are tens of KiB); its entries were not inspected`,
      offset, length: size,
    })
    return findings
  }
  const table = await source.read(offset, available)
  // Parts of the table outside any well-formed signature blob: searched for payload markers.
  // Signature bytes are effectively random, so a 4-byte marker would turn up in about one table in
  // 400,000 by chance if they were searched too; the 3CX payload sits after the signature.
  const unsigned: [number, number][] = []
  let position = 0
  let entries = 0
  let sizeReported = false
  while (position < size) {
    if (entries === maxEntries) {
      findings.push({ kind: 'malformed_certificate', explanation: `the certificate table holds more than ${maxEntries} entries; the rest were not inspected`, offset: offset + position, length: size - position })
      break
    }
    if (position + 8 > table.length) {
      // Either the file ends inside the table (already reported) or the directory size leaves a few bytes over.
      if (position + 8 > size) findings.push(leftover(offset, position, size))
      unsigned.push([position, table.length])
      break
    }
    const length = table.readUInt32LE(position)
    const type = table.readUInt16LE(position + 6)
    if (length < 8) {
      // After a valid entry, a zero (or tiny) length is where the entries stop short of the declared size.
      if (entries > 0) findings.push(leftover(offset, position, size))
      else findings.push({ kind: 'malformed_certificate', explanation: `the WIN_CERTIFICATE at ${at(offset + position)} declares a length of ${length}, less than its own 8-byte header`, offset: offset + position, length: 8 })
      unsigned.push([position, table.length])
      break
    }
    const rounded = roundUp8(length)
    if (position + length > size) {
      sizeReported = true
      unsigned.push([position, table.length])
      // After a valid entry, what runs past the declared size is more likely bytes added than an entry.
      if (entries > 0) {
        findings.push(leftover(offset, position, size))
        break
      }
      findings.push({
        kind: 'certificate_table_size_mismatch',
        explanation: `the WIN_CERTIFICATE at ${at(offset + position)} declares ${length} bytes, which run past the end of the certificate table as the data directory gives it (${size} bytes)`,
        offset: offset + position, length,
      })
      break
    }
    entries++
    // In a truncated file the entry may go on past the bytes there are.
    const contentEnd = Math.min(position + length, table.length)
    const entryEnd = Math.min(position + rounded, table.length)
    findings.push(...inspectEntry(table, offset, position, contentEnd, entryEnd, type, unsigned))
    position += rounded
  }
  if (!sizeReported && position > size) {
    findings.push({
      kind: 'certificate_table_size_mismatch',
      explanation: `the entries' lengths, rounded up to 8 bytes, add up to ${position} bytes; the data directory declares ${size}`,
      offset, length: size,
    })
  }
  findings.push(...markersIn(table, offset, unsigned))
  return findings
}

const certificateTypes = new Map([[0x0001, 'X.509 certificate'], [0x0002, 'PKCS#7 SignedData']])

/** One WIN_CERTIFICATE: its bCertificate must be one DER SEQUENCE, followed by at most 7 zero bytes of padding. */
function inspectEntry(table: Buffer, tableOffset: number, position: number, contentEnd: number, entryEnd: number, type: number, unsigned: [number, number][]): PeFinding[] {
  const start = position + 8
  const length = table.readUInt32LE(position)
  if (!certificateTypes.has(type)) {
    unsigned.push([start, entryEnd])
    return [{
      kind: 'malformed_certificate',
      explanation: `the WIN_CERTIFICATE at ${at(tableOffset + position)} has type ${hex(type)}; Authenticode uses 0x2 (PKCS#7 SignedData)`,
      offset: tableOffset + position, length,
    }]
  }
  // Both X.509 and SignedData content is a DER SEQUENCE (tag 0x30).
  const element = table[start] === 0x30 ? elementEnd(table, start, contentEnd, 0) : { error: `it starts with ${table[start] === undefined ? 'nothing' : hex(table[start]!)}, not a SEQUENCE (0x30)` }
  if ('error' in element) {
    unsigned.push([start, entryEnd])
    return [{
      kind: 'malformed_certificate',
      explanation: `the ${certificateTypes.get(type)} in the WIN_CERTIFICATE at ${at(tableOffset + position)} is not readable DER: ${element.error}`,
      offset: tableOffset + start, length: contentEnd - start,
    }]
  }
  // CVE-2013-3900: WinVerifyTrust does not check what follows the SignedData unless
  // EnableCertPaddingCheck is set. Only the quadword alignment padding, zeros, belongs there.
  const after = table.subarray(element.end, entryEnd)
  if (after.length === 0 || (after.length <= 7 && after.every((byte) => byte === 0))) return []
  unsigned.push([element.end, entryEnd])
  return [{
    kind: 'data_after_signature',
    explanation: `${after.length} bytes follow the ${certificateTypes.get(type)} that ends at ${at(tableOffset + element.end)} inside its WIN_CERTIFICATE, where only up to 7 zero bytes of alignment padding belong; Authenticode does not cover them, so they can hide a payload in a validly signed file (CVE-2013-3900)`,
    offset: tableOffset + element.end, length: after.length,
  }]
}

function leftover(tableOffset: number, position: number, size: number): PeFinding {
  return {
    kind: 'certificate_table_size_mismatch',
    explanation: `the certificate table's entries end after ${position} bytes, but the data directory declares ${size}: ${size - position} bytes belong to no entry`,
    offset: tableOffset + position, length: size - position,
  }
}

/** Offsets of the payload marker in the given table regions. */
function markersIn(table: Buffer, tableOffset: number, regions: [number, number][]): PeFinding[] {
  const found: PeFinding[] = []
  for (const [start, end] of regions) {
    const region = table.subarray(start, end)
    for (let index = region.indexOf(payloadMarker); index !== -1 && found.length < maxMarkers; index = region.indexOf(payloadMarker, index + 1)) {
      const offset = tableOffset + start + index
      found.push({
        kind: 'payload_marker',
        explanation: `the bytes FE ED FA CE at ${at(offset)}, outside the signature: the marker the 3CX loader (ffmpeg.dll) searches for, followed by the encrypted shellcode in the trojanized d3dcompiler_47.dll`,
        offset, length: payloadMarker.length,
      })
    }
  }
  return found
}

function roundUp8(value: number): number {
  return Math.ceil(value / 8) * 8
}

function hex(value: number): string {
  return `0x${value.toString(16)}`
}

function at(offset: number): string {
  return `offset ${offset} (${hex(offset)})`
}
