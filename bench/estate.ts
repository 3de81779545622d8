// A deterministic MSP estate for the exposure benchmark: customers, endpoints (60% Windows, 15%
// macOS, 25% Debian) and their software, written as an osqueryd results log (snapshot lines) and
// an RMM-style CSV export of the same installations. Streams to disk: memory stays flat however
// many endpoints, and the same seed writes the same bytes.
//
//   node --import tsx bench/estate.ts --endpoints 1000 --customers 20 --out /tmp/estate [--seed 1] [--advisories 10000]
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { countAdvisoryHits, writeOsvAdvisories } from './estate-advisories.js'
import { buildCatalog, createRandom, mix, pick, pickWeighted, randomInt, threeCx, type Catalog, type CatalogEntry, type CatalogProduct, type EstatePlatform } from './estate-data.js'
import { assignEndpoints, makeCustomers, makeHost } from './estate-hosts.js'

export interface EstateOptions {
  /** Directory for the files (created when missing). */
  out: string
  customers?: number
  endpoints?: number
  /** Mean installations per endpoint; each endpoint varies ±30%. */
  packagesPerEndpoint?: number
  /** Share of Windows and of macOS endpoints running an affected 3CX build. */
  affectedShare?: number
  seed?: number
  /** When the snapshots were taken (the first endpoint; the rest follow over an hour). */
  startTime?: Date | string | number
  /** Which files to write (default both). */
  formats?: ReadonlyArray<'osquery' | 'csv'>
  /** What the CSV's Customer column holds: the customer's name (as RMM exports do) or its external ref. */
  csvCustomer?: 'name' | 'ref'
  /** The software pool (default `buildCatalog()`, the one the advisories aim at). */
  catalog?: Catalog
}

export interface EstateCustomer {
  ref: string
  name: string
  endpoints: number
  /** Whether the customer runs 3CX (every affected endpoint belongs to one of these). */
  usesThreeCx: boolean
}

export interface EstateStats {
  endpoints: number
  byPlatform: Record<EstatePlatform, number>
  /** Software rows: one per (endpoint, installed entry); the same in both files. */
  installationRows: number
  /** osquery lines: one inventory, one os_version and one system_info per endpoint. */
  osqueryLines: number
  files: { osquery: string | null; csv: string | null }
  bytes: { osquery: number; csv: number }
  /** Endpoints running an affected 3CX build, by platform and version. */
  affectedEndpoints: { total: number; windows: Record<string, number>; macos: Record<string, number> }
  /** Endpoints running a clean 3CX build, by platform and version. */
  cleanThreeCxEndpoints: { windows: Record<string, number>; macos: Record<string, number> }
  customers: EstateCustomer[]
  catalog: { products: number; entries: number; installedEntries: number }
  /** Installations per catalog entry id (for advisory hit rates). */
  installsPerEntry: Uint32Array
  seconds: number
}

const defaults = { customers: 500, endpoints: 100_000, packagesPerEndpoint: 150, affectedShare: 0.04, seed: 1, startTime: '2023-04-03T10:00:00Z' }
const platformMix: Record<EstatePlatform, number> = { windows: 0.6, macos: 0.15, linux: 0.25 }
const osqueryTable: Record<EstatePlatform, string> = { windows: 'programs', macos: 'apps', linux: 'deb_packages' }
/** Each output buffer; a file is flushed once half of one is filled (a host never needs the other half). */
const bufferBytes = 32 << 20
const flushBytes = 16 << 20
const snapshotWindowSeconds = 3600

// ---------------------------------------------------------------------------------------------
// Output.

/**
 * A file written from two big byte buffers: one fills while the other is being written, and
 * filling waits for the previous write (backpressure). Rows are copied in as pre-encoded bytes,
 * which is several times faster than building strings.
 */
