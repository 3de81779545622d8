import type { Readable } from 'node:stream'
import * as yauzl from 'yauzl'
import { AppError } from '../../shared/errors.js'
import { invalidFile, type ImportInput, type ImportLimits } from './input.js'

/**
 * The .json entries of a zip archive (an OSV database export), one at a time and streamed.
 * Nothing is ever written to disk, so entry paths matter only as names in reports; absurd names,
 * too many entries, oversized or suspiciously well-compressed entries (zip bombs) and damaged
 * archives stop the import with an `invalid` error naming the archive and entry.
 */

export interface ZipEntry {
  /** The entry's path inside the archive. */
  name: string
  /** Its uncompressed bytes; read them fully before asking for the next entry. */
  bytes: AsyncIterable<Buffer>
}

const mebibyte = 1024 * 1024

/** True when the bytes start like a zip archive (a local file header, or the end record of an empty one). */
export function looksLikeZip(head: Buffer): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6))
}

export async function* readZipEntries(
  input: ImportInput,
  limits: Pick<ImportLimits, 'maxEntries' | 'maxEntryBytes' | 'maxTotalBytes' | 'maxCompressionRatio'>,
  onSkipped: (entry: string, reason: string) => void,
): AsyncGenerator<ZipEntry> {
  const options: yauzl.Options = { lazyEntries: true, autoClose: false, decodeStrings: true, validateEntrySizes: true, strictFileNames: false }
  let zip: yauzl.ZipFile
  try {
    zip = 'path' in input ? await yauzl.openPromise(input.path, options) : await yauzl.fromBufferPromise(input.buffer, options)
  } catch (cause) {
    throw invalidFile(input.name, null, `not a readable zip archive (${describe(cause)})`, { cause })
  }
  try {
    if (zip.entryCount > limits.maxEntries) throw invalidFile(input.name, null, `the archive has ${zip.entryCount} entries; at most ${limits.maxEntries} are accepted`)
    let total = 0
    for await (const entry of zip.eachEntry()) {
      const name = entry.fileName
      if (name.length > 1024 || /[\u0000-\u001f\u007f]/.test(name)) {
        throw invalidFile(input.name, null, `an entry has an absurd name (${JSON.stringify(name.slice(0, 80))}${name.length > 80 ? '…' : ''})`)
      }
      if (name.endsWith('/')) continue
      if (!name.toLowerCase().endsWith('.json')) {
        onSkipped(name, 'not a .json file')
        continue
      }
      if (entry.isEncrypted()) {
        onSkipped(name, 'encrypted entries are not read')
        continue
      }
      const size = entry.uncompressedSize
      if (size > limits.maxEntryBytes) throw invalidFile(input.name, null, `entry ${name} is ${Math.ceil(size / mebibyte)} MiB uncompressed; at most ${Math.floor(limits.maxEntryBytes / mebibyte)} MiB is accepted`)
      if (size > mebibyte && size / Math.max(1, entry.compressedSize) > limits.maxCompressionRatio) {
        throw invalidFile(input.name, null, `entry ${name} expands ${Math.round(size / Math.max(1, entry.compressedSize))} times when uncompressed: refusing a likely zip bomb`)
      }
      total += size
      if (total > limits.maxTotalBytes) throw invalidFile(input.name, null, `the archive is larger than ${Math.floor(limits.maxTotalBytes / mebibyte)} MiB uncompressed`)
      let stream: Readable
      try {
        stream = await zip.openReadStreamPromise(entry)
      } catch (cause) {
        throw invalidFile(`${input.name}/${name}`, null, `the entry cannot be read (${describe(cause)})`, { cause })
      }
      try {
        yield { name, bytes: guarded(stream, `${input.name}/${name}`) }
      } finally {
        stream.destroy()
      }
    }
  } catch (cause) {
    if (cause instanceof AppError) throw cause
    throw invalidFile(input.name, null, `the zip archive is damaged (${describe(cause)})`, { cause })
  } finally {
    zip.close()
  }
}

/** An entry's bytes, with a damaged entry (bad deflate data, a size that lies) reported as such. */
async function* guarded(stream: Readable, name: string): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of stream) yield chunk as Buffer
  } catch (cause) {
    throw invalidFile(name, null, `the entry is damaged (${describe(cause)})`, { cause })
  }
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause)
}
