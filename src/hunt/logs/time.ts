// Times as logs write them, turned into ISO 8601: epochs (UTC, with Z), and the local wall-clock
// forms (syslog, BIND, Windows, ISO without offset) without an offset, since the log does not say
// which zone it was in. Only read for lines with a sighting, so regular expressions are fine here.

const months: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 }
const earliest = Date.UTC(1990, 0, 1)
const latest = Date.UTC(2100, 0, 1)

/** Unix seconds with an optional fraction ("1710756930.123456") as UTC, or null. */
export function isoFromEpoch(text: string): string | null {
  const match = /^(\d{9,11})(?:\.(\d+))?$/.exec(text)
  if (!match) return null
  const ms = Number(match[1]) * 1000 + Number((match[2] ?? '').padEnd(3, '0').slice(0, 3))
  return ms >= earliest && ms < latest ? new Date(ms).toISOString() : null
}

/** Seconds (or milliseconds, when the number is that large) since the epoch, as UTC. */
export function isoFromEpochNumber(value: number): string | null {
  if (!Number.isFinite(value)) return null
  const ms = value > 1e11 ? Math.floor(value) : Math.floor(value * 1000)
  return ms >= earliest && ms < latest ? new Date(ms).toISOString() : null
}

/** An ISO 8601 text: with an offset, as UTC; without, as the same local time. */
export function isoFromText(text: string): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/i.exec(text.trim())
  if (!match) return null
  const [, year, month, day, hour, minute, second, fraction, zone] = match
  return wallClock(Number(year), Number(month), Number(day), Number(hour), Number(minute), Number(second), fraction, zone)
}

/**
 * The time a log line starts with, in any of the forms DNS servers and proxies write: ISO 8601,
 * BIND's 18-Mar-2024 10:15:30.123, syslog's Mar 18 10:15:30 (year from `reference`), [epoch] and
 * epoch.fraction, and Windows' 3/18/2024 10:15:30 AM (or 18/03/2024 10:15:30). Null when none.
 */
export function leadingTime(line: string, reference: Date): string | null {
  const text = line.replace(/^<\d{1,3}>(?:1 )?/, '')
  let match = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?/i.exec(text)
  if (match) return wallClock(Number(match[1]), Number(match[2]), Number(match[3]), Number(match[4]), Number(match[5]), Number(match[6]), match[7], match[8])
  match = /^(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2})(\.\d+)?/.exec(text)
  if (match) {
    const month = months[match[2]!.toLowerCase()]
    return month === undefined ? null : wallClock(Number(match[3]), month, Number(match[1]), Number(match[4]), Number(match[5]), Number(match[6]), match[7], undefined)
  }
  match = /^([A-Za-z]{3}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(\.\d+)?/.exec(text)
  if (match) {
    const month = months[match[1]!.toLowerCase()]
    if (month === undefined) return null
    const day = Number(match[2])
    let year = reference.getUTCFullYear()
    // A syslog line has no year: the latest year that does not put it after the reference (a December line read in January is last year's).
    if (Date.UTC(year, month - 1, day) > reference.getTime() + 86_400_000) year--
    return wallClock(year, month, day, Number(match[3]), Number(match[4]), Number(match[5]), match[6], undefined)
  }
  match = /^\[?(\d{9,11})(?:\.(\d+))?\]?(?=\s|$)/.exec(text)
  if (match) return isoFromEpoch(match[2] === undefined ? match[1]! : `${match[1]}.${match[2]}`)
  match = /^(\d{1,2})([/.])(\d{1,2})\2(\d{4}),? (\d{1,2}):(\d{2}):(\d{2})(?: ?([AaPp][Mm]))?/.exec(text)
  if (match) {
    let [first, second] = [Number(match[1]), Number(match[3])]
    // 12-hour clocks go with month/day (en-US); 24-hour ones and dotted dates with day/month, as do dates whose first number is over 12.
    const monthFirst = match[8] !== undefined && match[2] === '/' && first <= 12
    if (!monthFirst) [first, second] = [second, first]
    let hour = Number(match[5])
    const meridiem = match[8]?.toLowerCase()
    if (meridiem === 'pm' && hour < 12) hour += 12
    if (meridiem === 'am' && hour === 12) hour = 0
    return wallClock(Number(match[4]), first, second, hour, Number(match[6]), Number(match[7]), undefined, undefined)
  }
  return null
}

function wallClock(year: number, month: number, day: number, hour: number, minute: number, second: number, fraction: string | undefined, zone: string | undefined): string | null {
  const ms = Number(((fraction ?? '').slice(1) || '0').padEnd(3, '0').slice(0, 3))
  const local = Date.UTC(year, month - 1, day, hour, minute, second, ms)
  const date = new Date(local)
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || hour > 23 || minute > 59 || second > 60) return null
  if (local < earliest || local >= latest) return null
  if (zone === undefined) return date.toISOString().slice(0, -1)
  if (zone.toUpperCase() === 'Z') return date.toISOString()
  const digits = zone.slice(1).replace(':', '')
  const offset = (zone.startsWith('-') ? -1 : 1) * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000
  return new Date(local - offset).toISOString()
}
