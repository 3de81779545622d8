import type { Command } from 'commander'
import type { CliDoor } from '../cli/door.js'
import { AppError } from '../shared/errors.js'
import type { AdvisoryDetail, ImportFormat, ImportProblem, ImportReport } from './model.js'

const problemsShown = 20

/** `cordon intel …`: import advisories and indicators, and read them. */
export function registerIntelCommands(program: Command, door: CliDoor): void {
  const intel = program.command('intel').description('advisories and indicators of compromise: import and read them')

  door
    .common(intel.command('import').argument('<files...>', 'files to import: OSV JSON (a record, an array, a directory or a zip of records), Cordon advisory JSON, STIX 2.1 bundles, CSV indicator lists'))
    .description('import advisories or indicators; each file in a transaction of its own')
    .option('--format <format>', 'osv, cordon, stix or csv (default: detected from the content)')
    .action(
      door.action(async ({ services, actor, progress }, files, options) => {
        const format = options.format as ImportFormat | undefined
        const reports: ImportReport[] = []
        const failures: Array<{ file: string; error: AppError }> = []
        for (const file of files) {
          try {
            reports.push(await services.intel.importFile(actor, { name: file, path: file }, { format, onProgress: (records) => progress(`${file}: ${records} records read`) }))
          } catch (error) {
            if (!(error instanceof AppError)) throw error
            failures.push({ file, error })
          } finally {
            progress('')
          }
        }
        if (failures.length > 0) {
          const done = reports.map((r) => `${r.file} imported (${summary(r)})`)
          throw new AppError(
            failures.every((f) => f.error.kind === 'not_found') ? 'not_found' : 'invalid',
            [...failures.map((f) => f.error.message), ...done].join('\n'),
            { problems: failures.flatMap((f) => (f.error.problems.length > 0 ? f.error.problems : [{ field: f.file, message: f.error.message }])) },
          )
        }
        return { data: files.length === 1 ? reports[0] : reports, human: reports.map(describeReport).join('\n\n') }
      }),
    )

  door
    .common(intel.command('list').description('list advisories, newest first'))
    .option('--search <text>', 'text in the id, aliases (CVE), title or product names')
    .option('--severity <severity>', 'critical, high, medium, low or unknown')
    .option('--source <source>', "the file the advisories came from, or 'bundled'")
    .option('--withdrawn', 'include withdrawn advisories')
    .option('--limit <n>', 'page size', '50')
    .option('--cursor <cursor>', 'continue from a previous page')
    .action(
      door.action(async ({ services }, _args, options) => {
        const page = await services.intel.listAdvisories({
          search: options.search as string | undefined,
          severity: options.severity as never,
          source: options.source as string | undefined,
          includeWithdrawn: options.withdrawn === true,
          limit: door.pageSize(options.limit),
          cursor: options.cursor as string | undefined,
        })
        const human = door.pageTable(page, [
          ['id', (a) => a.externalId],
          ['severity', (a) => a.severity],
          ['published', (a) => a.publishedAt?.slice(0, 10)],
          ['aliases', (a) => a.aliases.slice(0, 3).join(' ')],
          ['title', (a) => (a.title.length > 80 ? `${a.title.slice(0, 77)}...` : a.title)],
        ])
        return { data: page, human }
      }),
    )

  door
    .common(intel.command('show').argument('<advisory>', 'id, its own id (GHSA-…, CORDON-…) or an alias such as a CVE id'))
    .description('show an advisory: what it affects, what to do, how many indicators it has')
    .action(
      door.action(async ({ services }, [reference]) => {
        const advisory = await services.intel.getAdvisory(reference!)
        return { data: advisory, human: describeAdvisory(door, advisory) }
      }),
    )

  door
    .common(intel.command('indicators').description('list indicators of compromise, newest first'))
    .option('--kind <kind>', 'sha256, sha1, md5, domain, url, ipv4, ipv6 or cidr')
    .option('--advisory <advisory>', "only this advisory's indicators (id, its own id or an alias)")
    .option('--confidence <confidence>', 'high, medium, low or unknown')
    .option('--search <text>', 'text in the value, description or source')
    .option('--limit <n>', 'page size', '100')
    .option('--cursor <cursor>', 'continue from a previous page')
    .action(
      door.action(async ({ services }, _args, options) => {
        const page = await services.intel.listIndicators({
          kind: options.kind as never,
          advisoryId: options.advisory as string | undefined,
          confidence: options.confidence as never,
          search: options.search as string | undefined,
          limit: door.pageSize(options.limit),
          cursor: options.cursor as string | undefined,
        })
        const human = door.pageTable(page, [
          ['kind', (i) => i.kind],
          ['value', (i) => i.value],
          ['confidence', (i) => i.confidence],
          ['source', (i) => (i.source.length > 50 ? `${i.source.slice(0, 47)}...` : i.source)],
        ])
        return { data: page, human }
      }),
    )
}

