import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { requireActor } from '../shared/actor.js'
import { PageOf, PageQuery, Timestamp } from '../shared/schemas.js'
import type { Audit } from './service.js'

const RecordSchema = Type.Object({
  seq: Type.Integer(),
  id: Type.String(),
  at: Timestamp,
  actorKind: Type.String(),
  actorId: Type.String(),
  actorLabel: Type.String(),
  action: Type.String(),
  targetType: Type.String(),
  targetId: Type.String(),
  customerId: Type.Union([Type.String(), Type.Null()]),
  details: Type.Record(Type.String(), Type.Unknown()),
  prevHash: Type.String(),
  hash: Type.String(),
})

const VerifySchema = Type.Object({
  ok: Type.Boolean(),
  records: Type.Integer(),
  headHash: Type.Optional(Type.String()),
  broken: Type.Optional(
    Type.Object({ seq: Type.Integer(), id: Type.Union([Type.String(), Type.Null()]), reason: Type.String(), message: Type.String() }),
  ),
})

const tags = ['audit']

/** The audit log, newest first, and its verification. */
export const auditRoutes: FastifyPluginAsyncTypebox<{ audit: Audit }> = async (app, { audit }) => {
  app.get(
    '/audit',
    {
      config: { access: { role: 'admin' } },
      schema: {
        tags,
        summary: 'List audit records, newest first',
        querystring: Type.Object({
          ...PageQuery,
          targetType: Type.Optional(Type.String({ maxLength: 100 })),
          targetId: Type.Optional(Type.String({ maxLength: 100 })),
          action: Type.Optional(Type.String({ maxLength: 100 })),
        }),
        response: { 200: PageOf(RecordSchema) },
      },
    },
    async (request) => audit.list(requireActor(request.actor).scope, request.query),
  )

  app.get(
    '/audit/verify',
    {
      config: { access: { role: 'admin' } },
      schema: { tags, summary: 'Recompute the hash chain and name the first broken record', response: { 200: VerifySchema } },
    },
    async () => audit.verify(),
  )
}
