// A job worker process for kill.test.ts, which starts three and SIGKILLs one mid-run.
// Its one handler, 'test.record', records which worker completed which job, in the
// transaction that marks the job succeeded. SIGTERM stops it cleanly (exit code 0).
// Environment: CORDON_JOBS_FIXTURE_DATABASE_URL (PostgreSQL) and CORDON_JOBS_FIXTURE_WORKER_ID.
import { sql } from 'kysely'
import { createAudit } from '../audit/index.js'
import { connectDatabase } from '../db/connect.js'
import { systemClock } from '../shared/clock.js'
import { createJobs, type JobLogger } from './index.js'

const url = process.env.CORDON_JOBS_FIXTURE_DATABASE_URL
const workerId = process.env.CORDON_JOBS_FIXTURE_WORKER_ID
if (!url || !workerId) throw new Error('set CORDON_JOBS_FIXTURE_DATABASE_URL and CORDON_JOBS_FIXTURE_WORKER_ID')

// Warnings and errors go to stderr, which the test shows when it fails.
const logger: JobLogger = {
  info: () => {},
  warn: (details, message) => process.stderr.write(`${workerId} warn: ${message ?? ''} ${JSON.stringify(details)}\n`),
  error: (details, message) => process.stderr.write(`${workerId} error: ${message ?? ''} ${JSON.stringify(details)}\n`),
}

const database = connectDatabase({ kind: 'postgres', url, poolSize: 6 })
const jobs = createJobs({ db: database.db, clock: systemClock, audit: createAudit({ db: database.db, clock: systemClock }), logger })
const worker = jobs.createWorker({
  workerId,
  concurrency: 4,
  leaseMs: 1500,
  pollIntervalMs: 50,
  handlers: {
    'test.record': async (job, context) => {
      await new Promise((resolve) => setTimeout(resolve, 3 + Math.floor(Math.random() * 5)))
      return async (trx) => {
        // job_test_runs exists only in the test's database, not in the schema types: raw SQL.
        await sql`insert into job_test_runs (job_id, worker) values (${job.id}, ${context.workerId})`.execute(trx)
      }
    },
  },
})

process.once('SIGTERM', () => {
  void (async () => {
    await worker.stop({ timeoutMs: 5000 })
    await database.close()
    // Nothing is left to keep the process alive: it exits with code 0 on its own.
  })()
})

worker.start()
process.stdout.write('ready\n')
