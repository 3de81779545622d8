import { createReadStream, statSync } from 'node:fs'
import type { Command } from 'commander'
import type { CliDoor } from '../cli/door.js'
import { AppError } from '../shared/errors.js'
import type { ImportReport, InventoryFormat } from './model.js'

/** `cordon import inventory …`, `cordon endpoints …`, `cordon software …`: the inventory from the command line. */
export function registerInventoryCommands(program: Command, door: CliDoor): void {
  const imports = program.commands.find((c) => c.name() === 'import') ?? program.command('import').description('import files into Cordon')

  door
    .common(imports.command('inventory').argument('<files...>', 'osquery results logs or osqueryi JSON, RMM CSV exports, CycloneDX or SPDX JSON (gzip read too)').description('import inventory files, each in one transaction'))
    .option('--format <format>', 'osquery, csv, cyclonedx or spdx (detected when omitted)')
    .option('--customer <customer>', 'customer (id, external ref or name) for rows that name none')
    .option('--customer-field <name>', 'osquery decoration naming the customer (default: customer, customer_id or cordon_customer)')
    .option('--host <host>', 'the host of an osqueryi JSON array that names none')
    .action(
      door.action(async ({ services, actor, progress }, files, options) => {
        const reports: ImportReport[] = []
        for (const file of files) {
          let size: number
          try {
            size = statSync(file).size
          } catch (error) {
            throw new AppError('invalid', `${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { problems: [{ field: file, message: 'cannot read' }] })
          }
          const report = await services.inventory.importInventory(actor, {
            bytes: createReadStream(file, { highWaterMark: 1024 * 1024 }),
            file,
            format: options.format as InventoryFormat | undefined,
            customer: options.customer as string | undefined,
            customerField: options.customerField as string | undefined,
            host: options.host as string | undefined,
            onProgress: ({ bytes, accepted, rejected }) =>
              progress(`${file}: ${size > 0 ? Math.min(100, Math.round((bytes / size) * 100)) : 100}% · ${accepted.toLocaleString('en')} rows · ${rejected} rejected`),
          })
          reports.push(report)
        }
        const human = reports.map(describeReport).join('\n\n')
        return { data: files.length === 1 ? reports[0] : reports, human }
      }),
    )

  const endpoints = program.command('endpoints').description("customers' endpoints and their software")
  door
    .common(endpoints.command('list').description('list endpoints'))
    .option('--customer <customer>', 'one customer (id, external ref or name)')
    .option('--search <text>', 'identifier or hostname containing this text')
    .option('--platform <platform>', 'windows, macos, linux or any')
    .option('--limit <n>', 'page size', '100')
    .option('--cursor <cursor>', 'continue from a previous page')
    .action(
      door.action(async ({ services, actor }, _args, options) => {
        const customer = typeof options.customer === 'string' ? await services.customers.resolve(actor.scope, options.customer) : undefined
        const page = await services.inventory.listEndpoints(actor.scope, {
          customerId: customer?.id,
          search: options.search as string | undefined,
          platform: options.platform as 'windows' | undefined,
          limit: door.pageSize(options.limit),
          cursor: options.cursor as string | undefined,
        })
        const human = door.pageTable(page, [
          ['id', (e) => e.id],
          ['identifier', (e) => e.identifier],
          ['hostname', (e) => e.hostname],
          ['platform', (e) => e.platform],
          ['os', (e) => [e.osName, e.osVersion].filter(Boolean).join(' ')],
          ['last seen', (e) => e.lastSeen],
        ])
        return { data: page, human }
      }),
    )

  door
    .common(endpoints.command('show').argument('<endpoint>', 'id, identifier or hostname').description("an endpoint and its installed software"))
    .option('--removed', 'include software that was removed, with when')
    .option('--limit <n>', 'page size', '500')
    .option('--cursor <cursor>', 'continue from a previous page')
    .action(
      door.action(async ({ services, actor }, [reference], options) => {
        const endpoint = await services.inventory.getEndpoint(actor.scope, reference!)
        const software = await services.inventory.listSoftware(actor.scope, endpoint.id, {
          includeRemoved: options.removed === true,
          limit: door.pageSize(options.limit),
          cursor: options.cursor as string | undefined,
        })
        const human = [
          door.fields([
            ['id', endpoint.id],
            ['customer', endpoint.customerId],
            ['identifier', endpoint.identifier],
            ['hostname', endpoint.hostname],
            ['platform', endpoint.platform],
            ['os', [endpoint.osName, endpoint.osVersion].filter(Boolean).join(' ')],
            ['first seen', endpoint.firstSeen],
            ['last seen', endpoint.lastSeen],
          ]),
          '',
          door.pageTable(software, [
            ['vendor', (i) => i.vendor],
            ['product', (i) => i.product],
            ['version', (i) => i.version],
            ['source', (i) => i.source],
            ['first seen', (i) => i.firstSeen],
            ['last seen', (i) => i.lastSeen],
            ['removed', (i) => i.removedAt],
          ]),
        ].join('\n')
        return { data: { ...endpoint, software }, human }
      }),
    )

  const software = program.command('software').description('the software catalog')
  door
    .common(software.command('search').argument('[text]', 'product or vendor containing this text').description('search the software catalog'))
    .option('--platform <platform>', 'windows, macos, linux or any')
    .option('--limit <n>', 'page size', '100')
    .option('--cursor <cursor>', 'continue from a previous page')
    .action(
      door.action(async ({ services }, [text], options) => {
        const page = await services.inventory.searchCatalog({
          search: text,
          platform: options.platform as 'windows' | undefined,
          limit: door.pageSize(options.limit),
          cursor: options.cursor as string | undefined,
        })
        const human = door.pageTable(page, [
          ['id', (e) => e.id],
          ['vendor', (e) => e.vendor],
          ['product', (e) => e.product],
          ['version', (e) => e.version],
          ['platform', (e) => e.platform],
          ['ecosystem', (e) => e.ecosystem],
        ])
        return { data: page, human }
      }),
    )
}

function describeReport(report: ImportReport): string {
  const lines = [
    `${report.file} (${report.format}): ${report.accepted.toLocaleString('en')} rows accepted, ${report.rejected.toLocaleString('en')} rejected, ` +
      `${report.endpointsTouched.toLocaleString('en')} endpoints (${report.endpointsCreated.toLocaleString('en')} new), ` +
      `${report.catalogAdded.toLocaleString('en')} new catalog entries, ${report.installationsRemoved.toLocaleString('en')} installations removed, ${(report.durationMs / 1000).toFixed(1)} s`,
    ...report.rejections.slice(0, 20).map((r) => `  rejected ${r.file}:${r.line}: ${r.reason}`),
  ]
  if (report.rejected > 20) lines.push(`  … ${report.rejected - 20} more (see --json)`)
  return lines.join('\n')
}
