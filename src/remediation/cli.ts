import { createReadStream, writeFileSync } from 'node:fs'
import { basename } from 'node:path'
import type { Command } from 'commander'
import type { CliDoor } from '../cli/door.js'
import { AppError } from '../shared/errors.js'
import { parseActionText, type CampaignProgress } from './model.js'
import type { ScanFormat } from './scans.js'

/** `cordon campaign …` and `cordon avscan import`: remediation campaigns from the command line. */
export function registerRemediationCommands(program: Command, door: CliDoor): void {
  const campaign = program.command('campaign').description('remediation campaigns: create, status, export, exempt')

  door
    .common(campaign.command('create').description("start a campaign over an advisory's (or an incident's advisories') affected endpoints"))
    .option('--advisory <id>', 'the advisory (id, external id or alias)')
    .option('--incident <id>', "the incident: its linked advisories")
    .option('--action <action...>', 'uninstall:<product>, upgrade:<version>, av_scan or custom:<title>; repeat for several')
    .option('--deadline <time>', 'ISO-8601 time after which open tasks are overdue')
    .option('--title <title>', 'the campaign title (default: from the advisory or incident)')
    .option('--idempotency-key <key>', 'a retried create with the same key makes no second campaign')
    .action(
      door.action(async ({ services, actor }, _args, options) => {
        const actions = ((options.action as string[] | undefined) ?? []).map(parseActionText)
        if (actions.length === 0) throw new AppError('invalid', 'give at least one --action', { problems: [{ field: '--action', message: 'uninstall:<product>, upgrade:<version>, av_scan or custom:<title>' }] })
        const created = await services.remediation.createCampaign(actor, {
          actions,
          ...(options.advisory !== undefined && { advisoryId: options.advisory }),
          ...(options.incident !== undefined && { incidentId: options.incident }),
          ...(options.deadline !== undefined && { deadline: options.deadline }),
          ...(options.title !== undefined && { title: options.title }),
        }, { idempotencyKey: options.idempotencyKey as string | undefined })
        const progress = await services.remediation.progress(actor.scope, created.id)
        return { data: { ...created, tasks: progress.overall.total, endpoints: progress.overall.endpoints }, human: `created campaign ${created.id}: ${created.title} (${progress.overall.total} tasks on ${progress.overall.endpoints} endpoints)` }
      }),
    )

  door
    .common(campaign.command('list').description('campaigns, newest first'))
    .option('--limit <n>', 'page size', '50')
    .option('--cursor <cursor>', 'continue from a previous page')
    .action(
      door.action(async ({ services, actor }, _args, options) => {
        const page = await services.remediation.listCampaigns(actor.scope, { limit: door.pageSize(options.limit), cursor: options.cursor as string | undefined })
        return { data: page, human: door.pageTable(page, [['id', (c) => c.id], ['created', (c) => c.createdAt], ['deadline', (c) => c.deadline], ['title', (c) => c.title.slice(0, 80)]]) }
      }),
    )

  door
    .common(campaign.command('status').argument('<campaign>', 'campaign id').description('progress overall and per customer; with --customer, its tasks'))
    .option('--customer <customer>', 'one customer (id, external ref or name): its tasks and their evidence')
    .action(
      door.action(async ({ services, actor }, [id], options) => {
        const progress = await services.remediation.progress(actor.scope, id!)
        if (typeof options.customer !== 'string') return { data: progress, human: describeProgress(door, progress) }
        const customer = await services.customers.resolve(actor.scope, options.customer)
        const tasks = await services.remediation.listTasks(actor.scope, id!, { customerId: customer.id, limit: 500 })
        const human = door.pageTable(tasks, [
          ['task', (t) => t.id],
          ['endpoint', (t) => t.hostname ?? t.endpoint],
          ['action', (t) => t.title.slice(0, 50)],
          ['state', (t) => t.state],
          ['since', (t) => t.stateAt],
          ['evidence', (t) => (t.evidence?.importId ? `import ${t.evidence.importId}` : t.evidence?.scanId ? `scan ${t.evidence.scanId}` : t.exemptReason ?? t.evidence?.by ?? '')],
        ])
        return { data: { progress: progress.customers.find((c) => c.customerId === customer.id) ?? null, tasks: tasks.items, nextCursor: tasks.nextCursor }, human }
      }),
    )

  door
    .common(campaign.command('export').argument('<campaign>', 'campaign id').description('the campaign as CSV: one row per task (or per customer with --metrics)'))
    .option('--output <file>', 'write the CSV here instead of standard output')
    .option('--metrics', 'one row per customer: time to notify, acknowledge and all-clear')
    .action(
      door.action(async ({ services, actor }, [id], options) => {
        const csv = options.metrics ? await services.remediation.exportMetricsCsv(actor.scope, id!) : await services.remediation.exportCsv(actor.scope, id!)
        const rows = csv.split('\r\n').length - 2
        if (typeof options.output === 'string') {
          writeFileSync(options.output, csv)
          return { data: { file: options.output, rows }, human: `wrote ${rows} rows to ${options.output}` }
        }
        return { data: { csv, rows }, human: csv.trimEnd() }
      }),
    )

  door
    .common(campaign.command('exempt').argument('<task>', 'task id').description('exempt a task, with the reason and who approved it'))
    .requiredOption('--reason <text>', 'why the task need not be done')
    .requiredOption('--approver <name>', 'who approved the exemption')
    .action(
      door.action(async ({ services, actor }, [taskId], options) => {
        const task = await services.remediation.updateTask(actor, undefined, taskId!, { state: 'exempted', reason: options.reason, approver: options.approver })
        return { data: task, human: `exempted task ${task.id} (${task.title}) on ${task.hostname ?? task.endpoint}` }
      }),
    )

  door
    .common(campaign.command('reminders').description('send overdue reminders to customers’ contacts every day (a recurring job)'))
    .option('--cron <expression>', 'when, as a cron expression', '0 8 * * *')
    .option('--timezone <zone>', 'the cron expression’s time zone', 'UTC')
    .action(
      door.action(async ({ services, actor }, _args, options) => {
        const schedule = await services.remediation.scheduleReminders(actor, String(options.cron), String(options.timezone))
        return { data: schedule, human: `overdue reminders run on "${schedule.cron}" (${schedule.timezone}); next at ${schedule.nextRunAt}` }
      }),
    )

  const avscan = program.command('avscan').description('antivirus scan reports: evidence for av_scan tasks')
  door
    .common(avscan.command('import').argument('<files...>', 'clamscan logs or scan CSVs (hostname,product,scan_started,scan_finished,infected_files,result)').description('import scan reports; clean scans attest av_scan tasks'))
    .option('--format <format>', 'clamscan or csv (default: by content)')
    .option('--endpoint <host>', 'the endpoint every scan is of (otherwise a "Host: <name>" line or the CSV hostname)')
    .option('--customer <customer>', 'the customer whose endpoints these are (id, external ref or name)')
    .action(
      door.action(async ({ services, actor }, files, options) => {
        const report = await services.remediation.importScans(actor, {
          inputs: files.map((file) => ({ name: basename(file), bytes: createReadStream(file, { highWaterMark: 256 * 1024 }) })),
          format: options.format as ScanFormat | undefined,
          endpoint: options.endpoint as string | undefined,
          customer: options.customer as string | undefined,
        })
        const human = door.table(report.results, [
          ['scan', (r) => r.scanId],
          ['host', (r) => r.host],
          ['result', (r) => r.result],
          ['infected', (r) => r.infectedFiles],
          ['attested tasks', (r) => r.attestedTasks.length],
        ])
        return { data: report, human: `${human}\n${report.scans} scans, ${report.attested} tasks attested${report.infected > 0 ? `, ${report.infected} with infected files (an alert is raised for each)` : ''}` }
      }),
    )
}

function describeProgress(door: CliDoor, progress: CampaignProgress): string {
  const o = progress.overall
  const head = door.fields([
    ['campaign', progress.campaignId],
    ['deadline', progress.deadline],
    ['tasks', `${o.total} on ${o.endpoints} endpoints`],
    ['verified', `${o.doneVerified} (${o.percentVerified}%)`],
    ['done', `${o.percentDone}% (attested ${o.doneAttested}, exempted ${o.exempted})`],
    ['open', `${o.pending + o.inProgress} (overdue ${o.overdue})`],
    ['all clear', o.allClearAt],
  ])
  const customers = door.table(progress.customers, [
    ['customer', (c) => c.customerName],
    ['endpoints', (c) => c.endpoints],
    ['tasks', (c) => c.total],
    ['verified %', (c) => c.percentVerified],
    ['done %', (c) => c.percentDone],
    ['overdue', (c) => c.overdue],
    ['all clear', (c) => c.allClearAt],
  ])
  return `${head}\n\n${customers}`
}
