import type { Access } from '../access/index.js'
import type { Audit } from '../audit/index.js'
import type { Customers } from '../customers/index.js'
import type { Db } from '../db/connect.js'
import type { Exposure } from '../exposure/index.js'
import type { HuntService } from '../hunt/index.js'
import type { Incidents } from '../incidents/index.js'
import type { Idempotency } from '../idempotency/index.js'
import type { Intel } from '../intel/index.js'
import type { Jobs } from '../jobs/index.js'
import type { Notifications } from '../notifications/index.js'
import type { Clock } from '../shared/clock.js'
import { createAcknowledgements } from './acknowledgements.js'
import { createNotices } from './notices.js'
import { createReminders } from './reminders.js'
import { createStatusPages, type RemediationProgress } from './status.js'
import { createTemplates } from './templates.js'

export type { AcknowledgementView } from './acknowledgements.js'
export type { NoticePreview, SendReport } from './model.js'
export type { CustomerPlan, NoticePlan } from './notices.js'
export { reminderJob } from './reminders.js'

export interface CommsDeps {
  db: Db
  clock: Clock
  audit: Audit
  customers: Pick<Customers, 'get' | 'resolve' | 'list'>
  access: Pick<Access, 'getUser'>
  intel: Pick<Intel, 'getAdvisory' | 'listIndicators'>
  exposure: Pick<Exposure, 'listFindings'>
  hunt: Pick<HuntService, 'listSightings'>
  incidents: Pick<Incidents, 'get' | 'list' | 'recordIn'>
  notifications: Pick<Notifications, 'enqueue' | 'get' | 'customerChannels'>
  idempotency: Pick<Idempotency, 'once'>
  jobs: Pick<Jobs, 'enqueue'>
  /** Where links in messages point: the server's public origin, e.g. https://cordon.example.net. */
  linkBase: string
  /** Seam: without it, status pages show no remediation progress. */
  remediationProgress?: RemediationProgress | undefined
}

export type Comms = ReturnType<typeof createComms>

/**
 * Comms' use-cases, composed from its parts: templates, notices (plan, preview, send, status),
 * acknowledgement links, reminders, and the status pages with incident updates. The parts share
 * one acknowledgement signer, so its secret is read once per process.
 */
export function createComms(deps: CommsDeps) {
  const templates = createTemplates(deps)
  const acknowledgements = createAcknowledgements(deps)
  const notices = createNotices(deps, templates, acknowledgements)
  const { remind } = createReminders(deps, acknowledgements)
  return {
    ...createStatusPages(deps),
    saveTemplate: templates.saveTemplate,
    getTemplate: templates.getTemplate,
    listTemplates: templates.listTemplates,
    loadDefaultTemplate: templates.loadDefaultTemplate,
    plan: notices.plan,
    preview: notices.preview,
    send: notices.send,
    getNotice: notices.getNotice,
    listNotices: notices.listNotices,
    status: notices.status,
    tracking: notices.tracking,
    checkAcknowledgement: acknowledgements.checkAcknowledgement,
    acknowledge: acknowledgements.acknowledge,
    remind,
  }
}
