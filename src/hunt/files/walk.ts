// Walking file systems for a sweep: regular files under the given roots, one at a time, with the
// problems met on the way (unreadable directories, vanished files, loops) reported as entries so
// that the walk goes on. Memory stays flat: directories are read with opendir as they are walked,
// only one is open at a time, and what is kept is the list of subdirectories still to visit.
import type { BigIntStats, Dirent } from 'node:fs'
import { lstat, opendir, stat } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import { NameFilter } from './glob.js'

export interface WalkOptions {
  /** Follow symbolic links to files and directories (default false: links are skipped). Roots are always followed. */
  followSymlinks?: boolean | undefined
  /** Smallest file yielded, in bytes (inclusive). */
  minSize?: number | undefined
  /** Largest file yielded, in bytes (inclusive). */
  maxSize?: number | undefined
  /** Name globs (see NameFilter): when given, only files matching one of them are yielded. */
  include?: readonly string[] | undefined
  /** Name globs for files and directories to leave out; an excluded directory is not entered. */
  exclude?: readonly string[] | undefined
  /** Match the globs regardless of case (Windows file systems). Default false. */
  ignoreCase?: boolean | undefined
  /** Told of every entry left out on purpose, for counts; not called for problems. */
  onSkipped?: ((path: string, reason: SkipReason) => void) | undefined
}

/**
 * Why an entry was left out: a symbolic link not followed, something other than a regular file or
 * directory (FIFOs, sockets and devices are never opened: reading them blocks or never ends), a
 * name or size filter, or a directory already walked through another link.
 */
export type SkipReason = 'symlink' | 'special' | 'excluded' | 'size' | 'already_walked'

export interface WalkedFile {
  kind: 'file'
  path: string
  size: number
  mtimeMs: number
}

/** Something the walk could not read; it goes on with the rest. */
export interface FileProblem {
  kind: 'problem'
  path: string
  problem: string
  /** The system error code (EACCES, ENOENT, ...) when there was one. */
  code?: string | undefined
}

export type WalkEntry = WalkedFile | FileProblem

/** A directory still to be read, with the chain of directories above it (for loop detection). */
interface PendingDirectory {
  path: string
  relative: string
  ancestry: Ancestor
}

interface Ancestor {
  key: string
  path: string
  parent: Ancestor | undefined
}

/**
 * The regular files under `roots`, depth first, and the problems met on the way. Never throws for
 * one path: an unreadable or vanished entry is a `problem` entry. Throws only for invalid options.
 *
 * Loops are found by device and inode: a directory that is its own ancestor (through a followed
 * symbolic link, or a bind mount) is reported, not entered. With `followSymlinks`, a directory
 * reached a second time through another link is skipped (`already_walked`), which also keeps
 * diamond-shaped link graphs from multiplying the walk.
 */
