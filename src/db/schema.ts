import type { ColumnType } from 'kysely'

/**
 * The TypeScript mirror of the migrations: every table, as the drivers hand rows back.
 * Row types stay inside the stores; models are mapped from them in each store's `toX(row)`.
 */

/** Read: Date on PostgreSQL, ISO text on SQLite. Written as ISO text on both. */
export type Timestamp = ColumnType<Date | string, string, string>
export type NullableTimestamp = ColumnType<Date | string | null, string | null, string | null>
/** Read: parsed on PostgreSQL (jsonb), text on SQLite. Written as JSON text on both. */
export type Json = ColumnType<unknown, string, string>
/** Read: string on PostgreSQL (bigint), number on SQLite. */
export type BigInteger = ColumnType<number | string, number, number>

export interface CustomersTable {
  id: string
  name: string
  name_key: string
  kind: string
  parent_id: string | null
  external_ref: string | null
  notes: string
  created_at: Timestamp
  updated_at: Timestamp
  archived_at: NullableTimestamp
}

export interface CustomerContactsTable {
  id: string
  customer_id: string
  name: string
  email: string
  email_key: string
  role: string
  phone: string | null
  created_at: Timestamp
  updated_at: Timestamp
}

export interface UsersTable {
  id: string
  email: string
  email_key: string
  name: string
  role: string
  customer_id: string | null
  created_at: Timestamp
  updated_at: Timestamp
  disabled_at: NullableTimestamp
}

export interface ApiTokensTable {
  id: string
  name: string
  role: string
  customer_id: string | null
  user_id: string | null
  secret_hash: string
  created_by: string
  created_at: Timestamp
  expires_at: NullableTimestamp
  last_used_at: NullableTimestamp
  revoked_at: NullableTimestamp
}

export interface SettingsTable {
  key: string
  value: Json
  updated_at: Timestamp
}

export interface AuditLogTable {
  seq: BigInteger
  id: string
  at: Timestamp
  actor_kind: string
  actor_id: string
  actor_label: string
  action: string
  target_type: string
  target_id: string
  customer_id: string | null
  details: Json
  prev_hash: string
  hash: string
}

export interface AuditHeadTable {
  id: number
  seq: BigInteger
  hash: string
}

export interface JobsTable {
  id: string
  type: string
  payload: Json
  status: string
  key: string | null
  priority: ColumnType<number, number | undefined, number>
  run_at: Timestamp
  attempts: ColumnType<number, number | undefined, number>
  max_attempts: number
  lease_owner: string | null
  lease_token: string | null
  lease_until: NullableTimestamp
  last_error: string | null
  created_at: Timestamp
  updated_at: Timestamp
  finished_at: NullableTimestamp
}

export interface JobSchedulesTable {
  name: string
  type: string
  payload: Json
  cron: string
  timezone: string
  next_run_at: Timestamp
  last_run_at: NullableTimestamp
  paused_at: NullableTimestamp
  created_at: Timestamp
  updated_at: Timestamp
}

export interface Database {
  customers: CustomersTable
  customer_contacts: CustomerContactsTable
  users: UsersTable
  api_tokens: ApiTokensTable
  settings: SettingsTable
  audit_log: AuditLogTable
  audit_head: AuditHeadTable
  jobs: JobsTable
  job_schedules: JobSchedulesTable
}
