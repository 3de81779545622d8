// For tests that check Cordon against a real program: make sure the program is installed.
import { execFileSync } from 'node:child_process'

function hasCommand(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/**
 * Makes sure `command` is on PATH, installing Debian's `debianPackage` with apt-get if it is not (as
 * root; the package lists are refreshed once if the first try fails). Throws with the reason when it
 * cannot: these tests compare against the real tool and must never pass without it.
 */
export function requireCommand(command: string, debianPackage: string): void {
  if (hasCommand(command)) return
  const install = () => execFileSync('apt-get', ['install', '-y', '--no-install-recommends', debianPackage], { stdio: 'pipe' })
  try {
    if (process.getuid?.() !== 0) throw new Error('not running as root')
    try {
      install()
    } catch {
      execFileSync('apt-get', ['update'], { stdio: 'pipe' })
      install()
    }
  } catch (error) {
    const detail = error instanceof Error ? error.message.split('\n')[0] : String(error)
    throw new Error(`'${command}' is missing and installing the Debian package '${debianPackage}' failed (${detail}); install it to run these tests`, { cause: error })
  }
  if (!hasCommand(command)) throw new Error(`installed '${debianPackage}' but '${command}' is still not on PATH`)
}
