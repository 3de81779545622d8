import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { fixturePath } from './testing.js'

// The `cordon intel` commands, run as a process on the built command (npm test builds dist/ first).
const main = fileURLToPath(new URL('../../dist/main.js', import.meta.url))
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('CORDON_')))

describe('cordon intel', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cordon-intel-cli-'))
  after(() => rmSync(dataDir, { recursive: true, force: true }))
  const cordon = (...args: string[]) => {
    const result = spawnSync(process.execPath, [main, ...args], { env: { ...cleanEnv, CORDON_DATA_DIR: dataDir }, encoding: 'utf8', timeout: 60_000 })
    return { code: result.status, stdout: result.stdout, stderr: result.stderr }
  }

  it('shows the bundled 3CX advisory by its CVE, as text and as JSON', () => {
    const human = cordon('intel', 'show', 'CVE-2023-29059')
    const json = cordon('intel', 'show', 'CORDON-2023-0001', '--json')

    assert.equal(human.code, 0, human.stderr)
    assert.match(human.stdout, /id:\s+CORDON-2023-0001/)
    assert.match(human.stdout, /3CX Desktop App\s+-\s+macos\s+18\.11\.1213 18\.12\.402 18\.12\.407 18\.12\.416/)
    assert.match(human.stdout, /fixed on windows: 18\.12\.425/)
    assert.equal(JSON.parse(json.stdout).indicatorCount, 58)
  })

  it('imports several files, each in its own transaction, and reports each', () => {
    const result = cordon('intel', 'import', fixturePath('osv/DSA-5417-1.json'), fixturePath('csv/volexity-3cx-iocs.csv'), '--json')

    assert.equal(result.code, 0, result.stderr)
    const reports = JSON.parse(result.stdout) as Array<{ format: string; advisories: { added: number }; indicators: { added: number }; rejectedCount: number }>
    assert.deepEqual(reports.map((r) => [r.format, r.advisories.added, r.indicators.added, r.rejectedCount]), [
      ['osv', 1, 0, 0],
      ['csv', 0, 11, 1],
    ])
    const human = cordon('intel', 'import', fixturePath('csv/volexity-3cx-iocs.csv'))
    assert.match(human.stdout, /indicators: 0 added, 0 updated, 11 unchanged; 1 rejected, 0 unusable/)
    assert.match(human.stdout, /rejected {2}.*volexity-3cx-iocs\.csv:4: type "emailwhois"/)
  })

  it('lists advisories and indicators with filters', () => {
    const advisories = cordon('intel', 'list', '--search', 'openssl', '--json')
    const indicators = cordon('intel', 'indicators', '--kind', 'domain', '--advisory', 'CORDON-2023-0001', '--limit', '3', '--json')
    const table = cordon('intel', 'list')

    assert.deepEqual(JSON.parse(advisories.stdout).items.map((a: { externalId: string }) => a.externalId), ['DSA-5417-1'])
    assert.equal(JSON.parse(indicators.stdout).items.length, 3)
    assert.match(table.stdout, /CORDON-2023-0001\s+critical\s+2023-03-30\s+CVE-2023-29059/)
  })

  it('exits 2 naming the file and line for a file it cannot read, having imported the good ones, and 3 for an unknown advisory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cordon-intel-bad-'))
    try {
      const bad = join(dir, 'bad.json')
      writeFileSync(bad, '[{"id": "GHSA-1",\n')
      const result = cordon('intel', 'import', bad, fixturePath('osv/PYSEC-2021-66.json'))

      assert.equal(result.code, 2)
      assert.match(result.stderr, /bad\.json:2: the JSON ends before it is complete/)
      assert.match(result.stderr, /PYSEC-2021-66\.json imported \(advisories: 1 added/)
      assert.equal(cordon('intel', 'show', 'PYSEC-2021-66').code, 0)
      assert.equal(cordon('intel', 'show', 'GHSA-none').code, 3)
      assert.equal(cordon('intel', 'import', join(dir, 'missing.json')).code, 3)
      assert.equal(cordon('intel', 'list', '--severity', 'dire').code, 2)
      assert.equal(cordon('intel', 'import', bad, '--format', 'misp').code, 2)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
