// The hunt benchmark: a synthetic Zeek dns.log (1 GiB by default, BENCH_HUNT_MB) hunted for 10,000
// domain indicators through the service (records read, parent domains matched, sightings written),
// on one core and on all cores, next to `rg -F -f` on the same file; then a file sweep hashing
// large files and many small ones, next to `openssl dgst -sha256`.
import { execFileSync, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { createServices } from '../src/app.js'
import type { DatabaseConfig } from '../src/db/connect.js'
import { systemActor } from '../src/shared/actor.js'
import type { Measurement } from './exposure.js'

const megabytes = Number(process.env.BENCH_HUNT_MB ?? 1024)
const indicatorCount = 10_000
let fixture: { dir: string; log: string; bytes: number; patterns: string; csv: string; hits: number; tree: string; treeBytes: number; treeFiles: number } | undefined

/** A deterministic generator, so every run hunts the same bytes. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const words = ['cloud', 'cdn', 'api', 'mail', 'login', 'update', 'static', 'img', 'secure', 'data', 'app', 'sync', 'edge', 'files', 'portal', 'auth', 'telemetry', 'store', 'media', 'news']
const tlds = ['com', 'net', 'org', 'io', 'co.uk', 'de', 'fr', 'info']

function theFixture() {
  if (fixture) return fixture
  const dir = mkdtempSync(join(tmpdir(), 'cordon-hunt-bench-'))
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
  const next = random(7)
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!
  const name = () => `${pick(words)}${Math.floor(next() * 100_000)}${pick(words)}.${pick(tlds)}`
  // 10,000 look-alike domains; a few are looked up in the log, through subdomains too.
  const indicators = Array.from({ length: indicatorCount }, (_, i) => `${pick(words)}-${pick(words)}${i}.${pick(tlds)}`)
  const patterns = join(dir, 'patterns.txt')
  writeFileSync(patterns, indicators.join('\n') + '\n')
  const csv = join(dir, 'indicators.csv')
  writeFileSync(csv, 'Indicator_type,Data,Note\n' + indicators.map((d) => `domain,${d},bench`).join('\n') + '\n')
  const popular = Array.from({ length: 50_000 }, name)

  process.stderr.write(`bench: writing a ${megabytes} MB Zeek dns.log…\n`)
  const log = join(dir, 'dns.log')
  const fd = openSync(log, 'w')
  const header = [
    '#separator \\x09', '#set_separator\t,', '#empty_field\t(empty)', '#unset_field\t-', '#path\tdns', '#open\t2023-03-29-00-00-00',
    '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\tanswers\tTTLs\trejected',
    '#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\tcount\tstring\tcount\tstring\tcount\tstring\tbool\tbool\tbool\tbool\tcount\tvector[string]\tvector[interval]\tbool',
  ].join('\n') + '\n'
  writeSync(fd, header)
  let bytes = header.length
  let hits = 0
  let ts = 1680048000
  const target = megabytes * 1024 * 1024
  while (bytes < target) {
    const lines: string[] = []
    for (let i = 0; i < 10_000; i++) {
      ts += 0.0007
      const hit = next() < 0.00002
      const query = hit ? `${pick(['', 'www.', 'cdn.'])}${pick(indicators)}` : next() < 0.7 ? pick(popular) : `${pick(words)}.${pick(popular)}`
      if (hit) hits++
      const client = `10.${Math.floor(next() * 50)}.${Math.floor(next() * 256)}.${Math.floor(next() * 254) + 1}`
      lines.push(`${ts.toFixed(6)}\tC${Math.floor(next() * 1e12).toString(36)}\t${client}\t${49152 + Math.floor(next() * 16000)}\t10.0.0.53\t53\tudp\t${Math.floor(next() * 65535)}\t0.001234\t${query}\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t93.184.216.34\t300.000000\tF`)
    }
    const chunk = lines.join('\n') + '\n'
    writeSync(fd, chunk)
    bytes += Buffer.byteLength(chunk)
  }
  closeSync(fd)

  // A tree to sweep: a few large files and many small ones.
  const tree = join(dir, 'tree')
  let treeBytes = 0
  let treeFiles = 0
  const block = Buffer.alloc(8 * 1024 * 1024)
  for (let f = 0; f < 4; f++) {
    for (let i = 0; i < block.length; i += 4) block.writeUInt32LE(Math.floor(next() * 4294967296), i)
    mkdirSync(join(tree, 'large'), { recursive: true })
    const file = openSync(join(tree, 'large', `image-${f}.bin`), 'w')
    for (let i = 0; i < 32; i++) writeSync(file, block) // 256 MiB each
    closeSync(file)
    treeBytes += 32 * block.length
    treeFiles++
  }
  for (let d = 0; d < 20; d++) {
    mkdirSync(join(tree, 'small', `d${d}`), { recursive: true })
    for (let i = 0; i < 1000; i++) {
      const body = block.subarray(i * 7, i * 7 + 2048 + (i % 4096))
      writeFileSync(join(tree, 'small', `d${d}`, `f${i}.dat`), body)
      treeBytes += body.length
      treeFiles++
    }
  }
  fixture = { dir, log, bytes, patterns, csv, hits, tree, treeBytes, treeFiles }
  return fixture
}

function ensureRipgrep(): string | undefined {
  if (spawnSync('rg', ['--version']).status === 0) return 'rg'
  if (process.env.CI) return undefined
  spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'ripgrep'], { stdio: 'ignore' })
  return spawnSync('rg', ['--version']).status === 0 ? 'rg' : undefined
}

let peakRss = 0
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100)
sampler.unref()

export async function huntBenchmark(name: string, config: DatabaseConfig): Promise<Measurement[]> {
  const f = theFixture()
  const m = (figure: string, value: number, unit: string): Measurement => ({ benchmark: 'hunt', database: name, figure, value, unit })
  const services = await createServices({ dataDir: f.dir, database: config, http: { host: '127.0.0.1', port: 0 }, logLevel: 'silent', worker: { concurrency: 1 } }, { logger: pino({ level: 'silent' }) })
  const results: Measurement[] = []
  try {
    await services.intel.importFile(systemActor, { name: 'indicators.csv', path: f.csv }, { format: 'csv' })
    const mb = f.bytes / 1e6
    const rates: Record<string, number> = {}
    peakRss = process.memoryUsage().rss
    for (const workers of [1, availableParallelism()]) {
      const start = performance.now()
      const hunt = await services.hunt.huntLogs(systemActor, { inputs: [{ name: 'dns.log', path: f.log }], workers })
      const seconds = (performance.now() - start) / 1000
      const found = hunt.report?.sightings ?? 0
      if (found < f.hits) throw new Error(`the hunt found ${found} sightings; the log has ${f.hits}`)
      rates[workers] = mb / seconds
      results.push(m(`hunt a ${Math.round(mb)} MB Zeek dns.log for ${indicatorCount.toLocaleString('en')} domains, ${workers} thread${workers > 1 ? 's' : ''} (${found} sightings written)`, Math.round(mb / seconds), 'MB/s'))
    }
    results.push(m('peak memory while hunting (RSS)', Math.round(peakRss / 2 ** 20), 'MiB'))
    const rg = ensureRipgrep()
    if (rg) {
      const start = performance.now()
      const run = spawnSync(rg, ['-F', '-c', '-f', f.patterns, f.log], { maxBuffer: 1 << 20 })
      const seconds = (performance.now() - start) / 1000
      if (run.status !== 0 && run.status !== 1) throw new Error(`rg failed: ${run.stderr}`)
      results.push(m('rg -F -f on the same file (substring search, no domain semantics)', Math.round(mb / seconds), 'MB/s'))
      results.push(m('hunt on all cores as a multiple of rg -F -f', Number((rates[availableParallelism()]! / (mb / seconds)).toFixed(1)), '×'))
    }

    // File sweep: large files for the hashing rate against openssl, many small files for per-file overhead.
    const large = join(f.tree, 'large', 'image-0.bin')
    const largeMb = 256 * 1.048576
    // The sweep computes the digests the indicators need: SHA-256 always, SHA-1 and MD5 when such
    // indicators exist (the bundled 3CX advisory has them). openssl does the same work in turn.
    const digests = ['sha256', ...((await services.intel.listIndicators({ kind: 'sha1', limit: 1 })).items.length > 0 ? ['sha1'] : []), ...((await services.intel.listIndicators({ kind: 'md5', limit: 1 })).items.length > 0 ? ['md5'] : [])]
    let opensslSeconds = 0
    for (const digest of digests) {
      const start = performance.now()
      execFileSync('openssl', ['dgst', `-${digest}`, large])
      const seconds = (performance.now() - start) / 1000
      opensslSeconds += seconds
      if (digest === 'sha256') results.push(m('openssl dgst -sha256 on one 256 MiB file', Math.round(largeMb / seconds), 'MB/s'))
    }
    const opensslRate = largeMb / opensslSeconds
    results.push(m(`openssl dgst ${digests.map((d) => `-${d}`).join(', ')} in turn on one 256 MiB file (the digests the sweep computes)`, Math.round(opensslRate), 'MB/s'))
    for (const threads of [1, availableParallelism()]) {
      const start = performance.now()
      const sweep = await services.hunt.huntFiles(systemActor, { roots: [join(f.tree, 'large')], threads })
      const seconds = (performance.now() - start) / 1000
      const rate = (sweep.report?.files?.bytes ?? 0) / 1e6 / seconds
      results.push(m(`sweep 4 × 256 MiB files, ${threads} thread${threads > 1 ? 's' : ''}`, Math.round(rate), 'MB/s'))
      if (threads === 1) results.push(m('sweep hashing on one thread as a share of openssl', Math.round((rate / opensslRate) * 100), '%'))
    }
    const smallStart = performance.now()
    const small = await services.hunt.huntFiles(systemActor, { roots: [join(f.tree, 'small')] })
    const smallSeconds = (performance.now() - smallStart) / 1000
    results.push(m(`sweep ${(small.report?.files?.files ?? 0).toLocaleString('en')} small files, all cores`, Math.round((small.report?.files?.files ?? 0) / smallSeconds), 'files/s'))
    results.push(m('peak memory of the whole run (RSS)', Math.round(Math.max(peakRss, process.memoryUsage().rss) / 2 ** 20), 'MiB'))
  } finally {
    await services.close()
  }
  return results
}

// The same digest as openssl, so the comparison is of equals.
export function sha256Of(buffer: Buffer): string {
  return createHash('sha256').update(buffer).digest('hex')
}
