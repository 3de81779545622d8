import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core'

/**
 * The system Chromium for the browser tests, driven by playwright-core (which downloads no
 * browser of its own), and axe-core for accessibility checks. Everything stays on 127.0.0.1.
 */

export const chromiumPath = '/usr/bin/chromium'

/** Launch and every navigation or wait must finish within this, so a hung browser fails a test instead of hanging the run. */
export const browserTimeoutMs = 30_000

const inCi = process.env.CI === 'true'

/** false, or why the browser tests are skipped. CI installs Chromium, so there a missing one is a failure, not a skip. */
export const chromiumSkip: false | string =
  existsSync(chromiumPath) || inCi ? false : `Chromium tests SKIPPED: no browser at ${chromiumPath} (install it with: apt-get install -y chromium)`

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) throw new Error(`CI=true but Chromium is not installed at ${chromiumPath}; install it with: apt-get install -y chromium`)
  return chromium.launch({
    executablePath: chromiumPath,
    timeout: browserTimeoutMs,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-gpu'],
  })
}

/** A context with the test timeouts whose requests anywhere but 127.0.0.1 are refused (and listed in `refused`). */
export async function newContext(browser: Browser, options: BrowserContextOptions): Promise<BrowserContext & { refused: string[] }> {
  const context = await browser.newContext(options)
  context.setDefaultTimeout(browserTimeoutMs)
  context.setDefaultNavigationTimeout(browserTimeoutMs)
  const refused: string[] = []
  await context.route(
    (url) => url.hostname !== '127.0.0.1',
    (route) => {
      refused.push(route.request().url())
      return route.abort('blockedbyclient')
    },
  )
  return Object.assign(context, { refused })
}

/** The console errors a page logs, Content-Security-Policy violations among them. */
export function consoleErrorsOf(page: Page): string[] {
  const errors: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text())
  })
  page.on('pageerror', (error) => errors.push(error.message))
  return errors
}

export const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

export interface AxeViolation {
  id: string
  impact: string | null
  help: string
  nodes: Array<{ target: unknown[]; html: string; failureSummary?: string }>
}

/**
 * axe-core's WCAG 2 A and AA violations on the page as it is now. The context must run
 * JavaScript and bypass the page's CSP, which (rightly) refuses the injected script.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ content: axeSource })
  // The tsconfig has no DOM library: the page's globals are described here instead.
  return page.evaluate(async () => {
    const scope = globalThis as unknown as { document: unknown; axe: { run(context: unknown, options: object): Promise<{ violations: AxeViolation[] }> } }
    const results = await scope.axe.run(scope.document, { runOnly: ['wcag2a', 'wcag2aa'] })
    return results.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, html: n.html, failureSummary: n.failureSummary })) }))
  })
}

/** The violations as a readable assertion message. */
export function describeViolations(where: string, violations: AxeViolation[]): string {
  return `${where}: ${violations.length} accessibility violation(s)\n${violations
    .map((v) => `- ${v.id} (${v.impact ?? 'unknown'}): ${v.help}\n${v.nodes.map((n) => `    ${JSON.stringify(n.target)} ${n.html}\n      ${(n.failureSummary ?? '').replace(/\n/g, '\n      ')}`).join('\n')}`)
    .join('\n')}`
}
