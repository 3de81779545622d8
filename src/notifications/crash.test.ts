import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { createAudit } from '../audit/index.js'
import { connectDatabase, type DatabaseConfig, type DatabaseHandle } from '../db/connect.js'
import { migrateToLatest } from '../db/migrate.js'
import { createPostgresTestDatabase, dropPostgresTestDatabase, testDialects } from '../db/testing.js'
import { createJobs } from '../jobs/index.js'
import { sleep, waitFor } from '../jobs/testing.js'
import { systemActor } from '../shared/actor.js'
import { systemClock } from '../shared/clock.js'
import { messageIdFor } from './model.js'
import { createNotifications } from './service.js'
import { verifyWebhookSignature } from './signature.js'
import { startSmtpSink, startWebhookReceiver, type SmtpSink, type WebhookReceiver } from './testing.js'

// 1,000 notifications (half email, half webhook) fanned out in one transaction, delivered by the
// real server process (`cordon serve` on the built command: npm test builds dist/ first), which is
// SIGKILLed mid-way and started again. Every message must be delivered and every idempotency key
// seen by its receiver; a message in flight at the kill may arrive twice (at least once), which
// its key lets the receiver drop. The killed server's jobs run again once their 30 s leases expire.

const main = fileURLToPath(new URL('../../dist/main.js', import.meta.url))
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('CORDON_')))
const messageCount = 1000
const concurrency = 8

interface Server {
  child: ChildProcess
  output: () => string
  exit: Promise<number | null>
}

async function startServer(env: Record<string, string>): Promise<Server> {
  const child = spawn(process.execPath, [main, 'serve'], { env: { ...cleanEnv, ...env, CORDON_PORT: '0', CORDON_LOG_LEVEL: 'warn', CORDON_WORKER_CONCURRENCY: String(concurrency) } })
  let output = ''
  // The first admin token is printed on stdout; warnings and errors (pino) on stdout too. Keep the tail for diagnostics.
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000))
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return { child, output: () => output, exit }
}

/** Every idempotency key the receivers saw, with how many times. */
function keysReceived(sink: SmtpSink, receiver: WebhookReceiver, keyOfMessageId: Map<string, string>): Map<string, number> {
  const seen = new Map<string, number>()
  const count = (key: string) => seen.set(key, (seen.get(key) ?? 0) + 1)
  for (const mail of sink.messages) count(keyOfMessageId.get(mail.messageId ?? '') ?? `unknown message-id ${mail.messageId}`)
  for (const request of receiver.requests) count(String(request.headers['idempotency-key']))
  return seen
}

