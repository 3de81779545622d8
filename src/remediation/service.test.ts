import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { testDialects } from '../db/testing.js'
import { systemActor } from '../shared/actor.js'
import { FakeClock } from '../shared/clock.js'
import { AppError } from '../shared/errors.js'
import { createTestApp, type TestApp } from '../testing.js'
import type { Task } from './model.js'
import { overdueRemindersJob, raiseAlertJob } from './service.js'

// Remediation through the composed app: campaigns from the bundled 3CX advisory over osquery
// inventory imports, verification from later snapshots, reopening with an alert, antivirus scan
// imports, tenant scope, CSV export and overdue reminders.

const advisory = 'CORDON-2023-0001'
let unixTime = 1_700_000_000

function snapshot(host: string, customer: string, programs: Array<{ name: string; version: string }>): string {
  unixTime += 60
  const rows = programs.map((p) => ({ name: p.name, version: p.version, publisher: '3CX Ltd', install_location: '', install_source: '', language: '', uninstall_string: '', install_date: '', identifying_number: '' }))
  return JSON.stringify({ snapshot: rows, action: 'snapshot', name: 'pack_programs', hostIdentifier: host, calendarTime: '', unixTime, epoch: 0, counter: 0, numerics: false, decorations: { customer, hostname: host } })
}
const desktopApp = (version: string) => ({ name: '3CX Desktop App', version })
const notepad = { name: 'Notepad++', version: '8.5' }

function bytesOf(text: string | Buffer): AsyncIterable<Buffer> {
  return (async function* () {
    yield Buffer.isBuffer(text) ? text : Buffer.from(text)
  })()
}

function clamscanLog(host: string | null, infected: number, end = '2026:03:30 11:05:00'): string {
  return [
    ...(host ? [`Host: ${host}`] : []),
    '/home/user/readme.txt: OK',
    ...(infected > 0 ? ['/home/user/ffmpeg.dll: Win.Trojan.SmoothOperator-1 FOUND'] : []),
    '',
    '----------- SCAN SUMMARY -----------',
    'Known viruses: 8695489',
    'Engine version: 1.0.5',
    'Scanned directories: 120',
    'Scanned files: 5321',
    `Infected files: ${infected}`,
    'Data scanned: 812.44 MB',
    'Data read: 604.10 MB (ratio 1.34:1)',
    'Time: 300.512 sec (5 m 0 s)',
    'Start Date: 2026:03:30 11:00:00',
    `End Date:   ${end}`,
    '',
  ].join('\n')
}

