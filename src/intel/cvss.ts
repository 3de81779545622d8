import type { Severity } from './model.js'

/**
 * CVSS base scores from vectors, for advisories that give a vector and no severity word.
 * Versions 3.0/3.1 (FIRST's specification, section 7) and 2.0 are computed; 4.0 needs FIRST's
 * macro-vector lookup tables and is not, so a 4.0-only advisory keeps severity unknown unless its
 * source names one.
 */

const v3Weights = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  UI: { N: 0.85, R: 0.62 },
  CIA: { H: 0.56, L: 0.22, N: 0 },
} as const

/** The CVSS 3.x base score of a vector such as CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H; undefined when malformed. */
export function cvss3BaseScore(vector: string): number | undefined {
  const metrics = parseVector(vector, /^CVSS:3\.[01]\//)
  if (!metrics) return undefined
  const av = pick(v3Weights.AV, metrics.get('AV'))
  const ac = pick(v3Weights.AC, metrics.get('AC'))
  const ui = pick(v3Weights.UI, metrics.get('UI'))
  const scope = metrics.get('S')
  const c = pick(v3Weights.CIA, metrics.get('C'))
  const i = pick(v3Weights.CIA, metrics.get('I'))
  const a = pick(v3Weights.CIA, metrics.get('A'))
  const prWeights = scope === 'C' ? { N: 0.85, L: 0.68, H: 0.5 } : { N: 0.85, L: 0.62, H: 0.27 }
  const pr = pick(prWeights, metrics.get('PR'))
  if (av === undefined || ac === undefined || ui === undefined || pr === undefined || c === undefined || i === undefined || a === undefined) return undefined
  if (scope !== 'U' && scope !== 'C') return undefined
  const iss = 1 - (1 - c) * (1 - i) * (1 - a)
  const impact = scope === 'U' ? 6.42 * iss : 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15
  const exploitability = 8.22 * av * ac * pr * ui
  if (impact <= 0) return 0
  return roundUp(Math.min((scope === 'U' ? 1 : 1.08) * (impact + exploitability), 10))
}

const v2Weights = {
  AV: { L: 0.395, A: 0.646, N: 1 },
  AC: { H: 0.35, M: 0.61, L: 0.71 },
  Au: { M: 0.45, S: 0.56, N: 0.704 },
  CIA: { N: 0, P: 0.275, C: 0.66 },
} as const

/** The CVSS 2.0 base score of a vector such as AV:N/AC:L/Au:N/C:P/I:P/A:P; undefined when malformed. */
export function cvss2BaseScore(vector: string): number | undefined {
  const metrics = parseVector(vector.replace(/^\((.*)\)$/, '$1'), /^(?:CVSS:2\.0\/)?/)
  if (!metrics) return undefined
  const av = pick(v2Weights.AV, metrics.get('AV'))
  const ac = pick(v2Weights.AC, metrics.get('AC'))
  const au = pick(v2Weights.Au, metrics.get('Au'))
  const c = pick(v2Weights.CIA, metrics.get('C'))
  const i = pick(v2Weights.CIA, metrics.get('I'))
  const a = pick(v2Weights.CIA, metrics.get('A'))
  if (av === undefined || ac === undefined || au === undefined || c === undefined || i === undefined || a === undefined) return undefined
  const impact = 10.41 * (1 - (1 - c) * (1 - i) * (1 - a))
  const exploitability = 20 * av * ac * au
  const score = (0.6 * impact + 0.4 * exploitability - 1.5) * (impact === 0 ? 0 : 1.176)
  return Math.round(score * 10) / 10
}

/** CVSS 3.x and 4.0 qualitative ratings (a 0.0 score, "None", reads as low). */
export function severityFromCvss3(score: number): Severity {
  return score >= 9 ? 'critical' : score >= 7 ? 'high' : score >= 4 ? 'medium' : 'low'
}

/** CVSS 2.0 has no critical band. */
export function severityFromCvss2(score: number): Severity {
  return score >= 7 ? 'high' : score >= 4 ? 'medium' : 'low'
}

/** A severity word as databases write it (GitHub's MODERATE, Red Hat's IMPORTANT, Debian's and Ubuntu's words). */
export function severityFromWord(word: unknown): Severity | undefined {
  if (typeof word !== 'string') return undefined
  switch (word.trim().toLowerCase()) {
    case 'critical':
      return 'critical'
    case 'high':
    case 'important':
      return 'high'
    case 'moderate':
    case 'medium':
      return 'medium'
    case 'low':
    case 'negligible':
    case 'unimportant':
      return 'low'
    default:
      return undefined
  }
}

/** CVSS 3.1's Roundup: the smallest one-decimal number not below the input, immune to float error. */
function roundUp(value: number): number {
  const integer = Math.round(value * 100_000)
  return integer % 10_000 === 0 ? integer / 100_000 : (Math.floor(integer / 10_000) + 1) / 10
}

function parseVector(vector: string, prefix: RegExp): Map<string, string> | undefined {
  if (typeof vector !== 'string' || vector.length > 300) return undefined
  const match = prefix.exec(vector)
  if (!match) return undefined
  const metrics = new Map<string, string>()
  for (const part of vector.slice(match[0].length).split('/')) {
    const [name, value, extra] = part.split(':')
    if (!name || !value || extra !== undefined || metrics.has(name)) return undefined
    metrics.set(name, value)
  }
  return metrics
}

function pick<T extends Record<string, number>>(weights: T, key: string | undefined): number | undefined {
  return key !== undefined && Object.hasOwn(weights, key) ? weights[key as keyof T] : undefined
}
