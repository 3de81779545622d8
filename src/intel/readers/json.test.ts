import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { appError } from '../testing.js'
import { readJson, type JsonItem } from './json.js'

const limits = { maxDocumentBytes: 4096, maxRecordBytes: 512, maxTokenBytes: 256, maxDepth: 8 }

async function* chunks(text: string | Buffer, size = 5): AsyncGenerator<Buffer> {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text)
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size)
}

async function read(text: string | Buffer, streamKey?: string): Promise<JsonItem[]> {
  const items: JsonItem[] = []
  for await (const item of readJson(chunks(text), { file: 'feed.json', limits, ...(streamKey && { streamKey }) })) items.push(item)
  return items
}

describe('the streaming JSON reader', () => {
  it('hands out the elements of a top-level array one at a time, with the line each starts on', async () => {
    const items = await read('[\n  {"id": "A"},\n  {"id": "B",\n   "x": [1, 2]}\n]\n')

    assert.deepEqual(items, [
      { kind: 'element', value: { id: 'A' }, line: 2, index: 0 },
      { kind: 'element', value: { id: 'B', x: [1, 2] }, line: 3, index: 1 },
      { kind: 'document', value: [], line: 1, streamed: true },
    ])
  })

  it("streams a bundle's objects and keeps the rest of the bundle", async () => {
    const items = await read('{"type": "bundle", "objects": [{"id": 1}, {"id": 2}], "id": "bundle--1"}', 'objects')

    assert.deepEqual(items.map((i) => i.value), [{ id: 1 }, { id: 2 }, { type: 'bundle', objects: [], id: 'bundle--1' }])
  })

  it('reads a single document whole, after a UTF-8 byte order mark', async () => {
    const items = await read('\ufeff{"id": "DSA-1", "modified": "2024-01-01T00:00:00Z"}')

    assert.deepEqual(items, [{ kind: 'document', value: { id: 'DSA-1', modified: '2024-01-01T00:00:00Z' }, line: 1, streamed: false }])
  })

  it('refuses hostile or broken JSON with the file, the line and what is wrong', async () => {
    const cases: Array<[string | Buffer, RegExp]> = [
      ['[{"id": "A"},\n{"id": ', /feed\.json:2: the JSON ends before it is complete .* truncated/],
      ['{"a": tru', /feed\.json:1: the JSON ends in the middle of a value/],
      ['{"a": 1,, "b": 2}', /unexpected ',' where a key/],
      ['{"a" 1}', /where ':' after the key was expected/],
      ['{"a": 1} {"b": 2}', /unexpected content after the end of the JSON document/],
      ['"just a string"', /expected a JSON object or array at the top level/],
      ['   \n  ', /feed\.json:2: the file holds no JSON value/],
      ['{"a": {"__proto__": {"admin": true}}}', /the key "__proto__" is not allowed \(at \$\.a\)/],
      ['[[[[[[[[[[1]]]]]]]]]]', /nested more than 8 levels deep/],
      [Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xe9, 0x22, 0x7d]), /feed\.json:1: the file is not valid UTF-8/],
      [Buffer.from('\ufeff{"a": 1}', 'utf16le'), /the file is UTF-16/],
      [`{"a": "${'x'.repeat(300)}"}`, /a single value is longer than 256 bytes/],
      [`[{"a": "${'x'.repeat(200)}", "b": "${'y'.repeat(200)}", "c": "${'z'.repeat(200)}"}]`, /the record starting at line 1 is larger than 512 bytes/],
      [`{${Array.from({ length: 40 }, (_, i) => `"k${i}": "${'v'.repeat(100)}"`).join(',\n')}}`, /the JSON document is larger than 4 KiB/],
    ]
    for (const [text, message] of cases) await assert.rejects(read(text), appError('invalid', message), String(message))
  })

  it('bounds a long run of records by record, not by file', async () => {
    const many = `[${Array.from({ length: 200 }, (_, i) => `{"id": "R${i}", "text": "${'t'.repeat(100)}"}`).join(',\n')}]`

    const items = await read(many)

    assert.equal(items.filter((i) => i.kind === 'element').length, 200)
    assert.ok(many.length > limits.maxDocumentBytes)
  })
})
