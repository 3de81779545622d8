import { statSync } from 'node:fs'
import type { Command } from 'commander'
import type { CliDoor } from '../cli/door.js'
import { AppError } from '../shared/errors.js'
import type { Hunt, StoredSighting } from './model.js'
import type { HuntService, LogInput } from './service.js'
import type { JsonFields, LogFormat } from './logs/types.js'

/** `cordon hunt logs|files|list|show`, `cordon sightings …`, `cordon networks …`: hunting from the command line. */
export function registerHuntCommands(program: Command, door: CliDoor): void {
  const hunt = program.command('hunt').description('hunt logs and file systems for indicators')

  door
    .common(hunt.command('logs').argument('<files...>', "DNS, proxy or network logs (gzip read too); '-' reads standard input").description('hunt logs for the indicators’ domains, URLs and addresses'))
    .option('--format <format>', 'bind, dnsmasq, unbound, windows-dns, zeek, zeek-json, squid, json or text (detected when omitted)')
    .option('--field <kind=path...>', 'JSON lines: where a value is, e.g. domain=query, url=request.url, ip=dst, client=src, timestamp=ts')
    .option('--customer <customer>', 'the customer whose logs these are (id, external ref or name)')
    .option('--workers <n>', 'worker threads for plain files (default: one per core)')
    .action(
      door.action(async ({ services, actor, progress }, files, options) => {
        const inputs: LogInput[] = files.map((file) => (file === '-' ? { name: '-', bytes: process.stdin } : { name: file, path: file }))
        const sizes = new Map(files.map((file) => [file, file === '-' ? undefined : sizeOf(file)]))
        const started = Date.now()
        const result = await services.hunt.huntLogs(actor, {
          inputs,
          format: options.format as LogFormat | undefined,
          fields: fieldsOf(options.field),
          customer: options.customer as string | undefined,
          workers: options.workers === undefined ? undefined : positive('--workers', options.workers),
          onProgress: ({ input, bytes, sightings }) => {
            const seconds = Math.max(0.001, (Date.now() - started) / 1000)
            const size = sizes.get(input)
            progress(`${input}: ${size ? `${bar(bytes / size)} ` : ''}${(bytes / 1e6).toFixed(0)} MB · ${(bytes / 1e6 / seconds).toFixed(0)} MB/s · ${sightings} sightings`)
          },
        })
        const sightings = await allSightings(services.hunt, actor.scope, result.id)
        const data = {
          hunt: result.id,
          bytes: result.report?.bytes ?? 0,
          lines: result.report?.lines ?? 0,
          sightings: sightings.map((s) => ({ indicator: s.indicator, value: s.value, file: s.file, line: s.line, timestamp: s.seenAt, client: s.client })),
          inputs: result.report?.logs ?? [],
        }
        return { data, human: describeLogHunt(door, result, sightings) }
      }),
    )

  door
    .common(hunt.command('files').argument('<dirs...>', 'directories (or files) to sweep').description('sweep files for known-bad hashes and tampered PE signatures'))
    .option('--follow-symlinks', 'follow symbolic links (loops are detected)')
    .option('--include <glob...>', 'only files whose name matches')
    .option('--exclude <glob...>', 'skip files and directories whose name matches')
    .option('--min-size <bytes>', 'skip smaller files')
    .option('--max-size <bytes>', 'skip larger files')
    .option('--customer <customer>', 'the customer whose machine this is')
    .option('--endpoint <endpoint>', 'the endpoint swept (id, identifier or hostname)')
    .option('--threads <n>', 'hashing threads (default: one per core)')
    .action(
      door.action(async ({ services, actor, progress }, dirs, options) => {
        const started = Date.now()
        const result = await services.hunt.huntFiles(actor, {
          roots: dirs,
          followSymlinks: options.followSymlinks === true,
          include: options.include as string[] | undefined,
          exclude: options.exclude as string[] | undefined,
          minSize: options.minSize === undefined ? undefined : positive('--min-size', options.minSize, true),
          maxSize: options.maxSize === undefined ? undefined : positive('--max-size', options.maxSize, true),
          customer: options.customer as string | undefined,
          endpoint: options.endpoint as string | undefined,
          threads: options.threads === undefined ? undefined : positive('--threads', options.threads, true),
          onProgress: ({ files, bytes, matches }) => {
            const seconds = Math.max(0.001, (Date.now() - started) / 1000)
            progress(`${files.toLocaleString('en')} files · ${(bytes / 1e6).toFixed(0)} MB · ${(bytes / 1e6 / seconds).toFixed(0)} MB/s · ${matches} matches`)
          },
        })
        const sightings = await allSightings(services.hunt, actor.scope, result.id)
        const report = result.report?.files
        const data = {
          hunt: result.id,
          files: report?.files ?? 0,
          bytes: report?.bytes ?? 0,
          sightings: sightings.map((s) => ({ indicator: s.indicator, kind: s.kind, path: s.file, sha256: s.sha256 })),
          suspicious: report?.suspicious ?? [],
          problems: report?.problems ?? 0,
          problemSample: report?.problemSample ?? [],
        }
        const human = [
          door.fields([
            ['hunt', result.id],
            ['files', report?.files.toLocaleString('en')],
            ['bytes', report?.bytes.toLocaleString('en')],
            ['hash matches', sightings.length],
            ['tampered PE files', report?.suspicious.length ?? 0],
            ['problems', report?.problems ?? 0],
          ]),
          ...sightings.map((s) => `MATCH ${s.kind} ${s.indicator}  ${s.file}`),
          ...(report?.suspicious ?? []).flatMap((f) => [`PE ${f.path}`, ...f.findings.map((x) => `  ${x.kind} at ${x.offset}: ${x.explanation}`)]),
          ...(report?.problemSample ?? []).map((p) => `problem: ${p.path}: ${p.problem}`),
        ].join('\n')
        return { data, human }
      }),
    )

  door
    .common(hunt.command('list').description('list hunts'))
    .option('--limit <n>', 'page size', '50')
    .option('--cursor <cursor>', 'continue from a previous page')
    .action(
      door.action(async ({ services, actor }, _args, options) => {
        const page = await services.hunt.listHunts(actor.scope, { limit: door.pageSize(options.limit), cursor: options.cursor as string | undefined })
        const human = door.pageTable(page, [
          ['id', (h) => h.id],
          ['kind', (h) => h.kind],
          ['status', (h) => h.status],
          ['started', (h) => h.startedAt],
          ['sightings', (h) => h.report?.sightings ?? null],
          ['inputs', (h) => h.inputs.join(', ').slice(0, 60)],
        ])
        return { data: page, human }
      }),
    )

  door
    .common(hunt.command('show').argument('<hunt>', 'hunt id').description('a hunt, its report and a summary of its sightings'))
    .action(
      door.action(async ({ services, actor }, [id]) => {
        const service = services.hunt
        const found = await service.getHunt(actor.scope, id!)
        const summary = await service.summary(actor.scope, found.id)
        return { data: { ...found, summary }, human: [JSON.stringify(found.report, null, 2), door.table(summary.indicators, [['indicator', (i) => i.value], ['kind', (i) => i.kind], ['sightings', (i) => i.sightings], ['customers', (i) => i.customers], ['endpoints', (i) => i.endpoints], ['first', (i) => i.firstSeen], ['last', (i) => i.lastSeen]])].join('\n') }
      }),
    )

  const sightings = program.command('sightings').description('where indicators were seen')
  door
    .common(sightings.command('list').description('list sightings'))
    .option('--hunt <hunt>', 'one hunt')
    .option('--customer <customer>', 'one customer (id, external ref or name)')
    .option('--indicator <id>', 'one indicator')
    .option('--limit <n>', 'page size', '100')
    .option('--cursor <cursor>', 'continue from a previous page')
    .action(
      door.action(async ({ services, actor }, _args, options) => {
        const customer = typeof options.customer === 'string' ? await services.customers.resolve(actor.scope, options.customer) : undefined
        const page = await services.hunt.listSightings(actor.scope, {
          huntId: options.hunt as string | undefined,
          customerId: customer?.id,
          indicatorId: options.indicator as string | undefined,
          limit: door.pageSize(options.limit),
          cursor: options.cursor as string | undefined,
        })
        const human = door.pageTable(page, sightingColumns)
        return { data: page, human }
      }),
    )
  door
    .common(sightings.command('summary').description('sightings per indicator and per customer'))
    .option('--hunt <hunt>', 'one hunt')
    .action(
      door.action(async ({ services, actor }, _args, options) => {
        const summary = await services.hunt.summary(actor.scope, options.hunt as string | undefined)
        const human = [
          door.table(summary.indicators, [['indicator', (i) => i.value], ['kind', (i) => i.kind], ['sightings', (i) => i.sightings], ['customers', (i) => i.customers], ['endpoints', (i) => i.endpoints], ['last seen', (i) => i.lastSeen]]),
          '',
          door.table(summary.customers, [['customer', (c) => c.customerId ?? '(unattributed)'], ['sightings', (c) => c.sightings], ['indicators', (c) => c.indicators], ['endpoints', (c) => c.endpoints]]),
        ].join('\n')
        return { data: summary, human }
      }),
    )

  door
    .common(program.command('networks').argument('<customer>', 'customer (id, external ref or name)').description("a customer's address ranges, which attribute log clients to it"))
    .option('--set <cidr...>', 'replace them with these ranges (e.g. 10.20.0.0/16 2001:db8:5::/48)')
    .action(
      door.action(async ({ services, actor }, [customer], options) => {
        const service = services.hunt
        const networks = Array.isArray(options.set) ? await service.setNetworks(actor, customer!, (options.set as string[]).map((network) => ({ network }))) : await service.listNetworks(actor.scope, customer!)
        return { data: networks, human: door.table(networks, [['network', (n) => n.network], ['label', (n) => n.label]]) }
      }),
    )
}

