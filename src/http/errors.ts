import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { AppError, type ErrorKind, type FieldProblem } from '../shared/errors.js'

/**
 * Errors leave the API as RFC 9457 problem documents (application/problem+json) with a stable
 * `kind` clients can branch on. This is the one place that maps error kinds to status codes.
 */

const statusOf: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  unavailable: 503,
}

const titleOf: Record<ErrorKind | 'internal' | 'too_large' | 'unsupported_media_type', string> = {
  invalid: 'The request is not valid',
  unauthenticated: 'Authentication required',
  forbidden: 'Not allowed',
  not_found: 'Not found',
  conflict: 'Conflict with the current state',
  rate_limited: 'Too many requests',
  unavailable: 'Service unavailable',
  internal: 'Internal error',
  too_large: 'Request too large',
  unsupported_media_type: 'Unsupported media type',
}

export type ProblemKind = keyof typeof titleOf

export interface Problem {
  type: string
  title: string
  status: number
  kind: ProblemKind
  detail: string
  instance?: string
  errors?: FieldProblem[]
}

export function problem(kind: ProblemKind, status: number, detail: string, errors?: FieldProblem[]): Problem {
  return { type: `urn:cordon:problem:${kind}`, title: titleOf[kind], status, kind, detail, ...(errors && errors.length > 0 && { errors }) }
}

export function sendProblem(reply: FastifyReply, value: Problem): FastifyReply {
  return reply.code(value.status).type('application/problem+json; charset=utf-8').send(value)
}

export function toProblem(error: unknown, request: FastifyRequest): Problem {
  if (error instanceof AppError) {
    return { ...problem(error.kind, statusOf[error.kind], error.message, error.problems), instance: request.url }
  }
  const fastifyError = error as Partial<FastifyError>
  if (fastifyError.validation) {
    const errors = fastifyError.validation.map((v) => ({
      field: [fastifyError.validationContext, ...v.instancePath.split('/').filter(Boolean), ...(v.params && 'missingProperty' in v.params ? [String(v.params.missingProperty)] : []), ...(v.params && 'additionalProperty' in v.params ? [String(v.params.additionalProperty)] : [])].filter(Boolean).join('.'),
      message: v.message ?? 'is not valid',
    }))
    return { ...problem('invalid', 400, `invalid request: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`, errors), instance: request.url }
  }
  const status = fastifyError.statusCode
  if (status === 413) return { ...problem('too_large', 413, fastifyError.message ?? 'request body too large'), instance: request.url }
  if (status === 415) return { ...problem('unsupported_media_type', 415, fastifyError.message ?? 'unsupported media type'), instance: request.url }
  if (status !== undefined && status >= 400 && status < 500) {
    return { ...problem('invalid', status, fastifyError.message ?? 'bad request'), instance: request.url }
  }
  return { ...problem('internal', 500, 'an internal error occurred; it has been logged'), instance: request.url }
}
