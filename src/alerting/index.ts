// Alerting: alerts from any tool land here, deduplicated by key while open (Cordon's API,
// PagerDuty events, Alertmanager and Grafana webhooks); routing rules pick an escalation policy
// and whether an incident opens; escalation pages on-call users through notifications until
// someone acknowledges. Incidents themselves and message delivery belong to their own modules.
export { createAlerting, type Alerting, type AlertingDeps, type IssuedIntegration } from './service.js'
export { escalateJob, quietJob } from './intake.js'
export { alertSeverities, alertStatuses, type Alert, type AlertSeverity, type AlertStatus, type IntakeResult } from './model.js'
export type { RateLimit } from './rate-limit.js'
export { alertingRoutes } from './routes.js'
