/**
 * OSV affected ranges (https://ossf.github.io/osv-schema/#affectedrangesevents-fields) over the
 * version schemes: a version is in a range when, walking the events in version order, the last one
 * it has reached is an `introduced` (reached: at or above an `introduced` or `fixed`, above a
 * `last_affected`), and it is below one of the `limit`s if there are any. `introduced: "0"` sorts
 * before every version, a `limit` containing '*' is infinity. Events at equal versions keep their
 * listed order, as a stable sort would.
 */
import { compareVersions, type VersionScheme } from './compare.js'

export type RangeEvent = { introduced: string } | { fixed: string } | { last_affected: string } | { limit: string }

export interface VersionRange {
  scheme: VersionScheme
  events: RangeEvent[]
}

/**
 * The OSV evaluation without sorting: the last event reached in sorted order is the reached event
 * with the highest version, the later listed one among equals.
 */
export function inRange(version: string, range: VersionRange): boolean {
  let limited = false
  let belowLimit = false
  let lastReached: { introduced: boolean; at: string | null } | undefined // at null: introduced "0"
  for (const event of range.events) {
    if ('limit' in event) {
      limited = true
      if (!belowLimit) belowLimit = event.limit.includes('*') || compareVersions(range.scheme, version, event.limit) < 0
      continue
    }
    const introduced = 'introduced' in event
    const at = introduced ? event.introduced : 'fixed' in event ? event.fixed : event.last_affected
    if (introduced && at === '0') {
      if (lastReached === undefined || lastReached.at === null) lastReached = { introduced, at: null }
      continue
    }
    const order = compareVersions(range.scheme, version, at)
    const reached = order > 0 || (order === 0 && !('last_affected' in event))
    if (reached && (lastReached === undefined || lastReached.at === null || compareVersions(range.scheme, at, lastReached.at) >= 0)) {
      lastReached = { introduced, at }
    }
  }
  return lastReached?.introduced === true && (!limited || belowLimit)
}

/** Affected if equal (by the scheme's equality) to one of `versions`, or inside one of `ranges`. */
export function isAffected(
  version: string,
  target: { versions: readonly string[]; ranges: readonly VersionRange[] },
  scheme: VersionScheme,
): boolean {
  return target.versions.some((listed) => compareVersions(scheme, version, listed) === 0) || target.ranges.some((range) => inRange(version, range))
}