for (const dialect of testDialects) {
  describe(`remediation (${dialect.name})`, { skip: dialect.skip }, () => {
    let t: TestApp
    const clock = new FakeClock('2026-03-29T10:00:00.000Z')
    let acme: string
    let globex: string

    before(async () => {
      t = await createTestApp(dialect.name, { clock })
      acme = (await t.services.customers.create(systemActor, { name: 'Acme Telecom', externalRef: 'acme', contacts: [{ name: 'Ann', email: 'ann@acme.example', role: 'security' }] })).id
      globex = (await t.services.customers.create(systemActor, { name: 'Globex', externalRef: 'globex', contacts: [{ name: 'Gil', email: 'gil@globex.example', role: 'security' }] })).id
    })
    after(() => t?.close())

    const importLines = (...lines: string[]) => t.services.inventory.importInventory(systemActor, { file: 'osqueryd.results.log', bytes: bytesOf(lines.join('\n') + '\n') })
    const campaign = (actions: Array<Record<string, string>>, extra: Record<string, unknown> = {}) => t.services.remediation.createCampaign(systemActor, { advisoryId: advisory, actions, ...extra })
    const endpointId = async (host: string) => (await t.services.inventory.getEndpoint(systemActor.scope, host)).id
    const tasksOn = async (campaignId: string, host: string): Promise<Task[]> => (await t.services.remediation.listTasks(systemActor.scope, campaignId, { endpointId: await endpointId(host), limit: 100 })).items
    const importScan = (name: string, text: string | Buffer, options: { endpoint?: string; format?: 'clamscan' | 'csv' } = {}) =>
      t.services.remediation.importScans(systemActor, { inputs: [{ name, bytes: bytesOf(text) }], ...options })

    it('holds one task per affected endpoint and action, and none for unaffected endpoints', async () => {
      await importLines(snapshot('c1-407', 'acme', [desktopApp('18.12.407')]), snapshot('c1-416', 'globex', [desktopApp('18.12.416')]), snapshot('c1-clean', 'acme', [notepad]))

      const created = await campaign([{ kind: 'uninstall', product: '3CX Desktop App' }, { kind: 'av_scan' }])

      assert.deepEqual((await tasksOn(created.id, 'c1-407')).map((task) => [task.action, task.state]), [['uninstall', 'pending'], ['av_scan', 'pending']])
      assert.deepEqual((await tasksOn(created.id, 'c1-416')).map((task) => task.customerId), [globex, globex])
      assert.deepEqual(await tasksOn(created.id, 'c1-clean'), [])
    })

    it('verifies an uninstall task from a later snapshot without the app, with the import as evidence', async () => {
      await importLines(snapshot('u-416', 'acme', [desktopApp('18.12.416'), notepad]))
      const created = await campaign([{ kind: 'uninstall', product: '3CX Desktop App' }])

      const later = await importLines(snapshot('u-416', 'acme', [notepad]))

      const [task] = await tasksOn(created.id, 'u-416')
      assert.equal(task!.state, 'done_verified')
      assert.equal(task!.evidence?.importId, later.id)
    })

    it('verifies an upgrade task from a later snapshot with 18.12.425', async () => {
      await importLines(snapshot('g-416', 'acme', [desktopApp('18.12.416')]))
      const created = await campaign([{ kind: 'upgrade', version: '18.12.425' }])

      await importLines(snapshot('g-416', 'acme', [desktopApp('18.12.425')]))

      const [task] = await tasksOn(created.id, 'g-416')
      assert.equal(task!.state, 'done_verified')
      assert.deepEqual(task!.evidence?.versions, ['18.12.425'])
    })

    it('verifies an upgrade task from a later snapshot without the app: no affected version is left', async () => {
      await importLines(snapshot('g-gone', 'acme', [desktopApp('18.12.407'), notepad]))
      const created = await campaign([{ kind: 'upgrade', version: '18.12.425' }])

      const later = await importLines(snapshot('g-gone', 'acme', [notepad]))

      const [task] = await tasksOn(created.id, 'g-gone')
      assert.equal(task!.state, 'done_verified')
      assert.equal(task!.evidence?.importId, later.id)
      assert.deepEqual(task!.evidence?.versions, [])
    })

    it('leaves an upgrade task open while any installation is below the target version', async () => {
      await importLines(snapshot('g-two', 'acme', [desktopApp('18.12.416')]))
      const created = await campaign([{ kind: 'upgrade', version: '18.12.425' }])

      // 18.10.500 is not an affected build, but it is below the version the campaign asks for.
      await importLines(snapshot('g-two', 'acme', [desktopApp('18.12.425'), desktopApp('18.10.500')]))

      assert.equal((await tasksOn(created.id, 'g-two'))[0]!.state, 'pending')
    })

    it('leaves an upgrade task open while the snapshot still shows an affected version', async () => {
      await importLines(snapshot('g-still', 'acme', [desktopApp('18.12.407')]))
      const created = await campaign([{ kind: 'upgrade', version: '18.12.425' }])

      await importLines(snapshot('g-still', 'acme', [desktopApp('18.12.416')]))

      assert.equal((await tasksOn(created.id, 'g-still'))[0]!.state, 'pending')
    })

    it('reopens a verified task when the bad version comes back and raises a critical alert by job', async () => {
      await importLines(snapshot('r-416', 'acme', [desktopApp('18.12.416')]))
      const created = await campaign([{ kind: 'uninstall', product: '3CX Desktop App' }])
      await importLines(snapshot('r-416', 'acme', [notepad]))

      const comeback = await importLines(snapshot('r-416', 'acme', [desktopApp('18.12.416')]))
      const jobs = (await t.services.jobs.list({ type: raiseAlertJob, limit: 100 })).items
      const job = jobs.find((j) => (j.payload as { labels: { import: string } }).labels.import === comeback.id)!
      await t.services.remediation.raiseAlert(job)

      const [task] = await tasksOn(created.id, 'r-416')
      assert.equal(task!.state, 'pending')
      assert.equal(task!.reopenedCount, 1)
      const alerts = (await t.services.alerting.listAlerts({ limit: 100 })).items.filter((a) => a.dedupKey === `remediation-task:${task!.id}`)
      assert.equal(alerts.length, 1)
      assert.equal(alerts[0]!.severity, 'critical')
      assert.equal(alerts[0]!.source, 'cordon-remediation')
      assert.equal(alerts[0]!.customerId, acme)
    })

    it('attests an av_scan task from a clean clamscan log', async () => {
      await importLines(snapshot('s-clean', 'acme', [desktopApp('18.12.416')]))
      const created = await campaign([{ kind: 'av_scan' }])

      const report = await importScan('clamscan.log', clamscanLog('s-clean', 0))

      const [task] = await tasksOn(created.id, 's-clean')
      assert.equal(task!.state, 'done_attested')
      assert.equal(task!.evidence?.scanId, report.results[0]!.scanId)
      assert.equal(task!.evidence?.scannedFiles, 5321)
    })

    it('records an infected scan without attesting, and queues an alert', async () => {
      await importLines(snapshot('s-bad', 'acme', [desktopApp('18.12.416')]))
      const created = await campaign([{ kind: 'av_scan' }])

      const report = await importScan('clamscan.log', clamscanLog(null, 1), { endpoint: 's-bad' })

      assert.equal((await tasksOn(created.id, 's-bad'))[0]!.state, 'pending')
      assert.deepEqual([report.infected, report.attested], [1, 0])
      const progress = await t.services.remediation.endpointProgress(systemActor.scope, created.id, await endpointId('s-bad'))
      assert.deepEqual(progress.scans.map((s) => [s.result, s.infectedFiles, s.detections[0]?.signature]), [['infected', 1, 'Win.Trojan.SmoothOperator-1']])
      const jobs = (await t.services.jobs.list({ type: raiseAlertJob, limit: 100 })).items
      assert.ok(jobs.some((j) => (j.payload as { labels: { scan: string } }).labels.scan === report.results[0]!.scanId))
    })

    it('attests an av_scan task from the scan CSV', async () => {
      await importLines(snapshot('s-csv', 'acme', [desktopApp('18.12.416')]))
      const created = await campaign([{ kind: 'av_scan' }])

      await importScan('scans.csv', 'hostname,product,scan_started,scan_finished,infected_files,result\ns-csv,Defender,2026-03-30T09:00:00Z,2026-03-30T09:30:00Z,0,clean\n')

      assert.equal((await tasksOn(created.id, 's-csv'))[0]!.state, 'done_attested')
    })

    for (const [name, text, line, message] of [
      ['truncated', clamscanLog('s-hostile', 0).split('Infected files')[0]!, 4, /Infected files/],
      ['binary', Buffer.concat([Buffer.from('Host: s-hostile\nScanned'), Buffer.from([0, 1, 2, 0xff])]), 2, /binary/],
      ['unknown host', clamscanLog('no-such-host', 0), 1, /unknown host/],
    ] as const) {
      it(`refuses a ${name} scan report with the file and line, writing nothing`, async () => {
        await importLines(snapshot('s-hostile', 'acme', [desktopApp('18.12.416')]))
        const created = await campaign([{ kind: 'av_scan' }])
        const good = clamscanLog('s-hostile', 0)

        const error = await t.services.remediation
          .importScans(systemActor, { inputs: [{ name: 'good.log', bytes: bytesOf(good) }, { name: 'bad.log', bytes: bytesOf(text) }] })
          .then(() => undefined, (e: unknown) => e)

        assert.ok(error instanceof AppError && error.kind === 'invalid')
        assert.equal(error.problems[0]!.field, `bad.log:${line}`)
        assert.match(error.problems[0]!.message, message)
        assert.equal((await tasksOn(created.id, 's-hostile'))[0]!.state, 'pending')
        assert.deepEqual((await t.services.remediation.endpointProgress(systemActor.scope, created.id, await endpointId('s-hostile'))).scans, [])
      })
    }

    it("shows a customer token only its own customer's tasks", async () => {
      await importLines(snapshot('tenant-a', 'acme', [desktopApp('18.12.416')]), snapshot('tenant-g', 'globex', [desktopApp('18.12.416')]))
      const created = await campaign([{ kind: 'av_scan' }])
      const token = await t.tokenFor('customer', acme)

      const response = await t.inject({ method: 'GET', url: `/api/v1/campaigns/${created.id}/tasks?limit=500`, headers: { authorization: `Bearer ${token}` } })

      assert.equal(response.statusCode, 200)
      const customers = new Set((response.json() as { items: Task[] }).items.map((task) => task.customerId))
      assert.deepEqual([...customers], [acme])
    })

    it('exports a campaign as CSV, one row per task', async () => {
      await importLines(snapshot('csv-1', 'globex', [desktopApp('18.12.407')]))
      const created = await campaign([{ kind: 'uninstall', product: '3CX Desktop App' }], { deadline: '2026-04-05T00:00:00Z' })
      const [task] = await tasksOn(created.id, 'csv-1')
      await t.services.remediation.updateTask(systemActor, created.id, task!.id, { state: 'exempted', reason: 'kiosk, replaced next week', approver: 'CISO Dana' })

      const csv = await t.services.remediation.exportCsv(systemActor.scope, created.id)

      const lines = csv.trimEnd().split('\r\n')
      assert.equal(lines[0], 'customer,customer_id,endpoint_id,hostname,action,title,state,verified_at,attested_at,evidence,deadline,overdue')
      const row = lines.find((l) => l.includes(task!.endpointId))
      assert.equal(row, `Globex,${globex},${task!.endpointId},csv-1,uninstall,Uninstall 3CX Desktop App,exempted,,,"exempted: kiosk, replaced next week (approved by CISO Dana)",2026-04-05T00:00:00.000Z,false`)
    })

    it('refuses an exemption without an approver', async () => {
      await importLines(snapshot('ex-1', 'acme', [desktopApp('18.12.407')]))
      const created = await campaign([{ kind: 'av_scan' }])
      const [task] = await tasksOn(created.id, 'ex-1')

      const error = await t.services.remediation.updateTask(systemActor, created.id, task!.id, { state: 'exempted', reason: 'no' }).then(() => undefined, (e: unknown) => e)

      assert.ok(error instanceof AppError && error.kind === 'invalid')
      assert.deepEqual(error.problems.map((p) => p.field), ['approver'])
    })

    it('sends an overdue reminder to each contact once per day', async () => {
      await importLines(snapshot('late-1', 'globex', [desktopApp('18.12.416')]))
      await campaign([{ kind: 'av_scan' }], { deadline: '2026-03-29T12:00:00Z' })
      clock.advance(3 * 3600_000)
      const run = async () => {
        const commit = await t.services.remediation.remindOverdue()
        if (commit) await t.services.database.db.transaction().execute((trx) => commit(trx))
      }

      await run()
      await run()

      const sent = (await t.services.notifications.list({ customerId: globex, limit: 100 })).items.filter((n) => n.subject.startsWith('Overdue remediation'))
      assert.equal(sent.length, 1)
      assert.equal(sent[0]!.recipient, 'gil@globex.example')
    })

    it('schedules the overdue reminders as one daily job, however often it is asked', async () => {
      await t.services.remediation.scheduleReminders(systemActor)

      await t.services.remediation.scheduleReminders(systemActor)

      const schedules = (await t.services.jobs.listSchedules()).filter((s) => s.type === overdueRemindersJob)
      assert.deepEqual(schedules.map((s) => [s.cron, s.timezone]), [['0 8 * * *', 'UTC']])
    })

    it('measures time to notify, acknowledge and all-clear per customer from the incident’s opening', async () => {
      const { customers, incidents, comms, notifications, remediation } = t.services
      const initech = (await customers.create(systemActor, { name: 'Initech', externalRef: 'initech', contacts: [{ name: 'Ina', email: 'ina@initech.example', role: 'security' }] })).id
      await importLines(snapshot('m-1', 'initech', [desktopApp('18.12.416')]))
      const openedAt = clock.now().toISOString()
      const incident = await incidents.open(systemActor, { title: '3CX at Initech', severity: 'SEV2' })
      await incidents.link(systemActor, incident.id, { kind: 'advisory', targetId: advisory })
      clock.advance(15 * 60_000)
      const sent = await comms.send(systemActor, { incidentId: incident.id, customers: [initech] })
      clock.advance(30 * 60_000)
      const message = (await notifications.list({ limit: 500 })).items.find((n) => n.recipient === 'ina@initech.example')!
      const token = /\/ack\/([A-Za-z0-9._-]+)/.exec(message.text)![1]!
      assert.equal((await comms.acknowledge(token, 'Ina')).ok, true)
      clock.advance(15 * 60_000)
      const created = await remediation.createCampaign(systemActor, { incidentId: incident.id, actions: [{ kind: 'upgrade', version: '18.12.425' }] })
      clock.advance(60 * 60_000)
      await importLines(snapshot('m-1', 'initech', [desktopApp('18.12.425')]))

      const metrics = await remediation.metrics(systemActor.scope, created.id)

      assert.deepEqual(sent.notices.map((n) => n.customerId), [initech])
      assert.equal(metrics.startedAt, openedAt)
      const row = metrics.customers.find((c) => c.customerId === initech)!
      assert.deepEqual(
        { tasks: row.tasks, open: row.open, notify: row.secondsToNotify, acknowledge: row.secondsToAcknowledge, allClear: row.secondsToAllClear },
        { tasks: 1, open: 0, notify: 15 * 60, acknowledge: 45 * 60, allClear: 120 * 60 },
      )
    })

    it('counts progress per customer with percent verified', async () => {
      await importLines(snapshot('p-1', 'acme', [desktopApp('18.12.416')]), snapshot('p-2', 'acme', [desktopApp('18.12.416')]))
      const created = await campaign([{ kind: 'uninstall', product: '3CX Desktop App' }])
      await importLines(snapshot('p-1', 'acme', [notepad]))

      const progress = await t.services.remediation.progress(systemActor.scope, created.id)

      const mine = progress.customers.find((c) => c.customerId === acme)!
      const p1 = await endpointId('p-1')
      const p2 = await endpointId('p-2')
      const own = (await t.services.remediation.listTasks(systemActor.scope, created.id, { customerId: acme, limit: 500 })).items
      const verified = own.filter((task) => task.state === 'done_verified').map((task) => task.endpointId)
      assert.ok(verified.includes(p1) && !verified.includes(p2))
      assert.equal(mine.doneVerified, verified.length)
      assert.equal(mine.percentVerified, Math.round((verified.length / own.length) * 1000) / 10)
      assert.equal(mine.allClearAt, null)
    })
  })
}
