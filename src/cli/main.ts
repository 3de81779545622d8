import { Command, CommanderError, Option } from 'commander'
import { hostname, userInfo } from 'node:os'
import { readFileSync } from 'node:fs'
import type { App, Services } from '../app.js'

/** The composition root, loaded only by commands that need it (main.ts passes it in). */
export type LoadApp = () => Promise<typeof import('../app.js')>
import { registerAccessCommands } from '../access/cli.js'
import { registerAlertingCommands } from '../alerting/cli.js'
import { registerAuditCommands } from '../audit/cli.js'
import { registerCommsCommands } from '../comms/cli.js'
import type { ConfigOverrides } from '../config.js'
import { registerCustomerCommands } from '../customers/cli.js'
import { registerExposureCommands } from '../exposure/cli.js'
import { registerHuntCommands } from '../hunt/cli.js'
import { registerIncidentCommands } from '../incidents/cli.js'
import { registerIntelCommands } from '../intel/cli.js'
import { registerInventoryCommands } from '../inventory/cli.js'
import { registerJobCommands } from '../jobs/cli.js'
import { registerNotificationCommands } from '../notifications/cli.js'
import { registerRemediationCommands } from '../remediation/cli.js'
import { allTenants, type Actor } from '../shared/actor.js'
import { AppError } from '../shared/errors.js'
import { maxPageSize } from '../shared/pagination.js'
import type { CliDoor, CommandHandler } from './door.js'
import { fields, pageTable, progressLine, table } from './output.js'

/** Exit codes: 0 ok, 1 failure, 2 usage error (bad flags, bad input, bad configuration), 3 not found. */
export const exitCodes = { ok: 0, failure: 1, usage: 2, notFound: 3 } as const

const packageVersion = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version

function overridesFrom(options: Record<string, unknown>): ConfigOverrides {
  const pick = (key: string) => (typeof options[key] === 'string' || typeof options[key] === 'number' ? (options[key] as string | number) : undefined)
  return {
    CORDON_DATA_DIR: pick('dataDir'),
    CORDON_DATABASE_URL: pick('databaseUrl'),
    CORDON_HOST: pick('host'),
    CORDON_PORT: pick('port'),
    CORDON_LOG_LEVEL: pick('logLevel'),
    CORDON_WORKER_CONCURRENCY: pick('concurrency'),
    CORDON_PUBLIC_URL: pick('publicUrl'),
    CORDON_SMTP_URL: pick('smtpUrl'),
    CORDON_MAIL_FROM: pick('mailFrom'),
    CORDON_ALERT_RATE: pick('alertRate'),
    CORDON_ALERT_BURST: pick('alertBurst'),
  }
}

async function loadConfigFrom(options: Record<string, unknown>) {
  const { loadConfig } = await import('../config.js')
  return loadConfig(process.env, overridesFrom(options))
}

/** The CLI works on the configured database directly, as an admin: whoever can run it can read the data dir. */
function cliActor(): Actor {
  let user = 'unknown'
  try {
    user = userInfo().username
  } catch {
    // No passwd entry (containers): keep 'unknown'.
  }
  return { kind: 'cli', id: user, label: `${user}@${hostname()}`, role: 'admin', scope: allTenants }
}

function exitCodeFor(error: unknown): number {
  if (error instanceof AppError) {
    if (error.kind === 'not_found') return exitCodes.notFound
    if (error.kind === 'invalid') return exitCodes.usage
  }
  return exitCodes.failure
}

function printError(error: unknown, json: boolean): void {
  if (json) {
    const body =
      error instanceof AppError
        ? { error: { kind: error.kind, message: error.message, ...(error.problems.length > 0 && { problems: error.problems }) } }
        : { error: { kind: 'internal', message: error instanceof Error ? error.message : String(error) } }
    process.stderr.write(`${JSON.stringify(body)}\n`)
    return
  }
  if (error instanceof AppError) {
    process.stderr.write(`cordon: ${error.message}\n`)
    for (const p of error.problems) if (!error.message.includes(p.field)) process.stderr.write(`  ${p.field}: ${p.message}\n`)
    return
  }
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : ''
  process.stderr.write(`cordon: ${error instanceof Error ? error.message : String(error)}${cause}\n`)
}

