import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { truncate } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { bufferSource, type ByteSource } from './byte-source.js'
import { inspectPe, inspectPeFile, payloadMarker, type PeFinding, type PeInspection } from './pe.js'
import { anIndefiniteLengthSignedData, aPe, aSignedData, der, temporaryDirectory } from './testing.js'

function inspect(bytes: Buffer): Promise<PeInspection> {
  return inspectPe(bufferSource(bytes))
}

async function findingsOf(bytes: Buffer): Promise<PeFinding[]> {
  const result = await inspect(bytes)
  assert.equal(result.kind, 'pe', JSON.stringify(result))
  return result.kind === 'pe' ? result.findings : []
}

function kindsAndRanges(findings: PeFinding[]): [string, number, number][] {
  return findings.map(({ kind, offset, length }) => [kind, offset, length])
}

describe('inspectPe', () => {
  it('reads a clean signed PE32+ image: format, machine, certificate table, no findings', async () => {
    const pe = aPe()

    const result = await inspect(pe.bytes)

    assert.deepEqual(result, { kind: 'pe', format: 'PE32+', machine: 0x8664, peOffset: 0x80, certificateTable: { offset: 0x400, size: pe.tableEnd - 0x400 }, findings: [] })
  })

  it('reads a PE32 image, whose data directories sit 16 bytes earlier', async () => {
    const pe = aPe({ format: 'PE32' })

    const result = await inspect(pe.bytes)

    assert.deepEqual(result, { kind: 'pe', format: 'PE32', machine: 0x14c, peOffset: 0x80, certificateTable: { offset: 0x400, size: pe.tableEnd - 0x400 }, findings: [] })
  })

  it('reads an unsigned image as having no certificate table', async () => {
    const result = await inspect(aPe({ signature: null }).bytes)

    assert.deepEqual(result, { kind: 'pe', format: 'PE32+', machine: 0x8664, peOffset: 0x80, certificateTable: null, findings: [] })
  })

  it('accepts signatures with short-form, long-form and indefinite lengths', async () => {
    for (const signature of [aSignedData(20), aSignedData(300), aSignedData(70_000), anIndefiniteLengthSignedData()]) {
      assert.deepEqual(await findingsOf(aPe({ signature }).bytes), [], `signature of ${signature.length} bytes starting ${signature.subarray(0, 4).toString('hex')}`)
    }
  })

  it('accepts up to 7 zero bytes of alignment padding after the signature', async () => {
    for (const filler of [20, 21, 22, 23, 24, 25, 26, 27]) assert.deepEqual(await findingsOf(aPe({ signature: aSignedData(filler) }).bytes), [], `filler ${filler}`)
  })

  it('reports bytes after the signature blob inside its WIN_CERTIFICATE (CVE-2013-3900), with their offset and length', async () => {
    const pe = aPe({ afterSignature: Buffer.from('appended after signing') })

    const findings = await findingsOf(pe.bytes)

    assert.deepEqual(kindsAndRanges(findings), [['data_after_signature', pe.signatureEnd, pe.tableEnd - pe.signatureEnd]])
    assert.match(findings[0]!.explanation, /^\d+ bytes follow the PKCS#7 SignedData that ends at offset \d+ \(0x[0-9a-f]+\) inside its WIN_CERTIFICATE/)
  })

  it('reports non-zero padding even when it is shorter than 8 bytes', async () => {
    const pe = aPe({ afterSignature: Buffer.from([0, 0, 1]) })

    assert.deepEqual(kindsAndRanges(await findingsOf(pe.bytes)), [['data_after_signature', pe.signatureEnd, pe.tableEnd - pe.signatureEnd]])
  })

  it('reports eight or more zero bytes after the signature: more than alignment needs', async () => {
    const pe = aPe({ signature: aSignedData(24), afterSignature: Buffer.alloc(8) })

    assert.deepEqual(kindsAndRanges(await findingsOf(pe.bytes)).map(([kind]) => kind), ['data_after_signature'])
  })

  it('reports the 3CX payload marker FE ED FA CE after the signature, at its file offset', async () => {
    const payload = Buffer.concat([Buffer.alloc(5, 0xaa), payloadMarker, randomBytes(64).fill(0x11, 0, 64)])
    const pe = aPe({ afterSignature: payload })

    const findings = await findingsOf(pe.bytes)

    assert.deepEqual(kindsAndRanges(findings), [
      ['data_after_signature', pe.signatureEnd, pe.tableEnd - pe.signatureEnd],
      ['payload_marker', pe.signatureEnd + 5, 4],
    ])
    assert.equal(pe.bytes.subarray(findings[1]!.offset, findings[1]!.offset + 4).toString('hex'), 'feedface')
  })

  it('does not look for the marker inside the signature itself, where random bytes could hold it', async () => {
    const signature = der(0x30, der(0x06, Buffer.from([0x2a, 0x86, 0x48])), der(0x04, Buffer.concat([Buffer.alloc(10), payloadMarker, Buffer.alloc(10)])))

    assert.deepEqual(await findingsOf(aPe({ signature }).bytes), [])
  })

  it('reports a certificate table cut short by the end of the file', async () => {
    const pe = aPe()
    const cut = pe.bytes.subarray(0, pe.tableEnd - 100)

    const findings = await findingsOf(cut)

    assert.deepEqual(findings.map((finding) => finding.kind), ['certificate_table_truncated', 'malformed_certificate'])
    assert.deepEqual([findings[0]!.offset, findings[0]!.length], [pe.tableOffset, pe.tableEnd - pe.tableOffset])
  })

  it('reports a certificate table that starts past the end of the file', async () => {
    const pe = aPe()

    const findings = await findingsOf(pe.bytes.subarray(0, pe.tableOffset))

    assert.deepEqual(kindsAndRanges(findings), [['certificate_table_truncated', pe.tableOffset, pe.tableEnd - pe.tableOffset]])
    assert.match(findings[0]!.explanation, /past the end of the file \(1024 bytes\)/)
  })

  it('reports a directory size larger than the entries, and searches the bytes left over for the marker', async () => {
    const base = aPe()
    const extra = Buffer.concat([payloadMarker, Buffer.alloc(12)])
    const pe = aPe({ directorySize: base.tableEnd - base.tableOffset + extra.length, trailing: extra })

    const findings = await findingsOf(pe.bytes)

    assert.deepEqual(kindsAndRanges(findings), [
      ['certificate_table_size_mismatch', pe.tableEnd, 16],
      ['payload_marker', pe.tableEnd, 4],
    ])
  })

  it('reports an entry that runs past the directory size, and the bytes after the table that size leaves', async () => {
    const base = aPe()
    const pe = aPe({ directorySize: base.tableEnd - base.tableOffset - 8 })

    const findings = await findingsOf(pe.bytes)

    assert.deepEqual(findings.map((finding) => finding.kind), ['certificate_table_not_at_end', 'certificate_table_size_mismatch'])
    assert.deepEqual([findings[0]!.offset, findings[0]!.length], [pe.tableEnd - 8, 8])
  })

  it('reports rounded entry lengths that add up to more than the directory size', async () => {
    const base = aPe()
    const size = base.tableEnd - base.tableOffset
    const pe = aPe({ certificateLength: size - 3, directorySize: size - 3, trailing: Buffer.alloc(0) })

    const findings = await findingsOf(pe.bytes.subarray(0, pe.tableEnd - 3))

    assert.deepEqual(findings.map((finding) => finding.kind), ['certificate_table_size_mismatch'])
    assert.match(findings[0]!.explanation, new RegExp(`add up to ${size} bytes; the data directory declares ${size - 3}`))
  })

  it('reports bytes after the certificate table, which should end the file', async () => {
    const pe = aPe({ trailing: Buffer.from('overlay after the signature') })

    assert.deepEqual(kindsAndRanges(await findingsOf(pe.bytes)), [['certificate_table_not_at_end', pe.tableEnd, 27]])
  })

  it('reports a WIN_CERTIFICATE whose content is not a DER SEQUENCE, or whose DER length runs past the entry', async () => {
    const notSequence = aPe({ signature: Buffer.from([0x04, 0x03, 1, 2, 3]) })
    const tooLong = aPe({ signature: Buffer.from([0x30, 0x82, 0x10, 0x00, 1, 2, 3]) })
    const lengthOfLength = aPe({ signature: Buffer.from([0x30, 0x85, 1, 1, 1, 1, 1]) })

    const found = await Promise.all([notSequence, tooLong, lengthOfLength].map(async (pe) => (await findingsOf(pe.bytes)).map((finding) => finding.explanation)))

    assert.deepEqual(found.map((explanations) => explanations.length), [1, 1, 1])
    assert.match(found[0]![0]!, /not readable DER: it starts with 0x4, not a SEQUENCE \(0x30\)/)
    assert.match(found[1]![0]!, /not readable DER: an element's length puts its end 4092 bytes past the end of its entry/)
    assert.match(found[2]![0]!, /an element's length takes 5 bytes/)
  })

  it('reports an unknown certificate type and a length smaller than the entry header', async () => {
    const unknownType = await findingsOf(aPe({ certificateType: 0x0009 }).bytes)
    const tinyLength = await findingsOf(aPe({ certificateLength: 4 }).bytes)

    assert.match(unknownType[0]!.explanation, /has type 0x9; Authenticode uses 0x2/)
    assert.match(tinyLength[0]!.explanation, /declares a length of 4, less than its own 8-byte header/)
  })

  it('answers not_pe for garbage, an empty file, a short MZ file, and an MZ file without a PE signature', async () => {
    const dosProgram = Buffer.alloc(256)
    dosProgram.write('MZ', 0, 'latin1')
    dosProgram.writeUInt32LE(0x40, 0x3c)
    const farPointer = Buffer.from(dosProgram)
    farPointer.writeUInt32LE(0xfffffff0, 0x3c)
    let garbage = randomBytes(4096)
    while (garbage[0] === 0x4d) garbage = randomBytes(4096)

    const results = await Promise.all([garbage, Buffer.alloc(0), Buffer.from('M'), Buffer.from('MZ but short'), dosProgram, farPointer].map(inspect))

    assert.deepEqual(results.map((result) => result.kind), ['not_pe', 'not_pe', 'not_pe', 'not_pe', 'not_pe', 'not_pe'])
    assert.deepEqual(results[3], { kind: 'not_pe', reason: 'the file starts with MZ but is too short for an MS-DOS header (12 bytes; the header is 64)' })
    assert.deepEqual(results[4], { kind: 'not_pe', reason: 'an MZ file without a PE signature at the offset its header gives (0x40): an MS-DOS program, or not an executable' })
  })

  it('answers malformed, with the reason and offset, for headers cut short or wrong', async () => {
    const pe = aPe().bytes
    const badMagic = Buffer.from(pe)
    badMagic.writeUInt16LE(0x107, 0x98)
    const noOptionalHeader = Buffer.from(pe)
    noOptionalHeader.writeUInt16LE(0, 0x84 + 16)
    const smallOptionalHeader = Buffer.from(pe)
    smallOptionalHeader.writeUInt16LE(100, 0x84 + 16)

    const results = await Promise.all([pe.subarray(0, 0x90), pe.subarray(0, 0x100), badMagic, noOptionalHeader, smallOptionalHeader].map(inspect))

    assert.deepEqual(results, [
      { kind: 'malformed', reason: 'the COFF file header is cut short by the end of the file', offset: 0x84 },
      { kind: 'malformed', reason: 'the optional header (240 bytes declared) is cut short by the end of the file', offset: 0x98 },
      { kind: 'malformed', reason: 'the optional header magic is 0x107, neither PE32 (0x10b) nor PE32+ (0x20b)', offset: 0x98 },
      { kind: 'malformed', reason: 'the COFF header declares an optional header of 0 bytes: an object file, not an image', offset: 0x94 },
      { kind: 'malformed', reason: 'the optional header is 100 bytes, too small for PE32+ (at least 112)', offset: 0x98 },
    ])
  })

  it('believes the number of data directories only as far as the optional header has room', async () => {
    const pe = aPe()
    const fewDirectories = Buffer.from(pe.bytes)
    fewDirectories.writeUInt32LE(4, 0x98 + 108) // no Security directory
    const roomForFour = Buffer.from(pe.bytes)
    roomForFour.writeUInt16LE(112 + 4 * 8, 0x84 + 16)

    const results = await Promise.all([fewDirectories, roomForFour].map(inspect))

    assert.deepEqual(results.map((result) => result.kind === 'pe' && result.certificateTable), [null, null])
  })

  it('never throws on random mutations of a signed image', async () => {
    const pe = aPe({ afterSignature: Buffer.concat([payloadMarker, Buffer.alloc(30, 7)]) }).bytes

    for (let round = 0; round < 2000; round++) {
      const mutated = Buffer.from(pe)
      for (let flips = 0; flips < 4; flips++) mutated[Math.floor(Math.random() * 0x98 + (round % 2) * (mutated.length - 0x98))] = Math.floor(Math.random() * 256)
      const cut = round % 3 === 0 ? mutated.subarray(0, Math.floor(Math.random() * mutated.length)) : mutated

      const result = await inspect(cut)

      assert.ok(['pe', 'not_pe', 'malformed'].includes(result.kind))
    }
  })

  it('reads only the headers and the certificate table of a large file', async () => {
    const pe = aPe({ afterSignature: payloadMarker })
    const table = pe.bytes.subarray(pe.tableOffset, pe.tableEnd)
    const virtualSize = 4 * 1024 ** 3 - 4096 // 4 GiB (the table's offset is 32 bits): the table is moved to the end, the middle reads as zeros
    const image = Buffer.from(pe.bytes.subarray(0, pe.tableOffset))
    image.writeUInt32LE(virtualSize - table.length, 0x98 + 112 + 32)
    let bytesRead = 0
    const source: ByteSource = {
      size: virtualSize,
      async read(offset, length) {
        const end = Math.min(offset + length, virtualSize)
        const bytes = Buffer.alloc(Math.max(0, end - offset))
        image.subarray(offset, end).copy(bytes)
        const tableStart = virtualSize - table.length
        if (end > tableStart) table.subarray(Math.max(0, offset - tableStart), end - tableStart).copy(bytes, Math.max(0, tableStart - offset))
        bytesRead += bytes.length
        return bytes
      },
    }

    const result = await inspectPe(source)

    assert.deepEqual(result.kind === 'pe' && result.findings.map((finding) => [finding.kind, finding.offset]), [
      ['data_after_signature', virtualSize - table.length + (pe.signatureEnd - pe.tableOffset)],
      ['payload_marker', virtualSize - table.length + (pe.signatureEnd - pe.tableOffset)],
    ])
    assert.ok(bytesRead < 4096, `read ${bytesRead} bytes`)
  })

  it('reports a table larger than the limit without reading it', async () => {
    const pe = aPe()

    const result = await inspectPe(bufferSource(pe.bytes), { maxCertificateTableBytes: 64 })

    assert.deepEqual(result.kind === 'pe' && result.findings.map((finding) => finding.kind), ['certificate_table_too_large'])
  })
})

describe('inspectPeFile', () => {
  it('inspects a file on disk, including a sparse multi-gigabyte one, without reading it all', async (t) => {
    const path = join(temporaryDirectory(t), 'big.dll')
    const pe = aPe({ afterSignature: payloadMarker })
    writeFileSync(path, pe.bytes)
    await truncate(path, 3 * 1024 ** 3) // sparse: 3 GiB of zeros after the certificate table

    const started = process.hrtime.bigint()
    const result = await inspectPeFile(path)
    const milliseconds = Number(process.hrtime.bigint() - started) / 1e6

    assert.deepEqual(result.kind === 'pe' && result.findings.map((finding) => finding.kind), ['certificate_table_not_at_end', 'data_after_signature', 'payload_marker'])
    assert.ok(milliseconds < 1000, `took ${milliseconds} ms`)
  })
})
