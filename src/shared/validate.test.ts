import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import Type from 'typebox'
import { AppError } from './errors.js'
import { parseInput } from './validate.js'

describe('parseInput', () => {
  const Closed = Type.Object({ name: Type.String(), tags: Type.Optional(Type.Array(Type.String())) }, { additionalProperties: false })
  const Open = Type.Object({ name: Type.String(), inner: Type.Object({ a: Type.Integer() }) })

  it('returns a copy of valid input, not the caller’s object', () => {
    const input = { name: 'x', tags: ['a'] }

    const parsed = parseInput(Closed, input, 'thing')
    input.tags.push('b')

    assert.deepEqual(parsed, { name: 'x', tags: ['a'] })
  })

  it('drops properties an open schema does not name, at every depth', () => {
    const parsed = parseInput(Open, { name: 'x', extra: 1, inner: { a: 1, sneaky: true } }, 'thing')

    assert.deepEqual(parsed, { name: 'x', inner: { a: 1 } })
  })

  it('names every field that is wrong', () => {
    assert.throws(
      () => parseInput(Closed, { name: 5, tags: [1], other: true }, 'thing'),
      (error: unknown) => error instanceof AppError && error.kind === 'invalid' && ['name', 'tags.0'].every((field) => error.problems.some((p) => p.field === field)),
    )
  })
})
