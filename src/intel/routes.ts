import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { basename } from 'node:path'
import Type from 'typebox'
import { requireActor } from '../shared/actor.js'
import { AppError } from '../shared/errors.js'
import { IdParam, NullableTimestamp, PageOf, PageQuery, Timestamp } from '../shared/schemas.js'
import { advisorySourceKinds, confidences, importFormats, indicatorKinds, platforms, remediationActions, severities } from './model.js'
import type { Intel } from './service.js'

/** The largest file an upload may carry. */
export const maxUploadBytes = 64 * 1024 * 1024

const uploadTypes = ['application/json', 'text/csv', 'text/plain', 'application/zip', 'application/x-zip-compressed', 'application/octet-stream']

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()])

const advisoryFields = {
  id: Type.String(),
  sourceKind: Type.Enum([...advisorySourceKinds]),
  externalId: Type.String(),
  aliases: Type.Array(Type.String()),
  title: Type.String(),
  summary: Type.String(),
  severity: Type.Enum([...severities]),
  publishedAt: NullableTimestamp,
  modifiedAt: NullableTimestamp,
  withdrawnAt: NullableTimestamp,
  source: Type.String({ description: "The file it was imported from, or 'bundled'." }),
  importedAt: Timestamp,
  updatedAt: Timestamp,
}
const AdvisorySchema = Type.Object(advisoryFields)

const RangeSchema = Type.Object({
  scheme: Type.String(),
  events: Type.Array(Type.Record(Type.String(), Type.String()), { description: 'OSV-style events: introduced, fixed, last_affected, limit.' }),
})

const TargetSchema = Type.Object({
  ecosystem: Nullable(Type.String({ description: "purl type ('deb', 'npm', ...); null for vendor software." })),
  vendor: Type.String(),
  vendorKey: Type.String(),
  product: Type.String(),
  productKey: Type.String(),
  platform: Nullable(Type.Enum([...platforms])),
  versions: Type.Array(Type.String()),
  ranges: Type.Array(RangeSchema),
})

const RemediationSchema = Type.Object({
  summary: Type.String(),
  steps: Type.Array(
    Type.Object({
      action: Type.Enum([...remediationActions]),
      text: Type.String(),
      minimumVersion: Nullable(Type.String()),
      platform: Nullable(Type.Enum([...platforms])),
    }),
  ),
  fixedVersions: Type.Array(Type.Object({ platform: Type.Enum([...platforms]), version: Type.String(), note: Nullable(Type.String()) })),
})

const AdvisoryDetailSchema = Type.Object({
  ...advisoryFields,
  details: Type.String(),
  references: Type.Array(Type.Object({ url: Type.String(), type: Type.String(), title: Nullable(Type.String()) })),
  remediation: Nullable(RemediationSchema),
  targets: Type.Array(TargetSchema),
  indicatorCount: Type.Integer(),
})

const IndicatorSchema = Type.Object({
  id: Type.String(),
  kind: Type.Enum([...indicatorKinds]),
  value: Type.String(),
  description: Type.String(),
  source: Type.String(),
  confidence: Type.Enum([...confidences]),
  advisoryId: Nullable(Type.String()),
  tags: Type.Array(Type.String()),
  validFrom: NullableTimestamp,
  validUntil: NullableTimestamp,
  createdAt: Timestamp,
  updatedAt: Timestamp,
})

const ProblemItem = Type.Object({
  file: Type.String(),
  line: Type.Optional(Type.Integer()),
  objectId: Type.Optional(Type.String()),
  reason: Type.String(),
})

const ImportReportSchema = Type.Object({
  file: Type.String(),
  format: Type.Enum([...importFormats]),
  advisories: Type.Object({ added: Type.Integer(), updated: Type.Integer(), unchanged: Type.Integer(), withdrawn: Type.Integer() }),
  indicators: Type.Object({ added: Type.Integer(), updated: Type.Integer(), unchanged: Type.Integer() }),
  rejected: Type.Array(ProblemItem, { description: 'Records or rows not imported (the first 1000).' }),
  rejectedCount: Type.Integer(),
  unusable: Type.Array(ProblemItem, { description: 'Parts of records that could not be used (the first 1000).' }),
  unusableCount: Type.Integer(),
  durationMs: Type.Integer(),
})

