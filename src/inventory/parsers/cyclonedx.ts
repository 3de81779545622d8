// CycloneDX JSON (specVersion 1.4 to 1.6, and 1.7 as syft now writes it; 1.2 and 1.3 read the same):
// the product the BOM describes (metadata.component) becomes the host, and every component, nested
// ones included, a `present` observation of source 'sbom'; the BOM is the product's whole-file
// snapshot. Streamed: components go out as they are read once bomFormat, specVersion and metadata
// have been (generators write those first); a BOM that puts metadata last has its components held
// until then.
import { Batch, fill } from './batch.js'
import { JsonDocumentReader, readDocument } from './json-document.js'
import { isoTime, isRecord, maxLineBytesOf, quote, readInput, text, type JsonRecord } from './reading.js'
import { ProductItems, productHost, sbomItem, type Entry } from './sbom.js'
import { ImportFileError, type Observation, type ParseOptions } from './types.js'

const specVersions = new Set(['1.2', '1.3', '1.4', '1.5', '1.6', '1.7'])
/** Component types that are not software: files (syft lists each one it hashed) and data sets. */
const skippedTypes = new Set(['file', 'data'])

export async function* parseCycloneDx(input: AsyncIterable<Buffer>, options: ParseOptions): AsyncGenerator<Observation[], void, undefined> {
  const { file } = options
  const select = [['bomFormat'], ['specVersion'], ['metadata'], ['components', '*'], ['spdxVersion']]
  const reader = new JsonDocumentReader(file, { root: 'object', select, maxBytes: maxLineBytesOf(options) })
  const items = new ProductItems()
  const batch = new Batch()
  let bomFormat = false
  let specVersion = false
  let metadata: JsonRecord | undefined
  for await (const values of readDocument(readInput(input, file), reader)) {
    for (const { path, value, line } of values) {
      if (path[0] === 'components') {
        for (const entry of componentEntries(value, line)) items.add(entry)
      } else if (path[0] === 'bomFormat') {
        if (value !== 'CycloneDX') throw new ImportFileError(file, line, `not a CycloneDX BOM: bomFormat is ${quote(value)}`)
        bomFormat = true
      } else if (path[0] === 'specVersion') {
        if (typeof value !== 'string' || !specVersions.has(value)) throw new ImportFileError(file, line, `CycloneDX specVersion ${quote(value)} is not supported (1.2 to 1.7)`)
        specVersion = true
      } else if (path[0] === 'metadata') {
        metadata = isRecord(value) ? value : {}
      } else {
        throw new ImportFileError(file, line, 'this is an SPDX document, not a CycloneDX BOM')
      }
    }
    if (!items.described && bomFormat && specVersion && metadata) describe(items, metadata, options)
    yield* fill(batch, items.drain())
  }
  if (!bomFormat) throw new ImportFileError(file, null, 'not a CycloneDX BOM: it has no bomFormat')
  if (!specVersion) throw new ImportFileError(file, null, 'the CycloneDX BOM has no specVersion')
  if (!items.described) describe(items, metadata ?? {}, options)
  yield* fill(batch, items.drain())
  if (!batch.empty) yield batch.take()
}

function describe(items: ProductItems, metadata: JsonRecord, options: ParseOptions): void {
  const component = isRecord(metadata.component) ? metadata.component : {}
  items.describe(productHost(component.name, component.version, options), isoTime(metadata.timestamp))
}

/** A top-level component and the components nested in it, in document order (all at the top one's line). */
function* componentEntries(top: unknown, line: number): Generator<Entry, void, undefined> {
  const stack: unknown[] = [top]
  while (stack.length > 0) {
    const component = stack.pop()
    if (!isRecord(component)) {
      yield { line, reason: 'a component is not a JSON object' }
      continue
    }
    const nested = component.components
    if (Array.isArray(nested)) for (let i = nested.length - 1; i >= 0; i--) stack.push(nested[i])
    if (typeof component.type === 'string' && skippedTypes.has(component.type)) continue
    yield sbomItem('component', { name: component.name, version: component.version, vendor: vendorOf(component), group: component.group, purl: component.purl, cpe: component.cpe }, line)
  }
}

/** Who makes it, as the BOM says: supplier, manufacturer (1.6), publisher, author or authors (1.6). */
function vendorOf(component: JsonRecord): string {
  const named = (party: unknown) => (isRecord(party) ? text(party.name) : undefined)
  const authors = Array.isArray(component.authors) ? component.authors : []
  return named(component.supplier) ?? named(component.manufacturer) ?? text(component.publisher) ?? text(component.author) ?? named(authors[0]) ?? ''
}
