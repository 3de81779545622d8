import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { parseSpdx } from './spdx.js'
import { bytes, chunked, fixture, fixturePath, itemsOf, observationsOf, parseError } from './testing.js'

function spdx(fields: Record<string, unknown>): string {
  return JSON.stringify({ spdxVersion: 'SPDX-2.3', dataLicense: 'CC0-1.0', SPDXID: 'SPDXRef-DOCUMENT', name: 'portal-sbom', ...fields }, null, 1)
}

const rootPackage = { SPDXID: 'SPDXRef-Root', name: 'provisioning-portal', versionInfo: '2.4.0' }
const libraryPackage = {
  SPDXID: 'SPDXRef-Package-log4j',
  name: 'log4j-core',
  versionInfo: '2.14.1',
  supplier: 'Organization: The Apache Software Foundation',
  externalRefs: [{ referenceCategory: 'PACKAGE_MANAGER', referenceType: 'purl', referenceLocator: 'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1' }],
}

describe('spdx', () => {
  it('reads a syft document: the described image as the product host, the other packages present', async () => {
    const observations = await observationsOf(parseSpdx, fixture('syft-alpine.spdx.json'), { file: 'alpine.spdx.json' })

    assert.deepEqual(observations[0], {
      kind: 'present',
      line: 16,
      host: { identifier: 'alpine@sha256:c5b1261d6d3e43071626931fc004f70149baeba2c8ec672bd4f27761f8e1ad6b', customerRef: undefined, kind: 'product' },
      source: 'sbom',
      observedAt: '2024-03-14T09:26:53.000Z',
      items: [{
        vendor: 'Sören Tempel',
        product: 'busybox',
        version: '1.36.1-r15',
        platform: 'linux',
        ecosystem: 'apk',
        purl: 'pkg:apk/alpine/busybox@1.36.1-r15?arch=x86_64&distro=alpine-3.19.1',
        cpe: 'cpe:2.3:a:busybox:busybox:1.36.1-r15:*:*:*:*:*:*:*',
        sourcePackage: null,
      }],
    })
  })

  it('rejects a package whose version is NOASSERTION and leaves the described package out', async () => {
    const observations = await observationsOf(parseSpdx, fixture('syft-alpine.spdx.json'))

    assert.deepEqual(itemsOf(observations).map((item) => item.product), ['busybox', 'libcrypto3'])
    assert.deepEqual(observations.filter((observation) => observation.kind === 'rejected'), [{ kind: 'rejected', line: 67, reason: 'package "ca-certificates-bundle": no version' }])
  })

  it('names the product from documentDescribes, and names Maven packages group:artifact', async () => {
    const observations = await observationsOf(parseSpdx, bytes(spdx({ documentDescribes: ['SPDXRef-Root'], packages: [libraryPackage, rootPackage] })))

    assert.deepEqual(observations.map((observation) => observation.kind === 'present' && [observation.host.identifier, observation.items[0]?.product, observation.items[0]?.vendor]), [
      ['provisioning-portal@2.4.0', 'org.apache.logging.log4j:log4j-core', 'The Apache Software Foundation'],
    ])
  })

  it('reads a DESCRIBED_BY relationship as the document describing the package', async () => {
    const relationships = [{ spdxElementId: 'SPDXRef-Root', relationshipType: 'DESCRIBED_BY', relatedSpdxElement: 'SPDXRef-DOCUMENT' }]

    const observations = await observationsOf(parseSpdx, bytes(spdx({ packages: [rootPackage, libraryPackage], relationships })))

    assert.deepEqual(observations.map((observation) => observation.kind === 'present' && observation.host.identifier), ['provisioning-portal@2.4.0'])
  })

  it('names the product after the document when it describes no package', async () => {
    const observations = await observationsOf(parseSpdx, bytes(spdx({ packages: [rootPackage, libraryPackage] })))

    assert.deepEqual(observations.map((observation) => observation.kind === 'present' && [observation.host.identifier, observation.items[0]?.product]), [
      ['portal-sbom', 'provisioning-portal'],
      ['portal-sbom', 'org.apache.logging.log4j:log4j-core'],
    ])
  })

  it('streams packages once the described one has been read, when documentDescribes comes first', async () => {
    const packages = [rootPackage, ...Array.from({ length: 3000 }, (_, i) => ({ SPDXID: `SPDXRef-${i}`, name: `package-${i}`, versionInfo: '1.0' }))]
    const content = Buffer.from(spdx({ documentDescribes: ['SPDXRef-Root'], packages, files: [], relationships: [] }))
    let read = 0
    async function* input(): AsyncGenerator<Buffer> {
      for (let start = 0; start < content.length; start += 16384) {
        read += Math.min(16384, content.length - start)
        yield content.subarray(start, start + 16384)
      }
    }
    let readAtFirstBatch = 0
    let total = 0

    for await (const batch of parseSpdx(input(), { file: 'big.spdx.json' })) {
      if (total === 0) readAtFirstBatch = read
      total += batch.length
    }

    assert.equal(total, 3000)
    assert.ok(readAtFirstBatch < content.length / 2, `read ${readAtFirstBatch} of ${content.length} bytes before the first batch`)
  })

  it('refuses other SPDX versions and documents that are not SPDX', async () => {
    assert.match((await parseError(parseSpdx, bytes(spdx({ spdxVersion: 'SPDX-3.0' })))).message, /:2: SPDX version "SPDX-3\.0" is not supported/)
    assert.match((await parseError(parseSpdx, bytes('{"@context":"https://spdx.org/rdf/3.0.1/spdx-context.jsonld","@graph":[]}'))).message, /not an SPDX 2 JSON document/)
    assert.match((await parseError(parseSpdx, fixture('syft-alpine.cdx.json'))).message, /:3: this is a CycloneDX BOM, not an SPDX document/)
  })

  it('reads the same observations whatever the chunk boundaries', async () => {
    const content = readFileSync(fixturePath('syft-alpine.spdx.json'))
    const whole = await observationsOf(parseSpdx, fixture('syft-alpine.spdx.json'))

    for (const size of [1, 9, 300]) assert.deepEqual(await observationsOf(parseSpdx, chunked(content, size)), whole)
  })
})