class ByteFile {
  private readonly buffers: [Buffer, Buffer] = [Buffer.allocUnsafeSlow(bufferBytes), Buffer.allocUnsafeSlow(bufferBytes)]
  private current = 0
  private buffer: Buffer = this.buffers[0]
  private position = 0
  private writing: Promise<void> = Promise.resolve()
  private written = 0

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  static async create(path: string): Promise<ByteFile> {
    return new ByteFile(path, await open(path, 'w'))
  }

  get pending(): number {
    return this.position
  }

  put(bytes: Uint8Array): void {
    if (this.position + bytes.length > this.buffer.length) this.grow(bytes.length)
    this.buffer.set(bytes, this.position)
    this.position += bytes.length
  }

  text(value: string): void {
    if (this.position + value.length * 3 > this.buffer.length) this.grow(value.length * 3)
    this.position += this.buffer.write(value, this.position)
  }

  async flush(): Promise<void> {
    await this.writing
    if (this.position === 0) return
    this.writing = this.writeOut(this.buffer, this.position)
    this.current ^= 1
    this.buffer = this.buffers[this.current]!
    this.position = 0
  }

  async close(): Promise<number> {
    await this.flush()
    await this.writing
    await this.handle.close()
    return this.written
  }

  private async writeOut(buffer: Buffer, length: number): Promise<void> {
    for (let offset = 0; offset < length; ) {
      const { bytesWritten } = await this.handle.write(buffer, offset, length - offset)
      offset += bytesWritten
    }
    this.written += length
  }

  /** A host bigger than the spare room (never with the defaults): a bigger buffer for this one. */
  private grow(needed: number): void {
    const bigger = Buffer.allocUnsafeSlow(Math.max(this.buffer.length * 2, this.position + needed))
    this.buffer.copy(bigger, 0, 0, this.position)
    this.buffer = bigger
    this.buffers[this.current] = bigger
  }
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) || value !== value.trim() ? `"${value.replace(/"/g, '""')}"` : value
}

const json = JSON.stringify

// ---------------------------------------------------------------------------------------------
// Row fragments: each catalog entry's row is written once as text, split around the one field
// that varies per endpoint (install_date, last_opened_time), so a row costs three appends.

interface Fragments {
  head: Buffer[]
  tail: Buffer[]
  /** 0: nothing varies; 1: Windows install_date; 2: macOS last_opened_time. */
  dynamic: Uint8Array
  csv: Buffer[]
}

function debianRevision(version: string): string {
  const dash = version.lastIndexOf('-')
  return dash < 0 ? '' : version.slice(dash + 1)
}

