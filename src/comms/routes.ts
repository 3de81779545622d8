import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import Type from 'typebox'
import { requireActor } from '../shared/actor.js'
import { IdempotencyHeaders, IdParam } from '../shared/schemas.js'
import {
  IssuedStatusLinkSchema,
  NoticePreviewSchema,
  NoticeRequestSchema,
  NoticeSchema,
  NoticeStatusSchema,
  NoticeTrackingSchema,
  PublicIncidentSchema,
  PublishInputSchema,
  SendReportSchema,
  StatusViewSchema,
  TemplateInputSchema,
  TemplateSchema,
  TrackingQuerySchema,
  UpdateInputSchema,
  UpdateSchema,
} from './model.js'
import { prefersHtml } from './negotiation.js'
import { acknowledgedPage, acknowledgementFailurePage, acknowledgementFormPage, pageContentSecurityPolicy, portalPage, publicStatusPage, statusNotFoundPage, statusPage } from './pages.js'
import type { Comms } from './service.js'

const tags = ['comms']
const responder = { role: 'responder' } as const
const viewer = { role: 'viewer' } as const
const Reference = Type.String({ minLength: 1, maxLength: 200 })
const TemplateParams = Type.Object({ templateId: IdParam })
const NoticeParams = Type.Object({ noticeId: IdParam })
const IncidentParams = Type.Object({ incidentId: IdParam })
const CustomerParams = Type.Object({ customerId: IdParam })
const PreviewBody = Type.Object({ ...NoticeRequestSchema.properties, customer: Reference }, { additionalProperties: false })
const SendBody = Type.Object({ ...NoticeRequestSchema.properties, sendDespiteProblems: Type.Optional(Type.Boolean({ description: 'Send to the customers who can be told even when others cannot (they are named in the answer).' })) }, { additionalProperties: false })
const PortalSchema = Type.Object({ customers: Type.Array(StatusViewSchema) })

/** The headers of every page shown outside the provider: nothing but its own inline style, never cached, no referrer (the URL may hold a token). */
function setPageHeaders(reply: FastifyReply): void {
  reply.header('content-security-policy', pageContentSecurityPolicy)
  reply.header('cache-control', 'no-store')
  reply.header('referrer-policy', 'no-referrer')
}

