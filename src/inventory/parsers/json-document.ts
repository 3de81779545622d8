// A streaming reader of one JSON document (an SBOM, an osqueryi array). It hands out the values at
// chosen paths (the elements of a big array, a few top-level members) as each completes, with the
// line it starts on, and holds no more of the document than the value being read: everything else
// is checked for well-formedness and dropped. Bytes go to @streamparser/json's tokenizer a line at a
// time, so the line of every value and every error is exact; a line cut by a chunk inside a token
// waits as Buffers until the token ends, so an endless token fails at the limit without filling the heap.
import { Tokenizer, TokenParser, TokenType } from '@streamparser/json'
import type { ParsedTokenInfo } from '@streamparser/json'
import { formatBytes, invalidUtf8, messageOf, Utf8Chunks, validUtf8Prefix } from './reading.js'
import { ImportFileError } from './types.js'

type Key = string | number

/** Deepest nesting a document may have (CycloneDX nests components in components; nothing real nests deeper than a few dozen). */
const maxJsonDepth = 512

/** A path to select: member names, or '*' for any member or element. */
export type PathPattern = readonly string[]

export interface JsonValue {
  path: Key[]
  value: unknown
  /** The line where the value starts. */
  line: number
}

interface Frame {
  isArray: boolean
  /** The member name or element index being read. */
  key: Key
}

interface Capture {
  path: Key[]
  line: number
  start: number
  depth: number
  parser: TokenParser
  value: unknown
}

// What the next token may be.
const expectValue = 0
const expectValueOrClose = 1
const expectKey = 2
const expectKeyOrClose = 3
const expectColon = 4
const expectCommaOrClose = 5
const expectEnd = 6

export class JsonDocumentReader {
  // Buffered strings and numbers: the default builds a token from one-character strings, which an
  // escape-heavy string or a long number would turn into an array of millions of them.
  private readonly tokenizer = new Tokenizer({ stringBufferSize: 64 * 1024, numberBufferSize: 1024 })
  private readonly utf8 = new Utf8Chunks()
  private readonly frames: Frame[] = []
  private expect = expectValue
  private capture: Capture | undefined
  private values: JsonValue[] = []
  private line = 1
  /** Bytes read, and where the current line starts among them. */
  private read = 0
  private lineStart = 0
  /** Bytes given to the tokenizer (its token offsets count these). */
  private written = 0
  private lastToken = 0
  private sawToken = false
  /** The end of the current line held back because it stops inside a token, and where the line stands in strings. */
  private held: Buffer[] = []
  private heldBytes = 0
  private readonly strings = { inString: false, escaped: false }

  constructor(
    private readonly file: string,
    private readonly options: { root: 'object' | 'array'; select: readonly PathPattern[]; maxBytes: number },
  ) {
    this.tokenizer.onToken = (token) => this.onToken(token)
  }

  /** Reads the next bytes; returns the selected values they complete. */
  write(chunk: Buffer): JsonValue[] {
    const bytes = this.utf8.take(chunk)
    const valid = validUtf8Prefix(bytes)
    let start = 0
    while (start < valid) {
      const newline = bytes.indexOf(10, start)
      if (newline === -1 || newline >= valid) {
        this.partialLine(bytes.subarray(start, valid))
        break
      }
      this.read += newline + 1 - start
      this.release()
      this.feed(bytes.subarray(start, newline + 1))
      this.line++
      this.lineStart = this.read
      this.strings.inString = false
      this.strings.escaped = false
      start = newline + 1
    }
    if (valid < bytes.length) throw invalidUtf8(this.file, this.line)
    return this.take()
  }

  /** The input is over: the document must be complete. */
  end(): JsonValue[] {
    if (this.utf8.rest() !== undefined) throw invalidUtf8(this.file, this.line)
    this.release()
    let cause: unknown
    try {
      this.tokenizer.end()
    } catch (error) {
      if (error instanceof ImportFileError) throw error
      cause = error
    }
    if (!this.sawToken && cause === undefined) throw new ImportFileError(this.file, null, 'the file holds no JSON')
    if (this.expect !== expectEnd || cause !== undefined) {
      // The last line with something on it, not the empty one after a final newline.
      const line = this.read === this.lineStart && this.line > 1 ? this.line - 1 : this.line
      throw new ImportFileError(this.file, line, 'the JSON document ends before it is complete (truncated?)', { cause })
    }
    return this.take()
  }

