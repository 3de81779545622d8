// Test helpers for the parsers: byte streams built from text or fixtures, observations collected
// with their batch sizes, the ImportFileError a parse ends with, and a garbage collector for heap checks.
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { openInput } from './input.js'
import { ImportFileError, type InventoryParser, type Observation, type ParseOptions } from './types.js'

/** A stream of the given parts, one chunk each. */
export async function* bytes(...parts: (string | Buffer)[]): AsyncGenerator<Buffer, void, undefined> {
  for (const part of parts) yield Buffer.from(part)
}

/** A stream of `content` cut into chunks of `size` bytes (1 cuts every character in half). */
export async function* chunked(content: string | Buffer, size: number): AsyncGenerator<Buffer, void, undefined> {
  const all = Buffer.from(content)
  for (let start = 0; start < all.length; start += size) yield all.subarray(start, start + size)
}

export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))
}

export function fixture(name: string): AsyncGenerator<Buffer, void, undefined> {
  return openInput(fixturePath(name))
}

export interface Parsed {
  observations: Observation[]
  batchSizes: number[]
}

export async function parse(parser: InventoryParser, input: AsyncIterable<Buffer>, options: Partial<ParseOptions> = {}): Promise<Parsed> {
  const observations: Observation[] = []
  const batchSizes: number[] = []
  for await (const batch of parser(input, { file: 'test-file', ...options })) {
    batchSizes.push(batch.length)
    observations.push(...batch)
  }
  return { observations, batchSizes }
}

export async function observationsOf(parser: InventoryParser, input: AsyncIterable<Buffer>, options: Partial<ParseOptions> = {}): Promise<Observation[]> {
  return (await parse(parser, input, options)).observations
}

/** The ImportFileError the parse ends with; fails on any other outcome. */
export async function parseError(parser: InventoryParser, input: AsyncIterable<Buffer>, options: Partial<ParseOptions> = {}): Promise<ImportFileError> {
  try {
    await parse(parser, input, options)
  } catch (error) {
    assert.ok(error instanceof ImportFileError, `expected an ImportFileError, got ${String(error)}`)
    assert.equal(error.kind, 'invalid')
    return error
  }
  assert.fail('expected the parse to fail')
}

export function kinds(observations: Observation[]): string[] {
  return observations.map((observation) => observation.kind)
}

export function itemsOf(observations: Observation[]): { product: string; version: string; vendor: string }[] {
  return observations.flatMap((observation) => ('items' in observation ? observation.items.map(({ product, version, vendor }) => ({ product, version, vendor })) : []))
}

/**
 * `prefix`, then `total` bytes of `filler` in fresh 64 KiB chunks, never a newline; `read` counts the
 * bytes the parser pulled and `peakHeap` the most heap in use between pulls.
 */
export function longLine(prefix: string, total: number, filler = 'a'): { input: AsyncGenerator<Buffer, void, undefined>; read: () => number; peakHeap: () => number } {
  let read = 0
  let peakHeap = 0
  const chunk = 64 * 1024
  async function* input(): AsyncGenerator<Buffer, void, undefined> {
    read += Buffer.byteLength(prefix)
    yield Buffer.from(prefix)
    for (let sent = 0; sent < total; sent += chunk) {
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)
      read += chunk
      yield Buffer.alloc(chunk, filler)
    }
  }
  return { input: input(), read: () => read, peakHeap: () => peakHeap }
}

let collector: (() => void) | undefined

/** Runs a full garbage collection (for heap measurements), exposing gc on first use. */
export function collectGarbage(): void {
  if (!collector) {
    setFlagsFromString('--expose_gc')
    collector = runInNewContext('gc') as () => void
  }
  collector()
}
