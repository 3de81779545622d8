import { readFileSync } from 'node:fs'
import { pino, type Logger } from 'pino'
import { sql } from 'kysely'
import { createAccess, type Access } from './access/index.js'
import { createAlerting, escalateJob, quietJob } from './alerting/index.js'
import { createAudit } from './audit/index.js'
import { defaultAlertRate, defaultMailConfig, publicUrlOf, type Config } from './config.js'
import { createComms, reminderJob, remediationProgressFrom, type Comms } from './comms/index.js'
import { createCustomers } from './customers/index.js'
import { createExposure, type Exposure } from './exposure/index.js'
import { createHunt, logHuntJob, type QueuedLogHunt } from './hunt/index.js'
import { createIdempotency } from './idempotency/index.js'
import { createIncidents } from './incidents/index.js'
import { createIntel } from './intel/index.js'
import { createInventory } from './inventory/index.js'
import { connectDatabase } from './db/connect.js'
import { migrateToLatest, type MigrationReport } from './db/migrate.js'
import { buildServer } from './http/server.js'
import { createJobs, type JobHandler, type Worker } from './jobs/index.js'
import { createNotifications, deliveryJobType } from './notifications/index.js'
import { createRemediation, overdueRemindersJob, raiseAlertJob } from './remediation/index.js'
import { allTenants, systemActor } from './shared/actor.js'
import { systemClock, type Clock } from './shared/clock.js'

/** The composition root: the only place that builds modules and connects them. */

export const version: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version

export interface ServiceOptions {
  clock?: Clock
  logger?: Logger
  /** Apply pending migrations first (the default). `cordon migrate` reports them itself. */
  migrate?: boolean
}

export type Services = Awaited<ReturnType<typeof createServices>>

/** Every module, wired onto one database. Used by the server, the worker and the CLI alike. */
export async function createServices(config: Config, options: ServiceOptions = {}) {
  const logger = options.logger ?? pino({ level: config.logLevel })
  const database = connectDatabase(config.database)
  let migrations: MigrationReport | undefined
  try {
    if (options.migrate !== false) migrations = await migrateToLatest(database.db)
  } catch (error) {
    await database.close()
    throw error
  }
  const db = database.db
  const clock = options.clock ?? systemClock
  const audit = createAudit({ db, clock })
  // Customers name their account owners, who are access's users; access scopes by customers.
  let access: Access | undefined
  const customers = createCustomers({ db, clock, audit, checkAccountOwner: async (userId) => void (await access!.requireStaffUser(userId, 'accountOwnerId')) })
  access = createAccess({ db, clock, audit, customers })
  const inventory = createInventory({ db, clock, audit, customers })
  // Exposure follows both sides inside their transactions: a new advisory is matched against the
  // catalog as it is imported, and an inventory import's new catalog entries and changed endpoints
  // are matched and reconciled before it commits.
  let exposure: Exposure | undefined
  const intel = createIntel({ db, clock, audit, onAdvisoriesChanged: (trx, advisoryIds) => exposure!.followAdvisories(trx, advisoryIds) })
  const exposureService = createExposure({ db, clock, audit, inventory, intel })
  exposure = exposureService
  inventory.followImports(exposureService.followImport)
  const jobs = createJobs({ db, clock, audit, logger: logger.child({ module: 'jobs' }) })
  const hunt = createHunt({ db, clock, audit, customers, intel, inventory, jobs, dataDir: config.dataDir })
  const incidents = createIncidents({ db, clock, audit, access, customers, intel })
  const mail = config.mail ?? defaultMailConfig
  const notifications = createNotifications({ db, clock, audit, jobs, mail: { url: mail.smtpUrl, from: mail.from }, resolveCustomer: (reference) => customers.resolve(allTenants, reference) })
  const idempotency = createIdempotency({ db, clock })
  const alerting = createAlerting({ db, clock, audit, jobs, access, incidents, notifications, rateLimit: config.alertRate ?? defaultAlertRate })
  // Remediation's metrics read when customers were told from comms, which reads remediation's progress back.
  let comms: Comms | undefined
  const remediation = createRemediation({
    db,
    clock,
    audit,
    customers,
    inventory,
    intel,
    exposure: exposureService,
    incidents,
    notifications,
    jobs,
    alerting,
    idempotency,
    noticeTimes: (campaign) => comms!.noticeTimes({ incidentId: campaign.incidentId, advisoryIds: campaign.advisoryIds }),
  })
  comms = createComms({
    db,
    clock,
    audit,
    customers,
    access,
    intel,
    exposure: exposureService,
    hunt,
    incidents,
    notifications,
    jobs,
    idempotency,
    linkBase: publicUrlOf(config),
    remediationProgress: remediationProgressFrom(remediation),
  })
  // After exposure's follower: remediation reads the findings exposure has just reconciled.
  inventory.followImports(remediation.followImport)
  // The advisories Cordon ships with, once the schema is current; unchanged ones are skipped.
  if (options.migrate !== false) await intel.loadBundled(systemActor)
  // The playbooks Cordon ships with, likewise.
  if (options.migrate !== false) await incidents.loadBundledPlaybooks(systemActor)
  // The notice template Cordon ships with, likewise.
  if (options.migrate !== false) await comms.loadDefaultTemplate(systemActor)

  /** The job types this build knows how to run. Modules add theirs here as they gain background work. */
  const jobHandlers: Record<string, JobHandler> = {
    'exposure.expire-acceptances': async () => {
      await exposureService.expireAcceptances()
    },
    [logHuntJob]: async (job) => {
      await hunt.runQueued(job.payload as QueuedLogHunt)
    },
    [deliveryJobType]: notifications.deliver,
    [escalateJob]: alerting.escalate,
    [quietJob]: alerting.resolveQuiet,
    [raiseAlertJob]: remediation.raiseAlert,
    [overdueRemindersJob]: remediation.remindOverdue,
    [reminderJob]: comms.remind,
  }

  return {
    config,
    logger,
    database,
    migrations,
    clock,
    audit,
    customers,
    access,
    inventory,
    exposure: exposureService,
    intel,
    hunt,
    incidents,
    jobs,
    notifications,
    alerting,
    remediation,
    comms,
    jobHandlers,
    checkDatabase: async () => {
      await sql`select 1`.execute(db)
    },
    close: () => database.close(),
  }
}

