import type { FastifyInstance } from 'fastify'
import { permits, type Access, type AccessRequirement } from '../access/index.js'
import type { Actor } from '../shared/actor.js'
import { AppError } from '../shared/errors.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Every route declares who may call it; a route without one fails at registration. */
    access?: AccessRequirement
  }
  interface FastifyRequest {
    actor: Actor | null
  }
}

export interface RegisteredRoute {
  method: string
  url: string
  access: AccessRequirement
}

/**
 * Refuses routes that declare no access requirement, documents each requirement in the OpenAPI
 * document, and authenticates and authorises every request before its body is even parsed.
 */
export function installAccessControl(app: FastifyInstance, access: Access, routes: RegisteredRoute[]): void {
  app.decorateRequest('actor', null)

  app.addHook('onRoute', (route) => {
    const requirement = route.config?.access
    if (requirement === undefined) {
      throw new Error(`route ${String(route.method)} ${route.url} declares no access requirement (config.access)`)
    }
    for (const method of [route.method].flat()) routes.push({ method: String(method), url: route.url, access: requirement })
    if (requirement !== 'public' && route.schema) {
      const who = `Requires role ${requirement.role} or above${requirement.customers ? '; customer tokens see only their own data' : ''}.`
      route.schema = {
        ...route.schema,
        security: [{ bearerAuth: [] }],
        description: route.schema.description ? `${route.schema.description}\n\n${who}` : who,
      }
    }
  })

  app.addHook('onRequest', async (request) => {
    const requirement = request.routeOptions.config.access
    // Unknown URLs have no requirement: they go on to the not-found handler.
    if (requirement === undefined || requirement === 'public') return
    const header = request.headers.authorization
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null
    const actor = match?.[1] ? await access.authenticate(match[1]) : undefined
    if (!actor) throw new AppError('unauthenticated', 'a valid API token is required (Authorization: Bearer <token>)')
    if (!permits(actor.role, requirement)) {
      throw new AppError('forbidden', `this needs the ${requirement.role} role${requirement.customers ? ' (or a customer token)' : ''}; the token has ${actor.role}`)
    }
    request.actor = actor
  })
}
