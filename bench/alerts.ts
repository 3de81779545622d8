// The alert-intake benchmark: the real server (`cordon serve`, its own process) under autocannon
// on 127.0.0.1, 50 connections, a realistic mix (70% repeats of open dedup keys, 30% new alerts,
// 20 sources); the server's no-op route measured the same way so the ratio shows. Then the same
// load from a client that records every 202, a SIGKILL mid-load, a restart, and a check that every
// acknowledged alert (and every acknowledged repeat) is in the database.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, Agent, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { pino } from 'pino'
import { createServices } from '../src/app.js'
import type { Config } from '../src/config.js'
import type { DatabaseConfig } from '../src/db/connect.js'
import { systemActor } from '../src/shared/actor.js'
import type { Measurement } from './exposure.js'

const seconds = Number(process.env.BENCH_ALERT_SECONDS ?? 30)
const connections = 50
const openKeys = 2000
const sources = Array.from({ length: 20 }, (_, i) => `monitor-${i + 1}`)
const main = new URL('../src/main.ts', import.meta.url).pathname

function configFor(database: DatabaseConfig, dataDir: string): Config {
  return { dataDir, database, http: { host: '127.0.0.1', port: 0 }, logLevel: 'silent', worker: { concurrency: 4 } }
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

async function startServer(database: DatabaseConfig, dataDir: string, port: number): Promise<ChildProcess> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    CORDON_DATA_DIR: dataDir,
    CORDON_PORT: String(port),
    CORDON_LOG_LEVEL: 'warn',
    // The benchmark measures what the server can take, not the per-source limit that protects it.
    CORDON_ALERT_RATE: '1000000',
    CORDON_ALERT_BURST: '1000000',
    ...(database.kind === 'postgres' && { CORDON_DATABASE_URL: database.url }),
  }
  const child = spawn(process.execPath, ['--import', 'tsx', main, 'serve'], { env, stdio: ['ignore', 'ignore', 'inherit'] })
  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`cordon serve exited with ${child.exitCode}`)
    if (Date.now() > deadline) throw new Error('cordon serve did not become ready in 30 s')
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false)
    if (ok) return child
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

function killed(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once('exit', () => resolve())
    child.kill(signal)
  })
}

/** A body of the mix: 70% a repeat of one of the open keys, 30% a new alert. */
function mixedBody(counter: { n: number }, prefix: string): string {
  counter.n += 1
  const n = counter.n
  const source = sources[n % sources.length]!
  const repeat = n % 10 < 7
  const dedupKey = repeat ? `open-${n % openKeys}` : `${prefix}-${n}`
  return JSON.stringify({ summary: `SIP trunk ${n % 97} registration failures`, severity: n % 5 === 0 ? 'critical' : 'warning', source, dedupKey, labels: { site: `pop-${n % 13}` } })
}

async function cannon(url: string, options: Partial<autocannon.Options>): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections, duration: seconds, ...options } as autocannon.Options, (error, result) => (error ? reject(error) : resolve(result)))
  })
}

