import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { ParsedMail } from 'mailparser'
import { createPostgresTestDatabase, dropPostgresTestDatabase, testDialects } from '../../src/db/testing.js'
import { startSmtpSink, type SmtpSink } from '../../src/notifications/testing.js'

// The 3CX replay: the whole loop of the day a trusted vendor ships a poisoned build, run against the
// built `cordon serve` process over HTTP, with a real SMTP server on 127.0.0.1 and the bundled
// advisory. Three customers (one through a partner) run the desktop softphone; two endpoints looked
// up the attacker's domains. Incident from the playbook → notices by email → acknowledgement links
// followed → a campaign → later inventory proves who is clean, and a reinstalled bad build reopens.
// Each step depends on the one before, as on the day: the tests run in order.

const main = fileURLToPath(new URL('../../dist/main.js', import.meta.url))
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('CORDON_')))
const advisoryRef = 'CORDON-2023-0001'

interface Host {
  name: string
  customer: 'contoso' | 'fabrikam' | 'tailspin' | 'litware'
  address: string
  softphone: string | null
}

// Contoso Dental is served through the partner Northwind IT; Fabrikam and Tailspin directly.
const hosts: Host[] = [
  { name: 'CON-FRONT', customer: 'contoso', address: '10.1.0.11', softphone: '18.12.407' },
  { name: 'CON-LAB', customer: 'contoso', address: '10.1.0.12', softphone: '18.12.416' },
  { name: 'CON-ADMIN', customer: 'contoso', address: '10.1.0.13', softphone: '18.12.425' },
  { name: 'FAB-DISPATCH', customer: 'fabrikam', address: '10.2.0.21', softphone: '18.12.416' },
  { name: 'FAB-YARD', customer: 'fabrikam', address: '10.2.0.22', softphone: '18.12.416' },
  { name: 'TAIL-DESK', customer: 'tailspin', address: '10.3.0.31', softphone: '18.12.407' },
  { name: 'TAIL-OFFICE', customer: 'tailspin', address: '10.3.0.32', softphone: null },
  // A customer nobody entered contacts for: it must be reported before sending, not skipped.
  { name: 'LIT-RECEPTION', customer: 'litware', address: '10.4.0.41', softphone: '18.12.416' },
]
const affected = ['CON-FRONT', 'CON-LAB', 'FAB-DISPATCH', 'FAB-YARD', 'LIT-RECEPTION', 'TAIL-DESK']

/** An osquery daemon's results log: each host's programs and interface addresses, as snapshots. */
function osqueryLog(unixTime: number, softphone: (host: Host) => string | null): string {
  const lines: string[] = []
  for (const host of hosts) {
    const version = softphone(host)
    const programs = [
      { name: 'Microsoft Edge', version: '111.0.1661.54', publisher: 'Microsoft Corporation' },
      ...(version ? [{ name: '3CX Desktop App', version, publisher: '3CX Ltd', install_location: `C:\\Users\\${host.name.toLowerCase()}\\AppData\\Local\\Programs\\3CXDesktopApp\\` }] : []),
    ]
    const decorations = { host_uuid: `uuid-${host.name}`, hostname: host.name, customer: host.customer }
    const common = { hostIdentifier: `uuid-${host.name}`, calendarTime: new Date(unixTime * 1000).toUTCString(), unixTime, epoch: 0, counter: 0, numerics: false, decorations }
    lines.push(JSON.stringify({ snapshot: programs, action: 'snapshot', name: 'pack_inventory_programs', ...common }))
    lines.push(JSON.stringify({ snapshot: [{ interface: 'Ethernet', address: host.address, mask: '255.255.255.0', type: '' }], action: 'snapshot', name: 'pack_inventory_interface_addresses', ...common }))
  }
  return lines.join('\n') + '\n'
}

