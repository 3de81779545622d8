// The audit log: an append-only, hash-chained record of every state change, written in the
// transaction of the change it describes, and the verification that recomputes the chain.
// It does not decide what is worth auditing: each module records its own changes.
export { createAudit, type Audit, type AuditListQuery } from './service.js'
export type { AuditEvent, AuditRecord, ChainBreak, VerifyOutcome } from './model.js'
export { auditRoutes } from './routes.js'
