import { Tokenizer, TokenType } from '@streamparser/json'
import { invalidFile, type ImportLimits } from './input.js'

/**
 * A streaming JSON reader for hostile files. Elements of a top-level array, and of one named
 * array of a top-level object (a STIX bundle's "objects"), come out one at a time with their line,
 * so a file of a million records never sits in memory whole. Anything else is read whole, within
 * a size limit. It refuses what JSON.parse would take but an importer should not: nesting past a
 * depth limit, "__proto__" keys, invalid UTF-8, over-long values, content after the document.
 */

export type JsonItem =
  /** One element of a streamed array. `line`: where the element starts. */
  | { kind: 'element'; value: unknown; line: number; index: number }
  /** The top-level value once complete; a streamed array inside it is left empty. */
  | { kind: 'document'; value: unknown; line: number; streamed: boolean }

export interface JsonReadOptions {
  file: string
  limits: Pick<ImportLimits, 'maxDocumentBytes' | 'maxRecordBytes' | 'maxTokenBytes' | 'maxDepth'>
  /** A property of a top-level object whose array elements are streamed (e.g. "objects"). */
  streamKey?: string
}

type State = 'start' | 'key' | 'colon' | 'value' | 'comma'

interface Frame {
  container: Record<string, unknown> | unknown[]
  isArray: boolean
  key: string | null
  state: State
  /** Elements of this array are handed out rather than kept. */
  streaming: boolean
  count: number
}

class JsonError extends Error {}

/** Builds values from tokens, streaming the elements of the chosen arrays. */
class Builder {
  readonly items: JsonItem[] = []
  line = 1
  private readonly stack: Frame[] = []
  private rootDone = false
  private rootLine = 1
  private rootValue: unknown
  private element: { line: number; start: number } | null = null
  private streamedBytes = 0
  private streamedAny = false

  constructor(private readonly options: JsonReadOptions) {}

  token(type: TokenType, value: unknown, offset: number): void {
    const top = this.stack[this.stack.length - 1]
    if (this.element && offset - this.element.start > this.options.limits.maxRecordBytes) {
      throw new JsonError(`the record starting at line ${this.element.line} is larger than ${describeBytes(this.options.limits.maxRecordBytes)}`)
    }
    if (!this.element && offset - this.streamedBytes > this.options.limits.maxDocumentBytes) {
      throw new JsonError(`the JSON document is larger than ${describeBytes(this.options.limits.maxDocumentBytes)}; split it, or give an array of records (which is read one record at a time)`)
    }
    switch (type) {
      case TokenType.LEFT_BRACE:
      case TokenType.LEFT_BRACKET: {
        this.beginValue(offset)
        if (this.stack.length >= this.options.limits.maxDepth) throw new JsonError(`the JSON is nested more than ${this.options.limits.maxDepth} levels deep (at ${this.path()})`)
        const isArray = type === TokenType.LEFT_BRACKET
        const streaming =
          isArray &&
          (this.stack.length === 0 || (this.stack.length === 1 && !top!.isArray && this.options.streamKey !== undefined && top!.key === this.options.streamKey))
        this.stack.push({ container: isArray ? [] : {}, isArray, key: null, state: 'start', streaming, count: 0 })
        return
      }
      case TokenType.RIGHT_BRACE:
      case TokenType.RIGHT_BRACKET: {
        const closesArray = type === TokenType.RIGHT_BRACKET
        if (!top || top.isArray !== closesArray || (top.state !== 'start' && top.state !== 'comma')) throw this.unexpected(closesArray ? "']'" : "'}'")
        this.stack.pop()
        this.place(top.container, offset + 1)
        return
      }
      case TokenType.COLON:
        if (!top || top.isArray || top.state !== 'colon') throw this.unexpected("':'")
        top.state = 'value'
        return
      case TokenType.COMMA:
        if (!top || top.state !== 'comma') throw this.unexpected("','")
        top.state = top.isArray ? 'value' : 'key'
        return
      case TokenType.STRING:
        if (top && !top.isArray && (top.state === 'start' || top.state === 'key')) {
          const key = value as string
          if (key === '__proto__') throw new JsonError(`the key "__proto__" is not allowed (at ${this.path()})`)
          top.key = key
          top.state = 'colon'
          return
        }
        this.beginValue(offset)
        this.place(value, offset + 1)
        return
      case TokenType.NUMBER:
      case TokenType.TRUE:
      case TokenType.FALSE:
      case TokenType.NULL:
        this.beginValue(offset)
        this.place(value, offset + 1)
        return
      default:
        throw this.unexpected('a separator')
    }
  }

  /** The end of input: the document must be complete. */
  finish(): void {
    if (!this.rootDone) {
      if (this.stack.length === 0) throw new JsonError('the file holds no JSON value')
      throw new JsonError(`the JSON ends before it is complete (${this.stack.length} unclosed ${this.stack.length === 1 ? 'bracket' : 'brackets'}): is the file truncated?`)
    }
    this.items.push({ kind: 'document', value: this.rootValue, line: this.rootLine, streamed: this.streamedAny })
  }

