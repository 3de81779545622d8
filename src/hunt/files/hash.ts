// Streaming file hashing for sweeps: large reads (1 MiB) into reused buffers, never fs streams and
// their 64 KiB chunks. Two ways to read, for two kinds of thread:
// - hashDescriptor: synchronous reads, for worker threads (blocking them is what they are for). A
//   small file costs about 10 µs instead of about 100 µs: the asynchronous calls each go through
//   libuv's thread pool and back (open, stat, read, read, close), which dominates small files.
// - hashHandle: asynchronous reads through a FileHandle, for the calling thread, with the next read
//   in flight while the current chunk is hashed, so large files hash as fast as the sync path.
// Both reach OpenSSL's digest speed on large files (node:crypto is OpenSSL).
import { createHash, type Hash } from 'node:crypto'
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'

export type DigestAlgorithm = 'sha256' | 'sha1' | 'md5'

export const digestAlgorithms: readonly DigestAlgorithm[] = ['sha256', 'sha1', 'md5']

/** Lower-case hex digests. SHA-256 always; SHA-1 and MD5 when asked for (only older indicators use them). */
export interface Digests {
  sha256: string
  sha1?: string | undefined
  md5?: string | undefined
}

export interface HashedContent {
  /** Bytes hashed: the file's size as read, which may differ from an earlier stat if it changed. */
  size: number
  digests: Digests
  /** The first two bytes are `MZ`: worth a PE inspection. */
  startsWithMz: boolean
}

export interface FileHasherOptions {
  /** Bytes per read (default 1 MiB). Two buffers of this size are kept. */
  chunkSize?: number | undefined
}

export const defaultChunkSize = 1024 * 1024

/**
 * Hashes files one at a time with two reused read buffers. Not for concurrent use: each worker
 * thread (or caller) has its own.
 */
export class FileHasher {
  private readonly buffers: [Buffer, Buffer]
  private busy = false

  constructor(options: FileHasherOptions = {}) {
    const chunkSize = options.chunkSize ?? defaultChunkSize
    if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) throw new RangeError(`chunkSize must be a positive whole number of bytes, not ${chunkSize}`)
    // allocUnsafe: every byte handed to the hash was first written by a read.
    this.buffers = [Buffer.allocUnsafe(chunkSize), Buffer.allocUnsafe(chunkSize)]
  }

  /** Hashes an open file from its start to its end. */
  async hashHandle(handle: FileHandle, algorithms: readonly DigestAlgorithm[] = ['sha256']): Promise<HashedContent> {
    if (this.busy) throw new Error('FileHasher is hashing another file: use one hasher per concurrent file')
    this.busy = true
    try {
      return await this.hashAll(handle, algorithms)
    } finally {
      this.busy = false
    }
  }

  private async hashAll(handle: FileHandle, algorithms: readonly DigestAlgorithm[]): Promise<HashedContent> {
    const hashes = hashesFor(algorithms)
    let [current, next] = this.buffers
    let size = 0
    let startsWithMz = false
    let reading = handle.read(current, 0, current.length, 0)
    for (;;) {
      const { bytesRead } = await reading
      if (bytesRead === 0) break
      if (size === 0) startsWithMz = bytesRead >= 2 && current[0] === 0x4d && current[1] === 0x5a
      size += bytesRead
      // The next read fills the other buffer (in libuv's thread pool) while this thread hashes.
      reading = handle.read(next, 0, next.length, size)
      const chunk = current.subarray(0, bytesRead)
      for (const [, hash] of hashes) hash.update(chunk)
      ;[current, next] = [next, current]
    }
    return { size, digests: digestsOf(hashes), startsWithMz }
  }

  /** Hashes an open file descriptor from its start to its end, blocking the thread. */
  hashDescriptor(fd: number, algorithms: readonly DigestAlgorithm[] = ['sha256']): HashedContent {
    if (this.busy) throw new Error('FileHasher is hashing another file: use one hasher per concurrent file')
    const hashes = hashesFor(algorithms)
    const [buffer] = this.buffers
    let size = 0
    let startsWithMz = false
    for (;;) {
      const bytesRead = readSync(fd, buffer, 0, buffer.length, size)
      if (bytesRead === 0) break
      if (size === 0) startsWithMz = bytesRead >= 2 && buffer[0] === 0x4d && buffer[1] === 0x5a
      size += bytesRead
      const chunk = buffer.subarray(0, bytesRead)
      for (const [, hash] of hashes) hash.update(chunk)
    }
    return { size, digests: digestsOf(hashes), startsWithMz }
  }

  /** Opens, hashes and closes a file; throws the system error when it cannot be read. */
  async hashFile(path: string, algorithms: readonly DigestAlgorithm[] = ['sha256']): Promise<HashedContent> {
    const handle = await openRegularFile(path, { followSymlinks: true })
    try {
      return await this.hashHandle(handle, algorithms)
    } finally {
      await handle.close()
    }
  }
}

function hashesFor(algorithms: readonly DigestAlgorithm[]): [DigestAlgorithm, Hash][] {
  const wanted = new Set<DigestAlgorithm>(['sha256', ...algorithms])
  for (const algorithm of wanted) if (!digestAlgorithms.includes(algorithm)) throw new RangeError(`unknown digest algorithm: ${String(algorithm)}`)
  return [...wanted].map((algorithm) => [algorithm, createHash(algorithm)])
}

function digestsOf(hashes: [DigestAlgorithm, Hash][]): Digests {
  const digests: Digests = { sha256: '' }
  for (const [algorithm, hash] of hashes) digests[algorithm] = hash.digest('hex')
  return digests
}

/** A file was replaced by something other than a regular file between the walk and the read. */
export class NotRegularFileError extends Error {
  readonly code = 'ENOTREG'

  constructor(readonly path: string) {
    super(`${path} is not a regular file`)
    this.name = 'NotRegularFileError'
  }
}

/**
 * Opens a file for reading only if it is a regular file. O_NONBLOCK keeps the open from hanging on
 * a FIFO swapped in since the walk (it changes nothing for regular files); O_NOFOLLOW, unless links
 * are followed, keeps a link swapped in from being followed.
 */
export async function openRegularFile(path: string, options: { followSymlinks: boolean }): Promise<FileHandle> {
  const handle = await open(path, openFlags(options))
  try {
    if ((await handle.stat()).isFile()) return handle
  } catch (error) {
    await handle.close()
    throw error
  }
  await handle.close()
  throw new NotRegularFileError(path)
}

/** openRegularFile, blocking: returns a file descriptor for hashDescriptor. */
export function openRegularFileSync(path: string, options: { followSymlinks: boolean }): number {
  const fd = openSync(path, openFlags(options))
  let regular = false
  try {
    regular = fstatSync(fd).isFile()
  } finally {
    if (!regular) closeSync(fd)
  }
  if (!regular) throw new NotRegularFileError(path)
  return fd
}

function openFlags(options: { followSymlinks: boolean }): number {
  return constants.O_RDONLY | constants.O_NONBLOCK | (options.followSymlinks ? 0 : constants.O_NOFOLLOW)
}
