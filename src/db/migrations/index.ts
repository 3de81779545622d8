import type { Migration } from 'kysely'
import * as m0001 from './0001_foundation.js'
import * as m0002 from './0002_jobs_claim_index.js'
import * as m0003 from './0003_inventory.js'
import * as m0004 from './0004_intel.js'
import * as m0005 from './0005_exposure.js'
import * as m0006 from './0006_endpoint_addresses.js'
import * as m0007 from './0007_hunt.js'
import * as m0008 from './0008_notifications.js'
import * as m0009 from './0009_incidents.js'
import * as m0010 from './0010_alerting.js'
import * as m0011 from './0011_remediation.js'
import * as m0012 from './0012_comms.js'
import * as m0013 from './0013_customer_account_owner.js'
import * as m0014 from './0014_customer_channels.js'
import * as m0015 from './0015_idempotency_keys.js'

/**
 * Every migration, in order. Listed by hand rather than read from the directory so the
 * compiled build and the TypeScript sources run the same set.
 */
export const migrations: Record<string, Migration> = {
  '0001_foundation': m0001,
  '0002_jobs_claim_index': m0002,
  '0003_inventory': m0003,
  '0004_intel': m0004,
  '0005_exposure': m0005,
  '0006_endpoint_addresses': m0006,
  '0007_hunt': m0007,
  '0008_notifications': m0008,
  '0009_incidents': m0009,
  '0010_alerting': m0010,
  '0011_remediation': m0011,
  '0012_comms': m0012,
  '0013_customer_account_owner': m0013,
  '0014_customer_channels': m0014,
  '0015_idempotency_keys': m0015,
}
