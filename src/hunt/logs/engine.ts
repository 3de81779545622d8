// The log hunt: a byte stream in (gzip inflated on the fly), batches of sightings out, and a report
// at the end. huntLogFile hunts a plain file on disk in worker threads, range by range.
import { availableParallelism } from 'node:os'
import { createReadStream } from 'node:fs'
import { open, stat } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGunzip } from 'node:zlib'
import type { IndicatorMatcher } from '../match.js'
import { detectLogFormat, logDetectionHeadBytes } from './detect.js'
import { isGzip, readChunkBytes, readError, readLogHead } from './input.js'
import { defaultMaxLineBytes, LineHunter } from './lines.js'
import { defaultRangeBytes, huntInParallel, stateAfterHead } from './parallel.js'
import { createLogReader } from './readers.js'
import { LogFileError, type HuntReport, type JsonFields, type LogFormat, type Sighting } from './types.js'

export interface HuntProgress {
  bytes: number
  lines: number
  sightings: number
}

export interface HuntOptions {
  /** The file's name as the user gave it ('-' for standard input), for sightings and messages. */
  file: string
  /** The log's format; detected from its first lines when not given. */
  format?: LogFormat | undefined
  /** JSON lines: where the values are. */
  fields?: JsonFields | undefined
  matcher: IndicatorMatcher
  /** Longer lines are reported unparseable and skipped (default 1 MiB). */
  maxLineBytes?: number | undefined
  /** For dates without a year (syslog). Default: now (huntLogFile: the file's last change). */
  referenceTime?: Date | undefined
  onProgress?: ((progress: HuntProgress) => void) | undefined
}

/**
 * Hunts a log for the matcher's indicators: yields the sightings in batches, in line order, and
 * returns the report (the generator's return value: read it from the last `next()`, since
 * for-await drops it). Any byte stream will do, gzip or not; it may reuse a chunk's buffer once
 * the next chunk is asked for. A log that cannot be read at all (no such file, corrupt or cut
 * gzip, UTF-16, binary) is a LogFileError naming the file and the line it reached; the sightings
 * before it were already yielded.
 */
export async function* huntLog(input: AsyncIterable<Buffer | Uint8Array>, options: HuntOptions): AsyncGenerator<Sighting[], HuntReport, undefined> {
  const { file, matcher } = options
  const maxLineBytes = lineLimit(options.maxLineBytes)
  const referenceTime = options.referenceTime ?? new Date()
  let format = options.format
  let hunter: LineHunter | undefined
  const head: Buffer[] = []
  let headBytes = 0
  const begin = (): LineHunter => {
    const bytes = Buffer.concat(head, headBytes)
    head.length = 0
    // An empty log (rotated, nothing logged yet) has nothing to detect: an empty report, not an error.
    format ??= bytes.length === 0 ? 'text' : detectLogFormat(bytes, file)
    const started = new LineHunter(createLogReader(format, { fields: options.fields, referenceTime }), matcher, { file, maxLineBytes, referenceTime })
    started.push(bytes)
    return started
  }
  try {
    for await (const chunk of withoutBom(inflated(input, file), file)) {
      if (hunter === undefined) {
        headBytes += chunk.length
        if (format === undefined && headBytes < logDetectionHeadBytes) {
          head.push(Buffer.from(chunk)) // the input may reuse its buffer for the next chunk
          continue
        }
        head.push(chunk)
        hunter = begin()
      } else {
        hunter.push(chunk)
      }
      const batch = hunter.take()
      if (batch.length > 0) yield batch
      options.onProgress?.({ bytes: hunter.bytes, lines: hunter.lines, sightings: hunter.sightings })
    }
    hunter ??= begin()
    hunter.end()
  } catch (error) {
    throw atLine(error, file, (hunter?.lines ?? 0) + 1)
  }
  const batch = hunter.take()
  if (batch.length > 0) yield batch
  options.onProgress?.({ bytes: hunter.bytes, lines: hunter.lines, sightings: hunter.sightings })
  return {
    file,
    format: format ?? 'text',
    bytes: hunter.bytes,
    lines: hunter.lines,
    sightings: hunter.sightings,
    unparseable: hunter.unparseable,
    unparseableSamples: hunter.samples,
    invalidUtf8Lines: hunter.invalidUtf8Lines,
    workers: 0,
  }
}

export interface FileHuntOptions extends Omit<HuntOptions, 'file'> {
  /** The name for sightings and messages (default: the path). */
  file?: string | undefined
  /** Worker threads for a plain file (default: one per CPU); gzip files and small files are hunted in this thread. */
  workers?: number | undefined
  /** The size of the byte ranges given to workers (default 16 MiB); a file under two ranges is hunted in this thread. */
  rangeBytes?: number | undefined
}

/**
 * Hunts a log file on disk. A plain file of two ranges or more is cut into byte ranges at line
 * boundaries, each hunted in a worker thread; the sightings come out in line order with exact line
 * numbers, the same as huntLog's.
 */
