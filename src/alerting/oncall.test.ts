// On-call schedules: rotations that keep their local hand-off time across daylight-saving
// changes (Europe/Berlin and America/New_York, 2026), restrictions, layers, overrides, and the
// checks a schedule must pass. Instants in the assertions are UTC; the comments give local times.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { AppError } from '../shared/errors.js'
import { checkSchedule, renderShifts, whoIsOnCall, type Layer, type Override, type ScheduleDefinition, type Shift } from './oncall.js'

function aLayer(fields: Partial<Layer> = {}): Layer {
  return { name: 'primary', start: '2026-03-02T09:00', rotation: { kind: 'daily' }, users: ['alice', 'bob', 'carol'], ...fields }
}

function aSchedule(layers: Layer[] = [aLayer()], fields: Partial<ScheduleDefinition> = {}): ScheduleDefinition {
  return { timezone: 'Europe/Berlin', layers, ...fields }
}

function onCallAt(schedule: ScheduleDefinition, instant: string, overrides: Override[] = []): Shift | null {
  return whoIsOnCall(schedule, overrides, new Date(instant))
}

function hoursOf(shift: Shift | null): number {
  assert.ok(shift, 'expected someone on call')
  return (Date.parse(shift.end) - Date.parse(shift.start)) / 3_600_000
}

function render(schedule: ScheduleDefinition, from: string, to: string, overrides: Override[] = []): Shift[] {
  return renderShifts(schedule, overrides, new Date(from), new Date(to))
}

const nightsOnly: Layer = aLayer({ name: 'nights', users: ['nora'], restrictions: [{ kind: 'daily', start: '22:00', end: '06:00' }] })

describe('whoIsOnCall: rotations', () => {
  it("hands a daily rotation to the next user at the start's local time each day", () => {
    const schedule = aSchedule()

    const shift = onCallAt(schedule, '2026-03-03T12:00:00Z')

    assert.deepEqual(shift, { userId: 'bob', start: '2026-03-03T08:00:00.000Z', end: '2026-03-04T08:00:00.000Z', layer: 'primary' })
  })

  it('makes the daily Berlin shift across spring forward (2026-03-29) 23 hours long, still handing off at 09:00', () => {
    const shift = onCallAt(aSchedule(), '2026-03-29T00:00:00Z')

    assert.deepEqual([shift?.start, shift?.end, hoursOf(shift)], ['2026-03-28T08:00:00.000Z', '2026-03-29T07:00:00.000Z', 23])
  })

  it('makes the daily Berlin shift across fall back (2026-10-25) 25 hours long, still handing off at 09:00', () => {
    const shift = onCallAt(aSchedule(), '2026-10-25T00:00:00Z')

    assert.deepEqual([shift?.start, shift?.end, hoursOf(shift)], ['2026-10-24T07:00:00.000Z', '2026-10-25T08:00:00.000Z', 25])
  })

  it('makes the daily New York shift across spring forward (2026-03-08) 23 hours long, still handing off at 08:00', () => {
    const schedule = aSchedule([aLayer({ start: '2026-03-01T08:00' })], { timezone: 'America/New_York' })

    const shift = onCallAt(schedule, '2026-03-08T00:00:00Z')

    assert.deepEqual([shift?.start, shift?.end, hoursOf(shift)], ['2026-03-07T13:00:00.000Z', '2026-03-08T12:00:00.000Z', 23])
  })

  it('makes the daily New York shift across fall back (2026-11-01) 25 hours long, still handing off at 08:00', () => {
    const schedule = aSchedule([aLayer({ start: '2026-03-01T08:00' })], { timezone: 'America/New_York' })

    const shift = onCallAt(schedule, '2026-11-01T00:00:00Z')

    assert.deepEqual([shift?.start, shift?.end, hoursOf(shift)], ['2026-10-31T12:00:00.000Z', '2026-11-01T13:00:00.000Z', 25])
  })

  it('hands off when the clocks jump when the local hand-off time (02:30) does not exist that day', () => {
    const schedule = aSchedule([aLayer({ start: '2026-03-20T02:30' })])

    const before = onCallAt(schedule, '2026-03-29T00:45:00Z') // 01:45 CET, before the jump to 03:00 CEST
    const after = onCallAt(schedule, '2026-03-29T01:00:00Z')

    assert.deepEqual([before?.end, after?.start, after?.end], ['2026-03-29T01:00:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z'])
  })

  it('hands off at the first occurrence of a local hand-off time (02:30) that happens twice', () => {
    const schedule = aSchedule([aLayer({ start: '2026-10-20T02:30' })])

    const shift = onCallAt(schedule, '2026-10-25T01:15:00Z') // 02:15 CET, the repeated hour's second pass

    assert.deepEqual([shift?.start, shift?.end], ['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z'])
  })

  it('keeps a weekly hand-off at Monday 09:00 local, so the week across spring forward lasts 167 hours', () => {
    const schedule = aSchedule([aLayer({ rotation: { kind: 'weekly' } })])

    const shift = onCallAt(schedule, '2026-03-25T12:00:00Z')

    assert.deepEqual([shift?.userId, shift?.start, shift?.end, hoursOf(shift)], ['alice', '2026-03-23T08:00:00.000Z', '2026-03-30T07:00:00.000Z', 167])
  })

  it('hands a custom rotation off after fixed elapsed hours, so its local hand-off time moves across a DST change', () => {
    const schedule = aSchedule([aLayer({ start: '2026-03-28T20:00', rotation: { kind: 'custom', hours: 12 }, users: ['alice', 'bob'] })])

    const shift = onCallAt(schedule, '2026-03-29T08:00:00Z')

    assert.deepEqual(shift, { userId: 'bob', start: '2026-03-29T07:00:00.000Z', end: '2026-03-29T19:00:00.000Z', layer: 'primary' })
  })

  it('finds who is on call thousands of years ahead without walking there day by day', () => {
    const schedule = aSchedule()
    const days = (Date.UTC(9000, 5, 15) - Date.UTC(2026, 2, 2)) / 86_400_000
    const started = performance.now()

    const shift = onCallAt(schedule, '9000-06-15T10:00:00Z') // 12:00 CEST, after that day's hand-off

    assert.equal(shift?.userId, ['alice', 'bob', 'carol'][days % 3])
    assert.ok(performance.now() - started < 250, `took ${performance.now() - started} ms`)
  })
})

