import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { after, before, describe, it } from 'node:test'
import { testDialects } from '../db/testing.js'
import { systemActor, type Actor } from '../shared/actor.js'
import { AppError } from '../shared/errors.js'
import { createTestApp, type TestApp } from '../testing.js'

// Hunts through the composed app: the bundled 3CX indicators against DNS logs, attribution by
// customer networks and endpoint names, file sweeps against hash indicators, tenant scope.

const dnsmasqLog = [
  'Mar 29 10:00:01 dnsmasq[123]: query[A] www.akamaicontainer.com from 10.20.1.5',
  'Mar 29 10:00:01 dnsmasq[123]: query[A] example.org from 10.20.1.6',
  'Mar 29 10:00:02 dnsmasq[123]: query[AAAA] AZUREDEPLOYSTORE.com. from 192.168.9.9',
  'Mar 29 10:00:03 dnsmasq[123]: query[A] sub.msstorageazure.com from 172.16.0.4',
].join('\n') + '\n'

function stream(text: string | Buffer): AsyncIterable<Buffer> {
  return (async function* () {
    yield Buffer.isBuffer(text) ? text : Buffer.from(text)
  })()
}

for (const dialect of testDialects) {
  describe(`hunt (${dialect.name})`, { skip: dialect.skip }, () => {
    let test: TestApp
    let dir: string
    let acme: string
    let globex: string
    let acmeActor: Actor

    before(async () => {
      test = await createTestApp(dialect.name)
      dir = mkdtempSync(join(tmpdir(), 'cordon-hunt-'))
      acme = (await test.services.customers.create(systemActor, { name: 'Acme Telecom', externalRef: 'acme' })).id
      globex = (await test.services.customers.create(systemActor, { name: 'Globex', externalRef: 'globex' })).id
      acmeActor = { ...systemActor, id: 'acme-user', scope: { all: false, customerIds: [acme] } }
      await test.services.hunt.setNetworks(systemActor, 'acme', [{ network: '10.20.0.0/16', label: 'office' }])
      await test.services.hunt.setNetworks(systemActor, 'globex', [{ network: '172.16.0.0/12' }])
    })
    after(async () => {
      rmSync(dir, { recursive: true, force: true })
      await test.close()
    })

    it('finds the 3CX C2 domains in a dnsmasq log, subdomains and case alike, and attributes clients by network', async () => {
      const hunt = await test.services.hunt.huntLogs(systemActor, { inputs: [{ name: 'dns.log', bytes: stream(dnsmasqLog) }] })

      assert.equal(hunt.status, 'done')
      assert.equal(hunt.report?.lines, 4)
      const page = await test.services.hunt.listSightings(systemActor.scope, { huntId: hunt.id, limit: 50 })
      assert.deepEqual(
        page.items.map((s) => [s.indicator, s.value, s.line, s.client, s.customerId]),
        [
          ['akamaicontainer.com', 'www.akamaicontainer.com', 1, '10.20.1.5', acme],
          ['azuredeploystore.com', 'AZUREDEPLOYSTORE.com.', 3, '192.168.9.9', null],
          ['msstorageazure.com', 'sub.msstorageazure.com', 4, '172.16.0.4', globex],
        ],
      )
      assert.equal(page.items[0]!.seenAt?.slice(5, 19), '03-29T10:00:01')
    })

    it('attributes a client named by hostname to its endpoint', async () => {
      await test.services.inventory.importInventory(systemActor, {
        file: 'inv.log',
        bytes: stream(JSON.stringify({ snapshot: [{ name: 'Zoom', version: '5.14.0', publisher: 'Zoom' }], action: 'snapshot', name: 'programs', hostIdentifier: 'uuid-ws-7', unixTime: 1680000000, decorations: { customer: 'acme', hostname: 'WS-7' } }) + '\n'),
      })
      const log = '1680070000.123\tCxyz\t10.9.9.9\t5353\t10.0.0.53\t53\tudp\t1\t-\tjournalide.org\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t-\t-\tF\n'
      const header = '#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tdns\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\tanswers\tTTLs\trejected\n#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\tcount\tstring\tcount\tstring\tcount\tstring\tbool\tbool\tbool\tbool\tcount\tvector[string]\tvector[interval]\tbool\n'
      const json = JSON.stringify({ ts: 1680070001, query: 'pbxcloudeservices.com', client: 'ws-7' }) + '\n'
      const zeek = await test.services.hunt.huntLogs(systemActor, { inputs: [{ name: 'dns.log', bytes: stream(header + log) }] })
      const named = await test.services.hunt.huntLogs(systemActor, { inputs: [{ name: 'events.json', bytes: stream(json) }], format: 'json', fields: { domain: ['query'], client: 'client', timestamp: 'ts' } })

      const [fromZeek] = (await test.services.hunt.listSightings(systemActor.scope, { huntId: zeek.id, limit: 10 })).items
      assert.equal(fromZeek?.indicator, 'journalide.org')
      assert.equal(fromZeek?.seenAt, '2023-03-29T06:06:40.123Z')
      const [fromJson] = (await test.services.hunt.listSightings(systemActor.scope, { huntId: named.id, limit: 10 })).items
      const endpoint = await test.services.inventory.getEndpoint(systemActor.scope, 'WS-7')
      assert.deepEqual([fromJson?.indicator, fromJson?.customerId, fromJson?.endpointId], ['pbxcloudeservices.com', acme, endpoint.id])
    })

    it('attributes a client address to the endpoint that reported it, before any network', async () => {
      const addresses = [{ interface: 'eth0', address: '10.20.1.5', mask: '255.255.0.0' }]
      await test.services.inventory.importInventory(systemActor, {
        file: 'net.log',
        bytes: stream(JSON.stringify({ snapshot: addresses, action: 'snapshot', name: 'interface_addresses', hostIdentifier: 'uuid-ws-9', unixTime: 1680000000, decorations: { customer: 'globex', hostname: 'WS-9' } }) + '\n'),
      })
      const hunt = await test.services.hunt.huntLogs(systemActor, { inputs: [{ name: 'dns.log', bytes: stream(dnsmasqLog) }] })

      const [first] = (await test.services.hunt.listSightings(systemActor.scope, { huntId: hunt.id, limit: 1 })).items
      const endpoint = await test.services.inventory.getEndpoint(systemActor.scope, 'WS-9')
      // 10.20.1.5 is inside acme's network, but a globex endpoint reported it: the endpoint wins.
      assert.deepEqual([first?.client, first?.customerId, first?.endpointId], ['10.20.1.5', globex, endpoint.id])
    })

    it('reports an input it cannot read and hunts the others', async () => {
      const cut = gzipSync(Buffer.from(dnsmasqLog.repeat(50))).subarray(0, 60)
      const hunt = await test.services.hunt.huntLogs(systemActor, { customer: 'acme', inputs: [{ name: 'cut.log.gz', bytes: stream(cut) }, { name: 'dns.log', bytes: stream(dnsmasqLog) }] })

      assert.equal(hunt.status, 'done')
      const [broken, good] = hunt.report!.logs!
      assert.match(broken!.error ?? '', /cut\.log\.gz/)
      assert.equal(good!.error, undefined)
      assert.equal(hunt.report!.sightings, 3)
      // Hunted for acme: every sighting is acme's unless a network says another customer's.
      const sightings = (await test.services.hunt.listSightings(systemActor.scope, { huntId: hunt.id, limit: 10 })).items
      assert.deepEqual(sightings.map((s) => s.customerId), [acme, acme, acme])
    })

    it('keeps customers apart: a customer sees its own sightings and hunts only', async () => {
      const all = await test.services.hunt.listSightings(acmeActor.scope, { limit: 500 })
      assert.ok(all.items.length > 0)
      assert.ok(all.items.every((s) => s.customerId === acme))
      const globexHunt = await test.services.hunt.huntLogs(systemActor, { customer: 'globex', inputs: [{ name: 'g.log', bytes: stream(dnsmasqLog) }] })
      await assert.rejects(test.services.hunt.getHunt(acmeActor.scope, globexHunt.id), (error) => error instanceof AppError && error.kind === 'not_found')
      await assert.rejects(test.services.hunt.listSightings(acmeActor.scope, { huntId: globexHunt.id }), (error) => error instanceof AppError && error.kind === 'not_found')
      await assert.rejects(test.services.hunt.listSightings(acmeActor.scope, { customerId: globex }), (error) => error instanceof AppError && error.kind === 'not_found')
      const summary = await test.services.hunt.summary(acmeActor.scope)
      assert.deepEqual(summary.customers.map((c) => c.customerId), [acme])
      await assert.rejects(test.services.hunt.huntLogs(acmeActor, { inputs: [{ name: 'x.log', bytes: stream(dnsmasqLog) }] }), (error) => error instanceof AppError && error.kind === 'forbidden')
    })

    it('refuses networks that are not address ranges, naming each', async () => {
      await assert.rejects(
        test.services.hunt.setNetworks(systemActor, 'acme', [{ network: '10.0.0.0/33' }, { network: 'not-an-ip' }, { network: '2001:db8::/48' }]),
        (error) => error instanceof AppError && error.kind === 'invalid' && error.problems?.map((p) => p.field).join() === 'networks[0],networks[1]',
      )
      assert.deepEqual((await test.services.hunt.listNetworks(systemActor.scope, 'acme')).map((n) => n.network), ['10.20.0.0/16'])
    })

    it('sweeps files: a known-bad hash is a sighting on the endpoint swept', async () => {
      const bad = Buffer.from('pretend this is a backdoored ffmpeg.dll\n')
      const sha256 = createHash('sha256').update(bad).digest('hex')
      const csv = join(dir, 'iocs.csv')
      writeFileSync(csv, `Indicator_type,Data,Note\nsha256,${sha256},WIN: ffmpeg.dll backdoored\n`)
      await test.services.intel.importFile(systemActor, { name: 'iocs.csv', path: csv }, { format: 'csv' })
      const root = join(dir, 'sweep')
      rmSync(root, { recursive: true, force: true })
      await import('node:fs/promises').then((fs) => fs.mkdir(join(root, 'app'), { recursive: true }))
      writeFileSync(join(root, 'app', 'ffmpeg.dll'), bad)
      writeFileSync(join(root, 'app', 'clean.txt'), 'nothing to see')

      const hunt = await test.services.hunt.huntFiles(systemActor, { roots: [root], endpoint: 'WS-7', threads: 0 })

      assert.equal(hunt.status, 'done')
      assert.equal(hunt.report?.files?.files, 2)
      const [sighting, ...rest] = (await test.services.hunt.listSightings(systemActor.scope, { huntId: hunt.id, limit: 10 })).items
      assert.equal(rest.length, 0)
      assert.equal(sighting?.sha256, sha256)
      assert.equal(sighting?.file, join(root, 'app', 'ffmpeg.dll'))
      assert.equal(sighting?.customerId, acme)
      assert.equal(sighting?.endpointId, (await test.services.inventory.getEndpoint(systemActor.scope, 'WS-7')).id)
    })
  })
}
