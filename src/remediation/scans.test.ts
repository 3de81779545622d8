import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { AppError } from '../shared/errors.js'
import { csvHeader, detectScanFormat, maxScansPerFile, parseClamscan, parseScanCsv } from './scans.js'

// The scan report parsers, pure: what each format yields, and where hostile input is refused.

function chunks(...parts: Array<string | Buffer>): AsyncIterable<Buffer> {
  return (async function* () {
    for (const part of parts) yield Buffer.isBuffer(part) ? part : Buffer.from(part)
  })()
}

function summary(infected: number, end: string): string {
  return `----------- SCAN SUMMARY -----------\r\nScanned files: 7\r\nInfected files: ${infected}\r\nStart Date: 2026:03:30 10:00:00\r\nEnd Date: ${end}\r\n`
}

/** The text in pieces of `size` bytes, counting how many pieces the parser pulled. */
function pieces(text: string, size: number): { bytes: AsyncIterable<Buffer>; pulled: () => number } {
  const all = Buffer.from(text)
  let pulled = 0
  return {
    bytes: (async function* () {
      for (let at = 0; at < all.length; at += size) {
        pulled += 1
        yield all.subarray(at, at + size)
      }
    })(),
    pulled: () => pulled,
  }
}

const header = `${csvHeader}\n`

async function problemsOf(promise: Promise<unknown>): Promise<Array<{ field: string; message: string }>> {
  const error = await promise.then(() => undefined, (e: unknown) => e)
  assert.ok(error instanceof AppError && error.kind === 'invalid', String(error))
  return error.problems
}

