// Wall-clock time in a schedule's zone. A "wall" is a local date-time held as milliseconds as if
// the zone were UTC, so calendar arithmetic (next day, next Monday 09:00) is plain addition and
// only turning a wall into an instant needs the zone's rules.
import { DateTime, IANAZone } from 'luxon'

export const minuteMs = 60_000
export const hourMs = 3_600_000
export const dayMs = 86_400_000

/**
 * An IANA zone whose UTC offsets are remembered per UTC day: rendering asks about the same days
 * over and over, and luxon asks Intl each time (about 4 µs a call). A day whose offset changes is
 * not remembered; like instantOf, this relies on no zone changing twice within a day or two.
 */
export class ScheduleZone {
  private readonly days = new Map<number, number>()

  constructor(private readonly zone: IANAZone) {}

  get name(): string {
    return this.zone.name
  }

  /** Minutes ahead of UTC at an instant. */
  offset(instant: number): number {
    const day = Math.floor(instant / dayMs)
    let offset = this.days.get(day)
    if (offset === undefined) {
      const first = this.zone.offset(day * dayMs)
      offset = first === this.zone.offset(day * dayMs + dayMs - 1) ? first : Number.NaN
      if (this.days.size >= 4096) this.days.clear()
      this.days.set(day, offset)
    }
    return Number.isNaN(offset) ? this.zone.offset(instant) : offset
  }
}

/** The IANA zone of that name, or undefined when there is none (luxon also accepts 'UTC'). */
export function findZone(name: string): ScheduleZone | undefined {
  return IANAZone.isValidZone(name) ? new ScheduleZone(IANAZone.create(name)) : undefined
}

/** 'YYYY-MM-DDTHH:mm' (seconds optional, no offset) as a wall, or undefined when it is no real date-time. */
export function parseLocalDateTime(text: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text)
  if (match === null) return undefined
  const [year, month, day, hour, minute, second] = match.slice(1).map((part) => Number(part ?? '0')) as [number, number, number, number, number, number]
  if (year < 1900 || hour > 23 || minute > 59 || second > 59) return undefined
  const wall = Date.UTC(year, month - 1, day, hour, minute, second)
  // Date.UTC rolls 2026-02-30 over to March; a date that does not come back the same is not a date
  const check = new Date(wall)
  return check.getUTCMonth() === month - 1 && check.getUTCDate() === day ? wall : undefined
}

/** 'HH:mm' as milliseconds after local midnight, or undefined. */
export function parseTimeOfDay(text: string): number | undefined {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text)
  return match === null ? undefined : Number(match[1]) * hourMs + Number(match[2]) * minuteMs
}

/** The local date-time at an instant. */
export function wallOf(zone: ScheduleZone, instant: number): number {
  return instant + zone.offset(instant) * minuteMs
}

/** The local date of an instant, as days since 1970-01-01. */
export function localDayOf(zone: ScheduleZone, instant: number): number {
  return Math.floor(wallOf(zone, instant) / dayMs)
}

/**
 * The instant a wall-clock time happens. A time that happens twice (the hour repeated when clocks
 * go back) resolves to its first occurrence; a time that never happens (skipped when clocks go
 * forward) resolves to the first instant after it, the moment the clocks jump.
 */
export function instantOf(zone: ScheduleZone, wall: number): number {
  // The offsets a day either side cover the change, if any: zones never change twice in two days
  const offsets = [...new Set([zone.offset(wall - dayMs), zone.offset(wall), zone.offset(wall + dayMs)])]
  let first: number | undefined
  for (const offset of offsets) {
    const instant = wall - offset * minuteMs
    if (zone.offset(instant) === offset && (first === undefined || instant < first)) first = instant
  }
  if (first !== undefined) return first
  // In the skipped hour: read with the new (larger) offset the wall lands before the change, with
  // the old one after it, so the change lies between; find it to the second
  let before = wall - Math.max(...offsets) * minuteMs
  let after = wall - Math.min(...offsets) * minuteMs
  const old = zone.offset(before)
  while (after - before > 1000) {
    const middle = before + Math.floor((after - before) / 2000) * 1000
    if (zone.offset(middle) === old) before = middle
    else after = middle
  }
  return after
}

/** 'Sat 2026-03-07 18:00': how people read a time in the schedule's zone. */
export function formatLocal(zone: ScheduleZone, instant: number): string {
  return DateTime.fromMillis(instant, { zone: zone.name, locale: 'en-US' }).toFormat('ccc yyyy-MM-dd HH:mm')
}
