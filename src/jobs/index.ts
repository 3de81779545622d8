// Background jobs: a durable queue in the database (leases, retries with backoff, dead jobs),
// recurring cron schedules, and the worker loop that runs handlers in any number of processes.
// It does not know what any job does: modules register handlers by job type, and the HTTP and
// CLI doors (routes.ts, cli.ts) only call what is exported here.
export { createJobs, type Jobs, type JobsDeps } from './service.js'
export type { Worker, WorkerOptions } from './worker.js'
export {
  jobStatuses,
  isJobStatus,
  type BackoffPolicy,
  type EnqueueInput,
  type Job,
  type JobCommit,
  type JobContext,
  type JobHandler,
  type JobListQuery,
  type JobLogger,
  type JobStatus,
  type Schedule,
  type ScheduleInput,
} from './model.js'
export { jobRoutes } from './routes.js'
