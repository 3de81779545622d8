import type { Command } from 'commander'
import type { CliDoor } from '../cli/door.js'
import type { AdvisoryExposure, Finding, FindingStatus } from './model.js'

/** `cordon exposure <advisory>` and `cordon findings …`: who is affected, from the command line. */
export function registerExposureCommands(program: Command, door: CliDoor): void {
  door
    .common(program.command('exposure').argument('<advisory>', 'advisory id, its own id (e.g. CVE or GHSA) or an alias').description('the customers and endpoints an advisory affects'))
    .action(
      door.action(async ({ services, actor }, [advisory]) => {
        const exposure = await services.exposure.exposureOf(actor.scope, advisory!)
        const data = {
          advisory: exposure.advisory,
          customers: exposure.customers.map((c) => ({
            id: c.id,
            name: c.name,
            endpoints: c.endpoints.map((e) => ({ hostname: e.hostname ?? e.identifier, product: e.product, version: e.version, platform: e.platform })),
          })),
        }
        return { data, human: describeExposure(door, exposure) }
      }),
    )

  const findings = program.command('findings').description('exposure findings: list, show, triage, re-match')
  door
    .common(findings.command('list').description('list findings'))
    .option('--advisory <advisory>', 'one advisory')
    .option('--customer <customer>', 'one customer (id, external ref or name)')
    .option('--status <status...>', 'open, resolved, accepted, false_positive (default: open)')
    .option('--limit <n>', 'page size', '100')
    .option('--cursor <cursor>', 'continue from a previous page')
    .action(
      door.action(async ({ services, actor }, _args, options) => {
        const customer = typeof options.customer === 'string' ? await services.customers.resolve(actor.scope, options.customer) : undefined
        const advisory = typeof options.advisory === 'string' ? await services.intel.getAdvisory(options.advisory) : undefined
        const page = await services.exposure.listFindings(actor.scope, {
          advisoryId: advisory?.id,
          customerId: customer?.id,
          status: (options.status as FindingStatus[] | undefined) ?? ['open'],
          limit: door.pageSize(options.limit),
          cursor: options.cursor as string | undefined,
        })
        const human = door.pageTable(page, findingColumns)
        return { data: page, human }
      }),
    )

  door
    .common(findings.command('show').argument('<finding>', 'finding id').description('a finding and its history'))
    .action(
      door.action(async ({ services, actor }, [id]) => {
        const finding = await services.exposure.getFinding(actor.scope, id!)
        const human = [
          door.table([finding], findingColumns),
          '',
          door.table(finding.events, [
            ['at', (e) => e.at],
            ['event', (e) => e.event],
            ['detail', (e) => JSON.stringify(e.detail)],
          ]),
        ].join('\n')
        return { data: finding, human }
      }),
    )

  door
    .common(findings.command('triage').argument('<finding>', 'finding id').description('accept the risk until a date, mark a false positive, or reopen'))
    .requiredOption('--status <status>', 'accepted, false_positive or open')
    .option('--reason <text>', 'why (required for accepted and false_positive)')
    .option('--until <time>', 'for accepted: when the acceptance expires (ISO 8601)')
    .action(
      door.action(async ({ services, actor }, [id], options) => {
        const finding = await services.exposure.triage(actor, id!, {
          status: options.status,
          ...(typeof options.reason === 'string' && { reason: options.reason }),
          ...(typeof options.until === 'string' && { until: options.until }),
        })
        return { data: finding, human: `finding ${finding.id} is ${finding.status}` }
      }),
    )

  door
    .common(findings.command('rematch').description('match every advisory against the whole catalog again'))
    .action(
      door.action(async ({ services, actor }) => {
        const report = await services.exposure.rematchAll(actor)
        return {
          data: report,
          human: `${report.advisories} advisories × ${report.catalogEntries} catalog entries: ${report.matches} matches (+${report.added} −${report.removed}); findings opened ${report.opened}, resolved ${report.resolved}, reopened ${report.reopened}; ${report.durationMs} ms`,
        }
      }),
    )
}

const findingColumns: Array<[string, (f: Finding) => string | number | null]> = [
  ['id', (f) => f.id],
  ['status', (f) => f.status],
  ['customer', (f) => f.customerId],
  ['endpoint', (f) => f.hostname ?? f.endpoint],
  ['product', (f) => f.product],
  ['version', (f) => f.version],
  ['advisory', (f) => f.advisoryId],
  ['detected', (f) => f.detectedAt],
  ['resolved', (f) => f.resolvedAt],
]

function describeExposure(door: CliDoor, exposure: AdvisoryExposure): string {
  if (exposure.customers.length === 0) return `advisory ${exposure.advisory}: no customer runs an affected version`
  const endpoints = exposure.customers.reduce((n, c) => n + c.endpoints.length, 0)
  return [
    `advisory ${exposure.advisory}: ${exposure.customers.length} customers, ${endpoints} endpoints affected`,
    ...exposure.customers.map((c) =>
      [`\n${c.name} (${c.id}): ${c.endpoints.length} endpoints`, door.table(c.endpoints, [
        ['hostname', (e) => e.hostname ?? e.identifier],
        ['product', (e) => e.product],
        ['version', (e) => e.version],
        ['platform', (e) => e.platform],
      ])].join('\n'),
    ),
  ].join('\n')
}
