import type { Command } from 'commander'
import type { CliDoor } from '../cli/door.js'
import { AppError } from '../shared/errors.js'
import type { Alert, AlertStatus } from './model.js'

/**
 * `cordon alert send|ack|resolve|list|show`, `cordon oncall who|shifts|schedules|schedule|override`,
 * `cordon escalation …`, `cordon alert-route …`, `cordon alert-integration …`.
 */
export function registerAlertingCommands(program: Command, door: CliDoor): void {
  const alert = program.command('alert').description('alerts: send, acknowledge, resolve, list')

  door
    .common(alert.command('send').description('send an alert event (a repeat of an open dedup key counts on it)'))
    .requiredOption('--summary <text>', 'what is wrong')
    .option('--severity <severity>', 'critical, error, warning or info', 'warning')
    .option('--source <source>', 'where it comes from', 'cli')
    .option('--dedup-key <key>', 'events with the same key while the alert is open are one alert')
    .option('--customer <id>', 'the customer it concerns')
    .option('--label <name=value...>', 'labels (routing rules match on them)')
    .option('--action <action>', 'trigger, acknowledge or resolve', 'trigger')
    .option('--idempotency-key <key>', 'a retried send with the same key changes nothing')
    .action(
      door.action(async ({ services }, _args, options) => {
        const result = await services.alerting.send(
          {
            summary: options.summary,
            severity: options.severity,
            source: options.source,
            action: options.action,
            ...(options.dedupKey !== undefined && { dedupKey: options.dedupKey }),
            ...(options.customer !== undefined && { customerId: options.customer }),
            ...(options.label !== undefined && { labels: labelsOf(options.label as string[]) }),
          },
          typeof options.idempotencyKey === 'string' ? { idempotencyKey: options.idempotencyKey } : {},
        )
        return { data: result, human: door.fields([['alert', result.alertId], ['outcome', result.outcome], ['status', result.status], ['count', result.count], ['dedup key', result.dedupKey], ['incident', result.incidentId]]) }
      }),
    )

  door
    .common(alert.command('ack').argument('<alert>', 'alert id').description('acknowledge an alert: escalation stops'))
    .action(
      door.action(async ({ services, actor }, [id]) => {
        const acknowledged = await services.alerting.acknowledge(actor, id!)
        return { data: acknowledged, human: describe(door, acknowledged) }
      }),
    )

  door
    .common(alert.command('resolve').argument('<alert>', 'alert id').description('resolve an alert'))
    .action(
      door.action(async ({ services, actor }, [id]) => {
        const resolved = await services.alerting.resolve(actor, id!)
        return { data: resolved, human: describe(door, resolved) }
      }),
    )

  door
    .common(alert.command('list').description('alerts, newest first'))
    .option('--status <status>', 'triggered, acknowledged or resolved')
    .option('--source <source>', 'one source')
    .option('--customer <id>', 'one customer')
    .option('--incident <id>', 'alerts linked to one incident')
    .option('--limit <n>', 'page size', '50')
    .option('--cursor <cursor>', 'continue from a previous page')
    .action(
      door.action(async ({ services }, _args, options) => {
        const page = await services.alerting.listAlerts({
          limit: door.pageSize(options.limit),
          ...(options.cursor !== undefined && { cursor: options.cursor as string }),
          ...(options.status !== undefined && { status: statusOf(options.status) }),
          ...(options.source !== undefined && { source: options.source as string }),
          ...(options.customer !== undefined && { customerId: options.customer as string }),
          ...(options.incident !== undefined && { incidentId: options.incident as string }),
        })
        const human = door.pageTable(page, [
          ['id', (a) => a.id],
          ['status', (a) => a.status],
          ['severity', (a) => a.severity],
          ['count', (a) => a.count],
          ['source', (a) => a.source],
          ['last seen', (a) => a.lastSeenAt],
          ['summary', (a) => a.summary.slice(0, 60)],
        ])
        return { data: page, human }
      }),
    )

  door
    .common(alert.command('show').argument('<alert>', 'alert id').description('an alert and the pages it sent'))
    .action(
      door.action(async ({ services }, [id]) => {
        const found = await services.alerting.getAlert(id!)
        const pages = door.table(found.pages, [['at', (p) => p.createdAt], ['step', (p) => `${p.round + 1}.${p.step + 1}`], ['target', (p) => `${p.target.kind} ${p.target.id}`], ['user', (p) => p.userId], ['outcome', (p) => p.outcome]])
        return { data: found, human: [describe(door, found), '', pages].join('\n') }
      }),
    )

  const oncall = program.command('oncall').description('on-call schedules: who is on call, shifts, overrides')

  door
    .common(oncall.command('who').description('who is on call (every schedule, or one)'))
    .option('--at <time>', 'an ISO-8601 time (default: now)')
    .option('--schedule <schedule>', 'one schedule (id or name)')
    .action(
      door.action(async ({ services }, _args, options) => {
        const at = options.at === undefined ? undefined : timeOf('--at', options.at)
        const answers = options.schedule === undefined ? await services.alerting.onCallEverywhere(at) : [await services.alerting.onCall(options.schedule as string, at)]
        const human = door.table(answers, [
          ['schedule', (a) => a.schedule.name],
          ['on call', (a) => a.shift?.userId ?? '(no one)'],
          ['layer', (a) => (a.shift ? (a.shift.layer ?? 'override') : null)],
          ['from', (a) => a.shift?.start ?? null],
          ['until', (a) => a.shift?.end ?? null],
        ])
        return { data: answers, human }
      }),
    )

  door
    .common(oncall.command('shifts').argument('<schedule>', 'schedule id or name').description('the final schedule over a period'))
    .option('--from <time>', 'ISO-8601 (default: now)')
    .option('--days <n>', 'how many days', '7')
    .action(
      door.action(async ({ services }, [schedule], options) => {
        const from = options.from === undefined ? services.clock.now() : timeOf('--from', options.from)
        const days = Number(options.days)
        if (!Number.isInteger(days) || days < 1 || days > 366) throw new AppError('invalid', '--days must be an integer from 1 to 366', { problems: [{ field: '--days', message: 'must be an integer from 1 to 366' }] })
        const shifts = await services.alerting.shifts(schedule!, from, new Date(from.getTime() + days * 86_400_000))
        return { data: shifts, human: door.table(shifts, [['from', (s) => s.start], ['until', (s) => s.end], ['user', (s) => s.userId], ['layer', (s) => s.layer ?? 'override']]) }
      }),
    )

  door
    .common(oncall.command('schedules').description('list on-call schedules'))
    .action(
      door.action(async ({ services }) => {
        const schedules = await services.alerting.listSchedules()
        return { data: schedules, human: door.table(schedules, [['id', (s) => s.id], ['name', (s) => s.name], ['time zone', (s) => s.definition.timezone], ['layers', (s) => s.definition.layers.length]]) }
      }),
    )

  door
    .common(oncall.command('schedule').argument('<name>', 'schedule name').argument('<file>', 'JSON definition: timezone, layers, allowGaps').description('create or replace a schedule from a JSON file'))
    .action(
      door.action(async ({ services, actor }, [name, file]) => {
        const definition = await door.readJsonFile(file!)
        const existing = await services.alerting.getSchedule(name!).catch(() => undefined)
        const saved = await services.alerting.saveSchedule(actor, { name, definition }, existing?.id)
        return { data: saved, human: door.fields([['schedule', saved.id], ['name', saved.name], ['layers', saved.definition.layers.length]]) }
      }),
    )

  door
    .common(oncall.command('override').argument('<schedule>', 'schedule id or name').argument('<user>', 'user id').description('put someone on call instead, for a time'))
    .requiredOption('--from <time>', 'ISO-8601 start')
    .requiredOption('--until <time>', 'ISO-8601 end')
    .action(
      door.action(async ({ services, actor }, [schedule, user], options) => {
        const override = await services.alerting.addOverride(actor, schedule!, { userId: user, start: options.from, end: options.until })
        return { data: override, human: door.fields([['override', override.id], ['user', override.userId], ['from', override.start], ['until', override.end]]) }
      }),
    )

  const escalation = program.command('escalation').description('escalation policies')
  door
    .common(escalation.command('list').description('list escalation policies'))
    .action(
      door.action(async ({ services }) => {
        const policies = await services.alerting.listPolicies()
        return { data: policies, human: door.table(policies, [['id', (p) => p.id], ['name', (p) => p.name], ['steps', (p) => p.steps.length], ['repeats', (p) => p.repeats]]) }
      }),
    )
  door
    .common(escalation.command('save').argument('<file>', 'JSON: name, steps [{targets: [{kind: user|schedule|channel, id}], waitMinutes}], repeats').description('create or replace (by name) an escalation policy'))
    .action(
      door.action(async ({ services, actor }, [file]) => {
        const input = await door.readJsonFile(file!) as { name?: unknown }
        const existing = (await services.alerting.listPolicies()).find((p) => p.name === input.name)
        const saved = await services.alerting.savePolicy(actor, input, existing?.id)
        return { data: saved, human: door.fields([['policy', saved.id], ['name', saved.name], ['steps', saved.steps.length]]) }
      }),
    )

  const routes = program.command('alert-route').description('alert routing rules')
  door
    .common(routes.command('list').description('routing rules, in the order they are tried'))
    .action(
      door.action(async ({ services }) => {
        const list = await services.alerting.listRoutes()
        return { data: list, human: door.table(list, [['id', (r) => r.id], ['position', (r) => r.position], ['name', (r) => r.name], ['policy', (r) => r.policyId], ['incident', (r) => r.incident.mode], ['group by', (r) => r.groupBy.join(',')]]) }
      }),
    )
  door
    .common(routes.command('save').argument('<file>', 'JSON: name, position, conditions, policyId, incident, groupBy, groupWindowSeconds, autoResolveMinutes').description('create or replace (by name) a routing rule'))
    .action(
      door.action(async ({ services, actor }, [file]) => {
        const input = await door.readJsonFile(file!) as { name?: unknown }
        const existing = (await services.alerting.listRoutes()).find((r) => r.name === input.name)
        const saved = await services.alerting.saveRoute(actor, input, existing?.id)
        return { data: saved, human: door.fields([['rule', saved.id], ['name', saved.name], ['position', saved.position]]) }
      }),
    )

  const integrations = program.command('alert-integration').description('tools that send alerts (PagerDuty events, Alertmanager, Grafana)')
  door
    .common(integrations.command('add').argument('<name>', 'a name').description('create an integration and print its key (shown once)'))
    .requiredOption('--kind <kind>', 'generic, pagerduty, alertmanager or grafana')
    .option('--source <source>', 'the source its alerts carry (default: the name)')
    .option('--customer <id>', 'the customer its alerts concern')
    .action(
      door.action(async ({ services, actor }, [name], options) => {
        const issued = await services.alerting.createIntegration(actor, { name, kind: options.kind, ...(options.source !== undefined && { source: options.source }), ...(options.customer !== undefined && { customerId: options.customer }) })
        return { data: issued, human: door.fields([['integration', issued.integration.id], ['kind', issued.integration.kind], ['key (shown once)', issued.key]]) }
      }),
    )
  door
    .common(integrations.command('list').description('list integrations'))
    .action(
      door.action(async ({ services }) => {
        const list = await services.alerting.listIntegrations()
        return { data: list, human: door.table(list, [['id', (i) => i.id], ['name', (i) => i.name], ['kind', (i) => i.kind], ['source', (i) => i.source], ['disabled', (i) => i.disabledAt]]) }
      }),
    )
}

