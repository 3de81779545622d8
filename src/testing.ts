import { pino } from 'pino'
import { createApp, type App, type Services } from './app.js'
import type { Config } from './config.js'
import type { DatabaseConfig, Dialect } from './db/connect.js'
import { createPostgresTestDatabase, dropPostgresTestDatabase } from './db/testing.js'
import { systemActor, type Role } from './shared/actor.js'
import type { Clock } from './shared/clock.js'

/** The whole app on a fresh test database (in-memory SQLite or a new PostgreSQL database). */
export interface TestApp {
  app: App
  services: Services
  inject: App['server']['app']['inject']
  /** A new token with this role (bound to `customerId` for role customer). */
  tokenFor(role: Role, customerId?: string): Promise<string>
  close(): Promise<void>
}

export async function testDatabaseConfig(dialect: Dialect): Promise<{ database: DatabaseConfig; drop(): Promise<void> }> {
  if (dialect === 'sqlite') return { database: { kind: 'sqlite', path: ':memory:' }, drop: async () => {} }
  const url = await createPostgresTestDatabase()
  return { database: { kind: 'postgres', url, poolSize: 4 }, drop: () => dropPostgresTestDatabase(url) }
}

export function testConfig(database: DatabaseConfig): Config {
  return { dataDir: '/nonexistent', database, http: { host: '127.0.0.1', port: 0 }, logLevel: 'silent', worker: { concurrency: 1 }, alertRate: { perSecond: 100, burst: 500 } }
}

export async function createTestApp(dialect: Dialect, options: { clock?: Clock } = {}): Promise<TestApp> {
  const { database, drop } = await testDatabaseConfig(dialect)
  const app = await createApp(testConfig(database), { ...options, logger: pino({ level: 'silent' }) })
  let counter = 0
  return {
    app,
    services: app.services,
    inject: app.server.app.inject.bind(app.server.app),
    async tokenFor(role, customerId) {
      counter += 1
      const issued = await app.services.access.createToken(systemActor, { name: `test ${role} ${counter}`, role, ...(customerId && { customerId }) })
      return issued.secret
    },
    async close() {
      await app.close()
      await drop()
    },
  }
}
