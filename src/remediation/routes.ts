import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { requireActor } from '../shared/actor.js'
import { IdempotencyHeaders, IdParam, Nullable, NullableTimestamp, PageOf, PageQuery, Timestamp } from '../shared/schemas.js'
import { uploadedStream } from '../shared/upload.js'
import { actionKinds, CampaignInputSchema, scanResults, TaskPatchSchema, taskStates } from './model.js'
import { scanFormats } from './scans.js'
import type { Remediation } from './service.js'

const ActionSchema = Type.Object({ kind: Type.Enum([...actionKinds]), product: Type.Optional(Type.String()), version: Type.Optional(Type.String()), title: Type.Optional(Type.String()) })

const CampaignSchema = Type.Object({
  id: Type.String(),
  title: Type.String(),
  advisoryIds: Type.Array(Type.String()),
  incidentId: Nullable(Type.String()),
  actions: Type.Array(ActionSchema),
  deadline: NullableTimestamp,
  createdBy: Type.String(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
})

const TaskSchema = Type.Object({
  id: Type.String(),
  campaignId: Type.String(),
  customerId: Type.String(),
  endpointId: Type.String(),
  hostname: Nullable(Type.String()),
  endpoint: Type.String(),
  actionIndex: Type.Integer(),
  action: Type.Enum([...actionKinds]),
  product: Nullable(Type.String()),
  targetVersion: Nullable(Type.String()),
  title: Type.String(),
  state: Type.Enum([...taskStates]),
  stateAt: Timestamp,
  evidence: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], { description: 'The import, scan or person behind the state.' }),
  exemptReason: Nullable(Type.String()),
  exemptApprover: Nullable(Type.String()),
  reopenedCount: Type.Integer(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
})

const Counts = {
  total: Type.Integer(),
  pending: Type.Integer(),
  inProgress: Type.Integer(),
  doneVerified: Type.Integer(),
  doneAttested: Type.Integer(),
  exempted: Type.Integer(),
  overdue: Type.Integer(),
  percentVerified: Type.Number(),
  percentDone: Type.Number(),
  endpoints: Type.Integer(),
  allClearAt: NullableTimestamp,
}

const ProgressSchema = Type.Object({
  campaignId: Type.String(),
  deadline: NullableTimestamp,
  overall: Type.Object(Counts),
  customers: Type.Array(Type.Object({ customerId: Type.String(), customerName: Type.String(), ...Counts })),
})

const NullableSeconds = Type.Union([Type.Integer(), Type.Null()])
const MetricsSchema = Type.Object({
  campaignId: Type.String(),
  startedAt: Timestamp,
  customers: Type.Array(
    Type.Object({
      customerId: Type.String(),
      customerName: Type.String(),
      tasks: Type.Integer(),
      open: Type.Integer(),
      notifiedAt: NullableTimestamp,
      acknowledgedAt: NullableTimestamp,
      allClearAt: NullableTimestamp,
      secondsToNotify: NullableSeconds,
      secondsToAcknowledge: NullableSeconds,
      secondsToAllClear: NullableSeconds,
    }),
  ),
  overall: Type.Object({ allClearAt: NullableTimestamp, secondsToAllClear: NullableSeconds }),
})

const ScanReportSchema = Type.Object({
  importId: Type.String(),
  scans: Type.Integer(),
  attested: Type.Integer(),
  infected: Type.Integer(),
  results: Type.Array(Type.Object({ scanId: Type.String(), host: Type.String(), endpointId: Type.String(), result: Type.Enum([...scanResults]), infectedFiles: Type.Integer(), attestedTasks: Type.Array(Type.String()) })),
})

const CampaignParams = Type.Object({ campaignId: IdParam })
const uploadTypes = ['text/plain', 'text/csv', 'application/octet-stream']
const tags = ['remediation']
const staff = { role: 'responder' } as const
const readers = { role: 'viewer', customers: true } as const