const Search = Type.Optional(Type.String({ maxLength: 200 }))
const tags = ['intel']

/** Advisories and indicators. Advisories are public knowledge: customer tokens may read them. Indicators and imports are staff-only. */
export const intelRoutes: FastifyPluginAsyncTypebox<{ intel: Intel }> = async (app, { intel }) => {
  app.get(
    '/advisories',
    {
      config: { access: { role: 'viewer', customers: true } },
      schema: {
        tags,
        summary: 'List advisories, newest first',
        querystring: Type.Object({
          ...PageQuery,
          search: Search,
          severity: Type.Optional(Type.Enum([...severities])),
          source: Type.Optional(Type.String({ maxLength: 500, description: "The file the advisories were imported from, or 'bundled'." })),
          sourceKind: Type.Optional(Type.Enum([...advisorySourceKinds])),
          includeWithdrawn: Type.Optional(Type.Boolean()),
        }),
        response: { 200: PageOf(AdvisorySchema) },
      },
    },
    async (request) => intel.listAdvisories(request.query),
  )

  app.get(
    '/advisories/:advisoryId',
    {
      config: { access: { role: 'viewer', customers: true } },
      schema: {
        tags,
        summary: 'Get an advisory with its targets, remediation and indicator count',
        description: 'By id, by its own id (GHSA-…, CORDON-…), or by an alias such as a CVE id that names one advisory.',
        params: Type.Object({ advisoryId: Type.String({ minLength: 1, maxLength: 200 }) }),
        response: { 200: AdvisoryDetailSchema },
      },
    },
    async (request) => intel.getAdvisory(request.params.advisoryId),
  )

  app.get(
    '/indicators',
    {
      config: { access: { role: 'viewer' } },
      schema: {
        tags,
        summary: 'List indicators of compromise, newest first',
        querystring: Type.Object({
          ...PageQuery,
          kind: Type.Optional(Type.Enum([...indicatorKinds])),
          advisoryId: Type.Optional(IdParam),
          confidence: Type.Optional(Type.Enum([...confidences])),
          search: Search,
        }),
        response: { 200: PageOf(IndicatorSchema) },
      },
    },
    async (request) => intel.listIndicators(request.query),
  )

  // The upload takes the raw file as its body, so this route parses bodies its own way, in a scope of its own.
  await app.register(async (plain) => {
    const scope = plain.withTypeProvider<TypeBoxTypeProvider>()
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser(uploadTypes, { parseAs: 'buffer', bodyLimit: maxUploadBytes }, (_request, body, done) => done(null, body))
    scope.post(
      '/intel/imports',
      {
        bodyLimit: maxUploadBytes,
        config: { access: { role: 'responder' } },
        schema: {
          tags,
          summary: 'Import advisories or indicators from an uploaded file',
          description: `The request body is the file itself (${uploadTypes.join(', ')}; at most ${maxUploadBytes / (1024 * 1024)} MiB): OSV records (one, an array, or a zip of them), a Cordon advisory, a STIX 2.1 bundle, or a CSV list of indicators. The format is detected from the content unless given. One transaction: all or nothing.`,
          querystring: Type.Object({
            format: Type.Optional(Type.Enum([...importFormats])),
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'The file name, for the report and the indicators\' source.' })),
          }),
          response: { 200: ImportReportSchema },
        },
      },
      async (request) => {
        if (!Buffer.isBuffer(request.body)) throw new AppError('invalid', `send the file as the request body, with content type ${uploadTypes.join(', ')}`)
        const name = uploadName(request.query.name, request.headers['content-type'])
        return intel.importFile(requireActor(request.actor), { name, buffer: request.body }, { format: request.query.format })
      },
    )
  })
}

/** The upload's name as given (its last path component, printable), or one from the content type. */
function uploadName(given: string | undefined, contentType: string | undefined): string {
  const cleaned = given ? basename(given.replace(/\\/g, '/')).replace(/[\u0000-\u001f\u007f]/g, '').trim() : ''
  if (cleaned && cleaned !== '.' && cleaned !== '..') return cleaned
  const type = contentType?.split(';')[0]?.trim().toLowerCase()
  return type === 'text/csv' || type === 'text/plain' ? 'upload.csv' : type?.includes('zip') ? 'upload.zip' : 'upload.json'
}
