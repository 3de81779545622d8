import { deflateRawSync, crc32 } from 'node:zlib'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import assert from 'node:assert/strict'
import { AppError } from '../shared/errors.js'

/** Test builders for intel: records in each format, fixture files, zip archives. */

export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))
}

export function fixture(name: string): Buffer {
  return readFileSync(fixturePath(name))
}

let counter = 0

/** An OSV record for an npm package, with a unique id unless one is given. */
export function anOsvRecord(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter += 1
  return {
    schema_version: '1.6.0',
    id: `GHSA-test-${process.pid}-${counter}`,
    modified: '2024-01-01T00:00:00Z',
    published: '2023-12-01T00:00:00Z',
    aliases: [`CVE-2099-${10000 + counter}`],
    summary: `Test advisory ${counter}`,
    details: 'A test advisory.',
    affected: [{ package: { ecosystem: 'npm', name: `test-package-${counter}` }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.2.3' }] }] }],
    database_specific: { severity: 'HIGH' },
    ...overrides,
  }
}

/** A Cordon advisory for vendor software, with a unique id unless one is given. */
export function aCordonAdvisory(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter += 1
  return {
    format: 'cordon-advisory/1',
    id: `CORDON-TEST-${process.pid}-${counter}`,
    title: `Trojanized softphone ${counter}`,
    summary: 'Signed builds shipped with a backdoor.',
    severity: 'critical',
    published: '2023-03-30T00:00:00Z',
    aliases: [`CVE-2099-${20000 + counter}`],
    affected: [{ vendor: 'Example Telecom Ltd', product: `Example Phone ${counter}`, productAliases: [`ExamplePhone${counter}`], platform: 'windows', versions: ['1.2.3', '1.2.4'] }],
    remediation: { summary: 'Uninstall it.', steps: [{ action: 'uninstall', text: 'Remove the app.' }], fixedVersions: [{ platform: 'windows', version: '1.2.5' }] },
    indicators: [
      { kind: 'sha256', value: `${counter.toString(16).padStart(8, '0')}${'a'.repeat(56)}`, description: 'the installer', confidence: 'high', source: 'Example Labs' },
      { kind: 'domain', value: `c2-${counter}.example`, confidence: 'medium', source: 'Example Labs' },
    ],
    ...overrides,
  }
}

export function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value, null, 2))
}

export interface ZipEntrySpec {
  name: string
  data: Buffer | string
  /** Store instead of deflate. */
  stored?: boolean
  /** Claim this uncompressed size in the headers (a lying archive). */
  declaredSize?: number
}

/** A minimal zip archive (local headers, central directory, end record), as OSV's all.zip is laid out. */
export function zipOf(entries: ZipEntrySpec[]): Buffer {
  const locals: Buffer[] = []
  const centrals: Buffer[] = []
  let offset = 0
  for (const entry of entries) {
    const data = Buffer.isBuffer(entry.data) ? entry.data : Buffer.from(entry.data)
    const body = entry.stored ? data : deflateRawSync(data)
    const name = Buffer.from(entry.name)
    const size = entry.declaredSize ?? data.length
    const crc = crc32(data)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt16LE(0x0800, 6)
    local.writeUInt16LE(entry.stored ? 0 : 8, 8)
    local.writeUInt16LE(0, 10)
    local.writeUInt16LE(0x21, 12)
    local.writeUInt32LE(crc, 14)
    local.writeUInt32LE(body.length, 18)
    local.writeUInt32LE(size, 22)
    local.writeUInt16LE(name.length, 26)
    local.writeUInt16LE(0, 28)
    const central = Buffer.alloc(46)
    central.writeUInt32LE(0x02014b50, 0)
    central.writeUInt16LE(20, 4)
    central.writeUInt16LE(20, 6)
    central.writeUInt16LE(0x0800, 8)
    central.writeUInt16LE(entry.stored ? 0 : 8, 10)
    central.writeUInt16LE(0, 12)
    central.writeUInt16LE(0x21, 14)
    central.writeUInt32LE(crc, 16)
    central.writeUInt32LE(body.length, 20)
    central.writeUInt32LE(size, 24)
    central.writeUInt16LE(name.length, 28)
    central.writeUInt32LE(offset, 42)
    locals.push(local, name, body)
    centrals.push(central, name)
    offset += local.length + name.length + body.length
  }
  const directory = Buffer.concat(centrals)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(entries.length, 8)
  end.writeUInt16LE(entries.length, 10)
  end.writeUInt32LE(directory.length, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, directory, end])
}

/** For assert.rejects: an AppError of this kind whose message matches. */
export function appError(kind: AppError['kind'], message?: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`)
    assert.equal(error.kind, kind, error.message)
    if (message) assert.match(error.message, message)
    return true
  }
}