function buildFragments(catalog: Catalog): Fragments {
  const count = catalog.entries.length
  const head: string[] = new Array(count)
  const tail: string[] = new Array(count)
  const csv: string[] = new Array(count)
  const dynamic = new Uint8Array(count)
  const products: Record<EstatePlatform, CatalogProduct[]> = { windows: catalog.windows, macos: catalog.macos, linux: catalog.linux }
  for (const entry of catalog.entries) {
    const product = products[entry.platform][entry.product]!
    const random = createRandom(mix(entry.id, 0xf4a9))
    if (product.windows) {
      const w = product.windows
      const folder = w.installLocation || `C:\\Program Files\\${product.name.replace(/[^A-Za-z0-9 +.-]/g, '')}\\`
      const uninstall = w.msi
        ? `MsiExec.exe /${random() < 0.8 ? 'X' : 'I'}${entry.identifyingNumber}`
        : random() < 0.2 ? `"${folder}setup.exe" /uninstall` : `"${folder}${pick(random, ['uninstall.exe', 'unins000.exe', 'Uninstall.exe'])}"`
      const installSource = w.msi && random() < 0.4 ? `C:\\ProgramData\\Package Cache\\${entry.identifyingNumber}v${entry.version}\\` : ''
      const start = `{"identifying_number":${json(entry.identifyingNumber)},"install_date":`
      const end = `,"install_location":${json(w.installLocation)},"install_source":${json(installSource)},"language":${json(w.language)},"name":${json(entry.name)},"publisher":${json(product.vendor)},"uninstall_string":${json(uninstall)},"version":${json(entry.version)}}`
      if (w.datedInstall) {
        head[entry.id] = `${start}"`
        tail[entry.id] = `"${end}`
        dynamic[entry.id] = 1
      } else {
        head[entry.id] = `${start}""${end}`
        tail[entry.id] = ''
      }
    } else if (product.macos) {
      const m = product.macos
      head[entry.id] =
        `{"applescript_enabled":"${m.appleScript ? 1 : 0}","bundle_executable":${json(m.executable)},"bundle_identifier":${json(m.bundleIdentifier)},` +
        `"bundle_name":${json(product.name)},"bundle_package_type":"APPL","bundle_short_version":${json(entry.version)},"bundle_version":${json(entry.bundleVersion)},` +
        `"category":${json(m.category)},"compiler":"com.apple.compilers.llvm.clang.1_0","copyright":${json(m.copyright)},"development_region":"en",` +
        `"display_name":${json(m.displayName ? product.name : '')},"element":"","environment":"","info_string":"","last_opened_time":"`
      tail[entry.id] = `","minimum_system_version":${json(m.minimumSystemVersion)},"name":${json(`${product.name}.app`)},"path":${json(`/Applications/${product.name}.app`)}}`
      dynamic[entry.id] = 2
    } else if (product.linux) {
      const l = product.linux
      head[entry.id] =
        `{"admindir":"/var/lib/dpkg","arch":"${l.arch}","maintainer":${json(product.vendor)},"name":${json(entry.name)},"priority":"${l.priority}",` +
        `"revision":${json(debianRevision(entry.version))},"section":"${l.section}","size":"${entry.size}","source":${json(product.source === entry.name ? '' : product.source)},` +
        `"status":"install ok installed","version":${json(entry.version)}}`
      tail[entry.id] = ''
    }
    const publisher = entry.platform === 'linux' ? '' : product.vendor
    csv[entry.id] = `,${csvField(publisher)},${csvField(entry.name)},${csvField(entry.version)},`
  }
  const bytes = (texts: string[]) => texts.map((text) => Buffer.from(text))
  return { head: bytes(head), tail: bytes(tail), dynamic, csv: bytes(csv) }
}

// ---------------------------------------------------------------------------------------------
// Choosing software.

/** Vose's alias table: O(1) draws from a fixed discrete distribution. */
interface AliasTable {
  probability: Float64Array
  alias: Int32Array
}

function aliasTable(weights: number[]): AliasTable {
  const n = weights.length
  const total = weights.reduce((sum, weight) => sum + weight, 0)
  const scaled = weights.map((weight) => (weight * n) / total)
  const probability = new Float64Array(n)
  const alias = new Int32Array(n)
  const small: number[] = []
  const large: number[] = []
  scaled.forEach((value, index) => (value < 1 ? small : large).push(index))
  while (small.length > 0 && large.length > 0) {
    const less = small.pop()!
    const more = large.pop()!
    probability[less] = scaled[less]!
    alias[less] = more
    scaled[more] = scaled[more]! + scaled[less]! - 1
    ;(scaled[more]! < 1 ? small : large).push(more)
  }
  for (const index of [...small, ...large]) probability[index] = 1
  return { probability, alias }
}

interface PlatformPool {
  products: CatalogProduct[]
  /** Head products (fixed share of hosts): indices and shares. */
  head: Int32Array
  headShare: Float64Array
  /** Long tail: products drawn by rank until a host has its count. */
  tail: Int32Array
  tailTable: AliasTable
  /** Alphabetical position of each product, and back: rows are listed by name, as osquery lists them. */
  position: Int32Array
  byPosition: Int32Array
}

