// Opening an inventory file as a byte stream: gzip files (magic bytes 1f 8b) are inflated on the
// fly, so `fleet.log.gz` imports like `fleet.log`. A file that cannot be opened is an ImportFileError.
import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'
import { createGunzip } from 'node:zlib'
import { isAppError } from '../../shared/errors.js'
import { messageOf } from './reading.js'
import { ImportFileError } from './types.js'

/** The file's bytes, inflated when it is gzip-compressed. */
export async function* openInput(path: string): AsyncGenerator<Buffer, void, undefined> {
  const gzipped = (await readHead(path, 2)).equals(Buffer.from([0x1f, 0x8b]))
  const source = createReadStream(path)
  const gunzip = gzipped ? createGunzip() : undefined
  if (gunzip) {
    source.on('error', (error) => gunzip.destroy(error))
    source.pipe(gunzip)
  }
  try {
    for await (const chunk of gunzip ?? source) yield chunk as Buffer
  } catch (error) {
    throw readError(path, error)
  } finally {
    source.destroy()
    gunzip?.destroy()
  }
}

/** The first bytes of the file as stored (for detectInventoryFormat, which inflates a gzip head itself). */
export async function readHead(path: string, bytes = 64 * 1024): Promise<Buffer> {
  try {
    const handle = await open(path, 'r')
    try {
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(bytes), 0, bytes, 0)
      return buffer.subarray(0, bytesRead)
    } finally {
      await handle.close()
    }
  } catch (error) {
    throw readError(path, error)
  }
}

function readError(path: string, error: unknown): Error {
  if (isAppError(error)) return error
  const code = (error as { code?: unknown }).code
  const reason =
    code === 'ENOENT' ? 'no such file'
    : code === 'EISDIR' ? 'it is a directory, not a file'
    : code === 'EACCES' ? 'permission denied'
    : typeof code === 'string' && code.startsWith('Z_') ? `the gzip data is corrupt or cut short (${messageOf(error)})`
    : `cannot read the file: ${messageOf(error)}`
  return new ImportFileError(path, null, reason, { cause: error })
}