for (const dialect of testDialects) {
  describe(`notifications across a crash of the server (${dialect.name})`, { skip: dialect.skip }, () => {
    it(`delivers all of ${messageCount} messages when the server is SIGKILLed mid-way and started again`, { timeout: 240_000 }, async (context) => {
      const dataDir = mkdtempSync(join(tmpdir(), 'cordon-notify-crash-'))
      const postgresUrl = dialect.name === 'postgres' ? await createPostgresTestDatabase() : undefined
      const config: DatabaseConfig = postgresUrl ? { kind: 'postgres', url: postgresUrl, poolSize: 2 } : { kind: 'sqlite', path: join(dataDir, 'cordon.db') }
      const sink = await startSmtpSink({ delayMs: 2 })
      const receiver = await startWebhookReceiver(async () => {
        await sleep(2)
        return { status: 200, body: 'ok' }
      })
      let database: DatabaseHandle | undefined
      const servers: Server[] = []
      try {
        database = connectDatabase(config)
        await migrateToLatest(database.db)
        const db = database.db
        const audit = createAudit({ db, clock: systemClock })
        const notifications = createNotifications({ db, clock: systemClock, audit, jobs: createJobs({ db, clock: systemClock, audit }), mail: { url: sink.url, from: 'Cordon <cordon@provider.example>' } })
        const channel = await notifications.createChannel(systemActor, { name: 'Crash receiver', kind: 'webhook', url: `${receiver.url}/hook` })
        const keyOfMessageId = new Map<string, string>()
        const keys: string[] = []
        await db.transaction().execute(async (trx) => {
          for (let i = 0; i < messageCount; i++) {
            const key = `crash:${i}`
            keys.push(key)
            if (i % 2 === 0) keyOfMessageId.set(messageIdFor(key), key)
            await notifications.enqueue(trx, {
              idempotencyKey: key,
              to: i % 2 === 0 ? { email: `person${i}@example.net` } : { channelId: channel.id },
              subject: `Message ${i}`,
              text: `Fan-out message ${i} of ${messageCount}.`,
              links: { incidentId: 'crash-incident' },
            })
          }
        })
        const env = { CORDON_DATA_DIR: dataDir, CORDON_SMTP_URL: sink.url, ...(postgresUrl && { CORDON_DATABASE_URL: postgresUrl }) }
        const distinctReceived = () => keysReceived(sink, receiver, keyOfMessageId).size
        const countDelivered = async () => Number((await db.selectFrom('notifications').select((eb) => eb.fn.countAll<number | string>().as('n')).where('status', '=', 'delivered').executeTakeFirstOrThrow()).n)

        const first = await startServer(env)
        servers.push(first)
        await waitFor(() => distinctReceived() >= 150 || first.child.exitCode !== null, 'the first server to deliver some messages', 60_000)
        first.child.kill('SIGKILL')
        await first.exit
        await sleep(100)
        const receivedAtKill = distinctReceived()
        const deliveredAtKill = await countDelivered()

        const second = await startServer(env)
        servers.push(second)
        await waitFor(async () => (await countDelivered()) === messageCount || second.child.exitCode !== null, 'every message to be delivered after the restart', 150_000)
        const received = keysReceived(sink, receiver, keyOfMessageId)
        second.child.kill('SIGTERM')
        const secondExit = await second.exit

        const statuses = await db.selectFrom('notifications').select(['status', (eb) => eb.fn.countAll<number | string>().as('n')]).groupBy('status').execute()
        const jobStatuses = await db.selectFrom('jobs').select(['status', (eb) => eb.fn.countAll<number | string>().as('n')]).where('type', '=', 'notifications.deliver').groupBy('status').execute()
        const unlogged = await db.selectFrom('notifications').select('id').where('status', '=', 'delivered').where((eb) => eb.not(eb.exists(eb.selectFrom('notification_attempts').select('attempt').whereRef('notification_attempts.notification_id', '=', 'notifications.id').where('outcome', '=', 'delivered')))).execute()
        const duplicates = [...received.values()].filter((times) => times > 1).length
        const unsigned = receiver.requests.filter((request) => !verifyWebhookSignature({ secret: channel.secret!, body: request.body, timestamp: String(request.headers['cordon-timestamp']), signature: String(request.headers['cordon-signature']) }).ok)
        context.diagnostic(
          `${dialect.name}: killed with ${receivedAtKill} keys received and ${deliveredAtKill} messages marked delivered; ` +
            `after the restart ${received.size} distinct keys from ${sink.messages.length} emails and ${receiver.requests.length} webhook requests; ` +
            `${duplicates} keys received more than once`,
        )

        assert.ok(receivedAtKill > 0 && receivedAtKill < messageCount, `the kill came mid-way (${receivedAtKill} received)`)
        assert.deepEqual(statuses.map((s) => [s.status, Number(s.n)]), [['delivered', messageCount]])
        assert.deepEqual(jobStatuses.map((s) => [s.status, Number(s.n)]), [['succeeded', messageCount]])
        assert.deepEqual([...received.keys()].sort(), [...keys].sort(), 'the receivers saw every key, and no other')
        assert.deepEqual(unlogged, [], 'every delivered message has its delivered attempt in the log')
        assert.ok(duplicates <= concurrency, `${duplicates} repeats: only the messages in flight at the kill may arrive twice`)
        assert.deepEqual(unsigned.length, 0, 'every webhook request carries a valid signature')
        assert.equal(secondExit, 0, second.output())
      } catch (error) {
        context.diagnostic(servers.map((server, index) => `--- server ${index + 1}\n${server.output()}`).join('\n'))
        throw error
      } finally {
        for (const server of servers) if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL')
        await Promise.all(servers.map((server) => server.exit))
        await database?.close()
        await Promise.all([sink.close(), receiver.close()])
        if (postgresUrl) await dropPostgresTestDatabase(postgresUrl)
        rmSync(dataDir, { recursive: true, force: true })
      }
    })
  })
}
