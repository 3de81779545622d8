import { writeFileSync } from 'node:fs'
import type { Command } from 'commander'
import type { CliDoor } from '../cli/door.js'
import { AppError } from '../shared/errors.js'
import type { IncidentDetail, IncidentTask, Playbook, TimelineEntry } from './model.js'

/** `cordon incident …` and `cordon playbook …`: running an incident from the command line. */
export function registerIncidentCommands(program: Command, door: CliDoor): void {
  const incident = program.command('incident').description('incidents: open, update, tasks, notes, links, reports')

  door
    .common(incident.command('open').description('open an incident'))
    .requiredOption('--title <title>', 'one line, up to 200 characters')
    .requiredOption('--severity <severity>', 'SEV1 (worst) to SEV4')
    .option('--summary <text>', 'what is known so far')
    .option('--playbook <playbook>', 'apply a playbook (slug or id), e.g. vendor-supply-chain-compromise')
    .option('--customer <customer...>', 'affected customers (id, external ref or name)')
    .option('--commander <user>', 'the incident commander (user id)')
    .action(
      door.action(async ({ services, actor }, _args, options) => {
        const opened = await services.incidents.open(actor, {
          title: options.title,
          severity: String(options.severity).toUpperCase(),
          ...(options.summary !== undefined && { summary: options.summary }),
          ...(options.playbook !== undefined && { playbook: options.playbook }),
          ...(options.customer !== undefined && { customerIds: options.customer }),
          ...(options.commander !== undefined && { commanderId: options.commander }),
        })
        const detail = await services.incidents.get(actor, opened.id)
        return { data: detail, human: `opened ${detail.severity} incident ${detail.id}: ${detail.title}${detail.tasks.length > 0 ? ` (${detail.tasks.length} tasks)` : ''}` }
      }),
    )

  door
    .common(incident.command('list').description('list incidents, newest first'))
    .option('--status <status>', 'triage, active, contained, resolved or closed')
    .option('--severity <severity>', 'SEV1 to SEV4')
    .option('--customer <customer>', 'incidents linked to this customer (id, external ref or name)')
    .option('--limit <n>', 'page size', '50')
    .option('--cursor <cursor>', 'continue from a previous page')
    .action(
      door.action(async ({ services, actor }, _args, options) => {
        const customer = typeof options.customer === 'string' ? await services.customers.resolve(actor.scope, options.customer) : undefined
        const page = await services.incidents.list(actor, {
          status: options.status as string | undefined,
          severity: typeof options.severity === 'string' ? options.severity.toUpperCase() : undefined,
          customerId: customer?.id,
          limit: door.pageSize(options.limit),
          cursor: options.cursor as string | undefined,
        })
        const human = door.pageTable(page, [
          ['id', (i) => i.id],
          ['severity', (i) => i.severity],
          ['status', (i) => i.status],
          ['opened', (i) => i.openedAt],
          ['title', (i) => i.title.slice(0, 80)],
        ])
        return { data: page, human }
      }),
    )

  door
    .common(incident.command('show').argument('<incident>', 'incident id').description('an incident with its roles, links, tasks and timeline'))
    .action(
      door.action(async ({ services, actor }, [id]) => {
        const detail = await services.incidents.get(actor, id!)
        const timeline = await services.incidents.timeline(actor, detail.id, { limit: 500 })
        return { data: { ...detail, timeline: timeline.items }, human: describe(door, detail, timeline.items, timeline.nextCursor !== null) }
      }),
    )

  door
    .common(incident.command('update').argument('<incident>', 'incident id').description('change an incident'))
    .option('--title <title>', 'new title')
    .option('--summary <text>', 'new summary')
    .option('--severity <severity>', 'SEV1 to SEV4')
    .option('--status <status>', 'triage, active, contained, resolved or closed (resolved or contained may go back to active)')
    .option('--commander <user>', 'user id; "none" to unassign')
    .option('--communications-lead <user>', 'user id; "none" to unassign')
    .option('--operations-lead <user>', 'user id; "none" to unassign')
    .action(
      door.action(async ({ services, actor }, [id], options) => {
        const user = (value: unknown) => (value === 'none' ? null : value)
        const patch = {
          ...(options.title !== undefined && { title: options.title }),
          ...(options.summary !== undefined && { summary: options.summary }),
          ...(typeof options.severity === 'string' && { severity: options.severity.toUpperCase() }),
          ...(options.status !== undefined && { status: options.status }),
          ...(options.commander !== undefined && { commanderId: user(options.commander) }),
          ...(options.communicationsLead !== undefined && { communicationsLeadId: user(options.communicationsLead) }),
          ...(options.operationsLead !== undefined && { operationsLeadId: user(options.operationsLead) }),
        }
        if (Object.keys(patch).length === 0) throw new AppError('invalid', 'nothing to change: give at least one option')
        const updated = await services.incidents.update(actor, id!, patch)
        return { data: updated, human: `updated incident ${updated.id}: ${updated.severity}, ${updated.status}` }
      }),
    )

  door
    .common(
      incident
        .command('task')
        .argument('<incident>', 'incident id')
        .argument('<action>', 'add, done, skip, reopen or list')
        .argument('[task]', 'task id (for done, skip and reopen)')
        .description("an incident's tasks: add one, mark one done or skipped, or list them"),
    )
    .option('--title <title>', 'add: what to do')
    .option('--description <text>', 'add: how to do it')
    .option('--assignee <user>', 'add: who does it (user id)')
    .option('--role <role>', 'add: commander, communications_lead or operations_lead (its holder is assigned)')
    .option('--due <when>', 'add: an ISO-8601 time, or from now: 30m, 4h, 2d')
    .action(
      door.action(async ({ services, actor }, [id, action, taskId], options) => {
        const incidents = services.incidents
        if (action === 'list') {
          const tasks = await incidents.listTasks(actor, id!)
          return { data: tasks, human: taskTable(door, tasks) }
        }
        if (action === 'add') {
          if (typeof options.title !== 'string') throw new AppError('invalid', 'task add needs --title', { problems: [{ field: '--title', message: 'required' }] })
          const due = typeof options.due === 'string' ? dueOf(options.due) : {}
          const task = await incidents.addTask(actor, id!, {
            title: options.title,
            ...(options.description !== undefined && { description: options.description }),
            ...(options.assignee !== undefined && { assigneeId: options.assignee }),
            ...(options.role !== undefined && { role: options.role }),
            ...due,
          })
          return { data: task, human: `added task ${task.position} (${task.id}): ${task.title}` }
        }
        const status = ({ done: 'done', skip: 'skipped', reopen: 'open' } as const)[action as 'done' | 'skip' | 'reopen']
        if (status === undefined) throw new AppError('invalid', `unknown task action ${action}: use add, done, skip, reopen or list`, { problems: [{ field: 'action', message: 'add, done, skip, reopen or list' }] })
        if (taskId === undefined) throw new AppError('invalid', `task ${action} needs the task id`, { problems: [{ field: 'task', message: 'required' }] })
        const task = await incidents.updateTask(actor, id!, taskId, { status })
        return { data: task, human: `task ${task.position} (${task.title}): ${task.status}` }
      }),
    )

  door
    .common(incident.command('note').argument('<incident>', 'incident id').argument('<text...>', 'the note').description('add a note to the timeline'))
    .action(
      door.action(async ({ services, actor }, [id, ...words]) => {
        const entry = await services.incidents.addNote(actor, id!, words.join(' '))
        return { data: entry, human: `noted on incident ${id} at ${entry.at}` }
      }),
    )

  door
    .common(incident.command('link').argument('<incident>', 'incident id').argument('<kind>', 'alert, customer, advisory, finding or sighting').argument('<target>', 'its id (a customer or advisory may be named)').description('link an item to an incident'))
    .action(
      door.action(async ({ services, actor }, [id, kind, target]) => {
        const link = await services.incidents.link(actor, id!, { kind, targetId: target })
        return { data: link, human: `linked ${link.kind} ${link.targetId} to incident ${id}` }
      }),
    )

  door
    .common(incident.command('playbook').argument('<incident>', 'incident id').argument('<playbook>', 'slug or id').description("apply a playbook's tasks to an incident"))
    .action(
      door.action(async ({ services, actor }, [id, playbook]) => {
        const tasks = await services.incidents.applyPlaybook(actor, id!, playbook!)
        return { data: tasks, human: `added ${tasks.length} tasks\n${taskTable(door, tasks)}` }
      }),
    )

  door
    .common(incident.command('report').argument('<incident>', 'incident id').description('the post-incident report'))
    .option('--format <format>', 'md (Markdown) or html', 'md')
    .option('--output <file>', 'write it to this file instead of standard output')
    .action(
      door.action(async ({ services, actor }, [id], options) => {
        const format = options.format === 'md' || options.format === 'markdown' ? 'markdown' : options.format === 'html' ? 'html' : undefined
        if (format === undefined) throw new AppError('invalid', `--format ${String(options.format)}: use md or html`, { problems: [{ field: '--format', message: 'md or html' }] })
        const report = await services.incidents.report(actor, id!, format)
        if (typeof options.output === 'string') {
          writeFileSync(options.output, report)
          return { data: { incidentId: id, format, output: options.output, bytes: Buffer.byteLength(report) }, human: `wrote ${options.output}` }
        }
        return { data: { incidentId: id, format, report }, human: report.trimEnd() }
      }),
    )

  const playbook = program.command('playbook').description('playbooks: named task templates applied to incidents')

  door
    .common(playbook.command('list').description('list playbooks'))
    .action(
      door.action(async ({ services, actor }) => {
        const playbooks = await services.incidents.listPlaybooks(actor)
        return { data: playbooks, human: door.table(playbooks, [['slug', (p) => p.slug], ['name', (p) => p.name], ['tasks', (p) => p.tasks.length], ['source', (p) => p.source], ['id', (p) => p.id]]) }
      }),
    )

  door
    .common(playbook.command('show').argument('<playbook>', 'slug or id').description('a playbook and its tasks'))
    .action(
      door.action(async ({ services, actor }, [reference]) => {
        const found = await services.incidents.getPlaybook(actor, reference!)
        return { data: found, human: describePlaybook(door, found) }
      }),
    )

  door
    .common(playbook.command('save').argument('<file>', 'a JSON file: { slug, name, description, tasks: [{ title, description, role, dueInMinutes }] }').description('save a custom playbook (replaces the one with its slug)'))
    .action(
      door.action(async ({ services, actor }, [file]) => {
        const input = await door.readJsonFile(file!)
        const saved = await services.incidents.savePlaybook(actor, input)
        return { data: saved, human: `saved playbook ${saved.slug} (${saved.tasks.length} tasks)` }
      }),
    )
}

