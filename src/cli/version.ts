import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

let cached: string | undefined

/**
 * The version in Samsa's own package.json. Found by walking up because the
 * file sits at a different depth from src/cli (repo) and dist/src/cli (build).
 */
export function packageVersion (): string {
  if (cached !== undefined) return cached
  let dir = import.meta.dirname
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string, version?: string }
      if (pkg.name === 'samsa' && typeof pkg.version === 'string') return (cached = pkg.version)
    } catch {
      // keep walking up
    }
    const parent = dirname(dir)
    if (parent === dir) return (cached = 'unknown')
    dir = parent
  }
}