  private beginValue(offset: number): void {
    const top = this.stack[this.stack.length - 1]
    if (!top) {
      if (this.rootDone) throw new JsonError('unexpected content after the end of the JSON document')
      this.rootLine = this.line
      return
    }
    if (top.isArray ? top.state !== 'start' && top.state !== 'value' : top.state !== 'value') throw this.unexpected('value')
    if (top.streaming) this.element = { line: this.line, start: offset }
  }

  private place(value: unknown, end: number): void {
    const top = this.stack[this.stack.length - 1]
    if (!top) {
      if (value === null || typeof value !== 'object') throw new JsonError('expected a JSON object or array at the top level')
      this.rootDone = true
      this.rootValue = value
      return
    }
    if (top.isArray) {
      if (top.streaming) {
        this.items.push({ kind: 'element', value, line: this.element!.line, index: top.count })
        this.streamedBytes += end - this.element!.start
        this.streamedAny = true
        this.element = null
      } else {
        ;(top.container as unknown[]).push(value)
      }
      top.count += 1
    } else {
      // Keys were checked: "__proto__" never reaches here, so plain assignment defines an own property.
      ;(top.container as Record<string, unknown>)[top.key!] = value
    }
    top.state = 'comma'
  }

  private unexpected(what: string): JsonError {
    const top = this.stack[this.stack.length - 1]
    const expected = !top
      ? 'a value'
      : top.state === 'comma'
        ? `',' or '${top.isArray ? ']' : '}'}'`
        : top.state === 'colon'
          ? "':' after the key"
          : top.state === 'value'
            ? 'a value'
            : top.isArray
              ? "a value or ']'"
              : top.state === 'start'
                ? "a key (a quoted string) or '}'"
                : 'a key (a quoted string)'
    return new JsonError(`unexpected ${what} where ${expected} was expected (at ${this.path()})`)
  }

  /** Where the parser is, as a JSON path ($.affected[2].ranges). */
  path(): string {
    let path = '$'
    for (const frame of this.stack) {
      if (frame.isArray) path += `[${frame.count}]`
      else if (frame.key !== null) path += /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(frame.key) ? `.${frame.key}` : `[${JSON.stringify(frame.key.slice(0, 50))}]`
    }
    return path
  }
}

/**
 * Read a JSON file's records. Throws an `invalid` AppError naming the file and line for anything
 * that is not a well-formed, reasonably sized JSON document in UTF-8.
 */
export async function* readJson(input: AsyncIterable<Buffer>, options: JsonReadOptions): AsyncGenerator<JsonItem> {
  const { file, limits } = options
  const builder = new Builder(options)
  const tokenizer = new Tokenizer()
  let lastTokenAt = 0
  tokenizer.onToken = ({ token, value, offset }) => {
    lastTokenAt = offset
    builder.token(token, value, offset)
  }
  const decoder = new TextDecoder('utf-8', { fatal: true })
  let line = 1
  let total = 0
  let first = true

  const fail = (error: unknown): never => {
    if (error instanceof JsonError) throw invalidFile(file, line, error.message)
    const detail = error instanceof Error ? error.message.replace(/ at chunk position "\d+" \(absolute position "\d+"\)/, '').replace(/ in state \w+/, '') : String(error)
    throw invalidFile(file, line, `malformed JSON: ${detail}`, { cause: error })
  }

  for await (const chunk of input) {
    if (first) {
      first = false
      if ((chunk[0] === 0xff && chunk[1] === 0xfe) || (chunk[0] === 0xfe && chunk[1] === 0xff)) throw invalidFile(file, 1, 'the file is UTF-16; save it as UTF-8')
    }
    let start = 0
    while (start < chunk.length) {
      const newline = chunk.indexOf(10, start)
      const end = newline === -1 ? chunk.length : newline + 1
      const segment = chunk.subarray(start, end)
      try {
        decoder.decode(segment, { stream: true })
      } catch (cause) {
        throw invalidFile(file, line, 'the file is not valid UTF-8', { cause })
      }
      builder.line = line
      try {
        tokenizer.write(segment)
      } catch (error) {
        fail(error)
      }
      total += segment.length
      // A string or number still being read holds everything since the last token in memory.
      if (total - lastTokenAt > limits.maxTokenBytes) throw invalidFile(file, line, `a single value is longer than ${describeBytes(limits.maxTokenBytes)}`)
      if (newline !== -1) line += 1
      start = end
      if (builder.items.length > 0) yield* builder.items.splice(0)
    }
  }
  try {
    decoder.decode()
  } catch (cause) {
    throw invalidFile(file, line, 'the file is not valid UTF-8 (it ends inside a character)', { cause })
  }
  try {
    tokenizer.end()
    builder.finish()
  } catch (error) {
    if (error instanceof JsonError) fail(error)
    throw invalidFile(file, line, 'the JSON ends in the middle of a value: is the file truncated?', { cause: error })
  }
  yield* builder.items.splice(0)
}

function describeBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round(bytes / (1024 * 1024))} MiB`
  return bytes >= 1024 ? `${Math.round(bytes / 1024)} KiB` : `${bytes} bytes`
}
