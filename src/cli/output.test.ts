import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { pageTable, progressLine } from './output.js'

function fakeStream(isTTY: boolean) {
  const writes: string[] = []
  return { writes, stream: { isTTY, write: (text: string) => writes.push(text) } as unknown as NodeJS.WriteStream }
}

describe('progressLine', () => {
  it('redraws one line on a terminal and clears it at the end', () => {
    const { writes, stream } = fakeStream(true)
    const progress = progressLine(true, stream)
    progress('10 MB')
    progress('20 MB') // within 100 ms of the first: skipped
    progress.end()
    assert.deepEqual(writes, ['\r\u001b[2K10 MB', '\r\u001b[2K'])
  })

  it('writes plain lines, at most one per interval and none for quick work, when stderr is not a terminal', async () => {
    const { writes, stream } = fakeStream(false)
    const progress = progressLine(true, stream, 20)
    progress('a')
    await new Promise((resolve) => setTimeout(resolve, 30))
    progress('b')
    progress('c')
    progress.end()
    assert.deepEqual(writes, ['b\n'])
  })

  it('says nothing under --json', () => {
    const { writes, stream } = fakeStream(true)
    const progress = progressLine(false, stream)
    progress('x')
    progress.end()
    assert.deepEqual(writes, [])
  })
})

describe('pageTable', () => {
  it('adds the cursor of the next page under the table, and nothing on the last page', () => {
    const columns: Array<[string, (row: { n: number }) => number]> = [['n', (row) => row.n]]

    assert.equal(pageTable({ items: [{ n: 1 }], nextCursor: 'abc' }, columns), 'N\n1\n\nmore: --cursor abc')
    assert.equal(pageTable({ items: [{ n: 1 }], nextCursor: null }, columns), 'N\n1')
  })
})
