// A hunt worker thread: builds its own matcher from the indicators it is started with, then hunts
// the byte ranges the parent sends, one at a time (see parallel.ts).
import { open } from 'node:fs/promises'
import { parentPort, workerData } from 'node:worker_threads'
import { IndicatorMatcher } from '../match.js'
import { huntRange, type RangeTask, type WorkerMessage, type WorkerSetup } from './parallel.js'

const setup = workerData as WorkerSetup
const matcher = new IndicatorMatcher(setup.indicators)
const file = open(setup.path, 'r')
const port = parentPort
if (port === null) throw new Error('worker.ts runs only as a worker thread')

port.on('message', (task: RangeTask) => {
  file
    .then((handle) => huntRange(handle, task, setup, matcher))
    .then(
      (result) => port.postMessage({ index: task.index, result } satisfies WorkerMessage),
      (error: unknown) => port.postMessage({ index: task.index, error: error instanceof Error ? error.message : String(error) } satisfies WorkerMessage),
    )
})
