import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import { testDialects } from '../db/testing.js'
import type { Worker } from '../jobs/index.js'
import { waitFor } from '../jobs/testing.js'
import { createNotifications, deliveryJobType } from '../notifications/index.js'
import { startSmtpSink, startWebhookReceiver, type SmtpSink } from '../notifications/testing.js'
import { allTenants, systemActor } from '../shared/actor.js'
import { FakeClock } from '../shared/clock.js'
import { AppError } from '../shared/errors.js'
import { createTestApp, type TestApp } from '../testing.js'

// Comms through the composed app: notices per affected customer, delivered to a real SMTP sink on
// 127.0.0.1, acknowledgement links followed over HTTP, reminders driven by a fake clock and a real
// worker, updates, and status pages that show a customer nothing of any other.

const start = '2026-03-30T09:00:00.000Z'
const minute = 60_000

function snapshot(host: string, customer: string): string {
  return JSON.stringify({ snapshot: [{ name: '3CX Desktop App', version: '18.12.416', publisher: '3CX Ltd' }], action: 'snapshot', name: 'pack_programs', hostIdentifier: host, unixTime: 1_680_000_000, decorations: { customer } })
}

function tokenOf(text: string): string {
  const match = /\/ack\/([A-Za-z0-9._-]+)/.exec(text)
  assert.ok(match, `no acknowledgement link in: ${text.slice(0, 500)}`)
  return match[1]!
}

