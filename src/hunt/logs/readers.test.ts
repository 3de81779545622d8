import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { createLogReader, readLogRecord } from './readers.js'
import { fixturePath, referenceTime } from './testing.js'
import type { LogFormat, LogRecord, ReaderOptions } from './types.js'

/** The records of a fixture by line number (1-based), blank lines left out. */
function recordsOf(format: LogFormat, name: string, options: ReaderOptions = {}): Map<number, LogRecord | { reason: string }> {
  const reader = createLogReader(format, { referenceTime, ...options })
  const records = new Map<number, LogRecord | { reason: string }>()
  readFileSync(fixturePath(name), 'latin1').split('\n').forEach((line, i) => {
    const text = line.replace(/\r$/, '')
    if (text !== '') records.set(i + 1, readLogRecord(reader, Buffer.from(text, 'latin1')))
  })
  return records
}

function record(timestamp: string | null, client: string | null, values: Partial<Pick<LogRecord, 'domains' | 'urls' | 'ips'>>): LogRecord {
  return { timestamp, client, domains: [], urls: [], ips: [], ...values }
}

describe('BIND query log', () => {
  it('reads the client, the name and BIND\'s local time, with and without view and @0x token', () => {
    const records = recordsOf('bind', 'bind-queries.log')

    assert.deepEqual(records.get(3), record('2024-03-18T10:15:30.456', '192.0.2.23', { domains: ['Cdn.MSStorageAzure.com'] }))
    assert.deepEqual(records.get(4), record('2024-03-18T10:15:31.002', '2001:db8:10::23', { domains: ['akamaicontainer.com'] }))
  })

  it('scans BIND\'s other lines as text: a denied query still names the domain and the client', () => {
    const records = recordsOf('bind', 'bind-queries.log')

    assert.deepEqual(records.get(1), record('2024-03-18T10:15:29.870', null, {}))
    assert.deepEqual(records.get(5), record('2024-03-18T10:15:31.250', '192.0.2.99', { domains: ['sbmsa.wiki', 'sbmsa.wiki'], ips: ['192.0.2.99'] }))
  })

  it('reads named\'s syslog lines, with the year from the reference time', () => {
    const records = recordsOf('bind', 'bind-syslog.log')

    assert.deepEqual(records.get(1), record('2024-03-18T10:15:30.000', '192.0.2.44', { domains: ['update.glcloudservice.com'] }))
    assert.deepEqual(records.get(2), record('2024-03-18T10:15:31.000', '192.0.2.45', { domains: ['www.example.org'] }))
  })

  it('puts a syslog date later in the year than the reference in the year before', () => {
    const records = recordsOf('bind', 'bind-syslog.log', { referenceTime: new Date('2025-01-02T00:00:00Z') })

    assert.equal((records.get(1) as LogRecord).timestamp, '2024-03-18T10:15:30.000')
  })

  it('tells why a line of another program is not a BIND line', () => {
    const reader = createLogReader('bind')

    assert.deepEqual(readLogRecord(reader, 'Mar 18 10:15:30 dnsmasq[812]: query[A] x.example from 192.0.2.1'), { reason: 'not a BIND log line' })
  })
})

describe('dnsmasq log-queries', () => {
  it('reads queries with their client, and the answers and forwards that follow them', () => {
    const records = recordsOf('dnsmasq', 'dnsmasq.log')

    assert.deepEqual(records.get(4), record('2024-03-18T10:15:30.000', '192.0.2.17', { domains: ['beacon.azureonlinestorage.com'] }))
    assert.deepEqual(records.get(5), record('2024-03-18T10:15:30.000', null, { domains: ['beacon.azureonlinestorage.com'], ips: ['203.0.113.53'] }))
    assert.deepEqual(records.get(6), record('2024-03-18T10:15:30.000', null, { domains: ['beacon.azureonlinestorage.com'], ips: ['198.51.100.77'] }))
    assert.deepEqual(records.get(8), record('2024-03-18T10:15:31.000', null, { domains: ['www.example.org'], ips: ['2001:db8::80'] }))
    assert.deepEqual(records.get(10), record('2024-03-18T10:15:32.000', null, { domains: ['cdn.example.org'] }))
  })

  it('reads the client of every line with log-queries=extra, and no name from NXDOMAIN', () => {
    const records = recordsOf('dnsmasq', 'dnsmasq.log')

    assert.deepEqual(records.get(13), record('2024-03-18T10:15:33.000', '192.0.2.20', { domains: ['officeaddons.com'] }))
  })

  it('scans dnsmasq\'s other lines as text', () => {
    const records = recordsOf('dnsmasq', 'dnsmasq.log')

    assert.deepEqual(records.get(3), record('2024-03-18T10:15:28.000', null, { ips: ['203.0.113.53'] }))
  })
})

