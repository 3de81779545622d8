import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseCsv } from './csv.js'
import { parseCycloneDx } from './cyclonedx.js'
import { parseOsquery } from './osquery.js'
import { defaultMaxLineBytes } from './reading.js'
import { parseSpdx } from './spdx.js'
import { bytes, chunked, collectGarbage, longLine, observationsOf, parse, parseError } from './testing.js'
import { ImportFileError, type InventoryParser, type Observation, type ParseOptions } from './types.js'

// Every parser against the same hostile files, as Kysely loops every test over every dialect.

interface HostileFormat {
  name: string
  parser: InventoryParser
  options?: Partial<ParseOptions>
  /** A small valid file whose last record spans lines 3 to 5. */
  valid: string
  /** A cut of `valid` in the middle of its last record, and the line the error names. */
  truncated: { content: string; line: number }
  malformed: { content: string; line: number }
  /** What comes before the enormous value, and the line it is on. */
  longLine: { prefix: string; line: number }
  /** 100,000 nested arrays where a value belongs. */
  deep: string
  /** __proto__, constructor and prototype as keys (or header names) everywhere, around one usable row. */
  polluting: string
  /** A version that is an object, or the like. */
  wrongTypes: string
  many: (count: number) => string
  /** Another format's file. */
  foreign: string
}

const nested = `${'['.repeat(100_000)}${']'.repeat(100_000)}`
const osqueryLine = (snapshot: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ snapshot, action: 'snapshot', name: 'pack_inventory_programs', hostIdentifier: 'host-1', unixTime: 1680516000, decorations: { customer: 'acme' }, ...extra })
const program = (i: number) => ({ name: `App ${i}`, version: `1.${i}`, publisher: 'Vendor', install_location: '' })
const cdx = (components: string) => `{\n "bomFormat": "CycloneDX",\n "specVersion": "1.6",\n "components": [\n${components}\n ]\n}\n`
const spdx = (packages: string) => `{\n "spdxVersion": "SPDX-2.3",\n "name": "doc",\n "packages": [\n${packages}\n ]\n}\n`
const csvHeader = 'Hostname,Software,Version,Customer'

