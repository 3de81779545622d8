import { Readable } from 'node:stream'
import { AppError } from './errors.js'

/**
 * The body of a streamed upload (a route whose content-type parser hands the request stream on),
 * or AppError('invalid') saying how to send one: a request without a body, or with a type that
 * another parser read, never reaches an importer.
 */
export function uploadedStream(body: unknown, types: readonly string[]): AsyncIterable<Buffer> {
  if (body instanceof Readable) return body
  const expected = `the file as the request body, with content type ${types.join(', ')}`
  throw new AppError('invalid', `send ${expected}`, { problems: [{ field: 'body', message: `expected ${expected}` }] })
}
