import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { describe, it } from 'node:test'
import { ignoresDirectoryPermissions, temporaryDirectory } from './testing.js'
import { walkFiles, type FileProblem, type SkipReason, type WalkEntry, type WalkOptions } from './walk.js'

/** Files (relative to root, sorted), problems, and skipped entries of a walk. */
async function walk(root: string, options: WalkOptions = {}, roots = [root]) {
  const skipped: [string, SkipReason][] = []
  const entries: WalkEntry[] = []
  for await (const entry of walkFiles(roots, { ...options, onSkipped: (path, reason) => skipped.push([relative(root, path), reason]) })) entries.push(entry)
  return {
    files: entries.flatMap((entry) => (entry.kind === 'file' ? [relative(root, entry.path)] : [])).sort(),
    sizes: Object.fromEntries(entries.flatMap((entry) => (entry.kind === 'file' ? [[relative(root, entry.path), entry.size]] : []))),
    problems: entries.flatMap((entry) => (entry.kind === 'problem' ? [{ ...entry, path: relative(root, entry.path) }] : [])),
    skipped: skipped.sort(([a], [b]) => a.localeCompare(b)),
  }
}

/** Writes files (path relative to root → content), creating their directories. */
function tree(root: string, files: Record<string, string | number>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), typeof content === 'number' ? Buffer.alloc(content, 1) : content)
  }
}

