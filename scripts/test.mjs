// `npm test`: runs every *.test.ts under src/ and test/ with Node's test runner, on SQLite and on PostgreSQL.
// PostgreSQL is, in order: CORDON_TEST_DATABASE_URL, a server on 127.0.0.1:5432 (skip this probe with
// CORDON_TEST_SKIP_LOCAL_POSTGRES=1), or a throwaway server started here. Without any, the PostgreSQL tests
// are skipped locally and CI fails. CORDON_TEST_CONCURRENCY overrides the number of test files run at once.
// Usage: npm test [-- <file or directory>...]
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { constants, tmpdir } from 'node:os'
import { delimiter, dirname, isAbsolute, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const inCi = process.env.CI === 'true'
const cleanups = [] // synchronous, run last-in first-out, so they also work from the 'exit' event
let testRun // the test runner's child process, once started
let interrupted // the signal that stopped the run, if any

function cleanup() {
  for (let step = cleanups.pop(); step; step = cleanups.pop()) {
    try { step() } catch (error) { console.error(`test.mjs: cleanup failed: ${error.message}`) }
  }
}

function fail(message) {
  console.error(`\ntest.mjs: ${message}\n`)
  process.exit(1)
}

function findTestFiles(dir) {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : findTestFiles(path)
    return entry.name.endsWith('.test.ts') ? [path] : []
  })
}

function isInside(file, path) {
  const rel = relative(path, file)
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))
}

/** Test files as paths relative to the repo root, restricted to the given paths if any. */
function collectTestFiles(filters) {
  for (const path of filters) if (!existsSync(path)) fail(`no such file or directory: ${path}`)
  const all = ['src', 'test'].flatMap((dir) => findTestFiles(join(root, dir)))
  const chosen = filters.length === 0 ? all : all.filter((file) => filters.some((path) => isInside(file, resolve(path))))
  return chosen.map((file) => relative(root, file)).sort()
}

/** The URL without its password, for printing. */
function describe(url) {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***')
    return parsed.toString()
  } catch {
    return '(unparseable URL)'
  }
}

/** undefined when the server answers, else why not. */
async function probe(url, timeoutMs = 3000) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs })
  client.on('error', () => {}) // a late socket error must not crash the script
  try {
    await client.connect()
    await client.query('select 1')
    return undefined
  } catch (error) {
    // Node 20 tries IPv4 and IPv6 for 'localhost' and may report an AggregateError without a message.
    return error.message || error.errors?.[0]?.message || error.code || String(error)
  } finally {
    await client.end().catch(() => {})
  }
}

/** The first directory holding both initdb and pg_ctl: PATH first, then Debian's, highest version first. */
function findPostgresBin() {
  const debian = existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)).map((v) => `/usr/lib/postgresql/${v}/bin`)
    : []
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...debian]
  return dirs.find((dir) => ['initdb', 'pg_ctl'].every((tool) => existsSync(join(dir, tool))))
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer().once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolvePort(port))
    })
  })
}

