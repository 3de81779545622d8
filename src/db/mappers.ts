/**
 * Row-mapper helpers: the one place that knows how each driver hands values back.
 * SQLite returns timestamps as the ISO text we wrote, JSON as text and integers as numbers;
 * PostgreSQL returns timestamptz as Date and bigint as a string (and jsonb as text: connect.ts
 * turns pg's JSON parsing off so both dialects hand back the same thing).
 * Models use ISO-8601 strings for time.
 */

export function toIso(value: Date | string): string {
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString()
}

export function toIsoOrNull(value: Date | string | null): string | null {
  return value === null ? null : toIso(value)
}

export function toNumber(value: number | string | bigint): number {
  const result = Number(value)
  if (!Number.isSafeInteger(result)) throw new Error(`integer out of range: ${String(value)}`)
  return result
}

export function fromJson<T = unknown>(value: unknown): T {
  if (typeof value !== 'string') throw new Error(`expected JSON text from the database, got ${typeof value}`)
  return JSON.parse(value) as T
}

/** JSON is written as text on both dialects; jsonb accepts it and stores it parsed. */
export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null)
}
