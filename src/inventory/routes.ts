import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { requireActor } from '../shared/actor.js'
import { IdParam, Nullable, PageOf, PageQuery, Timestamp, NullableTimestamp } from '../shared/schemas.js'
import { uploadedStream } from '../shared/upload.js'
import { endpointKinds, installSources, ImportOptionsSchema, inventoryFormats, platforms } from './model.js'
import type { Inventory } from './service.js'

const EndpointSchema = Type.Object({
  id: Type.String(),
  customerId: Type.String(),
  kind: Type.Enum([...endpointKinds]),
  identifier: Type.String(),
  hostname: Nullable(Type.String()),
  platform: Type.Union([Type.Enum([...platforms]), Type.Null()]),
  osName: Nullable(Type.String()),
  osVersion: Nullable(Type.String()),
  hardwareSerial: Nullable(Type.String()),
  hardwareUuid: Nullable(Type.String()),
  firstSeen: Timestamp,
  lastSeen: Timestamp,
  createdAt: Timestamp,
  updatedAt: Timestamp,
})

const InstallationSchema = Type.Object({
  endpointId: Type.String(),
  catalogId: Type.Integer(),
  source: Type.Enum([...installSources]),
  vendor: Type.String(),
  product: Type.String(),
  version: Type.String(),
  platform: Type.Enum([...platforms]),
  ecosystem: Nullable(Type.String()),
  firstSeen: Timestamp,
  lastSeen: Timestamp,
  removedAt: NullableTimestamp,
})

const CatalogEntrySchema = Type.Object({
  id: Type.Integer(),
  vendor: Type.String(),
  vendorKey: Type.String(),
  product: Type.String(),
  productKey: Type.String(),
  version: Type.String(),
  platform: Type.Enum([...platforms]),
  ecosystem: Nullable(Type.String()),
  purl: Nullable(Type.String()),
  cpe: Nullable(Type.String()),
  createdAt: Timestamp,
})

export const ImportReportSchema = Type.Object({
  id: Type.String(),
  file: Type.String(),
  format: Type.Enum([...inventoryFormats]),
  startedAt: Timestamp,
  finishedAt: Timestamp,
  durationMs: Type.Number(),
  bytes: Type.Number(),
  accepted: Type.Number(),
  rejected: Type.Number(),
  rejections: Type.Array(Type.Object({ file: Type.String(), line: Type.Number(), reason: Type.String() })),
  endpointsTouched: Type.Number(),
  endpointsCreated: Type.Number(),
  catalogAdded: Type.Number(),
  installationsRemoved: Type.Number(),
})

const uploadTypes = ['application/octet-stream', 'application/json', 'application/x-ndjson', 'application/jsonl', 'text/csv', 'text/plain', 'application/gzip', 'application/x-gzip']
const tags = ['inventory']

/** Endpoints, their software, the catalog, and inventory imports (the file is the request body, streamed). */
export const inventoryRoutes: FastifyPluginAsyncTypebox<{ inventory: Inventory }> = async (app, { inventory }) => {
  app.get(
    '/endpoints',
    {
      config: { access: { role: 'viewer', customers: true } },
      schema: {
        tags,
        summary: 'List endpoints by identifier',
        querystring: Type.Object({
          ...PageQuery,
          customerId: Type.Optional(IdParam),
          search: Type.Optional(Type.String({ maxLength: 200 })),
          platform: Type.Optional(Type.Enum([...platforms])),
        }),
        response: { 200: PageOf(EndpointSchema) },
      },
    },
    async (request) => inventory.listEndpoints(requireActor(request.actor).scope, request.query),
  )

  app.get(
    '/endpoints/:endpointId',
    {
      config: { access: { role: 'viewer', customers: true } },
      schema: { tags, summary: 'Get an endpoint', params: Type.Object({ endpointId: IdParam }), response: { 200: EndpointSchema } },
    },
    async (request) => inventory.getEndpoint(requireActor(request.actor).scope, request.params.endpointId),
  )

  app.get(
    '/endpoints/:endpointId/software',
    {
      config: { access: { role: 'viewer', customers: true } },
      schema: {
        tags,
        summary: "An endpoint's installed software, with first and last seen (and removed ones on request)",
        params: Type.Object({ endpointId: IdParam }),
        querystring: Type.Object({ ...PageQuery, includeRemoved: Type.Optional(Type.Boolean()) }),
        response: { 200: PageOf(InstallationSchema) },
      },
    },
    async (request) => inventory.listSoftware(requireActor(request.actor).scope, request.params.endpointId, request.query),
  )

  app.get(
    '/software',
    {
      config: { access: { role: 'viewer' } },
      schema: {
        tags,
        summary: 'Search the software catalog',
        querystring: Type.Object({ ...PageQuery, search: Type.Optional(Type.String({ maxLength: 200 })), platform: Type.Optional(Type.Enum([...platforms])) }),
        response: { 200: PageOf(CatalogEntrySchema) },
      },
    },
    async (request) => inventory.searchCatalog(request.query),
  )

  app.get(
    '/inventory/imports',
    {
      config: { access: { role: 'viewer' } },
      schema: { tags, summary: 'Inventory imports, newest first', querystring: Type.Object(PageQuery), response: { 200: PageOf(ImportReportSchema) } },
    },
    async (request) => inventory.listImports(request.query),
  )

  app.get(
    '/inventory/imports/:importId',
    {
      config: { access: { role: 'viewer' } },
      schema: { tags, summary: "An import's report", params: Type.Object({ importId: IdParam }), response: { 200: ImportReportSchema } },
    },
    async (request) => inventory.getImport(request.params.importId),
  )

  await app.register(async (plugin) => {
    const upload = plugin.withTypeProvider<TypeBoxTypeProvider>()
    // The body is the inventory file, handed to the importer as a stream (gzip is read too).
    upload.addContentTypeParser(uploadTypes, (_request, payload, done) => done(null, payload))
    upload.post(
      '/inventory/imports',
      {
        config: { access: { role: 'responder' } },
        schema: {
          tags,
          summary: 'Import an inventory file (osquery results or osqueryi JSON, RMM CSV, CycloneDX, SPDX): one transaction',
          description: `The request body is the file, sent as one of: ${uploadTypes.join(', ')}.`,
          querystring: ImportOptionsSchema,
          response: { 201: ImportReportSchema },
        },
      },
      async (request, reply) => {
        const body = uploadedStream(request.body, uploadTypes)
        const report = await inventory.importInventory(requireActor(request.actor), {
          bytes: body,
          file: request.query.name ?? 'upload',
          format: request.query.format,
          customer: request.query.customer,
          customerField: request.query.customerField,
          host: request.query.host,
        })
        return reply.code(201).send(report)
      },
    )
  })
}