describe('walkFiles', () => {
  it('yields every regular file under the root with its size, and no directories', async (t) => {
    const root = temporaryDirectory(t)
    tree(root, { 'a.txt': 3, 'sub/b.dll': 10, 'sub/deeper/c.exe': 0, 'other/d': 1 })
    mkdirSync(join(root, 'empty'))

    const { files, sizes, problems } = await walk(root)

    assert.deepEqual(files, ['a.txt', 'other/d', 'sub/b.dll', 'sub/deeper/c.exe'])
    assert.deepEqual(sizes, { 'a.txt': 3, 'sub/b.dll': 10, 'sub/deeper/c.exe': 0, 'other/d': 1 })
    assert.deepEqual(problems, [])
  })

  it('reads directories as it goes, not the whole tree first', async (t) => {
    const root = temporaryDirectory(t)
    tree(root, { 'first.txt': 1 })
    mkdirSync(join(root, 'later'))
    const seen: string[] = []

    for await (const entry of walkFiles([root])) {
      if (entry.kind === 'file') seen.push(relative(root, entry.path))
      if (seen.length === 1) writeFileSync(join(root, 'later', 'created-during-the-walk.txt'), 'x')
    }

    assert.deepEqual(seen, ['first.txt', 'later/created-during-the-walk.txt'])
  })

  it('does not follow symbolic links by default, and reports them as skipped', async (t) => {
    const root = temporaryDirectory(t)
    tree(root, { 'real/file.txt': 1 })
    symlinkSync(join(root, 'real'), join(root, 'link-to-dir'))
    symlinkSync(join(root, 'real', 'file.txt'), join(root, 'link-to-file'))
    symlinkSync(join(root, 'nowhere'), join(root, 'broken'))

    const { files, problems, skipped } = await walk(root)

    assert.deepEqual(files, ['real/file.txt'])
    assert.deepEqual(problems, [])
    assert.deepEqual(skipped, [['broken', 'symlink'], ['link-to-dir', 'symlink'], ['link-to-file', 'symlink']])
  })

  it('follows links when asked, walks a directory reached twice only once, and reports a broken link', async (t) => {
    const root = temporaryDirectory(t)
    tree(root, { 'real/file.txt': 1 })
    symlinkSync(join(root, 'real'), join(root, 'link-to-dir'))
    symlinkSync(join(root, 'real', 'file.txt'), join(root, 'link-to-file'))
    symlinkSync(join(root, 'nowhere'), join(root, 'broken'))

    const { files, problems, skipped } = await walk(root, { followSymlinks: true })

    // Which of real/ and link-to-dir/ is walked depends on the directory's order; the other is skipped.
    assert.equal(files.length, 2)
    assert.ok(files.includes('link-to-file'))
    assert.ok(files.includes('real/file.txt') || files.includes('link-to-dir/file.txt'), files.join(', '))
    assert.deepEqual(skipped.map(([, reason]) => reason), ['already_walked'])
    assert.deepEqual(problems, [{ kind: 'problem', path: 'broken', problem: 'broken symbolic link: its target does not exist', code: 'ENOENT' }])
  })

  it('reports a link back to an ancestor as a loop and goes on', async (t) => {
    const root = temporaryDirectory(t)
    tree(root, { 'a/b/file.txt': 1, 'z.txt': 1 })
    symlinkSync('../..', join(root, 'a', 'b', 'up'))
    symlinkSync('self', join(root, 'self'))

    const { files, problems } = await walk(root, { followSymlinks: true })

    assert.deepEqual(files, ['a/b/file.txt', 'z.txt'])
    assert.deepEqual(problems.map(({ path, problem }) => [path, problem]).sort(), [
      ['a/b/up', `symbolic link loop: leads back to ${root}`],
      ['self', 'symbolic link loop: the link resolves to itself'],
    ])
  })

  it('follows a root that is itself a symbolic link', async (t) => {
    const root = temporaryDirectory(t)
    tree(root, { 'real/file.txt': 1 })
    symlinkSync(join(root, 'real'), join(root, 'root-link'))

    const { files } = await walk(root, {}, [join(root, 'root-link')])

    assert.deepEqual(files, ['root-link/file.txt'])
  })

  it('reports a root that does not exist, yields a root that is a file, and goes on', async (t) => {
    const root = temporaryDirectory(t)
    tree(root, { 'single.dll': 5 })

    const { files, problems } = await walk(root, {}, [join(root, 'missing'), join(root, 'single.dll')])

    assert.deepEqual(files, ['single.dll'])
    assert.deepEqual(problems, [{ kind: 'problem', path: 'missing', problem: 'no such file or directory', code: 'ENOENT' }])
  })

  it('reports a directory it cannot list and walks the rest (as root, chmod 000 does not stop it: then it lists it)', async (t) => {
    const root = temporaryDirectory(t)
    tree(root, { 'a.txt': 1, 'locked/secret.txt': 1, 'z/b.txt': 1 })
    chmodSync(join(root, 'locked'), 0)

    const { files, problems } = await walk(root)

    if (ignoresDirectoryPermissions(join(root, 'locked'))) {
      assert.deepEqual(files, ['a.txt', 'locked/secret.txt', 'z/b.txt'])
      assert.deepEqual(problems, [])
    } else {
      assert.deepEqual(files, ['a.txt', 'z/b.txt'])
      assert.deepEqual(problems, [{ kind: 'problem', path: 'locked', problem: 'cannot list the directory: permission denied', code: 'EACCES' }])
    }
  })

  it('reports a directory it cannot list when running as an unprivileged user', { skip: process.getuid?.() !== 0 && 'runs only as root, which can switch to nobody; the test above covers other users' }, async (t) => {
    const root = temporaryDirectory(t)
    tree(root, { 'a.txt': 1, 'locked/secret.txt': 1 })
    chmodSync(root, 0o755)
    chmodSync(join(root, 'locked'), 0)
    const script = `
      import { walkFiles } from ${JSON.stringify(new URL('./walk.ts', import.meta.url).href)}
      const entries = []
      for await (const entry of walkFiles([${JSON.stringify(root)}])) entries.push(entry)
      console.log(JSON.stringify(entries))`

    const child = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), '--input-type=module', '-e', script], { uid: 65534, gid: 65534, cwd: '/', encoding: 'utf8' })

    assert.equal(child.status, 0, child.stderr)
    const entries = JSON.parse(child.stdout) as WalkEntry[]
    assert.deepEqual(entries.map((entry) => (entry.kind === 'file' ? relative(root, entry.path) : entry)), [
      'a.txt',
      { kind: 'problem', path: join(root, 'locked'), problem: 'cannot list the directory: permission denied', code: 'EACCES' } satisfies FileProblem,
    ])
  })

  it('reports files that vanish between the listing and the read', async (t) => {
    const root = temporaryDirectory(t)
    tree(root, { 'a.txt': 1, 'b.txt': 1, 'c.txt': 1 })
    const entries: WalkEntry[] = []

    for await (const entry of walkFiles([root])) {
      // The directory's entries are already listed (opendir reads them in batches of 32).
      if (entries.length === 0) for (const name of ['a.txt', 'b.txt', 'c.txt']) if (join(root, name) !== entry.path) rmSync(join(root, name))
      entries.push(entry)
    }

    assert.equal(entries.length, 3)
    assert.deepEqual(entries.slice(1).map((entry) => entry.kind === 'problem' && entry.problem), ['the file vanished before it could be read', 'the file vanished before it could be read'])
  })

  it('keeps files within the size limits, both inclusive', async (t) => {
    const root = temporaryDirectory(t)
    tree(root, { zero: 0, ten: 10, hundred: 100, thousand: 1000 })

    const { files, skipped } = await walk(root, { minSize: 10, maxSize: 100 })

    assert.deepEqual(files, ['hundred', 'ten'])
    assert.deepEqual(skipped, [['thousand', 'size'], ['zero', 'size']])
  })

  it('refuses a negative or fractional size limit', async () => {
    await assert.rejects(walkFiles(['.'], { minSize: -1 }).next(), RangeError)
    await assert.rejects(walkFiles(['.'], { maxSize: 1.5 }).next(), RangeError)
  })

  it('keeps included names, leaves out excluded ones, and does not enter excluded directories', async (t) => {
    const root = temporaryDirectory(t)
    tree(root, { 'a.dll': 1, 'b.txt': 1, 'sub/c.EXE': 1, 'node_modules/d.dll': 1, 'cache/e.dll': 1, 'cache2/f.dll': 1, 'sub/g.exe': 1 })

    const { files, skipped } = await walk(root, { include: ['*.dll', '*.exe'], exclude: ['node_modules', 'cache/**'] })

    assert.deepEqual(files, ['a.dll', 'cache2/f.dll', 'sub/g.exe'])
    assert.deepEqual(skipped, [['b.txt', 'excluded'], ['cache', 'excluded'], ['node_modules', 'excluded'], ['sub/c.EXE', 'excluded']])
  })

  it('matches names regardless of case when asked, and paths relative to the root', async (t) => {
    const root = temporaryDirectory(t)
    tree(root, { 'Windows/System32/D3DCOMPILER_47.dll': 1, 'Windows/d3dcompiler_47.dll': 1, 'Other/System32/d3dcompiler_47.dll': 1 })

    const { files } = await walk(root, { include: ['windows/system32/d3dcompiler_47.dll'], ignoreCase: true })

    assert.deepEqual(files, ['Windows/System32/D3DCOMPILER_47.dll'])
  })

  it('skips FIFOs without opening them', async (t) => {
    const root = temporaryDirectory(t)
    tree(root, { 'file.txt': 1 })
    execFileSync('mkfifo', [join(root, 'pipe')])

    const { files, skipped } = await walk(root)

    assert.deepEqual(files, ['file.txt'])
    assert.deepEqual(skipped, [['pipe', 'special']])
  })
})
