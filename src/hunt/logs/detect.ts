// Which log format a file holds, told from its first lines (a gzip head is inflated first): each
// line votes for the formats whose shape it has, and the most votes win; the file name breaks a
// tie. Lines no format claims make a plain-text file. Only empty, binary and UTF-16 files are errors.
import { constants, gunzipSync } from 'node:zlib'
import { LogFileError, type LogFormat } from './types.js'

/** How many bytes of the file detection wants (more is fine, less may not tell). */
export const logDetectionHeadBytes = 64 * 1024

const linesToRead = 50

const shapes: { format: LogFormat; pattern: RegExp }[] = [
  { format: 'bind', pattern: /\bclient (?:@0x[0-9a-f]+ )?[0-9a-fA-F.:]+#\d+(?: \([^)]*\))?: (?:view [^:]+: )?query(?: \(cache\))?:? / },
  { format: 'bind', pattern: /^\d{2}-[A-Z][a-z]{2}-\d{4} \d{2}:\d{2}:\d{2}\.\d{3} (?:[a-z-]+: (?:info|notice|warning|error|debug[^:]*|critical): )?/ },
  { format: 'bind', pattern: /\bnamed\[\d+\]: / },
  { format: 'dnsmasq', pattern: /\bdnsmasq(?:\[\d+\])?: / },
  { format: 'unbound', pattern: /\bunbound(?:\[\d+:\d+\])?:? (?:\[\d+:\d+\] )?(?:info|notice|debug|error|warning):/ },
  { format: 'windows-dns', pattern: / PACKET {1,2}[0-9A-Fa-f]+ (?:UDP|TCP) (?:Snd|Rcv) / },
  { format: 'windows-dns', pattern: /^(?:DNS Server log file creation at |Message logging key \(for packets)/ },
  { format: 'squid', pattern: /^\s*\d{9,11}\.\d{3}\s+-?\d+ \S+ [A-Z_]+\/\d{3} \d+ [A-Z_]+ \S+/ },
]

const fileNameHints: { format: LogFormat; pattern: RegExp }[] = [
  { format: 'squid', pattern: /access\.log/i },
  { format: 'windows-dns', pattern: /dns.*\.log$/i },
  { format: 'bind', pattern: /(query|queries|named)/i },
  { format: 'dnsmasq', pattern: /dnsmasq/i },
  { format: 'unbound', pattern: /unbound/i },
]

/** The format of the log whose first bytes are `head`; a LogFileError when it is empty, binary or UTF-16. */
export function detectLogFormat(head: Buffer, fileName: string): LogFormat {
  let bytes = head[0] === 0x1f && head[1] === 0x8b ? inflate(fileName, head) : head
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3)
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new LogFileError(fileName, 1, 'the file is UTF-16 text; save it as UTF-8')
  }
  if (bytes.every((byte) => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09)) throw new LogFileError(fileName, null, 'the file is empty')
  const sample = bytes.subarray(0, 4096)
  const controls = sample.filter((byte) => (byte < 0x09 || (byte > 0x0d && byte < 0x20 && byte !== 0x1b) || byte === 0x7f)).length
  if (controls > 0 && (sample.includes(0) || controls * 20 > sample.length)) {
    throw new LogFileError(fileName, null, 'not a log file: it is binary, not text')
  }
  const lines = headLines(bytes)
  if (lines[0]?.startsWith('#separator ') || lines.some((line) => line.startsWith('#fields\t'))) return 'zeek'
  const votes = new Map<LogFormat, number>()
  const vote = (format: LogFormat) => votes.set(format, (votes.get(format) ?? 0) + 1)
  for (const line of lines) {
    if (line.startsWith('{')) {
      vote(jsonFormat(line))
      continue
    }
    const claimed = new Set(shapes.filter(({ pattern }) => pattern.test(line)).map(({ format }) => format))
    for (const format of claimed) vote(format)
  }
  const most = Math.max(0, ...votes.values())
  if (most === 0) return 'text'
  const leaders = [...votes].filter(([, count]) => count === most).map(([format]) => format)
  if (leaders.length === 1) return leaders[0]!
  return fileNameHints.find(({ format, pattern }) => leaders.includes(format) && pattern.test(fileName))?.format ?? leaders[0]!
}

/** The first non-empty lines; the last one only when the head ends with it (else it may be cut). */
function headLines(bytes: Buffer): string[] {
  const text = bytes.toString('utf8')
  const lines = text.split('\n')
  if (!text.endsWith('\n') && lines.length > 1) lines.pop()
  return lines.map((line) => line.replace(/\r$/, '')).filter((line) => line.trim() !== '').slice(0, linesToRead)
}

/** Zeek's JSON has ts, and uid or the connection's id; other JSON lines need the caller's fields. */
function jsonFormat(line: string): LogFormat {
  try {
    const value: unknown = JSON.parse(line)
    if (typeof value === 'object' && value !== null && 'ts' in value && ('uid' in value || 'id.orig_h' in value || 'id' in value)) return 'zeek-json'
  } catch {
    // A line cut by the end of the head, or not JSON after all: a JSON-lines vote all the same.
  }
  return 'json'
}

function inflate(file: string, head: Buffer): Buffer {
  try {
    // A flush instead of an end: the head is cut anywhere. 4 KiB in is some 40 KiB of log, and at
    // most 4 MiB however well it compresses (deflate's ratio is at most about 1000:1).
    return gunzipSync(head.subarray(0, 4096), { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: 4 * 1024 * 1024 })
  } catch (error) {
    throw new LogFileError(file, null, `the gzip data is corrupt: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
  }
}
