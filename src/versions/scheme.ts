/**
 * What every version scheme provides, and the rules they share: a parse remembered per string (bulk
 * matching compares the same few range bounds again and again), and a total order over all strings
 * in which invalid versions sort before every valid one, among themselves by their UTF-16 code units.
 */

export interface Scheme {
  /** Negative, 0 (equal in the scheme) or positive. A total preorder over all strings. */
  compare(a: string, b: string): number
  isValid(version: string): boolean
}

const cacheLimit = 20_000
const longest = 256 // longer strings are parsed each time rather than kept

/** A scheme from its parser (null: invalid) and its order over parsed versions. */
export function defineScheme<T>(parse: (version: string) => T | null, compareParsed: (a: T, b: T) => number): Scheme {
  const cache = new Map<string, T | null>()
  const parsed = (version: string): T | null => {
    const known = cache.get(version)
    if (known !== undefined) return known
    const value = parse(version)
    if (version.length <= longest) {
      if (cache.size >= cacheLimit) cache.clear()
      cache.set(version, value)
    }
    return value
  }
  return {
    compare(a, b) {
      if (a === b) return 0
      const x = parsed(a)
      const y = parsed(b)
      if (x !== null && y !== null) return compareParsed(x, y)
      if (x !== null) return 1
      if (y !== null) return -1
      return a < b ? -1 : 1
    },
    isValid: (version) => parsed(version) !== null,
  }
}
