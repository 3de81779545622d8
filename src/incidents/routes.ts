import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { requireActor } from '../shared/actor.js'
import { IdParam, Nullable, NullableTimestamp, PageOf, PageQuery, Timestamp } from '../shared/schemas.js'
import {
  IncidentPatchSchema,
  LinkInputSchema,
  LinkKindSchema,
  NoteInputSchema,
  OpenIncidentSchema,
  PlaybookInputSchema,
  RoleSchema,
  SeveritySchema,
  StatusSchema,
  TaskInputSchema,
  TaskPatchSchema,
  TaskStatusSchema,
} from './model.js'
import { reportContentSecurityPolicy } from './report.js'
import type { Incidents } from './service.js'

const incidentFields = {
  id: Type.String(),
  title: Type.String(),
  summary: Type.String(),
  severity: SeveritySchema,
  status: StatusSchema,
  commanderId: Nullable(Type.String()),
  communicationsLeadId: Nullable(Type.String()),
  operationsLeadId: Nullable(Type.String()),
  openedAt: Timestamp,
  openedBy: Type.String(),
  acknowledgedAt: NullableTimestamp,
  containedAt: NullableTimestamp,
  resolvedAt: NullableTimestamp,
  closedAt: NullableTimestamp,
  updatedAt: Timestamp,
}
const IncidentSchema = Type.Object(incidentFields)

const LinkSchema = Type.Object({ kind: LinkKindSchema, targetId: Type.String(), createdAt: Timestamp, createdBy: Type.String() })

const TaskSchema = Type.Object({
  id: Type.String(),
  incidentId: Type.String(),
  position: Type.Integer(),
  title: Type.String(),
  description: Type.String(),
  role: Nullable(RoleSchema),
  assigneeId: Nullable(Type.String()),
  dueAt: NullableTimestamp,
  status: TaskStatusSchema,
  playbookId: Nullable(Type.String()),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  completedAt: NullableTimestamp,
})

const IncidentDetailSchema = Type.Object({
  ...incidentFields,
  roles: Type.Array(Type.Object({ role: RoleSchema, userId: Type.String(), name: Type.String(), email: Type.String() })),
  links: Type.Array(LinkSchema),
  tasks: Type.Array(TaskSchema),
  figures: Type.Object({ timeToAcknowledgeSeconds: Nullable(Type.Integer()), timeToContainSeconds: Nullable(Type.Integer()), timeToResolveSeconds: Nullable(Type.Integer()) }),
})

const TimelineEntrySchema = Type.Object({
  id: Type.String(),
  incidentId: Type.String(),
  at: Timestamp,
  kind: Type.String(),
  text: Type.String(),
  actorLabel: Type.String(),
  data: Type.Unknown(),
})

const PlaybookSchema = Type.Object({
  id: Type.String(),
  slug: Type.String(),
  name: Type.String(),
  description: Type.String(),
  tasks: Type.Array(Type.Object({ title: Type.String(), description: Type.String(), role: Nullable(RoleSchema), dueInMinutes: Nullable(Type.Integer()) })),
  source: Type.Enum(['bundled', 'custom']),
  createdAt: Timestamp,
  updatedAt: Timestamp,
})

const IncidentParams = Type.Object({ incidentId: IdParam })
const TaskParams = Type.Object({ incidentId: IdParam, taskId: IdParam })
const staff = { role: 'viewer' } as const
const responder = { role: 'responder' } as const
const tags = ['incidents']

const reportTypes = { markdown: 'text/markdown; charset=utf-8', html: 'text/html; charset=utf-8' } as const

