// The 3CX day at MSP scale: BENCH_NOTICE_CUSTOMERS customers (default 1,000; a tenth of them
// through partners), two contacts and two affected endpoints each. Measures planning the notices,
// previewing one customer's, sending them all (one transaction: notices, outbox messages,
// reminder jobs, audit), opening a campaign over every affected endpoint, and the inventory
// import that verifies half of them (the remediation follower inside the import's transaction).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { createServices } from '../src/app.js'
import type { Config } from '../src/config.js'
import type { DatabaseConfig } from '../src/db/connect.js'
import { systemActor } from '../src/shared/actor.js'
import type { Measurement } from './exposure.js'

const customerCount = Number(process.env.BENCH_NOTICE_CUSTOMERS ?? 1000)
const partnerEvery = 10

function snapshotLine(host: string, customer: string, version: string | null, unixTime: number): string {
  const programs = [{ name: 'Microsoft Edge', version: '111.0.1661.54', publisher: 'Microsoft Corporation' }, ...(version ? [{ name: '3CX Desktop App', version, publisher: '3CX Ltd' }] : [])]
  return JSON.stringify({ snapshot: programs, action: 'snapshot', name: 'pack_programs', hostIdentifier: host, unixTime, decorations: { customer, hostname: host } })
}

async function* linesOf(lines: string[]): AsyncIterable<Buffer> {
  for (let i = 0; i < lines.length; i += 1000) yield Buffer.from(lines.slice(i, i + 1000).join('\n') + '\n')
}

export async function noticesBenchmark(name: string, database: DatabaseConfig): Promise<Measurement[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cordon-bench-notices-'))
  const config: Config = { dataDir, database, http: { host: '127.0.0.1', port: 0 }, publicUrl: 'https://soc.provider.example', logLevel: 'silent', worker: { concurrency: 1 } }
  const services = await createServices(config, { logger: pino({ level: 'silent' }) })
  try {
    const { customers, inventory, comms, remediation } = services
    const partners: string[] = []
    for (let p = 0; p < customerCount / partnerEvery; p++) {
      partners.push((await customers.create(systemActor, { name: `Partner ${p}`, kind: 'partner', contacts: [{ name: `Pat ${p}`, email: `pat${p}@partner${p}.example`, role: 'primary' }] })).id)
    }
    const lines: string[] = []
    for (let c = 0; c < customerCount; c++) {
      await customers.create(systemActor, {
        name: `Customer ${c}`,
        externalRef: `c${c}`,
        ...(c % partnerEvery === 0 && { parentId: partners[c / partnerEvery] }),
        contacts: [
          { name: `Sec ${c}`, email: `security@c${c}.example`, role: 'security' },
          { name: `Tech ${c}`, email: `it@c${c}.example`, role: 'technical' },
        ],
      })
      lines.push(snapshotLine(`c${c}-pc1`, `c${c}`, '18.12.416', 1_680_000_000), snapshotLine(`c${c}-pc2`, `c${c}`, '18.12.407', 1_680_000_000), snapshotLine(`c${c}-pc3`, `c${c}`, null, 1_680_000_000))
    }
    await inventory.importInventory(systemActor, { file: 'estate.log', bytes: linesOf(lines) })

    const request = { advisoryId: 'CORDON-2023-0001', deadline: '2023-04-07T17:00:00Z' }
    let started = performance.now()
    const plan = await comms.plan(systemActor, request)
    const planSeconds = (performance.now() - started) / 1000
    started = performance.now()
    await comms.preview(systemActor, request, 'c1')
    const previewSeconds = (performance.now() - started) / 1000
    started = performance.now()
    const sent = await comms.send(systemActor, request)
    const sendSeconds = (performance.now() - started) / 1000
    const messages = sent.notices.reduce((n, notice) => n + notice.recipients, 0)
    if (sent.notices.length !== plan.customers.length) throw new Error(`sent ${sent.notices.length} notices for ${plan.customers.length} planned`)

    started = performance.now()
    const campaign = await remediation.createCampaign(systemActor, { advisoryId: 'CORDON-2023-0001', actions: [{ kind: 'upgrade', version: '18.12.425' }] })
    const campaignSeconds = (performance.now() - started) / 1000

    // Half the customers upgrade both endpoints; the import's follower verifies their tasks.
    const later = Array.from({ length: customerCount }, (_, c) =>
      c % 2 === 0 ? [snapshotLine(`c${c}-pc1`, `c${c}`, '18.12.425', 1_680_100_000), snapshotLine(`c${c}-pc2`, `c${c}`, '18.12.425', 1_680_100_000)] : [],
    ).flat()
    started = performance.now()
    await inventory.importInventory(systemActor, { file: 'later.log', bytes: linesOf(later) })
    const verifySeconds = (performance.now() - started) / 1000
    const progress = await remediation.progress(systemActor.scope, campaign.id)
    if (progress.overall.doneVerified !== customerCount) throw new Error(`expected ${customerCount} verified tasks, found ${progress.overall.doneVerified}`)

    const at = `${customerCount} customers`
    return [
      { benchmark: 'notices', database: name, figure: `plan notices, ${at} (${plan.customers.length} notices)`, value: Math.round(planSeconds * 1000), unit: 'ms' },
      { benchmark: 'notices', database: name, figure: `preview one customer's notice, ${at}`, value: Math.round(previewSeconds * 1000), unit: 'ms' },
      { benchmark: 'notices', database: name, figure: `send every notice in one transaction (${messages} emails)`, value: Math.round(sendSeconds * 1000), unit: 'ms' },
      { benchmark: 'notices', database: name, figure: `open a campaign over ${progress.overall.endpoints} endpoints`, value: Math.round(campaignSeconds * 1000), unit: 'ms' },
      { benchmark: 'notices', database: name, figure: `import verifying ${progress.overall.doneVerified} tasks (${later.length} snapshots)`, value: Math.round(verifySeconds * 1000), unit: 'ms' },
    ]
  } finally {
    await services.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
}