describe('Unbound query log', () => {
  it('reads the client and name of queries and replies, with the epoch as UTC', () => {
    const records = recordsOf('unbound', 'unbound.log')

    assert.deepEqual(records.get(3), record('2024-03-18T10:15:30.000Z', '192.0.2.21', { domains: ['dl.msedgepackageinfo.com.'] }))
    assert.deepEqual(records.get(4), record('2024-03-18T10:15:30.000Z', '192.0.2.21', { domains: ['dl.msedgepackageinfo.com.'] }))
    assert.deepEqual(records.get(5), record('2024-03-18T10:15:31.000Z', '2001:db8:10::21', { domains: ['www.example.org.'] }))
  })

  it('scans local actions as text, and reads Unbound\'s syslog lines', () => {
    assert.deepEqual(recordsOf('unbound', 'unbound.log').get(6), record('2024-03-18T10:15:32.000Z', null, { domains: ['journalide.org', 'journalide.org'], ips: ['192.0.2.22'] }))
    assert.deepEqual(recordsOf('unbound', 'unbound-syslog.log').get(1), record('2024-03-18T10:15:30.000', '192.0.2.24', { domains: ['visualstudiofactory.com.'] }))
  })
})

describe('Windows DNS debug log', () => {
  it('reads wire-form names and the remote address; the client only for client-facing packets', () => {
    const records = recordsOf('windows-dns', 'windows-dns.log')

    assert.deepEqual(records.get(19), record('2024-03-18T10:15:30.000', '192.0.2.25', { domains: ['cdn.officestoragebox.com'], ips: ['192.0.2.25'] }))
    assert.deepEqual(records.get(20), record('2024-03-18T10:15:30.000', null, { domains: ['cdn.officestoragebox.com'], ips: ['203.0.113.53'] }))
    assert.deepEqual(records.get(22), record('2024-03-18T10:15:30.000', '192.0.2.25', { domains: ['cdn.officestoragebox.com'], ips: ['192.0.2.25'] }))
    assert.deepEqual(records.get(23), record('2024-03-18T13:05:02.000', '2001:db8:10::26', { domains: ['www.example.org'], ips: ['2001:db8:10::26'] }))
  })

  it('reads the preamble, and rejects a name cut short', () => {
    const records = recordsOf('windows-dns', 'windows-dns.log')
    const reader = createLogReader('windows-dns')

    assert.deepEqual(records.get(1), record(null, null, {}))
    assert.deepEqual(readLogRecord(reader, '3/18/2024 10:15:30 AM 0E84 PACKET  000000B5F8E3A0F0 UDP Rcv 192.0.2.25      c1d5   Q [0001   D   NOERROR] A      (3)cdn(16)officestoragebox'), {
      reason: 'a PACKET line whose name is not in (3)www(7)example(3)com(0) form',
    })
  })

  it('reads day-first dates of 24-hour locales', () => {
    const reader = createLogReader('windows-dns')

    const result = readLogRecord(reader, '18/03/2024 14:15:30 0E84 PACKET  000000B5F8E3A0F0 UDP Rcv 192.0.2.25      c1d5   Q [0001   D   NOERROR] A      (3)www(7)example(3)org(0)')

    assert.equal((result as LogRecord).timestamp, '2024-03-18T14:15:30.000')
  })
})

