// The osquery tables Cordon reads, and what one row of each says: a software item (programs, apps,
// deb_packages, rpm_packages) or facts about the host (os_version, system_info). Packs name their
// queries freely, so a row's table is told by its columns; the query name is only a hint, for
// queries that select too few columns to tell.
import { isIP } from 'node:net'
import { PackageURL } from 'packageurl-js'
import { sourceRpmName } from './packages.js'
import { isRecord, missing, text, type JsonRecord } from './reading.js'
import type { HostFacts, InstallSource, Platform, SoftwareItem } from './types.js'

export type Table = 'programs' | 'apps' | 'deb_packages' | 'rpm_packages' | 'os_version' | 'system_info' | 'interface_addresses'

export type RowReading =
  | { kind: 'item'; source: InstallSource; item: SoftwareItem }
  /** `distro` is os_version's platform on Linux ('ubuntu', 'rhel', ...), for the purls of the host's packages. */
  | { kind: 'facts'; facts: HostFacts; distro?: string | undefined }
  /** A deb package dpkg lists but that is not installed (only its configuration files remain). */
  | { kind: 'skipped' }
  /** `unknownTable` when the row is from a table Cordon does not read (a results log holds every scheduled query). */
  | { kind: 'rejected'; reason: string; unknownTable?: true }

const tableNames: readonly Table[] = ['os_version', 'system_info', 'interface_addresses', 'deb_packages', 'rpm_packages', 'programs', 'apps']
const shortHints: ReadonlyMap<string, Table> = new Map([['deb', 'deb_packages'], ['rpm', 'rpm_packages'], ['applications', 'apps']])

/** The table a query name suggests ("pack_inventory_programs" → programs), if any. */
export function tableHint(queryName: string): Table | undefined {
  const name = queryName.toLowerCase()
  const table = tableNames.find((table) => name.includes(table))
  if (table) return table
  for (const word of name.split(/[^a-z0-9]+/)) {
    const hinted = shortHints.get(word)
    if (hinted) return hinted
  }
  return undefined
}

/** The table a row comes from, by the columns only that table has; else the hint. */
export function tableOf(row: JsonRecord, hint: Table | undefined): Table | undefined {
  if ('bundle_short_version' in row || 'bundle_identifier' in row || 'bundle_version' in row || 'bundle_name' in row || 'bundle_executable' in row) return 'apps'
  if ('address' in row && ('mask' in row || 'interface' in row)) return 'interface_addresses'
  if ('release' in row) return 'rpm_packages'
  if ('major' in row && 'minor' in row) return 'os_version'
  if ('hardware_serial' in row || 'cpu_brand' in row || 'hardware_model' in row || 'computer_name' in row) return 'system_info'
  if ('publisher' in row || 'install_location' in row || 'identifying_number' in row || 'uninstall_string' in row) return 'programs'
  if ('maintainer' in row || 'revision' in row || 'admindir' in row || 'arch' in row) return 'deb_packages'
  return hint
}

/**
 * What a result row says. `distro` is the host's os_version platform when the file has told it
 * ('ubuntu', 'rhel', ...): it names the distribution in deb and rpm package URLs.
 */
export function readRow(row: unknown, hint: Table | undefined, distro: string | undefined): RowReading {
  if (!isRecord(row)) return { kind: 'rejected', reason: 'the row is not a JSON object' }
  switch (tableOf(row, hint)) {
    case 'programs':
      return item(row, 'programs', text(row.name), ['name'], text(row.version), ['version'], text(row.publisher) ?? '', 'windows')
    case 'apps':
      // name is the bundle's file name ("3CX Desktop App.app"), as Finder shows it; the version
      // users see is CFBundleShortVersionString, CFBundleVersion being a build number.
      return item(
        row, 'apps',
        text(row.name) ?? text(row.display_name) ?? text(row.bundle_name), ['name', 'display_name', 'bundle_name'],
        text(row.bundle_short_version) ?? text(row.bundle_version), ['bundle_short_version', 'bundle_version'],
        '', 'macos',
      )
    case 'deb_packages':
      return debPackage(row, distro)
    case 'rpm_packages':
      return rpmPackage(row, distro)
    case 'os_version': {
      const platform = text(row.platform)
      const reading = hostFacts({ osName: text(row.name), osVersion: text(row.version), platform: platformOf(platform) })
      return reading.kind === 'facts' && reading.facts.platform === 'linux' ? { ...reading, distro: platform?.toLowerCase() } : reading
    }
    case 'interface_addresses': {
      const address = usableAddress(text(row.address))
      return address === undefined ? { kind: 'skipped' } : { kind: 'facts', facts: { addresses: [address] } }
    }
    case 'system_info':
      return hostFacts({ hostname: text(row.hostname) ?? text(row.computer_name), hardwareSerial: text(row.hardware_serial), hardwareUuid: text(row.uuid) })
    case undefined:
      return { kind: 'rejected', reason: `not from an osquery table Cordon reads (columns: ${columnList(row)})`, unknownTable: true }
  }
}

/**
 * An interface address worth keeping: not loopback, link-local or unspecified (every host has
 * those, so they name no one). IPv6 zone ids ("fe80::1%en0") are dropped with link-local.
 */
export function usableAddress(address: string | undefined): string | undefined {
  if (address === undefined) return undefined
  const lower = address.toLowerCase()
  const family = isIP(lower)
  if (family === 4) return lower.startsWith('127.') || lower.startsWith('169.254.') || lower === '0.0.0.0' ? undefined : lower
  if (family === 6) return lower === '::1' || lower === '::' || /^fe[89ab]/.test(lower) ? undefined : lower
  return undefined
}