function summary(report: ImportReport): string {
  const { advisories: a, indicators: i } = report
  return [
    `advisories: ${a.added} added, ${a.updated} updated, ${a.unchanged} unchanged, ${a.withdrawn} withdrawn`,
    `indicators: ${i.added} added, ${i.updated} updated, ${i.unchanged} unchanged`,
    `${report.rejectedCount} rejected, ${report.unusableCount} unusable`,
  ].join('; ')
}

function describeReport(report: ImportReport): string {
  const where = (p: ImportProblem) => [p.line === undefined ? p.file : `${p.file}:${p.line}`, p.objectId].filter(Boolean).join(' ')
  const problems = [
    ...report.rejected.map((p) => `  rejected  ${where(p)}: ${p.reason}`),
    ...report.unusable.map((p) => `  unusable  ${where(p)}: ${p.reason}`),
  ]
  const hidden = report.rejectedCount + report.unusableCount - Math.min(problems.length, problemsShown)
  return [
    `${report.file} (${report.format}, ${report.durationMs} ms)`,
    `  ${summary(report)}`,
    ...problems.slice(0, problemsShown).map(clean),
    ...(hidden > 0 ? [`  … and ${hidden} more (--json lists up to 1000 of each)`] : []),
  ].join('\n')
}

function describeAdvisory(door: CliDoor, advisory: AdvisoryDetail): string {
  const remediation = advisory.remediation
  return [
    door.fields([
      ['id', advisory.externalId],
      ['title', advisory.title],
      ['severity', advisory.severity],
      ['aliases', advisory.aliases.join(', ')],
      ['published', advisory.publishedAt],
      ['modified', advisory.modifiedAt],
      ['withdrawn', advisory.withdrawnAt],
      ['source', `${advisory.source} (${advisory.sourceKind})`],
      ['indicators', advisory.indicatorCount],
      ['cordon id', advisory.id],
    ]),
    '',
    clean(advisory.summary),
    '',
    'affected:',
    door.table(advisory.targets, [
      ['vendor', (t) => t.vendor],
      ['product', (t) => t.product],
      ['ecosystem', (t) => t.ecosystem],
      ['platform', (t) => t.platform ?? 'any'],
      ['versions', (t) => t.versions.slice(0, 8).join(' ') + (t.versions.length > 8 ? ` (+${t.versions.length - 8})` : '')],
      ['ranges', (t) => t.ranges.map((r) => r.events.map((e) => Object.entries(e).map(([k, v]) => `${k} ${v}`).join('')).join(', ')).join('; ')],
    ]),
    ...(remediation
      ? [
          '',
          'remediation:',
          `  ${clean(remediation.summary)}`,
          ...remediation.steps.map((s, i) => `  ${i + 1}. [${s.action}${s.platform ? `, ${s.platform}` : ''}${s.minimumVersion ? `, ≥ ${s.minimumVersion}` : ''}] ${clean(s.text)}`),
          ...remediation.fixedVersions.map((f) => `  fixed on ${f.platform}: ${f.version}${f.note ? ` (${clean(f.note)})` : ''}`),
        ]
      : []),
  ].join('\n')
}

function clean(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, ' ')
}
