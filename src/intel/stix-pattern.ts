import { err, ok, type Result } from '../shared/result.js'

/**
 * STIX 2.1 patterns (the STIX Patterning language, section 9 of the specification): a small
 * hand-written recursive-descent parser with errors that name the position. It accepts the whole
 * language (observation expressions with AND, OR, FOLLOWEDBY and qualifiers; comparisons with
 * every operator; quoted strings with \' and \\ escapes; b'', h'' and t'' literals); what Cordon
 * can use of a parsed pattern is decided in stix-indicators.ts.
 */

export type Literal =
  | { type: 'string'; value: string }
  | { type: 'number'; value: number }
  | { type: 'boolean'; value: boolean }
  | { type: 'binary' | 'hex' | 'timestamp'; value: string }
  | { type: 'set'; values: Literal[] }

export interface ObjectPath {
  objectType: string
  /** Property names, list indexes, or '*' for any index. */
  steps: Array<string | number>
}

export type ComparisonExpression =
  | { type: 'comparison'; path: ObjectPath; negated: boolean; operator: string; value: Literal }
  | { type: 'exists'; path: ObjectPath }
  | { type: 'and' | 'or'; operands: ComparisonExpression[] }

export type ObservationExpression =
  | { type: 'observation'; comparison: ComparisonExpression; qualifiers: string[] }
  | { type: 'group'; inner: ObservationExpression; qualifiers: string[] }
  | { type: 'and' | 'or' | 'followedby'; operands: ObservationExpression[] }

export interface PatternSyntaxError {
  /** 0-based character offset in the pattern. */
  position: number
  message: string
}

const comparisonOperators = ['!=', '<=', '>=', '=', '<', '>'] as const
const wordOperators = ['IN', 'LIKE', 'MATCHES', 'ISSUBSET', 'ISSUPERSET'] as const
const maxPatternLength = 100_000
const maxNesting = 50

class PatternError extends Error {
  constructor(
    readonly position: number,
    message: string,
  ) {
    super(message)
  }
}

/** Parse a pattern, or say where and why it is not one. */
export function parseStixPattern(text: string): Result<ObservationExpression, PatternSyntaxError> {
  if (text.length > maxPatternLength) return err({ position: 0, message: `the pattern is longer than ${maxPatternLength} characters` })
  try {
    return ok(new Parser(text).pattern())
  } catch (error) {
    if (error instanceof PatternError) return err({ position: error.position, message: error.message })
    throw error
  }
}

class Parser {
  private position = 0
  private depth = 0

  constructor(private readonly text: string) {}

  pattern(): ObservationExpression {
    const expression = this.followedBy()
    this.skipSpace()
    if (this.position < this.text.length) this.fail(`unexpected ${this.describeHere()} after the end of the pattern`)
    return expression
  }

  private followedBy(): ObservationExpression {
    return this.joined('FOLLOWEDBY', 'followedby', () => this.observationOr())
  }

  private observationOr(): ObservationExpression {
    return this.joined('OR', 'or', () => this.observationAnd())
  }

  private observationAnd(): ObservationExpression {
    return this.joined('AND', 'and', () => this.observationUnit())
  }

  private joined<T extends ObservationExpression | ComparisonExpression>(keyword: string, type: string, operand: () => T): T {
    const operands = [operand()]
    while (this.acceptWord(keyword)) operands.push(operand())
    return operands.length === 1 ? operands[0]! : ({ type, operands } as unknown as T)
  }

  private observationUnit(): ObservationExpression {
    this.skipSpace()
    this.enter()
    let result: ObservationExpression
    if (this.accept('[')) {
      const comparison = this.comparisonOr()
      this.expect(']', 'to close the observation expression')
      result = { type: 'observation', comparison, qualifiers: this.qualifiers() }
    } else if (this.accept('(')) {
      const inner = this.followedBy()
      this.expect(')', 'to close the parenthesised observation expressions')
      result = { type: 'group', inner, qualifiers: this.qualifiers() }
    } else {
      this.fail(`expected '[' or '(' to start an observation expression, found ${this.describeHere()}`)
    }
    this.depth -= 1
    return result
  }

  private qualifiers(): string[] {
    const found: string[] = []
    for (;;) {
      if (this.acceptWord('WITHIN')) {
        const seconds = this.number()
        this.expectWord('SECONDS')
        found.push(`WITHIN ${seconds} SECONDS`)
      } else if (this.acceptWord('REPEATS')) {
        const times = this.number()
        this.expectWord('TIMES')
        found.push(`REPEATS ${times} TIMES`)
      } else if (this.acceptWord('START')) {
        const start = this.literal()
        this.expectWord('STOP')
        const stop = this.literal()
        if (start.type !== 'timestamp' || stop.type !== 'timestamp') this.fail("START and STOP take t'…' timestamps")
        found.push(`START t'${start.value}' STOP t'${stop.value}'`)
      } else {
        return found
      }
    }
  }

  private comparisonOr(): ComparisonExpression {
    return this.joined('OR', 'or', () => this.comparisonAnd())
  }

  private comparisonAnd(): ComparisonExpression {
    return this.joined('AND', 'and', () => this.comparisonUnit())
  }

