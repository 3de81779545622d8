import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { parseCycloneDx } from './cyclonedx.js'
import { bytes, chunked, fixture, fixturePath, itemsOf, observationsOf, parse, parseError } from './testing.js'
import type { Observation } from './types.js'

function bom(fields: Record<string, unknown>): string {
  return JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', version: 1, ...fields }, null, 2)
}

function products(observations: Observation[]): string[] {
  return itemsOf(observations).map(({ product, version }) => `${product}@${version}`)
}

describe('cyclonedx', () => {
  it('reads a syft BOM: the container as the product host, each package present with its purl and CPE', async () => {
    const observations = await observationsOf(parseCycloneDx, fixture('syft-alpine.cdx.json'), { file: 'alpine.cdx.json' })

    assert.deepEqual(observations[0], {
      kind: 'present',
      line: 27,
      host: { identifier: 'alpine@3.19.1', customerRef: undefined, kind: 'product' },
      source: 'sbom',
      observedAt: '2024-03-14T09:26:53.000Z',
      items: [{
        vendor: 'Sören Tempel <soeren+alpine@tempel.xyz>',
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

  it('names the source package of a distribution package from its purl\'s upstream qualifier', async () => {
    const observations = await observationsOf(parseCycloneDx, fixture('syft-alpine.cdx.json'))

    assert.deepEqual(observations.slice(0, 2).map((observation) => observation.kind === 'present' && observation.items[0]?.sourcePackage), [null, 'openssl'])
  })

  it('keeps the operating system component and leaves out the files syft lists', async () => {
    const observations = await observationsOf(parseCycloneDx, fixture('syft-alpine.cdx.json'))

    assert.deepEqual(products(observations), ['busybox@1.36.1-r15', 'libcrypto3@3.1.4-r5', 'musl@1.2.4_git20230717-r4', 'alpine@3.19.1'])
  })

  it('reads a one-line cdxgen BOM: Maven group:artifact, npm @scope/name, nested components, suppliers', async () => {
    const observations = await observationsOf(parseCycloneDx, fixture('cdxgen-portal.cdx.json'))

    assert.equal(observations[0]?.kind === 'present' && observations[0].host.identifier, 'provisioning-portal@2.4.0')
    assert.deepEqual(itemsOf(observations), [
      { vendor: 'The Apache Software Foundation', product: 'org.apache.logging.log4j:log4j-core', version: '2.14.1' },
      { vendor: 'Sebastian McKenzie <sebmck@gmail.com>', product: '@babel/core', version: '7.23.9' },
      { vendor: '', product: '@babel/helper-compilation-targets', version: '7.23.6' },
      { vendor: 'Acme Telecom', product: 'SIP Trunk Agent', version: '5.1.2' },
    ])
    assert.deepEqual(observations.filter((observation) => observation.kind === 'rejected'), [{ kind: 'rejected', line: 1, reason: 'component "left-pad": no version' }])
  })

  it('takes the group as the vendor of a component that is no package', async () => {
    const content = bom({ components: [{ type: 'application', group: 'Sangoma', name: 'FreePBX', version: '16.0.40' }, { type: 'library', group: 'org.acme', name: 'x', version: '1', purl: 'pkg:maven/org.acme/x@1' }] })

    const items = itemsOf(await observationsOf(parseCycloneDx, bytes(content)))

    assert.deepEqual(items, [{ vendor: 'Sangoma', product: 'FreePBX', version: '16.0.40' }, { vendor: '', product: 'org.acme:x', version: '1' }])
  })

  it('waits for metadata written after the components, and then names the product from it', async () => {
    const content = bom({ components: [{ name: 'a', version: '1' }], metadata: { component: { name: 'portal', version: '9' } } })

    const observations = await observationsOf(parseCycloneDx, bytes(content))

    assert.deepEqual(observations.map((observation) => observation.kind === 'present' && [observation.line, observation.host.identifier]), [[6, 'portal@9']])
  })

  it('names the product after the file when the BOM does not describe one', async () => {
    const observations = await observationsOf(parseCycloneDx, bytes(bom({ components: [{ name: 'a', version: '1' }] })), { file: '/tmp/uploads/acme-sbc.cdx.json', customer: 'acme' })

    assert.deepEqual(observations[0]?.kind === 'present' && observations[0].host, { identifier: 'acme-sbc.cdx.json', customerRef: 'acme', kind: 'product' })
  })

  it('rejects components without a name or a textual version, and goes on', async () => {
    const content = bom({ components: [{ version: '1' }, { name: 'b', version: { major: 1 } }, { name: 'c', version: 2 }, 'text', { name: 'd', version: '4' }] })

    const observations = await observationsOf(parseCycloneDx, bytes(content))

    assert.deepEqual(observations.map((observation) => (observation.kind === 'rejected' ? observation.reason : 'present')), [
      'component: no name',
      'component "b": version is an object, not text',
      'component "c": version is a number, not text',
      'a component is not a JSON object',
      'present',
    ])
  })

  it('keeps a component whose purl does not parse, without the purl', async () => {
    const [observation] = await observationsOf(parseCycloneDx, bytes(bom({ components: [{ name: 'a', version: '1', purl: 'not a purl' }] })))

    assert.equal(observation?.kind === 'present' && observation.items[0]?.purl, null)
  })

  it('accepts specVersion 1.4 to 1.7 and refuses others', async () => {
    for (const specVersion of ['1.4', '1.5', '1.6', '1.7']) {
      assert.equal((await observationsOf(parseCycloneDx, bytes(bom({ specVersion, components: [{ name: 'a', version: '1' }] })))).length, 1)
    }
    const error = await parseError(parseCycloneDx, bytes(bom({ specVersion: '2.0' })))
    assert.match(error.message, /:3: CycloneDX specVersion "2\.0" is not supported/)
  })

  it('refuses a document that is not a CycloneDX BOM', async () => {
    assert.match((await parseError(parseCycloneDx, bytes('{"bomFormat":"SWID","components":[]}'))).message, /not a CycloneDX BOM: bomFormat is "SWID"/)
    assert.match((await parseError(parseCycloneDx, bytes('{"components":[]}'))).message, /not a CycloneDX BOM: it has no bomFormat/)
    assert.match((await parseError(parseCycloneDx, fixture('syft-alpine.spdx.json'))).message, /:2: this is an SPDX document, not a CycloneDX BOM/)
    assert.match((await parseError(parseCycloneDx, bytes('[{"name":"a"}]'))).message, /:1: expected a JSON object, found "\["/)
  })

  it('streams a large BOM in bounded batches, the first before the file is read to its end', async () => {
    const components = Array.from({ length: 20_000 }, (_, i) => ({ type: 'library', name: `package-${i}`, version: `1.0.${i}`, purl: `pkg:npm/package-${i}@1.0.${i}` }))
    const content = Buffer.from(bom({ metadata: { component: { name: 'big', version: '1' } }, components }))
    let read = 0
    async function* input(): AsyncGenerator<Buffer> {
      for (let start = 0; start < content.length; start += 65536) {
        read += Math.min(65536, content.length - start)
        yield content.subarray(start, start + 65536)
      }
    }
    const sizes: number[] = []
    let readAtFirstBatch = 0

    for await (const batch of parseCycloneDx(input(), { file: 'big.json' })) {
      if (sizes.length === 0) readAtFirstBatch = read
      sizes.push(batch.length)
    }

    assert.equal(sizes.reduce((sum, size) => sum + size, 0), 20_000)
    assert.ok(Math.max(...sizes) <= 1000)
    assert.ok(readAtFirstBatch < content.length / 2, `read ${readAtFirstBatch} of ${content.length} bytes before the first batch`)
  })

  it('reads the same observations whatever the chunk boundaries', async () => {
    const content = readFileSync(fixturePath('syft-alpine.cdx.json'))
    const whole = (await parse(parseCycloneDx, fixture('syft-alpine.cdx.json'))).observations

    for (const size of [1, 5, 100]) assert.deepEqual(await observationsOf(parseCycloneDx, chunked(content, size)), whole)
  })
})
