import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { createPostgresTestDatabase, dropPostgresTestDatabase, testDialects } from '../db/testing.js'
import { verifyWebhookSignature } from './signature.js'
import { startWebhookReceiver, type WebhookReceiver } from './testing.js'

// `cordon notify` run as a process on the built command (npm test builds dist/ first). Spawned
// asynchronously: the webhook receiver the test message goes to lives in this process.
const main = fileURLToPath(new URL('../../dist/main.js', import.meta.url))
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('CORDON_')))

for (const dialect of testDialects) {
  describe(`cordon notify (${dialect.name})`, { skip: dialect.skip }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'cordon-notify-cli-'))
    let receiver: WebhookReceiver
    let databaseUrl: string | undefined
    before(async () => {
      receiver = await startWebhookReceiver((request) => (request.path === '/gone' ? { status: 410, body: 'gone' } : { status: 200, body: 'ok' }))
      if (dialect.name === 'postgres') databaseUrl = await createPostgresTestDatabase()
    })
    after(async () => {
      await receiver.close()
      if (databaseUrl) await dropPostgresTestDatabase(databaseUrl)
      rmSync(dir, { recursive: true, force: true })
    })

    function cordon(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
      return new Promise((resolve) => {
        const child = spawn(process.execPath, [main, ...args], { env: { ...cleanEnv, CORDON_DATA_DIR: join(dir, 'data'), ...(databaseUrl && { CORDON_DATABASE_URL: databaseUrl }) } })
        let stdout = ''
        let stderr = ''
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
        child.on('close', (code) => resolve({ code, stdout, stderr }))
      })
    }

    it('adds a webhook channel, printing its signing secret once, and lists it without the secret', async () => {
      const added = await cordon(['notify', 'channel', 'add', '--name', 'Ops hook', '--webhook', `${receiver.url}/ops`, '--json'])
      const listed = await cordon(['notify', 'channels', '--json'])
      const human = await cordon(['notify', 'channels', 'list'])

      assert.equal(added.code, 0, added.stderr)
      assert.match(JSON.parse(added.stdout).secret, /^whsec_/)
      assert.equal(listed.code, 0, listed.stderr)
      assert.deepEqual(JSON.parse(listed.stdout).items.map((c: { name: string; kind: string }) => [c.name, c.kind]), [['Ops hook', 'webhook']])
      assert.ok(!listed.stdout.includes('whsec_'))
      assert.match(human.stdout, /^NAME\s+KIND\s+TO/m)
    })

    it('sends a signed test message to a channel by name, and shows it in the list and in full', async () => {
      const added = JSON.parse((await cordon(['notify', 'channel', 'add', '--name', 'Tested', '--webhook', `${receiver.url}/tested`, '--json'])).stdout) as { secret: string }

      const tested = await cordon(['notify', 'test', 'tested', '--json'])
      const listed = await cordon(['notify', 'list', '--json'])
      const id = JSON.parse(tested.stdout).id as string
      const shown = await cordon(['notify', 'show', id])

      assert.equal(tested.code, 0, tested.stderr)
      const request = receiver.requests.find((r) => r.path === '/tested')!
      assert.equal(verifyWebhookSignature({ secret: added.secret, body: request.body, timestamp: String(request.headers['cordon-timestamp']), signature: String(request.headers['cordon-signature']) }).ok, true)
      assert.ok(JSON.parse(listed.stdout).items.some((m: { id: string; status: string }) => m.id === id && m.status === 'delivered'))
      assert.match(shown.stdout, /delivery log:\nATTEMPT\s+OUTCOME/)
      assert.match(shown.stdout, /1\s+delivered/)
    })

    it('exits 1 naming the receiver’s answer when the test message is not delivered', async () => {
      await cordon(['notify', 'channel', 'add', '--name', 'Gone', '--webhook', `${receiver.url}/gone`])

      const tested = await cordon(['notify', 'test', 'Gone'])

      assert.equal(tested.code, 1)
      assert.match(tested.stderr, /was not delivered: the webhook answered HTTP 410/)
    })

    it('refuses a bad address with exit 2 naming the field, and adds nothing', async () => {
      const bad = await cordon(['notify', 'channel', 'add', '--name', 'Mailbox', '--email', 'soc at provider', '--json'])
      const both = await cordon(['notify', 'channel', 'add', '--name', 'Both', '--email', 'a@example.com', '--webhook', receiver.url])
      const listed = await cordon(['notify', 'channels', '--json'])

      assert.equal(bad.code, 2)
      assert.equal(JSON.parse(bad.stderr).error.problems[0].field, 'address')
      assert.equal(both.code, 2)
      assert.match(both.stderr, /--email <address> or --webhook <url>/)
      assert.ok(!JSON.parse(listed.stdout).items.some((c: { name: string }) => c.name === 'Mailbox' || c.name === 'Both'))
    })

    it('exits 3 for an unknown channel', async () => {
      const result = await cordon(['notify', 'test', 'no such channel'])

      assert.equal(result.code, 3)
      assert.match(result.stderr, /notification channel no such channel was not found/)
    })
  })
}
