// Reading schedules and overrides from untrusted input: every problem named by its field, and
// what passes turned into the compiled form the arithmetic works on.
import type { FieldProblem } from '../shared/errors.js'
import type { CompiledLayer, CompiledRotation, CompiledSchedule, CompiledWindow, Piece } from './oncall-layers.js'
import { dayMs, findZone, instantOf, minuteMs, parseLocalDateTime, parseTimeOfDay, type ScheduleZone } from './oncall-time.js'

const limits = { layers: 50, users: 1000, restrictions: 20, name: 200, customHours: 24 * 366, overrides: 10_000 }
/** 1970-01-05, a Monday: weekly windows count whole weeks from it. */
const mondayDay = 4

type Problems = FieldProblem[]

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isText(value: unknown, max = limits.name): value is string {
  return typeof value === 'string' && value.trim() !== '' && value.length <= max
}

function readWall(value: unknown, field: string, problems: Problems): number | undefined {
  const wall = typeof value === 'string' ? parseLocalDateTime(value) : undefined
  if (wall === undefined) problems.push({ field, message: "must be a local date-time such as '2026-03-02T09:00' (no offset)" })
  return wall
}

function readTime(value: unknown, field: string, problems: Problems): number | undefined {
  const time = typeof value === 'string' ? parseTimeOfDay(value) : undefined
  if (time === undefined) problems.push({ field, message: "must be a local time 'HH:mm' from 00:00 to 23:59" })
  return time
}

function readWeekday(value: unknown, field: string, problems: Problems): number | undefined {
  if (Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 7) return value as number
  problems.push({ field, message: 'must be an ISO weekday from 1 (Monday) to 7 (Sunday)' })
  return undefined
}

function readRotation(value: unknown, startWall: number | undefined, field: string, problems: Problems): CompiledRotation | undefined {
  const kind = isRecord(value) ? value.kind : undefined
  if (kind === 'daily' || kind === 'weekly') {
    if (startWall === undefined) return undefined
    const firstDay = Math.floor(startWall / dayMs)
    return { kind: 'calendar', days: kind === 'daily' ? 1 : 7, firstDay, timeOfDay: startWall - firstDay * dayMs }
  }
  if (kind === 'custom') {
    const hours = (value as Record<string, unknown>).hours
    if (typeof hours === 'number' && hours >= 1 && hours <= limits.customHours && Number.isInteger(hours * 60)) {
      return { kind: 'elapsed', period: Math.round(hours * 60) * minuteMs }
    }
    problems.push({ field: `${field}.hours`, message: `must be a whole number of minutes, from 1 to ${limits.customHours} hours` })
    return undefined
  }
  problems.push({ field: `${field}.kind`, message: "must be one of: daily, weekly, custom" })
  return undefined
}

function readRestriction(value: unknown, field: string, problems: Problems): CompiledWindow | undefined {
  const kind = isRecord(value) ? value.kind : undefined
  if (kind !== 'daily' && kind !== 'weekly') {
    problems.push({ field: `${field}.kind`, message: 'must be one of: daily, weekly' })
    return undefined
  }
  const restriction = value as Record<string, unknown>
  const count = problems.length
  const startDay = kind === 'weekly' ? readWeekday(restriction.startDay, `${field}.startDay`, problems) : 1
  const start = readTime(restriction.start, `${field}.start`, problems)
  const endDay = kind === 'weekly' ? readWeekday(restriction.endDay, `${field}.endDay`, problems) : 1
  const end = readTime(restriction.end, `${field}.end`, problems)
  if (problems.length > count) return undefined
  const days = kind === 'daily' ? 1 : 7
  const opens = (startDay! - 1) * dayMs + start!
  let closes = (endDay! - 1) * dayMs + end!
  if (closes === opens) {
    problems.push({ field: `${field}.end`, message: 'must differ from the start: the window would be empty' })
    return undefined
  }
  // An end before the start wraps past midnight (daily) or into the next week (weekly)
  if (closes < opens) closes += days * dayMs
  return { days, anchorDay: kind === 'daily' ? 0 : mondayDay, opens, closes }
}

