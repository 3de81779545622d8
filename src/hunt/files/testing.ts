// Test helpers for the file sweep: temporary directories removed after the test, and PE images
// built byte by byte (minimal but valid headers, one section, an optional certificate table).
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'

/** A new empty directory under the system temp dir, removed (with whatever the test left in it) after the test. */
export function temporaryDirectory(t: TestContext, prefix = 'cordon-hunt-'): string {
  const path = mkdtempSync(join(tmpdir(), prefix))
  t.after(() => {
    restorePermissions(path)
    rmSync(path, { recursive: true, force: true })
  })
  return path
}

/** Gives back read and search permission to directories a test locked, so that they can be removed. */
function restorePermissions(path: string): void {
  try {
    chmodSync(path, 0o755)
    for (const entry of readdirSync(path, { withFileTypes: true })) if (entry.isDirectory()) restorePermissions(join(path, entry.name))
  } catch {
    // Already gone, or not ours to change: rmSync reports what really matters.
  }
}

/** Whether this process can list a directory it has no permission for (root, or CAP_DAC_READ_SEARCH). */
export function ignoresDirectoryPermissions(lockedDirectory: string): boolean {
  try {
    readdirSync(lockedDirectory)
    return true
  } catch {
    return false
  }
}

/** A DER element: tag, length (short form below 128 bytes, long form above), contents. */
export function der(tag: number, ...contents: Buffer[]): Buffer {
  const body = Buffer.concat(contents)
  let length: Buffer
  if (body.length < 0x80) length = Buffer.from([body.length])
  else {
    const bytes: number[] = []
    for (let rest = body.length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256)
    length = Buffer.from([0x80 | bytes.length, ...bytes])
  }
  return Buffer.concat([Buffer.from([tag]), length, body])
}

/**
 * A syntactically valid PKCS#7 ContentInfo of type signedData (no real signature): SEQUENCE {
 * OID 1.2.840.113549.1.7.2, [0] { SEQUENCE { INTEGER 1, SET {}, SEQUENCE { OID data }, OCTET STRING } } }.
 * `filler` bytes in the OCTET STRING set its size: 20 gives a short-form outer length, 300 a long one.
 */
export function aSignedData(filler = 300): Buffer {
  const signedDataOid = Buffer.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02])
  const dataOid = Buffer.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01])
  const content = Buffer.alloc(filler, 0x5a)
  const signedData = der(0x30, der(0x02, Buffer.from([1])), der(0x31), der(0x30, dataOid), der(0x04, content))
  return der(0x30, signedDataOid, der(0xa0, signedData))
}

/** The same ContentInfo in BER with indefinite lengths (0x80 ... 00 00) on the constructed elements. */
export function anIndefiniteLengthSignedData(): Buffer {
  const signedDataOid = Buffer.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02])
  const end = Buffer.from([0, 0])
  const inner = Buffer.concat([Buffer.from([0x30, 0x80]), der(0x02, Buffer.from([1])), der(0x04, Buffer.alloc(40, 0x5a)), end])
  return Buffer.concat([Buffer.from([0x30, 0x80]), signedDataOid, Buffer.from([0xa0, 0x80]), inner, end, end])
}

export interface PeSpec {
  format?: 'PE32' | 'PE32+'
  /** The bCertificate's signature blob (default aSignedData()); null for an unsigned image. */
  signature?: Buffer | null
  /** Bytes inside the WIN_CERTIFICATE after the signature blob, before the zero alignment padding. */
  afterSignature?: Buffer
  /** wCertificateType (default 2, PKCS#7 SignedData). */
  certificateType?: number
  /** dwLength (default: the whole entry with its padding, as signtool writes it). */
  certificateLength?: number
  /** The Security directory's size (default: the entry's rounded length). */
  directorySize?: number
  /** Bytes after the certificate table. */
  trailing?: Buffer
}

export interface BuiltPe {
  bytes: Buffer
  /** File offset of the certificate table (0x400). */
  tableOffset: number
  /** File offset just after the signature blob. */
  signatureEnd: number
  /** File offset just after the certificate table as written. */
  tableEnd: number
}

/**
 * A minimal PE image: MS-DOS header (e_lfanew 0x80), PE signature, COFF header, optional header
 * (PE32+ by default) with 16 data directories, one .text section at 0x200, and, when signed, a
 * certificate table at 0x400 holding one WIN_CERTIFICATE (revision 2.0).
 */
