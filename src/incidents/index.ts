// Incidents: the incident (severity, status, commander and leads), what it is linked to, its
// timeline (written for every change, and by other modules for their events), its tasks, the
// playbooks that fill them, and the post-incident report. It does not raise alerts, page anyone
// or message customers: alerting and notifications call in here, never the other way round.
export { createIncidents, type IncidentListRequest, type Incidents, type IncidentsDeps } from './service.js'
export {
  incidentRoles,
  linkKinds,
  openStatuses,
  severities,
  statuses,
  taskStatuses,
  type Incident,
  type IncidentDetail,
  type IncidentFigures,
  type IncidentLink,
  type IncidentRole,
  type IncidentTask,
  type LinkInput,
  type LinkKind,
  type OpenIncidentInput,
  type Playbook,
  type Severity,
  type Status,
  type TaskStatus,
  type TaskTemplate,
  type TimelineEntry,
  type TimelineInput,
} from './model.js'
export type { ReportFormat } from './report.js'
export { incidentRoutes } from './routes.js'
