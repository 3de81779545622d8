import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { testDialects } from '../db/testing.js'
import { systemActor } from '../shared/actor.js'
import { FakeClock } from '../shared/clock.js'
import { AppError } from '../shared/errors.js'
import { createTestApp, type TestApp } from '../testing.js'
import type { Task } from './model.js'
import { csvHeader } from './scans.js'
import { raiseAlertJob } from './service.js'

// Antivirus scan imports under hostile input, through the HTTP door (POST /api/v1/avscans, the
// report as the request body) and through the service: a refused report writes nothing, a clean
// scan attests exactly its endpoint's av_scan task, and customer tokens neither import nor see
// other customers' scans.

const advisory = 'CORDON-2023-0001'
let unixTime = 1_700_000_000
let hostCount = 0

function snapshot(host: string, customer: string): string {
  unixTime += 60
  const rows = [{ name: '3CX Desktop App', version: '18.12.416', publisher: '3CX Ltd' }]
  return JSON.stringify({ snapshot: rows, action: 'snapshot', name: 'pack_programs', hostIdentifier: host, unixTime, decorations: { customer, hostname: host } })
}

function bytesOf(text: string | Buffer): AsyncIterable<Buffer> {
  return (async function* () {
    yield Buffer.isBuffer(text) ? text : Buffer.from(text)
  })()
}

/** A scan CSV row; a clean Defender scan unless told otherwise. */
function aRow(host: string, fields: { finished?: string; infected?: string; result?: string } = {}): string {
  return `${host},Defender,2026-03-30T09:00:00Z,${fields.finished ?? '2026-03-30T09:30:00Z'},${fields.infected ?? '0'},${fields.result ?? 'clean'}`
}

function aCsv(...rows: string[]): string {
  return `${csvHeader}\n${rows.map((row) => `${row}\n`).join('')}`
}

function aClamscanLog(host: string, infected: number): string {
  return [
    `Host: ${host}`,
    ...(infected > 0 ? ['/home/user/ffmpeg.dll: Win.Trojan.SmoothOperator-1 FOUND'] : ['/home/user/readme.txt: OK']),
    '----------- SCAN SUMMARY -----------',
    'Scanned files: 5321',
    `Infected files: ${infected}`,
    'Start Date: 2026:03:30 11:00:00',
    'End Date:   2026:03:30 11:05:00',
    '',
  ].join('\n')
}

