// Inventory: what runs where. Endpoints (hosts, and products described by SBOMs), the software
// catalog (each distinct vendor/product/version/platform once) and installations with their
// history, fed by streaming importers (osquery, RMM CSV, CycloneDX, SPDX). Followers (exposure
// matching) run inside each import's transaction.
export { createInventory, type Inventory, type InventoryChange, type ImportFollower, type ImportInput } from './service.js'
export {
  endpointKinds,
  installSources,
  inventoryFormats,
  platforms,
  type CatalogEntry,
  type Endpoint,
  type EndpointKind,
  type ImportReport,
  type Installation,
  type InstallSource,
  type InventoryFormat,
  type Platform,
  type RejectedRow,
} from './model.js'
export { inventoryRoutes } from './routes.js'
