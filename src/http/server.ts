import swagger from '@fastify/swagger'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { accessRoutes, type Access } from '../access/index.js'
import { alertingRoutes, type Alerting } from '../alerting/index.js'
import { auditRoutes, type Audit } from '../audit/index.js'
import { commsPages, commsRoutes, type Comms } from '../comms/index.js'
import { customerRoutes, type Customers } from '../customers/index.js'
import { exposureRoutes, type Exposure } from '../exposure/index.js'
import { huntRoutes, type HuntService } from '../hunt/index.js'
import { incidentRoutes, type Incidents } from '../incidents/index.js'
import { intelRoutes, type Intel } from '../intel/index.js'
import { inventoryRoutes, type Inventory } from '../inventory/index.js'
import { jobRoutes, type Jobs } from '../jobs/index.js'
import { notificationRoutes, type Notifications } from '../notifications/index.js'
import { remediationRoutes, type Remediation } from '../remediation/index.js'
import { AppError } from '../shared/errors.js'
import { installAccessControl, type RegisteredRoute } from './access.js'
import { problem, sendProblem, toProblem } from './errors.js'
import { ProblemSchema } from './schemas.js'

export interface ServerDeps {
  version: string
  logger: FastifyBaseLogger
  /** Resolves when the database answers; rejects otherwise. */
  checkDatabase: () => Promise<void>
  access: Access
  audit: Audit
  customers: Customers
  inventory: Inventory
  exposure: Exposure
  intel: Intel
  hunt: HuntService
  incidents: Incidents
  jobs: Jobs
  notifications: Notifications
  alerting: Alerting
  remediation: Remediation
  comms: Comms
}

export interface Server {
  app: FastifyInstance
  /** Every route with its access requirement, as registered. */
  routes: RegisteredRoute[]
}

export const apiPrefix = '/api/v1'

export async function buildServer(deps: ServerDeps): Promise<Server> {
  const app = Fastify({
    loggerInstance: deps.logger,
    exposeHeadRoutes: false,
    ajv: { customOptions: { removeAdditional: false, allErrors: true } },
    bodyLimit: 1024 * 1024,
  }).withTypeProvider<TypeBoxTypeProvider>()

  const routes: RegisteredRoute[] = []
  installAccessControl(app, deps.access, routes)

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Cordon API', version: deps.version, description: 'Security operations for providers: who is affected, have they been told, are they clean.' },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API token: cordon_<id>_<secret>' } } },
    },
  })
  app.addSchema(ProblemSchema)

  app.setErrorHandler((error, request, reply) => {
    const value = toProblem(error, request)
    if (value.status >= 500) request.log.error({ err: error }, 'request failed')
    else if (!(error instanceof AppError)) request.log.info({ err: error }, 'request rejected')
    if (error instanceof AppError && error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds))
    return sendProblem(reply, value)
  })
  app.setNotFoundHandler((request, reply) => sendProblem(reply, { ...problem('not_found', 404, `no route ${request.method} ${request.url.split('?')[0]}`), instance: request.url }))

  app.get('/healthz', { config: { access: 'public' }, schema: { hide: true } }, async () => ({ status: 'ok' }))
  app.get('/readyz', { config: { access: 'public' }, schema: { hide: true } }, async () => {
    try {
      await deps.checkDatabase()
    } catch (cause) {
      throw new AppError('unavailable', 'the database does not answer', { cause })
    }
    return { status: 'ready' }
  })
  app.get('/', { config: { access: 'public' }, schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(homePage(deps.version)),
  )
  app.get(`${apiPrefix}/openapi.json`, { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger())

  await app.register(customerRoutes, { prefix: apiPrefix, customers: deps.customers })
  await app.register(inventoryRoutes, { prefix: apiPrefix, inventory: deps.inventory })
  await app.register(exposureRoutes, { prefix: apiPrefix, exposure: deps.exposure })
  await app.register(intelRoutes, { prefix: apiPrefix, intel: deps.intel })
  await app.register(huntRoutes, { prefix: apiPrefix, hunt: deps.hunt })
  await app.register(incidentRoutes, { prefix: apiPrefix, incidents: deps.incidents })
  await app.register(accessRoutes, { prefix: apiPrefix, access: deps.access })
  await app.register(auditRoutes, { prefix: apiPrefix, audit: deps.audit })
  await app.register(jobRoutes, { prefix: apiPrefix, jobs: deps.jobs })
  await app.register(notificationRoutes, { prefix: apiPrefix, notifications: deps.notifications })
  await app.register(alertingRoutes, { prefix: apiPrefix, alerting: deps.alerting })
  await app.register(remediationRoutes, { prefix: apiPrefix, remediation: deps.remediation })
  await app.register(commsRoutes, { prefix: apiPrefix, comms: deps.comms })
  // Acknowledgement links and status pages: reached from emails and browsers, without a login.
  await app.register(commsPages, { comms: deps.comms })

  await app.ready()
  return { app, routes }
}

function homePage(version: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Cordon</title><meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
<main>
<h1>Cordon</h1>
<p>Security operations for communications providers, MSPs and software vendors. Version ${version}.</p>
<p>The API is described in <a href="${apiPrefix}/openapi.json">${apiPrefix}/openapi.json</a>. Health: <a href="/healthz">/healthz</a>, readiness: <a href="/readyz">/readyz</a>.</p>
</main>
</body>
</html>
`
}
