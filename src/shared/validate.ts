import type { TSchema, Static } from 'typebox'
import Value from 'typebox/value'
import { AppError, type FieldProblem } from './errors.js'

/**
 * Check untrusted input against a TypeBox schema (the same schemas the HTTP routes declare),
 * so the CLI and the API reject the same things with the same field names.
 * Returns a cleaned copy: unknown properties are dropped, never merged into our objects.
 */
export function parseInput<S extends TSchema>(schema: S, input: unknown, what: string): Static<S> {
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
