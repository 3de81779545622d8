// Versions: pure rules about software identity and version order. Name normalisation shared by
// the catalog and the advisories; version schemes (semver, dotted-numeric, Debian, RPM) and
// OSV-style ranges. No I/O, no database.
export { compareVersions, isValidVersion, versionSchemes, type VersionScheme } from './compare.js'
export { ecosystemFromOsv, schemeForEcosystem } from './ecosystems.js'
export { productKey, tidyVersion, vendorKey } from './names.js'
export { inRange, isAffected, type RangeEvent, type VersionRange } from './ranges.js'
