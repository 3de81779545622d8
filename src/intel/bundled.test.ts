import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createAudit, type Audit } from '../audit/index.js'
import { testDialects, type TestDatabase } from '../db/testing.js'
import { allTenants, systemActor } from '../shared/actor.js'
import { FakeClock } from '../shared/clock.js'
import { createIntel, type Intel } from './service.js'

for (const dialect of testDialects) {
  describe(`the bundled 3CX DesktopApp advisory (${dialect.name})`, { skip: dialect.skip }, () => {
    let database: TestDatabase
    let intel: Intel
    let audit: Audit
    const clock = new FakeClock('2026-03-29T10:00:00.000Z')

    before(async () => {
      database = await dialect.open()
      audit = createAudit({ db: database.db, clock })
      intel = createIntel({ db: database.db, clock, audit })
      await intel.loadBundled(systemActor)
    })
    after(() => database.close())

    it('loads as a critical advisory for CVE-2023-29059 from 3CX Ltd', async () => {
      const advisory = await intel.getAdvisory('CVE-2023-29059')

      assert.equal(advisory.externalId, 'CORDON-2023-0001')
      assert.equal(advisory.sourceKind, 'cordon')
      assert.equal(advisory.source, 'bundled')
      assert.equal(advisory.severity, 'critical')
      assert.deepEqual(advisory.aliases, ['CVE-2023-29059'])
      assert.ok(advisory.targets.every((t) => t.vendor === '3CX Ltd' && t.vendorKey === '3cx' && t.ecosystem === null))
      assert.deepEqual([...new Set(advisory.targets.map((t) => t.productKey))].sort(), ['3cx desktop app', '3cxdesktopapp'])
    })

    it('names exactly the trojanized versions on each platform', async () => {
      const { targets } = await intel.getAdvisory('CORDON-2023-0001')
      const versionsOn = (platform: string) => [...new Set(targets.filter((t) => t.platform === platform).map((t) => JSON.stringify(t.versions)))]

      assert.deepEqual(versionsOn('windows'), [JSON.stringify(['18.12.407', '18.12.416'])])
      assert.deepEqual(versionsOn('macos'), [JSON.stringify(['18.11.1213', '18.12.402', '18.12.407', '18.12.416'])])
      assert.deepEqual([...new Set(targets.map((t) => t.platform))].sort(), ['macos', 'windows'])
      assert.ok(targets.every((t) => t.ranges.length === 0))
    })

    it("carries the vendor's guidance: uninstall for the web client, 18.12.425 on Windows, macOS fix uncertain", async () => {
      const { remediation } = await intel.getAdvisory('CORDON-2023-0001')

      assert.ok(remediation)
      assert.match(remediation.summary, /Uninstall the 3CX desktop app .* web client \(PWA\)/)
      assert.equal(remediation.steps[0]!.action, 'uninstall')
      assert.deepEqual(remediation.fixedVersions.map((f) => [f.platform, f.version]), [['windows', '18.12.425']])
      assert.ok(remediation.steps.some((s) => s.action === 'upgrade' && s.platform === 'windows' && s.minimumVersion === '18.12.425' && /Mandiant/.test(s.text)))
      assert.ok(remediation.steps.some((s) => s.platform === 'macos' && /uncertain/.test(s.text)))
    })

    it('has only its high-confidence file hashes and C2 domains, each with its source', async () => {
      const advisory = await intel.getAdvisory('CORDON-2023-0001')
      const indicators = (await intel.listIndicators({ advisoryId: advisory.id, limit: 500 })).items
      const values = new Set(indicators.map((i) => i.value))

      assert.equal(indicators.length, advisory.indicatorCount)
      assert.deepEqual([...new Set(indicators.map((i) => i.kind))].sort(), ['domain', 'md5', 'sha1', 'sha256'])
      assert.ok(indicators.every((i) => i.confidence === 'high'))
      assert.ok(indicators.every((i) => i.source.length > 10 && i.description.length > 0), 'every indicator names its source')
      for (const known of [
        '7986bbaee8940da11ce089383521ab420c443ab7b15ed42aed91fd31ce833896', // ffmpeg.dll
        'c485674ee63ec8d4e8fde9800788175a8b02d3f9416d0e763360fff7f8eb4e02', // ffmpeg.dll signed by 3CX Ltd
        '11be1803e2e307b647a8a7e02d128335c448ff741bf06bf52b332e0bbf423b03', // d3dcompiler_47.dll
        'aa124a4b4df12b34e74ee7f6c683b2ebec4ce9a8edcf9be345823b4fdcf5d868', // 18.12.407 MSI
        'a64fa9f1c76457ecc58402142a8728ce34ccba378c17318b3340083eeb7acc67', // libffmpeg.dylib
        'bf939c9c261d27ee7bb92325cc588624fca75429', // ffmpeg.dll SHA-1
        '74bc2d0b6680faa1a5a76b27e5479cbc', // ffmpeg.dll MD5
        'akamaicontainer.com',
        'sbmsa.wiki',
        'www.journalide.org',
      ]) {
        assert.ok(values.has(known), `${known} missing`)
      }
      // Medium and low confidence entries of the same compilation stay out.
      for (const excluded of ['msedgeupdate.net', 'curvefinances.com', 'convieneonline.com', '162.0.229.159']) assert.ok(!values.has(excluded), `${excluded} included`)
      assert.equal(indicators.filter((i) => i.kind === 'domain').length, 24)
    })

    it('loads once: loading again changes nothing and writes no audit record', async () => {
      const before = await intel.getAdvisory('CORDON-2023-0001')
      const audits = (await audit.list(allTenants, { action: 'intel.imported', limit: 500 })).items.length
      clock.advance(60_000)

      const reports = await intel.loadBundled(systemActor)

      assert.deepEqual(reports, [])
      assert.deepEqual(await intel.getAdvisory('CORDON-2023-0001'), before)
      assert.equal((await audit.list(allTenants, { action: 'intel.imported', limit: 500 })).items.length, audits)
      assert.equal(audits, 1)
    })
  })
}