describe('whoIsOnCall: layers and restrictions', () => {
  it('has no one on call before the only layer starts', () => {
    const shift = onCallAt(aSchedule(), '2026-03-02T07:59:59Z')

    assert.equal(shift, null)
  })

  it('lets a lower layer show through after an upper layer ends', () => {
    const schedule = aSchedule([aLayer({ name: 'base', users: ['ben'] }), aLayer({ name: 'project', users: ['paula'], end: '2026-03-10T18:00' })])

    const during = onCallAt(schedule, '2026-03-10T16:59:00Z')
    const after = onCallAt(schedule, '2026-03-10T17:00:00Z')

    assert.deepEqual([during?.userId, after?.userId], ['paula', 'ben'])
  })

  it('lets a later layer win where both layers have someone on call', () => {
    const schedule = aSchedule([aLayer({ name: 'base', users: ['ben'] }), aLayer({ name: 'top', users: ['tina'] })])

    const shift = onCallAt(schedule, '2026-03-05T12:00:00Z')

    assert.deepEqual([shift?.userId, shift?.layer], ['tina', 'top'])
  })

  it("lets a lower layer show through outside an upper layer's nights-only window", () => {
    const schedule = aSchedule([aLayer({ name: 'base', users: ['ben'] }), nightsOnly])

    const night = onCallAt(schedule, '2026-03-05T23:00:00Z') // 00:00 local
    const day = onCallAt(schedule, '2026-03-05T12:00:00Z')

    assert.deepEqual([night?.userId, day?.userId], ['nora', 'ben'])
  })

  it('has no one on call outside a restriction window when no lower layer covers that time', () => {
    const shift = onCallAt(aSchedule([nightsOnly], { allowGaps: true }), '2026-03-05T12:00:00Z')

    assert.equal(shift, null)
  })

  it('covers a nights-only 22:00–06:00 window by local time on the spring-forward night: 7 hours', () => {
    const shifts = render(aSchedule([nightsOnly]), '2026-03-28T12:00:00Z', '2026-03-29T12:00:00Z')

    assert.deepEqual(shifts.map((shift) => [shift.start, shift.end]), [['2026-03-28T21:00:00.000Z', '2026-03-29T04:00:00.000Z']])
  })

  it('covers a nights-only 22:00–06:00 window by local time on the fall-back night: 9 hours', () => {
    const shifts = render(aSchedule([nightsOnly]), '2026-10-24T12:00:00Z', '2026-10-25T12:00:00Z')

    assert.deepEqual(shifts.map((shift) => [shift.start, shift.end]), [['2026-10-24T20:00:00.000Z', '2026-10-25T05:00:00.000Z']])
  })

  it('covers a weekly window from Friday 18:00 to Monday 08:00, wrapping over the end of the week', () => {
    const weekend = aLayer({ name: 'weekend', users: ['wim'], restrictions: [{ kind: 'weekly', startDay: 5, start: '18:00', endDay: 1, end: '08:00' }] })
    const schedule = aSchedule([aLayer({ name: 'base', users: ['ben'] }), weekend])

    const users = ['2026-03-06T16:59:00Z', '2026-03-06T17:00:00Z', '2026-03-08T12:00:00Z', '2026-03-09T06:59:00Z', '2026-03-09T07:00:00Z']
      .map((instant) => onCallAt(schedule, instant)?.userId)

    assert.deepEqual(users, ['ben', 'wim', 'wim', 'wim', 'ben'])
  })
})

