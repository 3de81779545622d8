// On-call schedules as pure functions over plain data: layers of rotations read in the schedule's
// local time (so hand-offs keep their wall-clock time across daylight-saving changes), stacked
// with later layers on top, overrides above all; who is on call at an instant, the final schedule
// over a range, and the checks a schedule must pass before it is saved. No storage, no clock.
import { AppError, type FieldProblem } from '../shared/errors.js'
import { cycleLength, flattenOverrides, layerPieces, mergePieces, overlay, type CompiledSchedule, type Piece } from './oncall-layers.js'
import { readOverrides, readSchedule } from './oncall-read.js'
import { dayMs, formatLocal } from './oncall-time.js'

export interface ScheduleDefinition {
  /** IANA zone the schedule's local times are read in. */
  timezone: string
  /** Later layers win where they have someone on call (PagerDuty semantics); earlier layers fill the rest. */
  layers: Layer[]
  /** A schedule may leave times uncovered only when it says so; otherwise gaps are an error. */
  allowGaps?: boolean
}

export interface Layer {
  /** Unique within the schedule; shifts name the layer they come from. */
  name: string
  /** Local date-time (no offset, e.g. '2026-03-02T09:00') when the first user's first shift starts; it also fixes the hand-off time of day. */
  start: string
  /** Daily and weekly hand-offs keep their local time (a shift across a DST change lasts 23 or 25 hours); custom ones are fixed elapsed hours. */
  rotation: { kind: 'daily' } | { kind: 'weekly' } | { kind: 'custom'; hours: number }
  /** In rotation order; the same user may appear more than once. */
  users: string[]
  /** When set, the layer only covers these local windows (e.g. nights only 18:00–08:00, or weekdays). */
  restrictions?: Restriction[]
  /** Optional local date-time after which the layer stops. */
  end?: string
}

/** ISO weekday: Monday is 1, Sunday 7. */
export type IsoWeekday = 1 | 2 | 3 | 4 | 5 | 6 | 7

/** A local window, 'HH:mm' times; an end before the start wraps past midnight (daily) or into the next week (weekly). */
export type Restriction =
  | { kind: 'daily'; start: string; end: string }
  | { kind: 'weekly'; startDay: IsoWeekday; start: string; endDay: IsoWeekday; end: string }

/** Someone on call instead of whoever the layers have, between two UTC ISO instants. Later overrides win where they overlap. */
export interface Override {
  userId: string
  start: string
  end: string
}

/** A stretch of the final schedule. `layer` is null for an override. */
export interface Shift {
  userId: string
  start: string
  end: string
  layer: string | null
}

/** The longest range rendered at once, and the furthest a gap check looks ahead. */
const maxSpan = 366 * dayMs
/** A gap check looks at least this far ahead: long enough to see every day of the week a few times. */
const gapHorizon = 28 * dayMs
/** How far either side of an instant whoIsOnCall looks for the ends of its shift, widening only while the shift reaches the edge. */
const shiftReaches = [2 * dayMs, 16 * dayMs, 128 * dayMs]

function summary(problems: FieldProblem[]): string {
  return problems.map((problem) => `${problem.field} ${problem.message}`).join('; ')
}

function scheduleOrThrow(definition: unknown): CompiledSchedule {
  const { problems, schedule } = readSchedule(definition)
  if (schedule === undefined) throw new AppError('invalid', `invalid on-call schedule: ${summary(problems)}`, { problems })
  return schedule
}

function overridesOrThrow(overrides: unknown): Piece[] {
  const { problems, pieces } = readOverrides(overrides)
  if (problems.length > 0) throw new AppError('invalid', `invalid overrides: ${summary(problems)}`, { problems })
  return pieces
}

function instantOrThrow(date: unknown, field: string): number {
  const instant = date instanceof Date ? date.getTime() : Number.NaN
  if (Number.isNaN(instant)) throw new AppError('invalid', `${field} must be a valid date`, { problems: [{ field, message: 'must be a valid date' }] })
  return instant
}

/** Everyone on call within [from, to): layers stacked in order, overrides on top, neighbours merged. */
function timeline(schedule: CompiledSchedule, overrides: Piece[], from: number, to: number): Piece[] {
  let pieces: Piece[] = []
  for (const layer of schedule.layers) pieces = overlay(pieces, layerPieces(schedule.zone, layer, from, to))
  const inRange = overrides
    .filter((override) => override.end > from && override.start < to)
    .map((override) => ({ ...override, start: Math.max(override.start, from), end: Math.min(override.end, to) }))
  return mergePieces(overlay(pieces, flattenOverrides(inRange)))
}

