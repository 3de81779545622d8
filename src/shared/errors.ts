/**
 * The kinds of failure a caller can act on. Each door translates them once:
 * HTTP to a status code and a problem document, the CLI to stderr and an exit code.
 */
export type ErrorKind =
  | 'invalid'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'rate_limited'
  | 'unavailable'

/** A field-level problem inside an `invalid` error: where, and what is wrong there. */
export interface FieldProblem {
  field: string
  message: string
}

/** A request that can't be honoured. Anything else thrown is a bug. */
export class AppError extends Error {
  readonly problems: FieldProblem[]
  /** For rate_limited and unavailable: when trying again may succeed. */
  readonly retryAfterSeconds: number | undefined

  constructor(
    readonly kind: ErrorKind,
    message: string,
    options?: { cause?: unknown; problems?: FieldProblem[]; retryAfterSeconds?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'AppError'
    this.problems = options?.problems ?? []
    this.retryAfterSeconds = options?.retryAfterSeconds
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError
}

export function notFound(what: string, id: string): AppError {
  return new AppError('not_found', `${what} ${id} was not found`)
}
