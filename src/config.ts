import Type, { type Static } from 'typebox'
import Value from 'typebox/value'
import { join, resolve } from 'node:path'
import type { DatabaseConfig } from './db/connect.js'
import { AppError, type FieldProblem } from './shared/errors.js'

/**
 * The only reader of the environment. Every variable is parsed once, all problems are
 * reported together, and the result is a frozen Config. CLI flags override variables.
 */

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof logLevels)[number]

const variables = {
  /** Where Cordon keeps its embedded database and other files. */
  CORDON_DATA_DIR: { flag: '--data-dir', schema: Type.String({ minLength: 1 }), expect: 'a directory path' },
  /** A postgres:// URL selects PostgreSQL; unset means SQLite in the data directory. */
  CORDON_DATABASE_URL: {
    flag: '--database-url',
    schema: Type.String({ pattern: '^postgres(ql)?://[^\\s]+$' }),
    expect: 'a postgres:// or postgresql:// URL',
  },
  /** The address the HTTP server listens on. */
  CORDON_HOST: { flag: '--host', schema: Type.String({ minLength: 1, pattern: '^[^\\s]+$' }), expect: 'a host name or IP address' },
  /** The HTTP port (0 picks a free one). */
  CORDON_PORT: { flag: '--port', schema: Type.Integer({ minimum: 0, maximum: 65535 }), expect: 'an integer from 0 to 65535' },
  /** Log verbosity of the server and worker. */
  CORDON_LOG_LEVEL: { flag: '--log-level', schema: Type.Enum([...logLevels]), expect: `one of ${logLevels.join(', ')}` },
  /** How many jobs one worker runs at once. */
  CORDON_WORKER_CONCURRENCY: { flag: '--concurrency', schema: Type.Integer({ minimum: 1, maximum: 64 }), expect: 'an integer from 1 to 64' },
  /** Size of the PostgreSQL connection pool of one process. */
  CORDON_DATABASE_POOL_SIZE: { flag: '--pool-size', schema: Type.Integer({ minimum: 1, maximum: 200 }), expect: 'an integer from 1 to 200' },
  /** Where people reach this server: links in emails (acknowledgements, status pages) start with it. Unset: http://CORDON_HOST:CORDON_PORT. */
  CORDON_PUBLIC_URL: { flag: '--public-url', schema: Type.String({ maxLength: 2000, pattern: '^https?://[^\\s?#]+$' }), expect: 'an http:// or https:// URL without query or fragment' },
  /** The mail server notifications are sent through (smtps:// for TLS from the start); unset means email cannot be sent. */
  CORDON_SMTP_URL: { flag: '--smtp-url', schema: Type.String({ pattern: '^smtps?://[^\\s]+$' }), expect: 'an smtp:// or smtps:// URL' },
  /** The sender of notification emails: an address, optionally with a display name. */
  CORDON_MAIL_FROM: { flag: '--mail-from', schema: Type.String({ minLength: 3, maxLength: 320, pattern: '^[^\\r\\n]*@[^\\r\\n]*$' }), expect: 'an email address, optionally as Name <address>' },
  /** Alerts accepted per second from one source, steadily; beyond it intake answers 429 and stores nothing. */
  CORDON_ALERT_RATE: { flag: '--alert-rate', schema: Type.Integer({ minimum: 1, maximum: 1_000_000 }), expect: 'an integer from 1 to 1000000' },
  /** Alerts one source may send at once above its steady rate. */
  CORDON_ALERT_BURST: { flag: '--alert-burst', schema: Type.Integer({ minimum: 1, maximum: 10_000_000 }), expect: 'an integer from 1 to 10000000' },
} as const

type VariableName = keyof typeof variables

const defaults = {
  CORDON_DATA_DIR: './cordon-data',
  CORDON_HOST: '127.0.0.1',
  CORDON_PORT: 7300,
  CORDON_LOG_LEVEL: 'info',
  CORDON_WORKER_CONCURRENCY: 4,
  CORDON_DATABASE_POOL_SIZE: 10,
  CORDON_MAIL_FROM: 'Cordon <cordon@localhost>',
  CORDON_ALERT_RATE: 500,
  CORDON_ALERT_BURST: 1000,
} as const