function toShift(piece: Piece): Shift {
  return { userId: piece.userId, start: new Date(piece.start).toISOString(), end: new Date(piece.end).toISOString(), layer: piece.layer }
}

/**
 * The shift covering `at`, or null when no one is on call then. The shift runs from where that
 * person's stretch from that source begins to where it ends, looked for up to 128 days either side
 * (a longer unbroken stretch is reported cut there).
 */
export function whoIsOnCall(definition: ScheduleDefinition, overrides: Override[], at: Date): Shift | null {
  const schedule = scheduleOrThrow(definition)
  const pieces = overridesOrThrow(overrides)
  const instant = instantOrThrow(at, 'at')
  let found: Piece | undefined
  for (const reach of shiftReaches) {
    const from = instant - reach
    const to = instant + reach
    found = timeline(schedule, pieces, from, to).find((piece) => piece.start <= instant && instant < piece.end)
    if (found === undefined) return null
    if (found.start > from && found.end < to) break
  }
  return toShift(found!)
}

/**
 * The final schedule over [from, to) (at most 366 days): shifts in order, never overlapping, each
 * ending where the next begins unless no one is on call between them, with neighbouring stretches
 * of the same user from the same layer (or from overrides) merged, and clipped to the range.
 */
export function renderShifts(definition: ScheduleDefinition, overrides: Override[], from: Date, to: Date): Shift[] {
  const schedule = scheduleOrThrow(definition)
  const pieces = overridesOrThrow(overrides)
  const start = instantOrThrow(from, 'from')
  const end = instantOrThrow(to, 'to')
  if (end <= start || end - start > maxSpan) {
    throw new AppError('invalid', 'to must be after from, by at most 366 days', { problems: [{ field: 'to', message: 'must be after from, by at most 366 days' }] })
  }
  return timeline(schedule, pieces, start, end).map(toShift)
}

/** The first stretch in [from, to) that no layer covers; its end is looked for up to a year on, undefined when none is found. */
function firstGap(schedule: CompiledSchedule, from: number, to: number): { start: number; end: number | undefined } | undefined {
  let cursor = from
  for (const piece of timeline(schedule, [], from, to)) {
    if (piece.start > cursor) return { start: cursor, end: piece.start }
    cursor = piece.end
  }
  if (cursor >= to) return undefined
  if (schedule.layers.every((layer) => layer.end <= cursor)) return { start: cursor, end: undefined }
  for (let chunk = to; chunk < to + maxSpan; chunk += gapHorizon) {
    const next = timeline(schedule, [], chunk, chunk + gapHorizon)[0]
    if (next !== undefined) return { start: cursor, end: next.start }
  }
  return { start: cursor, end: undefined }
}

/**
 * Everything wrong with a schedule, by field: an unknown time zone, bad local times, empty user
 * lists, absurd custom lengths, empty restriction windows, ends before starts, and (unless it
 * allows gaps) the first time no one is on call, in the schedule's local time. Gaps are looked
 * for from `now` (or the schedule's start, when later) over four weeks or one full turn of the
 * longest rotation, whichever is longer, up to 366 days. Hostile input yields problems, never a throw.
 */
export function checkSchedule(definition: unknown, now: Date): FieldProblem[] {
  const { problems, schedule } = readSchedule(definition)
  if (schedule === undefined) return problems
  if (schedule.allowGaps) return []
  const from = Math.max(instantOrThrow(now, 'now'), Math.min(...schedule.layers.map((layer) => layer.start)))
  const horizon = Math.min(maxSpan, Math.max(gapHorizon, ...schedule.layers.map(cycleLength)))
  const gap = firstGap(schedule, from, from + horizon)
  if (gap === undefined) return []
  const zone = schedule.zone
  const message = gap.end === undefined
    ? `no one is on call from ${formatLocal(zone, gap.start)} onwards (${zone.name})`
    : `no one is on call from ${formatLocal(zone, gap.start)} to ${formatLocal(zone, gap.end)} (${zone.name})`
  return [{ field: 'layers', message }]
}