/** Starts a PostgreSQL server in a temp dir, stopped and removed by cleanup(); returns its URL. */
async function startThrowawayServer() {
  const bin = findPostgresBin()
  if (!bin) throw new Error('initdb/pg_ctl not found on PATH or in /usr/lib/postgresql/*/bin')
  const dir = mkdtempSync(join(tmpdir(), 'cordon-pg-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  // initdb refuses to run as root, so root runs the tools as the postgres OS user, which must own the dir.
  const asRoot = process.getuid?.() === 0
  if (asRoot) execFileSync('chown', ['postgres:', dir])
  const run = (tool, args) => {
    const command = asRoot ? ['runuser', '-u', 'postgres', '--', join(bin, tool), ...args] : [join(bin, tool), ...args]
    // cwd: the postgres user may not be allowed into the repo directory.
    execFileSync(command[0], command.slice(1), { cwd: dir, stdio: 'pipe' })
  }
  const port = await freePort()
  console.log(`test.mjs: starting a throwaway PostgreSQL server (${bin}) in ${dir} on port ${port}`)
  try {
    run('initdb', ['-D', dir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8'])
    // Pushed before starting: a start that times out may still leave a server running.
    cleanups.push(() => run('pg_ctl', ['-D', dir, '-m', 'immediate', 'stop']))
    // -k: the Unix socket goes in the temp dir, since the postgres user may not write to the default one.
    const options = `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c fsync=off`
    run('pg_ctl', ['-D', dir, '-o', options, '-l', join(dir, 'log'), '-w', 'start'])
  } catch (error) {
    const output = `${error.stdout ?? ''}${error.stderr ?? ''}`.trim()
    throw new Error(`${error.message.split('\n')[0]}${output ? `\n${output}` : ''}`)
  }
  return `postgres://postgres@127.0.0.1:${port}/postgres`
}

/** { url, label } for CORDON_TEST_DATABASE_URL if set; checked first, so a wrong value fails even with nothing to run. */
async function givenPostgres() {
  const given = process.env.CORDON_TEST_DATABASE_URL
  if (!given) return undefined
  const problem = await probe(given, 10_000)
  if (problem) fail(`CORDON_TEST_DATABASE_URL (${describe(given)}) does not answer: ${problem}`)
  return { url: given, label: `${describe(given)} (from CORDON_TEST_DATABASE_URL)` }
}

/** { url, label } of the PostgreSQL to test on, or { skipped: reason, detail }. */
async function resolvePostgres(given) {
  if (given) return given
  const local = 'postgres://postgres@127.0.0.1:5432/postgres'
  const localProblem = process.env.CORDON_TEST_SKIP_LOCAL_POSTGRES === '1' ? 'skipped by CORDON_TEST_SKIP_LOCAL_POSTGRES=1' : await probe(local)
  if (!localProblem) return { url: local, label: `${local} (local server)` }
  try {
    const url = await startThrowawayServer()
    return { url, label: `${url} (throwaway server)` }
  } catch (error) {
    cleanup() // only the throwaway server's steps are registered yet
    const [summary, ...output] = error.message.split('\n')
    return { skipped: `no server on 127.0.0.1:5432 (${localProblem}) and no throwaway server (${summary})`, detail: output.join('\n') }
  }
}

// One handler for the whole run: removing a signal's last listener would drop a signal still queued
// while initdb or pg_ctl ran synchronously (such a signal may only arrive once the tests are spawned).
function onSignal(signal) {
  interrupted = signal
  if (testRun) testRun.kill(signal) // main() cleans up once the tests have stopped
  else process.exit(128 + constants.signals[signal]) // the 'exit' event runs cleanup()
}

function testConcurrency() {
  const concurrency = process.env.CORDON_TEST_CONCURRENCY || '2'
  if (!/^[1-9][0-9]*$/.test(concurrency)) fail(`CORDON_TEST_CONCURRENCY must be a positive integer, not ${concurrency}`)
  return concurrency
}

function runTests(files, concurrency, env) {
  testRun = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...files], { cwd: root, env, stdio: 'inherit' })
  return new Promise((resolveExit) => {
    testRun.on('exit', (code, signal) => resolveExit(code ?? 128 + (constants.signals[signal] ?? 0)))
  })
}

async function main() {
  process.on('exit', cleanup)
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal)

  const concurrency = testConcurrency()
  const given = await givenPostgres()
  const filters = process.argv.slice(2)
  const files = collectTestFiles(filters)
  if (files.length === 0) {
    const where = filters.length ? filters.join(', ') : 'src/ and test/'
    if (inCi || filters.length) fail(`no *.test.ts files found under ${where}`)
    console.log(`test.mjs: no *.test.ts files found under ${where}; nothing to run`)
    return 0
  }

  const postgres = await resolvePostgres(given)
  if (postgres.detail) console.error(postgres.detail)
  if (postgres.skipped && inCi) fail(`CI=true but no PostgreSQL is available, and the PostgreSQL tests must run in CI: ${postgres.skipped}`)
  if (postgres.skipped) console.log(`\n!!! PostgreSQL tests will be SKIPPED (SQLite only): ${postgres.skipped}\n`)
  else console.log(`test.mjs: PostgreSQL: ${postgres.label}`)

  const markers = mkdtempSync(join(tmpdir(), 'cordon-pg-markers-'))
  cleanups.push(() => rmSync(markers, { recursive: true, force: true }))
  const env = { ...process.env, CORDON_TEST_POSTGRES_MARKERS: markers }
  if (postgres.url) env.CORDON_TEST_DATABASE_URL = postgres.url
  else delete env.CORDON_TEST_DATABASE_URL // testing.ts reads '' as unset too; be explicit
  const code = await runTests(files, concurrency, env)

  if (interrupted) {
    console.error(`\ntest.mjs: interrupted by ${interrupted}`)
    return 128 + constants.signals[interrupted]
  }
  if (postgres.skipped) {
    console.log(`\nPostgreSQL tests: SKIPPED (${postgres.skipped})`)
    return code
  }
  const databases = readdirSync(markers).length
  console.log(`\nPostgreSQL tests: ran (${databases} database${databases === 1 ? '' : 's'}) on ${postgres.label}`)
  // A whole run that created no database means the PostgreSQL tests were silently skipped or never wired in.
  if (databases === 0 && filters.length === 0) {
    console.error('test.mjs: a PostgreSQL server was available but no PostgreSQL test database was created: the PostgreSQL tests did not run')
    return code || 1
  }
  return code
}

process.exitCode = await main()
