import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { gzipSync } from 'node:zlib'
import { huntLog, huntLogFile, type HuntProgress } from './engine.js'
import { brief, bytes, campaignMatcher, chunked, collect, collectGarbage, fixture, fixturePath, hunt, huntError, huntFile } from './testing.js'
import { logFormats } from './types.js'

const scratch = mkdtempSync(join(tmpdir(), 'cordon-hunt-'))
after(() => rmSync(scratch, { recursive: true, force: true }))

const dnsmasqLine = (time: string, name: string, client = '192.0.2.17') => `Mar 18 ${time} dnsmasq[812]: query[A] ${name} from ${client}`

describe('huntLog', () => {
  const expected: Record<string, ReturnType<typeof brief>[]> = {
    'bind-queries.log': [
      [3, 'domain:msstorageazure.com', 'Cdn.MSStorageAzure.com', '192.0.2.23', '2024-03-18T10:15:30.456'],
      [4, 'domain:akamaicontainer.com', 'akamaicontainer.com', '2001:db8:10::23', '2024-03-18T10:15:31.002'],
      [5, 'domain:sbmsa.wiki', 'sbmsa.wiki', '192.0.2.99', '2024-03-18T10:15:31.250'],
    ],
    'dnsmasq.log': [
      [4, 'domain:azureonlinestorage.com', 'beacon.azureonlinestorage.com', '192.0.2.17', '2024-03-18T10:15:30.000'],
      [5, 'domain:azureonlinestorage.com', 'beacon.azureonlinestorage.com', null, '2024-03-18T10:15:30.000'],
      [6, 'domain:azureonlinestorage.com', 'beacon.azureonlinestorage.com', null, '2024-03-18T10:15:30.000'],
      [6, 'ipv4:198.51.100.77', '198.51.100.77', null, '2024-03-18T10:15:30.000'],
      [11, 'domain:pbxsources.com', 'edge.pbxsources.com', null, '2024-03-18T10:15:32.000'],
      [12, 'domain:officeaddons.com', 'officeaddons.com', '192.0.2.20', '2024-03-18T10:15:33.000'],
      [13, 'domain:officeaddons.com', 'officeaddons.com', '192.0.2.20', '2024-03-18T10:15:33.000'],
    ],
    'unbound.log': [
      [3, 'domain:msedgepackageinfo.com', 'dl.msedgepackageinfo.com.', '192.0.2.21', '2024-03-18T10:15:30.000Z'],
      [4, 'domain:msedgepackageinfo.com', 'dl.msedgepackageinfo.com.', '192.0.2.21', '2024-03-18T10:15:30.000Z'],
      [6, 'domain:journalide.org', 'journalide.org', null, '2024-03-18T10:15:32.000Z'],
    ],
    'windows-dns.log': [
      [19, 'domain:officestoragebox.com', 'cdn.officestoragebox.com', '192.0.2.25', '2024-03-18T10:15:30.000'],
      [20, 'domain:officestoragebox.com', 'cdn.officestoragebox.com', null, '2024-03-18T10:15:30.000'],
      [21, 'domain:officestoragebox.com', 'cdn.officestoragebox.com', null, '2024-03-18T10:15:30.000'],
      [22, 'domain:officestoragebox.com', 'cdn.officestoragebox.com', '192.0.2.25', '2024-03-18T10:15:30.000'],
    ],
    'zeek-dns.log': [
      [10, 'domain:akamaicontainer.com', 'update.AKAMAICONTAINER.com', '192.0.2.23', '2024-03-18T10:15:31.500Z'],
      [11, 'domain:sbmsa.wiki', 'cdn.sbmsa.wiki', '192.0.2.24', '2024-03-18T10:15:32.000Z'],
      [12, 'domain:xn--mnchen-3ya.de', 'xn--mnchen-3ya.de', '192.0.2.25', '2024-03-18T10:15:33.250Z'],
    ],
    'zeek-http.log': [
      [10, 'url:http://raw.githubusercontent.com/IconStorages/images/main/', 'http://raw.githubusercontent.com/IconStorages/images/main/icon13.ico', '192.0.2.31', '2024-03-18T10:15:41.200Z'],
      [11, 'domain:sbmsa.wiki', 'sbmsa.wiki', '192.0.2.32', '2024-03-18T10:15:42.300Z'],
    ],
    'zeek-conn.log': [
      [10, 'ipv4:198.51.100.77', '198.51.100.77', '192.0.2.41', '2024-03-18T10:15:51.000Z'],
      [11, 'ipv6:2001:db8:bad::7', '2001:db8:bad::7', '2001:db8:10::42', '2024-03-18T10:15:52.000Z'],
      [12, 'cidr:203.0.113.192/26', '203.0.113.201', '192.0.2.43', '2024-03-18T10:15:53.000Z'],
    ],
    'zeek-dns-http.json.log': [
      [2, 'domain:azuredeploystore.com', 'www.azuredeploystore.com', '192.0.2.51', '2024-03-18T10:16:01.500Z'],
      [3, 'url:http://raw.githubusercontent.com/IconStorages/images/main/', 'http://raw.githubusercontent.com/IconStorages/images/main/icon15.ico', '192.0.2.52', '2024-03-18T10:16:02.000Z'],
    ],
    'squid-access.log': [
      [2, 'url:http://raw.githubusercontent.com/IconStorages/images/main/', 'http://raw.githubusercontent.com:80/IconStorages/images/main/icon12.ico', '192.0.2.61', '2024-03-18T10:16:11.004Z'],
      [3, 'domain:sbmsa.wiki', 'sbmsa.wiki', '192.0.2.62', '2024-03-18T10:16:12.530Z'],
      [4, 'ipv4:198.51.100.77', 'http://198.51.100.77/gate.php', '192.0.2.63', '2024-03-18T10:16:13.777Z'],
    ],
    'endpoint-text.log': [
      [2, 'domain:pbxcloudeservices.com', 'https://pbxcloudeservices.com/phone?id=7', null, '2024-03-18T10:17:01.000Z'],
      [3, 'ipv6:2001:db8:bad::7', '2001:db8:bad::7', null, '2024-03-18T10:17:02.000Z'],
      [4, 'domain:qwepoi123098.com', 'Qwepoi123098.COM', null, '2024-03-18T10:17:03.000Z'],
    ],
  }

  it('finds the campaign in every format, with the line, the value as logged, the client and the log\'s own time', async () => {
    for (const [name, sightings] of Object.entries(expected)) {
      const { sightings: found, report } = await hunt(fixture(name), { file: name })

      assert.deepEqual(found.map(brief), sightings, name)
      assert.equal(report.sightings, sightings.length, name)
      assert.equal(report.unparseable, 0, name)
    }
  })

  it('names the file and keeps the line (at most 512 characters) with each sighting', async () => {
    const { sightings } = await hunt(fixture('bind-syslog.log'), { file: 'named.log' })

    assert.equal(sightings[0]?.file, 'named.log')
    assert.equal(sightings[0]?.kind, 'domain')
    assert.equal(sightings[0]?.raw, readFileSync(fixturePath('bind-syslog.log'), 'utf8').split('\n')[0])
  })

  it('reports one sighting per indicator and line, even when the line names it twice', async () => {
    const { sightings } = await hunt(bytes('18-Mar-2024 10:15:31.250 security: info: client @0x7f 192.0.2.99#5300 (sbmsa.wiki): query (cache) \'sbmsa.wiki/A/IN\' denied\n'), { format: 'bind' })

    assert.deepEqual(sightings.map(brief), [[1, 'domain:sbmsa.wiki', 'sbmsa.wiki', '192.0.2.99', '2024-03-18T10:15:31.250']])
  })

  it('gives the same sightings whatever the chunks, even a byte at a time', async () => {
    const content = readFileSync(fixturePath('windows-dns.log'))
    const whole = await hunt(bytes(content))

    const pieces = await hunt(chunked(content, 1))

    assert.deepEqual(pieces.sightings, whole.sightings)
    assert.deepEqual(pieces.report, whole.report)
  })

  it('reads gzip transparently, from a file or any stream', async () => {
    const path = join(scratch, 'queries.log.gz')
    writeFileSync(path, gzipSync(readFileSync(fixturePath('dnsmasq.log'))))

    const fromFile = await huntFile(path, { file: 'queries.log.gz' })
    const fromStream = await hunt(chunked(readFileSync(path), 100), { file: 'queries.log.gz' })

    assert.deepEqual(fromFile.sightings.map(brief), expected['dnsmasq.log'])
    assert.deepEqual(fromStream.sightings.map(brief), expected['dnsmasq.log'])
    assert.equal(fromFile.report.format, 'dnsmasq')
  })

  it('reports sightings up to where a gzip file is cut short, then fails naming the file and line', async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => dnsmasqLine('10:15:30', i % 1000 === 0 ? `n${i}.pbxsources.com` : `host${i}.example.org`))
    const gzip = gzipSync(`${lines.join('\n')}\n`)
    const path = join(scratch, 'cut.log.gz')
    writeFileSync(path, gzip.subarray(0, gzip.length >> 1))

    const { error, sightings } = await huntError(huntLogFile(path, { matcher: campaignMatcher(), file: 'cut.log.gz' }))

    assert.ok(sightings.length > 2 && sightings.length < 20, `${sightings.length} sightings`)
    assert.equal(error.file, 'cut.log.gz')
    assert.ok(error.line !== null && error.line > sightings.at(-1)!.line && error.line < 20_000, `line ${error.line}`)
    assert.match(error.message, /^cut\.log\.gz:\d+: the gzip data is corrupt or cut short/)
  })

  it('skips a 100 MB line without holding it, reporting its line number, and hunts the lines after it', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'a')
    let peak = 0
    async function* input(): AsyncGenerator<Buffer, void, undefined> {
      yield Buffer.from(`${dnsmasqLine('10:15:30', 'www.example.org')}\nMar 18 10:15:31 dnsmasq[812]: query[A] `)
      for (let sent = 0; sent < 100 * 1024 * 1024; sent += chunk.length) {
        peak = Math.max(peak, process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers)
        yield chunk
      }
      yield Buffer.from(`\n${dnsmasqLine('10:15:32', 'cdn.msstorageazure.com')}\n`)
    }
    collectGarbage()
    const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers

    const { sightings, report } = await hunt(input(), { format: 'dnsmasq' })

    assert.ok(peak - before < 32 * 1024 * 1024, `memory grew by ${((peak - before) / 1048576).toFixed(1)} MiB`)
    assert.deepEqual(sightings.map(brief), [[3, 'domain:msstorageazure.com', 'cdn.msstorageazure.com', '192.0.2.17', '2024-03-18T10:15:32.000']])
    assert.equal(report.lines, 3)
    assert.equal(report.unparseable, 1)
    assert.equal(report.unparseableSamples[0]?.line, 2)
    assert.equal(report.unparseableSamples[0]?.reason, 'the line is longer than 1 MiB; it was skipped')
    assert.match(report.unparseableSamples[0]?.text ?? '', /^Mar 18 10:15:31 dnsmasq\[812\]: query\[A\] a+$/)
  })

  it('reads a line of exactly the limit and skips one byte longer, however the chunks fall', async () => {
    const limit = 100
    const fits = dnsmasqLine('10:15:30', `${'x'.repeat(100 - dnsmasqLine('10:15:30', '.sbmsa.wiki').length)}.sbmsa.wiki`)
    const content = `${fits}\n${fits}x\n${fits}\n`

    for (const size of [1, 7, 99, 100, 101, 1000]) {
      const { sightings, report } = await hunt(chunked(content, size), { maxLineBytes: limit })

      assert.equal(fits.length, limit)
      assert.deepEqual(sightings.map((sighting) => sighting.line), [1, 3], `chunks of ${size}`)
      assert.deepEqual(report.unparseableSamples.map((sample) => sample.line), [2], `chunks of ${size}`)
    }
  })

  it('hunts lines that are not UTF-8, counting them and showing their bytes as U+FFFD', async () => {
    const line = Buffer.concat([Buffer.from('Mar 18 10:15:30 dnsmasq[812]: query[A] cdn.msstorageazure.com from 192.0.2.17 caf'), Buffer.from([0xe9, 0xff]), Buffer.from('\n')])

    const { sightings, report } = await hunt(bytes(dnsmasqLine('10:15:29', 'www.example.org') + '\n', line))

    assert.equal(report.invalidUtf8Lines, 1)
    assert.deepEqual(sightings.map((sighting) => sighting.line), [2])
    assert.match(sightings[0]!.raw, /from 192\.0\.2\.17 caf\ufffd\ufffd$/)
  })

  it('reports binary garbage in a log as unparseable lines, and goes on', async () => {
    const garbage = Buffer.from([0x00, 0x13, 0x88, 0xfe, 0x7f, 0x2e, 0x1b, 0x09, 0x00, 0xc3])
    const content = Buffer.concat([readFileSync(fixturePath('zeek-dns.log')), garbage, Buffer.from('\n'), readFileSync(fixturePath('zeek-dns.log')).subarray(-200)])

    const { report } = await hunt(bytes(content), { format: 'zeek' })

    assert.equal(report.unparseable, 2)
    assert.deepEqual(report.unparseableSamples.map((sample) => [sample.line, sample.reason]), [[15, '2 fields where the #fields header has 24'], [16, report.unparseableSamples[1]!.reason]])
    assert.equal(report.unparseableSamples[0]!.text, '\ufffd\ufffd\ufffd\ufffd\ufffd.\ufffd\t\ufffd\ufffd')
  })

  it('reads lines of another format in a log as unparseable, and still finds the indicators in them', async () => {
    const bind = readFileSync(fixturePath('bind-queries.log'), 'utf8')
    const content = `${bind}${dnsmasqLine('10:16:00', 'edge.officeaddons.com')}\n`

    const { sightings, report } = await hunt(bytes(content), { file: 'named.log' })

    assert.equal(report.format, 'bind')
    assert.equal(report.unparseable, 1)
    assert.deepEqual(report.unparseableSamples[0], { line: 7, reason: 'not a BIND log line', text: dnsmasqLine('10:16:00', 'edge.officeaddons.com') })
    assert.deepEqual(brief(sightings.at(-1)!), [7, 'domain:officeaddons.com', 'edge.officeaddons.com', null, '2024-03-18T10:16:00.000'])
  })

  it('counts every unparseable line and keeps the first 20', async () => {
    const content = Array.from({ length: 50 }, (_, i) => `not squid ${i}`).join('\n')

    const { report } = await hunt(bytes(content), { format: 'squid' })

    assert.equal(report.unparseable, 50)
    assert.deepEqual(report.unparseableSamples.map((sample) => sample.line), Array.from({ length: 20 }, (_, i) => i + 1))
  })

  it('never stalls or throws on random bytes, in any format', async () => {
    let seed = 7
    const random = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
      return seed % n
    }
    const alphabet = Buffer.from('abcXYZ019.:-_/[]()#@\t "{}\\,\u201c\u00fc\u00ff\u0000')
    const lines = Array.from({ length: 3000 }, () => Buffer.from(Array.from({ length: random(120) }, () => (random(8) === 0 ? random(256) : alphabet[random(alphabet.length)]!))))
    const content = Buffer.concat(lines.flatMap((line) => [line, Buffer.from('\n')]))

    for (const format of logFormats) {
      const { report } = await hunt(bytes(content), { format, fields: { domain: ['a'], url: ['b.c'], ip: ['d'] } })

      assert.equal(report.lines, 3000, format)
    }
  })

  it('fails on a UTF-16 log naming the file, and reads past a UTF-8 byte-order mark', async () => {
    const { error } = await huntError(huntLog(bytes(Buffer.from('\ufeffhello', 'utf16le')), { file: 'unicode.log', matcher: campaignMatcher() }))
    const { sightings } = await hunt(bytes('\ufeff', `${dnsmasqLine('10:15:30', 'cdn.msstorageazure.com')}\n`))

    assert.equal(error.message, 'unicode.log:1: the file is UTF-16 text; save it as UTF-8')
    assert.deepEqual(sightings.map((sighting) => sighting.line), [1])
  })

  it('reports an empty log as empty, and fails on a binary one without a line', async () => {
    const empty = await hunt(bytes())
    const { error } = await huntError(huntLog(bytes(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x00, 0x00, 0x01])), { file: 'core', matcher: campaignMatcher() }))

    assert.deepEqual([empty.report.lines, empty.report.bytes, empty.sightings.length], [0, 0, 0])
    assert.equal(error.message, 'core: not a log file: it is binary, not text')
  })

  it('fails on a file that is not there, naming it', async () => {
    const { error } = await huntError(huntLogFile(join(scratch, 'missing.log'), { matcher: campaignMatcher(), file: 'missing.log' }))

    assert.equal(error.message, 'missing.log: no such file')
  })

  it('reports progress, ending with the totals', async () => {
    const progress: HuntProgress[] = []

    const { report } = await collect(huntLog(fixture('dnsmasq.log'), { file: 'dnsmasq.log', matcher: campaignMatcher(), format: 'dnsmasq', onProgress: (p) => progress.push(p) }))

    assert.deepEqual(progress.at(-1), { bytes: report.bytes, lines: 13, sightings: 7 })
    assert.equal(report.bytes, readFileSync(fixturePath('dnsmasq.log')).length)
  })
})
