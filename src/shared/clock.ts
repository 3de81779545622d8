/** Time is a dependency: services read it from a Clock so tests can drive it. */
export interface Clock {
  now(): Date
}

export const systemClock: Clock = { now: () => new Date() }

/** A clock that moves only when told to. For tests. */
export class FakeClock implements Clock {
  private current: number

  constructor(start: Date | string = '2026-01-01T00:00:00.000Z') {
    this.current = new Date(start).getTime()
  }

  now(): Date {
    return new Date(this.current)
  }

  advance(milliseconds: number): void {
    this.current += milliseconds
  }

  set(to: Date | string): void {
    this.current = new Date(to).getTime()
  }
}
