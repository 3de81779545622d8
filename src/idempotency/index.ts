// Idempotency: the first answer to a retried request, kept per operation and key, so sending
// notices or opening a campaign twice by a client's retry acts once.
export { createIdempotency, maxKeyLength, type Idempotency } from './service.js'
