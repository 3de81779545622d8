// Name globs for the file walk, compiled to regular expressions. Hand-written rather than
// `path.matchesGlob`, which is experimental on Node 20 and prints an ExperimentalWarning on first use.
//
// Syntax: `*` any run of characters within one path segment (dot files included: a sweep wants
// hidden files too), `?` one character other than `/`, `[abc]`, `[a-z]`, `[!a-z]` or `[^a-z]` one
// character of (or not of) the class, `**` as a whole segment any number of segments (`**/x.dll`,
// `a/**/b`, `a/**`, which also matches `a` itself), and `\` makes the next character literal.

export interface GlobOptions {
  /** Match letters regardless of case (for names from Windows file systems). Default false. */
  ignoreCase?: boolean | undefined
}

/** A RegExp matching the whole of a name or `/`-separated relative path. Throws on an invalid character class range. */
export function globToRegExp(glob: string, options: GlobOptions = {}): RegExp {
  let source = ''
  let i = 0
  while (i < glob.length) {
    const char = glob[i]!
    if (char === '*') {
      if (glob[i + 1] === '*') {
        const segmentStart = i === 0 || glob[i - 1] === '/'
        const segmentEnd = i + 2 === glob.length || glob[i + 2] === '/'
        if (segmentStart && segmentEnd) {
          if (i + 2 === glob.length) {
            // Trailing `/**`: everything below, and the directory itself (so that an exclude of
            // `proc/**` prunes the directory `proc` instead of walking it to reject every file).
            source = source.endsWith('/') ? `${source.slice(0, -1)}(?:/.*)?` : `${source}.*`
            i += 2
          } else {
            source += '(?:.*/)?' // `**/`: zero or more whole segments
            i += 3
          }
          continue
        }
        // `**` inside a segment (`a**b`) means no more than `*` does, as in shells.
        i += 2
        source += '[^/]*'
        continue
      }
      source += '[^/]*'
      i++
    } else if (char === '?') {
      source += '[^/]'
      i++
    } else if (char === '[') {
      const parsed = characterClass(glob, i)
      if (parsed === undefined) {
        source += '\\[' // no closing bracket: a literal `[`
        i++
      } else {
        source += parsed.source
        i = parsed.end
      }
    } else if (char === '\\' && i + 1 < glob.length) {
      source += escapeRegExp(glob[i + 1]!)
      i += 2
    } else {
      source += escapeRegExp(char)
      i++
    }
  }
  return new RegExp(`^${source}$`, options.ignoreCase ? 'isu' : 'su')
}

/** `[...]` starting at `start`: its RegExp source and the index after `]`, or undefined when it never closes. */
function characterClass(glob: string, start: number): { source: string; end: number } | undefined {
  let i = start + 1
  const negated = glob[i] === '!' || glob[i] === '^'
  if (negated) i++
  let body = ''
  let first = true
  for (; i < glob.length; i++) {
    const char = glob[i]!
    if (char === ']' && !first) {
      // A class never matches the separator: `[!a]` must not reach into the next segment.
      return { source: negated ? `[^/${body}]` : `(?!/)[${body}]`, end: i + 1 }
    }
    first = false
    if (char === '\\' && i + 1 < glob.length) {
      i++
      body += escapeClassCharacter(glob[i]!)
    } else if (char === '-' && body !== '' && glob[i + 1] !== undefined && glob[i + 1] !== ']') {
      body += '-' // a range; RegExp rejects a reversed one, which is the caller's mistake
    } else {
      body += escapeClassCharacter(char)
    }
  }
  return undefined
}

function escapeRegExp(char: string): string {
  // Only syntax characters may be escaped in a Unicode-mode RegExp (and `/` needs none in new RegExp).
  return /[\\^$.*+?()[\]{}|]/.test(char) ? `\\${char}` : char
}

function escapeClassCharacter(char: string): string {
  return /[\\\]^[-]/.test(char) ? `\\${char}` : char
}

/**
 * Include and exclude rules of a walk. A pattern without `/` is matched against the entry's name
 * (`*.dll`); a pattern with `/` against its path relative to the walk root, with `/` separators
 * (`Windows/System32/*.dll`, `Program Files/**`). A leading `/` is ignored, since relative paths
 * never start with one. Exclude patterns apply to files and directories (an excluded directory is
 * not entered); include patterns apply to files only.
 */
export class NameFilter {
  private readonly includeNames: RegExp[] = []
  private readonly includePaths: RegExp[] = []
  private readonly excludeNames: RegExp[] = []
  private readonly excludePaths: RegExp[] = []

  constructor(include: readonly string[] = [], exclude: readonly string[] = [], options: GlobOptions = {}) {
    for (const pattern of include) this.add(pattern, this.includeNames, this.includePaths, options)
    for (const pattern of exclude) this.add(pattern, this.excludeNames, this.excludePaths, options)
  }

  private add(pattern: string, names: RegExp[], paths: RegExp[], options: GlobOptions): void {
    const relative = pattern.replace(/^\/+/, '')
    if (relative.includes('/')) paths.push(globToRegExp(relative, options))
    else names.push(globToRegExp(relative, options))
  }

  /** Whether an entry (file or directory) matches an exclude pattern. */
  excludes(name: string, relativePath: string): boolean {
    return matchesAny(this.excludeNames, name) || matchesAny(this.excludePaths, relativePath)
  }

  /** Whether a file passes the include patterns: there are none, or it matches one. */
  includes(name: string, relativePath: string): boolean {
    if (this.includeNames.length === 0 && this.includePaths.length === 0) return true
    return matchesAny(this.includeNames, name) || matchesAny(this.includePaths, relativePath)
  }
}

function matchesAny(patterns: RegExp[], value: string): boolean {
  return patterns.some((pattern) => pattern.test(value))
}
