// `npm run bench [-- <name>] [-- --json]`: Cordon's benchmarks. Each measures on the real
// databases (SQLite in a temp dir; PostgreSQL from CORDON_TEST_DATABASE_URL or 127.0.0.1:5432).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { createAudit } from '../src/audit/index.js'
import { connectDatabase, type DatabaseConfig } from '../src/db/connect.js'
import { migrateToLatest } from '../src/db/migrate.js'
import { createJobs } from '../src/jobs/index.js'
import { systemActor } from '../src/shared/actor.js'
import { systemClock } from '../src/shared/clock.js'
import { alertsBenchmark } from './alerts.js'
import { exposureBenchmark } from './exposure.js'
import { huntBenchmark } from './hunt.js'
import { noticesBenchmark } from './notices.js'

interface Measurement {
  benchmark: string
  database: string
  figure: string
  value: number
  unit: string
}

const args = process.argv.slice(2)
const json = args.includes('--json')
const only = args.filter((a) => !a.startsWith('--'))

async function postgresUrl(): Promise<string | undefined> {
  const base = process.env.CORDON_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres'
  const client = new pg.Client({ connectionString: base, connectionTimeoutMillis: 3000 })
  try {
    await client.connect()
    const name = `cordon_bench_${process.pid}`
    await client.query(`drop database if exists ${name}`)
    await client.query(`create database ${name}`)
    const url = new URL(base)
    url.pathname = `/${name}`
    return url.toString()
  } catch {
    return undefined
  } finally {
    await client.end().catch(() => {})
  }
}

async function databases(): Promise<Array<{ name: string; config: DatabaseConfig; cleanup: () => Promise<void> }>> {
  const dir = mkdtempSync(join(tmpdir(), 'cordon-bench-'))
  const list: Array<{ name: string; config: DatabaseConfig; cleanup: () => Promise<void> }> = [
    { name: 'sqlite', config: { kind: 'sqlite', path: join(dir, 'bench.db') }, cleanup: async () => rmSync(dir, { recursive: true, force: true }) },
  ]
  const url = await postgresUrl()
  if (url) {
    list.push({
      name: 'postgres',
      config: { kind: 'postgres', url, poolSize: 10 },
      cleanup: async () => {
        const admin = new pg.Client({ connectionString: process.env.CORDON_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres' })
        await admin.connect()
        await admin.query(`drop database if exists ${new URL(url).pathname.slice(1)} with (force)`)
        await admin.end()
      },
    })
  } else {
    console.error('bench: no PostgreSQL answered; measuring SQLite only')
  }
  return list
}

/** Enqueue N jobs, then drain them with one worker: the queue's throughput end to end. */
async function jobsBenchmark(name: string, config: DatabaseConfig): Promise<Measurement[]> {
  const count = 5000
  const handle = connectDatabase(config)
  await migrateToLatest(handle.db)
  const audit = createAudit({ db: handle.db, clock: systemClock })
  const jobs = createJobs({ db: handle.db, clock: systemClock, audit })
  const enqueueStart = performance.now()
  for (let i = 0; i < count; i++) await jobs.enqueue({ type: 'bench.noop', payload: { i } })
  const enqueueSeconds = (performance.now() - enqueueStart) / 1000
  const drainStart = performance.now()
  let done = 0
  const finished = new Promise<void>((resolve) => {
    const worker = jobs.createWorker({
      concurrency: 8,
      pollIntervalMs: 5,
      handlers: {
        'bench.noop': async () => {
          done += 1
          if (done === count) setImmediate(() => void worker.stop().then(resolve))
        },
      },
    })
    worker.start()
  })
  await finished
  const drainSeconds = (performance.now() - drainStart) / 1000
  const counts = await jobs.counts()
  if (counts.succeeded !== count) throw new Error(`expected ${count} succeeded jobs, found ${counts.succeeded}`)

  const auditStart = performance.now()
  for (let i = 0; i < 2000; i++) {
    await handle.db.transaction().execute((trx) => audit.record(trx, systemActor, { action: 'bench.recorded', targetType: 'bench', targetId: String(i) }))
  }
  const auditSeconds = (performance.now() - auditStart) / 1000
  const verifyStart = performance.now()
  const outcome = await audit.verify()
  const verifySeconds = (performance.now() - verifyStart) / 1000
  if (!outcome.ok) throw new Error('audit chain broken in the benchmark')
  await handle.close()
  return [
    { benchmark: 'jobs', database: name, figure: 'enqueue (one at a time)', value: Math.round(count / enqueueSeconds), unit: 'jobs/s' },
    { benchmark: 'jobs', database: name, figure: 'claim, run and complete (1 worker, concurrency 8)', value: Math.round(count / drainSeconds), unit: 'jobs/s' },
    { benchmark: 'audit', database: name, figure: 'append (one transaction each)', value: Math.round(2000 / auditSeconds), unit: 'records/s' },
    { benchmark: 'audit', database: name, figure: 'verify', value: Math.round(outcome.records / verifySeconds), unit: 'records/s' },
  ]
}

const benchmarks: Record<string, (name: string, config: DatabaseConfig) => Promise<Measurement[]>> = { jobs: jobsBenchmark, exposure: exposureBenchmark, hunt: huntBenchmark, alerts: alertsBenchmark, notices: noticesBenchmark }

const unknown = only.filter((name) => !(name in benchmarks))
if (unknown.length > 0) {
  console.error(`bench: unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(benchmarks).join(', ')}`)
  process.exit(2)
}
const results: Measurement[] = []
for (const database of await databases()) {
  try {
    for (const [name, run] of Object.entries(benchmarks)) {
      if (only.length > 0 && !only.includes(name)) continue
      if (!json) process.stderr.write(`bench: ${name} on ${database.name}…\n`)
      results.push(...(await run(database.name, database.config)))
    }
  } finally {
    await database.cleanup()
  }
}
// The figures of each benchmark run, with the machine and the command, in bench/results/<benchmark>.json.
const resultsDir = new URL('./results/', import.meta.url)
mkdirSync(resultsDir, { recursive: true })
for (const name of new Set(results.map((r) => r.benchmark === 'audit' ? 'jobs' : r.benchmark))) {
  const figures = results.filter((r) => (r.benchmark === 'audit' ? 'jobs' : r.benchmark) === name)
  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version }
  const command = `npm run bench -- ${name}`
  writeFileSync(new URL(`${name}.json`, resultsDir), JSON.stringify({ command, at: new Date().toISOString(), machine, env: { BENCH_ENDPOINTS: process.env.BENCH_ENDPOINTS ?? null, BENCH_ADVISORIES: process.env.BENCH_ADVISORIES ?? null, BENCH_HUNT_MB: process.env.BENCH_HUNT_MB ?? null, BENCH_ALERT_SECONDS: process.env.BENCH_ALERT_SECONDS ?? null, BENCH_NOTICE_CUSTOMERS: process.env.BENCH_NOTICE_CUSTOMERS ?? null }, figures }, null, 2) + '\n')
}
if (json) console.log(JSON.stringify(results, null, 2))
else for (const r of results) console.log(`${r.benchmark.padEnd(6)} ${r.database.padEnd(9)} ${r.figure.padEnd(90)} ${String(r.value).padStart(8)} ${r.unit}`)
