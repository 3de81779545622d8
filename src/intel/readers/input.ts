import { createReadStream } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { AppError } from '../../shared/errors.js'

/**
 * What an import reads: a file on disk (a JSON or CSV file, a zip of OSV records, or a directory
 * of them), or bytes uploaded over HTTP. Readers may read an input more than once (format
 * detection, a STIX bundle's identities), so an input is something to open, not a stream.
 */
export type ImportInput = { name: string; path: string } | { name: string; buffer: Buffer }

/** The limits that keep a hostile file from exhausting memory or time. */
export interface ImportLimits {
  /** Largest JSON document read whole (one record, or a bundle around its streamed objects). */
  maxDocumentBytes: number
  /** Largest element of a streamed JSON array (one record). */
  maxRecordBytes: number
  /** Longest single JSON string or CSV field, and longest CSV line. */
  maxTokenBytes: number
  /** Deepest JSON nesting. */
  maxDepth: number
  /** Most entries in a zip archive, or files under a directory. */
  maxEntries: number
  /** Largest uncompressed size of one zip entry. */
  maxEntryBytes: number
  /** Largest uncompressed size of a whole zip archive. */
  maxTotalBytes: number
  /** Largest compression ratio accepted for a zip entry bigger than 1 MiB (zip bombs compress at 1000:1 and more). */
  maxCompressionRatio: number
}

const mebibyte = 1024 * 1024

export const defaultImportLimits: ImportLimits = {
  maxDocumentBytes: 64 * mebibyte,
  maxRecordBytes: 16 * mebibyte,
  maxTokenBytes: 4 * mebibyte,
  maxDepth: 64,
  maxEntries: 500_000,
  maxEntryBytes: 64 * mebibyte,
  maxTotalBytes: 4096 * mebibyte,
  maxCompressionRatio: 200,
}

const chunkBytes = 64 * 1024

/** A file-level problem: the input cannot be read as its format. Names the file, and the line or field when known. */
export function invalidFile(file: string, line: number | null, reason: string, options: { cause?: unknown; field?: string } = {}): AppError {
  const where = line === null ? file : `${file}:${line}`
  return new AppError('invalid', `${where}: ${reason}`, {
    ...(options.cause !== undefined && { cause: options.cause }),
    problems: [{ field: options.field ? `${where} ${options.field}` : where, message: reason }],
  })
}

/** The bytes of an input (not a directory), from the start, in chunks. */
export async function* readBytes(input: ImportInput): AsyncGenerator<Buffer> {
  if ('buffer' in input) {
    for (let offset = 0; offset < input.buffer.length; offset += chunkBytes) yield input.buffer.subarray(offset, offset + chunkBytes)
    return
  }
  try {
    for await (const chunk of createReadStream(input.path, { highWaterMark: chunkBytes })) yield chunk as Buffer
  } catch (cause) {
    throw unreadable(input, cause)
  }
}

/** The first bytes of an input (for telling formats apart), without reading the rest. */
export async function peekBytes(input: ImportInput, count: number): Promise<Buffer> {
  const parts: Buffer[] = []
  let length = 0
  for await (const chunk of readBytes(input)) {
    parts.push(chunk)
    length += chunk.length
    if (length >= count) break
  }
  return Buffer.concat(parts).subarray(0, count)
}

export async function isDirectory(input: ImportInput): Promise<boolean> {
  if (!('path' in input)) return false
  try {
    // stat, not lstat: a link the user names is followed; links found inside a directory are not.
    return (await stat(input.path)).isDirectory()
  } catch (cause) {
    throw unreadable(input, cause)
  }
}

/**
 * The *.json files under a directory, recursively, in a stable order. Symbolic links are not
 * followed (a link can point anywhere, or in a circle); they are reported back as skipped.
 */
export async function listJsonFiles(root: ImportInput & { path: string }, maxEntries: number): Promise<{ files: Array<ImportInput & { path: string }>; skipped: Array<{ file: string; reason: string }> }> {
  const files: Array<ImportInput & { path: string }> = []
  const skipped: Array<{ file: string; reason: string }> = []
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true })
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const entry of entries) {
      const path = join(dir, entry.name)
      const name = join(root.name, relative(root.path, path))
      if (entry.isSymbolicLink()) skipped.push({ file: name, reason: 'symbolic link not followed' })
      else if (entry.isDirectory()) await walk(path)
      else if (entry.isFile() && entry.name.toLowerCase().endsWith('.json')) {
        files.push({ name, path })
        if (files.length > maxEntries) throw invalidFile(root.name, null, `the directory holds more than ${maxEntries} .json files`)
      }
    }
  }
  try {
    await walk(root.path)
  } catch (cause) {
    if (cause instanceof AppError) throw cause
    throw unreadable(root, cause)
  }
  return { files, skipped }
}

function unreadable(input: ImportInput, cause: unknown): AppError {
  const code = (cause as { code?: unknown }).code
  const reason = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : 'cannot be read'
  return code === 'ENOENT' ? new AppError('not_found', `${input.name}: ${reason}`, { cause }) : invalidFile(input.name, null, reason, { cause })
}
