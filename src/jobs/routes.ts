import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { requireActor } from '../shared/actor.js'
import { IdParam, NullableTimestamp, PageOf, PageQuery, Timestamp } from '../shared/schemas.js'
import { jobStatuses } from './model.js'
import type { Jobs } from './service.js'

const JobSchema = Type.Object({
  id: Type.String(),
  type: Type.String(),
  payload: Type.Unknown(),
  status: Type.Enum([...jobStatuses]),
  key: Type.Union([Type.String(), Type.Null()]),
  priority: Type.Integer(),
  runAt: Timestamp,
  attempts: Type.Integer(),
  maxAttempts: Type.Integer(),
  leaseOwner: Type.Union([Type.String(), Type.Null()]),
  leaseUntil: NullableTimestamp,
  lastError: Type.Union([Type.String(), Type.Null()]),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  finishedAt: NullableTimestamp,
})

const ScheduleSchema = Type.Object({
  name: Type.String(),
  type: Type.String(),
  payload: Type.Unknown(),
  cron: Type.String(),
  timezone: Type.String(),
  nextRunAt: Timestamp,
  lastRunAt: NullableTimestamp,
  pausedAt: NullableTimestamp,
  createdAt: Timestamp,
  updatedAt: Timestamp,
})

const tags = ['jobs']

/** The background job queue: what is waiting, what died, and putting dead jobs back. Staff only. */
export const jobRoutes: FastifyPluginAsyncTypebox<{ jobs: Jobs }> = async (app, { jobs }) => {
  app.get(
    '/jobs',
    {
      config: { access: { role: 'viewer' } },
      schema: {
        tags,
        summary: 'List jobs, newest first; status=dead lists the jobs that used up their attempts',
        querystring: Type.Object({ ...PageQuery, status: Type.Optional(Type.Enum([...jobStatuses])), type: Type.Optional(Type.String({ maxLength: 200 })) }),
        response: { 200: PageOf(JobSchema) },
      },
    },
    async (request) => jobs.list(request.query),
  )

  app.get(
    '/jobs/counts',
    {
      config: { access: { role: 'viewer' } },
      schema: { tags, summary: 'How many jobs are in each state', response: { 200: Type.Record(Type.String(), Type.Integer()) } },
    },
    async () => jobs.counts(),
  )

  app.get(
    '/jobs/:jobId',
    {
      config: { access: { role: 'viewer' } },
      schema: { tags, summary: 'Get a job', params: Type.Object({ jobId: IdParam }), response: { 200: JobSchema } },
    },
    async (request) => jobs.get(request.params.jobId),
  )

  app.post(
    '/jobs/:jobId/retry',
    {
      config: { access: { role: 'admin' } },
      schema: { tags, summary: 'Put a dead job back in the queue with fresh attempts', params: Type.Object({ jobId: IdParam }), response: { 200: JobSchema } },
    },
    async (request) => jobs.retry(requireActor(request.actor), request.params.jobId),
  )

  app.get(
    '/schedules',
    {
      config: { access: { role: 'viewer' } },
      schema: { tags, summary: 'Recurring job schedules', response: { 200: Type.Object({ items: Type.Array(ScheduleSchema) }) } },
    },
    async () => ({ items: await jobs.listSchedules() }),
  )
}
