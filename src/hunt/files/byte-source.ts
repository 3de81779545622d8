// Random access to a file's bytes, for readers that need a few ranges of a possibly huge file
// (PE headers and the certificate table) rather than all of it.
import { readSync } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'

/** Random access to a file's bytes: enough to read the headers and certificate table of a file of any size. */
export interface ByteSource {
  /** The file's size in bytes. */
  readonly size: number
  /** Up to `length` bytes at `offset`: fewer at the end of the file, none past it. */
  read(offset: number, length: number): Promise<Buffer>
}

/** A ByteSource over an open file: positional reads, so the handle's own position does not matter. */
export function handleSource(handle: FileHandle, size: number): ByteSource {
  return {
    size,
    async read(offset, length) {
      const wanted = Math.max(0, Math.min(length, size - offset))
      const buffer = Buffer.alloc(wanted)
      let filled = 0
      while (filled < wanted) {
        const { bytesRead } = await handle.read(buffer, filled, wanted - filled, offset + filled)
        if (bytesRead === 0) break // the file shrank since it was measured
        filled += bytesRead
      }
      return buffer.subarray(0, filled)
    },
  }
}

/** A ByteSource over a file descriptor, read synchronously: for worker threads (see hash.ts). */
export function descriptorSource(fd: number, size: number): ByteSource {
  return {
    size,
    read: async (offset, length) => {
      const wanted = Math.max(0, Math.min(length, size - offset))
      const buffer = Buffer.alloc(wanted)
      let filled = 0
      while (filled < wanted) {
        const bytesRead = readSync(fd, buffer, filled, wanted - filled, offset + filled)
        if (bytesRead === 0) break
        filled += bytesRead
      }
      return buffer.subarray(0, filled)
    },
  }
}

/** A ByteSource over bytes in memory. */
export function bufferSource(bytes: Buffer): ByteSource {
  return {
    size: bytes.length,
    read: async (offset, length) => bytes.subarray(Math.min(offset, bytes.length), Math.min(offset + length, bytes.length)),
  }
}
