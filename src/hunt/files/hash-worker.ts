// The worker thread of hashFiles (pool.ts): examines the files of each task in turn, with blocking
// reads (see hash.ts) and one FileHasher whose buffers serve every file, and answers each task in
// one message.
import { parentPort, workerData } from 'node:worker_threads'
import { examineFileBlocking, type Examination, type ExamineOptions } from './examine.js'
import { FileHasher } from './hash.js'

/** What a worker is started with (its workerData). */
export interface WorkerSetup extends ExamineOptions {
  chunkSize?: number | undefined
}

export interface WorkerTask {
  id: number
  paths: string[]
}

export type WorkerMessage = { type: 'ready' } | { type: 'done'; id: number; results: Examination[] }

const port = parentPort
if (port === null) throw new Error('hash-worker.ts runs as a worker thread, started by hashFiles')
const setup = workerData as WorkerSetup
const hasher = new FileHasher({ chunkSize: setup.chunkSize })

// The pool may send a second task before the first is done (so that this thread never waits for
// the next one); tasks run one after the other, since the hasher's buffers serve one file at a time.
let previous: Promise<void> = Promise.resolve()
port.on('message', (task: WorkerTask) => {
  previous = previous.then(async () => {
    const results: Examination[] = []
    for (const path of task.paths) results.push(await examineFileBlocking(path, hasher, setup))
    port.postMessage({ type: 'done', id: task.id, results } satisfies WorkerMessage)
  })
})
port.postMessage({ type: 'ready' } satisfies WorkerMessage)
