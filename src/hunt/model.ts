// Hunts and sightings: where an indicator was seen, in which log line or file, attributed to a
// customer and an endpoint when the client's address or name says which.
import type { IndicatorKind } from '../intel/index.js'
import type { HuntReport as LogReport } from './logs/types.js'

export const huntKinds = ['logs', 'files'] as const
export type HuntKind = (typeof huntKinds)[number]

export const huntStatuses = ['queued', 'running', 'done', 'failed'] as const
export type HuntStatus = (typeof huntStatuses)[number]

/** What one input of a hunt gave: a log's report, or why it could not be read. */
export type InputReport =
  | ({ input: string; error?: undefined } & LogReport)
  | { input: string; error: string }

export interface FileSweepReport {
  roots: string[]
  files: number
  bytes: number
  matches: number
  problems: number
  problemSample: Array<{ path: string; problem: string }>
  skipped: number
  pe: { inspected: number; malformed: number; withFindings: number }
  /** Files whose PE image shows signature tampering, with what was seen (the first 1,000). */
  suspicious: Array<{ path: string; sha256: string; findings: Array<{ kind: string; explanation: string; offset: number; length: number }> }>
}

export interface Hunt {
  id: string
  kind: HuntKind
  status: HuntStatus
  customerId: string | null
  actorId: string
  inputs: string[]
  startedAt: string
  finishedAt: string | null
  /** Logs: one report per input. Files: the sweep's totals. */
  report: { logs?: InputReport[]; files?: FileSweepReport; sightings: number; bytes: number; lines: number } | null
  error: string | null
}

export interface StoredSighting {
  id: string
  huntId: string
  indicatorId: string
  /** The indicator's own value (the domain, address or hash it names). */
  indicator: string
  kind: IndicatorKind
  /** What matched: a name, URL or address as the log wrote it, or a file's hash. */
  value: string
  customerId: string | null
  endpointId: string | null
  /** The log file, or the file found by a sweep. */
  file: string
  line: number | null
  /** The log's own time for the line. */
  seenAt: string | null
  client: string | null
  sha256: string | null
  /** The line (truncated), or what a PE inspection saw. */
  detail: string | null
  createdAt: string
}

export interface SightingSummary {
  indicators: Array<{ indicatorId: string; kind: string; value: string; sightings: number; customers: number; endpoints: number; firstSeen: string | null; lastSeen: string | null }>
  customers: Array<{ customerId: string | null; sightings: number; indicators: number; endpoints: number }>
}