function platformPool(products: CatalogProduct[]): PlatformPool {
  const head = products.filter((product) => !product.special && product.share > 0)
  const tail = products.filter((product) => !product.special && product.share === 0)
  // Zipf-like (offset 50, exponent 0.8): the tail's first product lands on about a quarter of
  // hosts, its last on about one in a hundred, so every product appears in a large estate.
  const tailTable = aliasTable(tail.map((_, rank) => (rank + 50) ** -0.8))
  const sorted = products.map((product) => product.index).sort((a, b) => (products[a]!.name.toLowerCase() < products[b]!.name.toLowerCase() ? -1 : 1))
  const position = new Int32Array(products.length)
  sorted.forEach((index, at) => (position[index] = at))
  return {
    products,
    head: Int32Array.from(head, (product) => product.index),
    headShare: Float64Array.from(head, (product) => product.share),
    tail: Int32Array.from(tail, (product) => product.index),
    tailTable,
    position,
    byPosition: Int32Array.from(sorted),
  }
}

function pickVersion(product: CatalogProduct, hostSalt: number): CatalogEntry {
  // Hashing (host, series) rather than drawing keeps the binaries of one Debian source on one version.
  const u = mix(hostSalt, product.series) / 4294967296
  const weights = product.versionWeights
  let index = 0
  while (index < weights.length - 1 && u >= weights[index]!) index++
  return product.entries[index]!
}

const weekdays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** osquery's calendarTime: asctime in UTC, day of month padded with a space ("Mon Apr  3 10:00:00 2023 UTC"). */
function calendarTime(unix: number): string {
  const date = new Date(unix * 1000)
  const time = date.toISOString().slice(11, 19)
  return `${weekdays[date.getUTCDay()]} ${months[date.getUTCMonth()]} ${String(date.getUTCDate()).padStart(2, ' ')} ${time} ${date.getUTCFullYear()} UTC`
}

// ---------------------------------------------------------------------------------------------
// The estate.

/**
 * Write an estate to `options.out`: `osquery.log` (osqueryd's filesystem logger, snapshot lines)
 * and `inventory.csv` (an RMM export), both holding the same installations. Customers are
 * returned (and are not written) so a benchmark can create them before importing.
 */
