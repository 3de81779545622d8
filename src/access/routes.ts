import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { requireActor, roles } from '../shared/actor.js'
import { IdParam, NullableTimestamp, PageOf, PageQuery, Timestamp } from '../shared/schemas.js'
import { TokenInputSchema, UserInputSchema } from './model.js'
import type { Access } from './service.js'

const TokenSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: Type.Enum([...roles]),
  customerId: Type.Union([Type.String(), Type.Null()]),
  userId: Type.Union([Type.String(), Type.Null()]),
  createdBy: Type.String(),
  createdAt: Timestamp,
  expiresAt: NullableTimestamp,
  lastUsedAt: NullableTimestamp,
  revokedAt: NullableTimestamp,
})

const UserSchema = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.String(),
  role: Type.Enum([...roles]),
  customerId: Type.Union([Type.String(), Type.Null()]),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  disabledAt: NullableTimestamp,
})

const MeSchema = Type.Object({
  kind: Type.String(),
  id: Type.String(),
  label: Type.String(),
  role: Type.Enum([...roles]),
  customerIds: Type.Union([Type.Array(Type.String()), Type.Null()], { description: 'The customers this actor may see; null means all.' }),
})

const tags = ['access']

/** Tokens and users (admin only), and "who am I" for any token. */
export const accessRoutes: FastifyPluginAsyncTypebox<{ access: Access }> = async (app, { access }) => {
  app.get(
    '/me',
    {
      config: { access: { role: 'viewer', customers: true } },
      schema: { tags, summary: 'Who this token belongs to and what it may see', response: { 200: MeSchema } },
    },
    async (request) => {
      const actor = requireActor(request.actor)
      return { kind: actor.kind, id: actor.id, label: actor.label, role: actor.role, customerIds: actor.scope.all ? null : [...actor.scope.customerIds] }
    },
  )

  app.get(
    '/tokens',
    {
      config: { access: { role: 'admin' } },
      schema: {
        tags,
        summary: 'List API tokens, newest first (never their secrets)',
        querystring: Type.Object({ ...PageQuery, includeRevoked: Type.Optional(Type.Boolean()) }),
        response: { 200: PageOf(TokenSchema) },
      },
    },
    async (request) => access.listTokens(request.query),
  )

  app.post(
    '/tokens',
    {
      config: { access: { role: 'admin' } },
      schema: {
        tags,
        summary: 'Create an API token; the secret is in this response only',
        body: TokenInputSchema,
        response: { 201: Type.Object({ token: TokenSchema, secret: Type.String() }) },
      },
    },
    async (request, reply) => reply.code(201).send(await access.createToken(requireActor(request.actor), request.body)),
  )

  app.post(
    '/tokens/:tokenId/revoke',
    {
      config: { access: { role: 'admin' } },
      schema: { tags, summary: 'Revoke a token (idempotent)', params: Type.Object({ tokenId: IdParam }), response: { 200: TokenSchema } },
    },
    async (request) => access.revokeToken(requireActor(request.actor), request.params.tokenId),
  )

  app.get(
    '/users',
    {
      config: { access: { role: 'admin' } },
      schema: { tags, summary: 'List users by email', querystring: Type.Object(PageQuery), response: { 200: PageOf(UserSchema) } },
    },
    async (request) => access.listUsers(request.query),
  )

  app.post(
    '/users',
    {
      config: { access: { role: 'admin' } },
      schema: { tags, summary: 'Create a user', body: UserInputSchema, response: { 201: UserSchema } },
    },
    async (request, reply) => reply.code(201).send(await access.createUser(requireActor(request.actor), request.body)),
  )

  app.get(
    '/users/:userId',
    {
      config: { access: { role: 'admin' } },
      schema: { tags, summary: 'Get a user', params: Type.Object({ userId: IdParam }), response: { 200: UserSchema } },
    },
    async (request) => access.getUser(request.params.userId),
  )

  app.post(
    '/users/:userId/disable',
    {
      config: { access: { role: 'admin' } },
      schema: { tags, summary: "Disable a user and every token issued to them", params: Type.Object({ userId: IdParam }), response: { 200: UserSchema } },
    },
    async (request) => access.disableUser(requireActor(request.actor), request.params.userId),
  )
}