/** Recurring work every installation runs. A schedule changed by hand keeps its timing. */
export const defaultSchedules = [
  { name: 'exposure.expire-acceptances', type: 'exposure.expire-acceptances', cron: '*/15 * * * *' },
  { name: overdueRemindersJob, type: overdueRemindersJob, cron: '0 8 * * *' },
] as const

/**
 * Declares the default schedules that are missing; `cordon serve` and `cordon worker` call it at
 * start. One removed by hand comes back at the next start: change its time instead.
 */
export async function ensureDefaultSchedules(services: Pick<Services, 'jobs'>): Promise<string[]> {
  const existing = new Set((await services.jobs.listSchedules()).map((schedule) => schedule.name))
  const added: string[] = []
  for (const schedule of defaultSchedules) {
    if (existing.has(schedule.name)) continue
    await services.jobs.schedule(systemActor, { ...schedule, timezone: 'UTC' })
    added.push(schedule.name)
  }
  return added
}

export interface App {
  services: Services
  server: Awaited<ReturnType<typeof buildServer>>
  /** Start a job worker in this process (`cordon serve` does, unless told not to). */
  startWorker(): Worker
  /** Stop taking requests and jobs, let in-flight ones finish, then close the database. */
  close(): Promise<void>
}

export async function createApp(config: Config, options: ServiceOptions = {}): Promise<App> {
  const services = await createServices(config, options)
  const server = await buildServer({
    version,
    logger: services.logger,
    checkDatabase: services.checkDatabase,
    access: services.access,
    audit: services.audit,
    customers: services.customers,
    inventory: services.inventory,
    exposure: services.exposure,
    intel: services.intel,
    hunt: services.hunt,
    incidents: services.incidents,
    jobs: services.jobs,
    notifications: services.notifications,
    alerting: services.alerting,
    remediation: services.remediation,
    comms: services.comms,
  })
  let worker: Worker | undefined
  let closing: Promise<void> | undefined
  return {
    services,
    server,
    startWorker() {
      worker ??= services.jobs.createWorker({ handlers: services.jobHandlers, concurrency: config.worker.concurrency })
      worker.start()
      return worker
    },
    close() {
      closing ??= (async () => {
        await Promise.all([server.app.close(), worker?.stop({ timeoutMs: 30_000 })])
        await services.close()
      })()
      return closing
    },
  }
}
