// Intel: advisories (what software versions are bad, and what to do about it) and indicators of
// compromise (file hashes, domains, URLs, addresses), imported from OSV, Cordon's own advisory
// format, STIX 2.1 and vendors' CSV lists, plus the advisories Cordon ships with. It does not
// decide who is affected (exposure matches targets against the inventory) or hunt for indicators.
export { createIntel, type AdvisoryListRequest, type IndicatorListRequest, type Intel, type IntelDeps } from './service.js'
export {
  confidences,
  CordonAdvisorySchema,
  importFormats,
  indicatorKinds,
  platforms,
  severities,
  type Advisory,
  type AdvisoryDetail,
  type AdvisoryTarget,
  type AdvisoryTargetDetail,
  type Confidence,
  type ImportFormat,
  type ImportProblem,
  type ImportReport,
  type Indicator,
  type IndicatorKind,
  type Platform,
  type Remediation,
  type Severity,
} from './model.js'
export type { ImportInput, ImportLimits } from './readers/input.js'
export { intelRoutes } from './routes.js'
