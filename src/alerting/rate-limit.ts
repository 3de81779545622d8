import type { Clock } from '../shared/clock.js'

/** Intake allowed per source: a steady rate, and a burst above it. */
export interface RateLimit {
  perSecond: number
  burst: number
}

/**
 * A token bucket per source, in this process's memory. It refuses before anything is written, so a
 * refused event was never acknowledged and nothing acknowledged is dropped. Per process: with
 * several servers the limit applies to each; that protects each database writer, which is the point.
 */
export function createRateLimiter(limit: RateLimit, clock: Clock) {
  const buckets = new Map<string, { tokens: number; at: number }>()
  return {
    /** Take one token for `source`: 0 when admitted, or how many milliseconds until a token is free. */
    take(source: string): number {
      const now = clock.now().getTime()
      let bucket = buckets.get(source)
      if (!bucket) {
        // Bounded memory whatever sources send: forget full buckets when there are too many.
        if (buckets.size >= 10_000) {
          for (const [key, value] of buckets) if (value.tokens + ((now - value.at) / 1000) * limit.perSecond >= limit.burst) buckets.delete(key)
        }
        bucket = { tokens: limit.burst, at: now }
        buckets.set(source, bucket)
      }
      bucket.tokens = Math.min(limit.burst, bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * limit.perSecond)
      bucket.at = now
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1
        return 0
      }
      return Math.ceil(((1 - bucket.tokens) / limit.perSecond) * 1000)
    },
  }
}