const formats: HostileFormat[] = [
  {
    name: 'osquery results log',
    parser: parseOsquery,
    valid: [osqueryLine([program(1)]), osqueryLine([program(2)]), osqueryLine([program(3)]), osqueryLine([program(4)]), osqueryLine([program(5)])].join('\n'),
    truncated: { content: `${osqueryLine([program(1)])}\n${osqueryLine([program(2)]).slice(0, 40)}`, line: 2 },
    malformed: { content: `${osqueryLine([program(1)])}\n{"snapshot":[}\n${osqueryLine([program(3)])}\n`, line: 2 },
    longLine: { prefix: `${osqueryLine([program(1)])}\n{"snapshot":[{"name":"`, line: 2 },
    deep: `{"snapshot":${nested},"hostIdentifier":"h"}\n{"snapshot":[{"name":${'['.repeat(100_000)}\n`,
    polluting: `${JSON.stringify({ constructor: { prototype: { polluted: 1 } }, prototype: { polluted: 1 }, hostIdentifier: 'h', action: 'snapshot', name: 'p', decorations: { constructor: 'x', customer: 'acme' } }).replace('{', '{"__proto__":{"polluted":1},').replace('"snapshot"', '"x"').replace('"action"', '"snapshot":[{"__proto__":{"polluted":1},"constructor":{"polluted":1},"prototype":"x","name":"App","version":"1","publisher":"V"},{"__proto__":{"name":"App","version":"1"},"publisher":"V"}],"action"')}\n`,
    wrongTypes: `${osqueryLine([{ name: 'App', version: { major: 1 }, publisher: 'V' }, { name: ['App'], version: '1', publisher: 'V' }], { unixTime: 'letters' })}\n`,
    many: (count) => `${osqueryLine(Array.from({ length: count }, (_, i) => program(i)))}\n`,
    foreign: `${csvHeader}\nws1,Zoom,5,acme\n`,
  },
  {
    name: 'osqueryi array',
    parser: parseOsquery,
    options: { host: 'ws-1' },
    valid: `[\n  ${JSON.stringify(program(1))},\n  {\n    "name": "App 2", "version": "1.2",\n    "publisher": "Vendor", "install_location": ""\n  }\n]\n`,
    truncated: { content: `[\n  ${JSON.stringify(program(1))},\n  {\n    "name": "App 2", "ver`, line: 4 },
    malformed: { content: `[\n  ${JSON.stringify(program(1))},\n  {"name": "App 2" "version": "1"}\n]\n`, line: 3 },
    longLine: { prefix: `[\n  ${JSON.stringify(program(1))},\n  {"name": "`, line: 3 },
    deep: `[\n${'['.repeat(100_000)}\n`,
    polluting: '[\n  {"__proto__": {"polluted": 1}, "constructor": {"prototype": {"polluted": 1}}, "prototype": 1, "name": "App", "version": "1", "publisher": "V"},\n  {"__proto__": {"name": "App", "version": "1"}, "publisher": "V"}\n]\n',
    wrongTypes: `[\n  {"name": "App", "version": {"major": 1}, "publisher": "V"}\n]\n`,
    many: (count) => `[\n${Array.from({ length: count }, (_, i) => `  ${JSON.stringify(program(i))}`).join(',\n')}\n]\n`,
    foreign: `${csvHeader}\nws1,Zoom,5,acme\n`,
  },
  {
    name: 'csv',
    parser: parseCsv,
    valid: `${csvHeader}\nws1,Zoom,5.14,acme\nws2,"Multi\nline\nname",1.0,acme\n`,
    truncated: { content: `${csvHeader}\nws1,Zoom,5.14,acme\nws2,"Multi\nli`, line: 3 },
    malformed: { content: `${csvHeader}\nws1,"Zoom,5.14,acme\nws2,Zoom,5.14,acme\n`, line: 2 },
    longLine: { prefix: `${csvHeader}\nws1,Zoom,5.14,acme\nws2,`, line: 3 },
    deep: `${csvHeader}\nws1,${'['.repeat(100_000)},1,acme\n`,
    polluting: 'Hostname,__proto__,constructor,prototype,Software,Version,Customer\nws1,{"polluted":1},x,y,__proto__,1,acme\nws2,a,b,c,App,1,acme\n',
    wrongTypes: `${csvHeader},Last Seen\nws1,App,,acme,not a date\nws1,App,1,acme,not a date\n`,
    many: (count) => `${csvHeader}\n${Array.from({ length: count }, (_, i) => `ws${i},App ${i},1.${i},acme`).join('\n')}\n`,
    foreign: `${osqueryLine([program(1)])}\n`,
  },
  {
    name: 'cyclonedx',
    parser: parseCycloneDx,
    valid: cdx('  {"name": "a", "version": "1"},\n  {\n   "name": "b",\n   "version": "2"\n  }'),
    truncated: { content: cdx('  {"name": "a", "version": "1"},\n  {\n   "name": "b",\n   "vers'), line: 8 },
    malformed: { content: cdx('  {"name": "a" "version": "1"}'), line: 5 },
    longLine: { prefix: '{"bomFormat":"CycloneDX","specVersion":"1.6",\n"components":[{"name":"', line: 2 },
    deep: cdx(`  ${'['.repeat(100_000)}`),
    polluting: cdx('  {"__proto__": {"polluted": 1}, "constructor": {"prototype": {"polluted": 1}}, "prototype": 1, "name": "a", "version": "1", "purl": "pkg:npm/a@1?__proto__=x&constructor=y", "supplier": {"__proto__": {"name": "x"}}},\n  {"__proto__": {"name": "b", "version": "2"}}').replace('{\n', '{\n "__proto__": {"polluted": 1},\n "metadata": {"__proto__": {"component": {"name": "evil"}}},\n'),
    wrongTypes: cdx('  {"name": "a", "version": {"major": 1}, "purl": {"type": "npm"}, "supplier": "ACME"}'),
    many: (count) => cdx(Array.from({ length: count }, (_, i) => `  {"type":"library","name":"p${i}","version":"1.${i}","purl":"pkg:npm/p${i}@1.${i}"}`).join(',\n')),
    foreign: `${csvHeader}\nws1,Zoom,5,acme\n`,
  },
  {
    name: 'spdx',
    parser: parseSpdx,
    valid: spdx('  {"SPDXID": "SPDXRef-a", "name": "a", "versionInfo": "1"},\n  {\n   "SPDXID": "SPDXRef-b", "name": "b",\n   "versionInfo": "2"\n  }'),
    truncated: { content: spdx('  {"SPDXID": "SPDXRef-a", "name": "a", "versionInfo": "1"},\n  {\n   "SPDXID": "SPDXRef-b", "name": "b",\n   "versionInfo": "2"\n  }').slice(0, 150), line: 7 },
    malformed: { content: spdx('  {"name": "a",, "versionInfo": "1"}'), line: 5 },
    longLine: { prefix: '{"spdxVersion":"SPDX-2.3",\n"packages":[{"name":"', line: 2 },
    deep: spdx(`  ${'['.repeat(100_000)}`),
    polluting: spdx('  {"__proto__": {"polluted": 1}, "constructor": {"prototype": {"polluted": 1}}, "prototype": 1, "SPDXID": "__proto__", "name": "a", "versionInfo": "1"},\n  {"__proto__": {"name": "b", "versionInfo": "2"}}').replace('{\n', '{\n "__proto__": {"polluted": 1},\n "documentDescribes": ["constructor", "toString"],\n'),
    wrongTypes: spdx('  {"name": "a", "versionInfo": {"major": 1}, "externalRefs": "none", "supplier": 7}'),
    many: (count) => spdx(Array.from({ length: count }, (_, i) => `  {"SPDXID":"SPDXRef-${i}","name":"p${i}","versionInfo":"1.${i}"}`).join(',\n')),
    foreign: `${csvHeader}\nws1,Zoom,5,acme\n`,
  },
]

