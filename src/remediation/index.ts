// Remediation: are they clean. Campaigns built from an advisory's (or an incident's advisories')
// open findings, one task per affected endpoint and action, verified from inventory evidence or
// attested by antivirus scans and people, with deadlines, reminders, progress and metrics. It does
// not tell customers about a campaign: comms does, and reads progress from here.
export { createRemediation, overdueRemindersJob, raiseAlertJob, type NoticeTimes, type Remediation, type RemediationAlert, type RemediationDeps, type ScanImportRequest } from './service.js'
export {
  actionKinds,
  taskStates,
  type AvScan,
  type AvScanImportReport,
  type Campaign,
  type CampaignAction,
  type CampaignMetrics,
  type CampaignProgress,
  type CustomerMetrics,
  type CustomerProgress,
  type StateCounts,
  type Task,
  type TaskEvidence,
  type TaskState,
} from './model.js'
export { scanFormats, type ScanFormat } from './scans.js'
export { remediationRoutes } from './routes.js'