describe('whoIsOnCall: overrides', () => {
  it("puts an override's user on call for its whole interval, across the layer's hand-off", () => {
    const override = { userId: 'dave', start: '2026-03-03T06:00:00Z', end: '2026-03-03T10:00:00Z' }

    const shift = onCallAt(aSchedule(), '2026-03-03T09:00:00Z', [override])

    assert.deepEqual(shift, { ...override, start: '2026-03-03T06:00:00.000Z', end: '2026-03-03T10:00:00.000Z', layer: null })
  })

  it('lets the later of two overlapping overrides win', () => {
    const overrides = [
      { userId: 'dave', start: '2026-03-03T06:00:00Z', end: '2026-03-03T10:00:00Z' },
      { userId: 'erin', start: '2026-03-03T08:00:00Z', end: '2026-03-03T12:00:00Z' },
    ]

    const shift = onCallAt(aSchedule(), '2026-03-03T09:00:00Z', overrides)

    assert.equal(shift?.userId, 'erin')
  })

  it('refuses an override that ends before it starts, naming the field', () => {
    const override = { userId: 'dave', start: '2026-03-03T10:00:00Z', end: '2026-03-03T06:00:00Z' }

    assert.throws(() => onCallAt(aSchedule(), '2026-03-03T09:00:00Z', [override]), (error: unknown) =>
      error instanceof AppError && error.kind === 'invalid' && error.problems[0]?.field === 'overrides[0].end')
  })

  it('refuses an invalid schedule with an invalid error that names its fields', () => {
    const schedule = aSchedule([aLayer({ users: [] })], { timezone: 'Mars/Olympus' })

    assert.throws(() => onCallAt(schedule, '2026-03-03T09:00:00Z'), (error: unknown) =>
      error instanceof AppError && error.kind === 'invalid' && error.problems.map((problem) => problem.field).join() === 'timezone,layers[0].users')
  })
})