for (const dialect of testDialects) {
  describe(`antivirus scan import under hostile input (${dialect.name})`, { skip: dialect.skip }, () => {
    let t: TestApp
    let staff: string
    let acme: string
    let globex: string

    before(async () => {
      t = await createTestApp(dialect.name, { clock: new FakeClock('2026-03-29T10:00:00.000Z') })
      acme = (await t.services.customers.create(systemActor, { name: 'Acme Telecom', externalRef: 'acme' })).id
      globex = (await t.services.customers.create(systemActor, { name: 'Globex', externalRef: 'globex' })).id
      staff = await t.tokenFor('responder')
    })
    after(() => t?.close())

    /** New endpoints with 3CX 18.12.416 (Acme's unless told), and a campaign to uninstall it and scan them. */
    async function anEstate(count: number, customer = 'acme'): Promise<{ hosts: string[]; campaignId: string }> {
      const hosts = Array.from({ length: count }, () => `${customer}-pc-${++hostCount}`)
      await t.services.inventory.importInventory(systemActor, { file: 'osqueryd.results.log', bytes: bytesOf(hosts.map((host) => snapshot(host, customer)).join('\n') + '\n') })
      const campaign = await t.services.remediation.createCampaign(systemActor, { advisoryId: advisory, actions: [{ kind: 'uninstall', product: '3CX Desktop App' }, { kind: 'av_scan' }] })
      return { hosts, campaignId: campaign.id }
    }

    const endpointId = async (host: string) => (await t.services.inventory.getEndpoint(systemActor.scope, host)).id
    const tasksOn = async (campaignId: string, host: string): Promise<Task[]> =>
      (await t.services.remediation.listTasks(systemActor.scope, campaignId, { endpointId: await endpointId(host), limit: 100 })).items

    /** What an import writes: the hosts' scans and closed tasks, import audit records and alert jobs. */
    async function written(campaignId: string, hosts: string[]) {
      let scans = 0
      const states: string[] = []
      for (const host of hosts) {
        scans += (await t.services.remediation.endpointProgress(systemActor.scope, campaignId, await endpointId(host))).scans.length
        for (const task of await tasksOn(campaignId, host)) states.push(`${host} ${task.action} ${task.state}`)
      }
      const audits = (await t.services.audit.list(systemActor.scope, { action: 'remediation.scans.imported', limit: 500 })).items.length
      const alertJobs = (await t.services.jobs.list({ type: raiseAlertJob, limit: 500 })).items.length
      return { scans, states, audits, alertJobs }
    }

    const upload = (name: string, body: string | Buffer, options: { token?: string; contentType?: string; query?: string } = {}) =>
      t.inject({
        method: 'POST',
        url: `/api/v1/avscans?name=${encodeURIComponent(name)}${options.query ?? ''}`,
        headers: { authorization: `Bearer ${options.token ?? staff}`, 'content-type': options.contentType ?? 'text/plain' },
        payload: body,
      })

    const importScans = (name: string, text: string | Buffer) => t.services.remediation.importScans(systemActor, { inputs: [{ name, bytes: bytesOf(text) }] })

    async function refusal(promise: Promise<unknown>): Promise<AppError> {
      const error = await promise.then(() => undefined, (e: unknown) => e)
      assert.ok(error instanceof AppError && error.kind === 'invalid', `expected an invalid error, got ${String(error)}`)
      return error
    }

    for (const [bad, row, message] of [
      ['a bad date', (host: string) => aRow(host, { finished: '2026-02-30 25:00' }), /scan_finished is not an ISO-8601 time/],
      ['an unknown result', (host: string) => aRow(host, { result: 'probably-fine' }), /result must be clean, infected or error/],
      ['a negative count', (host: string) => aRow(host, { infected: '-1', result: 'infected' }), /infected_files is not a count/],
    ] as const) {
      it(`answers 400 naming the file and line to a CSV with a good row and one with ${bad}, and writes nothing`, async () => {
        const { hosts, campaignId } = await anEstate(2)
        const unchanged = await written(campaignId, hosts)

        const response = await upload('scans.csv', aCsv(aRow(hosts[0]!), row(hosts[1]!)))

        assert.equal(response.statusCode, 400, response.body)
        const body = response.json() as { detail: string; errors: Array<{ field: string; message: string }> }
        assert.match(body.detail, /scans\.csv:3/)
        assert.deepEqual(body.errors.map((e) => e.field), ['scans.csv:3'])
        assert.match(body.errors[0]!.message, message)
        assert.deepEqual(await written(campaignId, hosts), unchanged)
        assert.equal(unchanged.scans, 0)
        assert.ok(unchanged.states.every((state) => state.endsWith(' pending')))
      })
    }

    it('refuses through the service a CSV whose bad row comes after good ones, storing none of them', async () => {
      const { hosts, campaignId } = await anEstate(2)
      const unchanged = await written(campaignId, hosts)

      const error = await refusal(importScans('scans.csv', aCsv(aRow(hosts[0]!), aRow(hosts[1]!), aRow(hosts[1]!, { infected: '2' }))))

      assert.deepEqual(error.problems, [{ field: 'scans.csv:4', message: 'result is clean but infected_files is above 0' }])
      assert.deepEqual(await written(campaignId, hosts), unchanged)
    })

    it('refuses a CSV row naming an unknown host with the file and line, and writes nothing', async () => {
      const { hosts, campaignId } = await anEstate(1)
      const unchanged = await written(campaignId, hosts)

      const response = await upload('scans.csv', aCsv(aRow(hosts[0]!), aRow('no-such-host')))
      const error = await refusal(importScans('scans.csv', aCsv(aRow(hosts[0]!), aRow('no-such-host'))))

      assert.equal(response.statusCode, 400, response.body)
      assert.deepEqual(response.json().errors, [{ field: 'scans.csv:3', message: 'unknown host "no-such-host"' }])
      assert.deepEqual(error.problems, [{ field: 'scans.csv:3', message: 'unknown host "no-such-host"' }])
      assert.deepEqual(await written(campaignId, hosts), unchanged)
    })

    it("does not resolve a host outside the customer given, even when it exists elsewhere", async () => {
      const { hosts: [globexHost], campaignId } = await anEstate(1, 'globex')
      const unchanged = await written(campaignId, [globexHost!])

      const response = await upload('scans.csv', aCsv(aRow(globexHost!)), { query: '&customer=acme' })

      assert.equal(response.statusCode, 400, response.body)
      assert.deepEqual(response.json().errors, [{ field: 'scans.csv:2', message: `unknown host "${globexHost}"` }])
      assert.deepEqual(await written(campaignId, [globexHost!]), unchanged)
    })

    for (const [what, body, field, message] of [
      ['a binary file (NUL bytes)', Buffer.concat([Buffer.from('Host: pc\n/a: OK\n'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00, 0x0a])]), 'scan.log:3', 'binary data (a NUL byte): not a scan report'],
      ['invalid UTF-8', Buffer.concat([Buffer.from('Host: pc\n/a: OK\n/b/caf'), Buffer.from([0xe9]), Buffer.from('.txt: OK\n')]), 'scan.log:3', 'not UTF-8 text'],
      ['a 100 KiB line', `Host: pc\n/a: OK\n${'/x'.repeat(50 * 1024)}: OK\n----------- SCAN SUMMARY -----------\n`, 'scan.log:3', 'a line longer than 65536 characters'],
    ] as const) {
      it(`answers 400 with the line to a clamscan log with ${what}, and writes nothing`, async () => {
        const { hosts, campaignId } = await anEstate(1)
        const unchanged = await written(campaignId, hosts)

        const response = await upload('scan.log', Buffer.concat([Buffer.from(body), Buffer.from(aClamscanLog(hosts[0]!, 0))]), { contentType: 'application/octet-stream' })

        assert.equal(response.statusCode, 400, response.body)
        assert.match(response.json().detail, new RegExp(`first at ${field}: `))
        assert.deepEqual(response.json().errors, [{ field, message }])
        assert.deepEqual(await written(campaignId, hosts), unchanged)
      })
    }

    for (const [what, name, body, field, message] of [
      ['an empty clamscan log', 'scan.log', '', 'scan.log:1', /no "-+ SCAN SUMMARY -+" block/],
      ['an empty CSV', 'scans.csv', '', 'scans.csv:1', /^empty file: expected the header hostname,product/],
      ['a CSV with only the header', 'scans.csv', aCsv(), 'scans.csv:2', /^no scans after the header$/],
      ['a clamscan log with no summary block', 'scan.log', 'Host: pc\n/a: OK\n/b: OK\n', 'scan.log:3', /no "-+ SCAN SUMMARY -+" block: not a clamscan log, or truncated/],
    ] as const) {
      it(`refuses ${what} as invalid, naming what is missing, through both doors`, async () => {
        const audits = (await written('', [])).audits

        const response = await upload(name, body)
        const error = await refusal(importScans(name, body))

        assert.equal(response.statusCode, 400, response.body)
        assert.equal(response.json().errors[0].field, field)
        assert.match(response.json().errors[0].message, message)
        assert.equal(error.problems[0]!.field, field)
        assert.match(error.problems[0]!.message, message)
        assert.equal((await written('', [])).audits, audits)
      })
    }

    it('imports 20,000 CSV rows across a few hosts in one upload', async () => {
      const { hosts, campaignId } = await anEstate(4)
      const rows: string[] = []
      for (let i = 0; i < 20_000; i++) {
        const finished = new Date(Date.UTC(2026, 2, 30, 10) + i * 1000).toISOString()
        rows.push(aRow(hosts[i % hosts.length]!, { finished, ...(i % 1000 === 999 && { result: 'error' }) }))
      }

      const response = await upload('estate.csv', aCsv(...rows), { contentType: 'text/csv' })

      assert.equal(response.statusCode, 200, response.body.slice(0, 500))
      const report = response.json() as { scans: number; attested: number; infected: number; results: unknown[] }
      assert.deepEqual([report.scans, report.attested, report.infected, report.results.length], [20_000, hosts.length, 0, 20_000])
      const scans = (await t.services.remediation.endpointProgress(systemActor.scope, campaignId, await endpointId(hosts[0]!))).scans
      assert.equal(scans.length, 5_000)
      assert.deepEqual([scans[0]!.line, scans.at(-1)!.line], [2, 19_998])
    })

    it('attests exactly the av_scan task of the endpoint a clean scan is of, with the scan as evidence', async () => {
      const { hosts: [scanned, other], campaignId } = await anEstate(2)

      const response = await upload('scan.log', aClamscanLog(scanned!, 0))

      assert.equal(response.statusCode, 200, response.body)
      const report = response.json() as { attested: number; results: Array<{ scanId: string; attestedTasks: string[] }> }
      const tasks = await tasksOn(campaignId, scanned!)
      const scanTask = tasks.find((task) => task.action === 'av_scan')!
      assert.deepEqual(report.results[0]!.attestedTasks, [scanTask.id])
      assert.equal(report.attested, 1)
      assert.deepEqual(tasks.map((task) => [task.action, task.state]), [['uninstall', 'pending'], ['av_scan', 'done_attested']])
      assert.equal(scanTask.evidence?.scanId, report.results[0]!.scanId)
      assert.equal(scanTask.evidence?.file, 'scan.log')
      assert.equal(scanTask.evidence?.observedAt, '2026-03-30T11:05:00.000Z')
      assert.deepEqual((await tasksOn(campaignId, other!)).map((task) => task.state), ['pending', 'pending'])
    })

    it('attests nothing from an infected scan, and stores it with its detection', async () => {
      const { hosts: [host], campaignId } = await anEstate(1)

      const report = await importScans('scan.log', aClamscanLog(host!, 1))

      assert.deepEqual([report.scans, report.attested, report.infected, report.results[0]!.attestedTasks], [1, 0, 1, []])
      assert.deepEqual((await tasksOn(campaignId, host!)).map((task) => task.state), ['pending', 'pending'])
      const { scans } = await t.services.remediation.endpointProgress(systemActor.scope, campaignId, await endpointId(host!))
      assert.deepEqual(scans.map((scan) => [scan.id, scan.result, scan.detections.map((d) => d.signature)]), [[report.results[0]!.scanId, 'infected', ['Win.Trojan.SmoothOperator-1']]])
    })

    it('refuses a scan upload from a customer token or a viewer, and writes nothing', async () => {
      const { hosts, campaignId } = await anEstate(1)
      const unchanged = await written(campaignId, hosts)

      const asCustomer = await upload('scan.log', aClamscanLog(hosts[0]!, 0), { token: await t.tokenFor('customer', acme) })
      const asViewer = await upload('scan.log', aClamscanLog(hosts[0]!, 0), { token: await t.tokenFor('viewer') })

      assert.equal(asCustomer.statusCode, 403, asCustomer.body)
      assert.equal(asViewer.statusCode, 403, asViewer.body)
      assert.deepEqual(await written(campaignId, hosts), unchanged)
    })

    it("shows a customer token none of another customer's scans or tasks through the campaign's GET routes", async () => {
      await anEstate(1, 'acme')
      const { hosts: [globexHost], campaignId } = await anEstate(1, 'globex')
      const globexReport = await importScans('globex-scan.log', aClamscanLog(globexHost!, 0))
      const globexScan = globexReport.results[0]!.scanId
      const globexEndpoint = await endpointId(globexHost!)
      const token = await t.tokenFor('customer', acme)
      const get = (url: string) => t.inject({ method: 'GET', url: `/api/v1/campaigns/${campaignId}${url}`, headers: { authorization: `Bearer ${token}` } })

      const tasks = await get('/tasks?limit=500')
      const filtered = await get(`/tasks?limit=500&customerId=${globex}&endpointId=${globexEndpoint}`)
      const others = await Promise.all(['/progress', '/metrics', '/export.csv', '/export.csv?of=customers'].map(get))

      assert.equal(globexReport.attested, 1)
      assert.equal(tasks.statusCode, 200, tasks.body)
      const items = (tasks.json() as { items: Task[] }).items
      assert.ok(items.length > 0)
      assert.deepEqual([...new Set(items.map((task) => task.customerId))], [acme])
      assert.equal(filtered.statusCode, 200, filtered.body)
      assert.deepEqual(filtered.json().items, [])
      for (const response of [tasks, filtered, ...others]) {
        assert.equal(response.statusCode, 200, response.body)
        for (const secret of [globexScan, globexEndpoint, globex, globexHost!, 'globex-scan.log', 'Globex']) assert.ok(!response.body.includes(secret), `${response.body.slice(0, 200)} shows ${secret}`)
      }
    })
  })
}