const sightingColumns: Array<[string, (s: StoredSighting) => string | number | null]> = [
  ['id', (s) => s.id],
  ['indicator', (s) => s.indicator],
  ['matched', (s) => s.value],
  ['customer', (s) => s.customerId],
  ['client', (s) => s.client],
  ['time', (s) => s.seenAt],
  ['where', (s) => (s.line === null ? s.file : `${s.file}:${s.line}`)],
]

/** `--field domain=query` … as JSON field paths. */
function fieldsOf(values: unknown): JsonFields | undefined {
  if (!Array.isArray(values)) return undefined
  const fields: JsonFields = {}
  for (const value of values as string[]) {
    const [kind, path] = value.split('=', 2) as [string, string | undefined]
    if (!path) throw new AppError('invalid', `--field ${value}: expected kind=path`, { problems: [{ field: '--field', message: value }] })
    if (kind === 'domain' || kind === 'url' || kind === 'ip') (fields[kind] ??= []).push(path)
    else if (kind === 'client' || kind === 'timestamp') fields[kind] = path
    else throw new AppError('invalid', `--field ${value}: the kind is domain, url, ip, client or timestamp`, { problems: [{ field: '--field', message: value }] })
  }
  return fields
}

function sizeOf(file: string): number | undefined {
  try {
    return statSync(file).size
  } catch {
    return undefined // the hunt reports the file it cannot read
  }
}

