import type { Command } from 'commander'
import type { CliDoor } from '../cli/door.js'
import { AppError } from '../shared/errors.js'
import { isJobStatus, jobStatuses, type Job } from './model.js'

/** `cordon jobs …`: inspect the queue and put dead jobs back. */
export function registerJobCommands(program: Command, door: CliDoor): void {
  const jobs = program.command('jobs').description('the background job queue')

  door
    .common(jobs.command('list').description('list jobs, newest first, with counts per state'))
    .option('--status <status>', `only jobs in this state (${jobStatuses.join(', ')})`)
    .option('--type <type>', 'only jobs of this type')
    .option('--limit <n>', 'how many', '50')
    .action(
      door.action(async ({ services }, _args, options) => {
        const status = options.status as string | undefined
        if (status !== undefined && !isJobStatus(status)) {
          throw new AppError('invalid', `--status must be one of ${jobStatuses.join(', ')}`, { problems: [{ field: '--status', message: 'unknown state' }] })
        }
        const limit = door.pageSize(options.limit)
        const [page, counts] = await Promise.all([
          services.jobs.list({ ...(status && { status }), ...(typeof options.type === 'string' && { type: options.type }), limit }),
          services.jobs.counts(),
        ])
        const human = [
          jobStatuses.map((s) => `${s}: ${counts[s]}`).join('  '),
          '',
          door.table<Job>(page.items, [
            ['id', (j) => j.id],
            ['type', (j) => j.type],
            ['status', (j) => j.status],
            ['attempts', (j) => `${j.attempts}/${j.maxAttempts}`],
            ['run at', (j) => j.runAt],
            ['last error', (j) => j.lastError?.slice(0, 80)],
          ]),
        ].join('\n')
        return { data: { ...page, counts }, human }
      }),
    )

  door
    .common(jobs.command('show').argument('<jobId>').description('show one job'))
    .action(
      door.action(async ({ services }, [id]) => {
        const job = await services.jobs.get(id!)
        return {
          data: job,
          human: door.fields([
            ['id', job.id],
            ['type', job.type],
            ['status', job.status],
            ['attempts', `${job.attempts}/${job.maxAttempts}`],
            ['run at', job.runAt],
            ['lease', job.leaseOwner ? `${job.leaseOwner} until ${job.leaseUntil}` : null],
            ['last error', job.lastError],
            ['created', job.createdAt],
            ['finished', job.finishedAt],
            ['payload', JSON.stringify(job.payload)],
          ]),
        }
      }),
    )

  door
    .common(jobs.command('retry').argument('<jobId>').description('put a dead job back in the queue with fresh attempts'))
    .action(
      door.action(async ({ services, actor }, [id]) => {
        const job = await services.jobs.retry(actor, id!)
        return { data: job, human: `job ${job.id} (${job.type}) queued again` }
      }),
    )

  door.common(jobs.command('schedules').description('recurring job schedules')).action(
    door.action(async ({ services }) => {
      const schedules = await services.jobs.listSchedules()
      return {
        data: { items: schedules },
        human: door.table(schedules, [
          ['name', (s) => s.name],
          ['type', (s) => s.type],
          ['cron', (s) => `${s.cron} (${s.timezone})`],
          ['next run', (s) => s.nextRunAt],
          ['last run', (s) => s.lastRunAt],
        ]),
      }
    }),
  )
}