export async function* walkFiles(roots: readonly string[], options: WalkOptions = {}): AsyncGenerator<WalkEntry, void, undefined> {
  const minSize = sizeOption('minSize', options.minSize) ?? 0
  const maxSize = sizeOption('maxSize', options.maxSize) ?? Number.POSITIVE_INFINITY
  const filter = new NameFilter(options.include, options.exclude, { ignoreCase: options.ignoreCase })
  const follow = options.followSymlinks === true
  const skip = options.onSkipped ?? (() => {})
  // Every directory entered, only when following links: without links a directory can only be
  // reached twice through a bind mount, and the ancestry check catches the looping kind.
  const visited = new Set<string>()

  const fileEntry = (path: string, stats: BigIntStats): WalkedFile | undefined => {
    const size = Number(stats.size)
    if (size < minSize || size > maxSize) {
      skip(path, 'size')
      return undefined
    }
    return { kind: 'file', path, size, mtimeMs: Number(stats.mtimeMs) }
  }

  for (const root of roots) {
    const rootPath = resolve(root)
    let stats: BigIntStats
    try {
      // A root is followed even when it is a link (as `find -H` does): the user named it.
      stats = await stat(rootPath, { bigint: true })
    } catch (error) {
      yield problemOf(rootPath, error, 'root')
      continue
    }
    if (stats.isFile()) {
      const name = basename(rootPath)
      if (filter.excludes(name, name) || !filter.includes(name, name)) skip(rootPath, 'excluded')
      else {
        const entry = fileEntry(rootPath, stats)
        if (entry) yield entry
      }
      continue
    }
    if (!stats.isDirectory()) {
      skip(rootPath, 'special')
      continue
    }
    const key = keyOf(stats)
    if (follow) {
      if (visited.has(key)) {
        skip(rootPath, 'already_walked')
        continue
      }
      visited.add(key)
    }

    const stack: PendingDirectory[] = [{ path: rootPath, relative: '', ancestry: { key, path: rootPath, parent: undefined } }]
    for (let directory = stack.pop(); directory !== undefined; directory = stack.pop()) {
      const subdirectories: PendingDirectory[] = []
      let entries: AsyncIterable<Dirent>
      try {
        entries = await opendir(directory.path)
      } catch (error) {
        yield problemOf(directory.path, error, 'directory')
        continue
      }
      try {
        // The Dir's iterator closes it at the end, on an error, and when the consumer stops early.
        for await (const dirent of entries) {
          const name = dirent.name
          const path = join(directory.path, name)
          const relative = directory.relative === '' ? name : `${directory.relative}/${name}`
          if (filter.excludes(name, relative)) {
            skip(path, 'excluded')
            continue
          }
          // Include patterns before any stat when the directory entry already tells a regular file:
          // a sweep for `*.dll` should not stat every other file of the disk.
          if (dirent.isFile() && !filter.includes(name, relative)) {
            skip(path, 'excluded')
            continue
          }
          let found: BigIntStats | 'symlink'
          try {
            found = await statEntry(path, dirent, follow)
          } catch (error) {
            yield problemOf(path, error, dirent.isSymbolicLink() ? 'link' : 'entry')
            continue
          }
          if (found === 'symlink') {
            skip(path, 'symlink')
          } else if (found.isDirectory()) {
            const key = keyOf(found)
            const ancestor = findAncestor(directory.ancestry, key)
            if (ancestor !== undefined) {
              yield { kind: 'problem', path, problem: `${dirent.isSymbolicLink() ? 'symbolic link' : 'file system'} loop: leads back to ${ancestor.path}` }
              continue
            }
            if (follow) {
              if (visited.has(key)) {
                skip(path, 'already_walked')
                continue
              }
              visited.add(key)
            }
            subdirectories.push({ path, relative, ancestry: { key, path, parent: directory.ancestry } })
          } else if (found.isFile()) {
            if (!dirent.isFile() && !filter.includes(name, relative)) {
              skip(path, 'excluded')
              continue
            }
            const entry = fileEntry(path, found)
            if (entry) yield entry
          } else {
            skip(path, 'special')
          }
        }
      } catch (error) {
        // A directory that fails part way (removed, I/O error): report it and keep what was found in it.
        yield problemOf(directory.path, error, 'directory')
      }
      // Reversed, so that subdirectories are walked in the order they were listed.
      for (let i = subdirectories.length - 1; i >= 0; i--) stack.push(subdirectories[i]!)
    }
  }
}

function sizeOption(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a whole number of bytes, not ${value}`)
  return value
}

/**
 * The entry's own stats, the stats of its target when it is a followed link, or 'symlink' for a
 * link not followed. Some file systems do not tell entry types in directory listings (DT_UNKNOWN),
 * so an entry of unknown type is looked at with lstat first.
 */
async function statEntry(path: string, dirent: Dirent, follow: boolean): Promise<BigIntStats | 'symlink'> {
  let link = dirent.isSymbolicLink()
  if (!link && typeUnknown(dirent)) {
    const own = await lstat(path, { bigint: true })
    if (!own.isSymbolicLink()) return own
    link = true
  }
  if (link) return follow ? stat(path, { bigint: true }) : 'symlink'
  return lstat(path, { bigint: true })
}

function typeUnknown(dirent: Dirent): boolean {
  return !(dirent.isFile() || dirent.isDirectory() || dirent.isSymbolicLink() || dirent.isFIFO() || dirent.isSocket() || dirent.isBlockDevice() || dirent.isCharacterDevice())
}

function keyOf(stats: BigIntStats): string {
  return `${stats.dev}:${stats.ino}`
}

function findAncestor(ancestry: Ancestor | undefined, key: string): Ancestor | undefined {
  for (let ancestor = ancestry; ancestor !== undefined; ancestor = ancestor.parent) if (ancestor.key === key) return ancestor
  return undefined
}

type Where = 'root' | 'directory' | 'entry' | 'link'

function problemOf(path: string, error: unknown, where: Where): FileProblem {
  const code = (error as { code?: unknown }).code
  const known = typeof code === 'string' ? code : undefined
  return { kind: 'problem', path, problem: describeError(known, error, where), code: known }
}

function describeError(code: string | undefined, error: unknown, where: Where): string {
  if (where === 'link' && code === 'ENOENT') return 'broken symbolic link: its target does not exist'
  if (where === 'link' && code === 'ELOOP') return 'symbolic link loop: the link resolves to itself'
  if (code === 'ENOENT') return where === 'root' ? 'no such file or directory' : where === 'directory' ? 'the directory vanished while it was walked' : 'the file vanished before it could be read'
  if (code === 'EACCES' || code === 'EPERM') return where === 'directory' ? 'cannot list the directory: permission denied' : 'permission denied'
  if (code === 'ENOTDIR') return 'no longer a directory'
  const message = error instanceof Error ? error.message : String(error)
  return where === 'directory' ? `cannot list the directory: ${message}` : `cannot read: ${message}`
}