/** BIND's query log from the resolver the customers share: two clients looked up C2 domains. */
const bindLog = [
  '29-Mar-2023 08:12:01.101 queries: info: client @0x7f2b1c0a3d50 10.1.0.12#53211 (www.3cx.com): query: www.3cx.com IN A +E(0)K (10.0.0.53)',
  '29-Mar-2023 08:12:04.870 queries: info: client @0x7f2b1c0a3d50 10.1.0.11#53212 (akamaicontainer.com): query: akamaicontainer.com IN A +E(0)K (10.0.0.53)',
  '29-Mar-2023 08:15:44.002 queries: info: client @0x7f2b1c0a3d50 10.2.0.22#40112 (outlook.office365.com): query: outlook.office365.com IN A +E(0)K (10.0.0.53)',
  '29-Mar-2023 08:16:09.450 queries: info: client @0x7f2b1c0b1120 10.2.0.21#40113 (azureonlinestorage.com): query: azureonlinestorage.com IN A +E(0)K (10.0.0.53)',
  '29-Mar-2023 08:16:10.013 queries: info: client @0x7f2b1c0b1120 10.3.0.31#40114 (raw.githubusercontent.com): query: raw.githubusercontent.com IN A +E(0)K (10.0.0.53)',
].join('\n') + '\n'

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

function ackTokenIn(mail: ParsedMail, base: string): string {
  const match = new RegExp(`${base.replace(/[.:/]/g, '\\$&')}/ack/([A-Za-z0-9._-]+)`).exec(mail.text ?? '')
  assert.ok(match, `no acknowledgement link to ${base} in: ${(mail.text ?? '').slice(0, 400)}`)
  return match[1]!
}

const recipientOf = (mail: ParsedMail) => (Array.isArray(mail.to) ? mail.to[0] : mail.to)?.value[0]?.address ?? ''

