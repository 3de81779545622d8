import { staffUserProblem, type Access, type User } from '../access/index.js'
import type { Db } from '../db/connect.js'
import type { Actor } from '../shared/actor.js'
import { AppError, notFound, type FieldProblem } from '../shared/errors.js'
import type { Incident, IncidentRole } from './model.js'
import * as store from './store.js'

/** What the incident use-cases (service.ts, tasks.ts) check and write alike. */

/** The incident's field that holds each role. */
export const roleFields: Record<IncidentRole, 'commanderId' | 'communicationsLeadId' | 'operationsLeadId'> = {
  commander: 'commanderId',
  communications_lead: 'communicationsLeadId',
  operations_lead: 'operationsLeadId',
}

/** Incidents are the provider's staff data; customers get their own status page (later), never these. */
export function requireStaff(actor: Actor): void {
  if (actor.role === 'customer') throw new AppError('forbidden', "incidents are the provider's staff data")
}

export function closedConflict(incident: Incident): AppError {
  return new AppError('conflict', `incident ${incident.id} is closed: its fields and tasks no longer change (notes and links are still recorded)`)
}

/** The incident, locked for this transaction's changes; not_found when missing or out of scope. */
export async function lockedIncident(trx: Db, actor: Actor, id: string): Promise<Incident> {
  const incident = await store.findIncident(trx, actor.scope, id, { lock: true })
  if (!incident) throw notFound('incident', id)
  return incident
}

export function timelineEntry(incident: Incident, actorLabel: string, at: string, kind: string, text: string, data: unknown = null): store.TimelineInsert {
  return { incidentId: incident.id, at, kind, text, actorLabel, data }
}

export type UserCheck = (fields: Array<[field: string, id: string | null | undefined]>) => Promise<Map<string, User>>

/**
 * Checks the users named in some input as people who may hold a role or a task: they exist, are
 * not disabled and are staff. Call it before the transaction: access reads on its own connection,
 * and SQLite has one (a read there would wait for the transaction forever). Users are never
 * deleted, and the foreign keys refuse an id that is not a user.
 */
export function createUserCheck(access: Pick<Access, 'getUser'>): UserCheck {
  return async (fields) => {
    const users = new Map<string, User>()
    const problems: FieldProblem[] = []
    for (const [field, id] of fields) {
      if (id === null || id === undefined) continue
      const user =
        users.get(id) ??
        (await access.getUser(id).catch((error: unknown) => {
          if (error instanceof AppError && error.kind === 'not_found') return undefined
          throw error
        }))
      const problem = staffUserProblem(user, id)
      if (problem) problems.push({ field, message: problem })
      else users.set(id, user!)
    }
    if (problems.length > 0) throw new AppError('invalid', `invalid user: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`, { problems })
    return users
  }
}
