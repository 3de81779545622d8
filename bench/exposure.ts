// The exposure benchmark: a generated MSP estate (osquery results log) imported end to end, the
// raw insert rate of the same rows for comparison, a full re-match of 10,000 advisories against
// the catalog, and the exposure query for new advisories. Scale with BENCH_ENDPOINTS (default 100,000).
import { createReadStream, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import Database from 'better-sqlite3'
import pg from 'pg'
import { from as copyFrom, to as copyTo } from 'pg-copy-streams'
import { pino } from 'pino'
import { createServices } from '../src/app.js'
import type { DatabaseConfig } from '../src/db/connect.js'
import { systemActor } from '../src/shared/actor.js'
import { writeOsvAdvisories, osvAdvisoryFor } from './estate-advisories.js'
import { buildCatalog } from './estate-data.js'
import { generateEstate, type EstateStats } from './estate.js'

export interface Measurement {
  benchmark: string
  database: string
  figure: string
  value: number
  unit: string
}

const endpoints = Number(process.env.BENCH_ENDPOINTS ?? 100_000)
const advisoryCount = Number(process.env.BENCH_ADVISORIES ?? 10_000)
let estate: { dir: string; stats: EstateStats; advisories: string } | undefined

async function theEstate() {
  if (estate) return estate
  const dir = mkdtempSync(join(tmpdir(), 'cordon-estate-'))
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
  process.stderr.write(`bench: generating ${endpoints.toLocaleString('en')} endpoints…\n`)
  const stats = await generateEstate({ out: dir, endpoints, customers: Math.max(5, Math.round(endpoints / 200)), seed: 1, formats: ['osquery'] })
  const advisories = join(dir, 'advisories.json')
  await writeOsvAdvisories(advisories, advisoryCount, 7)
  estate = { dir, stats, advisories }
  return estate
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}

let peakRss = 0
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200)
sampler.unref()

export async function exposureBenchmark(name: string, config: DatabaseConfig): Promise<Measurement[]> {
  const { dir, stats, advisories } = await theEstate()
  const m = (figure: string, value: number, unit: string): Measurement => ({ benchmark: 'exposure', database: name, figure, value, unit })
  const services = await createServices({ dataDir: dir, database: config, http: { host: '127.0.0.1', port: 0 }, logLevel: 'silent', worker: { concurrency: 1 } }, { logger: pino({ level: 'silent' }) })
  const results: Measurement[] = []
  try {
    for (const customer of stats.customers) await services.customers.create(systemActor, { name: customer.name, externalRef: customer.ref })

    peakRss = process.memoryUsage().rss
    let lastReport = 0
    const importStart = performance.now()
    const report = await services.inventory.importInventory(systemActor, {
      file: join(dir, 'osquery.log'),
      bytes: createReadStream(join(dir, 'osquery.log'), { highWaterMark: 1024 * 1024 }),
      onProgress: ({ bytes }) => {
        if (Date.now() - lastReport > 10_000) {
          lastReport = Date.now()
          process.stderr.write(`bench: ${name} import ${(bytes / 1e9).toFixed(2)} GB of ${(stats.bytes.osquery / 1e9).toFixed(2)} GB\n`)
        }
      },
    })
    const importSeconds = (performance.now() - importStart) / 1000
    if (report.rejected > 0) throw new Error(`import rejected ${report.rejected} rows: ${JSON.stringify(report.rejections.slice(0, 3))}`)
    results.push(m(`import osquery end to end (${stats.installationRows.toLocaleString('en')} installation rows)`, Math.round(stats.installationRows / importSeconds), 'rows/s'))
    results.push(m('import osquery end to end', Math.round(stats.bytes.osquery / 1e6 / importSeconds), 'MB/s'))
    results.push(m('peak memory during import (RSS)', Math.round(peakRss / 2 ** 20), 'MiB'))

    const raw = await rawInsertRate(config, name)
    results.push(m(`raw insert of the same rows (${name === 'sqlite' ? 'prepared statements' : 'COPY'})`, Math.round(raw), 'rows/s'))
    results.push(m('end-to-end import as a share of the raw insert rate', Math.round((stats.installationRows / importSeconds / raw) * 100), '%'))

    const intelStart = performance.now()
    await services.intel.importFile(systemActor, { name: 'advisories.json', path: advisories })
    results.push(m(`import ${advisoryCount.toLocaleString('en')} OSV advisories, matched incrementally`, Math.round(performance.now() - intelStart), 'ms'))

    const rematch = await services.exposure.rematchAll(systemActor)
    results.push(m(`full re-match: ${rematch.advisories.toLocaleString('en')} advisories × ${rematch.catalogEntries.toLocaleString('en')} catalog entries (${rematch.matches} matches)`, rematch.durationMs, 'ms'))

    const threeCx = await services.exposure.exposureOf(systemActor.scope, 'CVE-2023-29059')
    const affected = threeCx.customers.reduce((n, c) => n + c.endpoints.length, 0)
    if (affected !== stats.affectedEndpoints.total) throw new Error(`3CX exposure found ${affected} endpoints, the estate has ${stats.affectedEndpoints.total}`)
    results.push(m('3CX: affected endpoints found (all of them)', affected, 'endpoints'))

    const catalog = buildCatalog()
    const popular = catalog.linux.filter((p) => p.source === p.name).slice(0, 40)
    const queryTimes: number[] = []
    const answerTimes: number[] = []
    for (const [index, product] of popular.entries()) {
      const advisory = osvAdvisoryFor(catalog, product, { id: `BENCH-NEW-${index}`, modified: '2026-11-01T00:00:00Z' })
      const start = performance.now()
      await services.intel.importFile(systemActor, { name: `new-${index}.json`, buffer: Buffer.from(JSON.stringify(advisory.record)) })
      const queryStart = performance.now()
      await services.exposure.exposureOf(systemActor.scope, `BENCH-NEW-${index}`)
      const end = performance.now()
      queryTimes.push(end - queryStart)
      answerTimes.push(end - start)
    }
    results.push(m('exposure query for a new advisory, p95', Number(percentile(queryTimes, 95).toFixed(1)), 'ms'))
    results.push(m('new advisory imported, matched and queried, p95', Number(percentile(answerTimes, 95).toFixed(1)), 'ms'))
    results.push(m('peak memory of the whole run (RSS)', Math.round(Math.max(peakRss, process.memoryUsage().rss) / 2 ** 20), 'MiB'))
  } finally {
    await services.close()
  }
  return results
}

