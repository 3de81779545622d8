// Hashing on every core: worker threads each running hash-worker.ts. Small files travel in
// batches (one message out, one back for up to hundreds of files) so that a tree of many small
// files is not dominated by messaging; a large file is a task of its own so the cores share the
// big ones. Each worker holds up to two tasks, so it never waits for a round trip to the main thread.
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { examineFile, type Examination, type ExamineOptions } from './examine.js'
import { FileHasher } from './hash.js'
import type { WorkerMessage, WorkerSetup, WorkerTask } from './hash-worker.js'

export interface FileToHash {
  path: string
  /** The size the walk saw: decides batching only. */
  size: number
}

export interface HashFilesOptions extends ExamineOptions {
  /** Worker threads (default: os.availableParallelism()). 0 examines the files in the calling thread. */
  threads?: number | undefined
  /** Files of at least this size are a task of their own (default 1 MiB). */
  largeFileBytes?: number | undefined
  /** Most files in one batch (default 256). */
  batchFiles?: number | undefined
  /** Most bytes in one batch (default 8 MiB). */
  batchBytes?: number | undefined
  /** Bytes per read (default 1 MiB). */
  chunkSize?: number | undefined
}

const tasksPerWorker = 2

/**
 * Examines (hashes, and inspects as PE when asked) every file, yielding the results of each task
 * as it completes: arrays in no particular order, every file exactly once, a file that cannot be
 * read as a `problem`. Reads no further ahead in `files` than the workers can take. Stopping the
 * iteration early stops the workers. Throws when the workers cannot start.
 */
export async function* hashFiles(files: AsyncIterable<FileToHash> | Iterable<FileToHash>, options: HashFilesOptions): AsyncGenerator<Examination[], void, undefined> {
  const threads = options.threads ?? availableParallelism()
  if (!Number.isSafeInteger(threads) || threads < 0) throw new RangeError(`threads must be a whole number, not ${threads}`)
  const batches = new Batcher(options)
  if (threads === 0) {
    yield* examineInThread(files, batches, options)
    return
  }

  const pool = new WorkerPool(threads, { ...examineOptionsOf(options), chunkSize: options.chunkSize })
  const input = iteratorOf(files)
  let inputDone = false
  let nextInput: Promise<{ input: IteratorResult<FileToHash> }> | undefined
  const ready: FileToHash[][] = [] // tasks waiting for a worker
  try {
    for (;;) {
      while (ready.length > 0 && pool.hasRoom()) pool.run(ready.shift()!)
      // A partial batch goes out only to a worker with nothing to do: while the workers are
      // busy, batches fill up; when the walk is the slow part, files go out as they come.
      if (!batches.empty && pool.hasIdleWorker()) pool.run(batches.take())
      const results = pool.takeResults()
      if (results !== undefined) {
        yield results
        continue
      }
      pool.throwIfFailed()
      if (inputDone && ready.length === 0 && batches.empty && pool.idle()) return
      const wantInput = !inputDone && ready.length < threads
      if (wantInput) nextInput ??= input.next().then((result) => ({ input: result }))
      const event = await Promise.race(wantInput ? [pool.changed(), nextInput!] : [pool.changed()])
      if (event === undefined) continue
      nextInput = undefined
      if (event.input.done) {
        inputDone = true
        if (!batches.empty) ready.push(batches.take())
        continue
      }
      const file = event.input.value
      if (batches.isLarge(file)) ready.push([file])
      else if (batches.add(file)) ready.push(batches.take())
    }
  } finally {
    await pool.close()
    if (!inputDone) await input.return?.()
  }
}

/** The same work without threads: the reference the worker path is tested against, and the path for `threads: 0`. */
async function* examineInThread(files: AsyncIterable<FileToHash> | Iterable<FileToHash>, batches: Batcher, options: HashFilesOptions): AsyncGenerator<Examination[], void, undefined> {
  const hasher = new FileHasher({ chunkSize: options.chunkSize })
  const examineOptions = examineOptionsOf(options)
  let results: Examination[] = []
  for await (const file of files) {
    results.push(await examineFile(file.path, hasher, examineOptions))
    if (batches.isLarge(file) || batches.add(file)) {
      batches.take()
      yield results
      results = []
    }
  }
  if (results.length > 0) yield results
}

function examineOptionsOf(options: HashFilesOptions): ExamineOptions {
  return { algorithms: options.algorithms, inspectPe: options.inspectPe, followSymlinks: options.followSymlinks, maxCertificateTableBytes: options.maxCertificateTableBytes }
}

function iteratorOf<T>(items: AsyncIterable<T> | Iterable<T>): AsyncIterator<T> {
  if (Symbol.asyncIterator in items) return items[Symbol.asyncIterator]()
  const iterator = items[Symbol.iterator]()
  return { next: async () => iterator.next(), return: async () => iterator.return?.() ?? { done: true, value: undefined } }
}

/** Collects small files into batches. */
class Batcher {
  private files: FileToHash[] = []
  private bytes = 0
  private readonly largeFileBytes: number
  private readonly batchFiles: number
  private readonly batchBytes: number

