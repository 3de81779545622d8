import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { elementEnd } from './ber.js'

describe('elementEnd', () => {
  it('finds the end of short, long and indefinite forms, and high tag numbers', () => {
    const cases: [number[], number][] = [
      [[0x30, 0x03, 1, 2, 3, 9], 5],
      [[0x30, 0x81, 0x02, 1, 2, 9], 5],
      [[0x30, 0x82, 0x00, 0x01, 1, 9], 5],
      [[0x30, 0x80, 0x04, 0x01, 7, 0x00, 0x00, 9], 7],
      [[0x1f, 0x81, 0x01, 0x01, 7, 9], 5],
    ]

    for (const [bytes, end] of cases) assert.deepEqual(elementEnd(Buffer.from(bytes), 0, bytes.length, 0), { end }, Buffer.from(bytes).toString('hex'))
  })

  it('stops at the limit instead of reading past it', () => {
    const results = [[0x30], [0x30, 0x82, 0x01], [0x30, 0x80, 0x04, 0x01, 7], [0x04, 0x80, 0, 0]].map((bytes) => elementEnd(Buffer.from(bytes), 0, bytes.length, 0))

    assert.ok(results.every((result) => 'error' in result), JSON.stringify(results))
  })

  it('refuses indefinite lengths nested beyond 32 levels', () => {
    const bytes = Buffer.from(Array.from({ length: 100 }, () => [0x30, 0x80]).flat())

    assert.deepEqual(elementEnd(bytes, 0, bytes.length, 0), { error: 'elements are nested more than 32 deep' })
  })
})
