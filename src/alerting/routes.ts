import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { requireActor } from '../shared/actor.js'
import { AppError } from '../shared/errors.js'
import { IdParam, Nullable, NullableTimestamp, PageOf, PageQuery, Timestamp } from '../shared/schemas.js'
import {
  AlertInputSchema,
  EscalationStepSchema,
  IntegrationInputSchema,
  PolicyInputSchema,
  RouteConditionsSchema,
  RouteIncidentSchema,
  RouteInputSchema,
  alertSeverities,
  alertStatuses,
  integrationKinds,
  resolutions,
} from './model.js'
import type { Alerting } from './service.js'

const AlertSchema = Type.Object({
  id: Type.String(),
  dedupKey: Type.String(),
  status: Type.Enum([...alertStatuses]),
  source: Type.String(),
  summary: Type.String(),
  severity: Type.Enum([...alertSeverities]),
  customerId: Nullable(Type.String()),
  labels: Type.Record(Type.String(), Type.String()),
  details: Type.Record(Type.String(), Type.Unknown()),
  count: Type.Integer(),
  firstSeenAt: Timestamp,
  lastSeenAt: Timestamp,
  acknowledgedAt: NullableTimestamp,
  acknowledgedBy: Nullable(Type.String()),
  resolvedAt: NullableTimestamp,
  resolvedBy: Nullable(Type.String()),
  resolution: Nullable(Type.Enum([...resolutions])),
  routeId: Nullable(Type.String()),
  policyId: Nullable(Type.String()),
  groupKey: Nullable(Type.String()),
  groupLeaderId: Nullable(Type.String()),
  incidentId: Nullable(Type.String()),
  createdAt: Timestamp,
  updatedAt: Timestamp,
})

const PageSchema = Type.Object({
  id: Type.String(),
  round: Type.Integer(),
  step: Type.Integer(),
  target: Type.Object({ kind: Type.String(), id: Type.String() }),
  userId: Nullable(Type.String()),
  notificationId: Nullable(Type.String()),
  outcome: Type.String({ description: 'paged, nobody_on_call, user_disabled or not_found' }),
  createdAt: Timestamp,
})

const IntakeResultSchema = Type.Object({
  alertId: Nullable(Type.String()),
  dedupKey: Type.String(),
  status: Nullable(Type.Enum([...alertStatuses])),
  count: Type.Integer(),
  outcome: Type.Enum(['created', 'deduplicated', 'updated', 'ignored']),
  incidentId: Nullable(Type.String()),
})

const IntegrationSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: Type.Enum([...integrationKinds]),
  source: Type.String(),
  customerId: Nullable(Type.String()),
  createdAt: Timestamp,
  disabledAt: NullableTimestamp,
})

const RouteSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  position: Type.Integer(),
  conditions: RouteConditionsSchema,
  policyId: Nullable(Type.String()),
  incident: RouteIncidentSchema,
  groupBy: Type.Array(Type.String()),
  groupWindowSeconds: Type.Integer(),
  autoResolveMinutes: Nullable(Type.Integer()),
  createdAt: Timestamp,
  updatedAt: Timestamp,
})

const PolicySchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  steps: Type.Array(EscalationStepSchema),
  repeats: Type.Integer(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
})

const ScheduleSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  definition: Type.Unknown({ description: 'timezone, layers (start, rotation, users, restrictions), allowGaps' }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
})

const ScheduleInput = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 200 }), definition: Type.Unknown({ description: 'timezone, layers (start, rotation, users, restrictions), allowGaps' }) },
  { additionalProperties: false },
)

const ShiftSchema = Type.Object({ userId: Type.String(), start: Timestamp, end: Timestamp, layer: Nullable(Type.String()) })
const OnCallSchema = Type.Object({ schedule: Type.Object({ id: Type.String(), name: Type.String() }), at: Timestamp, shift: Nullable(ShiftSchema) })
const OverrideSchema = Type.Object({ id: Type.String(), scheduleId: Type.String(), userId: Type.String(), start: Timestamp, end: Timestamp, createdAt: Timestamp })

const IdempotencyHeaders = Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) })
const AtQuery = Type.Object({ at: Type.Optional(Type.String({ format: 'date-time', description: 'default: now' })) })

const tags = ['alerting']
const staffRead = { access: { role: 'viewer' as const } }
const staffWrite = { access: { role: 'responder' as const } }
const adminWrite = { access: { role: 'admin' as const } }
/** Alert bodies are small; a storm of large ones is refused before it is parsed. */
const alertBodyLimit = 256 * 1024

