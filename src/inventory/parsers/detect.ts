// Which inventory format a file holds, told from its first bytes (a gzip head is inflated first):
// JSON lines or a JSON array from osquery, a CycloneDX or SPDX JSON document, or delimited text.
import { constants, gunzipSync } from 'node:zlib'
import { emptyFile, isRecord, messageOf } from './reading.js'
import { ImportFileError, type InventoryFormat } from './types.js'

/** How many bytes of the file detection wants (more is fine, less may not tell). */
export const detectionHeadBytes = 64 * 1024

export function detectInventoryFormat(file: string, head: Buffer): InventoryFormat {
  let bytes = head[0] === 0x1f && head[1] === 0x8b ? inflate(file, head) : head
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3)
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new ImportFileError(file, 1, 'the file is UTF-16 text; save it as UTF-8')
  }
  const start = bytes.findIndex((byte) => byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09)
  if (start === -1) throw emptyFile(file)
  if (bytes[start] === 0x5b) return 'osquery' // osqueryi --json
  if (bytes[start] === 0x7b) return jsonFormat(file, bytes.subarray(start))
  // Text has no control characters but tab, newline, form feed and carriage return (other encodings than UTF-8 are the parser's to report, by line).
  if (bytes.subarray(0, 4096).some((byte) => byte < 0x09 || byte === 0x0b || (byte > 0x0d && byte < 0x20) || byte === 0x7f)) {
    throw new ImportFileError(file, null, 'not an inventory file: it is binary, not text')
  }
  const firstLine = bytes.subarray(0, bytes.indexOf(10) === -1 ? bytes.length : bytes.indexOf(10))
  if (firstLine.some((byte) => byte === 0x2c || byte === 0x3b || byte === 0x09)) return 'csv'
  throw new ImportFileError(file, 1, 'cannot tell the format: not JSON, and the first line is not a CSV header (no comma, semicolon or tab)')
}

/** A JSON object: the first line parsed when it is whole (JSON lines), else the keys that name each format. */
function jsonFormat(file: string, bytes: Buffer): InventoryFormat {
  const end = bytes.indexOf(10)
  if (end !== -1) {
    try {
      const first: unknown = JSON.parse(bytes.toString('utf8', 0, end))
      if (isRecord(first)) {
        if (first.bomFormat !== undefined) return 'cyclonedx'
        if (first.spdxVersion !== undefined) return 'spdx'
        if (first.hostIdentifier !== undefined || first.snapshot !== undefined || first.diffResults !== undefined || first.columns !== undefined) return 'osquery'
      }
    } catch {
      // A document spread over lines: its first line alone is not JSON.
    }
  }
  const text = bytes.toString('latin1')
  if (text.includes('"bomFormat"')) return 'cyclonedx'
  if (text.includes('"spdxVersion"')) return 'spdx'
  if (['"hostIdentifier"', '"snapshot":', '"diffResults"'].some((key) => text.includes(key))) return 'osquery'
  throw new ImportFileError(file, 1, 'a JSON file of no known inventory format (expected osquery results, CycloneDX or SPDX)')
}

function inflate(file: string, head: Buffer): Buffer {
  try {
    // A flush instead of an end: the head is cut anywhere. Only its first 8 KiB, so a bomb stays small.
    return gunzipSync(head.subarray(0, 8192), { finishFlush: constants.Z_SYNC_FLUSH })
  } catch (error) {
    throw new ImportFileError(file, null, `the gzip data is corrupt: ${messageOf(error)}`, { cause: error })
  }
}
