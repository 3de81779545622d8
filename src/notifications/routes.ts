import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { requireActor } from '../shared/actor.js'
import { IdParam, Nullable, NullableTimestamp, PageOf, PageQuery, Timestamp } from '../shared/schemas.js'
import { attemptOutcomes, ChannelInputSchema, ChannelPatchSchema, channelKinds, notificationStatuses, webhookPresets } from './model.js'
import type { Notifications } from './service.js'

const channelFields = {
  id: Type.String(),
  name: Type.String(),
  kind: Type.Enum([...channelKinds]),
  preset: Nullable(Type.Enum([...webhookPresets])),
  address: Nullable(Type.String()),
  url: Nullable(Type.String({ description: 'In full for admins; its origin only for other roles (a Slack or Teams URL is a credential).' })),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  disabledAt: NullableTimestamp,
  customerId: Nullable(Type.String({ description: 'The customer the channel belongs to; null for the provider’s own.' })),
}
const ChannelSchema = Type.Object(channelFields)
const ChannelWithSecretSchema = Type.Object({
  ...channelFields,
  secret: Type.Optional(Nullable(Type.String({ description: 'The webhook signing secret: shown when created or changed, never again.' }))),
})

const notificationFields = {
  id: Type.String(),
  idempotencyKey: Type.String(),
  kind: Type.Enum([...channelKinds]),
  channelId: Nullable(Type.String()),
  channelName: Nullable(Type.String()),
  recipient: Type.String(),
  recipientName: Nullable(Type.String()),
  subject: Type.String(),
  text: Type.String(),
  html: Nullable(Type.String()),
  event: Nullable(Type.Object({ type: Type.String(), data: Type.Unknown() })),
  status: Type.Enum([...notificationStatuses]),
  attempts: Type.Integer(),
  lastError: Nullable(Type.String()),
  customerId: Nullable(Type.String()),
  incidentId: Nullable(Type.String()),
  alertId: Nullable(Type.String()),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  deliveredAt: NullableTimestamp,
}
const NotificationSchema = Type.Object(notificationFields)
const AttemptSchema = Type.Object({
  attempt: Type.Integer(),
  startedAt: Timestamp,
  finishedAt: Timestamp,
  outcome: Type.Enum([...attemptOutcomes]),
  detail: Nullable(Type.String()),
  error: Nullable(Type.String()),
})
const NotificationWithLogSchema = Type.Object({ ...notificationFields, deliveryLog: Type.Array(AttemptSchema) })

const ChannelParams = Type.Object({ channelId: IdParam })
const tags = ['notifications']

/** Channels (admins change them, responders test them) and the outbox with its delivery log. Staff only. */
export const notificationRoutes: FastifyPluginAsyncTypebox<{ notifications: Notifications }> = async (app, { notifications }) => {
  app.get(
    '/notification-channels',
    { config: { access: { role: 'viewer' } }, schema: { tags, summary: 'Notification channels, by name', response: { 200: Type.Object({ items: Type.Array(ChannelSchema) }) } } },
    async (request) => ({ items: await notifications.listChannels(requireActor(request.actor)) }),
  )

  app.post(
    '/notification-channels',
    {
      config: { access: { role: 'admin' } },
      schema: {
        tags,
        summary: 'Create an email or webhook channel',
        description: 'A webhook channel signs its requests with a secret (generated when not given) that this answer shows once. See docs/webhooks.md.',
        body: ChannelInputSchema,
        response: { 201: ChannelWithSecretSchema },
      },
    },
    async (request, reply) => reply.code(201).send(await notifications.createChannel(requireActor(request.actor), request.body)),
  )

  app.get(
    '/notification-channels/:channelId',
    { config: { access: { role: 'viewer' } }, schema: { tags, summary: 'A notification channel', params: ChannelParams, response: { 200: ChannelSchema } } },
    async (request) => notifications.getChannel(requireActor(request.actor), request.params.channelId),
  )

  app.patch(
    '/notification-channels/:channelId',
    {
      config: { access: { role: 'admin' } },
      schema: { tags, summary: 'Change, disable or re-enable a channel, or rotate its signing secret', params: ChannelParams, body: ChannelPatchSchema, response: { 200: ChannelWithSecretSchema } },
    },
    async (request) => notifications.updateChannel(requireActor(request.actor), request.params.channelId, request.body),
  )

  app.delete(
    '/notification-channels/:channelId',
    {
      config: { access: { role: 'admin' } },
      schema: { tags, summary: 'Delete a channel (its messages stay; queued ones die at their next attempt)', params: ChannelParams, response: { 204: Type.Null() } },
    },
    async (request, reply) => {
      await notifications.removeChannel(requireActor(request.actor), request.params.channelId)
      return reply.code(204).send(null)
    },
  )

  app.post(
    '/notification-channels/:channelId/test',
    {
      config: { access: { role: 'responder' } },
      schema: { tags, summary: 'Send a test message to a channel now; the answer is the message with its delivery log', params: ChannelParams, response: { 200: NotificationWithLogSchema } },
    },
    async (request) => notifications.testChannel(requireActor(request.actor), request.params.channelId),
  )

  app.get(
    '/notifications',
    {
      config: { access: { role: 'viewer' } },
      schema: {
        tags,
        summary: 'Messages in the outbox, newest first',
        querystring: Type.Object({
          ...PageQuery,
          status: Type.Optional(Type.Enum([...notificationStatuses])),
          incidentId: Type.Optional(IdParam),
          alertId: Type.Optional(IdParam),
          customerId: Type.Optional(IdParam),
        }),
        response: { 200: PageOf(NotificationSchema) },
      },
    },
    async (request) => notifications.list(request.query),
  )

  app.get(
    '/notifications/:notificationId',
    {
      config: { access: { role: 'viewer' } },
      schema: { tags, summary: 'A message with its delivery log', params: Type.Object({ notificationId: IdParam }), response: { 200: NotificationWithLogSchema } },
    },
    async (request) => notifications.get(request.params.notificationId),
  )
}
