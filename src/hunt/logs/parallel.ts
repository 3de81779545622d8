// Hunting a plain log file in worker threads. The parent cuts the file into byte ranges at line
// boundaries; each worker hunts whole ranges with its own matcher and reader, counting lines from
// 1, and the parent puts the results back in file order, adding the lines of the ranges before.
// A Zeek header read by the parent is handed to every range; a range that finds a new header
// passes it on, and a range that was given another header than the one in effect is hunted again.
import { type FileHandle, open } from 'node:fs/promises'
import { Worker } from 'node:worker_threads'
import { IndicatorMatcher, type HuntIndicator } from '../match.js'
import type { HuntProgress } from './engine.js'
import { readChunkBytes, readError } from './input.js'
import { LineHunter, maxSamples } from './lines.js'
import { createLogReader } from './readers.js'
import { LogFileError, type HuntReport, type JsonFields, type LogFormat, type Sighting, type UnparseableLine } from './types.js'

export const defaultRangeBytes = 16 * 1024 * 1024

/** What every worker is started with. */
export interface WorkerSetup {
  path: string
  file: string
  format: LogFormat
  fields: JsonFields | undefined
  indicators: HuntIndicator[]
  maxLineBytes: number
  /** Milliseconds since the epoch. */
  referenceTime: number
}

export interface RangeTask {
  index: number
  start: number
  end: number
  /** The reader state in effect at the range's start, as far as the parent knows. */
  state: string | null
}

export interface RangeResult {
  /** Line numbers from 1 at the range's first line. */
  sightings: Sighting[]
  samples: UnparseableLine[]
  lines: number
  bytes: number
  sightingCount: number
  unparseable: number
  invalidUtf8Lines: number
  givenState: string | null
  endState: string | null
}

export type WorkerMessage = { index: number; result: RangeResult } | { index: number; error: string }

/** Hunts the lines of [task.start, task.end) (both line starts, or the end of the file). */
export async function huntRange(handle: FileHandle, task: RangeTask, setup: WorkerSetup, matcher: IndicatorMatcher): Promise<RangeResult> {
  const referenceTime = new Date(setup.referenceTime)
  const reader = createLogReader(setup.format, { fields: setup.fields, state: task.state, referenceTime })
  const hunter = new LineHunter(reader, matcher, { file: setup.file, maxLineBytes: setup.maxLineBytes, referenceTime })
  const buffer = Buffer.allocUnsafe(readChunkBytes)
  for (let position = task.start; position < task.end; ) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, task.end - position), position)
    if (bytesRead === 0) break // the file was cut shorter since the parent measured it
    hunter.push(buffer.subarray(0, bytesRead))
    position += bytesRead
  }
  hunter.end()
  return {
    sightings: hunter.take(),
    samples: hunter.samples,
    lines: hunter.lines,
    bytes: hunter.bytes,
    sightingCount: hunter.sightings,
    unparseable: hunter.unparseable,
    invalidUtf8Lines: hunter.invalidUtf8Lines,
    givenState: task.state,
    endState: reader.state(),
  }
}

/** The reader state after the head's complete lines (Zeek's header), for the ranges after the first. */
export function stateAfterHead(head: Buffer, format: LogFormat, fields: JsonFields | undefined, referenceTime: Date): string | null {
  const reader = createLogReader(format, { fields, referenceTime })
  const sink = { wants: 0, domain() {}, url() {}, ip() {}, domainText() {}, urlText() {}, ipText() {} }
  let start = 0
  for (let newline = head.indexOf(10); newline !== -1; newline = head.indexOf(10, start)) {
    const end = newline > start && head[newline - 1] === 0x0d ? newline - 1 : newline
    if (end > start) reader.scan(head, start, end, sink)
    start = newline + 1
  }
  return reader.state()
}

/** Range starts: `firstByte`, then the first line start at or after each multiple of rangeBytes; and the size last. */
export async function lineBoundaries(handle: FileHandle, firstByte: number, size: number, rangeBytes: number): Promise<number[]> {
  const bounds = [firstByte]
  const block = Buffer.allocUnsafe(64 * 1024)
  for (let cut = firstByte + rangeBytes; cut < size; cut += rangeBytes) {
    if (cut <= bounds[bounds.length - 1]!) continue
    let newline = -1
    for (let position = cut - 1; position < size && newline === -1; ) {
      const { bytesRead } = await handle.read(block, 0, block.length, position)
      if (bytesRead === 0) break
      const found = block.subarray(0, bytesRead).indexOf(10)
      if (found !== -1) newline = position + found
      position += bytesRead
    }
    if (newline === -1 || newline + 1 >= size) break
    bounds.push(newline + 1)
  }
  bounds.push(size)
  return bounds
}

export interface ParallelHunt {
  path: string
  size: number
  firstByte: number
  workers: number
  rangeBytes: number
  headState: string | null
  setup: WorkerSetup
  onProgress: ((progress: HuntProgress) => void) | undefined
}