export async function generateEstate(options: EstateOptions): Promise<EstateStats> {
  const started = performance.now()
  const endpoints = options.endpoints ?? defaults.endpoints
  const customerCount = options.customers ?? defaults.customers
  const mean = options.packagesPerEndpoint ?? defaults.packagesPerEndpoint
  const affectedShare = options.affectedShare ?? defaults.affectedShare
  const seed = options.seed ?? defaults.seed
  const startUnix = Math.floor(new Date(options.startTime ?? defaults.startTime).getTime() / 1000)
  if (!Number.isFinite(startUnix)) throw new Error(`bad startTime: ${String(options.startTime)}`)
  if (customerCount < 1 || endpoints < 0) throw new Error('need at least one customer and no negative endpoint count')
  const formats = new Set(options.formats ?? ['osquery', 'csv'])
  const catalog = options.catalog ?? buildCatalog()
  const random = createRandom(seed)

  const customers = makeCustomers(random, customerCount)
  const { order, counts } = assignEndpoints(random, customers.map((customer) => customer.weight), endpoints)
  // 3CX runs at about three customers in ten; their endpoints carry every 3CX install, so the
  // exposure clusters by customer as it did in 2023.
  const usesThreeCx = customers.map(() => random() < 0.3)
  if (!usesThreeCx.includes(true)) usesThreeCx[0] = true
  const threeCxEndpoints = customers.reduce((sum, _, index) => sum + (usesThreeCx[index] ? counts[index]! : 0), 0)
  const affectedChance = threeCxEndpoints === 0 ? 0 : Math.min(1, (affectedShare * endpoints) / threeCxEndpoints)
  const cleanChance = Math.min(1 - affectedChance, affectedChance * 0.5)

  const pools: Record<EstatePlatform, PlatformPool> = { windows: platformPool(catalog.windows), macos: platformPool(catalog.macos), linux: platformPool(catalog.linux) }
  // Each customer's line-of-business software: a few tail products on most of its machines.
  const customerStacks = customers.map(() => ({
    windows: Int32Array.from({ length: 8 }, () => pools.windows.tail[randomInt(random, Math.min(600, pools.windows.tail.length))]!),
    macos: Int32Array.from({ length: 4 }, () => pools.macos.tail[randomInt(random, Math.min(300, pools.macos.tail.length))]!),
    linux: Int32Array.from({ length: 6 }, () => pools.linux.tail[randomInt(random, Math.min(800, pools.linux.tail.length))]!),
  }))

  const fragments = buildFragments(catalog)
  mkdirSync(options.out, { recursive: true })
  const osquery = formats.has('osquery') ? await ByteFile.create(join(options.out, 'osquery.log')) : null
  const csv = formats.has('csv') ? await ByteFile.create(join(options.out, 'inventory.csv')) : null
  csv?.text('Customer,Device Name,Operating System,Publisher,Software Name,Version,Last Seen\n')

  // Install dates and last-opened times: drawn per row from precomputed text.
  const installDates = Array.from({ length: 1461 }, (_, day) => Buffer.from(new Date((startUnix - day * 86400) * 1000).toISOString().slice(0, 10).replace(/-/g, '')))
  const openedTimes = Array.from({ length: 4096 }, (_, index) => Buffer.from(index % 5 === 0 ? '-1.0' : `${startUnix - randomInt(random, 90 * 86400)}.${String(randomInt(random, 1e6)).padStart(6, '0')}`))
  const snapshotStart = Buffer.from('{"snapshot":[')
  const comma = Buffer.from(',')

  const installsPerEntry = new Uint32Array(catalog.entries.length)
  const byPlatform: Record<EstatePlatform, number> = { windows: 0, macos: 0, linux: 0 }
  const affected = { total: 0, windows: {} as Record<string, number>, macos: {} as Record<string, number> }
  const clean = { windows: {} as Record<string, number>, macos: {} as Record<string, number> }
  const serials = new Uint32Array(customerCount)
  const stamps: Record<EstatePlatform, Int32Array> = { windows: new Int32Array(catalog.windows.length), macos: new Int32Array(catalog.macos.length), linux: new Int32Array(catalog.linux.length) }
  const chosen = new Int32Array(Math.max(64, Math.ceil(mean * 2)) + 64)
  let installationRows = 0
  let timeText = ''
  let timeUnix = -1

  for (let i = 0; i < endpoints; i++) {
    const customerIndex = order[i]!
    const customer = customers[customerIndex]!
    const platformRoll = random()
    const platform: EstatePlatform = platformRoll < platformMix.windows ? 'windows' : platformRoll < platformMix.windows + platformMix.macos ? 'macos' : 'linux'
    byPlatform[platform]++
    serials[customerIndex]! += 1
    const host = makeHost(random, platform, customer.code, serials[customerIndex]!, startUnix)
    const hostSalt = (random() * 4294967296) >>> 0
    const unix = startUnix + Math.floor((i * snapshotWindowSeconds) / Math.max(1, endpoints))
    if (unix !== timeUnix) {
      timeUnix = unix
      timeText = `"calendarTime":"${calendarTime(unix)}","unixTime":${unix},"epoch":0,"counter":0,"numerics":false`
    }

    // Which products: the head by share, the customer's own stack, then the long tail by rank.
    const pool = pools[platform]
    const stamp = stamps[platform]
    const target = Math.min(pool.products.length - 2, Math.max(1, Math.round(mean * (0.7 + 0.6 * random()))))
    let count = 0
    for (let h = 0; h < pool.head.length && count < target; h++) {
      if (random() < pool.headShare[h]!) {
        const product = pool.head[h]!
        stamp[product] = i + 1
        chosen[count++] = pool.position[product]!
      }
    }
    for (const product of customerStacks[customerIndex]![platform]) {
      if (count < target && stamp[product] !== i + 1 && random() < 0.7) {
        stamp[product] = i + 1
        chosen[count++] = pool.position[product]!
      }
    }
    const { probability, alias } = pool.tailTable
    const tailSize = pool.tail.length
    for (let attempts = 0; count < target && attempts < target * 20; attempts++) {
      const u = random() * tailSize
      const slot = u | 0
      const product = pool.tail[u - slot < probability[slot]! ? slot : alias[slot]!]!
      if (stamp[product] === i + 1) continue
      stamp[product] = i + 1
      chosen[count++] = pool.position[product]!
    }
    let threeCxEntry: CatalogEntry | undefined
    if (platform !== 'linux' && usesThreeCx[customerIndex]) {
      const roll = random()
      const product = catalog.threeCx[platform]
      if (roll < affectedChance) {
        const version =
          platform === 'windows'
            ? pickWeighted(random, [[0.4, threeCx.windows.affected[0]], [0.6, threeCx.windows.affected[1]]])
            : pickWeighted(random, [[0.15, threeCx.macos.affected[0]], [0.2, threeCx.macos.affected[1]], [0.3, threeCx.macos.affected[2]], [0.35, threeCx.macos.affected[3]]])
        threeCxEntry = product.entries.find((entry) => entry.version === version)
        affected.total++
        affected[platform][version] = (affected[platform][version] ?? 0) + 1
      } else if (roll < affectedChance + cleanChance) {
        const version = platform === 'windows' ? pick(random, threeCx.windows.clean) : pick(random, threeCx.macos.clean)
        threeCxEntry = product.entries.find((entry) => entry.version === version)
        clean[platform][version] = (clean[platform][version] ?? 0) + 1
      }
      if (threeCxEntry) chosen[count++] = pool.position[product.index]!
    }
    const list = chosen.subarray(0, count).sort()

    // The host's lines.
    const decorations = `,"decorations":{"customer":${json(customer.ref)},"hostname":${json(host.hostname)}}}\n`
    const identity = `"hostIdentifier":${json(host.identifier)},${timeText}${decorations}`
    const csvPrefix = csv ? Buffer.from(`${csvField(options.csvCustomer === 'ref' ? customer.ref : customer.name)},${csvField(host.hostname)},${csvField(host.os.csv)}`) : comma
    const csvSuffix = csv ? Buffer.from(`${new Date(unix * 1000).toISOString().slice(0, 19)}Z\n`) : comma
    osquery?.put(snapshotStart)
    for (let r = 0; r < list.length; r++) {
      const product = pool.products[pool.byPosition[list[r]!]!]!
      const entry = product.special && threeCxEntry ? threeCxEntry : pickVersion(product, hostSalt)
      const id = entry.id
      installsPerEntry[id]! += 1
      if (osquery) {
        if (r > 0) osquery.put(comma)
        osquery.put(fragments.head[id]!)
        const kind = fragments.dynamic[id]
        if (kind !== 0) {
          // Hashed, not drawn: the estate must not depend on which files are written.
          const spread = mix(hostSalt ^ 0x2545f491, id)
          osquery.put(kind === 1 ? installDates[spread % installDates.length]! : openedTimes[spread & 4095]!)
          osquery.put(fragments.tail[id]!)
        }
      }
      if (csv) {
        csv.put(csvPrefix)
        csv.put(fragments.csv[id]!)
        csv.put(csvSuffix)
      }
    }
    installationRows += list.length
    if (osquery) {
      osquery.text(`],"action":"snapshot","name":"pack_inventory_${osqueryTable[platform]}",${identity}`)
      osquery.text(`{"snapshot":[${json(host.os.row)}],"action":"snapshot","name":"pack_inventory_os_version",${identity}`)
      osquery.text(`{"snapshot":[${host.systemInfo}],"action":"snapshot","name":"pack_inventory_system_info",${identity}`)
      if (osquery.pending >= flushBytes) await osquery.flush()
    }
    if (csv && csv.pending >= flushBytes) await csv.flush()
  }

  const osqueryBytes = osquery ? await osquery.close() : 0
  const csvBytes = csv ? await csv.close() : 0
  const seconds = (performance.now() - started) / 1000
  let installedEntries = 0
  for (const installs of installsPerEntry) if (installs > 0) installedEntries++
  return {
    endpoints,
    byPlatform,
    installationRows,
    osqueryLines: osquery ? endpoints * 3 : 0,
    files: { osquery: osquery?.path ?? null, csv: csv?.path ?? null },
    bytes: { osquery: osqueryBytes, csv: csvBytes },
    affectedEndpoints: affected,
    cleanThreeCxEndpoints: clean,
    customers: customers.map((customer, index) => ({ ref: customer.ref, name: customer.name, endpoints: counts[index]!, usesThreeCx: usesThreeCx[index]! })),
    catalog: { products: catalog.windows.length + catalog.macos.length + catalog.linux.length, entries: catalog.entries.length, installedEntries },
    installsPerEntry,
    seconds,
  }
}

