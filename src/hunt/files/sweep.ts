// The file sweep: walk the roots, hash every file on all cores, inspect the PE images, and report
// the files that match a hash indicator or carry PE findings, then a summary. Pure library code:
// no database, no output; the caller stores or prints what it gets.
import type { DigestAlgorithm } from './hash.js'
import type { PeFinding } from './pe.js'
import { hashFiles } from './pool.js'
import { walkFiles, type FileProblem, type SkipReason, type WalkOptions, type WalkedFile } from './walk.js'

/** Known-bad file hashes, as hex (any case). SHA-1 and MD5 are computed only when given here. */
export interface HashIndicators {
  sha256: ReadonlySet<string>
  sha1?: ReadonlySet<string> | undefined
  md5?: ReadonlySet<string> | undefined
}

export interface SweepOptions extends Omit<WalkOptions, 'onSkipped'> {
  hashes: HashIndicators
  /** Inspect files that start with `MZ` as PE images (certificate table tricks, payload markers). */
  inspectPe: boolean
  /** Worker threads (default: all cores); 0 hashes in the calling thread. */
  threads?: number | undefined
  /** Largest certificate table read, in bytes (default 16 MiB). */
  maxCertificateTableBytes?: number | undefined
  /** Called after each batch of files and once at the end, with running totals. */
  onProgress?: ((progress: SweepProgress) => void) | undefined
  /** Told of every entry the walk left out on purpose (see SkipReason). */
  onSkipped?: ((path: string, reason: SkipReason) => void) | undefined
}

export interface SweepProgress {
  /** Files hashed. */
  files: number
  bytes: number
  matches: number
  problems: number
}

/** A file that matches a hash indicator, or a PE image with findings (or both). */
export interface SweepMatch {
  kind: 'match'
  path: string
  size: number
  sha256: string
  sha1?: string | undefined
  md5?: string | undefined
  matched: { kind: DigestAlgorithm; value: string }[]
  pe: PeFinding[]
}

export interface SweepSummary extends SweepProgress {
  kind: 'summary'
  /** Entries left out on purpose, in all and by reason. */
  skipped: number
  skippedBy: Record<SkipReason, number>
  /** The first problems met (up to 20), for the report; `problems` counts them all. */
  problemSample: FileProblem[]
  pe: {
    /** Files that start with `MZ` and were inspected. */
    inspected: number
    /** MZ files with a PE signature whose headers cannot be read (counted, not reported as matches). */
    malformed: number
    withFindings: number
  }
}

export type SweepEvent = SweepMatch | SweepSummary

const problemSampleSize = 20

/**
 * Sweeps the roots: yields a `match` for each file that matches an indicator or has PE findings,
 * as found (in no particular order), and a `summary` last. Unreadable paths are counted and
 * sampled in the summary; they never stop the sweep.
 */
export async function* sweepFiles(roots: readonly string[], options: SweepOptions): AsyncGenerator<SweepEvent, void, undefined> {
  const indicators = normalizedIndicators(options.hashes)
  const algorithms = digestAlgorithmsFor(indicators)
  const skippedBy: Record<SkipReason, number> = { symlink: 0, special: 0, excluded: 0, size: 0, already_walked: 0 }
  const totals: SweepProgress = { files: 0, bytes: 0, matches: 0, problems: 0 }
  const pe = { inspected: 0, malformed: 0, withFindings: 0 }
  const problemSample: FileProblem[] = []
  const problem = (found: FileProblem) => {
    totals.problems++
    if (problemSample.length < problemSampleSize) problemSample.push(found)
  }
  const walk = walkFiles(roots, {
    ...options,
    onSkipped: (path, reason) => {
      skippedBy[reason]++
      options.onSkipped?.(path, reason)
    },
  })
  async function* walkedFiles(): AsyncGenerator<WalkedFile, void, undefined> {
    for await (const entry of walk) {
      if (entry.kind === 'problem') problem(entry)
      else yield entry
    }
  }

  const examined = hashFiles(walkedFiles(), {
    algorithms,
    inspectPe: options.inspectPe,
    followSymlinks: options.followSymlinks,
    threads: options.threads,
    maxCertificateTableBytes: options.maxCertificateTableBytes,
  })
  for await (const results of examined) {
    for (const result of results) {
      if (result.kind === 'problem') {
        problem(result)
        continue
      }
      totals.files++
      totals.bytes += result.size
      const matched = algorithms.flatMap((algorithm) => {
        const value = result[algorithm]
        return value !== undefined && indicators[algorithm]?.has(value) ? [{ kind: algorithm, value }] : []
      })
      let findings: PeFinding[] = []
      if (result.pe !== undefined) {
        pe.inspected++
        if (result.pe.kind === 'malformed') pe.malformed++
        if (result.pe.kind === 'pe' && result.pe.findings.length > 0) {
          pe.withFindings++
          findings = result.pe.findings
        }
      }
      if (matched.length === 0 && findings.length === 0) continue
      totals.matches++
      const { path, size, sha256, sha1, md5 } = result
      yield { kind: 'match', path, size, sha256, ...(sha1 !== undefined && { sha1 }), ...(md5 !== undefined && { md5 }), matched, pe: findings }
    }
    options.onProgress?.({ ...totals })
  }
  options.onProgress?.({ ...totals })
  const skipped = Object.values(skippedBy).reduce((sum, count) => sum + count, 0)
  yield { kind: 'summary', ...totals, skipped, skippedBy, problemSample, pe }
}

/** Lower-cased, trimmed copies: digests are compared as lower-case hex. Empty sets are dropped. */
function normalizedIndicators(hashes: HashIndicators): Partial<Record<DigestAlgorithm, Set<string>>> {
  const normalized: Partial<Record<DigestAlgorithm, Set<string>>> = {}
  for (const algorithm of ['sha256', 'sha1', 'md5'] as const) {
    const values = hashes[algorithm]
    if (values !== undefined && values.size > 0) normalized[algorithm] = new Set([...values].map((value) => value.trim().toLowerCase()))
  }
  return normalized
}

/** SHA-256 always (every result carries it); SHA-1 and MD5 only when there are indicators of that kind. */
function digestAlgorithmsFor(indicators: Partial<Record<DigestAlgorithm, Set<string>>>): DigestAlgorithm[] {
  return ['sha256', ...(['sha1', 'md5'] as const).filter((algorithm) => indicators[algorithm] !== undefined)]
}
