// Inventory file parsers: pure streaming readers of hostile files (osquery results, RMM CSV exports,
// CycloneDX and SPDX SBOMs) that turn bytes into observations of hosts' software. They never touch
// the database and resolve no customer: names go through as the file wrote them, for the import
// service to resolve and store.
import { parseCsv } from './csv.js'
import { parseCycloneDx } from './cyclonedx.js'
import { parseOsquery } from './osquery.js'
import { parseSpdx } from './spdx.js'
import type { InventoryFormat, InventoryParser } from './types.js'

const parsers: Readonly<Record<InventoryFormat, InventoryParser>> = {
  osquery: parseOsquery,
  csv: parseCsv,
  cyclonedx: parseCycloneDx,
  spdx: parseSpdx,
}

export function parserFor(format: InventoryFormat): InventoryParser {
  return parsers[format]
}

export { csvColumns } from './csv.js'
export { detectInventoryFormat, detectionHeadBytes } from './detect.js'
export { openInput, readHead } from './input.js'
export { defaultMaxLineBytes } from './reading.js'
export { parseCsv, parseCycloneDx, parseOsquery, parseSpdx }
export { ImportFileError, installSources, inventoryFormats } from './types.js'
export type { HostFacts, HostRef, InstallSource, InventoryFormat, InventoryParser, Observation, ParseOptions, Platform, SoftwareItem } from './types.js'