describe('scan report parsers', () => {
  it('reads each host and summary block of a clamscan log with CRLF line ends, split across chunks', async () => {
    const log = `Host: pc-1\r\n/a: OK\r\n${summary(0, '2026:03:30 10:01:00')}Host: pc-2\r\n/b/evil.dll: Win.Trojan.X-1 FOUND\r\n${summary(1, '2026:03:30 10:02:00')}`

    const scans = await parseClamscan(chunks(log.slice(0, 50), log.slice(50)), 'scan.log', undefined)

    assert.deepEqual(
      scans.map((s) => [s.host, s.line, s.result, s.infectedFiles, s.finishedAt, s.detections.map((d) => d.signature)]),
      [
        ['pc-1', 1, 'clean', 0, '2026-03-30T10:01:00.000Z', []],
        ['pc-2', 8, 'infected', 1, '2026-03-30T10:02:00.000Z', ['Win.Trojan.X-1']],
      ],
    )
  })

  it('refuses a character cut off at the end of the file as not UTF-8, with the line', async () => {
    const problems = await problemsOf(parseClamscan(chunks('Host: pc-1\n', Buffer.from([0xe2, 0x82])), 'scan.log', undefined))

    assert.deepEqual(problems.map((p) => p.field), ['scan.log:2'])
  })

  it('reports every bad CSV row with its line', async () => {
    const csv = 'hostname,product,scan_started,scan_finished,infected_files,result\npc-1,Defender,,2026-03-30T10:00:00Z,0,clean\npc-2,Defender,,yesterday,0,clean\npc-3,Defender,,2026-03-30T10:00:00Z,2,clean\n"pc-4,Defender\n'

    const problems = await problemsOf(parseScanCsv(chunks(csv), 'scans.csv', undefined))

    assert.deepEqual(problems.map((p) => p.field), ['scans.csv:3', 'scans.csv:4', 'scans.csv:5'])
  })

  it('refuses a CSV without the documented header', async () => {
    const problems = await problemsOf(parseScanCsv(chunks('host,result\npc-1,clean\n'), 'scans.csv', undefined))

    assert.deepEqual(problems.map((p) => p.field), ['scans.csv:1'])
  })

  it('refuses a file with more scans than one import keeps in memory, naming the first line past the limit', async () => {
    const row = 'pc-1,Defender,2026-03-30T10:00:00Z,2026-03-30T10:05:00Z,0,clean\n'
    const text = `${csvHeader}\n${row.repeat(maxScansPerFile + 5)}`

    const problems = await problemsOf(parseScanCsv(chunks(text), 'big.csv', undefined))

    assert.deepEqual(problems.map((p) => p.field), [`big.csv:${maxScansPerFile + 2}`])
    assert.match(problems[0]!.message, /more than 100000 scans in one file/)
  })

  it('takes quoted CSV fields with commas and doubled quotes', async () => {
    const csv = 'hostname,product,scan_started,scan_finished,infected_files,result\n"pc-1","Sophos, ""Intercept X""",2026-03-30T09:00:00Z,2026-03-30T10:00:00Z,0,clean\n'

    const [scan] = await parseScanCsv(chunks(csv), 'scans.csv', undefined)

    assert.equal(scan!.product, 'Sophos, "Intercept X"')
    assert.equal(scan!.startedAt, '2026-03-30T09:00:00.000Z')
  })

  it('takes a quoted CSV field spanning lines, and numbers each record by the line it starts on', async () => {
    const csv = `${header}pc-1,"Sophos\r\nIntercept X\nfor Server",2026-03-30T09:00:00Z,2026-03-30T10:00:00Z,0,clean\r\npc-2,Defender,,2026-03-30T10:00:00Z,0,clean\n\npc-3,Defender,,never,0,clean\n`

    const problems = await problemsOf(parseScanCsv(chunks(csv), 'scans.csv', undefined))
    const [first, second] = await parseScanCsv(chunks(csv.replace('never', '2026-03-30T10:00:00Z')), 'scans.csv', undefined)

    assert.deepEqual(problems.map((p) => p.field), ['scans.csv:7'])
    assert.deepEqual([first!.line, first!.product, second!.line], [2, 'Sophos\r\nIntercept X\nfor Server', 5])
  })

  it('splits records the same however the bytes are chunked, quoted line breaks and multi-byte characters included', async () => {
    const csv = `${header}"pc-1","Kaspersky ""Endpoint""\nSécurité, Premium",2026-03-30T09:00:00Z,2026-03-30T10:00:00Z,0,clean\npc-2,Defender,,2026-03-30T10:00:00Z,3,infected\n`

    const whole = await parseScanCsv(chunks(csv), 'scans.csv', undefined)
    const split = await parseScanCsv(pieces(csv, 3).bytes, 'scans.csv', undefined)

    assert.deepEqual(split, whole)
    assert.deepEqual(whole.map((s) => [s.host, s.line, s.product, s.result]), [
      ['pc-1', 2, 'Kaspersky "Endpoint"\nSécurité, Premium', 'clean'],
      ['pc-2', 4, 'Defender', 'infected'],
    ])
  })

  it('reports an unclosed quote at the line its record starts on, after the bad rows before it', async () => {
    const csv = `${header}pc-1,Defender,,2026-03-30T10:00:00Z,-1,clean\npc-2,"Defender,,2026-03-30T10:00:00Z,0,clean\npc-3,Defender,,2026-03-30T10:00:00Z,0,clean\n`

    const problems = await problemsOf(parseScanCsv(chunks(csv), 'scans.csv', undefined))

    assert.deepEqual(problems.map((p) => p.field), ['scans.csv:2', 'scans.csv:3'])
    assert.match(problems[1]!.message, /never closed/)
  })

  it('refuses a record longer than a line may be, at the line it starts on, even when each of its lines is short enough', async () => {
    const field = Array.from({ length: 3 }, () => 'x'.repeat(30_000)).join('\n')
    const csv = `${header}pc-1,Defender,,2026-03-30T10:00:00Z,0,clean\npc-2,"${field}",,2026-03-30T10:00:00Z,0,clean\n`

    const problems = await problemsOf(parseScanCsv(chunks(csv), 'scans.csv', undefined))

    assert.deepEqual(problems, [{ field: 'scans.csv:3', message: 'a record longer than 65536 characters' }])
  })

  it('reports a row with the wrong number of fields and goes on to the next', async () => {
    const csv = `${header}pc-1,Defender,clean\npc-2,Defender,,2026-03-30T10:00:00Z,0,clean,extra\npc-3,Defender,,2026-03-30T10:00:00Z,0,dirty\n`

    const problems = await problemsOf(parseScanCsv(chunks(csv), 'scans.csv', undefined))

    assert.deepEqual(problems.map((p) => [p.field, p.message.replace(/ \(.*\)/, '')]), [
      ['scans.csv:2', 'expected 6 fields, found 3'],
      ['scans.csv:3', 'expected 6 fields, found 7'],
      ['scans.csv:4', 'result must be clean, infected or error, not "dirty"'],
    ])
  })

  it('stops reading at a wrong header instead of reading the rest of the file', async () => {
    const input = pieces(`host,result\n${'pc-1,clean\n'.repeat(1000)}`, 64)

    const problems = await problemsOf(parseScanCsv(input.bytes, 'scans.csv', undefined))

    assert.deepEqual(problems.map((p) => p.field), ['scans.csv:1'])
    assert.ok(input.pulled() <= 2, `pulled ${input.pulled()} pieces`)
  })

  it('reads a CSV that starts with a UTF-8 byte order mark, and detects it as CSV by content', async () => {
    const csv = `\uFEFF${header}pc-1,Defender,,2026-03-30T10:00:00Z,0,clean\n`

    const [scan] = await parseScanCsv(chunks(csv), 'upload', undefined)

    assert.equal(scan!.host, 'pc-1')
    assert.equal(detectScanFormat('upload', Buffer.from(csv).toString('latin1')), 'csv')
  })

  it('answers a CSV with the header alone, and an empty file, with what is missing', async () => {
    const headerOnly = await problemsOf(parseScanCsv(chunks(header), 'scans.csv', undefined))
    const empty = await problemsOf(parseScanCsv(chunks(), 'scans.csv', undefined))

    assert.deepEqual(headerOnly, [{ field: 'scans.csv:2', message: 'no scans after the header' }])
    assert.deepEqual(empty, [{ field: 'scans.csv:1', message: `empty file: expected the header ${csvHeader}` }])
  })

  for (const [format, parse] of [['clamscan', parseClamscan], ['csv', parseScanCsv]] as const) {
    const start = format === 'csv' ? header : 'Host: pc-1\n'
    it(`refuses a NUL byte, invalid UTF-8 and an overlong line in a ${format} report, naming the line even inside one chunk`, async () => {
      const nul = await problemsOf(parse(chunks(Buffer.from(`${start}line 2\nline\u00003\n`)), 'report', undefined))
      const utf8 = await problemsOf(parse(chunks(Buffer.concat([Buffer.from(`${start}line 2\n`), Buffer.from([0x6c, 0xc3, 0x28, 0x0a])])), 'report', undefined))
      const long = await problemsOf(parse(chunks(`${start}line 2\n${'x'.repeat(100 * 1024)}\nline 4\n`), 'report', undefined))

      assert.deepEqual(nul, [{ field: 'report:3', message: 'binary data (a NUL byte): not a scan report' }])
      assert.deepEqual(utf8, [{ field: 'report:3', message: 'not UTF-8 text' }])
      assert.deepEqual(long, [{ field: 'report:3', message: 'a line longer than 65536 characters' }])
    })
  }
})
