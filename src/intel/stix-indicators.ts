import { normaliseIndicator, type NormalisedIndicator } from './indicator-values.js'
import { parseStixPattern, type ComparisonExpression, type Literal, type ObjectPath, type ObservationExpression } from './stix-pattern.js'

/**
 * A STIX pattern read as plain indicators. Only what a lookup by value can honour becomes an
 * indicator: equality (or IN) on a file hash, a domain name, a URL or an IP address, joined by OR.
 * Everything else (AND across observations, FOLLOWEDBY, qualifiers, LIKE and MATCHES, other object
 * types) is reported, never dropped.
 */

/** What a pattern says, read as indicators: the values Cordon can look up, and what it could not use. */
export interface PatternReading {
  indicators: NormalisedIndicator[]
  /** Why (part of) the pattern could not be used. Empty when all of it became indicators. */
  problems: string[]
}

/** Read a STIX pattern as indicators; a syntax error is one problem. */
export function indicatorsFromPattern(text: string): PatternReading {
  const parsed = parseStixPattern(text)
  if (!parsed.ok) return { indicators: [], problems: [`pattern syntax error: ${parsed.error.message}`] }
  const reading = readObservation(parsed.value)
  return { indicators: dedupe(reading.indicators), problems: reading.problems }
}

function readObservation(expression: ObservationExpression): PatternReading {
  switch (expression.type) {
    case 'observation':
    case 'group':
      if (expression.qualifiers.length > 0) return unusable(`qualifier ${expression.qualifiers.join(' ')} is not supported: a lookup by value cannot honour it`)
      return expression.type === 'observation' ? readComparison(expression.comparison) : readObservation(expression.inner)
    case 'or':
      return merge(expression.operands.map(readObservation))
    case 'and':
      return unusable(`observations joined by AND (${describeObservations(expression.operands)}) must all be seen together; Cordon cannot match that`)
    case 'followedby':
      return unusable('FOLLOWEDBY (a sequence of observations) is not supported')
  }
}

function readComparison(expression: ComparisonExpression): PatternReading {
  switch (expression.type) {
    case 'comparison':
      return readTest(expression)
    case 'exists':
      return unusable(`EXISTS ${describePath(expression.path)} is not supported`)
    case 'or':
      return merge(expression.operands.map(readComparison))
    case 'and': {
      // A file hash names one file: the other properties ANDed with it (its name, its size, another
      // hash) only narrow what the hash already pins down, so the hashes are kept and the rest reported.
      const parts = expression.operands.map((operand) => ({ operand, reading: readComparison(operand) }))
      const hashes = parts.filter((p) => p.operand.type === 'comparison' && p.operand.path.objectType === 'file' && p.reading.indicators.length > 0 && p.reading.problems.length === 0)
      const sameObject = expression.operands.every((o) => 'path' in o && o.path.objectType === 'file')
      if (hashes.length === 0 || !sameObject) {
        return unusable(`comparisons joined by AND (${expression.operands.map(describeComparison).join(' AND ')}) must all hold at once; Cordon cannot match that`)
      }
      const ignored = parts.filter((p) => !hashes.includes(p))
      return {
        indicators: hashes.flatMap((p) => p.reading.indicators),
        problems: ignored.map((p) => `${describeComparison(p.operand)} ignored: the file hash it is ANDed with identifies the file`),
      }
    }
  }
}

function readTest(test: Extract<ComparisonExpression, { type: 'comparison' }>): PatternReading {
  const kind = kindOfPath(test.path)
  if (typeof kind === 'object') return unusable(kind.problem)
  if (test.negated) return unusable(`${describeComparison(test)}: negated comparisons are not supported`)
  const values = test.operator === '=' ? [test.value] : test.operator === 'IN' && test.value.type === 'set' ? test.value.values : undefined
  if (!values) return unusable(`${describeComparison(test)}: operator ${test.operator} is not supported (only = and IN)`)
  const reading: PatternReading = { indicators: [], problems: [] }
  for (const value of values) {
    if (value.type !== 'string') {
      reading.problems.push(`${describePath(test.path)} compared with a ${value.type}, not a string`)
      continue
    }
    const normalised = normaliseIndicator(kind, value.value)
    if (normalised.ok) reading.indicators.push(normalised.value)
    else reading.problems.push(`${describePath(test.path)}: ${normalised.error}`)
  }
  return reading
}

