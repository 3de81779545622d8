import assert from 'node:assert/strict'
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { requireCommand } from '../../shared/testing-commands.js'
import { brief, huntFile, type Hunted } from './testing.js'

// A log written by the real dnsmasq (Debian's), answering dig on 127.0.0.1 with log-queries on.

const scratch = mkdtempSync(join(tmpdir(), 'cordon-hunt-dnsmasq-'))
const logFile = join(scratch, 'dnsmasq.log')
let dnsmasq: ChildProcess | undefined
let port = 0

/** A port free for both UDP and TCP on 127.0.0.1 (dnsmasq listens on both). */
async function freePort(): Promise<number> {
  for (;;) {
    const server = createServer()
    const tcp = await new Promise<number>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)))
    await new Promise((resolve) => server.close(resolve))
    const socket = createSocket('udp4')
    const free = await new Promise<boolean>((resolve) => socket.once('error', () => resolve(false)).bind(tcp, '127.0.0.1', () => resolve(true)))
    await new Promise<void>((resolve) => (free ? socket.close(() => resolve()) : resolve()))
    if (free) return tcp
  }
}

function dig(name: string, type = 'A'): string {
  return execFileSync('dig', [`@127.0.0.1`, '-p', String(port), '+short', '+tries=1', '+time=2', name, type], { encoding: 'utf8' }).trim()
}

async function stop(process: ChildProcess): Promise<void> {
  if (process.exitCode !== null || process.signalCode !== null) return
  const exited = new Promise((resolve) => process.once('exit', resolve))
  process.kill('SIGTERM')
  await exited
}

describe('a log written by dnsmasq', { timeout: 180_000 }, () => {
  let hunted: Hunted

  before(async () => {
    requireCommand('dnsmasq', 'dnsmasq')
    requireCommand('dig', 'dnsutils')
    port = await freePort()
    dnsmasq = spawn('dnsmasq', [
      '--no-daemon', '--conf-file=/dev/null', '--log-queries', `--log-facility=${logFile}`, '--no-resolv', '--no-hosts', '--pid-file=',
      '--address=/msstorageazure.com/127.0.0.1', '--address=/example.test/127.0.0.2',
      `--port=${port}`, '--listen-address=127.0.0.1', '--bind-interfaces', `--user=${process.getuid?.() === 0 ? 'root' : ''}`,
    ].filter((arg) => arg !== '--user='), { stdio: ['ignore', 'ignore', 'pipe'] })
    let errors = ''
    dnsmasq.stderr?.on('data', (data: Buffer) => (errors += data.toString()))
    for (let waited = 0; !(existsSync(logFile) && readFileSync(logFile, 'utf8').includes('started')); waited += 50) {
      if (dnsmasq.exitCode !== null || waited > 10_000) throw new Error(`dnsmasq did not start: ${errors}`)
      await sleep(50)
    }

    assert.equal(dig('beacon.msstorageazure.com'), '127.0.0.1')
    assert.equal(dig('www.example.test'), '127.0.0.2')
    dig('MSStorageAzure.COM.', 'AAAA')
    dig('notmsstorageazure.com')
    await stop(dnsmasq)

    hunted = await huntFile(logFile, { file: 'dnsmasq.log', referenceTime: new Date() })
  })

  after(async () => {
    if (dnsmasq) await stop(dnsmasq)
    rmSync(scratch, { recursive: true, force: true })
  })

  it('is detected as dnsmasq and read whole', () => {
    assert.equal(hunted.report.format, 'dnsmasq')
    assert.equal(hunted.report.unparseable, 0, JSON.stringify(hunted.report.unparseableSamples))
    assert.ok(hunted.report.lines >= 8, `${hunted.report.lines} lines`)
  })

  it('shows which client asked for the indicator domain\'s subdomain, and when', () => {
    const queries = hunted.sightings.filter((sighting) => sighting.raw.includes('query['))

    assert.deepEqual(queries.map((sighting) => [sighting.indicatorId, sighting.value.toLowerCase(), sighting.client]), [
      ['domain:msstorageazure.com', 'beacon.msstorageazure.com', '127.0.0.1'],
      ['domain:msstorageazure.com', 'msstorageazure.com', '127.0.0.1'],
    ])
    for (const sighting of queries) assert.match(sighting.timestamp ?? '', new RegExp(`^${new Date().getUTCFullYear()}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.000$`))
  })

  it('also sights the answers dnsmasq gave for them, and nothing else', () => {
    const answers = hunted.sightings.filter((sighting) => !sighting.raw.includes('query['))

    assert.ok(answers.length >= 1, 'an answer line')
    assert.ok(answers.every((sighting) => sighting.indicatorId === 'domain:msstorageazure.com' && /msstorageazure\.com/i.test(sighting.value)), JSON.stringify(answers.map(brief)))
    assert.ok(!hunted.sightings.some((sighting) => /example\.test|notmsstorageazure/.test(sighting.raw)))
  })
})