/** Incidents and playbooks: provider staff only (viewers read, responders change); customer tokens are refused. */
export const incidentRoutes: FastifyPluginAsyncTypebox<{ incidents: Incidents }> = async (app, { incidents }) => {
  app.get(
    '/incidents',
    {
      config: { access: staff },
      schema: {
        tags,
        summary: 'Incidents, newest first',
        querystring: Type.Object({ ...PageQuery, status: Type.Optional(StatusSchema), severity: Type.Optional(SeveritySchema), customerId: Type.Optional(IdParam) }),
        response: { 200: PageOf(IncidentSchema) },
      },
    },
    async (request) => incidents.list(requireActor(request.actor), request.query),
  )

  app.post(
    '/incidents',
    { config: { access: responder }, schema: { tags, summary: 'Open an incident (and apply a playbook)', body: OpenIncidentSchema, response: { 201: IncidentDetailSchema } } },
    async (request, reply) => {
      const actor = requireActor(request.actor)
      const opened = await incidents.open(actor, request.body)
      return reply.code(201).send(await incidents.get(actor, opened.id))
    },
  )

  app.get(
    '/incidents/:incidentId',
    { config: { access: staff }, schema: { tags, summary: 'An incident with its roles, links, tasks and figures', params: IncidentParams, response: { 200: IncidentDetailSchema } } },
    async (request) => incidents.get(requireActor(request.actor), request.params.incidentId),
  )

  app.patch(
    '/incidents/:incidentId',
    {
      config: { access: responder },
      schema: {
        tags,
        summary: 'Change an incident: title, summary, severity, status, commander and leads',
        description: 'Status moves forward (steps may be skipped); a contained or resolved incident may go back to active; closed is final.',
        params: IncidentParams,
        body: IncidentPatchSchema,
        response: { 200: IncidentDetailSchema },
      },
    },
    async (request) => incidents.update(requireActor(request.actor), request.params.incidentId, request.body),
  )

  app.get(
    '/incidents/:incidentId/timeline',
    { config: { access: staff }, schema: { tags, summary: "An incident's timeline, oldest first", params: IncidentParams, querystring: Type.Object(PageQuery), response: { 200: PageOf(TimelineEntrySchema) } } },
    async (request) => incidents.timeline(requireActor(request.actor), request.params.incidentId, request.query),
  )

  app.post(
    '/incidents/:incidentId/notes',
    { config: { access: responder }, schema: { tags, summary: 'Add a note to the timeline', params: IncidentParams, body: NoteInputSchema, response: { 201: TimelineEntrySchema } } },
    async (request, reply) => reply.code(201).send(await incidents.addNote(requireActor(request.actor), request.params.incidentId, request.body.text)),
  )

  app.post(
    '/incidents/:incidentId/links',
    { config: { access: responder }, schema: { tags, summary: 'Link an alert, customer, advisory, finding or sighting', params: IncidentParams, body: LinkInputSchema, response: { 201: LinkSchema } } },
    async (request, reply) => reply.code(201).send(await incidents.link(requireActor(request.actor), request.params.incidentId, request.body)),
  )

  app.get(
    '/incidents/:incidentId/tasks',
    { config: { access: staff }, schema: { tags, summary: "An incident's tasks, in order", params: IncidentParams, response: { 200: Type.Object({ items: Type.Array(TaskSchema) }) } } },
    async (request) => ({ items: await incidents.listTasks(requireActor(request.actor), request.params.incidentId) }),
  )

  app.post(
    '/incidents/:incidentId/tasks',
    { config: { access: responder }, schema: { tags, summary: 'Add a task', params: IncidentParams, body: TaskInputSchema, response: { 201: TaskSchema } } },
    async (request, reply) => reply.code(201).send(await incidents.addTask(requireActor(request.actor), request.params.incidentId, request.body)),
  )

  app.patch(
    '/incidents/:incidentId/tasks/:taskId',
    { config: { access: responder }, schema: { tags, summary: 'Change a task: done, skipped, reassigned, rescheduled', params: TaskParams, body: TaskPatchSchema, response: { 200: TaskSchema } } },
    async (request) => incidents.updateTask(requireActor(request.actor), request.params.incidentId, request.params.taskId, request.body),
  )

  app.post(
    '/incidents/:incidentId/playbook',
    {
      config: { access: responder },
      schema: {
        tags,
        summary: "Apply a playbook: its tasks, due from now, assigned to the holders of their roles",
        params: IncidentParams,
        body: Type.Object({ playbook: Type.String({ minLength: 1, maxLength: 100, description: 'slug or id' }) }, { additionalProperties: false }),
        response: { 201: Type.Object({ items: Type.Array(TaskSchema) }) },
      },
    },
    async (request, reply) => reply.code(201).send({ items: await incidents.applyPlaybook(requireActor(request.actor), request.params.incidentId, request.body.playbook) }),
  )

  app.get(
    '/incidents/:incidentId/report',
    {
      config: { access: staff },
      schema: {
        tags,
        summary: 'The post-incident report, as Markdown or HTML',
        params: IncidentParams,
        querystring: Type.Object({ format: Type.Optional(Type.Enum(['markdown', 'html'])) }),
        response: {
          200: {
            description: 'The report: Markdown, or an HTML page rendered from it (user-written text escaped; no scripts allowed).',
            content: { 'text/markdown': { schema: Type.String() }, 'text/html': { schema: Type.String() } },
          },
        },
      },
    },
    async (request, reply) => {
      const format = request.query.format ?? 'markdown'
      const text = await incidents.report(requireActor(request.actor), request.params.incidentId, format)
      if (format === 'html') reply.header('content-security-policy', reportContentSecurityPolicy)
      return reply.type(reportTypes[format]).header('x-content-type-options', 'nosniff').send(text)
    },
  )

  app.get(
    '/playbooks',
    { config: { access: staff }, schema: { tags, summary: 'Playbooks by name', response: { 200: Type.Object({ items: Type.Array(PlaybookSchema) }) } } },
    async (request) => ({ items: await incidents.listPlaybooks(requireActor(request.actor)) }),
  )

  app.post(
    '/playbooks',
    { config: { access: responder }, schema: { tags, summary: 'Save a custom playbook (creates it, or replaces the one with its slug)', body: PlaybookInputSchema, response: { 200: PlaybookSchema } } },
    async (request) => incidents.savePlaybook(requireActor(request.actor), request.body),
  )

  app.get(
    '/playbooks/:playbookId',
    { config: { access: staff }, schema: { tags, summary: 'A playbook, by id or slug', params: Type.Object({ playbookId: IdParam }), response: { 200: PlaybookSchema } } },
    async (request) => incidents.getPlaybook(requireActor(request.actor), request.params.playbookId),
  )
}