for (const dialect of testDialects) {
  describe(`the 3CX replay, end to end (${dialect.name})`, { skip: dialect.skip }, () => {
    let sink: SmtpSink
    let server: ChildProcess
    let output = ''
    let base: string
    let token: string
    let dataDir: string
    let postgresUrl: string | undefined
    const ids: Record<string, string> = {}
    let incidentId: string
    let campaignId: string
    let unixTime = 1_680_080_000

    async function api<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined && typeof body !== 'string' && { 'content-type': 'application/json' }), ...headers },
        ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      })
      const text = await response.text()
      const type = response.headers.get('content-type') ?? ''
      return { status: response.status, body: (type.includes('json') && text ? JSON.parse(text) : text) as T }
    }

    async function ok<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
      const answer = await api<T>(method, path, body, headers)
      assert.ok(answer.status >= 200 && answer.status < 300, `${method} ${path}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 800)}`)
      return answer.body
    }

    async function importInventory(softphone: (host: Host) => string | null) {
      unixTime += 86_400
      const report = await ok('POST', '/api/v1/inventory/imports?name=osqueryd.results.log', osqueryLog(unixTime, softphone), { 'content-type': 'application/x-ndjson' })
      assert.equal(report.rejected?.length ?? 0, 0, JSON.stringify(report))
      return report
    }

    async function tasksByHost(): Promise<Record<string, { id: string; state: string; reopenedCount: number; evidence: { importId?: string } | null }>> {
      const page = await ok<{ items: Array<{ id: string; hostname: string; state: string; reopenedCount: number; evidence: { importId?: string } | null }> }>('GET', `/api/v1/campaigns/${campaignId}/tasks?limit=100`)
      return Object.fromEntries(page.items.map((task) => [task.hostname, task]))
    }

    before(async () => {
      sink = await startSmtpSink()
      dataDir = mkdtempSync(join(tmpdir(), 'cordon-3cx-'))
      if (dialect.name === 'postgres') postgresUrl = await createPostgresTestDatabase()
      const port = await freePort()
      base = `http://127.0.0.1:${port}`
      server = spawn(process.execPath, [main, 'serve', '--port', String(port), '--log-level', 'warn'], {
        env: {
          ...cleanEnv,
          CORDON_DATA_DIR: dataDir,
          CORDON_SMTP_URL: sink.url,
          CORDON_MAIL_FROM: 'Provider SOC <soc@provider.example>',
          CORDON_PUBLIC_URL: base,
          ...(postgresUrl && { CORDON_DATABASE_URL: postgresUrl }),
        },
      })
      server.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
      server.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
      token = await eventually('the first admin token', async () => /cordon_[0-9a-f-]{36}_[A-Za-z0-9_-]+/.exec(output)?.[0] ?? (server.exitCode !== null ? assert.fail(output) : undefined))
      await eventually('the server to answer', async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status === 200 || undefined)
    })

    after(async () => {
      if (server && server.exitCode === null) {
        server.kill('SIGTERM')
        await new Promise((resolve) => server.once('exit', resolve))
      }
      await sink?.close()
      if (postgresUrl) await dropPostgresTestDatabase(postgresUrl)
      if (dataDir) rmSync(dataDir, { recursive: true, force: true })
    })

    it('knows the customers, the partner and their contacts', async () => {
      ids.northwind = (await ok('POST', '/api/v1/customers', { name: 'Northwind IT', kind: 'partner', externalRef: 'northwind', contacts: [{ name: 'Nora Partner', email: 'nora@northwind.example', role: 'primary' }] })).id
      ids.contoso = (
        await ok('POST', '/api/v1/customers', { name: 'Contoso Dental', externalRef: 'contoso', parentId: ids.northwind, contacts: [{ name: 'Carl Contoso', email: 'carl@contoso.example', role: 'security' }] })
      ).id
      ids.fabrikam = (
        await ok('POST', '/api/v1/customers', {
          name: 'Fabrikam Logistics',
          externalRef: 'fabrikam',
          contacts: [
            { name: 'Fay Fabrikam', email: 'fay@fabrikam.example', role: 'security' },
            { name: 'Finn Accounts', email: 'finn@fabrikam.example', role: 'billing' },
          ],
        })
      ).id
      ids.tailspin = (await ok('POST', '/api/v1/customers', { name: 'Tailspin Clinics', externalRef: 'tailspin', contacts: [{ name: 'Tia Tailspin', email: 'tia@tailspin.example', role: 'technical' }] })).id
      ids.litware = (await ok('POST', '/api/v1/customers', { name: 'Litware Legal', externalRef: 'litware' })).id
      assert.equal(Object.keys(ids).length, 5)
    })

    it('finds exactly the endpoints on 18.12.407 and 18.12.416 through the bundled advisory', async () => {
      await importInventory((host) => host.softphone)

      const exposure = await ok<{ customers: Array<{ name: string; endpoints: Array<{ hostname: string; version: string }> }> }>('GET', `/api/v1/advisories/${advisoryRef}/exposure`)

      const seen = exposure.customers.flatMap((customer) => customer.endpoints.map((endpoint) => `${customer.name}/${endpoint.hostname}/${endpoint.version}`)).sort()
      assert.deepEqual(seen, [
        'Contoso Dental/CON-FRONT/18.12.407',
        'Contoso Dental/CON-LAB/18.12.416',
        'Fabrikam Logistics/FAB-DISPATCH/18.12.416',
        'Fabrikam Logistics/FAB-YARD/18.12.416',
        'Litware Legal/LIT-RECEPTION/18.12.416',
        'Tailspin Clinics/TAIL-DESK/18.12.407',
      ])
    })

    it('hunts the DNS log and attributes the C2 lookups to the two endpoints that made them', async () => {
      const hunt = await ok('POST', '/api/v1/hunts?name=named-queries.log&format=bind', bindLog, { 'content-type': 'text/plain' })
      const done = await eventually('the hunt to finish', async () => {
        const current = await ok('GET', `/api/v1/hunts/${hunt.id}`)
        assert.notEqual(current.status, 'failed', JSON.stringify(current))
        return current.status === 'done' ? current : undefined
      })
      const sightings = await ok<{ items: Array<{ value: string; customerId: string; endpointId: string | null; client: string }> }>('GET', `/api/v1/hunts/${done.id}/sightings?limit=100`)

      assert.deepEqual(sightings.items.map((s) => `${s.client} ${s.value} ${s.customerId}`).sort(), [`10.1.0.11 akamaicontainer.com ${ids.contoso}`, `10.2.0.21 azureonlinestorage.com ${ids.fabrikam}`])
      assert.ok(sightings.items.every((s) => s.endpointId !== null), 'each lookup is attributed to the endpoint that reported the address')
    })

    it('opens an incident from the supply-chain playbook, linked to the advisory', async () => {
      const incident = await ok('POST', '/api/v1/incidents', { title: '3CX DesktopApp supply-chain compromise', severity: 'SEV1', playbook: 'vendor-supply-chain-compromise' })
      incidentId = incident.id
      await ok('POST', `/api/v1/incidents/${incidentId}/links`, { kind: 'advisory', targetId: advisoryRef })

      const tasks = await ok<Array<{ title: string }> | { items: Array<{ title: string }> }>('GET', `/api/v1/incidents/${incidentId}/tasks`)
      const list = Array.isArray(tasks) ? tasks : tasks.items
      assert.ok(list.length >= 3, `the playbook's tasks: ${JSON.stringify(list)}`)
    })

    it('refuses to send while an affected customer has no contacts, naming it and sending nothing', async () => {
      const refused = await api('POST', '/api/v1/notices', { incidentId, deadline: '2023-04-07T17:00:00.000Z' })

      assert.equal(refused.status, 400)
      assert.match(JSON.stringify(refused.body), /Litware Legal has no contacts/)
      const tracking = await ok('GET', `/api/v1/notices/tracking?incidentId=${incidentId}`)
      assert.equal(tracking.counts.not_sent, 5)
      assert.equal(sink.messages.length, 0)
    })

    it('sends each affected customer and the partner their own notice by email through the real SMTP server', async () => {
      const sent = await ok<{ notices: Array<{ id: string; customerName: string; recipients: number }>; problems: Array<{ customerName: string; problem: string }> }>(
        'POST',
        '/api/v1/notices',
        { incidentId, deadline: '2023-04-07T17:00:00.000Z', sendDespiteProblems: true },
        { 'idempotency-key': 'notify-3cx-1' },
      )

      assert.deepEqual(sent.problems.map((p) => `${p.customerName}: ${p.problem}`), ['Litware Legal: no_contacts'])
      assert.deepEqual(sent.notices.map((n) => `${n.customerName}:${n.recipients}`).sort(), ['Contoso Dental:1', 'Fabrikam Logistics:1', 'Northwind IT:1', 'Tailspin Clinics:1'])
      const mails = await eventually('four emails', async () => (sink.messages.length >= 4 ? sink.messages : undefined))
      assert.equal(mails.length, 4)
      const byRecipient = Object.fromEntries(mails.map((mail) => [recipientOf(mail), mail]))
      assert.deepEqual(Object.keys(byRecipient).sort(), ['carl@contoso.example', 'fay@fabrikam.example', 'nora@northwind.example', 'tia@tailspin.example'])

      // Each customer reads its own endpoints and sightings, and nothing of the others.
      const fabrikam = byRecipient['fay@fabrikam.example']!.text ?? ''
      assert.match(fabrikam, /FAB-DISPATCH/)
      assert.match(fabrikam, /FAB-YARD/)
      assert.match(fabrikam, /azureonlinestorage\.com/)
      assert.doesNotMatch(fabrikam, /CON-|TAIL-|LIT-|akamaicontainer|Contoso|Tailspin|Litware/)
      const tailspin = byRecipient['tia@tailspin.example']!.text ?? ''
      assert.match(tailspin, /TAIL-DESK/)
      assert.doesNotMatch(tailspin, /TAIL-OFFICE|CON-|FAB-|LIT-|akamaicontainer|azureonlinestorage/)
      // The partner's notice covers its customer's endpoints and what they looked up.
      const northwind = byRecipient['nora@northwind.example']!.text ?? ''
      assert.match(northwind, /Contoso Dental: CON-FRONT/)
      assert.match(northwind, /Contoso Dental: CON-LAB/)
      assert.match(northwind, /akamaicontainer\.com/)
      assert.doesNotMatch(northwind, /FAB-|TAIL-|LIT-|CON-ADMIN/)
      for (const mail of mails) {
        assert.ok(mail.html, 'an HTML part')
        assert.match(mail.text ?? '', /2023-04-07/, 'the deadline')
        ackTokenIn(mail, base)
      }
      // Delivery is tracked per customer from the outbox.
      for (const notice of sent.notices) {
        const status = await eventually(`${notice.customerName}'s notice delivered`, async () => {
          const current = await ok('GET', `/api/v1/notices/${notice.id}`)
          return current.state === 'delivered' ? current : undefined
        })
        assert.equal(status.recipients[0].state, 'delivered')
      }
    })

    it('records acknowledgements from the links in the emails, once, and refuses a forged one', async () => {
      const byRecipient = Object.fromEntries(sink.messages.map((mail) => [recipientOf(mail), mail]))
      for (const [address, name] of [
        ['carl@contoso.example', 'Carl C.'],
        ['fay@fabrikam.example', 'Fay F.'],
        ['nora@northwind.example', 'Nora N.'],
      ] as const) {
        const link = `${base}/ack/${ackTokenIn(byRecipient[address]!, base)}`
        const form = await fetch(link)
        assert.equal(form.status, 200)
        assert.match(await form.text(), /<form method="post"/)
        const confirmed = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ name }).toString() })
        assert.equal(confirmed.status, 200)
        assert.match(await confirmed.text(), new RegExp(`recorded: ${name.replace('.', '\\.')}`))
        const replayed = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=Someone%20Else' })
        assert.match(await replayed.text(), new RegExp(`already acknowledged by ${name.replace('.', '\\.')}`))
      }
      const tailspinToken = ackTokenIn(byRecipient['tia@tailspin.example']!, base)
      const forged = await fetch(`${base}/ack/${tailspinToken.slice(0, -2)}${tailspinToken.endsWith('AA') ? 'BB' : 'AA'}`, { method: 'POST', body: 'name=Mallory', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
      assert.equal(forged.status, 400)

      const notices = await ok<Array<{ id: string; customerId: string }>>('GET', `/api/v1/notices?incidentId=${incidentId}`)
      const states: Record<string, string> = {}
      for (const notice of notices) states[notice.customerId] = (await ok('GET', `/api/v1/notices/${notice.id}`)).state
      assert.deepEqual(states, { [ids.contoso!]: 'acknowledged', [ids.fabrikam!]: 'acknowledged', [ids.northwind!]: 'acknowledged', [ids.tailspin!]: 'delivered' })
      // Whether every customer has been told, at a glance: Litware cannot be, and says why.
      const tracking = await ok('GET', `/api/v1/notices/tracking?incidentId=${incidentId}`)
      assert.deepEqual(
        tracking.customers.map((row: { customerName: string; state: string; firstAcknowledgedBy: string | null }) => `${row.customerName}: ${row.state}${row.firstAcknowledgedBy ? ` by ${row.firstAcknowledgedBy}` : ''}`),
        ['Contoso Dental: acknowledged by Carl C.', 'Fabrikam Logistics: acknowledged by Fay F.', 'Litware Legal: not_sent', 'Northwind IT: acknowledged by Nora N.', 'Tailspin Clinics: delivered'],
      )
      assert.match(tracking.customers[2].problems[0].message, /no contacts/)
      assert.deepEqual(tracking.counts, { customers: 5, not_sent: 1, queued: 0, sent: 0, delivered: 1, bounced: 0, acknowledged: 3 })
      // The incident's timeline tells the story too.
      const timeline = await ok<Array<{ kind: string }> | { items: Array<{ kind: string }> }>('GET', `/api/v1/incidents/${incidentId}/timeline`)
      const kinds = (Array.isArray(timeline) ? timeline : timeline.items).map((entry) => entry.kind)
      assert.equal(kinds.filter((kind) => kind === 'notice.sent').length, 4)
      assert.equal(kinds.filter((kind) => kind === 'notice.acknowledged').length, 3)
    })

    it('holds one upgrade task per affected endpoint in a campaign from the incident', async () => {
      const campaign = await ok('POST', '/api/v1/campaigns', { incidentId, actions: [{ kind: 'upgrade', version: '18.12.425' }], deadline: '2023-04-14T17:00:00.000Z' })
      campaignId = campaign.id

      const tasks = await tasksByHost()
      assert.deepEqual(Object.keys(tasks).sort(), affected)
      assert.ok(Object.values(tasks).every((task) => task.state === 'pending'))
    })

    it('verifies exactly the endpoints a new inventory shows removed or on 18.12.425, and leaves the rest pending', async () => {
      const removed = ['CON-FRONT', 'TAIL-DESK']
      const upgraded = ['FAB-DISPATCH']
      const report = await importInventory((host) => (removed.includes(host.name) ? null : upgraded.includes(host.name) ? '18.12.425' : host.softphone))

      const tasks = await tasksByHost()
      const states = Object.fromEntries(Object.entries(tasks).map(([host, task]) => [host, task.state]))
      assert.deepEqual(states, { 'CON-FRONT': 'done_verified', 'CON-LAB': 'pending', 'FAB-DISPATCH': 'done_verified', 'FAB-YARD': 'pending', 'LIT-RECEPTION': 'pending', 'TAIL-DESK': 'done_verified' })
      for (const host of [...removed, ...upgraded]) assert.equal(tasks[host]!.evidence?.importId, report.id, `${host}'s evidence is the import`)

      const progress = await ok('GET', `/api/v1/campaigns/${campaignId}/progress`)
      assert.deepEqual(
        { total: progress.overall.total, verified: progress.overall.doneVerified, pending: progress.overall.pending, percent: progress.overall.percentVerified },
        { total: 6, verified: 3, pending: 3, percent: 50 },
      )
      assert.deepEqual(
        progress.customers.map((c: { customerName: string; doneVerified: number; total: number; allClearAt: string | null }) => `${c.customerName} ${c.doneVerified}/${c.total} ${c.allClearAt ? 'clear' : 'open'}`),
        ['Contoso Dental 1/2 open', 'Fabrikam Logistics 1/2 open', 'Litware Legal 0/1 open', 'Tailspin Clinics 1/1 clear'],
      )
      // Tailspin is clean now (no open finding, no sighting): still listed as told, no longer affected.
      const tracking = await ok('GET', `/api/v1/notices/tracking?incidentId=${incidentId}`)
      const tailspin = tracking.customers.find((row: { customerName: string }) => row.customerName === 'Tailspin Clinics')
      assert.deepEqual({ affected: tailspin.affected, state: tailspin.state }, { affected: false, state: 'delivered' })
      assert.equal(tracking.customers.find((row: { customerName: string }) => row.customerName === 'Contoso Dental').affected, true)
      // Time to notify, acknowledge and all-clear, from the incident's opening.
      const incident = await ok('GET', `/api/v1/incidents/${incidentId}`)
      const metrics = await ok('GET', `/api/v1/campaigns/${campaignId}/metrics`)
      assert.equal(metrics.startedAt, incident.openedAt)
      const row = (name: string) => metrics.customers.find((c: { customerName: string }) => c.customerName === name)
      for (const name of ['Contoso Dental', 'Fabrikam Logistics', 'Tailspin Clinics']) {
        assert.ok(row(name).notifiedAt && row(name).secondsToNotify >= 0, `${name} notified: ${JSON.stringify(row(name))}`)
      }
      assert.ok(row('Fabrikam Logistics').secondsToAcknowledge >= row('Fabrikam Logistics').secondsToNotify)
      assert.equal(row('Fabrikam Logistics').allClearAt, null)
      assert.equal(row('Tailspin Clinics').acknowledgedAt, null)
      assert.equal(row('Litware Legal').notifiedAt, null)
      assert.ok(row('Tailspin Clinics').secondsToAllClear >= row('Tailspin Clinics').secondsToNotify)
      assert.equal(metrics.overall.allClearAt, null)

      // Fabrikam's private status page shows its own endpoints' progress and nobody else's.
      const link = await ok('POST', `/api/v1/customers/${ids.fabrikam}/status-link`)
      const url = String(link.url ?? `${base}/status/${link.token}`)
      assert.ok(url.startsWith(`${base}/status/`), url)
      const page = await (await fetch(url)).text()
      assert.match(page, /FAB-DISPATCH/)
      assert.match(page, /FAB-YARD/)
      assert.doesNotMatch(page, /CON-|TAIL-|LIT-|Contoso|Tailspin|Northwind|Litware/)
    })

    it('reopens the task and raises a critical alert when the bad build comes back', async () => {
      await importInventory((host) => (host.name === 'FAB-DISPATCH' ? '18.12.416' : ['CON-FRONT', 'TAIL-DESK'].includes(host.name) ? null : host.softphone))

      const tasks = await tasksByHost()
      assert.equal(tasks['FAB-DISPATCH']!.state, 'pending')
      assert.equal(tasks['FAB-DISPATCH']!.reopenedCount, 1)
      assert.equal(tasks['CON-FRONT']!.state, 'done_verified')
      assert.equal(tasks['TAIL-DESK']!.state, 'done_verified')
      const alert = await eventually('the reopened task’s alert', async () => {
        const alerts = await ok<{ items: Array<{ dedupKey: string; severity: string; customerId: string | null }> }>('GET', '/api/v1/alerts?limit=100')
        return alerts.items.find((a) => a.dedupKey === `remediation-task:${tasks['FAB-DISPATCH']!.id}`)
      })
      assert.equal(alert.severity, 'critical')
      assert.equal(alert.customerId, ids.fabrikam)
    })

    it('stops cleanly', async () => {
      server.kill('SIGTERM')
      const code = await new Promise<number | null>((resolve) => server.once('exit', (exitCode) => resolve(exitCode)))
      assert.equal(code, 0, output)
    })
  })
}
