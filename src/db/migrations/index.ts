import type { Migration } from 'kysely'
import * as m0001 from './0001_foundation.js'
import * as m0002 from './0002_jobs_claim_index.js'

/**
 * Every migration, in order. Listed by hand rather than read from the directory so the
 * compiled build and the TypeScript sources run the same set.
 */
export const migrations: Record<string, Migration> = {
  '0001_foundation': m0001,
  '0002_jobs_claim_index': m0002,
}