/** Templates, notices, updates, publication and status links under /api/v1; the portal for customer tokens. */
export const commsRoutes: FastifyPluginAsyncTypebox<{ comms: Comms }> = async (app, { comms }) => {
  app.get('/comms/templates', { config: { access: viewer }, schema: { tags, summary: 'Notice templates', response: { 200: Type.Array(TemplateSchema) } } }, async () => comms.listTemplates())
  app.get('/comms/templates/:templateId', { config: { access: viewer }, schema: { tags, summary: 'A notice template', params: TemplateParams, response: { 200: TemplateSchema } } }, async (request) => comms.getTemplate(request.params.templateId))
  app.post(
    '/comms/templates',
    { config: { access: responder }, schema: { tags, summary: 'Save a template; placeholders naming unknown fields are refused', body: TemplateInputSchema, response: { 201: TemplateSchema } } },
    async (request, reply) => reply.code(201).send(await comms.saveTemplate(requireActor(request.actor), request.body)),
  )
  app.put(
    '/comms/templates/:templateId',
    { config: { access: responder }, schema: { tags, summary: 'Change a template', params: TemplateParams, body: TemplateInputSchema, response: { 200: TemplateSchema } } },
    async (request) => comms.saveTemplate(requireActor(request.actor), request.body, request.params.templateId),
  )

  app.post(
    '/notices/preview',
    { config: { access: responder }, schema: { tags, summary: 'One customer’s notice as it would be sent, with its recipients and any problems', body: PreviewBody, response: { 200: NoticePreviewSchema } } },
    async (request) => {
      const { customer, ...notice } = request.body
      return comms.preview(requireActor(request.actor), notice, customer)
    },
  )
  app.post(
    '/notices',
    { config: { access: responder }, schema: { tags, summary: 'Send notices to every affected customer', headers: IdempotencyHeaders, body: SendBody, response: { 201: SendReportSchema } } },
    async (request, reply) => {
      const { sendDespiteProblems, ...notice } = request.body
      const options = { sendDespiteProblems: sendDespiteProblems ?? false, idempotencyKey: request.headers['idempotency-key'] }
      return reply.code(201).send(await comms.send(requireActor(request.actor), notice, options))
    },
  )
  app.get(
    '/notices',
    {
      config: { access: { role: 'viewer', customers: true } },
      schema: {
        tags,
        summary: 'Notices sent, newest first',
        querystring: Type.Object({ incidentId: Type.Optional(IdParam), advisoryId: Type.Optional(IdParam), customerId: Type.Optional(IdParam) }),
        response: { 200: Type.Array(NoticeSchema) },
      },
    },
    async (request) => comms.listNotices(requireActor(request.actor).scope, request.query),
  )
  app.get(
    '/notices/tracking',
    {
      config: { access: viewer },
      schema: {
        tags,
        summary: 'Whether every customer has been told: per customer affected (or told), the state of its latest notice, its acknowledgements, and why it cannot be told',
        querystring: TrackingQuerySchema,
        response: { 200: NoticeTrackingSchema },
      },
    },
    async (request) => comms.tracking(requireActor(request.actor), request.query),
  )
  app.get(
    '/notices/:noticeId',
    { config: { access: { role: 'viewer', customers: true } }, schema: { tags, summary: 'A notice and where it stands per contact', params: NoticeParams, response: { 200: NoticeStatusSchema } } },
    async (request) => comms.status(requireActor(request.actor).scope, request.params.noticeId),
  )

  app.get('/incidents/:incidentId/updates', { config: { access: viewer }, schema: { tags, summary: 'An incident’s updates, newest first', params: IncidentParams, response: { 200: Type.Array(UpdateSchema) } } }, async (request) =>
    comms.listUpdates(requireActor(request.actor), request.params.incidentId),
  )
  app.post(
    '/incidents/:incidentId/updates',
    {
      config: { access: responder },
      schema: { tags, summary: 'Post an update: status pages, and every contact sent a notice about the incident', params: IncidentParams, headers: IdempotencyHeaders, body: UpdateInputSchema, response: { 201: UpdateSchema } },
    },
    async (request, reply) => reply.code(201).send(await comms.postUpdate(requireActor(request.actor), request.params.incidentId, request.body, { idempotencyKey: request.headers['idempotency-key'] })),
  )
  app.put(
    '/incidents/:incidentId/publication',
    { config: { access: responder }, schema: { tags, summary: 'Show the incident on the public status page, under a public title', params: IncidentParams, body: PublishInputSchema, response: { 200: PublicIncidentSchema } } },
    async (request) => comms.publish(requireActor(request.actor), request.params.incidentId, request.body),
  )
  app.delete(
    '/incidents/:incidentId/publication',
    { config: { access: responder }, schema: { tags, summary: 'Take the incident off the public status page', params: IncidentParams } },
    async (request, reply) => {
      await comms.withdraw(requireActor(request.actor), request.params.incidentId)
      return reply.code(204).send()
    },
  )

  app.post(
    '/customers/:customerId/status-link',
    { config: { access: responder }, schema: { tags, summary: 'A new private status-page link for the customer (earlier ones stop working); the token is shown once', params: CustomerParams, response: { 201: IssuedStatusLinkSchema } } },
    async (request, reply) => reply.code(201).send(await comms.createStatusLink(requireActor(request.actor), request.params.customerId)),
  )
  app.delete(
    '/customers/:customerId/status-link',
    { config: { access: responder }, schema: { tags, summary: 'Revoke the customer’s status-page links', params: CustomerParams, response: { 200: Type.Object({ revoked: Type.Integer() }) } } },
    async (request) => comms.revokeStatusLink(requireActor(request.actor), request.params.customerId),
  )

  app.get(
    '/portal',
    {
      config: { access: { role: 'viewer', customers: true } },
      schema: {
        tags,
        summary: 'The status page for a customer token: its incidents, updates and remediation',
        description: 'JSON, or the status page as HTML (one section per customer the token covers) when the Accept header prefers text/html. Staff tokens are refused: they see incidents directly.',
        response: {
          200: {
            description: 'One view per customer the token covers.',
            content: { 'application/json': { schema: PortalSchema }, 'text/html': { schema: Type.String() } },
          },
        },
      },
    },
    async (request, reply) => {
      const views = await comms.portal(requireActor(request.actor))
      reply.header('vary', 'accept')
      if (!prefersHtml(request.headers.accept)) return reply.type('application/json; charset=utf-8').send({ customers: views })
      setPageHeaders(reply)
      return reply.type('text/html; charset=utf-8').send(portalPage(views))
    },
  )
}

const TokenParams = Type.Object({ token: Type.String({ minLength: 1, maxLength: 300 }) })

/** The pages reached without a login: acknowledgement links and status pages. */
export const commsPages: FastifyPluginAsyncTypebox<{ comms: Comms }> = async (app, { comms }) => {
  // The acknowledgement form posts a name, url-encoded, as forms without JavaScript do.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))))
  })
  app.addHook('onSend', async (_request, reply) => setPageHeaders(reply))

  app.get('/ack/:token', { config: { access: 'public' }, schema: { hide: true, params: TokenParams } }, async (request, reply) => {
    const view = await comms.checkAcknowledgement(request.params.token)
    reply.type('text/html; charset=utf-8')
    if (!view.ok) return reply.code(view.reason === 'expired' ? 410 : 400).send(acknowledgementFailurePage(view.reason))
    return acknowledgementFormPage(view, `/ack/${encodeURIComponent(request.params.token)}`)
  })
  app.post('/ack/:token', { config: { access: 'public' }, schema: { hide: true, params: TokenParams } }, async (request, reply) => {
    const body = request.body as { name?: unknown } | undefined
    const view = await comms.acknowledge(request.params.token, typeof body?.name === 'string' ? body.name : undefined)
    reply.type('text/html; charset=utf-8')
    if (!view.ok) return reply.code(view.reason === 'expired' ? 410 : 400).send(acknowledgementFailurePage(view.reason))
    return acknowledgedPage(view)
  })

  app.get('/status', { config: { access: 'public' }, schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(publicStatusPage(await comms.publicStatus())))
  app.get('/status/:token', { config: { access: 'public' }, schema: { hide: true, params: TokenParams } }, async (request, reply) => {
    const view = await comms.statusByToken(request.params.token)
    reply.type('text/html; charset=utf-8')
    if (!view) return reply.code(404).send(statusNotFoundPage())
    return statusPage(view)
  })
}