/** `[#######.............]  35%` */
function bar(fraction: number): string {
  const share = Math.max(0, Math.min(1, fraction))
  const filled = Math.round(share * 20)
  return `[${'#'.repeat(filled)}${'.'.repeat(20 - filled)}] ${String(Math.round(share * 100)).padStart(3)}%`
}

function positive(flag: string, value: unknown, zeroAllowed = false): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < (zeroAllowed ? 0 : 1)) throw new AppError('invalid', `${flag} must be a whole number${zeroAllowed ? '' : ' above 0'}`, { problems: [{ field: flag, message: String(value) }] })
  return n
}

async function allSightings(service: HuntService, scope: import('../shared/actor.js').TenantScope, huntId: string): Promise<StoredSighting[]> {
  const all: StoredSighting[] = []
  for (let cursor: string | undefined; ; ) {
    const page = await service.listSightings(scope, { huntId, limit: 500, cursor })
    all.push(...page.items)
    if (!page.nextCursor) return all
    cursor = page.nextCursor
  }
}

function describeLogHunt(door: CliDoor, hunt: Hunt, sightings: StoredSighting[]): string {
  const lines = [door.fields([['hunt', hunt.id], ['bytes', hunt.report?.bytes.toLocaleString('en')], ['lines', hunt.report?.lines.toLocaleString('en')], ['sightings', sightings.length]])]
  for (const input of hunt.report?.logs ?? []) {
    if (input.error !== undefined) lines.push(`${input.input}: could not be read: ${input.error}`)
    else if (input.unparseable > 0) lines.push(`${input.input} (${input.format}): ${input.unparseable.toLocaleString('en')} lines not in the format, e.g. line ${input.unparseableSamples[0]?.line}: ${input.unparseableSamples[0]?.reason}`)
  }
  if (sightings.length > 0) lines.push('', door.table(sightings.slice(0, 200), sightingColumns), ...(sightings.length > 200 ? [`… ${sightings.length - 200} more (--json for all)`] : []))
  return lines.join('\n')
}
