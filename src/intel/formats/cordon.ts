import Value from 'typebox/value'
import { isValidVersion, productKey, tidyVersion, type RangeEvent, type VersionRange } from '../../versions/index.js'
import { normaliseIndicator } from '../indicator-values.js'
import { cordonAdvisoryFormat, CordonAdvisorySchema, type CordonAdvisory } from '../model.js'
import { contentHash, isoOrNull, isRecord, type ParsedAdvisory, type ParsedIndicator, type ParsedTarget, type RecordReading } from './parsed.js'

/**
 * Cordon's own advisory format (docs/advisories.md, schema in docs/schemas/): vendor software
 * by vendor, product and platform, with remediation and the indicators that go with it.
 * Every product alias becomes a target of its own, so matching finds the product under any name.
 */

export function looksLikeCordon(value: unknown): boolean {
  return isRecord(value) && value.format === cordonAdvisoryFormat
}

export function readCordonAdvisory(record: unknown): RecordReading<ParsedAdvisory> {
  const problems = validationProblems(record)
  if (problems.length > 0) {
    const id = isRecord(record) && typeof record.id === 'string' ? `${record.id.slice(0, 100)}: ` : ''
    return { ok: false, reason: `${id}not a valid Cordon advisory: ${problems.slice(0, 10).join('; ')}${problems.length > 10 ? `; and ${problems.length - 10} more` : ''}` }
  }
  const advisory = record as CordonAdvisory
  const unusable: string[] = []
  const withdrawnAt = advisory.withdrawn === undefined ? null : isoOrNull(advisory.withdrawn)
  const targets: ParsedTarget[] = []
  if (withdrawnAt === null) {
    advisory.affected.forEach((affected, index) => {
      const where = `${advisory.id} affected[${index}] (${affected.product})`
      const versions = [...new Set((affected.versions ?? []).map(tidyVersion))]
      const ranges: VersionRange[] = []
      ;(affected.ranges ?? []).forEach((range, r) => {
        const events = range.events.map((event) => Object.fromEntries(Object.entries(event).map(([k, v]) => [k, tidyVersion(v as string)])) as RangeEvent)
        const bad = events.flatMap((event) => Object.entries(event)).find(([name, v]) => !((name === 'introduced' && v === '0') || (name === 'limit' && v.includes('*')) || isValidVersion(range.scheme, v)))
        if (bad) unusable.push(`${where} ranges[${r}]: ${bad[0]} "${bad[1]}" is not a valid ${range.scheme} version`)
        else if (!events.some((e) => 'introduced' in e)) unusable.push(`${where} ranges[${r}]: no "introduced" event, so nothing is inside the range`)
        else ranges.push({ scheme: range.scheme, events })
      })
      if (versions.length === 0 && ranges.length === 0) {
        unusable.push(`${where}: no usable versions or ranges`)
        return
      }
      // An alias that normalises to a name already listed ("3CX Desktop App.app") adds no target.
      const keys = new Set<string>()
      for (const product of [affected.product, ...(affected.productAliases ?? [])]) {
        if (keys.has(productKey(product))) continue
        keys.add(productKey(product))
        targets.push({ ecosystem: null, vendor: affected.vendor.trim(), product: product.trim(), platform: affected.platform, versions, ranges })
      }
    })
  }
  const indicators: ParsedIndicator[] = []
  ;(advisory.indicators ?? []).forEach((indicator, index) => {
    const normalised = normaliseIndicator(indicator.kind, indicator.value)
    if (!normalised.ok) {
      unusable.push(`${advisory.id} indicators[${index}]: ${normalised.error}`)
      return
    }
    indicators.push({
      ...normalised.value,
      description: indicator.description?.trim() ?? '',
      confidence: indicator.confidence,
      source: indicator.source.trim(),
      tags: indicator.tags ?? [],
      validFrom: isoOrNull(indicator.validFrom),
      validUntil: isoOrNull(indicator.validUntil),
    })
  })
  const remediation = advisory.remediation
  return {
    ok: true,
    unusable,
    value: {
      sourceKind: 'cordon',
      externalId: advisory.id,
      aliases: advisory.aliases ?? [],
      title: advisory.title.trim(),
      summary: advisory.summary.trim(),
      details: advisory.details?.trim() ?? '',
      severity: advisory.severity,
      publishedAt: isoOrNull(advisory.published),
      modifiedAt: isoOrNull(advisory.modified),
      withdrawnAt,
      references: (advisory.references ?? []).map((r) => ({ url: r.url, type: r.type ?? 'web', title: r.title ?? null })),
      remediation: remediation
        ? {
            summary: remediation.summary,
            steps: remediation.steps.map((s) => ({ action: s.action, text: s.text, minimumVersion: s.minimumVersion ?? null, platform: s.platform ?? null })),
            fixedVersions: (remediation.fixedVersions ?? []).map((f) => ({ platform: f.platform, version: f.version, note: f.note ?? null })),
          }
        : null,
      targets,
      indicators,
      contentHash: contentHash(record),
    },
  }
}

function validationProblems(record: unknown): string[] {
  const problems: string[] = []
  const seen = new Set<string>()
  for (const error of Value.Errors(CordonAdvisorySchema, record)) {
    const field = error.instancePath.replace(/^\//, '').replaceAll('/', '.') || '(root)'
    if (seen.has(field)) continue
    seen.add(field)
    const allowed = (error.params as { allowedValues?: unknown[] }).allowedValues
    problems.push(`${field} ${allowed ? `must be one of: ${allowed.join(', ')}` : error.message}`)
  }
  return problems
}
