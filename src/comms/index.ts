// Comms: telling customers. Notices composed per affected customer from stored templates and sent
// through the outbox, signed acknowledgement links, reminders and escalation, incident updates,
// and the status pages (private per customer, public for the provider). It decides who is told
// what; notifications delivers it, and remediation's progress is read through a seam.
export { createComms, reminderJob, type Comms, type CommsDeps, type NoticePlan, type NoticePreview, type SendReport } from './service.js'
export type { EndpointProgress, PublicStatusView, RemediationProgress, StatusView } from './status.js'
export {
  noticeStates,
  templateFields,
  updateStates,
  type Notice,
  type NoticeState,
  type NoticeStatus,
  type RecipientProblem,
  type Template,
  type Update,
  type UpdateState,
} from './model.js'
export { remediationProgressFrom } from './remediation-progress.js'
export { commsPages, commsRoutes } from './routes.js'
