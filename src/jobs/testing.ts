import type { JobLogger } from './model.js'

/** Helpers for the jobs module's tests: waiting on a real-time worker, and seeing what it logged. */

/** Resolve once `condition` holds, checking every few milliseconds; reject after `timeoutMs`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(5)
  }
}

export function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds))
}

/** A promise the test resolves when it chooses: holds a handler mid-run. */
export interface Gate {
  promise: Promise<void>
  open(): void
}

export function aGate(): Gate {
  let open: () => void = () => {}
  const promise = new Promise<void>((resolve) => (open = resolve))
  return { promise, open }
}

export interface LogEntry {
  level: 'info' | 'warn' | 'error'
  message: string
  details: object
}

/** A JobLogger that keeps what it is told. */
export function aRecordingLogger(): JobLogger & { entries: LogEntry[] } {
  const entries: LogEntry[] = []
  const record = (level: LogEntry['level']) => (details: object, message = '') => {
    entries.push({ level, message, details })
  }
  return { entries, info: record('info'), warn: record('warn'), error: record('error') }
}
