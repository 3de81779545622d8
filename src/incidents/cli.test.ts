import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

// `cordon incident` and `cordon playbook` run as processes on the built command (npm test builds
// dist/ first), on a SQLite database in a fresh data directory.
const main = fileURLToPath(new URL('../../dist/main.js', import.meta.url))
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('CORDON_')))

describe('cordon incident', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cordon-incident-cli-'))
  after(() => rmSync(dir, { recursive: true, force: true }))
  const cordon = (args: string[]) => {
    const result = spawnSync(process.execPath, [main, ...args], { env: { ...cleanEnv, CORDON_DATA_DIR: join(dir, 'data') }, encoding: 'utf8', timeout: 60_000 })
    return { code: result.status, stdout: result.stdout, stderr: result.stderr }
  }

  it('opens an incident with the bundled playbook, completes a task, and shows tasks and timeline as JSON', () => {
    const opened = cordon(['incident', 'open', '--title', '3CX DesktopApp compromise', '--severity', 'sev1', '--playbook', 'vendor-supply-chain-compromise', '--json'])
    assert.equal(opened.code, 0, opened.stderr)
    const { id, tasks } = JSON.parse(opened.stdout) as { id: string; tasks: Array<{ id: string }> }

    const done = cordon(['incident', 'task', id, 'done', tasks[0]!.id, '--json'])
    const shown = cordon(['incident', 'show', id, '--json'])

    assert.equal(done.code, 0, done.stderr)
    assert.equal(shown.code, 0, shown.stderr)
    const incident = JSON.parse(shown.stdout)
    assert.equal(incident.severity, 'SEV1')
    assert.deepEqual(incident.tasks.slice(0, 2).map((t: { status: string }) => t.status), ['done', 'open'])
    assert.deepEqual(incident.timeline.map((e: { kind: string }) => e.kind), ['opened', 'playbook', 'task'])
  })

  it('writes the HTML report to a file', () => {
    const { id } = JSON.parse(cordon(['incident', 'open', '--title', 'Report me', '--severity', 'SEV3', '--json']).stdout) as { id: string }
    const file = join(dir, 'report.html')

    const result = cordon(['incident', 'report', id, '--format', 'html', '--output', file, '--json'])

    assert.equal(result.code, 0, result.stderr)
    assert.equal(JSON.parse(result.stdout).output, file)
    assert.match(readFileSync(file, 'utf8'), /<h1>Incident report: Report me<\/h1>/)
  })

  it('refuses a status that goes backwards with exit code 2, naming the field', () => {
    const { id } = JSON.parse(cordon(['incident', 'open', '--title', 'Backwards', '--severity', 'SEV4', '--json']).stdout) as { id: string }
    cordon(['incident', 'update', id, '--status', 'closed'])

    const result = cordon(['incident', 'update', id, '--status', 'active', '--json'])

    assert.equal(result.code, 2)
    assert.deepEqual(JSON.parse(result.stderr).error.problems.map((p: { field: string }) => p.field), ['status'])
  })
})