/** The same installation rows written the fastest way each database has, into a copy of the table. */
async function rawInsertRate(config: DatabaseConfig, name: string): Promise<number> {
  const columns = 'endpoint_seq, catalog_id, source, first_seen, last_seen, removed_at'
  if (config.kind === 'sqlite') {
    // Read a page of rows, then insert it with one prepared statement in one transaction; only the
    // inserts are timed. No read stays open across the writes, so the WAL can be checkpointed.
    const database = new Database(config.path)
    database.pragma('journal_mode = WAL')
    database.pragma('cache_size = -262144')
    database.exec(`drop table if exists raw_installations;
      create table raw_installations (endpoint_seq integer not null, catalog_id integer not null, source text not null, first_seen text not null, last_seen text not null, removed_at text,
        primary key (endpoint_seq, catalog_id, source)) without rowid;
      create index raw_installations_catalog_idx on raw_installations (catalog_id, endpoint_seq);`)
    const insert = database.prepare(`insert into raw_installations (${columns}) values (?, ?, ?, ?, ?, ?)`)
    const bounds = database.prepare('select min(endpoint_seq) as low, max(endpoint_seq) as high from installations').get() as { low: number | null; high: number | null }
    // A few hundred endpoints at a time, read by the primary key's leading column.
    const page = database.prepare(`select ${columns} from installations where endpoint_seq >= ? and endpoint_seq < ?`).raw(true)
    const write = database.transaction((rows: unknown[][]) => {
      for (const row of rows) insert.run(...row)
    })
    let count = 0
    let seconds = 0
    for (let low = bounds.low ?? 0; bounds.high !== null && low <= bounds.high; low += 300) {
      const rows = page.all(low, low + 300) as unknown[][]
      const start = performance.now()
      write(rows)
      seconds += (performance.now() - start) / 1000
      count += rows.length
    }
    database.exec('drop table raw_installations')
    database.close()
    return count / seconds
  }
  const source = new pg.Client({ connectionString: config.url })
  const target = new pg.Client({ connectionString: config.url })
  await source.connect()
  await target.connect()
  try {
    await target.query(`drop table if exists raw_installations; create table raw_installations (like installations including all)`)
    const count = Number((await source.query('select count(*) as n from installations')).rows[0].n)
    const start = performance.now()
    await pipeline(source.query(copyTo(`copy installations (${columns}) to stdout`)), target.query(copyFrom(`copy raw_installations (${columns}) from stdin`)))
    const seconds = (performance.now() - start) / 1000
    await target.query('drop table raw_installations')
    process.stderr.write(`bench: ${name} raw COPY of ${count} rows in ${seconds.toFixed(1)} s\n`)
    return count / seconds
  } finally {
    await source.end()
    await target.end()
  }
}
