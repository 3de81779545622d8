import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { gzipSync } from 'node:zlib'
import { detectInventoryFormat, openInput, parserFor, parseOsquery, readHead } from './index.js'
import { fixturePath, observationsOf } from './testing.js'
import { ImportFileError } from './types.js'

const scratch = mkdtempSync(join(tmpdir(), 'cordon-parsers-'))
after(() => rmSync(scratch, { recursive: true, force: true }))

function detect(head: string | Buffer): string {
  return detectInventoryFormat('upload', Buffer.from(head))
}

function detectError(head: string | Buffer): ImportFileError {
  try {
    detect(head)
  } catch (error) {
    assert.ok(error instanceof ImportFileError)
    return error
  }
  assert.fail('expected detection to fail')
}

describe('detectInventoryFormat', () => {
  it('tells each fixture format from its head', async () => {
    const expected: Record<string, string> = {
      'osqueryd.results.log': 'osquery',
      'osqueryi-programs.json': 'osquery',
      'osqueryi-apps-pretty.json': 'osquery',
      'syft-alpine.cdx.json': 'cyclonedx',
      'cdxgen-portal.cdx.json': 'cyclonedx',
      'syft-alpine.spdx.json': 'spdx',
      'ninjaone-software.csv': 'csv',
      'datto-rmm-software.csv': 'csv',
      'n-able-software.tsv': 'csv',
    }

    for (const [name, format] of Object.entries(expected)) {
      assert.equal(detectInventoryFormat(name, await readHead(fixturePath(name))), format, name)
    }
  })

  it('tells an osquery results log whose first line is longer than the head', () => {
    assert.equal(detect(`{"snapshot":[${'{"name":"x","version":"1"},'.repeat(3000)}`), 'osquery')
    assert.equal(detect('{"name":"pack_x","hostIdentifier":"h","columns":{"name":"x"},"action":"added"}\n'), 'osquery')
  })

  it('inflates a gzip head first', () => {
    assert.equal(detect(gzipSync(readFileSync(fixturePath('syft-alpine.spdx.json'))).subarray(0, 300)), 'spdx')
  })

  it('refuses empty, binary, UTF-16 and unknown files with a reason', () => {
    assert.match(detectError('').message, /the file is empty/)
    assert.match(detectError(' \n\t\n').message, /the file is empty/)
    assert.match(detectError(Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex')).message, /binary, not text/)
    assert.match(detectError(Buffer.from('\ufeffa,b\n', 'utf16le')).message, /UTF-16/)
    assert.match(detectError('just some notes\n').message, /cannot tell the format/)
    assert.match(detectError('{"kind":"something else"}\n').message, /no known inventory format/)
    assert.match(detectError(Buffer.from([0x1f, 0x8b, 0x00, 0x01, 0x02])).message, /gzip data is corrupt/)
  })
})

describe('openInput', () => {
  it('inflates a gzip file transparently', async () => {
    const path = join(scratch, 'osqueryd.results.log.gz')
    writeFileSync(path, gzipSync(readFileSync(fixturePath('osqueryd.results.log'))))

    const inflated = await observationsOf(parseOsquery, openInput(path))
    const plain = await observationsOf(parseOsquery, openInput(fixturePath('osqueryd.results.log')))

    assert.deepEqual(inflated, plain)
  })

  it('fails with an ImportFileError for a missing file and for cut gzip data', async () => {
    const cut = join(scratch, 'cut.log.gz')
    const whole = gzipSync(readFileSync(fixturePath('osqueryd.results.log')))
    writeFileSync(cut, whole.subarray(0, whole.length - 100))

    await assert.rejects(observationsOf(parseOsquery, openInput(join(scratch, 'nope.log'))), (error) => error instanceof ImportFileError && /no such file/.test(error.message))
    await assert.rejects(observationsOf(parseOsquery, openInput(cut)), (error) => error instanceof ImportFileError && /gzip data is corrupt or cut short/.test(error.message))
  })
})

describe('parserFor', () => {
  it('gives the parser of each format', () => {
    assert.equal(parserFor('osquery'), parseOsquery)
    assert.deepEqual(['csv', 'cyclonedx', 'spdx'].map((format) => typeof parserFor(format as 'csv')), ['function', 'function', 'function'])
  })
})