describe('renderShifts', () => {
  it('splits a shift around an override that covers part of it', () => {
    const override = { userId: 'dave', start: '2026-03-03T12:00:00Z', end: '2026-03-03T15:00:00Z' }

    const shifts = render(aSchedule(), '2026-03-03T08:00:00Z', '2026-03-04T08:00:00Z', [override])

    assert.deepEqual(shifts.map((shift) => [shift.userId, shift.start, shift.end]), [
      ['bob', '2026-03-03T08:00:00.000Z', '2026-03-03T12:00:00.000Z'],
      ['dave', '2026-03-03T12:00:00.000Z', '2026-03-03T15:00:00.000Z'],
      ['bob', '2026-03-03T15:00:00.000Z', '2026-03-04T08:00:00.000Z'],
    ])
  })

  it('clips the first and last shifts and the overrides to the range asked for', () => {
    const override = { userId: 'dave', start: '2026-03-03T20:00:00Z', end: '2026-03-05T00:00:00Z' }

    const shifts = render(aSchedule(), '2026-03-03T12:00:00Z', '2026-03-04T12:00:00Z', [override])

    assert.deepEqual(shifts.map((shift) => [shift.userId, shift.start, shift.end]), [
      ['bob', '2026-03-03T12:00:00.000Z', '2026-03-03T20:00:00.000Z'],
      ['dave', '2026-03-03T20:00:00.000Z', '2026-03-04T12:00:00.000Z'],
    ])
  })

  it('merges consecutive shifts where the same user continues', () => {
    const schedule = aSchedule([aLayer({ users: ['alice', 'alice', 'bob'] })])

    const shifts = render(schedule, '2026-03-02T08:00:00Z', '2026-03-05T08:00:00Z')

    assert.deepEqual(shifts.map((shift) => [shift.userId, shift.start, shift.end]), [
      ['alice', '2026-03-02T08:00:00.000Z', '2026-03-04T08:00:00.000Z'],
      ['bob', '2026-03-04T08:00:00.000Z', '2026-03-05T08:00:00.000Z'],
    ])
  })

  const busy = aSchedule([
    aLayer({ name: 'base', rotation: { kind: 'weekly' }, users: ['a', 'b', 'c', 'd'] }),
    aLayer({ name: 'nights', start: '2026-02-27T22:00', users: ['e', 'f'], restrictions: [{ kind: 'daily', start: '22:00', end: '06:00' }] }),
    aLayer({ name: 'weekend', rotation: { kind: 'custom', hours: 36 }, users: ['g', 'h', 'i'], restrictions: [{ kind: 'weekly', startDay: 5, start: '18:00', endDay: 1, end: '08:00' }] }),
  ])
  const busyOverrides = [
    { userId: 'o', start: '2026-03-10T10:00:00Z', end: '2026-03-12T10:00:00Z' },
    { userId: 'p', start: '2026-03-28T23:00:00Z', end: '2026-03-29T03:00:00Z' },
  ]

  it('renders a month of layers, restrictions and overrides as shifts that follow one another without overlap', () => {
    const shifts = render(busy, '2026-03-03T00:00:00Z', '2026-04-03T00:00:00Z', busyOverrides)

    const breaks = shifts.slice(1).filter((shift, i) => shift.start !== shifts[i]!.end || shift.start >= shift.end)
    const unmerged = shifts.slice(1).filter((shift, i) => shift.userId === shifts[i]!.userId && shift.layer === shifts[i]!.layer)
    assert.deepEqual([shifts[0]?.start, shifts.at(-1)?.end, breaks, unmerged], ['2026-03-03T00:00:00.000Z', '2026-04-03T00:00:00.000Z', [], []])
  })

  it('renders a month of a three-layer schedule quickly', () => {
    const started = performance.now()

    render(busy, '2026-03-03T00:00:00Z', '2026-04-03T00:00:00Z', busyOverrides)

    assert.ok(performance.now() - started < 250, `took ${performance.now() - started} ms`)
  })

  it('refuses a range longer than 366 days', () => {
    assert.throws(() => render(aSchedule(), '2026-01-01T00:00:00Z', '2027-01-03T00:00:00Z'), (error: unknown) =>
      error instanceof AppError && error.kind === 'invalid' && error.problems[0]?.field === 'to')
  })
})

