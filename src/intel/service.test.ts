import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createAudit, type Audit } from '../audit/index.js'
import type { Db } from '../db/connect.js'
import { testDialects, type TestDatabase } from '../db/testing.js'
import { allTenants, systemActor } from '../shared/actor.js'
import { FakeClock } from '../shared/clock.js'
import { createIntel, type Intel } from './service.js'
import { aCordonAdvisory, anOsvRecord, appError, fixture, fixturePath, json, zipOf } from './testing.js'

for (const dialect of testDialects) {
  describe(`intel imports and reads (${dialect.name})`, { skip: dialect.skip }, () => {
    let database: TestDatabase
    let intel: Intel
    let audit: Audit
    const clock = new FakeClock('2026-03-29T10:00:00.000Z')
    const changed: string[][] = []
    let failChanges = false
    const dirs: string[] = []

    const importRecords = (name: string, value: unknown, format?: 'osv' | 'cordon' | 'stix' | 'csv') =>
      intel.importFile(systemActor, { name, buffer: Buffer.isBuffer(value) ? value : json(value) }, { format })
    const importsAudited = async () => (await audit.list(allTenants, { action: 'intel.imported', limit: 500 })).items.length
    const counts = async () => {
      const advisories = await intel.listAdvisories({ includeWithdrawn: true, limit: 500 })
      const indicators = await intel.listIndicators({ limit: 500 })
      return { advisories: advisories.items.length, indicators: indicators.items.length, audits: await importsAudited() }
    }
    const tempDir = () => {
      const dir = mkdtempSync(join(tmpdir(), 'cordon-intel-'))
      dirs.push(dir)
      return dir
    }

    before(async () => {
      database = await dialect.open()
      audit = createAudit({ db: database.db, clock })
      intel = createIntel({
        db: database.db,
        clock,
        audit,
        limits: { maxEntryBytes: 1024 * 1024, maxEntries: 50, maxDocumentBytes: 256 * 1024, maxRecordBytes: 64 * 1024, maxTokenBytes: 16 * 1024, maxDepth: 32 },
        onAdvisoriesChanged: async (trx: Db, ids: string[]) => {
          assert.ok(trx.isTransaction, 'called inside the import transaction')
          changed.push(ids)
          if (failChanges) throw new Error('exposure matching failed')
        },
      })
    })
    after(async () => {
      await database.close()
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
    })

    it('imports a Debian security advisory and finds it by id, by CVE alias and by search', async () => {
      const report = await intel.importFile(systemActor, { name: 'DSA-5417-1.json', path: fixturePath('osv/DSA-5417-1.json') })

      assert.equal(report.format, 'osv')
      assert.deepEqual(report.advisories, { added: 1, updated: 0, unchanged: 0, withdrawn: 0 })
      const advisory = await intel.getAdvisory('CVE-2023-2650')
      assert.equal(advisory.externalId, 'DSA-5417-1')
      assert.equal(advisory.source, 'DSA-5417-1.json')
      assert.equal(advisory.publishedAt, '2023-05-28T00:00:00.000Z')
      assert.deepEqual(advisory.references, [{ url: 'https://www.debian.org/security/2023/dsa-5417', type: 'ADVISORY', title: null }])
      assert.deepEqual(advisory.targets, [
        {
          ecosystem: 'deb',
          vendor: '',
          vendorKey: '',
          product: 'openssl',
          productKey: 'openssl',
          platform: null,
          versions: ['1.1.1k-1', '1.1.1n-0+deb11u1', '1.1.1n-0+deb11u2', '1.1.1n-0+deb11u3', '1.1.1n-0+deb11u4'],
          ranges: [{ scheme: 'debian', events: [{ introduced: '0' }, { fixed: '1.1.1n-0+deb11u5' }] }],
        },
      ])
      assert.equal((await intel.getAdvisory(advisory.id)).externalId, 'DSA-5417-1')
      assert.deepEqual((await intel.listAdvisories({ search: 'OpenSSL' })).items.map((a) => a.externalId), ['DSA-5417-1'])
    })

    it('gives exposure matching the targets of an array of npm advisories, in the contract shape', async () => {
      const report = await intel.importFile(systemActor, { name: 'npm-advisories.json', path: fixturePath('osv/npm-advisories.json') })
      const semver = await intel.getAdvisory('GHSA-c2qf-rxjj-qqgw')

      const targets = await intel.targetsOf([semver.id])

      assert.equal(report.advisories.added, 2)
      assert.deepEqual(targets[0], {
        advisoryId: semver.id,
        ecosystem: 'npm',
        vendorKey: '',
        productKey: 'semver',
        platform: null,
        versions: [],
        ranges: [{ scheme: 'semver', events: [{ introduced: '7.0.0' }, { fixed: '7.5.2' }] }],
      })
      assert.equal(targets.length, 3)
      const all = await intel.listTargets()
      assert.ok(all.some((t) => t.productKey === '@babel/traverse'))
      assert.deepEqual(await intel.targetsOf([]), [])
    })

    it('leaves an advisory alone when the same or an older version is imported again, and replaces it with a newer one', async () => {
      const record = anOsvRecord({ modified: '2024-01-01T00:00:00Z' })
      const first = await importRecords('feed.json', record)
      const before = await intel.getAdvisory(record.id as string)
      changed.length = 0

      const same = await importRecords('feed.json', record)
      const older = await importRecords('feed.json', { ...record, modified: '2023-06-01T00:00:00Z', summary: 'older text' })
      clock.advance(60_000)
      const newer = await importRecords('feed.json', {
        ...record,
        modified: '2024-02-01T00:00:00Z',
        affected: [{ package: { ecosystem: 'npm', name: 'renamed-package' }, versions: ['1.0.0'] }],
      })

      assert.equal(first.advisories.added, 1)
      assert.deepEqual([same.advisories.unchanged, older.advisories.unchanged, newer.advisories.updated], [1, 1, 1])
      const after = await intel.getAdvisory(record.id as string)
      assert.equal(after.id, before.id)
      assert.equal(after.importedAt, before.importedAt)
      assert.notEqual(after.updatedAt, before.updatedAt)
      assert.deepEqual(after.targets.map((t) => [t.productKey, t.versions]), [['renamed-package', ['1.0.0']]])
      assert.deepEqual(changed, [[before.id]])
    })

    it('marks a withdrawn advisory withdrawn: no targets, hidden from lists unless asked for', async () => {
      const record = anOsvRecord()
      await importRecords('feed.json', record)
      const advisory = await intel.getAdvisory(record.id as string)
      changed.length = 0

      const report = await importRecords('feed.json', { ...record, modified: '2024-03-01T00:00:00Z', withdrawn: '2024-03-01T00:00:00Z' })

      assert.equal(report.advisories.withdrawn, 1)
      assert.deepEqual(changed, [[advisory.id]])
      assert.deepEqual(await intel.targetsOf([advisory.id]), [])
      assert.ok(!(await intel.listTargets()).some((t) => t.advisoryId === advisory.id))
      const search = { search: (record.id as string).toLowerCase() }
      assert.deepEqual((await intel.listAdvisories(search)).items, [])
      assert.equal((await intel.listAdvisories({ ...search, includeWithdrawn: true })).items[0]?.withdrawnAt, '2024-03-01T00:00:00.000Z')
    })

    it('reports GIT ranges as unusable and imports the rest of the record', async () => {
      const report = await intel.importFile(systemActor, { name: 'PYSEC-2021-66.json', path: fixturePath('osv/PYSEC-2021-66.json') })

      assert.equal(report.advisories.added, 1)
      assert.equal(report.unusableCount, 1)
      assert.deepEqual(report.unusable[0], { file: 'PYSEC-2021-66.json', line: 1, reason: 'PYSEC-2021-66 affected[0] (jinja2) ranges[0]: GIT ranges (commit hashes) cannot be matched against installed versions' })
    })

    it('reports records that are not OSV records with their line, and imports the others', async () => {
      const good = anOsvRecord()
      const text = `[\n${JSON.stringify(good)},\n{"id": "NOPE-1"},\n${JSON.stringify({ ...anOsvRecord(), affected: 'everything' })}\n]`

      const report = await importRecords('mixed.json', Buffer.from(text))

      assert.equal(report.advisories.added, 1)
      assert.deepEqual(report.rejected.map((r) => [r.line, r.reason.replace(/GHSA-test-\d+-\d+/, 'ID')]), [
        [3, 'NOPE-1: "modified" is missing or not an RFC 3339 date'],
        [4, 'ID: "affected" is not an array'],
      ])
      assert.equal(report.rejectedCount, 2)
    })

    it('imports a zip of OSV records one entry at a time, reporting entries that are not JSON', async () => {
      const records = [anOsvRecord(), anOsvRecord(), anOsvRecord()]
      const zip = zipOf([
        ...records.map((r) => ({ name: `npm/${r.id as string}.json`, data: JSON.stringify(r) })),
        { name: 'README.txt', data: 'not a record' },
        { name: 'npm/', data: '', stored: true },
      ])

      const report = await importRecords('all.zip', zip)

      assert.equal(report.format, 'osv')
      assert.equal(report.advisories.added, 3)
      assert.deepEqual(report.rejected, [{ file: 'all.zip/README.txt', reason: 'skipped: not a .json file' }])
      assert.equal((await intel.getAdvisory(records[2]!.id as string)).source, 'all.zip')
    })

    it('refuses zip bombs, lying sizes, absurd names, too many entries and damaged archives, committing nothing', async () => {
      const before = await counts()
      const bomb = zipOf([{ name: 'a.json', data: JSON.stringify(anOsvRecord()) }, { name: 'bomb.json', data: Buffer.alloc(2 * 1024 * 1024, 0x20) }])
      const lying = zipOf([{ name: 'a.json', data: JSON.stringify(anOsvRecord()), declaredSize: 10, stored: true }])
      const lyingDeflated = zipOf([{ name: 'a.json', data: JSON.stringify(anOsvRecord()), declaredSize: 10 }])
      const absurd = zipOf([{ name: 'a\u0001.json', data: '{}' }])
      const many = zipOf(Array.from({ length: 51 }, (_, i) => ({ name: `${i}.json`, data: '{}' })))
      const damaged = zipOf([{ name: 'a.json', data: JSON.stringify(anOsvRecord()) }]).subarray(0, 60)
      const badEntry = zipOf([{ name: 'a.json', data: JSON.stringify(anOsvRecord()) }, { name: 'b.json', data: '{"id": "X", "modified": ' }])

      await assert.rejects(importRecords('bomb.zip', bomb), appError('invalid', /bomb\.zip: entry bomb\.json is 2 MiB uncompressed; at most 1 MiB/))
      await assert.rejects(importRecords('lying.zip', lying), appError('invalid', /lying\.zip: the zip archive is damaged \(compressed\/uncompressed size mismatch/))
      await assert.rejects(importRecords('lying-deflated.zip', lyingDeflated), appError('invalid', /lying-deflated\.zip\/a\.json: the entry is damaged \(too many bytes/))
      await assert.rejects(importRecords('absurd.zip', absurd), appError('invalid', /absurd\.zip: an entry has an absurd name/))
      await assert.rejects(importRecords('many.zip', many), appError('invalid', /many\.zip: the archive has 51 entries; at most 50/))
      await assert.rejects(importRecords('damaged.zip', damaged), appError('invalid', /damaged\.zip: not a readable zip archive/))
      await assert.rejects(importRecords('entry.zip', badEntry), appError('invalid', /entry\.zip\/b\.json:1: the JSON ends/))

      assert.deepEqual(await counts(), before)
    })

    it('refuses an entry that expands too many times even under the size limit', async () => {
      const small = createIntel({ db: database.db, clock, audit, limits: { maxCompressionRatio: 100 } })
      const bomb = zipOf([{ name: 'bomb.json', data: Buffer.alloc(3 * 1024 * 1024, 0x20) }])

      await assert.rejects(small.importFile(systemActor, { name: 'ratio.zip', buffer: bomb }), appError('invalid', /ratio\.zip: entry bomb\.json expands \d+ times when uncompressed: refusing a likely zip bomb/))
    })

    it('imports a directory of records recursively, without following symbolic links', async () => {
      const dir = tempDir()
      const [a, b] = [anOsvRecord(), anOsvRecord()]
      mkdirSync(join(dir, 'npm', 'nested'), { recursive: true })
      writeFileSync(join(dir, 'npm', 'a.json'), JSON.stringify(a))
      writeFileSync(join(dir, 'npm', 'nested', 'b.json'), JSON.stringify([b]))
      writeFileSync(join(dir, 'notes.md'), '# not a record')
      symlinkSync('/etc', join(dir, 'link'))

      const report = await intel.importFile(systemActor, { name: 'osv-dir', path: dir })

      assert.equal(report.advisories.added, 2)
      assert.deepEqual(report.rejected, [{ file: join('osv-dir', 'link'), reason: 'skipped: symbolic link not followed' }])
      assert.equal((await intel.getAdvisory(b.id as string)).externalId, b.id)
    })

    it('imports a Cordon advisory with its indicators, and replaces them with those of a newer version', async () => {
      const advisory = aCordonAdvisory({ modified: '2023-04-01T00:00:00Z' })
      const first = await importRecords('vendor-advisory.json', advisory)
      const stored = await intel.getAdvisory(advisory.id as string)
      const again = await importRecords('vendor-advisory.json', advisory)

      const indicators = advisory.indicators as Array<Record<string, unknown>>
      const newer = await importRecords('vendor-advisory.json', {
        ...advisory,
        modified: '2023-04-20T00:00:00Z',
        indicators: [{ ...indicators[0], confidence: 'medium' }, { kind: 'ipv4', value: '192.0.2[.]7', confidence: 'low', source: 'Example Labs' }],
      })

      assert.equal(first.format, 'cordon')
      assert.deepEqual([first.advisories.added, first.indicators.added], [1, 2])
      assert.deepEqual([again.advisories.unchanged, again.indicators.added], [1, 0])
      assert.deepEqual(newer.indicators, { added: 1, updated: 1, unchanged: 0 })
      assert.equal(stored.indicatorCount, 2)
      assert.deepEqual(stored.remediation, { summary: 'Uninstall it.', steps: [{ action: 'uninstall', text: 'Remove the app.', minimumVersion: null, platform: null }], fixedVersions: [{ platform: 'windows', version: '1.2.5', note: null }] })
      const linked = await intel.listIndicators({ advisoryId: advisory.id as string })
      assert.deepEqual(linked.items.map((i) => [i.kind, i.value, i.confidence]).sort(), [
        ['ipv4', '192.0.2.7', 'low'],
        ['sha256', indicators[0]!.value, 'medium'],
      ])
    })

    it('imports a STIX bundle: indicators named after the identity that made them, the rest reported with object ids', async () => {
      const report = await intel.importFile(systemActor, { name: '3cx-bundle.json', path: fixturePath('stix/3cx-bundle.json') })

      assert.equal(report.format, 'stix')
      assert.deepEqual(report.indicators, { added: 10, updated: 0, unchanged: 0 })
      const source = '3cx-bundle.json (Example Threat Research)'
      const all = (await intel.listIndicators({ search: 'Example Threat Research', limit: 100 })).items
      assert.deepEqual(all.map((i) => `${i.kind} ${i.value} ${i.confidence}`).sort(), [
        'cidr 198.51.100.0/24 medium',
        'domain akamaicontainer.com high',
        'domain msstorageazure.com high',
        'ipv4 172.93.201.88 low',
        'ipv6 2001:db8::1 unknown',
        'md5 74bc2d0b6680faa1a5a76b27e5479cbc medium',
        'sha1 bf939c9c261d27ee7bb92325cc588624fca75429 medium',
        'sha256 7986bbaee8940da11ce089383521ab420c443ab7b15ed42aed91fd31ce833896 high',
        'sha256 f79c3b0adb6ec7bcc8bc9ae955a1571aaed6755a28c8b17b1d7595ee86840952 high',
        'url https://sbmsa.wiki/blog/_insert medium',
      ])
      assert.ok(all.every((i) => i.source === source))
      const ffmpeg = all.find((i) => i.value.startsWith('7986'))!
      assert.deepEqual([ffmpeg.validFrom, ffmpeg.validUntil, ffmpeg.tags], ['2023-03-29T00:00:00.000Z', '2024-03-29T00:00:00.000Z', ['malicious-activity', '3cx', 'suddenicon']])
      assert.match(ffmpeg.description, /^Backdoored ffmpeg\.dll \(3CX DesktopApp\): ffmpeg\.dll side-loaded/)
      const unusable = report.unusable.map((u) => `${u.objectId ?? '-'} ${u.reason}`).join('\n')
      assert.match(unusable, /indicator--\S+ observations joined by AND/)
      assert.match(unusable, /indicator--\S+ url:value MATCHES .* operator MATCHES is not supported/)
      assert.match(unusable, /indicator--\S+ pattern_type sigma is not supported/)
      assert.match(unusable, /indicator--\S+ the indicator is revoked/)
      assert.match(unusable, /indicator--\S+ file:name = 'samcli\.dll' ignored/)
      assert.match(unusable, /- 1 marking-definition object is not an indicator: not imported/)
      assert.match(unusable, /- 2 relationship objects are not indicators: not imported/)
      assert.ok(report.unusable.every((u) => u.file === '3cx-bundle.json'))
    })

    it('imports vendor CSVs: Volexity, Sophos and a bare defanged list, rejecting rows it cannot use with their line', async () => {
      const volexity = await intel.importFile(systemActor, { name: 'volexity-3cx-iocs.csv', path: fixturePath('csv/volexity-3cx-iocs.csv') })
      const sophos = await intel.importFile(systemActor, { name: 'sophos-3cx-iocs.csv', path: fixturePath('csv/sophos-3cx-iocs.csv') })
      const list = await intel.importFile(systemActor, { name: '3cx-iocs.txt', path: fixturePath('csv/3cx-iocs.txt') })

      assert.deepEqual([volexity.format, volexity.indicators.added, volexity.rejectedCount], ['csv', 11, 1])
      assert.deepEqual(volexity.rejected[0], { file: 'volexity-3cx-iocs.csv', line: 4, reason: 'type "emailwhois" is not an indicator type Cordon imports (hashes, domains, URLs, IP addresses and networks)' })
      assert.deepEqual([sophos.indicators.added, sophos.rejected.map((r) => r.line)], [7, [2, 10]])
      assert.deepEqual([list.indicators.added, list.rejected], [6, [{ file: '3cx-iocs.txt', line: 8, reason: 'cannot tell what kind of indicator "d3dcompiler_47.dll" is' }]])
      const fromSophos = (await intel.listIndicators({ search: 'sophos-3cx', limit: 100 })).items
      assert.deepEqual(fromSophos.map((i) => `${i.kind} ${i.value}`).sort(), [
        'domain akamaicontainer.com',
        'domain pbxsources.com',
        'ipv4 172.93.201.88',
        'sha256 4e08e4ffc699e0a1de4a5225a0b4920933fbb9cf123cde33e1674fde6d61444f',
        'sha256 aa124a4b4df12b34e74ee7f6c683b2ebec4ce9a8edcf9be345823b4fdcf5d868',
        'sha256 c485674ee63ec8d4e8fde9800788175a8b02d3f9416d0e763360fff7f8eb4e02',
        'url http://raw.githubusercontent.com/IconStorages/images/main/',
      ])
      const again = await intel.importFile(systemActor, { name: 'sophos-3cx-iocs.csv', path: fixturePath('csv/sophos-3cx-iocs.csv') })
      assert.deepEqual(again.indicators, { added: 0, updated: 0, unchanged: 7 })
    })

    it('refuses files it cannot read, in every format, naming the file and line, and commits nothing', async () => {
      const before = await counts()
      const record = anOsvRecord()
      const cases: Array<[string, Buffer, RegExp, ('osv' | 'cordon' | 'stix' | 'csv')?]> = [
        ['truncated.json', Buffer.from(`[\n${JSON.stringify(record)},\n{"id": "GHSA-x", "modif`), /truncated\.json:3: /],
        ['malformed.json', Buffer.from('{"id": "GHSA-1",\n "modified": 2024-01-01}'), /malformed\.json:2: unexpected value where ',' or '}' was expected \(at \$\.modified\)/],
        ['garbage.json', Buffer.from('[\n{"id": nope}]'), /garbage\.json:2: malformed JSON/],
        ['proto.json', Buffer.from(`{"format": "cordon-advisory/1", "__proto__": {"isAdmin": true}}`), /proto\.json:1: the key "__proto__" is not allowed/],
        ['deep.json', Buffer.from(`{"type": "bundle", "objects": [${'['.repeat(40)}${']'.repeat(40)}]}`), /deep\.json:1: the JSON is nested more than 32 levels deep/],
        ['huge-record.json', Buffer.from(`[${JSON.stringify({ ...record, details: 'd'.repeat(15_000), summary: 's'.repeat(15_000), extra: 'e'.repeat(15_000), more: 'm'.repeat(15_000), most: 'x'.repeat(15_000) })}]`), /the record starting at line 1 is larger than 64 KiB/],
        ['huge-document.json', Buffer.from(JSON.stringify({ ...record, padding: Array.from({ length: 40 }, () => 'p'.repeat(10_000)) })), /huge-document\.json:1: the JSON document is larger than 256 KiB/],
        ['long-line.csv', Buffer.from(`value,description\nevil.example,${'x'.repeat(20_000)}\n`), /long-line\.csv:2: malformed CSV: Max Record Size/],
        ['latin1.csv', Buffer.concat([Buffer.from('value,description\nevil.example,caf'), Buffer.from([0xe9]), Buffer.from('\n')]), /latin1\.csv:2: the file is not valid UTF-8/],
        ['utf16.csv', Buffer.from('\ufeffvalue\nevil.example\n', 'utf16le'), /utf16\.csv:1: the file is UTF-16/],
        ['binary.csv', Buffer.from([0x01, 0x02, 0x00, 0x03]), /binary\.csv:1: the file is binary/],
        ['unquoted.csv', Buffer.from('value,type\n"evil.example,domain\n'), /unquoted\.csv:2: malformed CSV: Quote Not Closed/],
        ['headless.csv', Buffer.from('hash_value,filename\nabc,def\n'), /headless\.csv:1: no header naming the indicator column/],
        ['unknown.json', Buffer.from('{"name": "not an advisory"}'), /unknown\.json:1: not a format Cordon imports/],
        ['csv-as-stix.csv', Buffer.from('value\nevil.example\n'), /csv-as-stix\.csv:1: expected JSON for stix/, 'stix'],
        ['empty.json', Buffer.alloc(0), /empty\.json: the file is empty/],
        ['zip-as-csv.zip', zipOf([{ name: 'a.json', data: '{}' }]), /this is a zip archive, which is read as OSV records, not csv/, 'csv'],
      ]
      for (const [name, bytes, message, format] of cases) {
        await assert.rejects(importRecords(name, bytes, format), appError('invalid', message), name)
      }

      assert.deepEqual(await counts(), before)
    })

    it('refuses the same hostile JSON whichever JSON importer reads it', async () => {
      const before = await counts()
      const hostile: Array<[string, Buffer, RegExp]> = [
        ['truncated', Buffer.from('{"id": "X",\n "objects": [{"id": '), /:2: the JSON ends/],
        ['not-utf8', Buffer.concat([Buffer.from('{"id": "'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]), /:1: the file is not valid UTF-8/],
        ['proto', Buffer.from('{"id": "X", "affected": [{"__proto__": {"polluted": true}}]}'), /:1: the key "__proto__" is not allowed \(at \$\.affected\[0\]\)/],
        ['deep', Buffer.from(`{"id": "X", "x": ${'['.repeat(40)}${']'.repeat(40)}}`), /:1: the JSON is nested more than 32 levels deep/],
        ['oversized', Buffer.from(JSON.stringify({ id: 'X', padding: Array.from({ length: 30 }, () => 'p'.repeat(10_000)) })), /:1: the JSON document is larger than 256 KiB/],
      ]
      for (const format of ['osv', 'cordon', 'stix'] as const) {
        for (const [name, bytes, message] of hostile) {
          await assert.rejects(importRecords(`${name}.json`, bytes, format), appError('invalid', new RegExp(`^${name}\\.json${message.source}`)), `${format} ${name}`)
        }
      }

      assert.deepEqual(await counts(), before)
      assert.equal(Object.prototype.hasOwnProperty.call({}, 'polluted'), false)
    })

    it('rolls the whole import back when the work it triggers fails', async () => {
      const before = await counts()
      failChanges = true
      try {
        await assert.rejects(importRecords('feed.json', [anOsvRecord(), anOsvRecord()]), /exposure matching failed/)
      } finally {
        failChanges = false
      }

      assert.deepEqual(await counts(), before)
    })

    it('writes one audit record per import, naming the file and what it did', async () => {
      const before = await importsAudited()

      await importRecords('two.json', [anOsvRecord(), anOsvRecord()])

      const [latest] = (await audit.list(allTenants, { action: 'intel.imported', limit: 1 })).items
      assert.equal(await importsAudited(), before + 1)
      assert.equal(latest!.details.file, 'two.json')
      assert.deepEqual(latest!.details.advisories, { added: 2, updated: 0, unchanged: 0, withdrawn: 0 })
    })

    it('pages through advisories newest first, filtered by severity, without gaps or repeats', async () => {
      const marker = `pagingmarker${process.pid}`
      const records = Array.from({ length: 7 }, (_, i) =>
        anOsvRecord({ summary: `${marker} ${i}`, published: `2020-01-0${i + 1}T00:00:00Z`, database_specific: { severity: i % 2 === 0 ? 'CRITICAL' : 'LOW' } }),
      )
      await importRecords('paging.json', records)

      const seen: string[] = []
      let cursor: string | undefined
      do {
        const page = await intel.listAdvisories({ search: marker, limit: 3, cursor })
        seen.push(...page.items.map((a) => a.title))
        cursor = page.nextCursor ?? undefined
      } while (cursor)

      assert.deepEqual(seen, [6, 5, 4, 3, 2, 1, 0].map((i) => `${marker} ${i}`))
      assert.deepEqual((await intel.listAdvisories({ search: marker, severity: 'critical' })).items.map((a) => a.title), [6, 4, 2, 0].map((i) => `${marker} ${i}`))
      assert.deepEqual((await intel.listAdvisories({ search: marker, source: 'elsewhere.json' })).items, [])
      await assert.rejects(intel.listAdvisories({ severity: 'dire' as never }), appError('invalid', /severity must be one of/))
    })

    it('pages through indicators and filters them by kind, confidence and text', async () => {
      const values = Array.from({ length: 5 }, (_, i) => `pager${i}-${process.pid}.example`)
      await importRecords('pager.csv', Buffer.from(`value,confidence\n${values.map((v, i) => `${v},${i * 20}`).join('\n')}\n`))

      const seen: string[] = []
      let cursor: string | undefined
      do {
        const page = await intel.listIndicators({ search: `-${process.pid}.example`, kind: 'domain', limit: 2, cursor })
        seen.push(...page.items.map((i) => i.value))
        cursor = page.nextCursor ?? undefined
      } while (cursor)

      assert.deepEqual(seen.sort(), values)
      assert.deepEqual((await intel.listIndicators({ search: `-${process.pid}.example`, confidence: 'high' })).items.map((i) => i.value), [values[4]])
      await assert.rejects(intel.listIndicators({ kind: 'email' as never }), appError('invalid', /kind must be one of/))
      await assert.rejects(intel.getAdvisory('CVE-1900-0001'), appError('not_found'))
    })

    it('refuses an ambiguous alias, naming the advisories it could mean', async () => {
      const alias = `CVE-2098-${process.pid}`
      await importRecords('alias.json', [anOsvRecord({ aliases: [alias] }), anOsvRecord({ aliases: [alias] })])

      await assert.rejects(intel.getAdvisory(alias), appError('conflict', /is an alias of 2 advisories/))
    })
  })
}