function describe(door: CliDoor, alert: Alert): string {
  return door.fields([
    ['alert', alert.id],
    ['status', alert.status],
    ['severity', alert.severity],
    ['summary', alert.summary],
    ['source', alert.source],
    ['count', alert.count],
    ['first seen', alert.firstSeenAt],
    ['last seen', alert.lastSeenAt],
    ['acknowledged', alert.acknowledgedAt ? `${alert.acknowledgedAt} by ${alert.acknowledgedBy}` : null],
    ['resolved', alert.resolvedAt ? `${alert.resolvedAt} by ${alert.resolvedBy} (${alert.resolution})` : null],
    ['incident', alert.incidentId],
  ])
}

function labelsOf(pairs: string[]): Record<string, string> {
  const labels: Record<string, string> = Object.create(null)
  for (const pair of pairs) {
    const at = pair.indexOf('=')
    if (at <= 0) throw new AppError('invalid', `--label ${pair}: expected name=value`, { problems: [{ field: '--label', message: `expected name=value, got ${pair}` }] })
    labels[pair.slice(0, at)] = pair.slice(at + 1)
  }
  return labels
}

function statusOf(value: unknown): AlertStatus {
  if (value === 'triggered' || value === 'acknowledged' || value === 'resolved') return value
  throw new AppError('invalid', '--status must be triggered, acknowledged or resolved', { problems: [{ field: '--status', message: 'must be triggered, acknowledged or resolved' }] })
}

function timeOf(flag: string, value: unknown): Date {
  const at = typeof value === 'string' ? new Date(value) : new Date(NaN)
  if (Number.isNaN(at.getTime())) throw new AppError('invalid', `${flag} must be an ISO-8601 time`, { problems: [{ field: flag, message: 'must be an ISO-8601 time' }] })
  return at
}
