import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { campaign, huntFile, type Hunted } from './testing.js'

const scratch = mkdtempSync(join(tmpdir(), 'cordon-hunt-parallel-'))
after(() => rmSync(scratch, { recursive: true, force: true }))

const attackerNames = ['beacon.msstorageazure.com', 'update.AKAMAICONTAINER.com', 'cdn.sbmsa.wiki.', 'xn--mnchen-3ya.de', 'www.azuredeploystore.com']

/**
 * A Zeek dns.log of some 4 MB with what tests line numbering: a second header in the middle that
 * moves the query column, blank and CRLF lines, unparseable lines, a line longer than the limit
 * and longer than a range, and no newline at the end.
 */
function zeekLog(): string {
  const header = (fields: string[]) => ['#separator \\x09', '#set_separator\t,', '#empty_field\t(empty)', '#unset_field\t-', '#path\tdns', `#fields\t${fields.join('\t')}`, `#types\t${fields.map(() => 'string').join('\t')}`]
  const first = ['ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'query', 'answers', 'rcode_name']
  const second = ['ts', 'query', 'uid', 'id.orig_h', 'answers', 'id.resp_h', 'rcode_name']
  const lines = [...header(first)]
  const row = (i: number, fields: string[]) => {
    const name = i % 997 === 0 ? attackerNames[i % attackerNames.length]! : `host${i}.example.org`
    const values: Record<string, string> = {
      ts: (1710756000 + i / 100).toFixed(6), uid: `C${i.toString(36)}x`, 'id.orig_h': `192.0.2.${i % 250}`, 'id.orig_p': String(1024 + (i % 60000)),
      'id.resp_h': i % 1500 === 0 ? '198.51.100.77' : '192.0.2.53', 'id.resp_p': '53', proto: 'udp', query: name,
      answers: i % 1300 === 0 ? 'edge.pbxsources.com,198.51.100.1' : `93.184.${i % 256}.${(i >> 8) % 256}`, rcode_name: 'NOERROR',
    }
    return fields.map((field) => values[field]!).join('\t')
  }
  for (let i = 0; i < 40_000; i++) {
    if (i === 24_000) lines.push(...header(second))
    const fields = i >= 24_000 ? second : first
    if (i % 5000 === 1) lines.push('')
    if (i % 7000 === 2) lines.push('garbage that is not a Zeek record')
    if (i === 15_000) lines.push(`${row(i, fields)}\t${'x'.repeat(200 * 1024)}`)
    lines.push(i % 3000 === 3 ? `${row(i, fields)}\r` : row(i, fields))
  }
  return lines.join('\n')
}

function withoutWorkers(hunted: Hunted): Hunted {
  return { sightings: hunted.sightings, report: { ...hunted.report, workers: 0 } }
}

describe('huntLogFile in worker threads', () => {
  it('gives exactly the sightings, line numbers and report of the single-thread hunt', async () => {
    const path = join(scratch, 'dns.log')
    writeFileSync(path, zeekLog())

    const single = await huntFile(path, { workers: 1, maxLineBytes: 64 * 1024 })
    const parallel = await huntFile(path, { workers: 2, rangeBytes: 96 * 1024, maxLineBytes: 64 * 1024 })

    assert.equal(single.report.workers, 0)
    assert.equal(parallel.report.workers, 2)
    assert.deepEqual(withoutWorkers(parallel), single)
    assert.equal(single.report.format, 'zeek')
    assert.ok(single.report.sightings > 50, `${single.report.sightings} sightings`)
    assert.ok(single.sightings.some((sighting) => sighting.line > 24_010 && sighting.value === 'beacon.msstorageazure.com'), 'a sighting read with the second header')
    assert.equal(single.report.unparseable, 7)
  })

  it('numbers lines the same for a format without a header, whatever the range size', async () => {
    const lines = Array.from({ length: 30_000 }, (_, i) => `Mar 18 10:${String(Math.floor(i / 600) % 60).padStart(2, '0')}:00 dnsmasq[812]: query[A] ${i % 777 === 0 ? 'x.officeaddons.com' : `h${i}.example.org`} from 192.0.2.${i % 200}`)
    const path = join(scratch, 'dnsmasq.log')
    writeFileSync(path, `\ufeff${lines.join('\n')}\n\n`)

    const single = await huntFile(path, { workers: 1 })
    for (const rangeBytes of [1024, 50_000, 333_333]) {
      const parallel = await huntFile(path, { workers: 2, rangeBytes })

      assert.deepEqual(withoutWorkers(parallel), single, `ranges of ${rangeBytes} bytes`)
    }
    assert.equal(single.report.sightings, 39)
  })

  it('runs from the compiled JavaScript as well as from the TypeScript sources', async () => {
    const root = fileURLToPath(new URL('../../..', import.meta.url))
    const out = join(scratch, 'dist')
    const config = join(scratch, 'tsconfig.json')
    writeFileSync(config, JSON.stringify({
      extends: join(root, 'tsconfig.json'),
      // An emit of these files and what they import; the whole program is type-checked elsewhere.
      compilerOptions: { noEmit: false, noCheck: true, rootDir: join(root, 'src'), outDir: out, sourceMap: false, typeRoots: [join(root, 'node_modules/@types')] },
      include: [],
      files: [join(root, 'src/hunt/logs/engine.ts'), join(root, 'src/hunt/logs/worker.ts')],
    }))
    execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', config], { cwd: root, stdio: 'pipe' })
    writeFileSync(join(out, 'package.json'), '{"type":"module"}')
    const path = join(scratch, 'compiled.log')
    writeFileSync(path, zeekLog())
    mkdirSync(join(scratch, 'run'), { recursive: true })
    const script = join(scratch, 'run', 'hunt.mjs')
    writeFileSync(script, `
      import { IndicatorMatcher } from ${JSON.stringify(join(out, 'hunt/match.js'))}
      import { huntLogFile } from ${JSON.stringify(join(out, 'hunt/logs/engine.js'))}
      const hunt = huntLogFile(${JSON.stringify(path)}, { matcher: new IndicatorMatcher(${JSON.stringify(campaign)}), workers: 2, rangeBytes: 96 * 1024, maxLineBytes: 64 * 1024, referenceTime: new Date('2024-06-01T00:00:00Z') })
      const sightings = []
      let next = await hunt.next()
      for (; !next.done; next = await hunt.next()) sightings.push(...next.value)
      console.log(JSON.stringify({ sightings, report: next.value }))
    `)

    // Plain node: no tsx, so the workers load worker.js.
    const compiled = JSON.parse(execFileSync(process.execPath, [script], { cwd: scratch, encoding: 'utf8' })) as Hunted
    const sources = await huntFile(path, { workers: 1, maxLineBytes: 64 * 1024 })

    assert.equal(compiled.report.workers, 2)
    assert.deepEqual(withoutWorkers(compiled), sources)
  })
})
