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
  /** A user id (access); checked by the service, no foreign key. */
  account_owner_id: string | null
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

export interface EndpointsTable {
  seq: ColumnType<number | string, number | undefined, never>
  id: string
  customer_id: string
  kind: string
  identifier: string
  identifier_key: string
  hostname: string | null
  platform: string | null
  os_name: string | null
  os_version: string | null
  hardware_serial: string | null
  hardware_uuid: string | null
  first_seen: Timestamp
  last_seen: Timestamp
  created_at: Timestamp
  updated_at: Timestamp
}

export interface SoftwareCatalogTable {
  id: ColumnType<number | string, number | undefined, never>
  key: string
  vendor: string
  vendor_key: string
  product: string
  product_key: string
  version: string
  platform: string
  ecosystem: string | null
  source_key: string | null
  purl: string | null
  cpe: string | null
  created_at: Timestamp
}

export interface InstallationsTable {
  endpoint_seq: BigInteger
  catalog_id: BigInteger
  source: string
  first_seen: Timestamp
  last_seen: Timestamp
  removed_at: NullableTimestamp
}

export interface EndpointSourcesTable {
  endpoint_id: string
  source: string
  last_snapshot_at: Timestamp
}

export interface InventoryImportsTable {
  id: string
  file: string
  format: string
  actor_id: string
  started_at: Timestamp
  finished_at: Timestamp
  accepted: BigInteger
  rejected: BigInteger
  endpoints: BigInteger
  report: Json
}

export interface InventoryImportEndpointsTable {
  import_id: string
  endpoint_id: string
}

export interface ExposureMatchesTable {
  advisory_id: string
  catalog_id: BigInteger
  matched_at: Timestamp
}

export interface FindingsTable {
  id: ColumnType<number | string, number | undefined, never>
  endpoint_id: string
  customer_id: string
  advisory_id: string
  catalog_id: BigInteger
  status: string
  detected_at: Timestamp
  installed_since: Timestamp
  resolved_at: NullableTimestamp
  resolution: string | null
  evidence: ColumnType<unknown, string | null, string | null>
  reopened_count: ColumnType<number, number | undefined, number>
  reopened_at: NullableTimestamp
  triage_reason: string | null
  accepted_until: NullableTimestamp
  triaged_by: string | null
  triaged_at: NullableTimestamp
  updated_at: Timestamp
}

export interface FindingEventsTable {
  id: ColumnType<number | string, number | undefined, never>
  finding_id: BigInteger
  at: Timestamp
  event: string
  detail: Json
}

export interface AdvisoriesTable {
  id: string
  source_kind: string
  external_id: string
  aliases: Json
  title: string
  summary: string
  details: string
  severity: string
  published_at: NullableTimestamp
  modified_at: NullableTimestamp
  withdrawn_at: NullableTimestamp
  reference_links: Json
  remediation: ColumnType<unknown, string | null, string | null>
  source: string
  content_hash: string
  search_text: string
  sort_at: Timestamp
  imported_at: Timestamp
  updated_at: Timestamp
}

export interface AdvisoryTargetsTable {
  id: string
  advisory_id: string
  position: number
  ecosystem: string | null
  vendor: string
  vendor_key: string
  product: string
  product_key: string
  platform: string | null
  versions: Json
  ranges: Json
}

export interface IndicatorsTable {
  id: string
  kind: string
  value: string
  description: string
  source: string
  confidence: string
  advisory_id: string | null
  tags: Json
  valid_from: NullableTimestamp
  valid_until: NullableTimestamp
  created_at: Timestamp
  updated_at: Timestamp
}

export interface EndpointAddressesTable {
  endpoint_id: string
  address: string
  first_seen: Timestamp
  last_seen: Timestamp
}

export interface HuntsTable {
  id: string
  kind: string
  status: string
  customer_id: string | null
  actor_id: string
  inputs: Json
  started_at: Timestamp
  finished_at: NullableTimestamp
  report: ColumnType<unknown, string | null, string | null>
  error: string | null
}

export interface SightingsTable {
  id: ColumnType<number | string, number | undefined, never>
  hunt_id: string
  indicator_id: string
  kind: string
  value: string
  customer_id: string | null
  endpoint_id: string | null
  file: string
  line: ColumnType<number | string | null, number | null, number | null>
  seen_at: NullableTimestamp
  client: string | null
  sha256: string | null
  detail: string | null
  created_at: Timestamp
}

export interface CustomerNetworksTable {
  customer_id: string
  network: string
  label: string | null
  created_at: Timestamp
}

