import Type from 'typebox'
import type { AdvisoryTarget } from '../intel/index.js'
import type { CatalogEntry } from '../inventory/index.js'
import { isAffected, schemeForEcosystem } from '../versions/index.js'

/** Exposure: which endpoints run a version an advisory names, and what became of each finding. */

export const findingStatuses = ['open', 'resolved', 'accepted', 'false_positive'] as const
export type FindingStatus = (typeof findingStatuses)[number]
export const resolutions = ['removed', 'upgraded', 'no_longer_affected'] as const
export type Resolution = (typeof resolutions)[number]

export interface Finding {
  id: string
  endpointId: string
  customerId: string
  advisoryId: string
  catalogId: number
  hostname: string | null
  endpoint: string
  vendor: string
  product: string
  version: string
  platform: string
  status: FindingStatus
  detectedAt: string
  installedSince: string
  resolvedAt: string | null
  resolution: Resolution | null
  /** What showed the resolution: the import (snapshot) and the time the version was last seen gone. */
  evidence: { importId?: string; observedAt?: string; reason?: string } | null
  reopenedCount: number
  reopenedAt: string | null
  triageReason: string | null
  acceptedUntil: string | null
  triagedBy: string | null
  triagedAt: string | null
  updatedAt: string
}

export interface FindingEvent {
  at: string
  event: string
  detail: Record<string, unknown>
}

export interface AdvisoryExposure {
  advisory: string
  customers: Array<{
    id: string
    name: string
    openFindings: number
    endpoints: Array<{ id: string; hostname: string | null; identifier: string; product: string; version: string; platform: string }>
  }>
}

/** Does this advisory target name this catalog entry? Product key, ecosystem, vendor (when both know it), platform, version. */
export function targetMatches(target: AdvisoryTarget, entry: CatalogEntry): boolean {
  if (target.productKey !== entry.productKey && target.productKey !== entry.sourceKey) return false
  if ((target.ecosystem ?? null) !== (entry.ecosystem ?? null)) return false
  if (target.vendorKey && entry.vendorKey && target.vendorKey !== entry.vendorKey) return false
  if (target.platform && target.platform !== 'any' && entry.platform !== 'any' && target.platform !== entry.platform) return false
  return isAffected(entry.version, target, schemeForEcosystem(entry.ecosystem))
}

export const TriageSchema = Type.Object({
  status: Type.Enum(['accepted', 'false_positive', 'open'], { description: 'accepted (risk accepted until a date), false_positive, or open to undo a triage' }),
  reason: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
  until: Type.Optional(Type.String({ format: 'date-time', description: 'For accepted: when the acceptance expires (required).' })),
})