describe('Zeek TSV logs', () => {
  it('finds dns.log columns by the #fields header: query, answers (names and addresses), both ends, ts as UTC', () => {
    const records = recordsOf('zeek', 'zeek-dns.log')

    assert.deepEqual(records.get(11), record('2024-03-18T10:15:32.000Z', '192.0.2.24', { domains: ['static.example.net', 'cdn.sbmsa.wiki'], ips: ['192.0.2.24', '192.0.2.53', '198.51.100.91'] }))
  })

  it('skips unset (-) and empty fields', () => {
    const records = recordsOf('zeek', 'zeek-dns.log')

    assert.deepEqual(records.get(13), record('2024-03-18T10:15:34.000Z', '192.0.2.26', { ips: ['192.0.2.26', '192.0.2.53'] }))
  })

  it('builds http.log URLs from the host (with its port) and the URI', () => {
    const records = recordsOf('zeek', 'zeek-http.log')

    assert.deepEqual(records.get(11), record('2024-03-18T10:15:42.300Z', '192.0.2.32', { domains: ['sbmsa.wiki'], urls: ['http://sbmsa.wiki:8080/blog/_insert?id=1'], ips: ['192.0.2.32', '198.51.100.95'] }))
    assert.deepEqual(records.get(12), record('2024-03-18T10:15:43.400Z', '192.0.2.33', { ips: ['192.0.2.33', '203.0.113.80'] }))
  })

  it('reads conn.log\'s addresses, IPv6 included', () => {
    assert.deepEqual(recordsOf('zeek', 'zeek-conn.log').get(11), record('2024-03-18T10:15:52.000Z', '2001:db8:10::42', { ips: ['2001:db8:10::42', '2001:db8:bad::7'] }))
  })

  it('reports a line whose field count differs from the header, and lines before any header', () => {
    const reader = createLogReader('zeek')

    assert.deepEqual(readLogRecord(reader, '1710756930.1\tC1\t192.0.2.1'), { reason: 'no #fields header before this line' })
    readLogRecord(reader, '#fields\tts\tuid\tid.orig_h\tquery')
    assert.deepEqual(readLogRecord(reader, '1710756930.1\tC1\t192.0.2.1'), { reason: '3 fields where the #fields header has 4' })
    assert.deepEqual(readLogRecord(reader, '1710756930.1\tC1\t192.0.2.1\tx.example\textra'), { reason: '5 fields where the #fields header has 4' })
  })

  it('follows a #separator other than tab, and a new #fields line in the middle of the file', () => {
    const reader = createLogReader('zeek')

    readLogRecord(reader, '#separator \\x7c')
    readLogRecord(reader, '#fields|ts|query|id.orig_h')
    const first = readLogRecord(reader, '1710756930.5|a.example|192.0.2.1')
    readLogRecord(reader, '#fields|id.orig_h|query|ts')
    const second = readLogRecord(reader, '192.0.2.2|b.example|1710756931.5')

    assert.deepEqual(first, record('2024-03-18T10:15:30.500Z', '192.0.2.1', { domains: ['a.example'], ips: ['192.0.2.1'] }))
    assert.deepEqual(second, record('2024-03-18T10:15:31.500Z', '192.0.2.2', { domains: ['b.example'], ips: ['192.0.2.2'] }))
  })

  it('finds columns the same wherever a line lies in memory (word-aligned or not)', () => {
    const reader = createLogReader('zeek')
    readLogRecord(reader, '#fields\tts\tuid\tid.orig_h\tid.orig_p\tquery\tanswers')
    const line = '1710756930.123456\tCHhAvVGS1DHFjwGM9\t192.0.2.10\t53211\tcdn.example.org\tedge.example.net,198.51.100.1'

    for (let offset = 0; offset < 8; offset++) {
      const bytes = Buffer.concat([Buffer.alloc(offset, 0x20), Buffer.from(line)]).subarray(offset)

      assert.deepEqual(readLogRecord(reader, bytes), record('2024-03-18T10:15:30.123Z', '192.0.2.10', { domains: ['cdn.example.org', 'edge.example.net'], ips: ['192.0.2.10', '198.51.100.1'] }), `offset ${offset}`)
    }
  })
})

describe('Zeek JSON logs', () => {
  it('reads dns and http lines by Zeek\'s field names', () => {
    const records = recordsOf('zeek-json', 'zeek-dns-http.json.log')

    assert.deepEqual(records.get(2), record('2024-03-18T10:16:01.500Z', '192.0.2.51', { domains: ['www.azuredeploystore.com'], ips: ['192.0.2.51', '192.0.2.53', '198.51.100.93'] }))
    assert.deepEqual(records.get(3), record('2024-03-18T10:16:02.000Z', '192.0.2.52', {
      domains: ['raw.githubusercontent.com'],
      urls: ['http://raw.githubusercontent.com/IconStorages/images/main/icon15.ico'],
      ips: ['192.0.2.52', '198.51.100.94'],
    }))
  })

  it('tells why a line is not JSON', () => {
    const reader = createLogReader('zeek-json')

    assert.match((readLogRecord(reader, '{"ts": 1710756960.1, "query": ') as { reason: string }).reason, /^malformed JSON/)
    assert.deepEqual(readLogRecord(reader, '[1, 2]'), { reason: 'not a JSON object' })
  })
})