function print(data: unknown, human: string | undefined, json: boolean): void {
  if (json) process.stdout.write(`${JSON.stringify(data, null, 2)}\n`)
  else process.stdout.write(`${human ?? JSON.stringify(data, null, 2)}\n`)
}

function createDoor(loadApp: LoadApp): CliDoor {
  return {
    table,
    pageTable,
    fields,
    async readJsonFile(file) {
      const { readFile } = await import('node:fs/promises')
      let text: string
      try {
        text = await readFile(file, 'utf8')
      } catch (cause) {
        throw new AppError('invalid', `${file}: cannot be read (${(cause as Error).message})`, { cause, problems: [{ field: 'file', message: 'cannot be read' }] })
      }
      try {
        return JSON.parse(text) as unknown
      } catch (cause) {
        throw new AppError('invalid', `${file}: not JSON (${(cause as Error).message})`, { cause, problems: [{ field: 'file', message: 'not JSON' }] })
      }
    },
    pageSize(value) {
      const size = Number(value)
      if (!Number.isInteger(size) || size < 1 || size > maxPageSize) {
        throw new AppError('invalid', `--limit must be an integer from 1 to ${maxPageSize}`, { problems: [{ field: '--limit', message: 'out of range' }] })
      }
      return size
    },
    common(command) {
      return command
        .option('--json', 'machine-readable JSON output')
        .option('--data-dir <dir>', 'data directory (CORDON_DATA_DIR)')
        .option('--database-url <url>', 'a postgres:// URL (CORDON_DATABASE_URL); default: SQLite in the data directory')
    },
    action(handler: CommandHandler) {
      return async (...params: unknown[]) => {
        const command = params[params.length - 1] as Command
        const options = command.opts()
        const args = params.slice(0, -2).flatMap((a) => (Array.isArray(a) ? a.map(String) : a === undefined ? [] : [String(a)]))
        const json = options.json === true
        let services: Services | undefined
        try {
          const config = await loadConfigFrom(options)
          const { createServices } = await loadApp()
          const { pino } = await import('pino')
          services = await createServices(config, { logger: pino({ level: 'warn' }, process.stderr) })
          const progress = progressLine(!json)
          try {
            const output = await handler({ services, actor: cliActor(), json, progress }, args, options)
            progress.end()
            print(output.data, output.human, json)
          } finally {
            progress.end()
          }
        } catch (error) {
          printError(error, json)
          process.exitCode = exitCodeFor(error)
        } finally {
          await services?.close()
        }
      }
    },
  }
}

function serverOptions(door: CliDoor, command: Command): Command {
  return door
    .common(command)
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (CORDON_LOG_LEVEL)')
    .option('--concurrency <n>', 'jobs run at once by the worker (CORDON_WORKER_CONCURRENCY)')
    .option('--public-url <url>', 'where people reach this server; links in emails start with it (CORDON_PUBLIC_URL)')
    .option('--smtp-url <url>', 'mail server for notifications, smtp:// or smtps:// (CORDON_SMTP_URL)')
    .option('--mail-from <address>', 'sender of notification emails (CORDON_MAIL_FROM)')
    .option('--alert-rate <n>', 'alerts per second accepted from one source (CORDON_ALERT_RATE)')
    .option('--alert-burst <n>', 'alerts one source may send at once above that rate (CORDON_ALERT_BURST)')
}

/** Run until SIGTERM or SIGINT, then shut down gracefully; a second signal exits at once. */
function untilSignalled(close: () => Promise<void>, log: (message: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let stopping = false
    const stop = (signal: string) => {
      if (stopping) {
        log(`${signal} again: exiting now`)
        process.exit(exitCodes.failure)
      }
      stopping = true
      log(`${signal}: finishing in-flight work, then stopping`)
      close().then(resolve, reject)
    }
    process.on('SIGTERM', () => stop('SIGTERM'))
    process.on('SIGINT', () => stop('SIGINT'))
  })
}

