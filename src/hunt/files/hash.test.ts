import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { closeSync, mkdirSync, openSync, symlinkSync, writeFileSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { examineFile, examineFileBlocking } from './examine.js'
import { digestAlgorithms, FileHasher, NotRegularFileError, type DigestAlgorithm } from './hash.js'
import { aPe, temporaryDirectory } from './testing.js'

const mebibyte = 1024 * 1024
const sizes = [0, 1, 4095, mebibyte - 1, mebibyte, mebibyte + 1, 3.5 * mebibyte + 7]

function oneShot(algorithm: DigestAlgorithm, content: Buffer): string {
  return createHash(algorithm).update(content).digest('hex')
}

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

describe('FileHasher', () => {
  it('computes the digests node:crypto computes in one shot, for every size around the read size', async (t) => {
    const dir = temporaryDirectory(t)
    const hasher = new FileHasher()

    for (const size of sizes) {
      const content = randomBytes(size)
      const path = join(dir, `file-${size}`)
      writeFileSync(path, content)

      const hashed = await hasher.hashFile(path, digestAlgorithms)

      assert.equal(hashed.size, size)
      assert.deepEqual(hashed.digests, { sha256: oneShot('sha256', content), sha1: oneShot('sha1', content), md5: oneShot('md5', content) }, `size ${size}`)
    }
  })

  it('computes the same digests with blocking reads of a file descriptor', async (t) => {
    const dir = temporaryDirectory(t)
    const hasher = new FileHasher()

    for (const size of sizes) {
      const content = randomBytes(size)
      const path = join(dir, `file-${size}`)
      writeFileSync(path, content)
      const fd = openSync(path, 'r')
      t.after(() => closeSync(fd))

      const hashed = hasher.hashDescriptor(fd, digestAlgorithms)

      assert.equal(hashed.size, size)
      assert.deepEqual(hashed.digests, { sha256: oneShot('sha256', content), sha1: oneShot('sha1', content), md5: oneShot('md5', content) }, `size ${size}`)
    }
  })

  it('computes the same digests with small and odd read sizes', async (t) => {
    const dir = temporaryDirectory(t)
    const content = randomBytes(100_003)
    const path = join(dir, 'file')
    writeFileSync(path, content)

    for (const chunkSize of [1, 1000, 4096, 65536]) {
      const hasher = new FileHasher({ chunkSize })
      const fd = openSync(path, 'r')
      t.after(() => closeSync(fd))

      const hashed = await hasher.hashFile(path)
      const blocking = hasher.hashDescriptor(fd)

      assert.deepEqual(hashed.digests, { sha256: oneShot('sha256', content) }, `chunk size ${chunkSize}`)
      assert.deepEqual(blocking.digests, hashed.digests, `chunk size ${chunkSize}, blocking`)
    }
  })

  it('agrees with openssl dgst, including on an empty file and one over 1 MiB', { skip: !hasOpenssl() && 'openssl is not installed' }, async (t) => {
    const dir = temporaryDirectory(t)
    const hasher = new FileHasher()

    for (const size of [0, 17, 2 * mebibyte + 3]) {
      const path = join(dir, `file-${size}`)
      writeFileSync(path, randomBytes(size))

      const hashed = await hasher.hashFile(path, digestAlgorithms)

      for (const algorithm of digestAlgorithms) {
        // -r: "<hex> *<file>", the coreutils format
        const openssl = execFileSync('openssl', ['dgst', `-${algorithm}`, '-r', path], { encoding: 'utf8' }).split(' ')[0]
        assert.equal(hashed.digests[algorithm], openssl, `${algorithm} of ${size} bytes`)
      }
    }
  })

  it('computes SHA-256 only unless asked for more', async (t) => {
    const path = join(temporaryDirectory(t), 'file')
    writeFileSync(path, 'abc')

    const hashed = await new FileHasher().hashFile(path)

    assert.deepEqual(hashed.digests, { sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' })
  })

  it('tells whether the file starts with MZ', async (t) => {
    const dir = temporaryDirectory(t)
    const hasher = new FileHasher()
    const contents = { mz: 'MZ\x90\x00', m: 'M', empty: '', text: 'hello' }
    for (const [name, content] of Object.entries(contents)) writeFileSync(join(dir, name), content, 'latin1')

    const results: Record<string, boolean> = {}
    for (const name of Object.keys(contents)) results[name] = (await hasher.hashFile(join(dir, name))).startsWithMz

    assert.deepEqual(results, { mz: true, m: false, empty: false, text: false })
  })

  it('refuses to hash two files at once with one hasher', async (t) => {
    const path = join(temporaryDirectory(t), 'file')
    writeFileSync(path, randomBytes(mebibyte))
    const hasher = new FileHasher()
    const handle = await open(path)
    t.after(() => handle.close())

    const first = hasher.hashHandle(handle)

    await assert.rejects(hasher.hashHandle(handle), /hashing another file/)
    await first
  })

  it('refuses a FIFO without blocking on it', async (t) => {
    const path = join(temporaryDirectory(t), 'pipe')
    execFileSync('mkfifo', [path])

    await assert.rejects(new FileHasher().hashFile(path), NotRegularFileError)
  })
})

for (const [name, examine] of [['examineFile', examineFile], ['examineFileBlocking', examineFileBlocking]] as const) {
  describe(name, () => {
    const options = { algorithms: ['sha256'] as DigestAlgorithm[], inspectPe: true }

    it('hashes a file and inspects it as a PE image when it starts with MZ', async (t) => {
      const dir = temporaryDirectory(t)
      const pe = aPe().bytes
      writeFileSync(join(dir, 'lib.dll'), pe)
      writeFileSync(join(dir, 'notes.txt'), 'notes')

      const dll = await examine(join(dir, 'lib.dll'), new FileHasher(), options)
      const text = await examine(join(dir, 'notes.txt'), new FileHasher(), options)

      assert.equal(dll.kind === 'file' && dll.sha256, oneShot('sha256', pe))
      assert.equal(dll.kind === 'file' && dll.pe?.kind, 'pe')
      assert.equal(text.kind === 'file' && 'pe' in text, false)
    })

    it('does not inspect PE images unless asked', async (t) => {
      const path = join(temporaryDirectory(t), 'lib.dll')
      writeFileSync(path, aPe().bytes)

      const result = await examine(path, new FileHasher(), { ...options, inspectPe: false })

      assert.equal(result.kind === 'file' && 'pe' in result, false)
    })

    it('reports what cannot be read instead of throwing: missing file, FIFO, directory, link not to be followed', async (t) => {
      const dir = temporaryDirectory(t)
      execFileSync('mkfifo', [join(dir, 'pipe')])
      mkdirSync(join(dir, 'directory'))
      writeFileSync(join(dir, 'target'), 'x')
      symlinkSync(join(dir, 'target'), join(dir, 'link'))
      const hasher = new FileHasher()

      const problems = []
      for (const name of ['missing', 'pipe', 'directory', 'link']) problems.push(await examine(join(dir, name), hasher, options))

      assert.deepEqual(problems.map((result) => result.kind === 'problem' && result.problem), [
        'the file vanished before it could be read',
        'no longer a regular file',
        'no longer a regular file',
        'replaced by a symbolic link since the walk; not followed',
      ])
    })

    it('opens a link when the walk followed links', async (t) => {
      const dir = temporaryDirectory(t)
      writeFileSync(join(dir, 'target'), 'x')
      symlinkSync(join(dir, 'target'), join(dir, 'link'))

      const result = await examine(join(dir, 'link'), new FileHasher(), { ...options, followSymlinks: true })

      assert.equal(result.kind === 'file' && result.sha256, oneShot('sha256', Buffer.from('x')))
    })
  })
}
