import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { AppError } from '../shared/errors.js'
import { parseClamscan, parseScanCsv } from './scans.js'

// The scan report parsers, pure: what each format yields, and where hostile input is refused.

function chunks(...parts: Array<string | Buffer>): AsyncIterable<Buffer> {
  return (async function* () {
    for (const part of parts) yield Buffer.isBuffer(part) ? part : Buffer.from(part)
  })()
}

function summary(infected: number, end: string): string {
  return `----------- SCAN SUMMARY -----------\r\nScanned files: 7\r\nInfected files: ${infected}\r\nStart Date: 2026:03:30 10:00:00\r\nEnd Date: ${end}\r\n`
}

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

  it('takes quoted CSV fields with commas and doubled quotes', async () => {
    const csv = 'hostname,product,scan_started,scan_finished,infected_files,result\n"pc-1","Sophos, ""Intercept X""",2026-03-30T09:00:00Z,2026-03-30T10:00:00Z,0,clean\n'

    const [scan] = await parseScanCsv(chunks(csv), 'scans.csv', undefined)

    assert.equal(scan!.product, 'Sophos, "Intercept X"')
    assert.equal(scan!.startedAt, '2026-03-30T09:00:00.000Z')
  })
})