function addProcessCommands(program: Command, door: CliDoor, loadApp: LoadApp): void {
  serverOptions(door, program.command('serve').description('run the API server and a job worker'))
    .option('--host <host>', 'listen address (CORDON_HOST)')
    .option('--port <port>', 'listen port (CORDON_PORT)')
    .option('--no-worker', 'serve the API only; run `cordon worker` elsewhere')
    .action(async (options: Record<string, unknown>) => {
      const config = await loadConfigFrom(options)
      const { createApp, ensureDefaultSchedules } = await loadApp()
      const app: App = await createApp(config)
      const { logger } = app.services
      const issued = await app.services.access.ensureFirstAdminToken()
      if (options.worker !== false) {
        await ensureDefaultSchedules(app.services)
        app.startWorker()
      }
      const address = await app.server.app.listen({ host: config.http.host, port: config.http.port })
      if (issued) {
        process.stdout.write(
          `\nFirst admin API token (shown once, store it now):\n\n  ${issued.secret}\n\nUse it as: Authorization: Bearer <token>. Make more with \`cordon token create\`.\n\n`,
        )
      }
      logger.info({ address, database: app.services.database.description, version: packageVersion }, `cordon listening on ${address}`)
      if (!config.publicUrl) logger.warn(`links in emails point at ${(await import('../config.js')).publicUrlOf(config)}: set CORDON_PUBLIC_URL to the address customers reach this server at`)
      await untilSignalled(() => app.close(), (message) => logger.info(message))
      logger.info('stopped')
    })

  serverOptions(door, program.command('worker').description('run a job worker only (many may share one PostgreSQL)')).action(
    async (options: Record<string, unknown>) => {
      const config = await loadConfigFrom(options)
      const { createServices, ensureDefaultSchedules } = await loadApp()
      const services = await createServices(config)
      await ensureDefaultSchedules(services)
      const worker = services.jobs.createWorker({ handlers: services.jobHandlers, concurrency: config.worker.concurrency })
      worker.start()
      services.logger.info({ worker: worker.id, database: services.database.description }, 'worker started')
      await untilSignalled(async () => {
        await worker.stop({ timeoutMs: 30_000 })
        await services.close()
      }, (message) => services.logger.info(message))
    },
  )

  door.common(program.command('migrate').description('apply pending database migrations')).action(
    door.action(async ({ services }) => {
      const report = services.migrations ?? { applied: [], current: [] }
      return {
        data: report,
        human: fields([
          ['database', services.database.description],
          ['applied now', report.applied.join(', ') || 'none (already up to date)'],
          ['migrations', report.current.length],
        ]),
      }
    }),
  )
}

export function buildProgram(loadApp: LoadApp): Command {
  const door = createDoor(loadApp)
  const program = new Command('cordon')
    .description('Cordon: security operations for providers. Who is affected, have they been told, are they clean.')
    .version(packageVersion, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) })
  program.addOption(new Option('--no-color').hideHelp())
  addProcessCommands(program, door, loadApp)
  registerCustomerCommands(program, door)
  registerInventoryCommands(program, door)
  registerExposureCommands(program, door)
  registerIntelCommands(program, door)
  registerHuntCommands(program, door)
  registerIncidentCommands(program, door)
  registerAlertingCommands(program, door)
  registerAccessCommands(program, door)
  registerAuditCommands(program, door)
  registerJobCommands(program, door)
  registerNotificationCommands(program, door)
  registerRemediationCommands(program, door)
  registerCommsCommands(program, door)
  return program
}

/** Run the CLI and return the exit code. */
export async function runCli(argv: string[], loadApp: LoadApp): Promise<number> {
  const program = buildProgram(loadApp)
  try {
    await program.parseAsync(argv)
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.version' || error.code === 'commander.helpDisplayed' || error.code === 'commander.help') return exitCodes.ok
      return exitCodes.usage
    }
    printError(error, argv.includes('--json'))
    return exitCodeFor(error)
  }
  return typeof process.exitCode === 'number' ? process.exitCode : exitCodes.ok
}
