import type { Selectable } from 'kysely'
import type { Db } from '../db/connect.js'
import { toIso, toIsoOrNull, toNumber } from '../db/mappers.js'
import type { CommsNoticesTable, CommsRecipientsTable, CommsTemplatesTable, CommsUpdatesTable } from '../db/schema.js'
import { visibleCustomerIds, type TenantScope } from '../shared/actor.js'
import type { Notice, PublicIncident, Recipient, StatusLink, Template, Update, UpdateState } from './model.js'

const secretKey = 'comms.acknowledgement_secret'

/** The acknowledgement secret: the first caller's value wins, whatever the concurrency. */
export async function claimSecret(db: Db, value: string, at: string): Promise<string> {
  await db
    .insertInto('settings')
    .values({ key: secretKey, value: JSON.stringify(value), updated_at: at })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute()
  const row = await db.selectFrom('settings').select('value').where('key', '=', secretKey).executeTakeFirstOrThrow()
  // jsonb comes back as text too (connect.ts turns pg's JSON parsing off).
  return JSON.parse(String(row.value)) as string
}

export async function insertTemplate(db: Db, template: Template & { nameKey: string }): Promise<void> {
  await db
    .insertInto('comms_templates')
    .values({ id: template.id, name: template.name, name_key: template.nameKey, subject: template.subject, body: template.body, created_at: template.createdAt, updated_at: template.updatedAt })
    .execute()
}

export async function updateTemplate(db: Db, template: Template & { nameKey: string }): Promise<void> {
  await db
    .updateTable('comms_templates')
    .set({ name: template.name, name_key: template.nameKey, subject: template.subject, body: template.body, updated_at: template.updatedAt })
    .where('id', '=', template.id)
    .execute()
}

export async function findTemplate(db: Db, reference: string): Promise<Template | undefined> {
  const row =
    (await db.selectFrom('comms_templates').selectAll().where('id', '=', reference).executeTakeFirst()) ??
    (await db.selectFrom('comms_templates').selectAll().where('name_key', '=', reference.trim().toLowerCase()).executeTakeFirst())
  return row && toTemplate(row)
}

export async function findTemplateByNameKey(db: Db, nameKey: string): Promise<Template | undefined> {
  const row = await db.selectFrom('comms_templates').selectAll().where('name_key', '=', nameKey).executeTakeFirst()
  return row && toTemplate(row)
}

export async function listTemplates(db: Db): Promise<Template[]> {
  return (await db.selectFrom('comms_templates').selectAll().orderBy('name_key').execute()).map(toTemplate)
}

export async function insertNotice(db: Db, notice: Notice, recipients: Recipient[]): Promise<void> {
  await db
    .insertInto('comms_notices')
    .values({
      id: notice.id,
      customer_id: notice.customerId,
      incident_id: notice.incidentId,
      advisory_id: notice.advisoryId,
      template_id: notice.templateId,
      subject: notice.subject,
      text: notice.text,
      html: notice.html,
      owner_id: notice.ownerId,
      reminder_minutes: notice.reminderMinutes,
      escalation_minutes: notice.escalationMinutes,
      expires_at: notice.expiresAt,
      sent_by: notice.sentBy,
      sent_at: notice.sentAt,
    })
    .execute()
  if (recipients.length === 0) return
  await db
    .insertInto('comms_recipients')
    .values(recipients.map((r) => ({ notice_id: r.noticeId, contact_id: r.contactId, name: r.name, email: r.email, notification_id: r.notificationId, acknowledged_at: null, acknowledged_by: null })))
    .execute()
}

export async function findNotice(db: Db, scope: TenantScope, id: string): Promise<Notice | undefined> {
  let select = db.selectFrom('comms_notices').selectAll().where('id', '=', id)
  const visible = visibleCustomerIds(scope)
  if (visible) select = select.where('customer_id', 'in', visible)
  const row = await select.executeTakeFirst()
  return row && toNotice(row)
}

export async function listNotices(db: Db, scope: TenantScope, filter: { incidentId?: string | undefined; advisoryId?: string | undefined; customerId?: string | undefined }): Promise<Notice[]> {
  let select = db.selectFrom('comms_notices').selectAll().orderBy('sent_at', 'desc').orderBy('id', 'desc').limit(1000)
  const visible = visibleCustomerIds(scope)
  if (visible) select = select.where('customer_id', 'in', visible)
  if (filter.incidentId) select = select.where('incident_id', '=', filter.incidentId)
  if (filter.advisoryId) select = select.where('advisory_id', '=', filter.advisoryId)
  if (filter.customerId) select = select.where('customer_id', '=', filter.customerId)
  return (await select.execute()).map(toNotice)
}

export async function listRecipients(db: Db, noticeId: string): Promise<Recipient[]> {
  return (await db.selectFrom('comms_recipients').selectAll().where('notice_id', '=', noticeId).orderBy('email').execute()).map(toRecipient)
}

export async function findRecipient(db: Db, noticeId: string, contactId: string): Promise<Recipient | undefined> {
  const row = await db.selectFrom('comms_recipients').selectAll().where('notice_id', '=', noticeId).where('contact_id', '=', contactId).executeTakeFirst()
  return row && toRecipient(row)
}

