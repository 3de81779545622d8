import Type from 'typebox'
import type { Audit } from '../audit/index.js'
import type { Db } from '../db/connect.js'
import type { Actor } from '../shared/actor.js'
import type { Clock } from '../shared/clock.js'
import { AppError, notFound } from '../shared/errors.js'
import { newId } from '../shared/ids.js'
import { parseInput } from '../shared/validate.js'
import { closedConflict, lockedIncident, requireStaff, roleFields, timelineEntry, type UserCheck } from './checks.js'
import { TaskInputSchema, TaskPatchSchema, tidyLine, type Incident, type IncidentTask, type Playbook } from './model.js'
import type { Playbooks } from './playbooks.js'
import * as store from './store.js'

export interface TasksDeps {
  db: Db
  clock: Clock
  audit: Audit
  checkUsers: UserCheck
  playbooks: Pick<Playbooks, 'resolveIn'>
}

/** An incident's tasks: added by hand or from a playbook, assigned, due, done or skipped. */
export function createTasks({ db, clock, audit, checkUsers, playbooks }: TasksDeps) {
  async function listTasks(actor: Actor, incidentId: string): Promise<IncidentTask[]> {
    requireStaff(actor)
    const incident = await store.findIncident(db, actor.scope, incidentId)
    if (!incident) throw notFound('incident', incidentId)
    return store.listTasks(db, incidentId)
  }

  async function addTask(actor: Actor, incidentId: string, input: unknown): Promise<IncidentTask> {
    requireStaff(actor)
    const data = parseInput(TaskInputSchema, input, 'task')
    if (data.dueAt != null && data.dueInMinutes !== undefined) {
      throw new AppError('invalid', 'give dueAt or dueInMinutes, not both', { problems: [{ field: 'dueInMinutes', message: 'dueAt is given too' }] })
    }
    const users = await checkUsers([['assigneeId', data.assigneeId]])
    return db.transaction().execute(async (trx) => {
      const incident = await lockedIncident(trx, actor, incidentId)
      if (incident.status === 'closed') throw closedConflict(incident)
      const now = clock.now()
      const role = data.role ?? null
      const task: IncidentTask = {
        id: newId(),
        incidentId,
        position: await store.nextTaskPosition(trx, incidentId),
        title: tidyLine(data.title),
        description: data.description?.trim() ?? '',
        role,
        assigneeId: data.assigneeId ?? (role === null ? null : incident[roleFields[role]]),
        dueAt: data.dueAt != null ? new Date(data.dueAt).toISOString() : data.dueInMinutes !== undefined ? new Date(now.getTime() + data.dueInMinutes * 60_000).toISOString() : null,
        status: 'open',
        playbookId: null,
        createdAt: now.toISOString(),
        updatedAt: now.toISOString(),
        completedAt: null,
      }
      await store.insertTasks(trx, [task])
      const assignee = task.assigneeId === null ? '' : ` (assigned to ${users.get(task.assigneeId)?.name ?? task.assigneeId})`
      await store.insertTimeline(trx, [timelineEntry(incident, actor.label, task.createdAt, 'task', `Task added: ${task.title}${assignee}`, { taskId: task.id })])
      await audit.record(trx, actor, { action: 'incident.task_added', targetType: 'incident', targetId: incidentId, details: { taskId: task.id, title: task.title, assigneeId: task.assigneeId, dueAt: task.dueAt } })
      return task
    })
  }

  async function updateTask(actor: Actor, incidentId: string, taskId: string, patch: unknown): Promise<IncidentTask> {
    requireStaff(actor)
    const data = parseInput(TaskPatchSchema, patch, 'task change')
    const users = await checkUsers([['assigneeId', data.assigneeId]])
    return db.transaction().execute(async (trx) => {
      const incident = await lockedIncident(trx, actor, incidentId)
      const task = await store.findTask(trx, incidentId, taskId)
      if (!task) throw notFound('task', taskId)
      const now = clock.now().toISOString()
      const changes: Parameters<typeof store.updateTask>[2] = {}
      const said: string[] = []
      const title = data.title === undefined ? undefined : tidyLine(data.title)
      if (title !== undefined && title !== task.title) {
        changes.title = title
        said.push(`renamed from "${task.title}"`)
      }
      const description = data.description?.trim()
      if (description !== undefined && description !== task.description) {
        changes.description = description
        said.push('description updated')
      }
      if (data.assigneeId !== undefined && data.assigneeId !== task.assigneeId) {
        changes.assigneeId = data.assigneeId
        said.push(data.assigneeId === null ? 'unassigned' : `assigned to ${users.get(data.assigneeId)?.name ?? data.assigneeId}`)
      }
      const dueAt = data.dueAt == null ? data.dueAt : new Date(data.dueAt).toISOString()
      if (dueAt !== undefined && dueAt !== task.dueAt) {
        changes.dueAt = dueAt
        said.push(dueAt === null ? 'no longer due' : `due ${dueAt}`)
      }
      if (data.status !== undefined && data.status !== task.status) {
        changes.status = data.status
        changes.completedAt = data.status === 'open' ? null : now
        said.push(data.status === 'open' ? 'reopened' : data.status)
      }
      if (said.length === 0) return task
      if (incident.status === 'closed') throw closedConflict(incident)
      changes.updatedAt = now
      await store.updateTask(trx, taskId, changes)
      await store.insertTimeline(trx, [timelineEntry(incident, actor.label, now, 'task', `Task "${changes.title ?? task.title}": ${said.join('; ')}`, { taskId, ...(changes.status && { status: changes.status }) })])
      await audit.record(trx, actor, { action: 'incident.task_updated', targetType: 'incident', targetId: incidentId, details: { taskId, changes: said } })
      return { ...task, ...changes }
    })
  }

  /** Applies a playbook (by slug or id): its tasks, in order, due from now, assigned to the holders of their roles. */
  async function applyPlaybook(actor: Actor, incidentId: string, reference: string): Promise<IncidentTask[]> {
    requireStaff(actor)
    const { playbook: checked } = parseInput(Type.Object({ playbook: Type.String({ minLength: 1, maxLength: 100 }) }), { playbook: reference }, 'playbook')
    return db.transaction().execute(async (trx) => {
      const incident = await lockedIncident(trx, actor, incidentId)
      const playbook = await playbooks.resolveIn(trx, checked, 'playbook')
      return applyChecked(trx, actor, incident, playbook)
    })
  }

  async function applyChecked(trx: Db, actor: Actor, incident: Incident, playbook: Playbook): Promise<IncidentTask[]> {
    if (incident.status === 'closed') throw closedConflict(incident)
    if (await store.hasTasksFrom(trx, incident.id, playbook.id)) throw new AppError('conflict', `playbook ${playbook.slug} is already applied to incident ${incident.id}`, { problems: [{ field: 'playbook', message: 'already applied' }] })
    const now = clock.now()
    const first = await store.nextTaskPosition(trx, incident.id)
    const tasks = playbook.tasks.map((template, index): IncidentTask => ({
      id: newId(),
      incidentId: incident.id,
      position: first + index,
      title: template.title,
      description: template.description,
      role: template.role,
      assigneeId: template.role === null ? null : incident[roleFields[template.role]],
      dueAt: template.dueInMinutes === null ? null : new Date(now.getTime() + template.dueInMinutes * 60_000).toISOString(),
      status: 'open',
      playbookId: playbook.id,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      completedAt: null,
    }))
    await store.insertTasks(trx, tasks)
    await store.insertTimeline(trx, [timelineEntry(incident, actor.label, now.toISOString(), 'playbook', `Applied playbook ${playbook.name}: ${tasks.length} tasks`, { playbookId: playbook.id, slug: playbook.slug, tasks: tasks.map((t) => t.id) })])
    await audit.record(trx, actor, { action: 'incident.playbook_applied', targetType: 'incident', targetId: incident.id, details: { playbookId: playbook.id, slug: playbook.slug, tasks: tasks.length } })
    return tasks
  }

  return { listTasks, addTask, updateTask, applyPlaybook, applyIn: applyChecked }
}