/** Alert intake (Cordon's own, PagerDuty, Alertmanager, Grafana), alert lifecycle, routing, escalation and on-call. Staff only. */
export const alertingRoutes: FastifyPluginAsyncTypebox<{ alerting: Alerting }> = async (app, { alerting }) => {
  // Alert bodies are JSON: anything else is 415 here, not a string that fails validation (this plugin's scope only).
  app.removeContentTypeParser('text/plain')
  app.post(
    '/alerts',
    {
      config: staffWrite,
      bodyLimit: alertBodyLimit,
      schema: {
        tags,
        summary: 'Send an alert event (trigger, acknowledge or resolve); a repeat of an open dedup key counts on it',
        description: 'Answers 202 once the event is committed. An `Idempotency-Key` header makes a retried request return the first answer and change nothing. 429 when the source is over its rate; nothing was stored.',
        headers: IdempotencyHeaders,
        body: AlertInputSchema,
        response: { 202: IntakeResultSchema },
      },
    },
    async (request, reply) => {
      const key = request.headers['idempotency-key']
      const result = await alerting.send(request.body, typeof key === 'string' ? { idempotencyKey: key } : {})
      return reply.code(202).send(result)
    },
  )

  app.post(
    '/integrations/pagerduty/enqueue',
    {
      config: { access: 'public' },
      bodyLimit: alertBodyLimit,
      schema: {
        tags,
        summary: "PagerDuty Events API v2: point a tool's PagerDuty events URL here; the routing key is a Cordon pagerduty integration key",
        headers: IdempotencyHeaders,
        body: Type.Unknown(),
        response: { 202: Type.Object({ status: Type.Literal('success'), message: Type.String(), dedup_key: Type.String() }) },
      },
    },
    async (request, reply) => {
      const key = request.headers['idempotency-key']
      const result = await alerting.sendPagerDuty(request.body, typeof key === 'string' ? { idempotencyKey: key } : {})
      return reply.code(202).send({ status: 'success' as const, message: 'Event processed', dedup_key: result.dedupKey })
    },
  )

  for (const kind of ['alertmanager', 'grafana'] as const) {
    app.post(
      `/integrations/${kind}`,
      {
        config: { access: 'public' },
        schema: {
          tags,
          summary: kind === 'alertmanager' ? 'Prometheus Alertmanager webhook receiver' : 'Grafana alerting webhook contact point',
          description: 'Authenticate with `Authorization: Bearer <integration key>` (or `?key=` where the sender cannot set headers). Firing alerts trigger, resolved ones resolve.',
          querystring: Type.Object({ key: Type.Optional(Type.String({ maxLength: 200 })) }),
          body: Type.Unknown(),
          response: { 202: Type.Object({ alerts: Type.Array(IntakeResultSchema) }) },
        },
      },
      async (request, reply) => {
        const header = request.headers.authorization
        const bearer = header ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined
        const key = bearer ?? request.query.key
        if (!key) throw new AppError('unauthenticated', 'an integration key is required (Authorization: Bearer <key>)')
        const results = await alerting.sendWebhook(kind, key, request.body)
        return reply.code(202).send({ alerts: results })
      },
    )
  }

  app.get(
    '/alerts',
    {
      config: staffRead,
      schema: {
        tags,
        summary: 'Alerts, newest first',
        querystring: Type.Object({
          ...PageQuery,
          status: Type.Optional(Type.Enum([...alertStatuses])),
          source: Type.Optional(Type.String({ maxLength: 255 })),
          customerId: Type.Optional(IdParam),
          incidentId: Type.Optional(IdParam),
        }),
        response: { 200: PageOf(AlertSchema) },
      },
    },
    async (request) => alerting.listAlerts(request.query),
  )

  app.get(
    '/alerts/:alertId',
    { config: staffRead, schema: { tags, summary: 'An alert and the pages it sent', params: Type.Object({ alertId: IdParam }), response: { 200: Type.Object({ ...AlertSchema.properties, pages: Type.Array(PageSchema) }) } } },
    async (request) => alerting.getAlert(request.params.alertId),
  )

  app.post(
    '/alerts/:alertId/acknowledge',
    { config: staffWrite, schema: { tags, summary: 'Acknowledge an alert: escalation stops', params: Type.Object({ alertId: IdParam }), response: { 200: AlertSchema } } },
    async (request) => alerting.acknowledge(requireActor(request.actor), request.params.alertId),
  )

  app.post(
    '/alerts/:alertId/resolve',
    { config: staffWrite, schema: { tags, summary: 'Resolve an alert by hand', params: Type.Object({ alertId: IdParam }), response: { 200: AlertSchema } } },
    async (request) => alerting.resolve(requireActor(request.actor), request.params.alertId),
  )

  // ——— integrations ———

  app.get('/alert-integrations', { config: staffRead, schema: { tags, summary: 'Integrations that send alerts', response: { 200: Type.Array(IntegrationSchema) } } }, async () => alerting.listIntegrations())

  app.post(
    '/alert-integrations',
    { config: adminWrite, schema: { tags, summary: 'Create an integration; its key is shown once', body: IntegrationInputSchema, response: { 201: Type.Object({ integration: IntegrationSchema, key: Type.String() }) } } },
    async (request, reply) => reply.code(201).send(await alerting.createIntegration(requireActor(request.actor), request.body)),
  )

  app.delete(
    '/alert-integrations/:integrationId',
    { config: adminWrite, schema: { tags, summary: 'Disable an integration: its key stops working', params: Type.Object({ integrationId: IdParam }), response: { 204: Type.Null() } } },
    async (request, reply) => {
      await alerting.disableIntegration(requireActor(request.actor), request.params.integrationId)
      return reply.code(204).send(null)
    },
  )

  // ——— routing rules ———

  app.get('/alert-routes', { config: staffRead, schema: { tags, summary: 'Routing rules, in the order they are tried', response: { 200: Type.Array(RouteSchema) } } }, async () => alerting.listRoutes())

  app.post(
    '/alert-routes',
    { config: adminWrite, schema: { tags, summary: 'Create a routing rule', body: RouteInputSchema, response: { 201: RouteSchema } } },
    async (request, reply) => reply.code(201).send(await alerting.saveRoute(requireActor(request.actor), request.body)),
  )

  app.get('/alert-routes/:routeId', { config: staffRead, schema: { tags, summary: 'A routing rule', params: Type.Object({ routeId: IdParam }), response: { 200: RouteSchema } } }, async (request) =>
    alerting.getRoute(request.params.routeId),
  )

  app.put(
    '/alert-routes/:routeId',
    { config: adminWrite, schema: { tags, summary: 'Replace a routing rule', params: Type.Object({ routeId: IdParam }), body: RouteInputSchema, response: { 200: RouteSchema } } },
    async (request) => alerting.saveRoute(requireActor(request.actor), request.body, request.params.routeId),
  )

  app.delete(
    '/alert-routes/:routeId',
    { config: adminWrite, schema: { tags, summary: 'Remove a routing rule', params: Type.Object({ routeId: IdParam }), response: { 204: Type.Null() } } },
    async (request, reply) => {
      await alerting.removeRoute(requireActor(request.actor), request.params.routeId)
      return reply.code(204).send(null)
    },
  )

  // ——— escalation policies ———

  app.get('/escalation-policies', { config: staffRead, schema: { tags, summary: 'Escalation policies', response: { 200: Type.Array(PolicySchema) } } }, async () => alerting.listPolicies())

  app.post(
    '/escalation-policies',
    { config: adminWrite, schema: { tags, summary: 'Create an escalation policy', body: PolicyInputSchema, response: { 201: PolicySchema } } },
    async (request, reply) => reply.code(201).send(await alerting.savePolicy(requireActor(request.actor), request.body)),
  )

  app.get(
    '/escalation-policies/:policyId',
    { config: staffRead, schema: { tags, summary: 'An escalation policy', params: Type.Object({ policyId: IdParam }), response: { 200: PolicySchema } } },
    async (request) => alerting.getPolicy(request.params.policyId),
  )

  app.put(
    '/escalation-policies/:policyId',
    { config: adminWrite, schema: { tags, summary: 'Replace an escalation policy', params: Type.Object({ policyId: IdParam }), body: PolicyInputSchema, response: { 200: PolicySchema } } },
    async (request) => alerting.savePolicy(requireActor(request.actor), request.body, request.params.policyId),
  )

  app.delete(
    '/escalation-policies/:policyId',
    { config: adminWrite, schema: { tags, summary: 'Remove an escalation policy no routing rule uses', params: Type.Object({ policyId: IdParam }), response: { 204: Type.Null() } } },
    async (request, reply) => {
      await alerting.removePolicy(requireActor(request.actor), request.params.policyId)
      return reply.code(204).send(null)
    },
  )

  // ——— schedules and on-call ———

  app.get('/oncall-schedules', { config: staffRead, schema: { tags, summary: 'On-call schedules', response: { 200: Type.Array(ScheduleSchema) } } }, async () => alerting.listSchedules())

  app.post(
    '/oncall-schedules',
    { config: adminWrite, schema: { tags, summary: 'Create an on-call schedule (gaps in coverage are refused unless allowGaps)', body: ScheduleInput, response: { 201: ScheduleSchema } } },
    async (request, reply) => reply.code(201).send(await alerting.saveSchedule(requireActor(request.actor), request.body)),
  )

  app.get('/oncall-schedules/:scheduleId', { config: staffRead, schema: { tags, summary: 'An on-call schedule', params: Type.Object({ scheduleId: IdParam }), response: { 200: ScheduleSchema } } }, async (request) =>
    alerting.getSchedule(request.params.scheduleId),
  )

  app.put(
    '/oncall-schedules/:scheduleId',
    { config: adminWrite, schema: { tags, summary: 'Replace an on-call schedule', params: Type.Object({ scheduleId: IdParam }), body: ScheduleInput, response: { 200: ScheduleSchema } } },
    async (request) => alerting.saveSchedule(requireActor(request.actor), request.body, request.params.scheduleId),
  )

  app.delete(
    '/oncall-schedules/:scheduleId',
    { config: adminWrite, schema: { tags, summary: 'Remove a schedule no escalation policy pages', params: Type.Object({ scheduleId: IdParam }), response: { 204: Type.Null() } } },
    async (request, reply) => {
      await alerting.removeSchedule(requireActor(request.actor), request.params.scheduleId)
      return reply.code(204).send(null)
    },
  )

  app.get(
    '/oncall-schedules/:scheduleId/oncall',
    { config: staffRead, schema: { tags, summary: 'Who is on call for this schedule at a time', params: Type.Object({ scheduleId: IdParam }), querystring: AtQuery, response: { 200: OnCallSchema } } },
    async (request) => alerting.onCall(request.params.scheduleId, timeOf(request.query.at)),
  )

  app.get(
    '/oncall-schedules/:scheduleId/shifts',
    {
      config: staffRead,
      schema: {
        tags,
        summary: 'The final schedule between two times (rotations, restrictions and overrides applied)',
        params: Type.Object({ scheduleId: IdParam }),
        querystring: Type.Object({ from: Type.String({ format: 'date-time' }), to: Type.String({ format: 'date-time' }) }),
        response: { 200: Type.Array(ShiftSchema) },
      },
    },
    async (request) => alerting.shifts(request.params.scheduleId, new Date(request.query.from), new Date(request.query.to)),
  )

  app.get(
    '/oncall-schedules/:scheduleId/overrides',
    { config: staffRead, schema: { tags, summary: 'Overrides that have not ended', params: Type.Object({ scheduleId: IdParam }), response: { 200: Type.Array(OverrideSchema) } } },
    async (request) => alerting.listOverrides(request.params.scheduleId),
  )

  app.post(
    '/oncall-schedules/:scheduleId/overrides',
    {
      config: staffWrite,
      schema: {
        tags,
        summary: 'Put someone on call instead, for a time',
        params: Type.Object({ scheduleId: IdParam }),
        body: Type.Object({ userId: IdParam, start: Type.String({ format: 'date-time' }), end: Type.String({ format: 'date-time' }) }, { additionalProperties: false }),
        response: { 201: OverrideSchema },
      },
    },
    async (request, reply) => reply.code(201).send(await alerting.addOverride(requireActor(request.actor), request.params.scheduleId, request.body)),
  )

  app.delete(
    '/oncall-schedules/:scheduleId/overrides/:overrideId',
    { config: staffWrite, schema: { tags, summary: 'Remove an override', params: Type.Object({ scheduleId: IdParam, overrideId: IdParam }), response: { 204: Type.Null() } } },
    async (request, reply) => {
      await alerting.removeOverride(requireActor(request.actor), request.params.scheduleId, request.params.overrideId)
      return reply.code(204).send(null)
    },
  )

  app.get(
    '/oncall',
    { config: staffRead, schema: { tags, summary: 'Who is on call at a time, for every schedule', querystring: AtQuery, response: { 200: Type.Array(OnCallSchema) } } },
    async (request) => alerting.onCallEverywhere(timeOf(request.query.at)),
  )
}

function timeOf(at: string | undefined): Date | undefined {
  return at === undefined ? undefined : new Date(at)
}