export async function* huntLogFile(path: string, options: FileHuntOptions): AsyncGenerator<Sighting[], HuntReport, undefined> {
  const file = options.file ?? path
  let size: number
  let modified: Date
  try {
    const stats = await stat(path)
    if (stats.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' })
    size = stats.size
    modified = stats.mtime
  } catch (error) {
    throw readError(file, error)
  }
  const referenceTime = options.referenceTime ?? modified
  const head = await readLogHead(path, logDetectionHeadBytes, file)
  const workers = options.workers ?? availableParallelism()
  const rangeBytes = options.rangeBytes ?? defaultRangeBytes
  if (isGzip(head) || workers <= 1 || size < 2 * rangeBytes) {
    const input = isGzip(head) ? createReadStream(path, { highWaterMark: readChunkBytes }) : plainFileChunks(path)
    return yield* huntLog(input, { ...options, file, referenceTime })
  }
  const bom = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0
  const format = options.format ?? detectLogFormat(head, file)
  const maxLineBytes = lineLimit(options.maxLineBytes)
  const headState = stateAfterHead(head.subarray(bom), format, options.fields, referenceTime)
  return yield* huntInParallel({
    path,
    size,
    firstByte: bom,
    workers,
    rangeBytes,
    headState,
    setup: { path, file, format, fields: options.fields, indicators: options.matcher.indicators, maxLineBytes, referenceTime: referenceTime.getTime() },
    onProgress: options.onProgress,
  })
}

/**
 * A plain file's bytes in two buffers used in turn (fresh 1 MiB buffers per chunk cost garbage
 * collections): the next read runs while the hunt reads the chunk just yielded.
 */
export async function* plainFileChunks(path: string, start = 0, end = Number.POSITIVE_INFINITY): AsyncGenerator<Buffer, void, undefined> {
  const handle = await open(path, 'r')
  const buffers = [Buffer.allocUnsafe(readChunkBytes), Buffer.allocUnsafe(readChunkBytes)]
  let position = start
  const read = (buffer: Buffer) => {
    const length = Math.min(buffer.length, end - position)
    const reading = length <= 0 ? Promise.resolve({ bytesRead: 0 }) : handle.read(buffer, 0, length, position)
    position += length
    return reading
  }
  let reading = read(buffers[0]!)
  try {
    for (let turn = 0; ; turn ^= 1) {
      const { bytesRead } = await reading
      if (bytesRead === 0) return
      reading = read(buffers[turn ^ 1]!)
      yield buffers[turn]!.subarray(0, bytesRead)
    }
  } finally {
    await reading.catch(() => undefined)
    await handle.close()
  }
}

function lineLimit(limit: number | undefined): number {
  const value = limit ?? defaultMaxLineBytes
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`maxLineBytes must be a positive integer, not ${value}`)
  return value
}

/** The input, inflated when it starts with gzip's magic bytes; input failures become LogFileErrors. */
async function* inflated(input: AsyncIterable<Buffer | Uint8Array>, file: string): AsyncGenerator<Buffer, void, undefined> {
  const iterator = input[Symbol.asyncIterator]()
  const pull = async (): Promise<Buffer | undefined> => {
    let next: IteratorResult<Buffer | Uint8Array>
    try {
      next = await iterator.next()
    } catch (error) {
      throw readError(file, error)
    }
    if (next.done) return undefined
    return Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength)
  }
  let first: Buffer = Buffer.alloc(0)
  try {
    while (first.length < 2) {
      const chunk = await pull()
      if (chunk === undefined) break
      first = first.length === 0 ? chunk : Buffer.concat([first, chunk])
    }
    if (!isGzip(first)) {
      if (first.length > 0) yield first
      for (let chunk = await pull(); chunk !== undefined; chunk = await pull()) yield chunk
      return
    }
    const gunzip = createGunzip({ chunkSize: readChunkBytes })
    async function* compressed(): AsyncGenerator<Buffer, void, undefined> {
      yield first
      for (let chunk = await pull(); chunk !== undefined; chunk = await pull()) yield chunk
    }
    // The pipeline's failure (the input's, or corrupt data) also ends the iteration below with it.
    pipeline(Readable.from(compressed()), gunzip).catch(() => undefined)
    try {
      for await (const chunk of gunzip) yield chunk as Buffer
    } catch (error) {
      throw readError(file, error)
    } finally {
      gunzip.destroy()
    }
  } finally {
    // Closes the input when the hunt stops early; a failure to close must not hide why it stopped.
    await Promise.resolve(iterator.return?.()).catch(() => undefined)
  }
}

/** The chunks without a leading UTF-8 BOM; a UTF-16 BOM is an error. */
async function* withoutBom(chunks: AsyncIterable<Buffer>, file: string): AsyncGenerator<Buffer, void, undefined> {
  let head: Buffer<ArrayBufferLike> | undefined = Buffer.alloc(0)
  for await (const chunk of chunks) {
    if (head === undefined) {
      yield chunk
      continue
    }
    head = Buffer.concat([head, chunk])
    if (head.length < 3) continue
    yield checkedHead(head, file)
    head = undefined
  }
  if (head !== undefined && head.length > 0) yield checkedHead(head, file)
}

function checkedHead(head: Buffer, file: string): Buffer {
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) throw new LogFileError(file, 1, 'the file is UTF-16 text; save it as UTF-8')
  return head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? head.subarray(3) : head
}

/** A failure of the input (it has a cause: the I/O or zlib error), with the line the hunt had reached. */
function atLine(error: unknown, file: string, line: number): unknown {
  if (error instanceof LogFileError && error.line === null && error.file === file && error.cause !== undefined) {
    return new LogFileError(file, line, `${error.reason} (at line ${line}; the sightings before it were reported)`, { cause: error })
  }
  return error
}