  private take(): JsonValue[] {
    const values = this.values
    this.values = []
    return values
  }

  /**
   * A line that goes on in the next chunk. If it stops inside a token (a string, a number), it is
   * held back as Buffers until the token ends: the tokenizer builds tokens as JavaScript strings,
   * and an endless one must fail at the limit without having filled the heap.
   */
  private partialLine(piece: Buffer): void {
    this.read += piece.length
    scanStrings(piece, this.strings)
    const last = piece[piece.length - 1]!
    if (this.strings.inString || this.strings.escaped || isTokenByte(last)) {
      this.held.push(piece)
      this.heldBytes += piece.length
      if (this.heldBytes > this.options.maxBytes) throw this.tooLarge()
      return
    }
    this.release()
    this.feed(piece)
  }

  private release(): void {
    if (this.heldBytes === 0) return
    const held = this.held
    this.held = []
    this.heldBytes = 0
    for (const piece of held) this.feed(piece)
  }

  private feed(piece: Buffer): void {
    try {
      this.tokenizer.write(piece)
    } catch (error) {
      throw this.wrap(error)
    }
    this.written += piece.length
    const limit = this.options.maxBytes
    if (this.written - this.lastToken > limit || (this.capture && this.written - this.capture.start > limit)) throw this.tooLarge()
  }

  private tooLarge(): ImportFileError {
    const limit = formatBytes(this.options.maxBytes)
    if (this.read - this.lineStart > this.options.maxBytes) {
      return new ImportFileError(this.file, this.line, `line ${this.line} is longer than ${limit} within a single JSON value`)
    }
    const line = this.capture?.line ?? this.line
    return new ImportFileError(this.file, line, `the JSON value starting at line ${line} is larger than ${limit}`)
  }

  private wrap(error: unknown): ImportFileError {
    if (error instanceof ImportFileError) return error
    // The tokenizer's message locates the byte in its own terms; the line is what a reader needs.
    const character = /^Unexpected "([^]*)" at chunk position/.exec(messageOf(error))?.[1]
    const reason = character === undefined ? messageOf(error) : `unexpected character ${JSON.stringify(character)}`
    return new ImportFileError(this.file, this.line, `malformed JSON: ${reason}`, { cause: error })
  }

  private onToken(info: ParsedTokenInfo): void {
    const { token, offset } = info
    this.lastToken = offset
    if (!this.sawToken) {
      this.sawToken = true
      const expected = this.options.root === 'array' ? TokenType.LEFT_BRACKET : TokenType.LEFT_BRACE
      if (token !== expected) {
        throw new ImportFileError(this.file, this.line, `expected a JSON ${this.options.root}, found ${describe(info)}`)
      }
    }
    this.capture?.parser.write(info)
    const top = this.frames[this.frames.length - 1]
    switch (this.expect) {
      case expectValue:
      case expectValueOrClose:
        if (token === TokenType.RIGHT_BRACKET && this.expect === expectValueOrClose) return this.close(info)
        if (token === TokenType.LEFT_BRACE || token === TokenType.LEFT_BRACKET) {
          this.begin(info)
          const isArray = token === TokenType.LEFT_BRACKET
          this.frames.push({ isArray, key: isArray ? 0 : '' })
          if (this.frames.length > maxJsonDepth) {
            throw new ImportFileError(this.file, this.line, `JSON nested deeper than ${maxJsonDepth} levels`)
          }
          this.expect = isArray ? expectValueOrClose : expectKeyOrClose
          return
        }
        if (token === TokenType.STRING || token === TokenType.NUMBER || token === TokenType.TRUE || token === TokenType.FALSE || token === TokenType.NULL) {
          this.begin(info)
          return this.ended(offset)
        }
        break
      case expectKey:
      case expectKeyOrClose:
        if (token === TokenType.STRING && top) {
          top.key = info.value as string
          this.expect = expectColon
          return
        }
        if (token === TokenType.RIGHT_BRACE && this.expect === expectKeyOrClose) return this.close(info)
        break
      case expectColon:
        if (token === TokenType.COLON) {
          this.expect = expectValue
          return
        }
        break
      case expectCommaOrClose:
        if (token === TokenType.COMMA && top) {
          if (top.isArray) top.key = (top.key as number) + 1
          this.expect = top.isArray ? expectValue : expectKey
          return
        }
        if ((token === TokenType.RIGHT_BRACE && top && !top.isArray) || (token === TokenType.RIGHT_BRACKET && top?.isArray)) return this.close(info)
        break
      case expectEnd:
        throw new ImportFileError(this.file, this.line, `unexpected ${describe(info)} after the end of the JSON document`)
    }
    throw new ImportFileError(this.file, this.line, `malformed JSON: unexpected ${describe(info)}`)
  }

