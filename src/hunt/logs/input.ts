// Reading logs on disk: the head (for detection; gzip is told by its magic bytes 1f 8b and inflated
// by the engine), and the errors of files that cannot be opened or inflated, as LogFileErrors.
import { open } from 'node:fs/promises'
import { isAppError } from '../../shared/errors.js'
import { LogFileError } from './types.js'

/** Chunks as large as this read faster than the default 64 KiB. */
export const readChunkBytes = 1024 * 1024

/** The first bytes of the file as stored (detectLogFormat inflates a gzip head itself); `file` names it in errors. */
export async function readLogHead(path: string, bytes = 64 * 1024, file = path): Promise<Buffer> {
  try {
    const handle = await open(path, 'r')
    try {
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(bytes), 0, bytes, 0)
      return buffer.subarray(0, bytesRead)
    } finally {
      await handle.close()
    }
  } catch (error) {
    throw readError(file, error)
  }
}

export function isGzip(head: Buffer): boolean {
  return head[0] === 0x1f && head[1] === 0x8b
}

export function readError(path: string, error: unknown): Error {
  if (isAppError(error)) return error
  const code = (error as { code?: unknown }).code
  const message = error instanceof Error ? error.message : String(error)
  const reason =
    code === 'ENOENT' ? 'no such file'
    : code === 'EISDIR' ? 'it is a directory, not a file'
    : code === 'EACCES' ? 'permission denied'
    : typeof code === 'string' && code.startsWith('Z_') ? `the gzip data is corrupt or cut short (${message})`
    : `cannot read the file: ${message}`
  return new LogFileError(path, null, reason, { cause: error })
}
