/**
 * ASCII character classes as the package tools use them (never locale letters), and digit runs
 * compared by value at any length, so build numbers beyond 2^53 keep their order.
 */

export function isDigit(code: number): boolean {
  return code >= 48 && code <= 57
}

export function isLetter(code: number): boolean {
  const lower = code | 32
  return lower >= 97 && lower <= 122
}

/** Whether the text holds only ASCII letters, digits and the given punctuation. */
export function isMadeOf(text: string, punctuation: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (!isDigit(code) && !isLetter(code) && !punctuation.includes(text[i]!)) return false
  }
  return true
}

/** Whether the text is a non-empty run of ASCII digits. */
export function isDigits(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (!isDigit(text.charCodeAt(i))) return false
  return text.length > 0
}

/** The run without leading zeros ('0' for zero), the form compareDigits expects. */
export function trimZeros(digits: string): string {
  let start = 0
  while (start < digits.length - 1 && digits.charCodeAt(start) === 48) start++
  return start === 0 ? digits : digits.slice(start)
}

/** Negative, 0 or positive: the order of two trimmed digit runs by numeric value. */
export function compareDigits(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length
  return a < b ? -1 : a > b ? 1 : 0
}

/** Lists of trimmed digit runs, missing trailing members read as 0 ('1.2' = '1.2.0'). */
export function compareNumberLists(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < a.length || i < b.length; i++) {
    const order = compareDigits(a[i] ?? '0', b[i] ?? '0')
    if (order !== 0) return order
  }
  return 0
}
