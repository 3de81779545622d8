// Test helpers for the log hunt: fixtures, indicators of the 3CX campaign the fixtures mention,
// a hunt collected into sightings and report, the LogFileError a hunt ends with, and heap checks.
import assert from 'node:assert/strict'
import { createReadStream } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { IndicatorMatcher, type HuntIndicator } from '../match.js'
import { huntLog, huntLogFile, type FileHuntOptions, type HuntOptions } from './engine.js'
import { LogFileError, type HuntReport, type Sighting } from './types.js'

export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))
}

export function fixture(name: string): AsyncIterable<Buffer> {
  return createReadStream(fixturePath(name), { highWaterMark: 256 })
}

/** A stream of the given parts, one chunk each. */
export async function* bytes(...parts: (string | Buffer)[]): AsyncGenerator<Buffer, void, undefined> {
  for (const part of parts) yield Buffer.from(part)
}

/** A stream of `content` cut into chunks of `size` bytes. */
export async function* chunked(content: string | Buffer, size: number): AsyncGenerator<Buffer, void, undefined> {
  const all = Buffer.from(content)
  for (let start = 0; start < all.length; start += size) yield all.subarray(start, start + size)
}

export function anIndicator(kind: HuntIndicator['kind'], value: string, id = `${kind}:${value}`): HuntIndicator {
  return { id, kind, value }
}

/** The 3CX campaign's network indicators the fixtures mention (as intel stores them), and one file hash. */
export const campaign: HuntIndicator[] = [
  ...['msstorageazure.com', 'akamaicontainer.com', 'sbmsa.wiki', 'glcloudservice.com', 'azureonlinestorage.com', 'pbxsources.com', 'officeaddons.com',
    'msedgepackageinfo.com', 'journalide.org', 'visualstudiofactory.com', 'officestoragebox.com', 'azuredeploystore.com', 'msstorageboxes.com',
    'zacharryblogs.com', 'pbxcloudeservices.com', 'qwepoi123098.com', 'xn--mnchen-3ya.de'].map((domain) => anIndicator('domain', domain)),
  anIndicator('url', 'http://raw.githubusercontent.com/IconStorages/images/main/'),
  anIndicator('ipv4', '198.51.100.77'),
  anIndicator('ipv6', '2001:db8:bad::7'),
  anIndicator('cidr', '203.0.113.192/26'),
  anIndicator('sha256', 'aa124a4b4df12b34e74ee7f6c683b2ebec4ce9a8edcf9be345823b4fdcf5d868'),
]

export function campaignMatcher(): IndicatorMatcher {
  return new IndicatorMatcher(campaign)
}

export interface Hunted {
  sightings: Sighting[]
  report: HuntReport
}

/** Runs a hunt to its end. */
export async function collect(hunt: AsyncGenerator<Sighting[], HuntReport, undefined>): Promise<Hunted> {
  const sightings: Sighting[] = []
  for (;;) {
    const next = await hunt.next()
    if (next.done) return { sightings, report: next.value }
    sightings.push(...next.value)
  }
}

export const referenceTime = new Date('2024-06-01T00:00:00Z')

export function hunt(input: AsyncIterable<Buffer>, options: Partial<HuntOptions> = {}): Promise<Hunted> {
  return collect(huntLog(input, { file: 'test.log', matcher: campaignMatcher(), referenceTime, ...options }))
}

export function huntFile(path: string, options: Partial<FileHuntOptions> = {}): Promise<Hunted> {
  return collect(huntLogFile(path, { matcher: campaignMatcher(), referenceTime, ...options }))
}

/** The LogFileError the hunt ends with, and the sightings it yielded before; fails on any other outcome. */
export async function huntError(hunting: AsyncGenerator<Sighting[], HuntReport, undefined>): Promise<{ error: LogFileError; sightings: Sighting[] }> {
  const sightings: Sighting[] = []
  try {
    for (let next = await hunting.next(); !next.done; next = await hunting.next()) sightings.push(...next.value)
  } catch (error) {
    assert.ok(error instanceof LogFileError, `expected a LogFileError, got ${String(error)}`)
    assert.equal(error.kind, 'invalid')
    return { error, sightings }
  }
  assert.fail('expected the hunt to fail')
}

/** What a sighting says, without the raw line, for comparisons. */
export function brief(sighting: Sighting): [number, string, string, string | null, string | null] {
  return [sighting.line, sighting.indicatorId, sighting.value, sighting.client, sighting.timestamp]
}

let collector: (() => void) | undefined

/** Runs a full garbage collection (for heap measurements), exposing gc on first use. */
export function collectGarbage(): void {
  if (!collector) {
    setFlagsFromString('--expose_gc')
    collector = runInNewContext('gc') as () => void
  }
  collector()
}
