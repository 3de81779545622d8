// One file of a sweep: open once, hash, and when the first bytes the hashing read were `MZ`,
// inspect the PE headers and certificate table through the same open file. Failures become
// problems; nothing here throws for a file. Two variants with the same results: one with
// asynchronous reads for the calling thread, one with blocking reads for worker threads (see hash.ts).
import { closeSync } from 'node:fs'
import { FileHasher, NotRegularFileError, openRegularFile, openRegularFileSync, type DigestAlgorithm, type HashedContent } from './hash.js'
import { descriptorSource, handleSource, type ByteSource } from './byte-source.js'
import { inspectPe, type PeInspection, type PeOptions } from './pe.js'
import type { FileProblem } from './walk.js'

export interface ExamineOptions extends PeOptions {
  /** Digests besides SHA-256 (which is always computed). */
  algorithms: readonly DigestAlgorithm[]
  /** Inspect files starting with `MZ` as PE images. */
  inspectPe: boolean
  /** The walk followed links: opening one is expected (otherwise a link swapped in is refused). */
  followSymlinks?: boolean | undefined
}

export interface ExaminedFile {
  kind: 'file'
  path: string
  size: number
  sha256: string
  sha1?: string | undefined
  md5?: string | undefined
  /** Present when the file starts with `MZ` and PE inspection was asked for. */
  pe?: PeInspection | undefined
}

export type Examination = ExaminedFile | FileProblem

/** Examines a file with asynchronous reads: the calling thread's event loop keeps running. */
export async function examineFile(path: string, hasher: FileHasher, options: ExamineOptions): Promise<Examination> {
  let handle
  try {
    handle = await openRegularFile(path, { followSymlinks: options.followSymlinks === true })
  } catch (error) {
    return problemOf(path, error, 'open')
  }
  try {
    const hashed = await hasher.hashHandle(handle, options.algorithms)
    return await withPe(path, hashed, (size) => handleSource(handle, size), options)
  } catch (error) {
    return problemOf(path, error, 'read')
  } finally {
    await handle.close().catch(() => undefined) // closing a file opened for reading cannot lose data
  }
}

/** Examines a file with blocking reads, for worker threads: far less overhead per small file. */
export async function examineFileBlocking(path: string, hasher: FileHasher, options: ExamineOptions): Promise<Examination> {
  let fd: number
  try {
    fd = openRegularFileSync(path, { followSymlinks: options.followSymlinks === true })
  } catch (error) {
    return problemOf(path, error, 'open')
  }
  try {
    const hashed = hasher.hashDescriptor(fd, options.algorithms)
    return await withPe(path, hashed, (size) => descriptorSource(fd, size), options)
  } catch (error) {
    return problemOf(path, error, 'read')
  } finally {
    try {
      closeSync(fd)
    } catch {
      // closing a file opened for reading cannot lose data
    }
  }
}

async function withPe(path: string, hashed: HashedContent, source: (size: number) => ByteSource, options: ExamineOptions): Promise<ExaminedFile> {
  const examined: ExaminedFile = { kind: 'file', path, size: hashed.size, ...hashed.digests }
  // The size hashed, not an earlier stat: the inspection sees the same file the digest describes.
  if (options.inspectPe && hashed.startsWithMz) examined.pe = await inspectPe(source(hashed.size), options)
  return examined
}

function problemOf(path: string, error: unknown, step: 'open' | 'read'): FileProblem {
  const code = (error as { code?: unknown }).code
  const known = typeof code === 'string' ? code : undefined
  const message = error instanceof Error ? error.message : String(error)
  const problem =
    error instanceof NotRegularFileError ? 'no longer a regular file'
    : known === 'ENOENT' ? 'the file vanished before it could be read'
    : known === 'EACCES' || known === 'EPERM' ? 'permission denied'
    : known === 'ELOOP' ? 'replaced by a symbolic link since the walk; not followed'
    : `cannot ${step} the file: ${message}`
  return { kind: 'problem', path, problem, code: known }
}
