import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { payloadMarker } from './pe.js'
import { sweepFiles, type SweepEvent, type SweepMatch, type SweepOptions, type SweepProgress, type SweepSummary } from './sweep.js'
import { aPe, temporaryDirectory } from './testing.js'

const trojanizedFfmpeg = Buffer.from('MZ pretend this is the backdoored ffmpeg.dll')
const dropper = Buffer.from('a second-stage dropper')

function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex')
}

/** A small installation tree with one known-bad file, one padded PE and ordinary files around them. */
function anInstallation(root: string): { bytes: number; files: number } {
  const files: Record<string, Buffer> = {
    'app/ffmpeg.dll': trojanizedFfmpeg,
    'app/d3dcompiler_47.dll': aPe({ afterSignature: Buffer.concat([payloadMarker, randomBytes(300)]) }).bytes,
    'app/clean.dll': aPe().bytes,
    'app/resources/dropper.bin': dropper,
  }
  for (let i = 0; i < 50; i++) files[`app/resources/asset-${i}.bin`] = randomBytes(i * 97)
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true })
    writeFileSync(join(root, path), content)
  }
  symlinkSync(join(root, 'app', 'ffmpeg.dll'), join(root, 'app', 'ffmpeg-link.dll'))
  return { bytes: Object.values(files).reduce((sum, content) => sum + content.length, 0), files: Object.keys(files).length }
}

async function sweep(roots: string[], options: SweepOptions): Promise<{ matches: SweepMatch[]; summary: SweepSummary; events: SweepEvent[] }> {
  const events: SweepEvent[] = []
  for await (const event of sweepFiles(roots, options)) events.push(event)
  const matches = events.filter((event): event is SweepMatch => event.kind === 'match').sort((a, b) => a.path.localeCompare(b.path))
  const summary = events.at(-1)
  assert.equal(summary?.kind, 'summary', 'the summary comes last')
  return { matches, summary: summary as SweepSummary, events }
}

for (const threads of [0, 2]) {
  describe(`sweepFiles (threads: ${threads})`, () => {
    it('finds the file with a known-bad hash and the PE with a payload in its certificate table', async (t) => {
      const root = temporaryDirectory(t)
      anInstallation(root)

      const { matches } = await sweep([root], { hashes: { sha256: new Set([sha256(trojanizedFfmpeg).toUpperCase()]) }, inspectPe: true, threads })

      assert.deepEqual(matches.map(({ path, matched, pe }) => [path, matched, pe.map((finding) => finding.kind)]), [
        [join(root, 'app/d3dcompiler_47.dll'), [], ['data_after_signature', 'payload_marker']],
        [join(root, 'app/ffmpeg.dll'), [{ kind: 'sha256', value: sha256(trojanizedFfmpeg) }], []],
      ])
      assert.deepEqual(Object.keys(matches[1]!).sort(), ['kind', 'matched', 'path', 'pe', 'sha256', 'size'])
    })

    it('computes and matches SHA-1 and MD5 only when there are such indicators', async (t) => {
      const root = temporaryDirectory(t)
      anInstallation(root)
      const md5 = createHash('md5').update(dropper).digest('hex')
      const sha1 = createHash('sha1').update(trojanizedFfmpeg).digest('hex')

      const { matches } = await sweep([root], { hashes: { sha256: new Set(), sha1: new Set([sha1]), md5: new Set([md5]) }, inspectPe: false, threads })

      assert.deepEqual(matches.map(({ path, matched }) => [path, matched]), [
        [join(root, 'app/ffmpeg.dll'), [{ kind: 'sha1', value: sha1 }]],
        [join(root, 'app/resources/dropper.bin'), [{ kind: 'md5', value: md5 }]],
      ])
      assert.equal(matches[1]!.sha1, createHash('sha1').update(dropper).digest('hex'))
      assert.equal(matches[1]!.md5, md5)
    })

    it('counts files, bytes, skipped entries and problems, and reports progress up to the same totals', async (t) => {
      const root = temporaryDirectory(t)
      const installed = anInstallation(root)
      const progress: SweepProgress[] = []

      const { summary } = await sweep([root, join(root, 'missing')], {
        hashes: { sha256: new Set([sha256(trojanizedFfmpeg)]) },
        inspectPe: true,
        threads,
        onProgress: (p) => progress.push(p),
      })

      assert.deepEqual(summary, {
        kind: 'summary',
        files: installed.files,
        bytes: installed.bytes,
        matches: 2,
        problems: 1,
        skipped: 1,
        skippedBy: { symlink: 1, special: 0, excluded: 0, size: 0, already_walked: 0 },
        problemSample: [{ kind: 'problem', path: join(root, 'missing'), problem: 'no such file or directory', code: 'ENOENT' }],
        // ffmpeg.dll starts with MZ but has no PE signature: inspected, not a PE.
        pe: { inspected: 3, malformed: 0, withFindings: 1 },
      })
      assert.deepEqual(progress.at(-1), { files: installed.files, bytes: installed.bytes, matches: 2, problems: 1 })
    })

    it('does not inspect PE images unless asked, and applies the walk filters', async (t) => {
      const root = temporaryDirectory(t)
      anInstallation(root)

      const { matches, summary } = await sweep([root], { hashes: { sha256: new Set([sha256(dropper)]) }, inspectPe: false, threads, include: ['*.dll'] })

      assert.deepEqual(matches, [])
      assert.equal(summary.files, 3)
      assert.equal(summary.pe.inspected, 0)
    })
  })
}