/** Campaigns, their tasks, progress and export, and antivirus scan uploads. Customer tokens read their own customers' tasks only. */
export const remediationRoutes: FastifyPluginAsyncTypebox<{ remediation: Remediation }> = async (app, { remediation }) => {
  app.get(
    '/campaigns',
    { config: { access: readers }, schema: { tags, summary: 'Remediation campaigns, newest first', querystring: Type.Object(PageQuery), response: { 200: PageOf(CampaignSchema) } } },
    async (request) => remediation.listCampaigns(requireActor(request.actor).scope, request.query),
  )

  app.post(
    '/campaigns',
    {
      config: { access: staff },
      schema: { tags, summary: "Start a campaign over an advisory's (or an incident's advisories') affected endpoints", headers: IdempotencyHeaders, body: CampaignInputSchema, response: { 201: CampaignSchema } },
    },
    async (request, reply) => reply.code(201).send(await remediation.createCampaign(requireActor(request.actor), request.body, { idempotencyKey: request.headers['idempotency-key'] })),
  )

  app.get(
    '/campaigns/:campaignId',
    { config: { access: readers }, schema: { tags, summary: 'A campaign', params: CampaignParams, response: { 200: CampaignSchema } } },
    async (request) => remediation.getCampaign(requireActor(request.actor).scope, request.params.campaignId),
  )

  app.get(
    '/campaigns/:campaignId/tasks',
    {
      config: { access: readers },
      schema: {
        tags,
        summary: "A campaign's tasks with their evidence",
        params: CampaignParams,
        querystring: Type.Object({ ...PageQuery, customerId: Type.Optional(IdParam), endpointId: Type.Optional(IdParam), state: Type.Optional(Type.Array(Type.Enum([...taskStates]))) }),
        response: { 200: PageOf(TaskSchema) },
      },
    },
    async (request) => remediation.listTasks(requireActor(request.actor).scope, request.params.campaignId, request.query),
  )

  app.get(
    '/campaigns/:campaignId/progress',
    { config: { access: readers }, schema: { tags, summary: 'Counts by state, percent verified and overdue, overall and per customer', params: CampaignParams, response: { 200: ProgressSchema } } },
    async (request) => remediation.progress(requireActor(request.actor).scope, request.params.campaignId),
  )

  app.get(
    '/campaigns/:campaignId/metrics',
    {
      config: { access: readers },
      schema: { tags, summary: 'Per customer: when it was notified, acknowledged and all clear, and the seconds from the campaign’s start to each', params: CampaignParams, response: { 200: MetricsSchema } },
    },
    async (request) => remediation.metrics(requireActor(request.actor).scope, request.params.campaignId),
  )

  app.get(
    '/campaigns/:campaignId/export.csv',
    {
      config: { access: readers },
      schema: {
        tags,
        summary: 'The campaign as CSV: one row per task, or per customer with metrics',
        params: CampaignParams,
        querystring: Type.Object({ of: Type.Optional(Type.Enum(['tasks', 'customers'])) }),
        response: { 200: { description: 'CSV with a header line', content: { 'text/csv': { schema: Type.String() } } } },
      },
    },
    async (request, reply) => {
      const scope = requireActor(request.actor).scope
      const text = request.query.of === 'customers' ? await remediation.exportMetricsCsv(scope, request.params.campaignId) : await remediation.exportCsv(scope, request.params.campaignId)
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="campaign-${request.params.campaignId}.csv"`).send(text)
    },
  )

  app.patch(
    '/campaigns/:campaignId/tasks/:taskId',
    { config: { access: staff }, schema: { tags, summary: 'Start, attest or exempt a task', params: Type.Object({ campaignId: IdParam, taskId: IdParam }), body: TaskPatchSchema, response: { 200: TaskSchema } } },
    async (request) => remediation.updateTask(requireActor(request.actor), request.params.campaignId, request.params.taskId, request.body),
  )

  await app.register(async (plugin) => {
    const upload = plugin.withTypeProvider<TypeBoxTypeProvider>()
    // The body is the report, streamed to the parser; nothing is written until all of it parsed.
    upload.addContentTypeParser(uploadTypes, (_request, payload, done) => done(null, payload))
    upload.post(
      '/avscans',
      {
        config: { access: staff },
        schema: {
          tags,
          summary: 'Import an antivirus scan report (clamscan log or scan CSV); clean scans attest av_scan tasks',
          description: `The request body is the report, sent as one of: ${uploadTypes.join(', ')}.`,
          querystring: Type.Object({
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
            format: Type.Optional(Type.Enum([...scanFormats])),
            endpoint: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
            customer: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          }),
          response: { 200: ScanReportSchema },
        },
      },
      async (request) => {
        const { query } = request
        return remediation.importScans(requireActor(request.actor), { inputs: [{ name: query.name ?? 'upload', bytes: uploadedStream(request.body, uploadTypes) }], format: query.format, endpoint: query.endpoint, customer: query.customer })
      },
    )
  })
}
