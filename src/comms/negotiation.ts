/**
 * Whether a request's Accept header prefers HTML to JSON, as content negotiation weighs it: each
 * type takes the q-value of the most specific range that matches it (`text/html`, then `text/*`,
 * then any type); a higher q wins, then a more specific match, then the range listed first. No header,
 * a tie, and a header naming neither go to JSON.
 */
export function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false
  const ranges = accept.split(',').map((part, order) => {
    const [range = '', ...parameters] = part.split(';').map((piece) => piece.trim())
    const q = parameters.find((parameter) => /^q=/i.test(parameter))
    const quality = q === undefined ? 1 : Number(q.slice(2))
    return { range: range.toLowerCase(), quality: Number.isFinite(quality) ? quality : 0, order }
  })
  const html = bestMatch(ranges, 'text/html')
  const json = bestMatch(ranges, 'application/json')
  if (!html || html.quality <= 0) return false
  if (!json || json.quality <= 0) return true
  if (html.quality !== json.quality) return html.quality > json.quality
  if (html.specificity !== json.specificity) return html.specificity > json.specificity
  return html.order < json.order
}

interface Match {
  quality: number
  specificity: number
  order: number
}

function bestMatch(ranges: ReadonlyArray<{ range: string; quality: number; order: number }>, type: string): Match | undefined {
  const family = `${type.split('/')[0]}/*`
  let best: Match | undefined
  for (const { range, quality, order } of ranges) {
    const specificity = range === type ? 2 : range === family ? 1 : range === '*/*' ? 0 : -1
    if (specificity >= 0 && (!best || specificity > best.specificity)) best = { quality, specificity, order }
  }
  return best
}
