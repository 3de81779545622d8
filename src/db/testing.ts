import pg from 'pg'
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { connectDatabase, type DatabaseConfig, type DatabaseHandle, type Dialect } from './connect.js'
import { migrateToLatest } from './migrate.js'

/**
 * Test databases. Every store test runs on SQLite and again on PostgreSQL.
 * PostgreSQL comes from CORDON_TEST_DATABASE_URL, which `npm test` (scripts/test.mjs) sets:
 * to the variable's own value, a server on 127.0.0.1:5432, or a throwaway server it starts.
 * Each test database is a fresh one, dropped when the test closes it.
 */

export const postgresTestUrl = process.env.CORDON_TEST_DATABASE_URL || undefined

if (!postgresTestUrl && process.env.CI === 'true') {
  throw new Error('CI=true but CORDON_TEST_DATABASE_URL is not set: the PostgreSQL tests must run in CI (use npm test)')
}

export interface TestDatabase extends DatabaseHandle {
  config: DatabaseConfig
}

export interface TestDialect {
  name: Dialect
  /** false, or the reason the dialect's tests are skipped (shown in the test report). */
  skip: false | string
  open(): Promise<TestDatabase>
}

export const postgresSkipReason =
  'PostgreSQL tests SKIPPED: no server (set CORDON_TEST_DATABASE_URL or run npm test, which finds or starts one)'

export const testDialects: TestDialect[] = [
  { name: 'sqlite', skip: false, open: openSqliteTestDatabase },
  { name: 'postgres', skip: postgresTestUrl ? false : postgresSkipReason, open: openPostgresTestDatabase },
]

export async function openSqliteTestDatabase(): Promise<TestDatabase> {
  const config: DatabaseConfig = { kind: 'sqlite', path: ':memory:' }
  const handle = connectDatabase(config)
  await migrateToLatest(handle.db)
  return { ...handle, config }
}

/** A fresh, migrated PostgreSQL database; `close` drops it. */
export async function openPostgresTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const url = await createPostgresTestDatabase()
  const config: DatabaseConfig = { kind: 'postgres', url }
  const handle = connectDatabase(config)
  if (options.migrate !== false) await migrateToLatest(handle.db)
  return {
    ...handle,
    config,
    close: async () => {
      await handle.close()
      await dropPostgresTestDatabase(url)
    },
  }
}

/** Create an empty database on the test server and return its URL. */
export async function createPostgresTestDatabase(): Promise<string> {
  if (!postgresTestUrl) throw new Error(postgresSkipReason)
  const name = `cordon_test_${process.pid}_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: postgresTestUrl })
  await admin.connect()
  try {
    await admin.query(`create database ${name}`)
  } finally {
    await admin.end()
  }
  // Tells scripts/test.mjs that PostgreSQL tests really ran (CI fails without it).
  const markers = process.env.CORDON_TEST_POSTGRES_MARKERS
  if (markers) writeFileSync(join(markers, name), '')
  const url = new URL(postgresTestUrl)
  url.pathname = `/${name}`
  return url.toString()
}

export async function dropPostgresTestDatabase(url: string): Promise<void> {
  if (!postgresTestUrl) return
  const name = new URL(url).pathname.slice(1)
  if (!/^cordon_test_[0-9a-z_]+$/.test(name)) throw new Error(`refusing to drop ${name}`)
  const admin = new pg.Client({ connectionString: postgresTestUrl })
  await admin.connect()
  try {
    await admin.query(`drop database if exists ${name} with (force)`)
  } finally {
    await admin.end()
  }
}
