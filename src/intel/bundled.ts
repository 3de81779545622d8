import { contentHash } from './formats/parsed.js'
import advisory3cx from './bundled/3cx-desktopapp-2023-03.json' with { type: 'json' }

/**
 * The advisories that ship with Cordon, in its own format, loaded at start. Imported as JSON
 * modules so that the compiler copies them into the build and nothing is read from disk at run time.
 */
export interface BundledAdvisory {
  /** The file's name, for reports. */
  name: string
  /** The advisory's own id. */
  id: string
  content: unknown
  contentHash: string
}

export const bundledAdvisories: readonly BundledAdvisory[] = [advisory3cx].map((content, i) => ({
  name: ['3cx-desktopapp-2023-03.json'][i]!,
  id: content.id,
  content,
  contentHash: contentHash(content),
}))
