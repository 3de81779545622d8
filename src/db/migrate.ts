import { Migrator, type MigrationResult } from 'kysely'
import type { Db } from './connect.js'
import { migrations } from './migrations/index.js'

export interface MigrationReport {
  applied: string[]
  /** Every migration the database has, after this run. */
  current: string[]
}

/** Bring the database to the latest schema. Safe to run from several processes at once. */
export async function migrateToLatest(db: Db): Promise<MigrationReport> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'schema_migrations',
    migrationLockTableName: 'schema_migrations_lock',
  })
  const { error, results } = await migrator.migrateToLatest()
  if (error) {
    const failed = results?.find((r: MigrationResult) => r.status === 'Error')
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed`, { cause: error })
  }
  const all = await migrator.getMigrations()
  return {
    applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName),
    current: all.filter((m) => m.executedAt !== undefined).map((m) => m.name),
  }
}