export interface NotificationChannelsTable {
  id: string
  name: string
  name_key: string
  kind: string
  preset: string | null
  address: string | null
  url: string | null
  secret: string | null
  created_at: Timestamp
  updated_at: Timestamp
  disabled_at: NullableTimestamp
  /** The customer the channel belongs to; null for the provider's own. */
  customer_id: string | null
}

export interface NotificationsTable {
  id: string
  idempotency_key: string
  kind: string
  channel_id: string | null
  channel_name: string | null
  recipient: string
  recipient_name: string | null
  subject: string
  text: string
  html: string | null
  event: ColumnType<unknown, string | null, string | null>
  status: string
  attempts: ColumnType<number, number | undefined, number>
  last_error: string | null
  customer_id: string | null
  incident_id: string | null
  alert_id: string | null
  created_at: Timestamp
  updated_at: Timestamp
  delivered_at: NullableTimestamp
}

export interface NotificationAttemptsTable {
  notification_id: string
  attempt: number
  started_at: Timestamp
  finished_at: Timestamp
  outcome: string
  detail: string | null
  error: string | null
}

export interface AlertIntegrationsTable {
  id: string
  name: string
  kind: string
  source: string
  customer_id: string | null
  secret_hash: string
  created_at: Timestamp
  disabled_at: NullableTimestamp
}

export interface EscalationPoliciesTable {
  id: string
  name: string
  steps: Json
  repeats: number
  created_at: Timestamp
  updated_at: Timestamp
}

export interface OncallSchedulesTable {
  id: string
  name: string
  definition: Json
  created_at: Timestamp
  updated_at: Timestamp
}

export interface OncallOverridesTable {
  id: string
  schedule_id: string
  user_id: string
  starts_at: Timestamp
  ends_at: Timestamp
  created_at: Timestamp
}

export interface AlertRoutesTable {
  id: string
  name: string
  position: number
  conditions: Json
  policy_id: string | null
  incident: Json
  group_by: Json
  group_window_seconds: number
  auto_resolve_minutes: number | null
  created_at: Timestamp
  updated_at: Timestamp
}

export interface AlertsTable {
  id: string
  dedup_key: string
  status: string
  source: string
  summary: string
  severity: string
  customer_id: string | null
  labels: Json
  details: Json
  count: number
  first_seen_at: Timestamp
  last_seen_at: Timestamp
  acknowledged_at: NullableTimestamp
  acknowledged_by: string | null
  resolved_at: NullableTimestamp
  resolved_by: string | null
  resolution: string | null
  route_id: string | null
  policy_id: string | null
  group_key: string | null
  group_leader_id: string | null
  incident_id: string | null
  created_at: Timestamp
  updated_at: Timestamp
}

export interface AlertPagesTable {
  id: string
  alert_id: string
  round: number
  step: number
  target: Json
  user_id: string | null
  notification_id: string | null
  outcome: string
  created_at: Timestamp
}

export interface AlertIntakeKeysTable {
  key: string
  alert_id: string
  response: Json
  created_at: Timestamp
}

export interface PlaybooksTable {
  id: string
  slug: string
  name: string
  description: string
  tasks: Json
  source: string
  content_hash: string
  created_at: Timestamp
  updated_at: Timestamp
}

export interface IncidentsTable {
  id: string
  title: string
  summary: string
  severity: string
  status: string
  commander_id: string | null
  communications_lead_id: string | null
  operations_lead_id: string | null
  opened_at: Timestamp
  opened_by: string
  acknowledged_at: NullableTimestamp
  contained_at: NullableTimestamp
  resolved_at: NullableTimestamp
  closed_at: NullableTimestamp
  updated_at: Timestamp
}

export interface IncidentLinksTable {
  incident_id: string
  kind: string
  target_id: string
  created_at: Timestamp
  created_by: string
}

export interface IncidentTimelineTable {
  id: ColumnType<number | string, number | undefined, never>
  incident_id: string
  at: Timestamp
  kind: string
  text: string
  actor_label: string
  data: ColumnType<unknown, string | null, string | null>
}

export interface IncidentTasksTable {
  id: string
  incident_id: string
  position: number
  title: string
  description: string
  role: string | null
  assignee_id: string | null
  due_at: NullableTimestamp
  status: string
  playbook_id: string | null
  created_at: Timestamp
  updated_at: Timestamp
  completed_at: NullableTimestamp
}

export interface RemediationCampaignsTable {
  id: string
  title: string
  advisory_ids: Json
  incident_id: string | null
  actions: Json
  deadline: NullableTimestamp
  created_by: string
  created_at: Timestamp
  updated_at: Timestamp
}

