import { v7 } from 'uuid'

/**
 * New identifiers are UUIDv7: unique without coordination, and ordered by creation time,
 * so "newest first" and cursor pagination can sort by id alone.
 */
export function newId(): string {
  return v7()
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

export function isId(value: string): boolean {
  return uuidPattern.test(value)
}
