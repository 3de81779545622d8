import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { gzipSync } from 'node:zlib'
import { detectLogFormat } from './detect.js'
import { readLogHead } from './input.js'
import { fixturePath } from './testing.js'
import { LogFileError } from './types.js'

function detectError(head: string | Buffer): LogFileError {
  try {
    detectLogFormat(Buffer.from(head), 'upload.log')
  } catch (error) {
    assert.ok(error instanceof LogFileError)
    return error
  }
  assert.fail('expected detection to fail')
}

describe('detectLogFormat', () => {
  it('tells each fixture\'s format from its head', async () => {
    const expected: Record<string, string> = {
      'bind-queries.log': 'bind',
      'bind-syslog.log': 'bind',
      'dnsmasq.log': 'dnsmasq',
      'unbound.log': 'unbound',
      'unbound-syslog.log': 'unbound',
      'windows-dns.log': 'windows-dns',
      'zeek-dns.log': 'zeek',
      'zeek-http.log': 'zeek',
      'zeek-conn.log': 'zeek',
      'zeek-dns-http.json.log': 'zeek-json',
      'squid-access.log': 'squid',
      'app-events.jsonl': 'json',
      'endpoint-text.log': 'text',
    }

    for (const [name, format] of Object.entries(expected)) {
      assert.equal(detectLogFormat(await readLogHead(fixturePath(name)), name), format, name)
    }
  })

  it('inflates a gzip head first', () => {
    assert.equal(detectLogFormat(gzipSync(readFileSync(fixturePath('squid-access.log'))), 'access.log.gz'), 'squid')
  })

  it('goes by the most lines, so a few lines of another program do not decide', () => {
    const bind = readFileSync(fixturePath('bind-queries.log'), 'utf8')
    const dnsmasq = 'Mar 18 10:15:30 dnsmasq[812]: query[A] x.example from 192.0.2.1\n'

    assert.equal(detectLogFormat(Buffer.from(dnsmasq + bind), 'mixed.log'), 'bind')
  })

  it('breaks a tie with the file name', () => {
    const head = 'Mar 18 10:15:30 ns1 named[812]: client 192.0.2.45#47400 (x.example): query: x.example IN A + (192.0.2.53)\nMar 18 10:15:30 dnsmasq[812]: query[A] x.example from 192.0.2.1\n'

    assert.equal(detectLogFormat(Buffer.from(head), 'dnsmasq.log'), 'dnsmasq')
  })

  it('calls lines no format claims plain text, but an empty, binary or UTF-16 file an error', () => {
    assert.equal(detectLogFormat(Buffer.from('hello world\nnothing here\n'), 'notes.txt'), 'text')
    assert.match(detectError('\n  \n').message, /upload\.log: the file is empty/)
    assert.match(detectError(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00])).message, /binary, not text/)
    assert.match(detectError(Buffer.from('\ufeffhello', 'utf16le')).message, /upload\.log:1: the file is UTF-16/)
    assert.match(detectError(Buffer.concat([gzipSync('x').subarray(0, 10), Buffer.from('\xff\xff not deflate data', 'latin1')])).message, /gzip data is corrupt/)
  })
})
