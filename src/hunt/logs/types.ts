import { AppError } from '../../shared/errors.js'
import type { HuntIndicator } from '../match.js'

/**
 * Log hunting: DNS, proxy and network logs read line by line, each line's domains, URLs and
 * addresses looked up against indicators. Readers find the candidate values of a line where the
 * line's bytes lie and hand them to a sink; only a line with a match is turned into text, with its
 * time and client. Nothing here touches a database.
 */

export const logFormats = ['bind', 'dnsmasq', 'unbound', 'windows-dns', 'zeek', 'zeek-json', 'squid', 'json', 'text'] as const
export type LogFormat = (typeof logFormats)[number]

/**
 * Where a reader puts what it finds on a line. Byte ranges are valid during the call only (a
 * reader may build a value in scratch space). `wants` has the bits of wantDomains, wantUrls and
 * wantIps (from ../match.ts) for the values worth finding: a reader may skip looking for the others.
 */
export interface CandidateSink {
  readonly wants: number
  domain(bytes: Buffer, start: number, end: number): void
  url(bytes: Buffer, start: number, end: number): void
  ip(bytes: Buffer, start: number, end: number): void
  /** The same, for readers that decode text (JSON). */
  domainText(value: string): void
  urlText(value: string): void
  ipText(value: string): void
}

/** A line's time and client, for lines with a sighting. */
export interface LineContext {
  /** ISO 8601 from the log's own time: with Z when the log gives UTC (epochs), without an offset when it gives local time. */
  timestamp: string | null
  /** The client's address or name, when the line tells it. */
  client: string | null
}

/**
 * Reads one log format. `scan` reads the line [start, end) of `bytes` (no newline, no CR) and
 * returns null when it was read, or why it cannot be read as this format. `describe` is called
 * only for lines with a sighting, right after their scan.
 */
export interface LogReader {
  readonly format: LogFormat
  scan(bytes: Buffer, start: number, end: number, sink: CandidateSink): string | null
  describe(bytes: Buffer, start: number, end: number): LineContext
  /**
   * What a reader of a later part of the file must know (Zeek's header), as JSON text; null for
   * formats whose lines stand alone.
   */
  state(): string | null
}

/** Dotted paths into JSON lines (`id.orig_h` also finds the key "id.orig_h"). */
export interface JsonFields {
  domain?: string[] | undefined
  url?: string[] | undefined
  ip?: string[] | undefined
  client?: string | undefined
  timestamp?: string | undefined
}

export interface ReaderOptions {
  /** JSON lines: where the values are. Without it, every string in the line is scanned as text. */
  fields?: JsonFields | undefined
  /** Zeek: the header in effect where this reader starts (from LogReader.state()). */
  state?: string | null | undefined
  /** For dates without a year (syslog): the year is the latest one that does not put the line after this time. */
  referenceTime?: Date | undefined
}

/** One line's values, for tests and tools that want them all (the hunt itself never builds it). */
export interface LogRecord {
  timestamp: string | null
  client: string | null
  domains: string[]
  urls: string[]
  ips: string[]
}

/** An indicator seen in a log. */
export interface Sighting {
  indicatorId: string
  kind: HuntIndicator['kind']
  /** What matched, as the log wrote it (a name, a URL, an address). */
  value: string
  file: string
  line: number
  timestamp: string | null
  client: string | null
  /** The line, at most 512 characters, control characters replaced by U+FFFD. */
  raw: string
}

export interface UnparseableLine {
  line: number
  reason: string
  text: string
}

export interface HuntReport {
  file: string
  format: LogFormat
  bytes: number
  lines: number
  sightings: number
  /** Lines the format cannot read (scanned as plain text all the same), and lines too long to read. */
  unparseable: number
  /** The first 20 of them. */
  unparseableSamples: UnparseableLine[]
  /** Lines that are not valid UTF-8 (hunted all the same; their text shows U+FFFD). */
  invalidUtf8Lines: number
  /** Worker threads that hunted the file; 0 when it was hunted in the calling thread. */
  workers: number
}

/** A log that cannot be read at all: names the file, and the line when there is one. */
export class LogFileError extends AppError {
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    const where = line === null ? file : `${file}:${line}`
    super('invalid', `${where}: ${reason}`, { cause: options?.cause, problems: [{ field: where, message: reason }] })
    this.name = 'LogFileError'
  }
}
