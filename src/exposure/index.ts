// Exposure: inventory × intel. Matches advisories to catalog entries (never to installations one
// by one), keeps one finding per endpoint × advisory × installed version, and carries each
// finding through open → resolved (by a later snapshot) → reopened, plus triage (accepted with an
// expiry, false positive), audited.
export { createExposure, type Exposure, type RematchReport } from './service.js'
export { findingStatuses, resolutions, targetMatches, type AdvisoryExposure, type Finding, type FindingEvent, type FindingStatus, type Resolution } from './model.js'
export { exposureRoutes } from './routes.js'