function usable(observations: Observation[]): Observation[] {
  return observations.filter((observation) => observation.kind !== 'rejected')
}

for (const format of formats) {
  const { parser } = format
  const options = { file: 'hostile-file', ...format.options }

  describe(`${format.name} on hostile input`, () => {
    it('reads the valid sample in any chunking', async () => {
      const whole = await observationsOf(parser, bytes(format.valid), options)

      assert.ok(usable(whole).length >= 2)
      assert.deepEqual(await observationsOf(parser, chunked(format.valid, 1), options), whole)
    })

    it('fails on a truncated file, naming the file and the line', async () => {
      const error = await parseError(parser, bytes(format.truncated.content), options)

      assert.equal(error.file, 'hostile-file')
      assert.equal(error.line, format.truncated.line, error.message)
    })

    it('fails on malformed content, naming the line', async () => {
      const error = await parseError(parser, bytes(format.malformed.content), options)

      assert.equal(error.line, format.malformed.line, error.message)
      assert.match(error.message, new RegExp(`^hostile-file:${format.malformed.line}: `))
    })

    it('fails on a line longer than the limit, having read no more than the limit and one chunk', async () => {
      const line = longLine(format.longLine.prefix, 10 * 1024 * 1024)

      const error = await parseError(parser, line.input, { ...options, maxLineBytes: 1024 })

      assert.match(error.message, new RegExp(`line ${format.longLine.line} is longer than 1 KiB`))
      assert.ok(line.read() <= Buffer.byteLength(format.longLine.prefix) + 1024 + 64 * 1024, `read ${line.read()} bytes`)
    })

    it('fails on a real 100 MB line at the default limit without holding the line in memory', async () => {
      collectGarbage()
      const before = process.memoryUsage().heapUsed
      const line = longLine(format.longLine.prefix, 100 * 1024 * 1024)

      const error = await parseError(parser, line.input, options)

      assert.match(error.message, new RegExp(`line ${format.longLine.line} is longer than 64 MiB`))
      assert.ok(line.read() <= Buffer.byteLength(format.longLine.prefix) + defaultMaxLineBytes + 64 * 1024, `read ${line.read()} bytes`)
      // The line waits as Buffers, outside the heap: no string of it is ever built.
      const growth = (line.peakHeap() - before) / 1024 / 1024
      assert.ok(growth < 16, `heap grew by ${growth.toFixed(1)} MiB`)
    })

    it('survives 100,000 nested arrays: an error or a rejection, never a stack overflow', async () => {
      try {
        const observations = await observationsOf(parser, bytes(format.deep), options)
        assert.ok(observations.length > 0)
      } catch (error) {
        assert.ok(error instanceof ImportFileError, String(error))
      }
    })

    it('fails on invalid UTF-8, naming its line', async () => {
      const lines = format.valid.split('\n')
      const content = Buffer.concat([Buffer.from(`${lines.slice(0, 2).join('\n')}\n`), Buffer.from([0xff, 0xfe]), Buffer.from(`${lines.slice(2).join('\n')}`)])

      const error = await parseError(parser, chunked(content, 3), options)

      assert.equal(error.line, 3, error.message)
      assert.match(error.message, /line 3 is not valid UTF-8/)
    })

    it('never lets __proto__, constructor or prototype keys reach Object.prototype, and uses or rejects their rows', async () => {
      const observations = await observationsOf(parser, bytes(format.polluting), options)

      assert.equal(({} as Record<string, unknown>).polluted, undefined)
      assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false)
      assert.ok(usable(observations).length >= 1, JSON.stringify(observations))
      for (const observation of observations) assert.ok(observation.kind === 'rejected' || Object.getPrototypeOf(observation) === Object.prototype)
    })

    it('rejects rows whose fields have the wrong type', async () => {
      const observations = await observationsOf(parser, bytes(format.wrongTypes), options)

      assert.ok(observations.some((observation) => observation.kind === 'rejected'), JSON.stringify(observations))
      for (const observation of observations) if ('observedAt' in observation && format.parser !== parseCycloneDx && format.parser !== parseSpdx) assert.equal(observation.observedAt, null)
    })

    it('refuses another format, a PNG and an empty file', async () => {
      const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex')

      for (const content of [format.foreign, png, '', '\n  \n']) {
        const error = await parseError(parser, bytes(content), options)
        assert.equal(error.file, 'hostile-file')
      }
    })

    it('reads a huge array in bounded batches', async () => {
      const { observations, batchSizes } = await parse(parser, bytes(format.many(100_000)), options)

      const items = observations.reduce((sum, observation) => sum + ('items' in observation ? observation.items.length : 0), 0)
      assert.equal(items, 100_000)
      assert.ok(Math.max(...batchSizes) <= 1000, `batches of ${Math.max(...batchSizes)}`)
    })
  })
}
