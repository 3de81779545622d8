// The arithmetic of a checked schedule: where each layer's shifts and restriction windows fall,
// and how layers and overrides stack into one timeline. All times are epoch milliseconds.
import { dayMs, instantOf, localDayOf, type ScheduleZone } from './oncall-time.js'

/** Hand-offs at one local time of day every `days` days, or every fixed `period` of elapsed time. */
export type CompiledRotation =
  | { kind: 'calendar'; days: number; firstDay: number; timeOfDay: number }
  | { kind: 'elapsed'; period: number }

/**
 * A restriction as windows repeating every `days` days: window k opens at local midnight of day
 * `anchorDay + k * days` plus `opens`, and closes at the same midnight plus `closes` (which may
 * lie beyond the next repetition's midnight when the window wraps).
 */
export interface CompiledWindow {
  days: number
  anchorDay: number
  opens: number
  closes: number
}

export interface CompiledLayer {
  name: string
  users: string[]
  rotation: CompiledRotation
  /** No restrictions: the layer covers all of [start, end). */
  windows: CompiledWindow[]
  start: number
  /** Infinity when the layer never ends. */
  end: number
}

export interface CompiledSchedule {
  zone: ScheduleZone
  layers: CompiledLayer[]
  allowGaps: boolean
}

/** A stretch of time with one person on call; `layer` null for an override. */
export interface Piece {
  userId: string
  start: number
  end: number
  layer: string | null
}

interface Span {
  start: number
  end: number
}

/** When shift k of a layer starts (shift 0 starts at the layer's start). */
function handOff(zone: ScheduleZone, layer: CompiledLayer, k: number): number {
  const rotation = layer.rotation
  if (rotation.kind === 'elapsed') return layer.start + k * rotation.period
  return instantOf(zone, (rotation.firstDay + k * rotation.days) * dayMs + rotation.timeOfDay)
}

/** Which shift of a layer covers an instant (negative before the layer starts), without walking from the start. */
function shiftIndex(zone: ScheduleZone, layer: CompiledLayer, instant: number): number {
  const rotation = layer.rotation
  if (rotation.kind === 'elapsed') return Math.floor((instant - layer.start) / rotation.period)
  let k = Math.floor((localDayOf(zone, instant) - rotation.firstDay) / rotation.days)
  // The local date is right but for the hours between local midnight and the hand-off (and, in a
  // repeated hour, the hand-off may already be past); step to the shift that really holds the instant
  while (instant < handOff(zone, layer, k)) k--
  while (handOff(zone, layer, k + 1) <= instant) k++
  return k
}

/** How long one turn through every user takes, roughly (DST aside). */
export function cycleLength(layer: CompiledLayer): number {
  const rotation = layer.rotation
  return layer.users.length * (rotation.kind === 'elapsed' ? rotation.period : rotation.days * dayMs)
}

/** The windows of one restriction that overlap [from, to), in order. */
function windowSpans(zone: ScheduleZone, window: CompiledWindow, from: number, to: number): Span[] {
  const index = (instant: number) => Math.floor((localDayOf(zone, instant) - window.anchorDay) / window.days)
  // A window may close several repetitions after it opens (a week-long window repeating daily is refused, but be safe)
  const reach = Math.ceil(window.closes / (window.days * dayMs)) + 1
  const spans: Span[] = []
  for (let k = index(from) - reach, last = index(to) + 1; k <= last; k++) {
    const midnight = (window.anchorDay + k * window.days) * dayMs
    const start = instantOf(zone, midnight + window.opens)
    const end = instantOf(zone, midnight + window.closes)
    if (start < to && end > from && start < end) spans.push({ start: Math.max(start, from), end: Math.min(end, to) })
  }
  return spans
}

/** The union of a layer's restriction windows within [from, to), in order. */
function coveredSpans(zone: ScheduleZone, layer: CompiledLayer, from: number, to: number): Span[] {
  if (layer.windows.length === 0) return [{ start: from, end: to }]
  const spans = layer.windows.flatMap((window) => windowSpans(zone, window, from, to)).sort((a, b) => a.start - b.start)
  const union: Span[] = []
  for (const span of spans) {
    const last = union.at(-1)
    if (last !== undefined && span.start <= last.end) last.end = Math.max(last.end, span.end)
    else union.push({ ...span })
  }
  return union
}