// ---------------------------------------------------------------------------------------------
// CLI.

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      endpoints: { type: 'string', default: String(defaults.endpoints) },
      customers: { type: 'string', default: String(defaults.customers) },
      packages: { type: 'string', default: String(defaults.packagesPerEndpoint) },
      'affected-share': { type: 'string', default: String(defaults.affectedShare) },
      seed: { type: 'string', default: String(defaults.seed) },
      start: { type: 'string', default: defaults.startTime },
      advisories: { type: 'string', default: '0' },
      'csv-customer': { type: 'string', default: 'name' },
      formats: { type: 'string', default: 'osquery,csv' },
      out: { type: 'string' },
    },
  })
  if (!values.out) throw new Error('usage: estate.ts --out <dir> [--endpoints N] [--customers N] [--packages N] [--affected-share F] [--seed N] [--start ISO] [--advisories N] [--formats osquery,csv] [--csv-customer name|ref]')
  const number = (name: string, text: string): number => {
    const value = Number(text)
    if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a non-negative number, got ${text}`)
    return value
  }
  const formats = values.formats.split(',').filter((format): format is 'osquery' | 'csv' => format === 'osquery' || format === 'csv')
  const catalog = buildCatalog()
  const stats = await generateEstate({
    out: values.out,
    endpoints: number('endpoints', values.endpoints),
    customers: number('customers', values.customers),
    packagesPerEndpoint: number('packages', values.packages),
    affectedShare: number('affected-share', values['affected-share']),
    seed: number('seed', values.seed),
    startTime: values.start,
    formats,
    csvCustomer: values['csv-customer'] === 'ref' ? 'ref' : 'name',
    catalog,
  })
  writeFileSync(join(values.out, 'customers.json'), `${JSON.stringify(stats.customers.map(({ ref, name }) => ({ ref, name })), null, 2)}\n`)
  const megabytes = (stats.bytes.osquery + stats.bytes.csv) / 1e6
  const { installsPerEntry, customers, ...printable } = stats
  console.log(JSON.stringify({ ...printable, customers: customers.length, threeCxCustomers: customers.filter((customer) => customer.usesThreeCx).length, megabytesPerSecond: Math.round(megabytes / stats.seconds) }, null, 2))

  const advisoryCount = number('advisories', values.advisories)
  if (advisoryCount > 0) {
    const started = performance.now()
    const file = join(values.out, 'advisories.json')
    const written = await writeOsvAdvisories(file, advisoryCount, number('seed', values.seed), { catalog })
    const hits = countAdvisoryHits(written.covers, installsPerEntry)
    console.log(JSON.stringify({ advisories: { file, ...written.stats, bytes: written.bytes, seconds: (performance.now() - started) / 1000, hittingThisEstate: hits } }, null, 2))
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href
if (invokedDirectly) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error)
    process.exit(1)
  })
}