/** Records the acknowledgement unless one is there already; true when this call recorded it. */
export async function acknowledge(db: Db, noticeId: string, contactId: string, by: string, at: string): Promise<boolean> {
  const result = await db
    .updateTable('comms_recipients')
    .set({ acknowledged_at: at, acknowledged_by: by })
    .where('notice_id', '=', noticeId)
    .where('contact_id', '=', contactId)
    .where('acknowledged_at', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

export async function insertUpdate(db: Db, update: Update): Promise<void> {
  await db
    .insertInto('comms_updates')
    .values({ id: update.id, incident_id: update.incidentId, state: update.state, text: update.text, public: update.public ? 1 : 0, created_by: update.createdBy, created_at: update.createdAt })
    .execute()
}

export async function listUpdates(db: Db, incidentIds: readonly string[], options: { publicOnly?: boolean } = {}): Promise<Update[]> {
  if (incidentIds.length === 0) return []
  let select = db.selectFrom('comms_updates').selectAll().where('incident_id', 'in', [...incidentIds]).orderBy('created_at', 'desc').orderBy('id', 'desc')
  if (options.publicOnly) select = select.where('public', '=', 1)
  return (await select.execute()).map(toUpdate)
}

export async function savePublicIncident(db: Db, incident: PublicIncident): Promise<void> {
  await db
    .insertInto('comms_public_incidents')
    .values({ incident_id: incident.incidentId, title: incident.title, published_at: incident.publishedAt, withdrawn_at: incident.withdrawnAt })
    .onConflict((oc) => oc.column('incident_id').doUpdateSet({ title: incident.title, published_at: incident.publishedAt, withdrawn_at: incident.withdrawnAt }))
    .execute()
}

export async function findPublicIncident(db: Db, incidentId: string): Promise<PublicIncident | undefined> {
  const row = await db.selectFrom('comms_public_incidents').selectAll().where('incident_id', '=', incidentId).executeTakeFirst()
  return row && { incidentId: row.incident_id, title: row.title, publishedAt: toIso(row.published_at), withdrawnAt: toIsoOrNull(row.withdrawn_at) }
}

export async function listPublicIncidents(db: Db): Promise<PublicIncident[]> {
  const rows = await db.selectFrom('comms_public_incidents').selectAll().where('withdrawn_at', 'is', null).orderBy('published_at', 'desc').limit(100).execute()
  return rows.map((row) => ({ incidentId: row.incident_id, title: row.title, publishedAt: toIso(row.published_at), withdrawnAt: null }))
}

export async function insertStatusLink(db: Db, link: StatusLink, tokenHash: string): Promise<void> {
  await db
    .insertInto('comms_status_links')
    .values({ id: link.id, customer_id: link.customerId, token_hash: tokenHash, created_by: link.createdBy, created_at: link.createdAt, revoked_at: null })
    .execute()
}

export async function revokeStatusLinks(db: Db, customerId: string, at: string): Promise<number> {
  const result = await db.updateTable('comms_status_links').set({ revoked_at: at }).where('customer_id', '=', customerId).where('revoked_at', 'is', null).executeTakeFirst()
  return Number(result.numUpdatedRows)
}

export async function findLiveStatusLink(db: Db, tokenHash: string): Promise<StatusLink | undefined> {
  const row = await db.selectFrom('comms_status_links').selectAll().where('token_hash', '=', tokenHash).where('revoked_at', 'is', null).executeTakeFirst()
  return row && { id: row.id, customerId: row.customer_id, createdBy: row.created_by, createdAt: toIso(row.created_at), revokedAt: null }
}

function toTemplate(row: Selectable<CommsTemplatesTable>): Template {
  return { id: row.id, name: row.name, subject: row.subject, body: row.body, createdAt: toIso(row.created_at), updatedAt: toIso(row.updated_at) }
}

function toNotice(row: Selectable<CommsNoticesTable>): Notice {
  return {
    id: row.id,
    customerId: row.customer_id,
    incidentId: row.incident_id,
    advisoryId: row.advisory_id,
    templateId: row.template_id,
    subject: row.subject,
    text: row.text,
    html: row.html,
    ownerId: row.owner_id,
    reminderMinutes: toNumber(row.reminder_minutes),
    escalationMinutes: toNumber(row.escalation_minutes),
    expiresAt: toIso(row.expires_at),
    sentBy: row.sent_by,
    sentAt: toIso(row.sent_at),
  }
}

function toRecipient(row: Selectable<CommsRecipientsTable>): Recipient {
  return {
    noticeId: row.notice_id,
    contactId: row.contact_id,
    name: row.name,
    email: row.email,
    notificationId: row.notification_id,
    acknowledgedAt: toIsoOrNull(row.acknowledged_at),
    acknowledgedBy: row.acknowledged_by,
  }
}

function toUpdate(row: Selectable<CommsUpdatesTable>): Update {
  return { id: row.id, incidentId: row.incident_id, state: row.state as UpdateState, text: row.text, public: toNumber(row.public) === 1, createdBy: row.created_by, createdAt: toIso(row.created_at) }
}