describe('checkSchedule', () => {
  const now = new Date('2026-03-04T12:00:00Z')

  it("rejects the time zone 'Mars/Olympus', naming it", () => {
    const problems = checkSchedule(aSchedule([aLayer()], { timezone: 'Mars/Olympus' }), now)

    assert.deepEqual(problems.map((problem) => problem.field), ['timezone'])
    assert.match(problems[0]!.message, /'Mars\/Olympus' is not a known IANA time zone/)
  })

  it('reports the first gap of a single nights-only layer in local time', () => {
    const problems = checkSchedule(aSchedule([nightsOnly]), new Date('2026-03-04T23:00:00Z'))

    assert.deepEqual(problems, [{ field: 'layers', message: 'no one is on call from Thu 2026-03-05 06:00 to Thu 2026-03-05 22:00 (Europe/Berlin)' }])
  })

  it('reports a weekend left uncovered by a weekday layer', () => {
    const weekdays = aLayer({ rotation: { kind: 'weekly' }, restrictions: [{ kind: 'weekly', startDay: 1, start: '08:00', endDay: 6, end: '18:00' }] })

    const problems = checkSchedule(aSchedule([weekdays]), now)

    assert.deepEqual(problems, [{ field: 'layers', message: 'no one is on call from Sat 2026-03-07 18:00 to Mon 2026-03-09 08:00 (Europe/Berlin)' }])
  })

  it('reports the time after the last layer ends as a gap with no end', () => {
    const problems = checkSchedule(aSchedule([aLayer({ end: '2026-04-01T09:00' })]), now)

    assert.deepEqual(problems, [{ field: 'layers', message: 'no one is on call from Wed 2026-04-01 09:00 onwards (Europe/Berlin)' }])
  })

  it('accepts a weekly rotation that covers around the clock', () => {
    const problems = checkSchedule(aSchedule([aLayer({ rotation: { kind: 'weekly' } })]), now)

    assert.deepEqual(problems, [])
  })

  it('checks a schedule that starts later from its start, not from now', () => {
    const problems = checkSchedule(aSchedule([aLayer({ start: '2026-05-04T09:00' })]), now)

    assert.deepEqual(problems, [])
  })

  it('accepts gaps when the schedule allows them', () => {
    const problems = checkSchedule(aSchedule([nightsOnly], { allowGaps: true }), now)

    assert.deepEqual(problems, [])
  })

  it('names a local start that is not a real date-time', () => {
    const problems = checkSchedule(aSchedule([aLayer(), aLayer({ name: 'second', start: '2026-02-30T09:00' })]), now)

    assert.deepEqual(problems.map((problem) => problem.field), ['layers[1].start'])
  })

  it('names a restriction time that is not HH:mm', () => {
    const problems = checkSchedule(aSchedule([aLayer({ restrictions: [{ kind: 'daily', start: '22:00', end: '24:00' }] })]), now)

    assert.deepEqual(problems.map((problem) => problem.field), ['layers[0].restrictions[0].end'])
  })

  it('reports a layer with no users', () => {
    const problems = checkSchedule(aSchedule([aLayer({ users: [] })]), now)

    assert.deepEqual(problems.map((problem) => problem.field), ['layers[0].users'])
  })

  it('rejects custom rotations of zero, negative, fractional-minute or more than a year of hours', () => {
    const lengths = [0, -12, 1.001, 24 * 367, Number.NaN]

    const fields = lengths.map((hours) => checkSchedule(aSchedule([aLayer({ rotation: { kind: 'custom', hours } })]), now).map((problem) => problem.field))

    assert.deepEqual(fields, lengths.map(() => ['layers[0].rotation.hours']))
  })

  it('rejects a restriction window of zero length', () => {
    const problems = checkSchedule(aSchedule([aLayer({ restrictions: [{ kind: 'weekly', startDay: 3, start: '09:00', endDay: 3, end: '09:00' }] })]), now)

    assert.deepEqual(problems.map((problem) => problem.field), ['layers[0].restrictions[0].end'])
  })

  it('rejects a layer that ends before it starts', () => {
    const problems = checkSchedule(aSchedule([aLayer({ end: '2026-03-01T09:00' })]), now)

    assert.deepEqual(problems.map((problem) => problem.field), ['layers[0].end'])
  })

  it('rejects two layers with the same name', () => {
    const problems = checkSchedule(aSchedule([aLayer(), aLayer()]), now)

    assert.deepEqual(problems.map((problem) => problem.field), ['layers[1].name'])
  })

  it('answers hostile input with problems rather than throwing', () => {
    const inputs: unknown[] = [
      undefined, null, 42, 'schedule', [], { layers: 'x' }, { timezone: {}, layers: new Array(100_000).fill(null) },
      { timezone: 'UTC', layers: [null, 7, { name: ['x'], start: 20260302, rotation: null, users: 'a', restrictions: [null, { kind: 'weekly', startDay: 0 }] }] },
      { timezone: 'UTC', layers: [{ name: 'a', start: '2026-01-01T00:00', rotation: { kind: 'custom', hours: '12' }, users: [''], end: 'tomorrow' }], allowGaps: 'yes' },
      { timezone: 'x'.repeat(100_000), layers: [{ toString: null }] },
    ]

    const answers = inputs.map((input) => checkSchedule(input, now))

    assert.deepEqual(answers.filter((problems) => problems.length === 0 || problems.some((problem) => typeof problem.field !== 'string')), [])
  })
})
