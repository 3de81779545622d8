import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { requireActor } from '../shared/actor.js'
import { IdParam, NullableTimestamp, PageOf, PageQuery, Timestamp } from '../shared/schemas.js'
import {
  contactRoles,
  ContactInputSchema,
  ContactPatchSchema,
  customerKinds,
  CustomerInputSchema,
  CustomerPatchSchema,
} from './model.js'
import type { Customers } from './service.js'

const ContactSchema = Type.Object({
  id: Type.String(),
  customerId: Type.String(),
  name: Type.String(),
  email: Type.String(),
  role: Type.Enum([...contactRoles]),
  phone: Type.Union([Type.String(), Type.Null()]),
  createdAt: Timestamp,
  updatedAt: Timestamp,
})

const customerFields = {
  id: Type.String(),
  name: Type.String(),
  kind: Type.Enum([...customerKinds]),
  parentId: Type.Union([Type.String(), Type.Null()]),
  externalRef: Type.Union([Type.String(), Type.Null()]),
  accountOwnerId: Type.Union([Type.String(), Type.Null()]),
  notes: Type.String(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  archivedAt: NullableTimestamp,
}
const CustomerSchema = Type.Object(customerFields)
const CustomerWithContactsSchema = Type.Object({ ...customerFields, contacts: Type.Array(ContactSchema) })

const CustomerParams = Type.Object({ customerId: IdParam })
const ContactParams = Type.Object({ customerId: IdParam, contactId: IdParam })
const tags = ['customers']

/** Customers and their contacts. Customer tokens see their own organisation (and a partner's customers). */
export const customerRoutes: FastifyPluginAsyncTypebox<{ customers: Customers }> = async (app, { customers }) => {
  app.get(
    '/customers',
    {
      config: { access: { role: 'viewer', customers: true } },
      schema: {
        tags,
        summary: 'List customers by name',
        querystring: Type.Object({
          ...PageQuery,
          search: Type.Optional(Type.String({ maxLength: 200 })),
          parentId: Type.Optional(IdParam),
          kind: Type.Optional(Type.Enum([...customerKinds])),
          includeArchived: Type.Optional(Type.Boolean()),
        }),
        response: { 200: PageOf(CustomerSchema) },
      },
    },
    async (request) => customers.list(requireActor(request.actor).scope, request.query),
  )

  app.post(
    '/customers',
    {
      config: { access: { role: 'admin' } },
      schema: { tags, summary: 'Create a customer or partner, optionally with contacts', body: CustomerInputSchema, response: { 201: CustomerWithContactsSchema } },
    },
    async (request, reply) => reply.code(201).send(await customers.create(requireActor(request.actor), request.body)),
  )

  app.get(
    '/customers/:customerId',
    {
      config: { access: { role: 'viewer', customers: true } },
      schema: { tags, summary: 'Get a customer with its contacts', params: CustomerParams, response: { 200: CustomerWithContactsSchema } },
    },
    async (request) => customers.get(requireActor(request.actor).scope, request.params.customerId),
  )

  app.patch(
    '/customers/:customerId',
    {
      config: { access: { role: 'admin' } },
      schema: { tags, summary: 'Change a customer', params: CustomerParams, body: CustomerPatchSchema, response: { 200: CustomerWithContactsSchema } },
    },
    async (request) => customers.update(requireActor(request.actor), request.params.customerId, request.body),
  )

  app.post(
    '/customers/:customerId/archive',
    {
      config: { access: { role: 'admin' } },
      schema: { tags, summary: 'Archive a customer: hidden from lists, its tokens stop working, its history stays', params: CustomerParams, response: { 200: CustomerWithContactsSchema } },
    },
    async (request) => customers.archive(requireActor(request.actor), request.params.customerId),
  )

  app.post(
    '/customers/:customerId/restore',
    {
      config: { access: { role: 'admin' } },
      schema: { tags, summary: 'Restore an archived customer', params: CustomerParams, response: { 200: CustomerWithContactsSchema } },
    },
    async (request) => customers.restore(requireActor(request.actor), request.params.customerId),
  )

  app.get(
    '/customers/:customerId/contacts',
    {
      config: { access: { role: 'viewer', customers: true } },
      schema: { tags, summary: "List a customer's contacts", params: CustomerParams, response: { 200: Type.Object({ items: Type.Array(ContactSchema) }) } },
    },
    async (request) => ({ items: await customers.listContacts(requireActor(request.actor).scope, request.params.customerId) }),
  )

  app.post(
    '/customers/:customerId/contacts',
    {
      config: { access: { role: 'responder' } },
      schema: { tags, summary: 'Add a contact', params: CustomerParams, body: ContactInputSchema, response: { 201: ContactSchema } },
    },
    async (request, reply) => reply.code(201).send(await customers.addContact(requireActor(request.actor), request.params.customerId, request.body)),
  )

  app.patch(
    '/customers/:customerId/contacts/:contactId',
    {
      config: { access: { role: 'responder' } },
      schema: { tags, summary: 'Change a contact', params: ContactParams, body: ContactPatchSchema, response: { 200: ContactSchema } },
    },
    async (request) => customers.updateContact(requireActor(request.actor), request.params.customerId, request.params.contactId, request.body),
  )

  app.delete(
    '/customers/:customerId/contacts/:contactId',
    {
      config: { access: { role: 'responder' } },
      schema: { tags, summary: 'Remove a contact', params: ContactParams, response: { 204: Type.Null() } },
    },
    async (request, reply) => {
      await customers.removeContact(requireActor(request.actor), request.params.customerId, request.params.contactId)
      return reply.code(204).send(null)
    },
  )
}