  /** A value starts: capture it if it sits at a selected path. */
  private begin(info: ParsedTokenInfo): void {
    if (this.capture || !this.selected()) return
    const parser = new TokenParser({ paths: ['$'] })
    const capture: Capture = { path: this.frames.map((frame) => frame.key), line: this.line, start: info.offset, depth: this.frames.length, parser, value: undefined }
    parser.onValue = ({ value }) => {
      capture.value = value
    }
    this.capture = capture
    parser.write(info)
  }

  private close(info: ParsedTokenInfo): void {
    this.frames.pop()
    this.ended(info.offset)
  }

  /** A value ended at `offset`: hand it out if it was captured. */
  private ended(offset: number): void {
    const capture = this.capture
    if (capture && capture.depth === this.frames.length) {
      this.capture = undefined
      if (offset + 1 - capture.start > this.options.maxBytes) {
        throw new ImportFileError(this.file, capture.line, `the JSON value starting at line ${capture.line} is larger than ${formatBytes(this.options.maxBytes)}`)
      }
      this.values.push({ path: capture.path, value: capture.value, line: capture.line })
    }
    this.expect = this.frames.length === 0 ? expectEnd : expectCommaOrClose
  }

  private selected(): boolean {
    const depth = this.frames.length
    return this.options.select.some((pattern) => pattern.length === depth && pattern.every((part, i) => part === '*' || part === String(this.frames[i]!.key)))
  }
}

/** Follows JSON strings through `bytes` (one line, or a piece of one), from and into `state`. */
function scanStrings(bytes: Buffer, state: { inString: boolean; escaped: boolean }): void {
  let at = 0
  if (state.escaped) {
    state.escaped = false
    at = 1
  }
  // The next quote and backslash, searched again only once passed, so the scan stays linear.
  let quote = -2
  let backslash = -2
  while (at < bytes.length) {
    if (quote !== -1 && quote < at) quote = bytes.indexOf(0x22, at)
    if (!state.inString) {
      if (quote === -1) return
      state.inString = true
      at = quote + 1
      continue
    }
    if (backslash !== -1 && backslash < at) backslash = bytes.indexOf(0x5c, at)
    if (backslash !== -1 && (quote === -1 || backslash < quote)) {
      if (backslash + 1 >= bytes.length) {
        state.escaped = true
        return
      }
      at = backslash + 2
      continue
    }
    if (quote === -1) return
    state.inString = false
    at = quote + 1
  }
}

/** A byte that may be inside a number or a literal (true, false, null). */
function isTokenByte(byte: number): boolean {
  return (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x41 && byte <= 0x5a) || byte === 0x2d || byte === 0x2b || byte === 0x2e
}

/** The values a reader hands out, chunk by chunk, then at the end of the input. */
export async function* readDocument(chunks: AsyncIterable<Buffer>, reader: JsonDocumentReader): AsyncGenerator<JsonValue[], void, undefined> {
  for await (const chunk of chunks) yield reader.write(chunk)
  yield reader.end()
}

function describe(info: ParsedTokenInfo): string {
  switch (info.token) {
    case TokenType.STRING:
      return 'a string'
    case TokenType.NUMBER:
      return 'a number'
    case TokenType.TRUE:
    case TokenType.FALSE:
      return `${info.value}`
    case TokenType.NULL:
      return 'null'
    default:
      return `"${String(info.value)}"`
  }
}