type PathKind = 'sha256' | 'sha1' | 'md5' | 'domain' | 'url' | 'ipv4' | 'ipv6'

function kindOfPath(path: ObjectPath): PathKind | { problem: string } {
  const [first, second, ...more] = path.steps
  const property = (name: string) => first === name && second === undefined
  switch (path.objectType) {
    case 'file': {
      if (first !== 'hashes' || typeof second !== 'string' || more.length > 0) return { problem: `${describePath(path)}: only file hashes are supported` }
      const algorithm = second.toUpperCase().replace(/[-_\s]/g, '')
      if (algorithm === 'SHA256') return 'sha256'
      if (algorithm === 'SHA1') return 'sha1'
      if (algorithm === 'MD5') return 'md5'
      return { problem: `${describePath(path)}: hash algorithm ${second} is not supported (only SHA-256, SHA-1 and MD5)` }
    }
    case 'domain-name':
      return property('value') ? 'domain' : { problem: `${describePath(path)}: only domain-name:value is supported` }
    case 'url':
      return property('value') ? 'url' : { problem: `${describePath(path)}: only url:value is supported` }
    case 'ipv4-addr':
      return property('value') ? 'ipv4' : { problem: `${describePath(path)}: only ipv4-addr:value is supported` }
    case 'ipv6-addr':
      return property('value') ? 'ipv6' : { problem: `${describePath(path)}: only ipv6-addr:value is supported` }
    default:
      return { problem: `object type ${path.objectType} is not supported (only file hashes, domain-name, url, ipv4-addr and ipv6-addr)` }
  }
}

function merge(readings: PatternReading[]): PatternReading {
  return { indicators: readings.flatMap((r) => r.indicators), problems: readings.flatMap((r) => r.problems) }
}

function unusable(problem: string): PatternReading {
  return { indicators: [], problems: [problem] }
}

function dedupe(indicators: NormalisedIndicator[]): NormalisedIndicator[] {
  const seen = new Set<string>()
  return indicators.filter((i) => {
    const key = `${i.kind}\u0000${i.value}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

function describePath(path: ObjectPath): string {
  const steps = path.steps.map((step, i) =>
    typeof step === 'number' || step === '*' ? `[${step}]` : `${i === 0 ? '' : '.'}${/^[A-Za-z_][A-Za-z0-9_]*$/.test(step) ? step : `'${step}'`}`,
  )
  return `${path.objectType}:${steps.join('')}`
}

function describeComparison(expression: ComparisonExpression): string {
  if (expression.type === 'exists') return `EXISTS ${describePath(expression.path)}`
  if (expression.type !== 'comparison') return `(${expression.operands.map(describeComparison).join(` ${expression.type.toUpperCase()} `)})`
  return `${describePath(expression.path)} ${expression.negated ? 'NOT ' : ''}${expression.operator} ${describeLiteral(expression.value)}`
}

function describeLiteral(literal: Literal): string {
  switch (literal.type) {
    case 'string':
      return `'${literal.value.length > 60 ? `${literal.value.slice(0, 57)}...` : literal.value}'`
    case 'set':
      return `(${literal.values.map(describeLiteral).join(', ')})`
    case 'binary':
    case 'hex':
    case 'timestamp':
      return `${literal.type[0]}'${literal.value}'`
    default:
      return String(literal.value)
  }
}

function describeObservations(operands: ObservationExpression[]): string {
  return operands.map((o) => (o.type === 'observation' ? `[${describeComparison(o.comparison)}]` : '(...)')).join(' AND ')
}
