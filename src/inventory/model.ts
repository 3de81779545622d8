import Type from 'typebox'
import { inventoryFormats, installSources, type InstallSource, type InventoryFormat, type Platform } from './parsers/types.js'

/** Inventory: what runs where. Endpoints, the software catalog, installations and their history. */

export const platforms: readonly Platform[] = ['windows', 'macos', 'linux', 'any']
export const endpointKinds = ['host', 'product'] as const
export type EndpointKind = (typeof endpointKinds)[number]

export interface Endpoint {
  id: string
  customerId: string
  kind: EndpointKind
  identifier: string
  hostname: string | null
  platform: Platform | null
  osName: string | null
  osVersion: string | null
  hardwareSerial: string | null
  hardwareUuid: string | null
  firstSeen: string
  lastSeen: string
  createdAt: string
  updatedAt: string
}

/** One distinct (vendor, product, version, platform[, ecosystem]): installations point here. */
export interface CatalogEntry {
  id: number
  vendor: string
  vendorKey: string
  product: string
  productKey: string
  version: string
  platform: Platform
  ecosystem: string | null
  /** For distribution packages: the source package's key, when it differs from the product's. */
  sourceKey: string | null
  purl: string | null
  cpe: string | null
  createdAt: string
}

/** A catalog entry on an endpoint as one source saw it: first and last seen, and when it went away. */
export interface Installation {
  endpointId: string
  catalogId: number
  source: InstallSource
  vendor: string
  product: string
  version: string
  platform: Platform
  ecosystem: string | null
  firstSeen: string
  lastSeen: string
  removedAt: string | null
}

export interface RejectedRow {
  file: string
  line: number
  reason: string
}

export interface ImportReport {
  id: string
  file: string
  format: InventoryFormat
  startedAt: string
  finishedAt: string
  durationMs: number
  bytes: number
  /** Installation rows and host facts taken in. */
  accepted: number
  /** Rows refused, in all; `rejections` lists the first of them. */
  rejected: number
  rejections: RejectedRow[]
  endpointsTouched: number
  endpointsCreated: number
  catalogAdded: number
  installationsRemoved: number
}

/** The catalog key: one row per distinct entry, whatever the spelling in the source. */
export function catalogKey(entry: { platform: string; ecosystem: string | null; vendorKey: string; productKey: string; version: string }): string {
  return `${entry.platform}\u001f${entry.ecosystem ?? ''}\u001f${entry.vendorKey}\u001f${entry.productKey}\u001f${entry.version}`
}

export function identifierKey(identifier: string): string {
  return identifier.trim().toLowerCase()
}

export const ImportOptionsSchema = Type.Object({
  format: Type.Optional(Type.Enum([...inventoryFormats])),
  customer: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Customer (id, external ref or name) for rows that name none.' })),
  customerField: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'osquery decoration naming the customer.' })),
  host: Type.Optional(Type.String({ minLength: 1, maxLength: 300, description: 'Host of an osqueryi array that names none.' })),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 300, description: 'File name for the report.' })),
})

export { installSources, inventoryFormats, type InstallSource, type InventoryFormat, type Platform }
