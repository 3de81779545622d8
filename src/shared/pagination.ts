import { AppError } from './errors.js'

/** One page of a list, and the cursor that fetches the next (null on the last page). */
export interface Page<T> {
  items: T[]
  nextCursor: string | null
}

export interface PageRequest {
  limit: number
  cursor?: string | undefined
}

export const defaultPageSize = 50
export const maxPageSize = 500

/**
 * A cursor is the sort key of the last item of a page, opaque to clients
 * (base64url of a JSON array of strings).
 */
export function encodeCursor(key: readonly string[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url')
}

export function decodeCursor(cursor: string, parts: number): string[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch (cause) {
    throw new AppError('invalid', 'cursor is not one this server issued', { cause, problems: [{ field: 'cursor', message: 'malformed' }] })
  }
  if (!Array.isArray(parsed) || parsed.length !== parts || !parsed.every((p) => typeof p === 'string')) {
    throw new AppError('invalid', 'cursor is not one this server issued', { problems: [{ field: 'cursor', message: 'malformed' }] })
  }
  return parsed as string[]
}

/** A cursor holding one integer key (an id in a table with integer ids). */
export function decodeIntegerCursor(cursor: string): number {
  const value = Number(decodeCursor(cursor, 1)[0])
  if (!Number.isSafeInteger(value)) throw new AppError('invalid', 'cursor is not one this server issued', { problems: [{ field: 'cursor', message: 'malformed' }] })
  return value
}

/**
 * Turn `limit + 1` fetched rows into a page: the extra row only tells that another page exists.
 */
export function toPage<T>(rows: T[], limit: number, keyOf: (item: T) => readonly string[]): Page<T> {
  const items = rows.slice(0, limit)
  const last = items[items.length - 1]
  const nextCursor = rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null
  return { items, nextCursor }
}
