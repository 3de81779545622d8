import { readFileSync } from 'node:fs'
import type { Command } from 'commander'
import type { CliDoor } from '../cli/door.js'
import type { RecipientProblem } from './model.js'

/** `cordon notice …`, `cordon status-page …`, `cordon update post`: customer communications from the command line. */
export function registerCommsCommands(program: Command, door: CliDoor): void {
  const notice = program.command('notice').description('customer notices: preview, send, status, templates')

  const noticeOptions = (command: Command) =>
    door
      .common(command)
      .option('--incident <id>', 'the incident: its linked advisories, customers and sightings')
      .option('--advisory <id>', 'the advisory (id, external id or alias)')
      .option('--template <template>', 'the template (id or name; default: the shipped one)')
      .option('--role <role...>', 'contact roles to send to (default: primary, security, technical)')
      .option('--action <text...>', 'actions required (default: the advisory’s remediation steps)')
      .option('--deadline <time>', 'ISO-8601 time the actions are due by')

  noticeOptions(notice.command('preview').description('one customer’s notice as it would be sent, with its recipients and any problems'))
    .requiredOption('--customer <customer>', 'the customer (id, external ref or name)')
    .action(
      door.action(async ({ services, actor }, _args, options) => {
        const preview = await services.comms.preview(actor, requestOf(options), options.customer as string)
        const human = [
          door.fields([['customer', preview.customerName], ['subject', preview.subject], ['to', preview.recipients.map((r) => `${r.name} <${r.email}>`).join(', ') || '(nobody)']]),
          '',
          preview.text.trimEnd(),
          ...problemLines(preview.problems),
        ].join('\n')
        return { data: preview, human }
      }),
    )

  noticeOptions(notice.command('send').description('send a notice to every affected customer (or those given) through the outbox'))
    .option('--customer <customer...>', 'only these customers (id, external ref or name)')
    .option('--owner <userId>', 'the provider user escalations go to when nobody acknowledges')
    .option('--reminder-minutes <n>', 'remind contacts who have not acknowledged after this long (default 1440)')
    .option('--escalation-minutes <n>', 'then tell the owner after this long (default 1440)')
    .option('--link-days <n>', 'how long acknowledgement links work (default 30)')
    .option('--dry-run', 'only list the customers, recipients and problems; send nothing')
    .option('--send-despite-problems', 'send to the customers who can be told even when others cannot')
    .option('--idempotency-key <key>', 'a retried send with the same key sends nothing again and prints the first report')
    .action(
      door.action(async ({ services, actor }, _args, options) => {
        const request = {
          ...requestOf(options),
          ...(options.customer !== undefined && { customers: options.customer as string[] }),
          ...(options.owner !== undefined && { ownerId: options.owner as string }),
          ...(options.reminderMinutes !== undefined && { reminderMinutes: Number(options.reminderMinutes) }),
          ...(options.escalationMinutes !== undefined && { escalationMinutes: Number(options.escalationMinutes) }),
          ...(options.linkDays !== undefined && { linkDays: Number(options.linkDays) }),
        }
        if (options.dryRun === true) {
          const plan = await services.comms.plan(actor, request)
          const data = { customers: plan.customers.map((p) => ({ customerId: p.customer.id, customerName: p.customer.name, recipients: p.contacts.map((c) => c.email) })), problems: plan.problems }
          return { data, human: [door.table(data.customers, [['customer', (c) => c.customerName], ['recipients', (c) => c.recipients.join(', ') || '(nobody)']]), ...problemLines(plan.problems)].join('\n') }
        }
        const report = await services.comms.send(actor, request, { sendDespiteProblems: options.sendDespiteProblems === true, idempotencyKey: options.idempotencyKey as string | undefined })
        const human = [door.table(report.notices, [['notice', (n) => n.id], ['customer', (n) => n.customerName], ['recipients', (n) => n.recipients]]), ...problemLines(report.problems)].join('\n')
        return { data: report, human }
      }),
    )

  door
    .common(notice.command('status').argument('<id>', 'the notice').description('where a notice stands per contact: queued, sent, delivered, bounced, acknowledged'))
    .action(
      door.action(async ({ services, actor }, [id]) => {
        const status = await services.comms.status(actor.scope, id!)
        const human = [
          door.fields([['notice', status.notice.id], ['subject', status.notice.subject], ['sent', status.notice.sentAt], ['state', status.state]]),
          '',
          door.table(status.recipients, [['contact', (r) => `${r.name} <${r.email}>`], ['state', (r) => r.state], ['acknowledged', (r) => r.acknowledgedAt && `${r.acknowledgedAt} by ${r.acknowledgedBy ?? ''}`], ['error', (r) => r.lastError]]),
        ].join('\n')
        return { data: status, human }
      }),
    )

  door
    .common(notice.command('tracking').description('whether every customer has been told: per customer, its latest notice’s state and acknowledgements'))
    .option('--incident <id>', 'about this incident')
    .option('--advisory <id>', 'about this advisory')
    .action(
      door.action(async ({ services, actor }, _args, options) => {
        const tracked = await services.comms.tracking(actor, { ...(options.incident !== undefined && { incidentId: options.incident }), ...(options.advisory !== undefined && { advisoryId: options.advisory }) })
        const { customers: total, ...byState } = tracked.counts
        const human = [
          door.table(tracked.customers, [
            ['customer', (r) => r.customerName],
            ['state', (r) => r.state.replace('_', ' ')],
            ['sent', (r) => r.sentAt],
            ['recipients', (r) => r.recipients],
            ['acknowledged', (r) => r.firstAcknowledgedAt && `${r.firstAcknowledgedAt} by ${r.firstAcknowledgedBy ?? ''}`],
            ['affected', (r) => (r.affected ? 'yes' : 'no (since)')],
            ['problem', (r) => r.problems.map((p) => p.message).join('; ')],
          ]),
          '',
          `${total} customer(s): ${Object.entries(byState).filter(([, n]) => n > 0).map(([state, n]) => `${n} ${state.replace('_', ' ')}`).join(', ') || 'none'}`,
        ].join('\n')
        return { data: tracked, human }
      }),
    )

  door
    .common(notice.command('list').description('notices sent, newest first'))
    .option('--incident <id>', 'about this incident')
    .option('--advisory <id>', 'about this advisory (its id)')
    .option('--customer <id>', 'to this customer (its id)')
    .action(
      door.action(async ({ services, actor }, _args, options) => {
        const notices = await services.comms.listNotices(actor.scope, { incidentId: options.incident as string | undefined, advisoryId: options.advisory as string | undefined, customerId: options.customer as string | undefined })
        return { data: notices, human: door.table(notices, [['id', (n) => n.id], ['sent', (n) => n.sentAt], ['customer', (n) => n.customerId], ['subject', (n) => n.subject.slice(0, 80)]]) }
      }),
    )

  const template = notice.command('template').description('notice templates')
  door.common(template.command('list').description('the stored templates')).action(
    door.action(async ({ services }) => {
      const templates = await services.comms.listTemplates()
      return { data: templates, human: door.table(templates, [['id', (t) => t.id], ['name', (t) => t.name], ['subject', (t) => t.subject]]) }
    }),
  )
  door
    .common(template.command('save').description('save a template (Markdown with {{placeholders}}); unknown fields are refused'))
    .requiredOption('--name <name>', 'the template name')
    .requiredOption('--subject <subject>', 'the subject line')
    .requiredOption('--body-file <file>', 'the Markdown body')
    .option('--id <id>', 'change this template instead of adding one')
    .action(
      door.action(async ({ services, actor }, _args, options) => {
        const body = readFileSync(options.bodyFile as string, 'utf8')
        const saved = await services.comms.saveTemplate(actor, { name: options.name, subject: options.subject, body }, options.id as string | undefined)
        return { data: saved, human: `saved template ${saved.id} (${saved.name})` }
      }),
    )

  const statusPage = program.command('status-page').description('customers’ private status pages and the public one')
  door
    .common(statusPage.command('link').argument('<customer>', 'the customer (id, external ref or name)').description('a new private status-page link (earlier ones stop working)'))
    .option('--revoke', 'revoke the customer’s links instead')
    .action(
      door.action(async ({ services, actor }, [customer], options) => {
        if (options.revoke === true) {
          const revoked = await services.comms.revokeStatusLink(actor, customer!)
          return { data: revoked, human: `revoked ${revoked.revoked} link(s)` }
        }
        const created = await services.comms.createStatusLink(actor, customer!)
        return { data: { id: created.link.id, customerId: created.link.customerId, url: created.url }, human: `${created.url}\n(shown once: keep it, or make a new one)` }
      }),
    )
  door
    .common(statusPage.command('publish').argument('<incident>', 'the incident').description('show the incident on the public status page under a public title'))
    .option('--title <title>', 'the title the public sees')
    .option('--withdraw', 'take it off the public page instead')
    .action(
      door.action(async ({ services, actor }, [incident], options) => {
        if (options.withdraw === true) {
          await services.comms.withdraw(actor, incident!)
          return { data: { incidentId: incident, withdrawn: true }, human: `withdrew incident ${incident} from the public page` }
        }
        const published = await services.comms.publish(actor, incident!, { title: options.title })
        return { data: published, human: `published incident ${incident} as "${published.title}"` }
      }),
    )

  const update = program.command('update').description('incident updates for customers and status pages')
  door
    .common(update.command('post').argument('<incident>', 'the incident').description('post an update: status pages, and every contact sent a notice about the incident'))
    .requiredOption('--state <state>', 'investigating, identified, monitoring or resolved')
    .requiredOption('--text <text>', 'what to tell them')
    .option('--public', 'also show it on the public status page (the incident must be published)')
    .option('--idempotency-key <key>', 'a retried post with the same key posts and sends nothing again')
    .action(
      door.action(async ({ services, actor }, [incident], options) => {
        const posted = await services.comms.postUpdate(actor, incident!, { state: options.state, text: options.text, ...(options.public === true && { public: true }) }, { idempotencyKey: options.idempotencyKey as string | undefined })
        return { data: posted, human: `posted update ${posted.id} (${posted.state})` }
      }),
    )
}

function requestOf(options: Record<string, unknown>) {
  return {
    ...(options.incident !== undefined && { incidentId: options.incident as string }),
    ...(options.advisory !== undefined && { advisoryId: options.advisory as string }),
    ...(options.template !== undefined && { templateId: options.template as string }),
    ...(options.role !== undefined && { roles: options.role as string[] }),
    ...(options.action !== undefined && { actions: options.action as string[] }),
    ...(options.deadline !== undefined && { deadline: options.deadline as string }),
  }
}

function problemLines(problems: readonly RecipientProblem[]): string[] {
  return problems.length === 0 ? [] : ['', `${problems.length} problem(s) with recipients:`, ...problems.map((p) => `  ${p.problem}: ${p.message}`)]
}
