import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

// `cordon alert` and `cordon oncall` as processes on the built command (npm test builds dist/
// first), on a SQLite database in a fresh data directory.
const main = fileURLToPath(new URL('../../dist/main.js', import.meta.url))
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('CORDON_')))

describe('cordon alert and cordon oncall', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cordon-alert-cli-'))
  after(() => rmSync(dir, { recursive: true, force: true }))
  const cordon = (args: string[]) => {
    const result = spawnSync(process.execPath, [main, ...args], { env: { ...cleanEnv, CORDON_DATA_DIR: join(dir, 'data') }, encoding: 'utf8', timeout: 60_000 })
    return { code: result.status, stdout: result.stdout, stderr: result.stderr }
  }
  const json = (args: string[]) => {
    const result = cordon([...args, '--json'])
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`)
    return JSON.parse(result.stdout)
  }

  it('sends an alert twice under one dedup key, lists it once with count 2, acknowledges and resolves it', () => {
    const first = json(['alert', 'send', '--summary', '3CXDesktopApp.exe flagged on srv01', '--severity', 'critical', '--source', 'edr', '--dedup-key', 'srv01/3cx', '--label', 'site=lon'])
    const second = json(['alert', 'send', '--summary', '3CXDesktopApp.exe flagged on srv01', '--severity', 'critical', '--source', 'edr', '--dedup-key', 'srv01/3cx'])

    const listed = json(['alert', 'list', '--status', 'triggered'])
    const acknowledged = json(['alert', 'ack', first.alertId])
    const resolved = json(['alert', 'resolve', first.alertId])

    assert.equal(second.outcome, 'deduplicated')
    assert.deepEqual(listed.items.map((a: { id: string; count: number; labels: object }) => [a.id, a.count, a.labels]), [[first.alertId, 2, { site: 'lon' }]])
    assert.equal(acknowledged.status, 'acknowledged')
    assert.equal(resolved.status, 'resolved')
    assert.equal(resolved.resolution, 'manual')
  })

  it('refuses an unknown severity with exit code 2, naming the field, and stores nothing', () => {
    const result = cordon(['alert', 'send', '--summary', 'x', '--severity', 'sev0', '--source', 'edr', '--json'])

    assert.equal(result.code, 2)
    assert.deepEqual(JSON.parse(result.stderr).error.problems.map((p: { field: string }) => p.field), ['severity'])
    assert.equal(json(['alert', 'list', '--source', 'edr']).items.length, 1)
  })

  it('says who is on call at a time from a schedule saved from a file, across a daylight-saving change', () => {
    const ann = json(['users', 'create', '--email', 'ann@provider.example', '--name', 'Ann', '--role', 'responder'])
    const bob = json(['users', 'create', '--email', 'bob@provider.example', '--name', 'Bob', '--role', 'responder'])
    const file = join(dir, 'noc.json')
    writeFileSync(file, JSON.stringify({ timezone: 'Europe/London', layers: [{ name: 'daily', start: '2026-03-27T09:00', rotation: { kind: 'daily' }, users: [ann.id, bob.id] }] }))
    json(['oncall', 'schedule', 'NOC', file])

    // 2026-03-29 is the spring change in London: the hand-off stays at 09:00 local, 08:00 UTC.
    const before = json(['oncall', 'who', '--at', '2026-03-29T07:59:00Z'])
    const after = json(['oncall', 'who', '--at', '2026-03-29T08:00:00Z', '--schedule', 'NOC'])

    assert.equal(before[0].shift.userId, bob.id)
    assert.equal(after[0].shift.userId, ann.id)
    assert.equal(after[0].shift.start, '2026-03-29T08:00:00.000Z')
  })

  it('refuses a schedule file that is not JSON, or is missing, with exit code 2 naming the file', () => {
    const file = join(dir, 'broken.json')
    writeFileSync(file, '{"timezone": "UTC",')

    const broken = cordon(['oncall', 'schedule', 'Broken', file, '--json'])
    const missing = cordon(['oncall', 'schedule', 'Missing', join(dir, 'nowhere.json'), '--json'])

    assert.equal(broken.code, 2)
    assert.match(JSON.parse(broken.stderr).error.message, /broken\.json: not JSON/)
    assert.equal(missing.code, 2)
    assert.match(JSON.parse(missing.stderr).error.message, /nowhere\.json: cannot be read/)
  })

  it('refuses a schedule in an unknown time zone with exit code 2', () => {
    const file = join(dir, 'mars.json')
    writeFileSync(file, JSON.stringify({ timezone: 'Mars/Olympus', layers: [] }))

    const result = cordon(['oncall', 'schedule', 'Mars', file, '--json'])

    assert.equal(result.code, 2)
    assert.ok(JSON.parse(result.stderr).error.problems.some((p: { field: string }) => p.field === 'definition.timezone'))
  })
})
