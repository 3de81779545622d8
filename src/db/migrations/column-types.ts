import { PostgresAdapter, type Kysely } from 'kysely'

/**
 * Column types per dialect, for migrations. Frozen like the migrations that use it:
 * never change a type here; add a new helper for new needs.
 *  - timestamp: timestamptz on PostgreSQL; ISO-8601 text on SQLite (sorts as time).
 *  - json: jsonb on PostgreSQL; text on SQLite.
 *  - bigint: bigint on PostgreSQL (read back as a string); integer on SQLite.
 */
export function columnTypes(db: Kysely<any>) {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter
  return {
    postgres,
    timestamp: postgres ? ('timestamptz' as const) : ('text' as const),
    json: postgres ? ('jsonb' as const) : ('text' as const),
    bigint: postgres ? ('bigint' as const) : ('integer' as const),
  }
}