const EnvironmentSchema = Type.Object(
  Object.fromEntries(Object.entries(variables).map(([name, v]) => [name, Type.Optional(v.schema)])) as {
    [K in VariableName]: ReturnType<typeof Type.Optional<(typeof variables)[K]['schema']>>
  },
)

export type Environment = Static<typeof EnvironmentSchema>

/** Flag overrides from the CLI, by variable name, as the user typed them. */
export type ConfigOverrides = Partial<Record<VariableName, string | number | undefined>>

export interface Config {
  dataDir: string
  database: DatabaseConfig
  http: { host: string; port: number }
  /** The origin (and path prefix, if any) links in messages use, without a trailing slash. Configs built in code may leave it out: then http://host:port. */
  publicUrl?: string
  logLevel: LogLevel
  worker: { concurrency: number }
  /** Outgoing email. Configs built in code (tests) may leave it out: then no SMTP server, and defaultMailConfig's sender. */
  mail?: MailConfig
  /** Alert intake per source. Configs built in code (tests) may leave it out: then defaultAlertRate. */
  alertRate?: { perSecond: number; burst: number }
}

export const defaultAlertRate = Object.freeze({ perSecond: defaults.CORDON_ALERT_RATE, burst: defaults.CORDON_ALERT_BURST })

export interface MailConfig {
  /** null: not configured, and email notifications fail with an error naming CORDON_SMTP_URL. */
  smtpUrl: string | null
  from: string
}

/** Where links in messages point: the configured public URL, or the address the server listens on. */
export function publicUrlOf(config: Pick<Config, 'http' | 'publicUrl'>): string {
  if (config.publicUrl) return config.publicUrl
  const host = config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host
  return `http://${host}:${config.http.port}`
}

export const defaultMailConfig: MailConfig = Object.freeze({ smtpUrl: null, from: defaults.CORDON_MAIL_FROM })

export class ConfigError extends AppError {
  constructor(problems: FieldProblem[]) {
    super('invalid', `invalid configuration:\n${problems.map((p) => `  ${p.field}: ${p.message}`).join('\n')}`, { problems })
    this.name = 'ConfigError'
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: ConfigOverrides = {}): Config {
  const raw: Record<string, unknown> = {}
  const source: Record<string, string> = {}
  for (const name of Object.keys(variables) as VariableName[]) {
    const override = overrides[name]
    const fromEnv = env[name]
    if (override !== undefined && override !== '') {
      raw[name] = override
      source[name] = `${variables[name].flag} (overrides ${name})`
    } else if (fromEnv !== undefined && fromEnv !== '') {
      raw[name] = fromEnv
      source[name] = name
    }
  }

  const converted = Value.Convert(EnvironmentSchema, { ...raw }) as Record<string, unknown>
  const problems: FieldProblem[] = []
  const reported = new Set<string>()
  for (const error of Value.Errors(EnvironmentSchema, converted)) {
    const name = error.instancePath.replace(/^\//, '') as VariableName
    if (reported.has(name) || !(name in variables)) continue
    reported.add(name)
    problems.push({ field: source[name] ?? name, message: `expected ${variables[name].expect}, got ${JSON.stringify(raw[name])}` })
  }
  if (problems.length > 0) throw new ConfigError(problems)

  const value = { ...defaults, ...converted } as typeof defaults & Environment
  const dataDir = resolve(value.CORDON_DATA_DIR)
  const database: DatabaseConfig = value.CORDON_DATABASE_URL
    ? { kind: 'postgres', url: value.CORDON_DATABASE_URL, poolSize: value.CORDON_DATABASE_POOL_SIZE }
    : { kind: 'sqlite', path: join(dataDir, 'cordon.db') }

  return deepFreeze({
    dataDir,
    database,
    http: { host: value.CORDON_HOST, port: value.CORDON_PORT },
    ...(value.CORDON_PUBLIC_URL !== undefined && { publicUrl: value.CORDON_PUBLIC_URL.replace(/\/+$/, '') }),
    logLevel: value.CORDON_LOG_LEVEL as LogLevel,
    worker: { concurrency: value.CORDON_WORKER_CONCURRENCY },
    mail: { smtpUrl: value.CORDON_SMTP_URL ?? null, from: value.CORDON_MAIL_FROM },
    alertRate: { perSecond: value.CORDON_ALERT_RATE, burst: value.CORDON_ALERT_BURST },
  })
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) if (child && typeof child === 'object') deepFreeze(child)
  return Object.freeze(value)
}