function columnList(row: JsonRecord): string {
  const names = Object.keys(row)
  const listed = names.slice(0, 12).map((name) => (name.length > 40 ? `${name.slice(0, 40)}…` : name))
  return names.length > 12 ? `${listed.join(', ')}, …` : listed.join(', ')
}

function item(
  row: JsonRecord,
  source: InstallSource,
  product: string | undefined,
  productFields: readonly string[],
  version: string | undefined,
  versionFields: readonly string[],
  vendor: string,
  platform: Platform,
): RowReading {
  if (product === undefined) return { kind: 'rejected', reason: missingOf(row, productFields, 'name') }
  if (version === undefined) return { kind: 'rejected', reason: missingOf(row, versionFields, 'version') }
  return { kind: 'item', source, item: { vendor, product, version, platform, ecosystem: null, purl: null, cpe: null } }
}

/** Why none of `fields` gives a value: the first one present tells (wrong type), else it is absent. */
function missingOf(row: JsonRecord, fields: readonly string[], label: string): string {
  const present = fields.find((field) => row[field] !== undefined && row[field] !== null && row[field] !== '')
  return present === undefined ? `no ${label}` : missing(present, row[present])
}

function debPackage(row: JsonRecord, distro: string | undefined): RowReading {
  // dpkg keeps removed packages whose configuration files remain: they are not installed.
  const status = text(row.status)
  if (status !== undefined && (status.endsWith(' config-files') || status.endsWith(' not-installed'))) return { kind: 'skipped' }
  // osquery's version column is the full Debian version (epoch:upstream-revision).
  const reading = item(row, 'deb_packages', text(row.name), ['name'], text(row.version), ['version'], '', 'linux')
  if (reading.kind !== 'item') return reading
  const arch = text(row.arch)
  const namespace = distro === 'ubuntu' || distro === 'debian' ? distro : 'debian'
  // dpkg's Source field: "xz-utils", or "xz-utils (5.2.5-2)" when its version differs; empty when it is the package's own name.
  const source = text(row.source)?.split(' ')[0] ?? null
  return withPurl({ ...reading.item, sourcePackage: source }, 'deb', () => new PackageURL('deb', namespace, reading.item.product, reading.item.version, arch ? { arch } : undefined))
}

function rpmPackage(row: JsonRecord, distro: string | undefined): RowReading {
  const version = text(row.version)
  const release = text(row.release)
  const epoch = typeof row.epoch === 'number' && Number.isInteger(row.epoch) ? String(row.epoch) : text(row.epoch)
  const hasEpoch = epoch !== undefined && epoch !== '0' && /^\d+$/.test(epoch)
  const full = version === undefined ? undefined : `${hasEpoch ? `${epoch}:` : ''}${version}${release ? `-${release}` : ''}`
  const reading = item(row, 'rpm_packages', text(row.name), ['name'], full, ['version'], text(row.vendor) ?? '', 'linux')
  if (reading.kind !== 'item' || version === undefined) return reading
  const arch = text(row.arch)
  const qualifiers: Record<string, string> = {}
  if (arch) qualifiers.arch = arch
  if (hasEpoch) qualifiers.epoch = epoch
  const namespace = rpmNamespace(reading.item.vendor, distro)
  const built = { ...reading.item, sourcePackage: sourceRpmName(text(row.source)) }
  return withPurl(built, 'rpm', () => new PackageURL('rpm', namespace, reading.item.product, release ? `${version}-${release}` : version, qualifiers))
}

const rpmVendors: readonly (readonly [string, string])[] = [
  ['red hat', 'redhat'], ['fedora', 'fedora'], ['centos', 'centos'], ['suse', 'opensuse'], ['rocky', 'rocky'],
  ['alma', 'almalinux'], ['amazon', 'amzn'], ['oracle', 'oracle'],
]
const rpmDistros: ReadonlyMap<string, string> = new Map([
  ['rhel', 'redhat'], ['centos', 'centos'], ['fedora', 'fedora'], ['rocky', 'rocky'], ['almalinux', 'almalinux'],
  ['amzn', 'amzn'], ['ol', 'oracle'], ['opensuse', 'opensuse'], ['opensuse-leap', 'opensuse'], ['sles', 'opensuse'],
])

/** The purl namespace of an rpm: its vendor's distribution, else the host's; none when neither tells. */
function rpmNamespace(vendor: string, distro: string | undefined): string | undefined {
  const lower = vendor.toLowerCase()
  return rpmVendors.find(([fragment]) => lower.includes(fragment))?.[1] ?? (distro === undefined ? undefined : rpmDistros.get(distro))
}

function withPurl(item: SoftwareItem, ecosystem: string, build: () => PackageURL): RowReading {
  let purl: string | null = null
  try {
    purl = build().toString()
  } catch {
    // A name or version the purl rules refuse: the item stands without a package URL.
  }
  return { kind: 'item', source: ecosystem === 'deb' ? 'deb_packages' : 'rpm_packages', item: { ...item, ecosystem, purl } }
}

/** osquery's os_version.platform: 'windows', 'darwin', or the Linux distribution's ID. */
export function platformOf(platform: string | undefined): Platform | undefined {
  if (platform === undefined) return undefined
  const lower = platform.toLowerCase()
  if (lower === 'windows') return 'windows'
  if (lower === 'darwin') return 'macos'
  return lower.endsWith('bsd') ? undefined : 'linux'
}

function hostFacts(found: HostFacts): RowReading {
  const facts: HostFacts = {}
  for (const [key, value] of Object.entries(found) as [keyof HostFacts, HostFacts[keyof HostFacts]][]) {
    if (value !== undefined) (facts as Record<string, unknown>)[key] = value
  }
  return Object.keys(facts).length === 0 ? { kind: 'rejected', reason: 'the row has none of the host facts Cordon reads' } : { kind: 'facts', facts }
}
