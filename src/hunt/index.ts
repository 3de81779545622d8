// Hunt: did anyone contact the attacker, and which machines carry the known-bad files. Log hunts
// (DNS, proxy and network logs against domain, URL and address indicators) and file sweeps (hashes,
// and PE images whose signature was tampered with), their sightings attributed to customers and
// endpoints, and the customers' address ranges that attribute them.
export { createHunt, logHuntJob, type HuntService, type LogInput, type QueuedLogHunt } from './service.js'
export { huntKinds, huntStatuses, type Hunt, type StoredSighting, type SightingSummary } from './model.js'
export { logFormats, type LogFormat } from './logs/types.js'
export { huntRoutes } from './routes.js'