/** `--due`: a time, or minutes, hours or days from now (the service reads its clock). */
function dueOf(text: string): { dueAt: string } | { dueInMinutes: number } {
  const relative = /^(\d{1,6})\s*(m|min|h|d)$/.exec(text.trim())
  if (relative) return { dueInMinutes: Number(relative[1]) * ({ m: 1, min: 1, h: 60, d: 1440 } as const)[relative[2] as 'm' | 'min' | 'h' | 'd'] }
  return { dueAt: text }
}

function taskTable(door: CliDoor, tasks: readonly IncidentTask[]): string {
  return door.table(tasks, [
    ['#', (t) => t.position],
    ['status', (t) => t.status],
    ['title', (t) => t.title.slice(0, 70)],
    ['role', (t) => t.role],
    ['assignee', (t) => t.assigneeId],
    ['due', (t) => t.dueAt],
    ['id', (t) => t.id],
  ])
}

function describe(door: CliDoor, incident: IncidentDetail, timeline: readonly TimelineEntry[], more: boolean): string {
  return [
    door.fields([
      ['id', incident.id],
      ['title', incident.title],
      ['severity', incident.severity],
      ['status', incident.status],
      ['opened', `${incident.openedAt} by ${incident.openedBy}`],
      ['acknowledged', incident.acknowledgedAt],
      ['contained', incident.containedAt],
      ['resolved', incident.resolvedAt],
      ['closed', incident.closedAt],
      ...incident.roles.map((r): [string, string] => [r.role.replace('_', ' '), `${r.name} <${r.email}>`]),
    ]),
    ...(incident.summary ? ['', incident.summary] : []),
    '',
    'links:',
    door.table(incident.links, [['kind', (l) => l.kind], ['target', (l) => l.targetId], ['linked', (l) => l.createdAt], ['by', (l) => l.createdBy]]),
    '',
    'tasks:',
    taskTable(door, incident.tasks),
    '',
    'timeline:',
    door.table(timeline, [['at', (e) => e.at], ['kind', (e) => e.kind], ['by', (e) => e.actorLabel], ['text', (e) => e.text.slice(0, 120)]]),
    ...(more ? ['… and later entries (the API pages through them all)'] : []),
  ].join('\n')
}

function describePlaybook(door: CliDoor, playbook: Playbook): string {
  return [
    door.fields([
      ['id', playbook.id],
      ['slug', playbook.slug],
      ['name', playbook.name],
      ['source', playbook.source],
    ]),
    '',
    playbook.description,
    '',
    ...playbook.tasks.flatMap((task, index) => [`${index + 1}. ${task.title}${task.role ? ` [${task.role}]` : ''}${task.dueInMinutes === null ? '' : ` (due in ${task.dueInMinutes} min)`}`, `   ${task.description}`]),
  ].join('\n')
}
