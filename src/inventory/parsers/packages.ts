// Distribution package naming that osquery rows and SBOM purls share.

/** The package name of a source rpm's file name: "openssl-3.0.7-27.el9_2.src.rpm" → "openssl". */
export function sourceRpmName(file: string | undefined): string | null {
  if (file === undefined || !file.endsWith('.src.rpm')) return null
  const parts = file.slice(0, -'.src.rpm'.length).split('-') // name-version-release: only the name may hold dashes
  return parts.length > 2 ? parts.slice(0, -2).join('-') : null
}
