import { AppError } from '../../shared/errors.js'

/**
 * What every inventory parser produces: observations of endpoints' software, in file order,
 * in batches. Parsers are pure readers of hostile files: they never touch the database, they
 * stream (memory stays flat whatever the file size), and a file they cannot read is an
 * `ImportFileError` naming the file and line. A row that is readable but unusable (no product
 * name, say) is a `rejected` observation: reported, and the rest of the file goes on.
 */

export type Platform = 'windows' | 'macos' | 'linux' | 'any'

/** Where an installation was seen. A snapshot replaces the installed set of its own source only. */
export type InstallSource = 'programs' | 'apps' | 'deb_packages' | 'rpm_packages' | 'csv' | 'sbom'

export const installSources: readonly InstallSource[] = ['programs', 'apps', 'deb_packages', 'rpm_packages', 'csv', 'sbom']

export interface HostRef {
  /** Stable identity within its customer: osquery's hostIdentifier, the RMM device id or hostname, the SBOM's product. */
  identifier: string
  hostname?: string | undefined
  /** The customer as the file names it (id, external ref or name); resolved by the import service. */
  customerRef?: string | undefined
  /** 'host' for machines, 'product' for a software product described by an SBOM. */
  kind?: 'host' | 'product' | undefined
}

export interface SoftwareItem {
  /** As the source wrote it; '' when the source has no vendor (macOS apps, most packages). */
  vendor: string
  product: string
  version: string
  platform: Platform
  /** purl type for packages ('deb', 'rpm', 'npm', 'pypi', 'maven', 'golang', ...); null for vendor software. */
  ecosystem: string | null
  purl: string | null
  cpe: string | null
  /** Distribution packages: the source package it was built from, when the package names one. */
  sourcePackage?: string | null | undefined
}

export interface HostFacts {
  hostname?: string | undefined
  osName?: string | undefined
  osVersion?: string | undefined
  platform?: Platform | undefined
  hardwareSerial?: string | undefined
  hardwareUuid?: string | undefined
  /** Network addresses the host has (osquery interface_addresses), loopback and link-local left out. */
  addresses?: string[] | undefined
}

interface Located {
  /** 1-based line of the file where the observation starts (for JSON documents, the line of the element). */
  line: number
}

export type Observation =
  /** The full installed set of one source on one host at one time: what is missing is removed. */
  | (Located & { kind: 'snapshot'; host: HostRef; source: InstallSource; observedAt: string | null; items: SoftwareItem[] })
  /** Rows of a whole-file snapshot (CSV exports, osqueryi arrays): the import sweeps each host's source once the file is read. */
  | (Located & { kind: 'present'; host: HostRef; source: InstallSource; observedAt: string | null; items: SoftwareItem[] })
  /** Differential results: installed or uninstalled since the last run. */
  | (Located & { kind: 'added' | 'removed'; host: HostRef; source: InstallSource; observedAt: string | null; items: SoftwareItem[] })
  /** Facts about a host (os_version, system_info). */
  | (Located & { kind: 'host'; host: HostRef; observedAt: string | null; facts: HostFacts })
  /** A readable row that cannot be used; the import reports it and goes on. */
  | (Located & { kind: 'rejected'; reason: string })

export type InventoryFormat = 'osquery' | 'csv' | 'cyclonedx' | 'spdx'
export const inventoryFormats: readonly InventoryFormat[] = ['osquery', 'csv', 'cyclonedx', 'spdx']

export interface ParseOptions {
  /** The file's name as the user gave it, for messages. */
  file: string
  /** Osquery decoration field naming the customer (default: the first of customer, customer_id, cordon_customer). */
  customerField?: string | undefined
  /** CSV: the customer of every row, when the file has no customer column. Parsers only pass it through as customerRef. */
  customer?: string | undefined
  /** osqueryi arrays have no host: the host to attribute them to. */
  host?: string | undefined
  /** Longest accepted line or JSON token, in bytes (default 64 MiB). */
  maxLineBytes?: number | undefined
}

/** A file that cannot be read as its format: names the file and line (and field when known). */
export class ImportFileError extends AppError {
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly reason: string,
    options?: { cause?: unknown; field?: string },
  ) {
    const where = line === null ? file : `${file}:${line}`
    super('invalid', `${where}: ${reason}`, {
      cause: options?.cause,
      problems: [{ field: options?.field ? `${where} ${options.field}` : where, message: reason }],
    })
    this.name = 'ImportFileError'
  }
}

/** Every parser: a byte stream in, batches of observations out. */
export type InventoryParser = (input: AsyncIterable<Buffer>, options: ParseOptions) => AsyncGenerator<Observation[], void, undefined>
