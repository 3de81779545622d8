import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import type { Worker } from '../../src/jobs/index.js'
import { waitFor } from '../../src/jobs/testing.js'
import { createNotifications, deliveryJobType } from '../../src/notifications/index.js'
import { startSmtpSink, type SmtpSink } from '../../src/notifications/testing.js'
import { allTenants, systemActor } from '../../src/shared/actor.js'
import { FakeClock } from '../../src/shared/clock.js'
import { createTestApp, type TestApp } from '../../src/testing.js'
import { axeViolations, browserTimeoutMs, chromiumSkip, consoleErrorsOf, describeViolations, launchChromium, newContext } from './chromium.js'

// The pages customers reach without logging in (acknowledgement links, private status pages, the
// public status page), served by the composed app on 127.0.0.1 and read in a real Chromium: with
// JavaScript off, as the product promises they work; under axe-core for WCAG 2 A/AA; and under
// the pages' own Content-Security-Policy. The pages do not depend on the dialect: SQLite only.

const start = '2026-03-30T09:00:00.000Z'
const day = 24 * 60 * 60_000
const testOptions = { timeout: 4 * browserTimeoutMs }

// Distinctive strings, so that any of them on the wrong page is plainly a leak.
const aurora = { name: 'Aurora Zephyr Telecom', host: 'aurora-zephyr-pbx', incident: 'INTERNAL aurora ticket 4471 PBX compromise', update: 'Aurora-only update: the PBX is isolated.' }
const borealis = {
  name: 'Borealis Quokka Networks',
  host: 'borealis-quokka-pbx',
  incident: 'INTERNAL borealis ticket 9902 quokka breach',
  update: 'Borealis-only update: quokka firewall rebuilt.',
  contact: 'Quentin Quokka',
  email: 'quentin@borealis-quokka.example',
}
const publicTitle = 'Telephony service disruption'
const publicUpdate = 'A fix is in place and calls are connecting.'

function snapshot(host: string, customer: string): string {
  return JSON.stringify({ snapshot: [{ name: '3CX Desktop App', version: '18.12.416', publisher: '3CX Ltd' }], action: 'snapshot', name: 'pack_programs', hostIdentifier: host, unixTime: 1_680_000_000, decorations: { customer } })
}

