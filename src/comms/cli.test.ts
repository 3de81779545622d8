import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

// `cordon notice`, `cordon status-page` and `cordon update` run as processes (through tsx, on the
// sources) on a SQLite database in a fresh data directory.
const main = fileURLToPath(new URL('../main.ts', import.meta.url))
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('CORDON_')))

describe('cordon notice, status-page and update', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cordon-comms-cli-'))
  let incident: string
  after(() => rmSync(dir, { recursive: true, force: true }))
  const cordon = (args: string[]) => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', main, ...args], { env: { ...cleanEnv, CORDON_DATA_DIR: join(dir, 'data') }, encoding: 'utf8', timeout: 60_000 })
    return { code: result.status, stdout: result.stdout, stderr: result.stderr }
  }

  before(() => {
    assert.equal(cordon(['customers', 'create', '--name', 'Quiet Co']).code, 0)
    assert.equal(cordon(['customers', 'create', '--name', 'Loud Co', '--contact', 'Lou <lou@loud.example> security']).code, 0)
    const opened = cordon(['incident', 'open', '--title', 'Phone system compromise', '--severity', 'SEV2', '--customer', 'Quiet Co', 'Loud Co', '--json'])
    assert.equal(opened.code, 0, opened.stderr)
    incident = (JSON.parse(opened.stdout) as { id: string }).id
  })

  it('reports a customer with no contacts before sending, with exit code 2, and sends nothing', () => {
    const result = cordon(['notice', 'send', '--incident', incident, '--json'])
    const listed = cordon(['notice', 'list', '--incident', incident, '--json'])

    assert.equal(result.code, 2)
    assert.match(JSON.parse(result.stderr).error.message, /Quiet Co has no contacts/)
    assert.deepEqual(JSON.parse(listed.stdout), [])
  })

  it('sends to the rest when told to, and shows the notice queued per contact', () => {
    const sent = cordon(['notice', 'send', '--incident', incident, '--send-despite-problems', '--json'])
    assert.equal(sent.code, 0, sent.stderr)
    const report = JSON.parse(sent.stdout) as { notices: Array<{ id: string; customerName: string }>; problems: Array<{ problem: string }> }

    const status = cordon(['notice', 'status', report.notices[0]!.id, '--json'])

    assert.deepEqual(report.notices.map((n) => n.customerName), ['Loud Co'])
    assert.deepEqual(report.problems.map((p) => p.problem), ['no_contacts'])
    assert.equal(status.code, 0, status.stderr)
    assert.deepEqual(JSON.parse(status.stdout).recipients.map((r: { email: string; state: string }) => [r.email, r.state]), [['lou@loud.example', 'queued']])
  })

  it('refuses a template naming a missing field at save time, naming the field', () => {
    const body = join(dir, 'body.md')
    writeFileSync(body, 'Hello {{customer.fax}}\n')

    const result = cordon(['notice', 'template', 'save', '--name', 'Faxed', '--subject', 'Hi', '--body-file', body, '--json'])

    assert.equal(result.code, 2)
    const error = JSON.parse(result.stderr).error as { problems: Array<{ field: string; message: string }> }
    assert.equal(error.problems[0]!.field, 'body')
    assert.match(error.problems[0]!.message, /customer\.fax/)
  })

  it('makes a status-page link and revokes it', () => {
    const made = cordon(['status-page', 'link', 'Loud Co', '--json'])
    const revoked = cordon(['status-page', 'link', 'Loud Co', '--revoke', '--json'])

    assert.equal(made.code, 0, made.stderr)
    assert.match(JSON.parse(made.stdout).url, /\/status\/[A-Za-z0-9_-]{43}$/)
    assert.deepEqual(JSON.parse(revoked.stdout), { revoked: 1 })
  })

  it('posts an update in a known state, and refuses an unknown one naming the field', () => {
    const posted = cordon(['update', 'post', incident, '--state', 'identified', '--text', 'Found it', '--json'])
    const refused = cordon(['update', 'post', incident, '--state', 'fixed', '--text', 'Done', '--json'])

    assert.equal(posted.code, 0, posted.stderr)
    assert.equal(JSON.parse(posted.stdout).state, 'identified')
    assert.equal(refused.code, 2)
    assert.deepEqual(JSON.parse(refused.stderr).error.problems.map((p: { field: string }) => p.field), ['state'])
  })
})
