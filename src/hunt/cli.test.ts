import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { aPe } from './files/testing.js'
import { payloadMarker } from './files/pe.js'

// `cordon hunt` run as a process on the built command (npm test builds dist/ first), with the
// bundled 3CX indicators.
const main = fileURLToPath(new URL('../../dist/main.js', import.meta.url))
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('CORDON_')))

const log = [
  'Mar 29 10:00:01 dnsmasq[123]: query[A] www.akamaicontainer.com from 10.20.1.5',
  'Mar 29 10:00:02 dnsmasq[123]: query[A] example.org from 10.20.1.6',
  'Mar 29 10:00:03 dnsmasq[123]: query[AAAA] GLCLOUDSERVICE.com. from 10.20.1.7',
].join('\n') + '\n'

describe('cordon hunt', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cordon-hunt-cli-'))
  after(() => rmSync(dir, { recursive: true, force: true }))
  const cordon = (args: string[], input?: string | Buffer) => {
    const result = spawnSync(process.execPath, [main, ...args], { env: { ...cleanEnv, CORDON_DATA_DIR: join(dir, 'data') }, encoding: 'utf8', timeout: 60_000, input })
    return { code: result.status, stdout: result.stdout, stderr: result.stderr }
  }

  it('hunts a log from standard input and prints bytes, lines and sightings as one JSON object', () => {
    const result = cordon(['hunt', 'logs', '-', '--json'], log)

    assert.equal(result.code, 0, result.stderr)
    const output = JSON.parse(result.stdout)
    assert.equal(output.bytes, Buffer.byteLength(log))
    assert.equal(output.lines, 3)
    assert.deepEqual(
      output.sightings.map((s: Record<string, unknown>) => [s.indicator, s.value, s.file, s.line, s.client]),
      [
        ['akamaicontainer.com', 'www.akamaicontainer.com', '-', 1, '10.20.1.5'],
        ['glcloudservice.com', 'GLCLOUDSERVICE.com.', '-', 3, '10.20.1.7'],
      ],
    )
    assert.match(output.sightings[0].timestamp, /^\d{4}-03-29T10:00:01/)
  })

  it('hunts several files, reports the one it cannot read, and exits 0 for the rest', () => {
    const good = join(dir, 'dns.log.gz')
    const bad = join(dir, 'missing.log')
    writeFileSync(good, gzipSync(log))
    const result = cordon(['hunt', 'logs', good, bad, '--json'])

    assert.equal(result.code, 0, result.stderr)
    const output = JSON.parse(result.stdout)
    assert.equal(output.sightings.length, 2)
    assert.match(output.inputs[1].error, /missing\.log/)
  })

  it('sweeps a directory and names a tampered PE file', () => {
    const tree = join(dir, 'tree')
    mkdirSync(tree, { recursive: true })
    writeFileSync(join(tree, 'notes.txt'), 'nothing here')
    const padded = aPe({ afterSignature: Buffer.concat([payloadMarker, Buffer.alloc(64, 0x5a)]) })
    writeFileSync(join(tree, 'd3dcompiler_47.dll'), padded.bytes)
    const result = cordon(['hunt', 'files', tree, '--json'])

    assert.equal(result.code, 0, result.stderr)
    const output = JSON.parse(result.stdout)
    assert.equal(output.files, 2)
    assert.deepEqual(output.sightings, [])
    assert.equal(output.suspicious.length, 1)
    assert.equal(output.suspicious[0].path, join(tree, 'd3dcompiler_47.dll'))
    assert.deepEqual(
      output.suspicious[0].findings.filter((f: { kind: string }) => f.kind === 'payload_marker').map((f: { offset: number }) => f.offset),
      [padded.signatureEnd],
    )
  })

  it('refuses a bad --field with a message naming it', () => {
    const result = cordon(['hunt', 'logs', '-', '--field', 'domain'], log)

    assert.notEqual(result.code, 0)
    assert.match(result.stderr, /--field domain: expected kind=path/)
  })
})
