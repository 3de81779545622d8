import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { requireActor } from '../shared/actor.js'
import { IdParam, Nullable, NullableTimestamp, PageOf, PageQuery, Timestamp } from '../shared/schemas.js'
import { findingStatuses, resolutions, TriageSchema } from './model.js'
import type { Exposure } from './service.js'

const FindingSchema = Type.Object({
  id: Type.String(),
  endpointId: Type.String(),
  customerId: Type.String(),
  advisoryId: Type.String(),
  catalogId: Type.Integer(),
  hostname: Nullable(Type.String()),
  endpoint: Type.String(),
  vendor: Type.String(),
  product: Type.String(),
  version: Type.String(),
  platform: Type.String(),
  status: Type.Enum([...findingStatuses]),
  detectedAt: Timestamp,
  installedSince: Timestamp,
  resolvedAt: NullableTimestamp,
  resolution: Type.Union([Type.Enum([...resolutions]), Type.Null()]),
  evidence: Type.Union([Type.Object({ importId: Type.Optional(Type.String()), observedAt: Type.Optional(Type.String()), reason: Type.Optional(Type.String()) }), Type.Null()]),
  reopenedCount: Type.Integer(),
  reopenedAt: NullableTimestamp,
  triageReason: Nullable(Type.String()),
  acceptedUntil: NullableTimestamp,
  triagedBy: Nullable(Type.String()),
  triagedAt: NullableTimestamp,
  updatedAt: Timestamp,
})

const FindingWithEventsSchema = Type.Object({
  ...FindingSchema.properties,
  events: Type.Array(Type.Object({ at: Timestamp, event: Type.String(), detail: Type.Record(Type.String(), Type.Unknown()) })),
})

const ExposureSchema = Type.Object({
  advisory: Type.String(),
  customers: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      openFindings: Type.Integer(),
      endpoints: Type.Array(Type.Object({ id: Type.String(), hostname: Nullable(Type.String()), identifier: Type.String(), product: Type.String(), version: Type.String(), platform: Type.String() })),
    }),
  ),
})

const tags = ['exposure']

/** Who is affected: per advisory, per customer, per finding. Customer tokens see their own findings only. */
export const exposureRoutes: FastifyPluginAsyncTypebox<{ exposure: Exposure }> = async (app, { exposure }) => {
  app.get(
    '/advisories/:advisoryId/exposure',
    {
      config: { access: { role: 'viewer', customers: true } },
      schema: { tags, summary: 'The customers and endpoints an advisory affects (open findings)', params: Type.Object({ advisoryId: IdParam }), response: { 200: ExposureSchema } },
    },
    async (request) => exposure.exposureOf(requireActor(request.actor).scope, request.params.advisoryId),
  )

  app.get(
    '/findings',
    {
      config: { access: { role: 'viewer', customers: true } },
      schema: {
        tags,
        summary: 'Findings, oldest first',
        querystring: Type.Object({
          ...PageQuery,
          advisoryId: Type.Optional(IdParam),
          customerId: Type.Optional(IdParam),
          endpointId: Type.Optional(IdParam),
          status: Type.Optional(Type.Array(Type.Enum([...findingStatuses]), { maxItems: 4 })),
        }),
        response: { 200: PageOf(FindingSchema) },
      },
    },
    async (request) => exposure.listFindings(requireActor(request.actor).scope, request.query),
  )

  app.get(
    '/customers/:customerId/findings',
    {
      config: { access: { role: 'viewer', customers: true } },
      schema: {
        tags,
        summary: "A customer's open findings",
        params: Type.Object({ customerId: IdParam }),
        querystring: Type.Object(PageQuery),
        response: { 200: PageOf(FindingSchema) },
      },
    },
    async (request) => exposure.listFindings(requireActor(request.actor).scope, { ...request.query, customerId: request.params.customerId, status: ['open'] }),
  )

  app.get(
    '/findings/:findingId',
    {
      config: { access: { role: 'viewer', customers: true } },
      schema: { tags, summary: 'A finding with its history', params: Type.Object({ findingId: IdParam }), response: { 200: FindingWithEventsSchema } },
    },
    async (request) => exposure.getFinding(requireActor(request.actor).scope, request.params.findingId),
  )

  app.post(
    '/findings/:findingId/triage',
    {
      config: { access: { role: 'responder' } },
      schema: { tags, summary: 'Accept the risk until a date, mark a false positive, or reopen', params: Type.Object({ findingId: IdParam }), body: TriageSchema, response: { 200: FindingSchema } },
    },
    async (request) => exposure.triage(requireActor(request.actor), request.params.findingId, request.body),
  )

  app.post(
    '/exposure/rematch',
    {
      config: { access: { role: 'admin' } },
      schema: {
        tags,
        summary: 'Match every advisory against the whole catalog again',
        response: {
          200: Type.Object({
            advisories: Type.Integer(), catalogEntries: Type.Integer(), matches: Type.Integer(), added: Type.Integer(), removed: Type.Integer(),
            opened: Type.Integer(), resolved: Type.Integer(), reopened: Type.Integer(), durationMs: Type.Number(),
          }),
        },
      },
    },
    async (request) => exposure.rematchAll(requireActor(request.actor)),
  )
}
