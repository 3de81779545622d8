// Batches of observations: a batch is full at 1,000 observations or 5,000 software items, whichever
// comes first (a snapshot is never split, so one observation may carry more items than that).
import type { Observation } from './types.js'

const maxObservations = 1000
const maxItems = 5000

export class Batch {
  private observations: Observation[] = []
  private items = 0

  add(observation: Observation): void {
    this.observations.push(observation)
    if ('items' in observation) this.items += observation.items.length
  }

  get full(): boolean {
    return this.observations.length >= maxObservations || this.items >= maxItems
  }

  get empty(): boolean {
    return this.observations.length === 0
  }

  /** The observations so far; the batch starts again empty (a fresh array: nothing handed out is reused). */
  take(): Observation[] {
    const taken = this.observations
    this.observations = []
    this.items = 0
    return taken
  }
}

/** Adds observations to the batch, handing out each batch as it fills. */
export function* fill(batch: Batch, observations: Iterable<Observation>): Generator<Observation[], void, undefined> {
  for (const observation of observations) {
    batch.add(observation)
    if (batch.full) yield batch.take()
  }
}
