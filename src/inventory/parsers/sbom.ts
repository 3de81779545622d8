// What CycloneDX and SPDX documents share once read: the software item of one component or package
// (product named as its ecosystem names it, vendor, purl and CPE), the product the document describes,
// and the emitting of items as `present` observations once that product is known.
import { basename } from 'node:path'
import { PackageURL } from 'packageurl-js'
import { sourceRpmName } from './packages.js'
import { missing, quote, text } from './reading.js'
import type { HostRef, Observation, ParseOptions, Platform, SoftwareItem } from './types.js'

export interface ComponentFields {
  name: unknown
  version: unknown
  vendor: string
  /** CycloneDX's group (Maven groupId, npm scope, or an organisation for non-package components). */
  group?: unknown
  purl: unknown
  cpe: unknown
}

/** An item read from the document, or why not; `line` is the line where its element starts. */
export type Entry = ({ item: SoftwareItem } | { reason: string }) & { line: number; id?: string | undefined }

const linuxPackageTypes = new Set(['deb', 'rpm', 'apk', 'alpm'])

/** The item of a component (CycloneDX) or package (SPDX): `what` names it in reasons. */
export function sbomItem(what: 'component' | 'package', fields: ComponentFields, line: number): Entry {
  const name = text(fields.name)
  if (name === undefined) return { line, reason: `${what}: ${missing('name', fields.name)}` }
  const version = text(fields.version)
  if (version === undefined) return { line, reason: `${what} ${quote(name)}: ${missing('version', fields.version)}` }
  const purl = parsePurl(fields.purl)
  const group = text(fields.group)
  const platform: Platform = purl && linuxPackageTypes.has(purl.type) ? 'linux' : 'any'
  const item: SoftwareItem = {
    vendor: fields.vendor || (purl === undefined && group) || '',
    product: productName(name, group, purl),
    version,
    platform,
    ecosystem: purl?.type ?? null,
    purl: purl === undefined ? null : text(fields.purl)!,
    cpe: text(fields.cpe) ?? null,
  }
  if (purl && linuxPackageTypes.has(purl.type)) item.sourcePackage = sourcePackageOf(purl)
  return { line, item }
}

/** The source package a distribution package's purl names in its `upstream` qualifier (as syft writes it), else null. */
function sourcePackageOf(purl: PackageURL): string | null {
  const upstream = text(purl.qualifiers?.upstream)?.split('@')[0]
  if (upstream === undefined) return null
  return upstream.endsWith('.src.rpm') ? sourceRpmName(upstream) : upstream
}

function parsePurl(value: unknown): PackageURL | undefined {
  const purl = text(value)
  if (purl === undefined || purl.length > 4096) return undefined
  try {
    return PackageURL.fromString(purl)
  } catch {
    return undefined // an unparseable purl is dropped; the component still stands by name and version
  }
}

/** The name the ecosystem knows the package by: Maven's group:artifact, npm's @scope/name. */
function productName(name: string, group: string | undefined, purl: PackageURL | undefined): string {
  const namespace = purl?.namespace ?? group
  if (purl?.type === 'maven' && namespace && !name.includes(':')) return `${namespace}:${name}`
  if (purl?.type === 'npm' && namespace && !name.includes('/')) return `${namespace.startsWith('@') ? namespace : `@${namespace}`}/${name}`
  return name
}

/** The described product as a host: `<name>@<version>`, or the file's name when the document names none. */
export function productHost(name: unknown, version: unknown, options: ParseOptions): HostRef {
  const product = text(name)
  const release = text(version)
  const identifier = product === undefined ? basename(options.file) : release === undefined ? product : `${product}@${release}`
  return { identifier, customerRef: options.customer, kind: 'product' }
}

/**
 * Items wait here until the document has said which product it describes (CycloneDX's metadata,
 * SPDX's DESCRIBES), which it may do after them; once it has, each chunk's items go straight out.
 */
export class ProductItems {
  private waiting: Entry[] = []
  private host: HostRef | undefined
  private observedAt: string | null = null
  private product: string | undefined

  get described(): boolean {
    return this.host !== undefined
  }

  /** The product is known; `product` is the id of its own entry, if it has one among the items (SPDX). */
  describe(host: HostRef, observedAt: string | null, product?: string): void {
    this.host = host
    this.observedAt = observedAt
    this.product = product
  }

  add(entry: Entry): void {
    this.waiting.push(entry)
  }

  /** The entries read so far, to choose the product among (SPDX), leaving none waiting. */
  take(): Entry[] {
    const waiting = this.waiting
    this.waiting = []
    return waiting
  }

  /** The waiting entries as observations, once the product is known. */
  *drain(): Generator<Observation, void, undefined> {
    const host = this.host
    if (host === undefined) return
    for (const entry of this.take()) {
      if (entry.id !== undefined && entry.id === this.product) continue
      if ('reason' in entry) yield { kind: 'rejected', line: entry.line, reason: entry.reason }
      else yield { kind: 'present', line: entry.line, host, source: 'sbom', observedAt: this.observedAt, items: [entry.item] }
    }
  }
}