describe('JSON lines with fields', () => {
  const fields = { domain: ['destination.domain', 'dns.question.name'], url: ['url.full'], ip: ['destination.ip'], client: 'host.ip', timestamp: '@timestamp' }

  it('reads the values at the caller\'s dotted paths, arrays included, with times in UTC', () => {
    const records = recordsOf('json', 'app-events.jsonl', { fields })

    assert.deepEqual(records.get(1), record('2024-03-18T10:16:00.250Z', '192.0.2.70', { domains: ['cdn.msstorageboxes.com'], urls: ['https://cdn.msstorageboxes.com/update/check'], ips: ['198.51.100.96'] }))
    assert.deepEqual(records.get(2), record('2024-03-18T09:16:05.000Z', '192.0.2.71', { domains: ['www.example.org'], urls: ['https://www.example.org/'], ips: ['93.184.216.34'] }))
    assert.deepEqual(records.get(3), record('2024-03-18T10:16:06.000Z', '192.0.2.72', { domains: ['zacharryblogs.com', 'www.example.org'] }))
  })

  it('finds a dotted key as one key too, and never an inherited property', () => {
    const reader = createLogReader('json', { fields: { domain: ['dns.query', 'constructor.name'], client: 'id.orig_h' } })

    const result = readLogRecord(reader, '{"dns.query":"a.example","id":{"orig_h":"192.0.2.9"}}')

    assert.deepEqual(result, record(null, '192.0.2.9', { domains: ['a.example'] }))
  })

  it('scans every string as text without fields, guessing the time and client from the usual keys', () => {
    const reader = createLogReader('json')

    const result = readLogRecord(reader, '{"timestamp":"2024-03-18T10:00:00Z","src_ip":"192.0.2.5","msg":"fetched https://x.example/a from 198.51.100.1"}')

    assert.deepEqual(result, record('2024-03-18T10:00:00.000Z', '192.0.2.5', { urls: ['https://x.example/a'], ips: ['192.0.2.5', '198.51.100.1'] }))
  })
})

describe('Squid access.log', () => {
  it('reads the client, the URL and the server the proxy went to', () => {
    const records = recordsOf('squid', 'squid-access.log')

    assert.deepEqual(records.get(2), record('2024-03-18T10:16:11.004Z', '192.0.2.61', { urls: ['http://raw.githubusercontent.com:80/IconStorages/images/main/icon12.ico'], ips: ['192.0.2.61', '185.199.108.133'] }))
    assert.deepEqual(records.get(5), record('2024-03-18T10:16:14.101Z', '192.0.2.64', { domains: ['proxy.example.net'], urls: ['https://www.example.org/api'], ips: ['192.0.2.64'] }))
  })

  it('reads CONNECT\'s host:port as a name, and no server for HIER_NONE/-', () => {
    const records = recordsOf('squid', 'squid-access.log')

    assert.deepEqual(records.get(3), record('2024-03-18T10:16:12.530Z', '192.0.2.62', { domains: ['sbmsa.wiki'], ips: ['192.0.2.62', '198.51.100.95'] }))
    assert.deepEqual(records.get(4), record('2024-03-18T10:16:13.777Z', '192.0.2.63', { urls: ['http://198.51.100.77/gate.php'], ips: ['192.0.2.63'] }))
  })

  it('tells why a line is not a Squid line', () => {
    assert.match((readLogRecord(createLogReader('squid'), '192.0.2.1 - - [18/Mar/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 5') as { reason: string }).reason, /^not a Squid access.log line/)
  })
})

describe('plain text', () => {
  it('finds URLs, names and addresses anywhere, offering dotted file names to the matcher like any name', () => {
    const records = recordsOf('text', 'endpoint-text.log')

    assert.deepEqual(records.get(1), record('2024-03-18T10:17:00.000Z', null, { domains: ['d3dcompiler_47.dll'] }))
    assert.deepEqual(records.get(2), record('2024-03-18T10:17:01.000Z', null, { domains: ['3CXDesktopApp.exe'], urls: ['https://pbxcloudeservices.com/phone?id=7'], ips: ['198.51.100.98'] }))
    assert.deepEqual(records.get(3), record('2024-03-18T10:17:02.000Z', null, { domains: ['www.example.org'], ips: ['93.184.216.34', '2001:db8:bad::7'] }))
  })

  it('does not take times, C++ names or MAC addresses for IPv6 addresses', () => {
    assert.deepEqual(recordsOf('text', 'endpoint-text.log').get(4), record('2024-03-18T10:17:03.000Z', null, { domains: ['Qwepoi123098.COM'] }))
    assert.deepEqual(readLogRecord(createLogReader('text'), 'mac aa:bb:cc:dd:ee:ff at 10:15:30.123 in std::vector'), record(null, null, {}))
  })

  it('takes Unicode letters into names, and not Unicode punctuation around them', () => {
    const result = readLogRecord(createLogReader('text'), 'visited “www.münchen.de” and «bücher.example»')

    assert.deepEqual(result, record(null, null, { domains: ['www.münchen.de', 'bücher.example'] }))
  })

  it('calls a line with control characters binary', () => {
    assert.deepEqual(readLogRecord(createLogReader('text'), Buffer.from([0x61, 0x00, 0x01, 0x62, 0x2e, 0x63])), { reason: 'binary data, not text' })
  })
})