export async function* huntInParallel(hunt: ParallelHunt): AsyncGenerator<Sighting[], HuntReport, undefined> {
  const { setup } = hunt
  let bounds: number[]
  try {
    const handle = await open(hunt.path, 'r')
    try {
      bounds = await lineBoundaries(handle, hunt.firstByte, hunt.size, hunt.rangeBytes)
    } finally {
      await handle.close()
    }
  } catch (error) {
    throw readError(setup.file, error)
  }
  const tasks: RangeTask[] = bounds.slice(0, -1).map((start, index) => ({ index, start, end: bounds[index + 1]!, state: index === 0 ? null : hunt.headState }))
  const workers = Math.max(1, Math.min(hunt.workers, tasks.length))
  const pool = new WorkerPool(setup, workers)
  try {
    for (const task of tasks) pool.schedule(task)
    const report: HuntReport = { file: setup.file, format: setup.format, bytes: 0, lines: 0, sightings: 0, unparseable: 0, unparseableSamples: [], invalidUtf8Lines: 0, workers }
    let state: string | null = null
    for (const task of tasks) {
      let result = await pool.result(task.index)
      if (result.givenState !== state) {
        // The range began under another header than the one in effect (a header in an earlier range): hunt it again.
        pool.schedule({ ...task, state }, true)
        result = await pool.result(task.index)
      }
      const before = report.lines
      for (const sighting of result.sightings) sighting.line += before
      for (const sample of result.samples) {
        if (report.unparseableSamples.length < maxSamples) report.unparseableSamples.push({ ...sample, line: sample.line + before })
      }
      report.lines += result.lines
      report.bytes += result.bytes
      report.sightings += result.sightingCount
      report.unparseable += result.unparseable
      report.invalidUtf8Lines += result.invalidUtf8Lines
      state = result.endState
      if (result.sightings.length > 0) yield result.sightings
      hunt.onProgress?.({ bytes: report.bytes, lines: report.lines, sightings: report.sightings })
    }
    return report
  } finally {
    await pool.close()
  }
}

/**
 * Under tsx (tests, development) the sources are TypeScript. Node 20 does not apply the loader
 * hooks of a worker's `--import tsx` to the worker's modules (nodejs/node#47747), so the worker
 * starts from a line of JavaScript that registers tsx and then imports worker.ts.
 */
function typeScriptWorker(setup: WorkerSetup): Worker {
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'))
  const entry = JSON.stringify(new URL('./worker.ts', import.meta.url).href)
  return new Worker(`import(${tsx}).then((tsx) => { tsx.register(); return import(${entry}) })`, { eval: true, workerData: setup, execArgv: [] })
}

interface Pending {
  promise: Promise<RangeResult>
  resolve(result: RangeResult): void
  reject(error: unknown): void
}

/** Workers taking ranges from one queue; results are awaited by range index. */
class WorkerPool {
  private readonly workers: Worker[]
  private readonly idle: Worker[] = []
  private readonly queue: RangeTask[] = []
  private readonly pending = new Map<number, Pending>()
  private readonly running = new Map<Worker, number>()
  private closing = false

  constructor(
    private readonly setup: WorkerSetup,
    count: number,
  ) {
    this.workers = Array.from({ length: count }, () => this.start())
    this.idle.push(...this.workers)
  }

  schedule(task: RangeTask, first = false): void {
    let resolve!: (result: RangeResult) => void
    let reject!: (error: unknown) => void
    const promise = new Promise<RangeResult>((yes, no) => {
      resolve = yes
      reject = no
    })
    promise.catch(() => undefined) // awaited in order later; a failure must not go unhandled before then
    this.pending.set(task.index, { promise, resolve, reject })
    if (first) this.queue.unshift(task)
    else this.queue.push(task)
    this.pump()
  }

  result(index: number): Promise<RangeResult> {
    const pending = this.pending.get(index)
    if (pending === undefined) throw new Error(`range ${index} was never scheduled`)
    return pending.promise
  }

  async close(): Promise<void> {
    this.closing = true
    await Promise.all(this.workers.map((worker) => worker.terminate()))
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop()!
      const task = this.queue.shift()!
      this.running.set(worker, task.index)
      worker.postMessage(task)
    }
  }

  private start(): Worker {
    const worker = import.meta.url.endsWith('.ts') ? typeScriptWorker(this.setup) : new Worker(new URL('./worker.js', import.meta.url), { workerData: this.setup, execArgv: [] })
    worker.on('message', (message: WorkerMessage) => {
      this.running.delete(worker)
      this.idle.push(worker)
      const pending = this.pending.get(message.index)
      if ('error' in message) pending?.reject(new LogFileError(this.setup.file, null, message.error))
      else pending?.resolve(message.result)
      this.pump()
    })
    worker.on('error', (error) => this.fail(worker, error))
    worker.on('exit', (code) => {
      if (!this.closing) this.fail(worker, new Error(`a hunt worker stopped (exit code ${code})`))
    })
    return worker
  }

  private fail(worker: Worker, error: unknown): void {
    const index = this.running.get(worker)
    this.running.delete(worker)
    const failure = new LogFileError(this.setup.file, null, `a worker thread failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
    if (index !== undefined) this.pending.get(index)?.reject(failure)
    // Without this worker the queue may never drain: fail everything still waiting.
    for (const task of this.queue.splice(0)) this.pending.get(task.index)?.reject(failure)
  }
}