  constructor(options: HashFilesOptions) {
    this.largeFileBytes = positive('largeFileBytes', options.largeFileBytes ?? 1024 * 1024)
    this.batchFiles = positive('batchFiles', options.batchFiles ?? 256)
    this.batchBytes = positive('batchBytes', options.batchBytes ?? 8 * 1024 * 1024)
  }

  isLarge(file: FileToHash): boolean {
    return file.size >= this.largeFileBytes
  }

  /** Adds a file; true when the batch is full. */
  add(file: FileToHash): boolean {
    this.files.push(file)
    this.bytes += file.size
    return this.files.length >= this.batchFiles || this.bytes >= this.batchBytes
  }

  get empty(): boolean {
    return this.files.length === 0
  }

  take(): FileToHash[] {
    const files = this.files
    this.files = []
    this.bytes = 0
    return files
  }
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive whole number, not ${value}`)
  return value
}

interface PoolWorker {
  worker: Worker
  ready: boolean
  tasks: Map<number, FileToHash[]>
  /** Set once the worker has failed or exited, so that its 'error' and 'exit' are handled once. */
  gone: boolean
}

/**
 * The worker threads and their tasks. A worker that fails while working (out of memory on some
 * file, say) has its tasks' files reported as problems and is replaced; one that fails before it
 * is ready means the workers cannot run at all, and the pool fails.
 */
class WorkerPool {
  private readonly workers: PoolWorker[] = []
  private readonly results: Examination[][] = []
  private failure: Error | undefined
  private closing = false
  private nextId = 0
  private wake: (() => void) | undefined

  constructor(threads: number, private readonly setup: WorkerSetup) {
    for (let i = 0; i < threads; i++) this.workers.push(this.start())
  }

  private start(): PoolWorker {
    const entry: PoolWorker = { worker: startWorker(this.setup), ready: false, tasks: new Map(), gone: false }
    entry.worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'ready') entry.ready = true
      else {
        entry.tasks.delete(message.id)
        this.results.push(message.results)
      }
      this.notify()
    })
    entry.worker.on('error', (error) => this.lost(entry, error))
    entry.worker.on('exit', (code) => this.lost(entry, new Error(`the hash worker exited with code ${code}`)))
    return entry
  }

  private lost(entry: PoolWorker, error: Error): void {
    if (entry.gone || this.closing) return
    entry.gone = true
    if (!entry.ready) {
      this.failure ??= new Error(`cannot start the hash worker thread: ${error.message}`, { cause: error })
    } else {
      for (const files of entry.tasks.values()) {
        this.results.push(files.map(({ path }) => ({ kind: 'problem', path, problem: `the worker hashing it failed: ${error.message}` })))
      }
      entry.tasks.clear()
      this.workers[this.workers.indexOf(entry)] = this.start()
    }
    void entry.worker.terminate()
    this.notify()
  }

  private notify(): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }

  /** Resolves (to undefined) at the next message, completion or failure. */
  changed(): Promise<undefined> {
    return new Promise((resolve) => {
      this.wake = () => resolve(undefined)
    })
  }

  hasRoom(): boolean {
    return this.workers.some((entry) => entry.tasks.size < tasksPerWorker)
  }

  hasIdleWorker(): boolean {
    return this.workers.some((entry) => entry.tasks.size === 0)
  }

  idle(): boolean {
    return this.workers.every((entry) => entry.tasks.size === 0)
  }

  /** Gives the files to the least busy worker. */
  run(files: FileToHash[]): void {
    const entry = this.workers.reduce((best, candidate) => (candidate.tasks.size < best.tasks.size ? candidate : best))
    const id = this.nextId++
    entry.tasks.set(id, files)
    entry.worker.postMessage({ id, paths: files.map((file) => file.path) } satisfies WorkerTask)
  }

  takeResults(): Examination[] | undefined {
    return this.results.shift()
  }

  throwIfFailed(): void {
    if (this.failure) throw this.failure
  }

  async close(): Promise<void> {
    this.closing = true
    await Promise.all(this.workers.map((entry) => entry.worker.terminate()))
  }
}

/**
 * Compiled, the worker is hash-worker.js beside this file. From the TypeScript sources (tests run
 * them under tsx), passing `--import tsx` in the worker's execArgv is not enough on Node 20: the
 * loader hooks it registers are not applied to the worker's own modules (nodejs/node#47747,
 * privatenumber/tsx#354; checked on Node 20.20 with tsx 4.23). So the worker starts as a line of
 * JavaScript that registers tsx's ESM hooks in the worker itself, then imports the .ts entry.
 */
function startWorker(setup: WorkerSetup): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./hash-worker.js', import.meta.url), { workerData: setup })
  const tsx = import.meta.resolve('tsx/esm/api')
  const entry = new URL('./hash-worker.ts', import.meta.url).href
  const bootstrap = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}) })`
  return new Worker(bootstrap, { eval: true, workerData: setup, execArgv: [] })
}