describe('pages customers see without logging in, in Chromium', { skip: chromiumSkip }, () => {
  let test: TestApp
  let clock: FakeClock
  let sink: SmtpSink
  let worker: Worker | undefined
  let browser: Browser | undefined
  /** Where the app listens: http://127.0.0.1:<port> */
  let base: string
  let advisoryId: string
  let auroraStatusUrl: string
  let revokedStatusUrl: string

  before(
    async () => {
      clock = new FakeClock(start)
      sink = await startSmtpSink()
      test = await createTestApp('sqlite', { clock })
      base = await test.app.server.app.listen({ host: '127.0.0.1', port: 0 })
      const { customers, inventory, incidents, intel, comms, remediation } = test.services
      // The composed app has no SMTP server configured; deliver through the sink instead.
      const delivery = createNotifications({ db: test.services.database.db, clock, audit: test.services.audit, jobs: test.services.jobs, mail: { url: sink.url, from: 'Cordon <cordon@provider.example>' } })
      worker = test.services.jobs.createWorker({ handlers: { ...test.services.jobHandlers, [deliveryJobType]: delivery.deliver }, pollIntervalMs: 5, concurrency: 4 })
      worker.start()

      const auroraId = (
        await customers.create(systemActor, {
          name: aurora.name,
          contacts: [
            { name: 'Ada Aurora', email: 'ada@aurora-zephyr.example', role: 'security' },
            { name: 'Alf Aurora', email: 'alf@aurora-zephyr.example', role: 'technical' },
          ],
        })
      ).id
      const borealisId = (await customers.create(systemActor, { name: borealis.name, contacts: [{ name: borealis.contact, email: borealis.email, role: 'security' }] })).id
      await inventory.importInventory(systemActor, {
        file: 'osquery.log',
        bytes: (async function* () {
          yield Buffer.from(`${snapshot(aurora.host, aurora.name)}\n${snapshot(borealis.host, borealis.name)}\n`)
        })(),
      })
      advisoryId = (await intel.getAdvisory('CORDON-2023-0001')).id
      await remediation.createCampaign(systemActor, { advisoryId, actions: [{ kind: 'av_scan' }] })

      const auroraIncident = (await incidents.open(systemActor, { title: aurora.incident, severity: 'SEV2', customerIds: [auroraId] })).id
      const borealisIncident = (await incidents.open(systemActor, { title: borealis.incident, severity: 'SEV1', customerIds: [borealisId] })).id
      await comms.send(systemActor, { incidentId: auroraIncident, advisoryId, customers: [aurora.name] })
      await comms.send(systemActor, { incidentId: borealisIncident, advisoryId, customers: [borealis.name] })
      await comms.postUpdate(systemActor, auroraIncident, { state: 'identified', text: aurora.update })
      await comms.postUpdate(systemActor, borealisIncident, { state: 'identified', text: borealis.update })
      await comms.publish(systemActor, auroraIncident, { title: publicTitle })
      await comms.postUpdate(systemActor, auroraIncident, { state: 'monitoring', text: publicUpdate, public: true })

      auroraStatusUrl = localUrl((await comms.createStatusLink(systemActor, aurora.name)).url)
      // Borealis's current link is created after the revoked one, so the revoked one is dead for that reason alone.
      revokedStatusUrl = localUrl((await comms.createStatusLink(systemActor, borealis.name)).url)
      await comms.revokeStatusLink(systemActor, borealis.name)
      await comms.createStatusLink(systemActor, borealis.name)

      browser = await launchChromium()
    },
    { timeout: 4 * browserTimeoutMs },
  )

  after(
    async () => {
      await browser?.close()
      await worker?.stop()
      await test?.close()
      await sink?.close()
    },
    { timeout: 2 * browserTimeoutMs },
  )

  /**
   * The same link on the address the app really listens on. The app's public URL is fixed when it
   * is built, before the test server has a port, so links name port 0; only the origin changes.
   */
  function localUrl(link: string): string {
    const url = new URL(link)
    return new URL(`${url.pathname}${url.search}`, base).toString()
  }

  /** Sends a notice about the advisory to Aurora and returns it with each contact's link, read from the email the sink received. */
  async function sendNotice(options: { linkDays?: number } = {}) {
    const mark = sink.messages.length
    const report = await test.services.comms.send(systemActor, { advisoryId, customers: [aurora.name], ...options })
    const notice = report.notices[0]!
    const { notice: sent, recipients } = await test.services.comms.status(allTenants, notice.id)
    const links = new Map<string, string>()
    for (const recipient of recipients) {
      const mailFor = () => sink.messages.slice(mark).find((m) => JSON.stringify(m.to).includes(recipient.email) && m.subject === sent.subject)
      await waitFor(() => mailFor() !== undefined, `the notice email to ${recipient.email}`, browserTimeoutMs)
      const link = /https?:\/\/\S+?\/ack\/[A-Za-z0-9._-]+/.exec(mailFor()!.text ?? '')
      assert.ok(link, `no acknowledgement link in the email to ${recipient.email}`)
      links.set(recipient.email, localUrl(link[0]))
    }
    return { notice: sent, links, link: links.get('ada@aurora-zephyr.example')! }
  }

  /** An acknowledgement link whose notice has expired: sent with one-day links, then the clock moves two days on. */
  async function expiredLink(): Promise<string> {
    const { link } = await sendNotice({ linkDays: 1 })
    clock.advance(2 * day)
    return link
  }

  /** The link with one character of its signature changed. */
  function forged(link: string): string {
    const at = link.lastIndexOf('.') + 10
    return `${link.slice(0, at)}${link[at] === 'A' ? 'B' : 'A'}${link.slice(at + 1)}`
  }

  async function acknowledgements(noticeId: string): Promise<number> {
    return (await test.services.audit.list(allTenants, { action: 'comms.notice.acknowledged', targetId: noticeId })).items.length
  }

  /** Fills in a name on the acknowledgement form and presses its button, as a person would; the answer to the form's POST. */
  async function submitAcknowledgement(page: Page, name: string) {
    await page.getByLabel('Your name').fill(name)
    const answer = page.waitForResponse((response) => response.request().method() === 'POST')
    await page.getByRole('button', { name: 'I have received this notice' }).click()
    const response = await answer
    await page.waitForLoadState()
    return response
  }

  describe('with JavaScript disabled', () => {
    let context: BrowserContext | undefined

    before(
      async () => {
        context = await newContext(browser!, { javaScriptEnabled: false })
      },
      { timeout: browserTimeoutMs },
    )
    after(() => context?.close(), { timeout: browserTimeoutMs })

    async function open(url: string) {
      const page = await context!.newPage()
      const response = await page.goto(url)
      assert.ok(response, `no response for ${url}`)
      return { page, response }
    }

    it('lets a contact acknowledge a notice from the emailed link by typing a name and pressing the button', testOptions, async () => {
      const { notice, link } = await sendNotice()
      const { page, response } = await open(link)
      assert.equal(response.status(), 200)
      assert.ok((await page.locator('main').innerText()).includes(`Notice for ${aurora.name}: ${notice.subject}`))
      const recordedAt = clock.now().toISOString()

      const answer = await submitAcknowledgement(page, 'Ada Lovelace (security desk)')

      assert.equal(answer.status(), 200)
      assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Thank you')
      assert.match(await page.locator('main').innerText(), /Your acknowledgement was recorded: Ada Lovelace \(security desk\)/)
      const recipient = (await test.services.comms.status(allTenants, notice.id)).recipients.find((r) => r.email === 'ada@aurora-zephyr.example')!
      assert.equal(recipient.state, 'acknowledged')
      assert.equal(recipient.acknowledgedBy, 'Ada Lovelace (security desk)')
      assert.equal(recipient.acknowledgedAt, recordedAt)
      assert.equal(await acknowledgements(notice.id), 1)
      await page.close()
    })

    it('shows “already acknowledged” when the link is opened again, and records nothing new', testOptions, async () => {
      const { notice, link } = await sendNotice()
      const first = await open(link)
      await submitAcknowledgement(first.page, 'Ada Aurora')
      const recorded = (await test.services.comms.status(allTenants, notice.id)).recipients.find((r) => r.email === 'ada@aurora-zephyr.example')!
      clock.advance(60_000)

      const { page, response } = await open(link)

      assert.equal(response.status(), 200)
      assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Already acknowledged')
      assert.equal(await page.getByRole('button').count(), 0)
      const again = (await test.services.comms.status(allTenants, notice.id)).recipients.find((r) => r.email === 'ada@aurora-zephyr.example')!
      assert.equal(again.acknowledgedAt, recorded.acknowledgedAt)
      assert.equal(again.acknowledgedBy, 'Ada Aurora')
      assert.equal(await acknowledgements(notice.id), 1)
      await Promise.all([first.page.close(), page.close()])
    })

    it('answers a link with one character of its signature changed with the “not valid” page and 400', testOptions, async () => {
      const { notice, link } = await sendNotice()

      const { page, response } = await open(forged(link))

      assert.equal(response.status(), 400)
      assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'This link is not valid')
      assert.equal(await page.getByRole('button').count(), 0)
      assert.equal(await acknowledgements(notice.id), 0)
      await page.close()
    })

    it('answers an expired link with the expired page and 410', testOptions, async () => {
      const link = await expiredLink()

      const { page, response } = await open(link)

      assert.equal(response.status(), 410)
      assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'This link has expired')
      assert.equal(await page.getByRole('button').count(), 0)
      await page.close()
    })

    it('shows a customer its own incident, updates and endpoints on its private status page, and nothing of another customer', testOptions, async () => {
      const { page, response } = await open(auroraStatusUrl)

      assert.equal(response.status(), 200)
      const text = await page.locator('body').innerText()
      assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), `Status for ${aurora.name}`)
      assert.equal(await page.getByRole('heading', { level: 3, name: publicTitle }).count(), 1)
      assert.ok(text.includes(aurora.update))
      assert.ok(text.includes(publicUpdate))
      const rows = page.getByRole('table', { name: 'Remediation progress per endpoint' }).getByRole('row')
      assert.deepEqual(await rows.allInnerTexts().then((all) => all.slice(1).map((row) => row.split('\t')[1])), [aurora.host])
      const html = await page.content()
      for (const foreign of [borealis.name, borealis.host, borealis.incident, borealis.update, borealis.contact, borealis.email, 'Borealis', 'quokka', 'Quokka']) {
        assert.ok(!html.includes(foreign), `Aurora's status page shows ${foreign}`)
      }
      assert.ok(!html.includes(aurora.incident), 'the private page shows the internal incident title')
      await page.close()
    })

    it('shows the not-found page with 404 for a revoked status link', testOptions, async () => {
      const { page, response } = await open(revokedStatusUrl)

      assert.equal(response.status(), 404)
      assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Status page not found')
      assert.ok(!(await page.content()).includes(borealis.name))
      await page.close()
    })

    it('shows a published incident on the public status page under its public title, with no customer data', testOptions, async () => {
      const { page, response } = await open(`${base}/status`)

      assert.equal(response.status(), 200)
      assert.equal(await page.getByRole('heading', { level: 3, name: publicTitle }).count(), 1)
      assert.ok((await page.locator('main').innerText()).includes(publicUpdate))
      const html = await page.content()
      for (const hidden of [aurora.name, aurora.host, aurora.incident, aurora.update, borealis.name, borealis.host, borealis.incident, borealis.update, 'Aurora', 'Borealis', 'aurora', 'quokka', '-pbx', '@']) {
        assert.ok(!html.includes(hidden), `the public status page shows ${hidden}`)
      }
      await page.close()
    })

    it('refuses no request and loads nothing from anywhere but 127.0.0.1', testOptions, () => {
      assert.deepEqual((context as BrowserContext & { refused: string[] }).refused, [])
    })
  })

  /** Each page customers may see, opened in `context`, with what the page's HTTP status must be. */
  const pages: Array<{ name: string; status: number; open(context: BrowserContext): Promise<Page> }> = [
    { name: 'the acknowledgement form', status: 200, open: async (context) => goto(context, (await sendNotice()).link) },
    {
      name: 'the acknowledgement confirmation',
      status: 200,
      open: async (context) => {
        const page = await goto(context, (await sendNotice()).link)
        await submitAcknowledgement(page, 'Alf Aurora')
        assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Thank you')
        return page
      },
    },
    {
      name: 'the already-acknowledged page',
      status: 200,
      open: async (context) => {
        const { link } = await sendNotice()
        await submitAcknowledgement(await goto(context, link), 'Alf Aurora')
        return goto(context, link)
      },
    },
    { name: 'the invalid-link page', status: 400, open: async (context) => goto(context, forged((await sendNotice()).link)) },
    { name: 'the expired-link page', status: 410, open: async (context) => goto(context, await expiredLink()) },
    { name: 'the private status page', status: 200, open: (context) => goto(context, auroraStatusUrl) },
    { name: 'the status-page-not-found page', status: 404, open: (context) => goto(context, revokedStatusUrl) },
    { name: 'the public status page', status: 200, open: (context) => goto(context, `${base}/status`) },
  ]

  /** Statuses of the documents each page opened, for the assertion that the intended page was reached. */
  const lastStatus = new WeakMap<Page, number>()

  async function goto(context: BrowserContext, url: string): Promise<Page> {
    const page = context.pages()[0] ?? (await context.newPage())
    const response = await page.goto(url)
    assert.ok(response, `no response for ${url}`)
    lastStatus.set(page, response.status())
    return page
  }

  describe('accessibility (axe-core, WCAG 2 A and AA)', () => {
    for (const each of pages) {
      it(`finds no violations on ${each.name}`, testOptions, async () => {
        // Its own context per page: JavaScript on to run axe, and the CSP bypassed, since the pages rightly refuse injected scripts.
        const context = await newContext(browser!, { javaScriptEnabled: true, bypassCSP: true })
        try {
          const page = await each.open(context)

          const violations = await axeViolations(page)

          assert.equal(lastStatus.get(page), each.status)
          assert.deepEqual(violations, [], describeViolations(each.name, violations))
        } finally {
          await context.close()
        }
      })
    }

    it('reports a violation when there is one (the check above can fail)', testOptions, async () => {
      const context = await newContext(browser!, { javaScriptEnabled: true, bypassCSP: true })
      try {
        const page = await goto(context, `${base}/status`)
        await page.evaluate(() => {
          const scope = globalThis as unknown as { document: { querySelector(selector: string): { insertAdjacentHTML(where: string, html: string): void } } }
          scope.document.querySelector('main').insertAdjacentHTML('beforeend', '<img src="data:," width="10" height="10">')
        })

        const violations = await axeViolations(page)

        assert.deepEqual(
          violations.map((v) => v.id),
          ['image-alt'],
        )
      } finally {
        await context.close()
      }
    })
  })

  describe('Content-Security-Policy', () => {
    for (const each of pages) {
      it(`sends it with ${each.name}, which works under it without a violation`, testOptions, async () => {
        const context = await newContext(browser!, { javaScriptEnabled: true })
        try {
          const page = await context.newPage()
          const errors = consoleErrorsOf(page)
          const documents: Array<Record<string, string>> = []
          page.on('response', (response) => {
            if (response.request().resourceType() === 'document') documents.push(response.headers())
          })

          await each.open(context)

          assert.equal(lastStatus.get(page), each.status)
          assert.ok(documents.length > 0)
          for (const headers of documents) {
            assert.match(headers['content-security-policy'] ?? '', /default-src 'none'/)
            assert.match(headers['content-security-policy'] ?? '', /form-action 'self'/)
          }
          // Chromium logs every error status as a failed load; that one is the page's intended answer.
          const intended = `Failed to load resource: the server responded with a status of ${each.status} `
          assert.deepEqual(
            errors.filter((error) => !error.startsWith(intended)),
            [],
          )
        } finally {
          await context.close()
        }
      })
    }

    it('logs a violation when there is one (the check above can fail)', testOptions, async () => {
      const context = await newContext(browser!, { javaScriptEnabled: true })
      try {
        const page = await goto(context, `${base}/status`)
        const errors = consoleErrorsOf(page)

        await page.addScriptTag({ content: 'void 0' }).catch(() => undefined)

        await waitFor(() => errors.length > 0, 'the console error for the refused script', browserTimeoutMs)
        assert.match(errors.join('\n'), /Content Security Policy/)
      } finally {
        await context.close()
      }
    })
  })
})
