// SPDX 2.3 JSON (2.2 reads the same): the package the document describes (documentDescribes or a
// DESCRIBES relationship; else the document's name) becomes the host, every other package a
// `present` observation of source 'sbom'. Generators write the DESCRIBES relationship after the
// packages, so packages are held (as compact items) until the described one is known; files and
// the other relationships are read and dropped as they stream by.
import { Batch, fill } from './batch.js'
import { JsonDocumentReader, readDocument } from './json-document.js'
import { isoTime, isRecord, maxLineBytesOf, quote, readInput, text } from './reading.js'
import { ProductItems, productHost, sbomItem, type Entry } from './sbom.js'
import { ImportFileError, type Observation, type ParseOptions } from './types.js'

const spdxVersions = new Set(['SPDX-2.2', 'SPDX-2.3'])

interface Described {
  name: string | undefined
  version: string | undefined
}

export async function* parseSpdx(input: AsyncIterable<Buffer>, options: ParseOptions): AsyncGenerator<Observation[], void, undefined> {
  const { file } = options
  const select = [['spdxVersion'], ['SPDXID'], ['name'], ['documentDescribes'], ['creationInfo'], ['packages', '*'], ['relationships', '*'], ['bomFormat']]
  const reader = new JsonDocumentReader(file, { root: 'object', select, maxBytes: maxLineBytesOf(options) })
  const items = new ProductItems()
  const batch = new Batch()
  const packages = new Map<string, Described>() // by SPDXID, until the described one is known
  const described: string[] = [] // SPDXIDs the document describes, in the order it says so
  let version = false
  let documentId = 'SPDXRef-DOCUMENT'
  let documentName: string | undefined
  let observedAt: string | null = null
  const describe = (id: string | undefined) => {
    const product = id === undefined ? undefined : packages.get(id)
    const host = product ? productHost(product.name, product.version, options) : productHost(documentName, undefined, options)
    items.describe(host, observedAt, product ? id : undefined)
    packages.clear()
  }
  for await (const values of readDocument(readInput(input, file), reader)) {
    for (const { path, value, line } of values) {
      switch (path[0]) {
        case 'packages': {
          const entry = packageEntry(value, line)
          if (entry.id !== undefined && !items.described && isRecord(value)) packages.set(entry.id, { name: text(value.name), version: text(value.versionInfo) })
          items.add(entry)
          break
        }
        case 'relationships':
          if (isRecord(value)) {
            if (value.relationshipType === 'DESCRIBES' && value.spdxElementId === documentId) described.push(text(value.relatedSpdxElement) ?? '')
            if (value.relationshipType === 'DESCRIBED_BY' && value.relatedSpdxElement === documentId) described.push(text(value.spdxElementId) ?? '')
          }
          break
        case 'documentDescribes':
          if (Array.isArray(value)) described.push(...value.filter((id): id is string => typeof id === 'string'))
          break
        case 'spdxVersion':
          if (typeof value !== 'string' || !spdxVersions.has(value)) throw new ImportFileError(file, line, `SPDX version ${quote(value)} is not supported (SPDX-2.2, SPDX-2.3)`)
          version = true
          break
        case 'SPDXID':
          documentId = text(value) ?? documentId
          break
        case 'name':
          documentName = text(value)
          break
        case 'creationInfo':
          observedAt = isRecord(value) ? isoTime(value.created) : null
          break
        default:
          throw new ImportFileError(file, line, 'this is a CycloneDX BOM, not an SPDX document')
      }
    }
    // Early only when the first described package has been read: a later DESCRIBES cannot change the choice.
    const first = described[0]
    if (!items.described && version && first !== undefined && packages.has(first)) describe(first)
    yield* fill(batch, items.drain())
  }
  if (!version) throw new ImportFileError(file, null, 'not an SPDX 2 JSON document: it has no spdxVersion')
  if (!items.described) describe(described.find((id) => packages.has(id)))
  yield* fill(batch, items.drain())
  if (!batch.empty) yield batch.take()
}

function packageEntry(value: unknown, line: number): Entry {
  if (!isRecord(value)) return { line, reason: 'a package is not a JSON object' }
  const references = Array.isArray(value.externalRefs) ? value.externalRefs.filter(isRecord) : []
  const locator = (type: string) => text(references.find((reference) => reference.referenceType === type)?.referenceLocator)
  const version = value.versionInfo === 'NOASSERTION' || value.versionInfo === 'NONE' ? undefined : value.versionInfo
  const fields = { name: value.name, version, vendor: party(value.supplier) || party(value.originator), purl: locator('purl'), cpe: locator('cpe23Type') ?? locator('cpe22Type') }
  return { ...sbomItem('package', fields, line), id: text(value.SPDXID) }
}

/** "Organization: Red Hat, Inc." → "Red Hat, Inc."; "Person: Jane Doe (jane@example.org)" → "Jane Doe"; NOASSERTION → ''. */
function party(value: unknown): string {
  const written = text(value)
  if (written === undefined || written === 'NOASSERTION' || written === 'NONE') return ''
  const name = written.replace(/^(?:Organization|Person|Tool):\s*/, '')
  return name.replace(/\s*\([^()]*@[^()]*\)$/, '').trim()
}
