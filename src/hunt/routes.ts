import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { requireActor } from '../shared/actor.js'
import { IdParam, Nullable, NullableTimestamp, PageOf, PageQuery, Timestamp } from '../shared/schemas.js'
import { uploadedStream } from '../shared/upload.js'
import { logFormats, type JsonFields } from './logs/types.js'
import { huntKinds, huntStatuses } from './model.js'
import type { HuntService } from './service.js'

const HuntSchema = Type.Object({
  id: Type.String(),
  kind: Type.Enum([...huntKinds]),
  status: Type.Enum([...huntStatuses]),
  customerId: Nullable(Type.String()),
  actorId: Type.String(),
  inputs: Type.Array(Type.String()),
  startedAt: Timestamp,
  finishedAt: NullableTimestamp,
  report: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], { description: 'Logs: one report per input (bytes, lines, format, unparseable lines with samples, or the error). Files: the sweep totals and tampered PE files.' }),
  error: Nullable(Type.String()),
})

const SightingSchema = Type.Object({
  id: Type.String(),
  huntId: Type.String(),
  indicatorId: Type.String(),
  indicator: Type.String(),
  kind: Type.String(),
  value: Type.String(),
  customerId: Nullable(Type.String()),
  endpointId: Nullable(Type.String()),
  file: Type.String(),
  line: Nullable(Type.Integer()),
  seenAt: NullableTimestamp,
  client: Nullable(Type.String()),
  sha256: Nullable(Type.String()),
  detail: Nullable(Type.String()),
  createdAt: Timestamp,
})

const SummarySchema = Type.Object({
  indicators: Type.Array(
    Type.Object({ indicatorId: Type.String(), kind: Type.String(), value: Type.String(), sightings: Type.Integer(), customers: Type.Integer(), endpoints: Type.Integer(), firstSeen: NullableTimestamp, lastSeen: NullableTimestamp }),
  ),
  customers: Type.Array(Type.Object({ customerId: Nullable(Type.String()), sightings: Type.Integer(), indicators: Type.Integer(), endpoints: Type.Integer() })),
})

const NetworkSchema = Type.Object({ network: Type.String({ maxLength: 60 }), label: Type.Optional(Nullable(Type.String({ maxLength: 200 }))) })

const FieldPath = Type.String({ minLength: 1, maxLength: 200 })
const UploadQuery = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 300, description: 'the log file name, for sightings and messages' })),
  format: Type.Optional(Type.Enum([...logFormats])),
  customer: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'the customer whose log this is (id, external ref or name)' })),
  domainField: Type.Optional(FieldPath),
  urlField: Type.Optional(FieldPath),
  ipField: Type.Optional(FieldPath),
  clientField: Type.Optional(FieldPath),
  timestampField: Type.Optional(FieldPath),
})

const uploadTypes = ['application/octet-stream', 'text/plain', 'application/x-ndjson', 'application/jsonl', 'application/json', 'application/gzip', 'application/x-gzip']
const tags = ['hunt']

/** Hunts and their sightings; an uploaded log is hunted by a job. Customer tokens see their own only. */
export const huntRoutes: FastifyPluginAsyncTypebox<{ hunt: HuntService }> = async (app, { hunt }) => {
  app.get(
    '/hunts',
    { config: { access: { role: 'viewer', customers: true } }, schema: { tags, summary: 'Hunts, newest first', querystring: Type.Object(PageQuery), response: { 200: PageOf(HuntSchema) } } },
    async (request) => hunt.listHunts(requireActor(request.actor).scope, request.query),
  )

  app.get(
    '/hunts/:huntId',
    { config: { access: { role: 'viewer', customers: true } }, schema: { tags, summary: 'A hunt and its report', params: Type.Object({ huntId: IdParam }), response: { 200: HuntSchema } } },
    async (request) => hunt.getHunt(requireActor(request.actor).scope, request.params.huntId),
  )

  app.get(
    '/hunts/:huntId/sightings',
    {
      config: { access: { role: 'viewer', customers: true } },
      schema: { tags, summary: "A hunt's sightings, in the order found", params: Type.Object({ huntId: IdParam }), querystring: Type.Object(PageQuery), response: { 200: PageOf(SightingSchema) } },
    },
    async (request) => hunt.listSightings(requireActor(request.actor).scope, { ...request.query, huntId: request.params.huntId }),
  )

  app.get(
    '/sightings',
    {
      config: { access: { role: 'viewer', customers: true } },
      schema: {
        tags,
        summary: 'Sightings, oldest first',
        querystring: Type.Object({ ...PageQuery, huntId: Type.Optional(IdParam), customerId: Type.Optional(IdParam), indicatorId: Type.Optional(IdParam) }),
        response: { 200: PageOf(SightingSchema) },
      },
    },
    async (request) => hunt.listSightings(requireActor(request.actor).scope, request.query),
  )

  app.get(
    '/sightings/summary',
    {
      config: { access: { role: 'viewer', customers: true } },
      schema: { tags, summary: 'Sightings per indicator and per customer', querystring: Type.Object({ huntId: Type.Optional(IdParam) }), response: { 200: SummarySchema } },
    },
    async (request) => hunt.summary(requireActor(request.actor).scope, request.query.huntId),
  )

  app.get(
    '/customers/:customerId/networks',
    {
      config: { access: { role: 'viewer', customers: true } },
      schema: { tags, summary: "A customer's address ranges (they attribute log clients to it)", params: Type.Object({ customerId: IdParam }), response: { 200: Type.Array(NetworkSchema) } },
    },
    async (request) => hunt.listNetworks(requireActor(request.actor).scope, request.params.customerId),
  )

  app.put(
    '/customers/:customerId/networks',
    {
      config: { access: { role: 'responder' } },
      schema: {
        tags,
        summary: "Replace a customer's address ranges",
        params: Type.Object({ customerId: IdParam }),
        body: Type.Object({ networks: Type.Array(NetworkSchema, { maxItems: 10_000 }) }),
        response: { 200: Type.Array(NetworkSchema) },
      },
    },
    async (request) => hunt.setNetworks(requireActor(request.actor), request.params.customerId, request.body.networks),
  )

  await app.register(async (plugin) => {
    const upload = plugin.withTypeProvider<TypeBoxTypeProvider>()
    // The body is the log, streamed to disk; a job hunts it and the hunt's id is the handle for its results.
    upload.addContentTypeParser(uploadTypes, (_request, payload, done) => done(null, payload))
    upload.post(
      '/hunts',
      {
        config: { access: { role: 'responder' } },
        schema: {
          tags,
          summary: 'Hunt an uploaded log (DNS, proxy or network log; gzip read too) in the background',
          description: `The request body is the log, sent as one of: ${uploadTypes.join(', ')}. Poll the hunt for its status; its sightings are listed under it.`,
          querystring: UploadQuery,
          response: { 202: HuntSchema },
        },
      },
      async (request, reply) => {
        const { query } = request
        const fields: JsonFields | undefined =
          query.domainField || query.urlField || query.ipField || query.clientField || query.timestampField
            ? {
                domain: query.domainField ? [query.domainField] : undefined,
                url: query.urlField ? [query.urlField] : undefined,
                ip: query.ipField ? [query.ipField] : undefined,
                client: query.clientField,
                timestamp: query.timestampField,
              }
            : undefined
        const queued = await hunt.queueLogHunt(requireActor(request.actor), { name: query.name ?? 'upload', bytes: uploadedStream(request.body, uploadTypes), format: query.format, fields, customer: query.customer })
        return reply.code(202).send(queued)
      },
    )
  })
}
