import SqliteDatabase from 'better-sqlite3'
import {
  CompiledQuery,
  Kysely,
  PostgresAdapter,
  PostgresDialect,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type Driver,
} from 'kysely'
import pg from 'pg'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Database } from './schema.js'

export type Db = Kysely<Database>
export type Dialect = 'sqlite' | 'postgres'

export type DatabaseConfig =
  | { kind: 'sqlite'; path: string }
  | { kind: 'postgres'; url: string; poolSize?: number }

export interface DatabaseHandle {
  db: Db
  dialect: Dialect
  /** Where it is, for logs: a file path, or the URL without its password. */
  description: string
  close(): Promise<void>
}

/**
 * Writes on SQLite begin with BEGIN IMMEDIATE: the write lock is taken up front, so two
 * processes on one file wait on the busy timeout instead of failing with SQLITE_BUSY when a
 * read transaction tries to upgrade.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'))
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  private readonly database: SqliteDatabase.Database

  constructor(database: SqliteDatabase.Database) {
    const cached = withStatementCache(database)
    super({ database: cached })
    this.database = cached
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver({ database: this.database })
  }
}

/** Distinct SQL texts whose compiled statements are kept. */
const statementCacheSize = 500

/**
 * better-sqlite3 compiles a statement on every prepare, and Kysely prepares for every query: keep
 * compiled statements by SQL text (least recently used dropped first). A statement still
 * iterating rows is busy and is never handed out twice; a fresh one is prepared instead.
 */
function withStatementCache(database: SqliteDatabase.Database): SqliteDatabase.Database {
  const cache = new Map<string, SqliteDatabase.Statement>()
  const prepare = (source: string): SqliteDatabase.Statement => {
    const found = cache.get(source)
    if (found && !found.busy) {
      cache.delete(source)
      cache.set(source, found)
      return found
    }
    const statement = database.prepare(source)
    if (!found) {
      cache.set(source, statement)
      if (cache.size > statementCacheSize) cache.delete(cache.keys().next().value!)
    }
    return statement
  }
  return new Proxy(database, {
    get(target, property) {
      if (property === 'prepare') return prepare
      const value = Reflect.get(target, property, target) as unknown
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

function openSqlite(path: string): SqliteDatabase.Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const database = new SqliteDatabase(path)
  database.pragma('journal_mode = WAL')
  // NORMAL in WAL mode: a commit survives the process being killed; only an OS crash
  // or power loss can take back the last transactions.
  database.pragma('synchronous = NORMAL')
  database.pragma('foreign_keys = ON')
  database.pragma('busy_timeout = 10000')
  // Bulk imports touch index pages all over the installations table: keep up to 256 MiB of them in memory.
  database.pragma('cache_size = -262144')
  return database
}

export function connectDatabase(config: DatabaseConfig): DatabaseHandle {
  if (config.kind === 'sqlite') {
    const sqlite = openSqlite(config.path)
    const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect(sqlite) })
    return { db, dialect: 'sqlite', description: config.path, close: () => db.destroy() }
  }
  const pool = new pg.Pool({
    connectionString: config.url,
    types: { getTypeParser: typeParser },
    max: config.poolSize ?? 10,
    application_name: 'cordon',
  })
  // An idle client's error (the server restarting, say) must not crash the process;
  // the next query on the pool reports it.
  pool.on('error', () => {})
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  return { db, dialect: 'postgres', description: redactUrl(config.url), close: () => db.destroy() }
}

const jsonTypes = new Set([114, 3802]) // json, jsonb

/**
 * JSON columns come back as text on both dialects, so one mapper (db/mappers.ts `fromJson`)
 * parses them; left to pg, a jsonb holding a string would be indistinguishable from SQLite's text.
 */
function typeParser(oid: number, format?: 'text' | 'binary') {
  if (jsonTypes.has(oid)) return (value: string) => value
  return format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid, 'text')
}

/** Which SQL dialect a Db (or a transaction on it) speaks, for the few dialect-specific queries. */
export function dialectOf(db: Kysely<any>): Dialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite'
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return 'postgres://(unparseable url)'
  }
}