export interface RemediationTasksTable {
  id: string
  campaign_id: string
  customer_id: string
  endpoint_id: string
  action_index: number
  action: string
  product_key: string
  product: string | null
  target_version: string | null
  title: string
  state: string
  state_at: Timestamp
  evidence: ColumnType<unknown, string | null, string | null>
  exempt_reason: string | null
  exempt_approver: string | null
  reopened_count: ColumnType<number, number | undefined, number>
  created_at: Timestamp
  updated_at: Timestamp
}

export interface RemediationScansTable {
  id: string
  import_id: string
  customer_id: string
  endpoint_id: string
  product: string
  file: string
  line: number
  started_at: NullableTimestamp
  finished_at: Timestamp
  scanned_files: ColumnType<number | string | null, number | null, number | null>
  infected_files: BigInteger
  result: string
  detections: Json
  actor_id: string
  created_at: Timestamp
}

export interface CommsTemplatesTable {
  id: string
  name: string
  name_key: string
  subject: string
  body: string
  created_at: Timestamp
  updated_at: Timestamp
}

export interface CommsNoticesTable {
  id: string
  customer_id: string
  incident_id: string | null
  advisory_id: string | null
  template_id: string
  subject: string
  text: string
  html: string
  owner_id: string | null
  reminder_minutes: number
  escalation_minutes: number
  expires_at: Timestamp
  sent_by: string
  sent_at: Timestamp
}

export interface CommsRecipientsTable {
  notice_id: string
  contact_id: string
  name: string
  email: string
  notification_id: string
  acknowledged_at: NullableTimestamp
  acknowledged_by: string | null
}

export interface CommsUpdatesTable {
  id: string
  incident_id: string
  state: string
  text: string
  public: number
  created_by: string
  created_at: Timestamp
}

export interface CommsPublicIncidentsTable {
  incident_id: string
  title: string
  published_at: Timestamp
  withdrawn_at: NullableTimestamp
}

export interface CommsStatusLinksTable {
  id: string
  customer_id: string
  token_hash: string
  created_by: string
  created_at: Timestamp
  revoked_at: NullableTimestamp
}

export interface IdempotencyKeysTable {
  operation: string
  key: string
  fingerprint: string
  /** JSON: the first answer. */
  answer: string
  actor_id: string
  created_at: Timestamp
}

export interface Database {
  customers: CustomersTable
  idempotency_keys: IdempotencyKeysTable
  customer_contacts: CustomerContactsTable
  users: UsersTable
  api_tokens: ApiTokensTable
  settings: SettingsTable
  audit_log: AuditLogTable
  audit_head: AuditHeadTable
  jobs: JobsTable
  job_schedules: JobSchedulesTable
  endpoints: EndpointsTable
  software_catalog: SoftwareCatalogTable
  installations: InstallationsTable
  endpoint_sources: EndpointSourcesTable
  inventory_imports: InventoryImportsTable
  inventory_import_endpoints: InventoryImportEndpointsTable
  exposure_matches: ExposureMatchesTable
  findings: FindingsTable
  finding_events: FindingEventsTable
  advisories: AdvisoriesTable
  advisory_targets: AdvisoryTargetsTable
  indicators: IndicatorsTable
  endpoint_addresses: EndpointAddressesTable
  hunts: HuntsTable
  sightings: SightingsTable
  customer_networks: CustomerNetworksTable
  notification_channels: NotificationChannelsTable
  notifications: NotificationsTable
  notification_attempts: NotificationAttemptsTable
  alert_integrations: AlertIntegrationsTable
  escalation_policies: EscalationPoliciesTable
  oncall_schedules: OncallSchedulesTable
  oncall_overrides: OncallOverridesTable
  alert_routes: AlertRoutesTable
  alerts: AlertsTable
  alert_pages: AlertPagesTable
  alert_intake_keys: AlertIntakeKeysTable
  playbooks: PlaybooksTable
  incidents: IncidentsTable
  incident_links: IncidentLinksTable
  incident_timeline: IncidentTimelineTable
  incident_tasks: IncidentTasksTable
  remediation_campaigns: RemediationCampaignsTable
  remediation_tasks: RemediationTasksTable
  remediation_scans: RemediationScansTable
  comms_templates: CommsTemplatesTable
  comms_notices: CommsNoticesTable
  comms_recipients: CommsRecipientsTable
  comms_updates: CommsUpdatesTable
  comms_public_incidents: CommsPublicIncidentsTable
  comms_status_links: CommsStatusLinksTable
}
