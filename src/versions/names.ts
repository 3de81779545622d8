/**
 * Software identity: the normalised keys the catalog and the advisories agree on, so that
 * "3CX Ltd" and "3CX", or "3CX Desktop App" and "3cx  desktop app.app", name the same thing.
 */

/** Corporate suffixes dropped from vendor names ("3CX Ltd" → "3cx"). */
const corporateSuffixes = new Set([
  'ltd', 'limited', 'inc', 'incorporated', 'llc', 'llp', 'plc', 'gmbh', 'ag', 'sa', 'sas', 'sarl', 'bv', 'nv', 'oy', 'ab', 'as',
  'corp', 'corporation', 'co', 'company', 'pty', 'srl', 'spa', 'kg', 'kk', 'pte', 'lp',
])

/** Well-known vendor spellings that differ by more than a suffix, keyed by their normalised form. */
const vendorAliases: ReadonlyMap<string, string> = new Map([
  ['microsoft corporation', 'microsoft'],
  ['3cx software', '3cx'],
  ['3cx phone system', '3cx'],
  ['google llc', 'google'],
  ['the mozilla foundation', 'mozilla'],
  ['mozilla foundation', 'mozilla'],
  ['oracle america', 'oracle'],
  ['adobe systems', 'adobe'],
  ['adobe systems incorporated', 'adobe'],
])

function fold(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/[\u0000-\u001f\u007f]/g, ' ').replace(/\s+/g, ' ').trim()
}

/** Vendor key: case and whitespace folded, punctuation and corporate suffixes dropped, aliases applied. '' when unknown. */
export function vendorKey(vendor: string | null | undefined): string {
  if (!vendor) return ''
  const words = fold(vendor).replace(/[.,()"'®™©]/g, ' ').split(' ').filter(Boolean)
  while (words.length > 1 && corporateSuffixes.has(words[words.length - 1]!)) words.pop()
  const key = words.join(' ')
  return vendorAliases.get(key) ?? key
}

/** Product key: case and whitespace folded; a macOS bundle's ".app" and trademark signs dropped. */
export function productKey(product: string): string {
  return fold(product).replace(/[®™©]/g, '').replace(/\.app$/, '').replace(/\s+/g, ' ').trim()
}

/** Version as recorded: trimmed, inner whitespace removed. Schemes compare it; the catalog keeps it. */
export function tidyVersion(version: string): string {
  return version.normalize('NFKC').trim().replace(/\s+/g, '')
}
