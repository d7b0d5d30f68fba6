// V8's code cache on disk for the CLI process (Node's module compile cache): a start
// then deserialises the compiled broker modules instead of parsing and compiling them
// again (~90 ms of a ~400 ms start, measured on the compiled build). Only the CLI turns
// it on; an embedding application decides for its own process.
//
// The cache lives where Node puts it by default, `<os.tmpdir()>/node-compile-cache`
// (keyed by Node version and file contents, so an upgrade or edited file just misses),
// unless NODE_COMPILE_CACHE names another place or NODE_DISABLE_COMPILE_CACHE=1 turns it
// off; both are Node's own switches. A directory that cannot be created or written only
// costs the speed-up: enableCompileCache reports that instead of throwing, and anything
// else it throws is swallowed here, because a cache must never stop a broker.

import module from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** The cache directory in use, or null when it is off or could not be set up. */
export function enableCompileCache(env: NodeJS.ProcessEnv = process.env): string | null {
  try {
    if (env.NODE_COMPILE_CACHE !== undefined && env.NODE_COMPILE_CACHE !== '') {
      // Node enabled it at boot from the variable, and worker threads inherit the variable.
      return module.getCompileCacheDir() ?? null
    }
    const dir = join(tmpdir(), 'node-compile-cache')
    const result = module.enableCompileCache(dir)
    if (result.status !== module.constants.compileCacheStatus.ENABLED && result.status !== module.constants.compileCacheStatus.ALREADY_ENABLED) return null
    // Worker threads (the shards) do not share the main thread's cache setting; they read
    // the variable when they boot, before their own modules load.
    env.NODE_COMPILE_CACHE = dir
    return result.directory ?? dir
  } catch {
    return null
  }
}
