import Type, { type TSchema } from 'typebox'
import { maxPageSize } from './pagination.js'

/** TypeBox schemas every module's routes share: paging, ids, timestamps. */

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: maxPageSize, description: `Page size, 1 to ${maxPageSize}.` })),
  cursor: Type.Optional(Type.String({ maxLength: 1000, description: 'The nextCursor of the previous page.' })),
}

export function PageOf<T extends TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) })
}

export const IdParam = Type.String({ minLength: 1, maxLength: 64 })
export const Timestamp = Type.String({ format: 'date-time' })
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])
export const NullableTimestamp = Type.Union([Type.String({ format: 'date-time' }), Type.Null()])

/** An `Idempotency-Key` header: a retried request with the same key gets the first answer and does nothing again. */
export const IdempotencyHeaders = Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'A retried request with the same key gets the first answer and changes nothing; the same key with a different request is refused (409).' })) })