function readLayer(value: unknown, zone: ScheduleZone | undefined, field: string, problems: Problems): CompiledLayer | undefined {
  if (!isRecord(value)) {
    problems.push({ field, message: 'must be an object' })
    return undefined
  }
  const count = problems.length
  if (!isText(value.name)) problems.push({ field: `${field}.name`, message: `must be a non-empty text of at most ${limits.name} characters` })
  const startWall = readWall(value.start, `${field}.start`, problems)
  const rotation = readRotation(value.rotation, startWall, `${field}.rotation`, problems)
  const users = value.users
  if (!Array.isArray(users) || users.length === 0 || users.length > limits.users) {
    problems.push({ field: `${field}.users`, message: `must list from 1 to ${limits.users} users` })
  } else {
    users.forEach((user, u) => {
      if (!isText(user)) problems.push({ field: `${field}.users[${u}]`, message: 'must be a non-empty user id' })
    })
  }
  const windows: CompiledWindow[] = []
  if (value.restrictions !== undefined) {
    if (!Array.isArray(value.restrictions) || value.restrictions.length === 0 || value.restrictions.length > limits.restrictions) {
      problems.push({ field: `${field}.restrictions`, message: `must list from 1 to ${limits.restrictions} restrictions when given` })
    } else {
      value.restrictions.forEach((restriction, r) => {
        const window = readRestriction(restriction, `${field}.restrictions[${r}]`, problems)
        if (window !== undefined) windows.push(window)
      })
    }
  }
  const endWall = value.end === undefined ? undefined : readWall(value.end, `${field}.end`, problems)
  if (problems.length > count || zone === undefined) return undefined
  const start = instantOf(zone, startWall!)
  const end = endWall === undefined ? Infinity : instantOf(zone, endWall)
  if (end <= start) {
    problems.push({ field: `${field}.end`, message: 'must be after the start' })
    return undefined
  }
  return { name: value.name as string, users: [...(users as string[])], rotation: rotation!, windows, start, end }
}

/** A schedule checked field by field; `schedule` is set only when there are no problems. */
export function readSchedule(input: unknown): { problems: Problems; schedule?: CompiledSchedule } {
  if (!isRecord(input)) return { problems: [{ field: '(root)', message: 'a schedule must be an object' }] }
  const problems: Problems = []
  let zone: ScheduleZone | undefined
  if (typeof input.timezone !== 'string' || input.timezone === '') {
    problems.push({ field: 'timezone', message: "must be an IANA time zone such as 'Europe/Berlin'" })
  } else {
    zone = findZone(input.timezone)
    if (zone === undefined) {
      problems.push({ field: 'timezone', message: `'${input.timezone.slice(0, 100)}' is not a known IANA time zone (such as 'Europe/Berlin')` })
    }
  }
  if (input.allowGaps !== undefined && typeof input.allowGaps !== 'boolean') problems.push({ field: 'allowGaps', message: 'must be true or false' })
  const layers: CompiledLayer[] = []
  if (!Array.isArray(input.layers) || input.layers.length === 0 || input.layers.length > limits.layers) {
    problems.push({ field: 'layers', message: `must list from 1 to ${limits.layers} layers` })
  } else {
    const names = new Set<unknown>()
    input.layers.forEach((value, l) => {
      const layer = readLayer(value, zone, `layers[${l}]`, problems)
      const name = isRecord(value) ? value.name : undefined
      if (isText(name) && names.has(name)) problems.push({ field: `layers[${l}].name`, message: `'${name}' names another layer already` })
      names.add(name)
      if (layer !== undefined) layers.push(layer)
    })
  }
  if (problems.length > 0) return { problems }
  return { problems, schedule: { zone: zone!, layers, allowGaps: input.allowGaps === true } }
}

/** An instant written in ISO 8601 with its offset ('2026-03-02T09:00:00Z', '…+01:00'). */
export function parseInstant(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return undefined
  const instant = Date.parse(value)
  return Number.isNaN(instant) ? undefined : instant
}

/** Overrides as pieces, in the order given (later ones win where they overlap). */
export function readOverrides(input: unknown): { problems: Problems; pieces: Piece[] } {
  if (!Array.isArray(input) || input.length > limits.overrides) {
    return { problems: [{ field: 'overrides', message: `must list at most ${limits.overrides} overrides` }], pieces: [] }
  }
  const problems: Problems = []
  const pieces: Piece[] = []
  input.forEach((value, o) => {
    const field = `overrides[${o}]`
    const override = isRecord(value) ? value : {}
    const count = problems.length
    if (!isText(override.userId)) problems.push({ field: `${field}.userId`, message: 'must be a non-empty user id' })
    const start = parseInstant(override.start)
    const end = parseInstant(override.end)
    if (start === undefined) problems.push({ field: `${field}.start`, message: "must be an ISO 8601 instant with an offset, such as '2026-03-02T09:00:00Z'" })
    if (end === undefined) problems.push({ field: `${field}.end`, message: "must be an ISO 8601 instant with an offset, such as '2026-03-02T17:00:00Z'" })
    else if (start !== undefined && end <= start) problems.push({ field: `${field}.end`, message: 'must be after the start' })
    if (problems.length === count) pieces.push({ userId: override.userId as string, start: start!, end: end!, layer: null })
  })
  return { problems, pieces }
}