for (const dialect of testDialects) {
  describe(`comms (${dialect.name})`, { skip: dialect.skip }, () => {
    let test: TestApp
    let clock: FakeClock
    let sink: SmtpSink
    let worker: Worker
    let advisoryId: string
    let acme: string
    let beta: string
    let reseller: string
    let gamma: string
    let delta: string
    let owner: string
    let incident: string

    before(async () => {
      clock = new FakeClock(start)
      sink = await startSmtpSink()
      test = await createTestApp(dialect.name, { clock })
      const { customers, inventory, access, incidents, intel } = test.services
      // The composed app has no SMTP server configured; deliver through the sink instead.
      const delivery = createNotifications({ db: test.services.database.db, clock, audit: test.services.audit, jobs: test.services.jobs, mail: { url: sink.url, from: 'Cordon <cordon@provider.example>' } })
      worker = test.services.jobs.createWorker({ handlers: { ...test.services.jobHandlers, [deliveryJobType]: delivery.deliver }, pollIntervalMs: 5, concurrency: 4 })
      worker.start()
      reseller = (await customers.create(systemActor, { name: 'Reseller One', kind: 'partner', contacts: [{ name: 'Pat', email: 'pat@reseller.example', role: 'primary' }] })).id
      acme = (await customers.create(systemActor, { name: 'Acme Telecom', contacts: [{ name: 'Ann', email: 'ann@acme.example', role: 'security' }, { name: 'Art', email: 'art@acme.example', role: 'technical' }, { name: 'Bill', email: 'bill@acme.example', role: 'billing' }] })).id
      beta = (await customers.create(systemActor, { name: 'Beta Networks', parentId: reseller, contacts: [{ name: 'Bob', email: 'bob@beta.example', role: 'security' }] })).id
      gamma = (await customers.create(systemActor, { name: 'Gamma Hosting' })).id
      delta = (await customers.create(systemActor, { name: 'Delta Voice', contacts: [{ name: 'Dan', email: 'dan@exa_mple.com', role: 'security' }, { name: 'Dot', email: 'dot@delta.example', role: 'security' }] })).id
      await inventory.importInventory(systemActor, {
        file: 'osquery.log',
        bytes: (async function* () {
          yield Buffer.from(`${snapshot('acme-pbx', 'Acme Telecom')}\n${snapshot('beta-pbx', 'Beta Networks')}\n`)
        })(),
      })
      advisoryId = (await intel.getAdvisory('CORDON-2023-0001')).id
      owner = (await access.createUser(systemActor, { email: 'owen@provider.example', name: 'Owen', role: 'responder' })).id
      incident = (await incidents.open(systemActor, { title: 'Voice platform compromise', severity: 'SEV2', customerIds: [gamma, delta] })).id
    })
    after(async () => {
      await worker.stop()
      await test.close()
      await sink.close()
    })
    beforeEach(() => {
      sink.messages.length = 0
    })

    /** The text of a notice's message to one address, once the sink has it. */
    async function waitForMail(noticeId: string, address: string): Promise<string> {
      const { recipients } = await test.services.comms.status(allTenants, noticeId)
      const recipient = recipients.find((r) => r.email === address)!
      await waitFor(async () => (await test.services.notifications.get(recipient.notificationId)).status === 'delivered', `the notice to ${address}`)
      return (await test.services.notifications.get(recipient.notificationId)).text
    }

    async function mailTo(address: string, subject: RegExp) {
      await waitFor(() => sink.messages.some((m) => m.to && JSON.stringify(m.to).includes(address) && subject.test(m.subject ?? '')), `mail to ${address} matching ${subject}`)
      return sink.messages.find((m) => JSON.stringify(m.to).includes(address) && subject.test(m.subject ?? ''))!
    }

    describe('templates', () => {
      it('refuses at save time a template referring to a field notices do not have, naming the field', async () => {
        await assert.rejects(test.services.comms.saveTemplate(systemActor, { name: 'Broken', subject: 'Hi', body: 'Call {{customer.phone}}' }), (error: AppError) => {
          assert.equal(error.kind, 'invalid')
          assert.equal(error.problems[0]!.field, 'body')
          assert.match(error.problems[0]!.message, /customer\.phone/)
          return true
        })
        assert.ok(!(await test.services.comms.listTemplates()).some((t) => t.name === 'Broken'))
      })

      it('ships the default template', async () => {
        const templates = await test.services.comms.listTemplates()
        assert.ok(templates.some((t) => t.body.includes('{{ackLink}}')))
      })
    })

    describe('notices', () => {
      it('previews a customer’s notice with its own endpoints only', async () => {
        const preview = await test.services.comms.preview(systemActor, { advisoryId }, 'Acme Telecom')

        assert.match(preview.html, /acme-pbx/)
        assert.ok(!preview.html.includes('beta-pbx'))
        assert.deepEqual(preview.recipients.map((r) => r.email).sort(), ['ann@acme.example', 'art@acme.example'])
      })

      it('tells a partner about its customers’ endpoints in one notice', async () => {
        const preview = await test.services.comms.preview(systemActor, { advisoryId }, 'Reseller One')

        assert.match(preview.text, /Beta Networks: beta-pbx/)
        assert.ok(!preview.text.includes('acme-pbx'))
      })

      it('reports a customer with no contacts and a contact with an invalid address before sending, and sends nothing', async () => {
        await assert.rejects(test.services.comms.send(systemActor, { incidentId: incident }), (error: AppError) => {
          assert.equal(error.kind, 'invalid')
          assert.ok(error.problems.some((p) => p.field === `customers.${gamma}` && /no contacts/.test(p.message)))
          assert.ok(error.problems.some((p) => p.field.startsWith(`customers.${delta}.contacts.`) && /dan@exa_mple\.com/.test(p.message)))
          return true
        })
        assert.deepEqual(await test.services.comms.listNotices(allTenants, { incidentId: incident }), [])
        assert.equal((await test.services.notifications.list({ incidentId: incident })).items.length, 0)
      })

      it('sends to the customers who can be told when asked to, and names the ones who cannot', async () => {
        const report = await test.services.comms.send(systemActor, { incidentId: incident }, { sendDespiteProblems: true })

        assert.deepEqual(report.notices.map((n) => [n.customerId, n.recipients]), [[delta, 1]])
        assert.deepEqual(report.problems.map((p) => [p.customerId, p.problem]).sort(), [[delta, 'invalid_address'], [gamma, 'no_contacts']].sort())
        await mailTo('dot@delta.example', /./)
      })

      it('delivers each contact its notice by email with its own acknowledgement link, and tracks it to delivered', async () => {
        const report = await test.services.comms.send(systemActor, { advisoryId, customers: ['Acme Telecom'] })
        const notice = report.notices[0]!

        const mail = await mailTo('ann@acme.example', /Action required/)
        const other = await mailTo('art@acme.example', /Action required/)
        assert.match(mail.text ?? '', /acme-pbx/)
        assert.notEqual(tokenOf(mail.text ?? ''), tokenOf(other.text ?? ''))
        await waitFor(async () => (await test.services.comms.status(allTenants, notice.id)).state === 'delivered', 'notice delivered')
        assert.ok(!sink.recipients.includes('bill@acme.example'))
      })

      it('also sends each notice to the named webhook channels, as an event', async () => {
        const receiver = await startWebhookReceiver()
        try {
          const channel = await test.services.notifications.createChannel(systemActor, { name: 'Acme chat', kind: 'webhook', url: `${receiver.url}/hook` })
          const report = await test.services.comms.send(systemActor, { advisoryId, customers: ['Acme Telecom'], channels: [channel.id] })

          await waitFor(() => receiver.requests.length > 0, 'the webhook')
          const body = JSON.parse(receiver.requests[0]!.body) as { event?: { type: string; data: { noticeId: string } } }
          assert.equal(body.event?.type, 'comms.notice')
          assert.equal(body.event?.data.noticeId, report.notices[0]!.id)
        } finally {
          await receiver.close()
        }
      })
    })

    describe('acknowledgement links', () => {
      let token: string
      let noticeId: string

      before(async () => {
        const report = await test.services.comms.send(systemActor, { advisoryId, customers: ['Beta Networks'] })
        noticeId = report.notices[0]!.id
        token = tokenOf((await mailTo('bob@beta.example', /Action required/)).text ?? '')
      })

      it('shows an accessible confirmation page with a button, recording nothing', async () => {
        const response = await test.inject({ method: 'GET', url: `/ack/${token}` })

        assert.equal(response.statusCode, 200)
        assert.match(response.headers['content-type'] as string, /^text\/html/)
        assert.match(response.body, /<html lang="en">/)
        assert.match(response.body, /<label for="name">/)
        assert.match(response.body, /<button type="submit">/)
        assert.equal((await test.services.comms.status(allTenants, noticeId)).recipients[0]!.acknowledgedAt, null)
      })

      it('records who acknowledged and when, once, and says so when the link is used again', async () => {
        const recordedAt = clock.now().toISOString()
        const first = await test.inject({ method: 'POST', url: `/ack/${token}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'name=Bob+Smith' })
        clock.advance(minute)
        const second = await test.inject({ method: 'POST', url: `/ack/${token}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'name=Mallory' })

        assert.equal(first.statusCode, 200)
        assert.match(first.body, /Thank you/)
        assert.equal(second.statusCode, 200)
        assert.match(second.body, /Already acknowledged/)
        const status = await test.services.comms.status(allTenants, noticeId)
        assert.equal(status.state, 'acknowledged')
        assert.equal(status.recipients[0]!.acknowledgedBy, 'Bob Smith')
        assert.equal(status.recipients[0]!.acknowledgedAt, recordedAt)
        const audits = await test.services.audit.list(allTenants, { action: 'comms.notice.acknowledged', targetId: noticeId })
        assert.equal(audits.items.length, 1)
      })

      it('refuses a forged or tampered link with a 400 page and records nothing', async () => {
        const [payload, signature] = token.split('.') as [string, string]
        const flipped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`
        const otherContact = Buffer.from(payload, 'base64url')
        otherContact[20] = otherContact[20]! ^ 1
        for (const bad of [`${payload}.${flipped}`, `${otherContact.toString('base64url')}.${signature}`, 'not-a-token', `${'A'.repeat(51)}.${'A'.repeat(43)}`]) {
          const response = await test.inject({ method: 'POST', url: `/ack/${encodeURIComponent(bad)}` })
          assert.equal(response.statusCode, 400, bad)
          assert.match(response.body, /not valid/)
        }
        assert.equal(await test.services.audit.list(allTenants, { action: 'comms.notice.acknowledged', targetId: noticeId }).then((page) => page.items.length), 1)
      })

      it('refuses an expired link with a 410 page and records nothing', async () => {
        const report = await test.services.comms.send(systemActor, { advisoryId, customers: ['Reseller One'], linkDays: 1 })
        const expiring = tokenOf((await mailTo('pat@reseller.example', /Action required/)).text ?? '')
        clock.advance(2 * 24 * 60 * minute)

        const response = await test.inject({ method: 'POST', url: `/ack/${expiring}` })

        assert.equal(response.statusCode, 410)
        assert.match(response.body, /expired/)
        assert.equal((await test.services.comms.status(allTenants, report.notices[0]!.id)).recipients[0]!.acknowledgedAt, null)
      })
    })

    describe('reminders', () => {
      it('reminds only the contacts who have not acknowledged, then escalates to the owner, each once', async () => {
        const report = await test.services.comms.send(systemActor, { advisoryId, customers: ['Acme Telecom'], ownerId: owner, reminderMinutes: 60, escalationMinutes: 60 })
        const id = report.notices[0]!.id
        const keys = async (step: string) =>
          (await test.services.notifications.list({ customerId: acme, limit: 500 })).items.map((n) => n.idempotencyKey).filter((key) => key.startsWith(`comms-remind:${id}:${step}:`))
        const annMail = await waitForMail(id, 'ann@acme.example')
        await test.inject({ method: 'POST', url: `/ack/${tokenOf(annMail)}` })

        clock.advance(61 * minute)
        await waitFor(async () => (await keys('reminder')).length > 0, 'the reminder')
        clock.advance(61 * minute)
        await waitFor(async () => (await keys('escalation')).length > 0, 'the escalation')
        await mailTo('owen@provider.example', /^Not acknowledged/)
        clock.advance(61 * minute)
        await new Promise((resolve) => setTimeout(resolve, 100))

        const art = (await test.services.customers.get(allTenants, acme)).contacts.find((c) => c.email === 'art@acme.example')!
        assert.deepEqual(await keys('reminder'), [`comms-remind:${id}:reminder:${art.id}`])
        assert.deepEqual(await keys('escalation'), [`comms-remind:${id}:escalation:${owner}`])
      })
    })

    describe('escalation to the account owner', () => {
      it('goes to the customer’s account owner when the notice names none, and to nobody while neither is set', async () => {
        const accountOwner = (await test.services.access.createUser(systemActor, { email: 'amy@provider.example', name: 'Amy Account', role: 'viewer' })).id
        await test.services.customers.update(systemActor, beta, { accountOwnerId: accountOwner })
        const report = await test.services.comms.send(systemActor, { advisoryId, customers: ['Beta Networks', 'Acme Telecom'], reminderMinutes: 30, escalationMinutes: 30 })
        const [betaNotice, acmeNotice] = ['Beta Networks', 'Acme Telecom'].map((name) => report.notices.find((n) => n.customerName === name)!.id)
        const escalations = async (noticeId: string) =>
          (await test.services.notifications.list({ limit: 500 })).items.filter((n) => n.idempotencyKey.startsWith(`comms-remind:${noticeId}:escalation:`)).map((n) => n.recipient)
        const reminded = async (noticeId: string) =>
          (await test.services.notifications.list({ limit: 500 })).items.some((n) => n.idempotencyKey.startsWith(`comms-remind:${noticeId}:reminder:`))

        clock.advance(31 * minute)
        await waitFor(async () => (await reminded(betaNotice!)) && (await reminded(acmeNotice!)), 'both reminders')
        clock.advance(31 * minute)
        await waitFor(async () => (await escalations(betaNotice!)).length > 0, 'Beta’s escalation')
        await mailTo('amy@provider.example', /^Not acknowledged: Beta Networks/)
        clock.advance(31 * minute)
        await new Promise((resolve) => setTimeout(resolve, 100))

        assert.deepEqual(await escalations(betaNotice!), ['amy@provider.example'])
        assert.deepEqual(await escalations(acmeNotice!), [])
        const jobs = (await test.services.jobs.list({ type: 'comms.remind', limit: 500 })).items
        assert.equal(jobs.filter((j) => (j.payload as { noticeId: string }).noticeId === acmeNotice && (j.payload as { step: string }).step === 'escalation').length, 0)
      })
    })

    describe('updates and status pages', () => {
      it('sends an incident update to the contacts who were sent a notice about it, and writes it to the timeline', async () => {
        await test.services.comms.postUpdate(systemActor, incident, { state: 'identified', text: 'We found the cause.' })

        const mail = await mailTo('dot@delta.example', /^Update \(identified\)/)
        assert.match(mail.text ?? '', /We found the cause\./)
        const timeline = await test.services.incidents.timeline(systemActor, incident)
        assert.ok(timeline.items.some((e) => e.kind === 'update.posted'))
      })

      it('shows a customer its own incidents, updates and remediation at its private link, and nothing of any other customer', async () => {
        await test.services.incidents.link(systemActor, incident, { kind: 'customer', targetId: acme })
        await test.services.remediation.createCampaign(systemActor, { advisoryId, actions: [{ kind: 'av_scan' }] })
        const { token } = await test.services.comms.createStatusLink(systemActor, 'Acme Telecom')

        const response = await test.inject({ method: 'GET', url: `/status/${token}` })

        assert.equal(response.statusCode, 200)
        assert.match(response.body, /Acme Telecom/)
        assert.match(response.body, /acme-pbx/)
        assert.match(response.body, /We found the cause\./)
        for (const foreign of ['beta-pbx', 'Beta Networks', 'Delta Voice', 'Gamma Hosting', 'Reseller One', 'Voice platform compromise']) assert.ok(!response.body.includes(foreign), `shows ${foreign}`)
      })

      it('stops showing the page once its link is revoked', async () => {
        const { token } = await test.services.comms.createStatusLink(systemActor, 'Beta Networks')
        await test.services.comms.revokeStatusLink(systemActor, 'Beta Networks')

        const response = await test.inject({ method: 'GET', url: `/status/${token}` })

        assert.equal(response.statusCode, 404)
      })

      it('shows a customer token the same view through the API, without other customers', async () => {
        const customerToken = await test.tokenFor('customer', acme)

        const response = await test.inject({ method: 'GET', url: '/api/v1/portal', headers: { authorization: `Bearer ${customerToken}` } })

        assert.equal(response.statusCode, 200)
        const body = response.json() as { customers: Array<{ customer: { name: string } }> }
        assert.deepEqual(body.customers.map((c) => c.customer.name), ['Acme Telecom'])
        for (const foreign of ['beta-pbx', 'Beta Networks', 'Delta Voice', 'Voice platform compromise']) assert.ok(!response.body.includes(foreign), `shows ${foreign}`)
      })

      it('shows an incident on the public page only once it is published, under its public title and with no customer data', async () => {
        const before = await test.inject({ method: 'GET', url: '/status' })
        await test.services.comms.publish(systemActor, incident, { title: 'Telephony service disruption' })
        await test.services.comms.postUpdate(systemActor, incident, { state: 'monitoring', text: 'A fix is in place.', public: true })

        const after = await test.inject({ method: 'GET', url: '/status' })

        assert.ok(!before.body.includes('Telephony service disruption'))
        assert.match(after.body, /Telephony service disruption/)
        assert.match(after.body, /A fix is in place\./)
        assert.ok(!after.body.includes('We found the cause.'))
        for (const foreign of ['Acme', 'Beta', 'Delta', 'Gamma', 'Voice platform compromise', '-pbx']) assert.ok(!after.body.includes(foreign), `shows ${foreign}`)
      })
    })

    describe('a customer’s own channels', () => {
      it('sends the customer’s notices and updates to its own webhook too, and no other customer’s', async () => {
        const receiver = await startWebhookReceiver()
        const { notifications, comms, incidents } = test.services
        const channel = await notifications.createChannel(systemActor, { name: 'Beta ticketing', kind: 'webhook', url: `${receiver.url}/beta`, customer: 'Beta Networks' })
        try {
          await assert.rejects(notifications.createChannel(systemActor, { name: 'Nobody', kind: 'webhook', url: `${receiver.url}/x`, customer: 'No Such Customer' }), (error: AppError) => error.kind === 'not_found')
          const preview = await comms.preview(systemActor, { advisoryId }, 'Beta Networks')
          const betaIncident = (await incidents.open(systemActor, { title: 'Beta softphones', severity: 'SEV3', customerIds: [beta] })).id
          await incidents.link(systemActor, betaIncident, { kind: 'advisory', targetId: advisoryId })

          const sent = await comms.send(systemActor, { advisoryId, customers: ['Acme Telecom', 'Beta Networks'] })
          await waitFor(() => receiver.requests.length >= 1, 'the advisory notice at Beta’s webhook')
          await comms.send(systemActor, { incidentId: betaIncident, customers: ['Beta Networks'] })
          await comms.postUpdate(systemActor, betaIncident, { state: 'monitoring', text: 'Watching for lookups.' })
          await waitFor(() => receiver.requests.length >= 3, 'the incident notice and the update at Beta’s webhook')
          await new Promise((resolve) => setTimeout(resolve, 100))

          assert.equal(channel.customerId, beta)
          assert.deepEqual(preview.channels, [{ channelId: channel.id, name: 'Beta ticketing', kind: 'webhook' }])
          assert.deepEqual(sent.notices.map((n) => `${n.customerName}:${n.channels}`).sort(), ['Acme Telecom:0', 'Beta Networks:1'])
          const events = receiver.requests.map((r) => (JSON.parse(r.body) as { event: { type: string; data: { customerId: string; text?: string } } }).event)
          // Delivered by several workers at once: in any order.
          assert.deepEqual(events.map((e) => `${e.type} ${e.data.customerId}`).sort(), ['comms.notice ' + beta, 'comms.notice ' + beta, 'comms.update ' + beta])
          assert.equal(events.find((e) => e.type === 'comms.update')!.data.text, 'Watching for lookups.')
        } finally {
          await notifications.updateChannel(systemActor, channel.id, { disabled: true })
          await receiver.close()
        }
      })
    })
  })
}