  private comparisonUnit(): ComparisonExpression {
    this.skipSpace()
    this.enter()
    let result: ComparisonExpression
    if (this.accept('(')) {
      result = this.comparisonOr()
      this.expect(')', 'to close the parenthesised comparison')
    } else if (this.acceptWord('EXISTS')) {
      result = { type: 'exists', path: this.objectPath() }
    } else {
      const path = this.objectPath()
      const negated = this.acceptWord('NOT')
      const operator = this.operator()
      const value = operator === 'IN' ? this.set() : this.literal()
      result = { type: 'comparison', path, negated, operator, value }
    }
    this.depth -= 1
    return result
  }

  private operator(): string {
    this.skipSpace()
    for (const symbol of comparisonOperators) if (this.accept(symbol)) return symbol
    for (const word of wordOperators) if (this.acceptWord(word)) return word
    return this.fail(`expected a comparison operator (=, !=, <, >, IN, LIKE, MATCHES, ...), found ${this.describeHere()}`)
  }

  private objectPath(): ObjectPath {
    this.skipSpace()
    const start = this.position
    const objectType = /^[A-Za-z0-9][A-Za-z0-9_-]*/.exec(this.rest())?.[0]
    if (!objectType) this.fail(`expected an object path such as file:hashes.'SHA-256', found ${this.describeHere()}`)
    this.position += objectType.length
    if (!this.accept(':')) this.fail(`expected ':' after the object type '${objectType}'`, start + objectType.length)
    const steps: Array<string | number> = [this.pathComponent()]
    for (;;) {
      if (this.text[this.position] === '.') {
        this.position += 1
        steps.push(this.pathComponent())
      } else if (this.text[this.position] === '[') {
        this.position += 1
        const index = /^(\*|\d+)/.exec(this.rest())?.[0]
        if (!index) this.fail("expected a list index (a number or *) after '['")
        this.position += index.length
        this.expect(']', 'to close the list index')
        steps.push(index === '*' ? '*' : Number(index))
      } else {
        return { objectType, steps }
      }
    }
  }

  private pathComponent(): string {
    if (this.text[this.position] === "'") return this.quoted()
    const name = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(this.rest())?.[0]
    if (!name) this.fail(`expected a property name, found ${this.describeHere()}`)
    this.position += name.length
    return name
  }

  private set(): Literal {
    this.expect('(', "to open the set of values after IN")
    const values = [this.literal()]
    while (this.accept(',')) values.push(this.literal())
    this.expect(')', 'to close the set of values')
    return { type: 'set', values }
  }

  private literal(): Literal {
    this.skipSpace()
    const here = this.text[this.position]
    const next = this.text[this.position + 1]
    if (here === "'") return { type: 'string', value: this.quoted() }
    if ((here === 'b' || here === 'h' || here === 't') && next === "'") {
      this.position += 1
      const value = this.quoted()
      return { type: here === 'b' ? 'binary' : here === 'h' ? 'hex' : 'timestamp', value }
    }
    if (this.acceptWord('true')) return { type: 'boolean', value: true }
    if (this.acceptWord('false')) return { type: 'boolean', value: false }
    if (here !== undefined && /[-+0-9.]/.test(here)) return { type: 'number', value: this.number() }
    return this.fail(`expected a value (a quoted string, a number, true or false), found ${this.describeHere()}`)
  }

  private number(): number {
    this.skipSpace()
    const text = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/.exec(this.rest())?.[0]
    if (!text) this.fail(`expected a number, found ${this.describeHere()}`)
    this.position += text.length
    return Number(text)
  }

  /** A single-quoted string; inside it only \' and \\ are escapes. */
  private quoted(): string {
    const start = this.position
    this.position += 1
    let value = ''
    for (;;) {
      const c = this.text[this.position]
      if (c === undefined) this.fail('the quoted string is not closed', start)
      if (c === "'") {
        this.position += 1
        return value
      }
      if (c === '\\') {
        const escaped = this.text[this.position + 1]
        if (escaped !== "'" && escaped !== '\\') this.fail(`invalid escape \\${escaped ?? ''} in a quoted string (only \\' and \\\\ are allowed)`)
        value += escaped
        this.position += 2
      } else {
        value += c
        this.position += 1
      }
    }
  }

  private enter(): void {
    this.depth += 1
    if (this.depth > maxNesting) this.fail(`the pattern is nested more than ${maxNesting} levels deep`)
  }

  private accept(symbol: string): boolean {
    this.skipSpace()
    if (!this.text.startsWith(symbol, this.position)) return false
    this.position += symbol.length
    return true
  }

  private acceptWord(word: string): boolean {
    this.skipSpace()
    if (!this.text.startsWith(word, this.position)) return false
    const after = this.text[this.position + word.length]
    if (after !== undefined && /[A-Za-z0-9_:-]/.test(after)) return false
    this.position += word.length
    return true
  }

  private expect(symbol: string, why: string): void {
    if (!this.accept(symbol)) this.fail(`expected '${symbol}' ${why}, found ${this.describeHere()}`)
  }

  private expectWord(word: string): void {
    if (!this.acceptWord(word)) this.fail(`expected ${word}, found ${this.describeHere()}`)
  }

  private skipSpace(): void {
    while (this.position < this.text.length && /\s/.test(this.text[this.position]!)) this.position += 1
  }

  private rest(): string {
    return this.text.slice(this.position, this.position + 300)
  }

  private describeHere(): string {
    if (this.position >= this.text.length) return 'the end of the pattern'
    const word = /^(?:[A-Za-z0-9_-]+|\S)/.exec(this.rest())?.[0] ?? ''
    return `'${word}'`
  }

  private fail(message: string, position = this.position): never {
    throw new PatternError(position, `${message} (at character ${position + 1})`)
  }
}
