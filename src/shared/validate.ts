import type { TSchema, Static } from 'typebox'
import { Compile, type Validator } from 'typebox/compile'
import Value from 'typebox/value'
import { AppError, type FieldProblem } from './errors.js'

const compiled = new WeakMap<TSchema, { validator: Validator; open: boolean }>()

/** Whether any object schema inside admits properties it does not name (so Clean may drop some). */
function hasOpenObject(schema: unknown): boolean {
  if (typeof schema !== 'object' || schema === null) return false
  const node = schema as Record<string, unknown>
  if (node.type === 'object' && node.properties !== undefined && node.additionalProperties !== false) return true
  const children = [node.properties, node.patternProperties].flatMap((group) => (group && typeof group === 'object' ? Object.values(group) : []))
  for (const key of ['items', 'additionalProperties', 'anyOf', 'allOf', 'oneOf', 'not']) {
    const value = node[key]
    if (Array.isArray(value)) children.push(...value)
    else if (value && typeof value === 'object') children.push(value)
  }
  return children.some(hasOpenObject)
}

/**
 * Check untrusted input against a TypeBox schema (the same schemas the HTTP routes declare),
 * so the CLI and the API reject the same things with the same field names.
 * Returns a cleaned copy: unknown properties are dropped, never merged into our objects.
 */
export function parseInput<S extends TSchema>(schema: S, input: unknown, what: string): Static<S> {
  // Valid input, the common case, is checked by code compiled once per schema; only invalid input is walked for its errors.
  let entry = compiled.get(schema)
  if (!entry) {
    entry = { validator: Compile(schema), open: hasOpenObject(schema) }
    compiled.set(schema, entry)
  }
  if (entry.validator.Check(input)) {
    // Cleaning walks the value slowly; it only has work where an object schema admits unknown properties.
    const copy = structuredClone(input)
    return (entry.open ? entry.validator.Clean(copy) : copy) as Static<S>
  }
  const problems: FieldProblem[] = []
  const seen = new Set<string>()
  for (const error of Value.Errors(schema, input)) {
    const field = error.instancePath.replace(/^\//, '').replaceAll('/', '.') || '(root)'
    if (seen.has(field)) continue
    seen.add(field)
    const allowed = (error.params as { allowedValues?: unknown[] }).allowedValues
    problems.push({ field, message: allowed ? `must be one of: ${allowed.join(', ')}` : error.message })
  }
  if (problems.length > 0) {
    throw new AppError('invalid', `invalid ${what}: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`, { problems })
  }
  return Value.Clean(schema, Value.Clone(input)) as Static<S>
}