export async function alertsBenchmark(name: string, given: DatabaseConfig): Promise<Measurement[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cordon-alerts-bench-'))
  // The server finds SQLite in its data directory, so the benchmark's own connections must too.
  const database: DatabaseConfig = given.kind === 'sqlite' ? { kind: 'sqlite', path: join(dataDir, 'cordon.db') } : given
  try {
    // A token, and the open alerts the repeats land on, written before the server starts.
    const setup = await createServices(configFor(database, dataDir), { logger: pino({ level: 'silent' }) })
    const { secret: token } = await setup.access.createToken(systemActor, { name: 'bench', role: 'responder' })
    await Promise.all(Array.from({ length: openKeys }, (_, i) => setup.alerting.send({ summary: 'open', severity: 'warning', source: sources[i % sources.length]!, dedupKey: `open-${i}` })))
    await setup.close()

    const port = await freePort()
    let server = await startServer(database, dataDir, port)
    const base = `http://127.0.0.1:${port}`
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }

    process.stderr.write(`bench: alerts on ${name}: no-op route, ${seconds} s…\n`)
    const noop = await cannon(`${base}/healthz`, {})
    process.stderr.write(`bench: alerts on ${name}: intake mix, ${seconds} s…\n`)
    const counter = { n: 0 }
    const intake = await cannon(`${base}/api/v1/alerts`, {
      method: 'POST',
      headers,
      requests: [{ method: 'POST', setupRequest: (req: autocannon.Request) => ({ ...req, body: mixedBody(counter, 'load') }) }],
    })
    const accepted = intake['2xx']
    const failures = intake.non2xx + intake.errors + intake.timeouts

    // The kill: the same mix from a client that keeps every acknowledgement, SIGKILL after 5 s.
    process.stderr.write(`bench: alerts on ${name}: SIGKILL under load…\n`)
    const agent = new Agent({ keepAlive: true, maxSockets: connections })
    const acknowledgedNew = new Map<string, string>()
    const acknowledgedRepeats = new Map<string, number>()
    let stop = false
    const killCounter = { n: 10_000_000 }
    const loop = async () => {
      while (!stop) {
        const body = mixedBody(killCounter, 'kill')
        const reply = await post(agent, `${base}/api/v1/alerts`, headers, body).catch(() => undefined)
        if (!reply || reply.status !== 202) continue
        const result = JSON.parse(reply.body) as { alertId: string; dedupKey: string; outcome: string }
        if (result.outcome === 'created') acknowledgedNew.set(result.dedupKey, result.alertId)
        else acknowledgedRepeats.set(result.dedupKey, (acknowledgedRepeats.get(result.dedupKey) ?? 0) + 1)
      }
    }
    const before = await countsOf(database, dataDir)
    const loops = Array.from({ length: connections }, loop)
    await new Promise((resolve) => setTimeout(resolve, 5000))
    await killed(server, 'SIGKILL')
    stop = true
    await Promise.all(loops)
    agent.destroy()
    server = await startServer(database, dataDir, port)
    await killed(server, 'SIGTERM')
    const after = await countsOf(database, dataDir, [...acknowledgedNew.values()], [...acknowledgedRepeats.keys()])
    const missingNew = [...acknowledgedNew.values()].filter((id) => !after.found.has(id)).length
    // Every acknowledged repeat of a key must be counted: the count grew by at least as many.
    let missingRepeats = 0
    for (const [key, times] of acknowledgedRepeats) {
      const grew = (after.counts.get(key) ?? 0) - (before.counts.get(key) ?? 0)
      if (grew < times) missingRepeats += times - grew
    }
    if (missingNew > 0 || missingRepeats > 0) throw new Error(`after SIGKILL: ${missingNew} acknowledged alerts and ${missingRepeats} acknowledged repeats are missing`)

    return [
      { benchmark: 'alerts', database: name, figure: `no-op route (GET /healthz), ${connections} connections`, value: Math.round(noop.requests.average), unit: 'requests/s' },
      { benchmark: 'alerts', database: name, figure: 'no-op route p99 latency', value: noop.latency.p99, unit: 'ms' },
      { benchmark: 'alerts', database: name, figure: `alert intake, 70% repeats (POST /api/v1/alerts, ${connections} connections, ${seconds} s)`, value: Math.round(accepted / seconds), unit: 'accepted/s' },
      { benchmark: 'alerts', database: name, figure: 'alert intake p99 latency', value: intake.latency.p99, unit: 'ms' },
      { benchmark: 'alerts', database: name, figure: 'alert intake p50 latency', value: intake.latency.p50, unit: 'ms' },
      { benchmark: 'alerts', database: name, figure: 'alert intake non-2xx, errors and timeouts', value: failures, unit: 'requests' },
      { benchmark: 'alerts', database: name, figure: 'intake ÷ no-op throughput', value: Math.round((accepted / seconds / noop.requests.average) * 100), unit: '%' },
      { benchmark: 'alerts', database: name, figure: 'SIGKILL under load: new alerts acknowledged before the kill', value: acknowledgedNew.size, unit: 'alerts' },
      { benchmark: 'alerts', database: name, figure: 'SIGKILL under load: acknowledged repeats', value: [...acknowledgedRepeats.values()].reduce((a, b) => a + b, 0), unit: 'repeats' },
      { benchmark: 'alerts', database: name, figure: 'SIGKILL under load: acknowledged but missing after restart', value: missingNew + missingRepeats, unit: 'alerts' },
    ]
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}

function post(agent: Agent, url: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** The counts of the open keys, and which of the given alert ids exist, read straight from the database. */
async function countsOf(database: DatabaseConfig, dataDir: string, ids: string[] = [], keys: string[] = []): Promise<{ counts: Map<string, number>; found: Set<string> }> {
  const services = await createServices(configFor(database, dataDir), { logger: pino({ level: 'silent' }), migrate: false })
  try {
    const counts = new Map<string, number>()
    const found = new Set<string>()
    for (let i = 0; i < ids.length; i += 500) {
      for (const id of await services.alerting.existingAlertIds(ids.slice(i, i + 500))) found.add(id)
    }
    const wanted = keys.length > 0 ? keys : Array.from({ length: openKeys }, (_, i) => `open-${i}`)
    for (let i = 0; i < wanted.length; i += 500) {
      for (const [key, count] of await services.alerting.openCounts(wanted.slice(i, i + 500))) counts.set(key, count)
    }
    return { counts, found }
  } finally {
    await services.close()
  }
}