/** Who a layer has on call within [from, to): its shifts cut to its restriction windows. */
export function layerPieces(zone: ScheduleZone, layer: CompiledLayer, from: number, to: number): Piece[] {
  const low = Math.max(from, layer.start)
  const high = Math.min(to, layer.end)
  if (low >= high) return []
  const spans = coveredSpans(zone, layer, low, high)
  const pieces: Piece[] = []
  let k = shiftIndex(zone, layer, low)
  let shiftStart = handOff(zone, layer, k)
  let next = 0
  while (shiftStart < high && next < spans.length) {
    const shiftEnd = handOff(zone, layer, k + 1)
    const userId = layer.users[k % layer.users.length]!
    while (next < spans.length && spans[next]!.end <= shiftStart) next++
    for (let i = next; i < spans.length && spans[i]!.start < shiftEnd; i++) {
      const start = Math.max(shiftStart, spans[i]!.start)
      const end = Math.min(shiftEnd, spans[i]!.end)
      if (start < end) pieces.push({ userId, start, end, layer: layer.name })
    }
    k++
    shiftStart = shiftEnd
  }
  return pieces
}

/** `base` with `top` laid over it: where a top piece has someone, it replaces whoever base had. Both sorted and non-overlapping. */
export function overlay(base: Piece[], top: Piece[]): Piece[] {
  if (top.length === 0) return base
  const kept: Piece[] = []
  let t = 0
  for (const piece of base) {
    let cursor = piece.start
    while (t < top.length && top[t]!.end <= cursor) t++
    for (let i = t; i < top.length && top[i]!.start < piece.end; i++) {
      if (top[i]!.start > cursor) kept.push({ ...piece, start: cursor, end: top[i]!.start })
      cursor = Math.max(cursor, top[i]!.end)
    }
    if (cursor < piece.end) kept.push({ ...piece, start: cursor, end: piece.end })
  }
  return [...kept, ...top].sort((a, b) => a.start - b.start)
}

/** Adds to a max-heap of numbers. */
function push(heap: number[], value: number): void {
  let i = heap.length
  heap.push(value)
  while (i > 0 && heap[(i - 1) >> 1]! < value) {
    heap[i] = heap[(i - 1) >> 1]!
    i = (i - 1) >> 1
  }
  heap[i] = value
}

/** Removes the largest number from a max-heap. */
function pop(heap: number[]): void {
  const last = heap.pop()!
  if (heap.length === 0) return
  let i = 0
  for (let child = 1; child < heap.length; child = 2 * i + 1) {
    if (child + 1 < heap.length && heap[child + 1]! > heap[child]!) child++
    if (heap[child]! <= last) break
    heap[i] = heap[child]!
    i = child
  }
  heap[i] = last
}

/**
 * Overrides as one sorted, non-overlapping list in which the later of two overlapping overrides
 * wins. A sweep keeping the latest override open at each moment: laying them on one by one costs
 * the square of their number.
 */
export function flattenOverrides(overrides: Piece[]): Piece[] {
  const byStart = overrides.map((_, order) => order).sort((a, b) => overrides[a]!.start - overrides[b]!.start)
  const moments = [...new Set(overrides.flatMap((piece) => [piece.start, piece.end]))].sort((a, b) => a - b)
  const open: number[] = []
  const flat: Piece[] = []
  let lastOrder = -1
  for (let m = 0, next = 0; m < moments.length - 1; m++) {
    const moment = moments[m]!
    while (next < byStart.length && overrides[byStart[next]!]!.start <= moment) push(open, byStart[next++]!)
    // An override that has ended leaves only when it surfaces at the top
    while (open.length > 0 && overrides[open[0]!]!.end <= moment) pop(open)
    if (open.length === 0) continue
    const order = open[0]!
    const last = flat.at(-1)
    if (order === lastOrder && last !== undefined && last.end === moment) last.end = moments[m + 1]!
    else flat.push({ ...overrides[order]!, start: moment, end: moments[m + 1]! })
    lastOrder = order
  }
  return flat
}

/** Neighbouring pieces of the same person from the same source become one. */
export function mergePieces(pieces: Piece[]): Piece[] {
  const merged: Piece[] = []
  for (const piece of pieces) {
    const last = merged.at(-1)
    if (last !== undefined && last.end === piece.start && last.userId === piece.userId && last.layer === piece.layer) last.end = piece.end
    else merged.push({ ...piece })
  }
  return merged
}
