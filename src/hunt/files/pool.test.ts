import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { Examination } from './examine.js'
import { payloadMarker } from './pe.js'
import { hashFiles, type FileToHash, type HashFilesOptions } from './pool.js'
import { aPe, temporaryDirectory } from './testing.js'

/** 2,000 small files (0 to 8 KiB, some PE images among them) in 20 directories, and three large ones. */
function manyFiles(root: string): FileToHash[] {
  const files: FileToHash[] = []
  const write = (path: string, content: Buffer) => {
    writeFileSync(path, content)
    files.push({ path, size: content.length })
  }
  for (let i = 0; i < 2000; i++) {
    const dir = join(root, `d${i % 20}`)
    mkdirSync(dir, { recursive: true })
    const content = i % 100 === 0 ? aPe({ afterSignature: i % 200 === 0 ? payloadMarker : undefined }).bytes : randomBytes(Math.floor(Math.random() * 8192))
    write(join(dir, `f${i}`), content)
  }
  for (const size of [1024 * 1024, 2.5 * 1024 * 1024, 5 * 1024 * 1024 + 3]) write(join(root, `large-${size}`), randomBytes(size))
  return files
}

async function collect(files: FileToHash[], options: HashFilesOptions): Promise<{ results: Examination[]; batches: number }> {
  const results: Examination[] = []
  let batches = 0
  for await (const batch of hashFiles(files, options)) {
    batches++
    results.push(...batch)
  }
  results.sort((a, b) => a.path.localeCompare(b.path))
  return { results, batches }
}

const options: HashFilesOptions = { algorithms: ['sha256', 'sha1', 'md5'], inspectPe: true }

describe('hashFiles', () => {
  it('gives the same results on worker threads as in the calling thread, every file once, small files batched', async (t) => {
    const files = manyFiles(temporaryDirectory(t))

    const inThread = await collect(files, { ...options, threads: 0 })
    const inWorkers = await collect(files, { ...options, threads: 2 })

    assert.equal(inWorkers.results.length, files.length)
    assert.equal(new Set(inWorkers.results.map((result) => result.path)).size, files.length)
    assert.deepEqual(inWorkers.results, inThread.results)
    assert.equal(inWorkers.results.filter((result) => result.kind === 'file' && result.pe?.kind === 'pe' && result.pe.findings.length > 0).length, 10)
    // One message per file would make about 2,000 batches.
    assert.ok(inWorkers.batches < 60, `${inWorkers.batches} batches`)
  })

  it('reports files it cannot read among the results', async (t) => {
    const root = temporaryDirectory(t)
    writeFileSync(join(root, 'present'), 'x')
    const files = [{ path: join(root, 'present'), size: 1 }, { path: join(root, 'missing'), size: 1 }]

    const { results } = await collect(files, { ...options, threads: 2 })

    assert.deepEqual(results.map((result) => [result.kind, result.kind === 'problem' ? result.problem : result.size]), [
      ['problem', 'the file vanished before it could be read'],
      ['file', 1],
    ])
  })

  it('takes its files from an async iterable that is slower than the workers', async (t) => {
    const root = temporaryDirectory(t)
    const files = Array.from({ length: 30 }, (_, i) => ({ path: join(root, `f${i}`), size: 10 }))
    for (const file of files) writeFileSync(file.path, randomBytes(10))
    async function* slowly() {
      for (const file of files) {
        await new Promise((resolve) => setTimeout(resolve, 2))
        yield file
      }
    }

    const results: Examination[] = []
    for await (const batch of hashFiles(slowly(), { ...options, threads: 2 })) results.push(...batch)

    assert.deepEqual(results.map((result) => result.path).sort(), files.map((file) => file.path).sort())
  })

  it('stops its workers when the caller stops early', async (t) => {
    const files = manyFiles(temporaryDirectory(t))
    let input = 0
    function* counted() {
      for (const file of files) {
        input++
        yield file
      }
    }

    for await (const batch of hashFiles(counted(), { ...options, threads: 2, batchFiles: 16 })) {
      assert.ok(batch.length > 0)
      break
    }

    // Reading ahead is bounded: no more than the workers' tasks and the queue can hold.
    assert.ok(input < 200, `read ${input} files ahead`)
    // The test runner would time out here if workers were left running; the event loop must drain.
  })

  it('starts its workers from compiled JavaScript too, without tsx', async (t) => {
    const dir = temporaryDirectory(t)
    const repository = fileURLToPath(new URL('../../../', import.meta.url))
    const sources = fileURLToPath(new URL('.', import.meta.url))
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      extends: join(repository, 'tsconfig.json'),
      compilerOptions: { noEmit: false, sourceMap: false, outDir: join(dir, 'out'), rootDir: sources, typeRoots: [join(repository, 'node_modules/@types')] },
      include: [sources],
      exclude: [join(sources, '**/*.test.ts'), join(sources, 'testing.ts')],
    }))
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}')
    const compile = spawnSync(process.execPath, [join(repository, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' })
    assert.equal(compile.status, 0, compile.stdout + compile.stderr)
    const content = randomBytes(3000)
    writeFileSync(join(dir, 'file'), content)
    writeFileSync(join(dir, 'run.js'), `
      import { hashFiles } from './out/pool.js'
      for await (const batch of hashFiles([{ path: ${JSON.stringify(join(dir, 'file'))}, size: 3000 }], { algorithms: [], inspectPe: false, threads: 1 })) console.log(JSON.stringify(batch))`)

    const run = spawnSync(process.execPath, [join(dir, 'run.js')], { cwd: dir, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } })

    assert.equal(run.status, 0, run.stderr)
    assert.deepEqual(JSON.parse(run.stdout), [{ kind: 'file', path: join(dir, 'file'), size: 3000, sha256: createHash('sha256').update(content).digest('hex') }])
  })

  it('refuses a negative number of threads', async () => {
    await assert.rejects(hashFiles([], { ...options, threads: -1 }).next(), RangeError)
  })
})