export function aPe(spec: PeSpec = {}): BuiltPe {
  const pe32Plus = (spec.format ?? 'PE32+') === 'PE32+'
  const headers = Buffer.alloc(0x200)
  headers.write('MZ', 0, 'latin1')
  headers.writeUInt32LE(0x80, 0x3c)
  headers.write('PE\0\0', 0x80, 'latin1')
  const coff = 0x84
  const optionalSize = pe32Plus ? 112 + 16 * 8 : 96 + 16 * 8
  headers.writeUInt16LE(pe32Plus ? 0x8664 : 0x14c, coff) // Machine: x64 or i386
  headers.writeUInt16LE(1, coff + 2) // NumberOfSections
  headers.writeUInt32LE(0x64000000, coff + 4) // TimeDateStamp
  headers.writeUInt16LE(optionalSize, coff + 16)
  headers.writeUInt16LE(0x2022, coff + 18) // EXECUTABLE_IMAGE | LARGE_ADDRESS_AWARE | DLL
  const optional = coff + 20
  headers.writeUInt16LE(pe32Plus ? 0x20b : 0x10b, optional)
  headers.writeUInt32LE(0x200, optional + 4) // SizeOfCode
  headers.writeUInt32LE(0x1000, optional + 16) // AddressOfEntryPoint
  headers.writeUInt32LE(0x1000, optional + 20) // BaseOfCode
  if (pe32Plus) headers.writeBigUInt64LE(0x180000000n, optional + 24) // ImageBase
  else headers.writeUInt32LE(0x10000000, optional + 28)
  headers.writeUInt32LE(0x1000, optional + 32) // SectionAlignment
  headers.writeUInt32LE(0x200, optional + 36) // FileAlignment
  headers.writeUInt16LE(6, optional + 40) // MajorOperatingSystemVersion
  headers.writeUInt16LE(6, optional + 48) // MajorSubsystemVersion
  headers.writeUInt32LE(0x2000, optional + 56) // SizeOfImage
  headers.writeUInt32LE(0x200, optional + 60) // SizeOfHeaders
  headers.writeUInt16LE(3, optional + 68) // Subsystem: Windows console
  headers.writeUInt32LE(16, optional + (pe32Plus ? 108 : 92)) // NumberOfRvaAndSizes
  const section = optional + optionalSize
  headers.write('.text', section, 'latin1')
  headers.writeUInt32LE(0x10, section + 8) // VirtualSize
  headers.writeUInt32LE(0x1000, section + 12) // VirtualAddress
  headers.writeUInt32LE(0x200, section + 16) // SizeOfRawData
  headers.writeUInt32LE(0x200, section + 20) // PointerToRawData
  headers.writeUInt32LE(0x60000020, section + 36) // CODE | EXECUTE | READ
  const text = Buffer.alloc(0x200)
  text[0] = 0xc3 // ret

  const tableOffset = 0x400
  const signature = spec.signature === undefined ? aSignedData() : spec.signature
  if (signature === null) {
    const bytes = Buffer.concat([headers, text, spec.trailing ?? Buffer.alloc(0)])
    return { bytes, tableOffset, signatureEnd: tableOffset, tableEnd: tableOffset }
  }
  const content = Buffer.concat([signature, spec.afterSignature ?? Buffer.alloc(0)])
  const rounded = Math.ceil((8 + content.length) / 8) * 8
  const entry = Buffer.alloc(rounded)
  entry.writeUInt32LE(spec.certificateLength ?? rounded, 0)
  entry.writeUInt16LE(0x0200, 4) // WIN_CERT_REVISION_2_0
  entry.writeUInt16LE(spec.certificateType ?? 0x0002, 6)
  content.copy(entry, 8)
  const directory = optional + (pe32Plus ? 112 : 96) + 4 * 8
  headers.writeUInt32LE(tableOffset, directory)
  headers.writeUInt32LE(spec.directorySize ?? rounded, directory + 4)
  const bytes = Buffer.concat([headers, text, entry, spec.trailing ?? Buffer.alloc(0)])
  return { bytes, tableOffset, signatureEnd: tableOffset + 8 + signature.length, tableEnd: tableOffset + rounded }
}
