// The CLI turns on Node's module compile cache (src/cli/compile-cache.ts): under
// os.tmpdir() by default, and a place it cannot use never stops the broker.

import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { startThenStop, type CliRun } from '../helpers/cli-process.ts'

const root = join(import.meta.dirname, '..', '..')

/** Starts `samsa start --memory`, waits for its ready line, stops it with SIGTERM. */
async function startAndStop(t: Test, env: Record<string, string>): Promise<CliRun> {
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env }
  // `npm test` points NODE_COMPILE_CACHE at node_modules/.cache: these runs decide themselves.
  if (env.NODE_COMPILE_CACHE === undefined) delete childEnv.NODE_COMPILE_CACHE
  return startThenStop(t, process.execPath, ['src/cli/main.ts', 'start', '--memory', '--port', '0', '--http-port=-1', '--log-level', 'silent'], { cwd: root, env: childEnv })
}

function cacheEntries(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
}

t.test('the cache goes under os.tmpdir() by default', async (t) => {
  const tmp = t.testdir({})
  const r = await startAndStop(t, { TMPDIR: tmp })
  t.match(r.out, /ready in \d+ ms/, r.err)
  t.equal(r.code, 0, r.err)
  t.ok(cacheEntries(join(tmp, 'node-compile-cache')).length > 0, 'compiled modules cached in <tmpdir>/node-compile-cache')
})

t.test('NODE_COMPILE_CACHE chooses the place, NODE_DISABLE_COMPILE_CACHE turns it off', async (t) => {
  const tmp = t.testdir({ chosen: {}, tmp: {} })
  const chosen = await startAndStop(t, { TMPDIR: join(tmp, 'tmp'), NODE_COMPILE_CACHE: join(tmp, 'chosen') })
  t.equal(chosen.code, 0, chosen.err)
  t.ok(cacheEntries(join(tmp, 'chosen')).length > 0, 'cached where NODE_COMPILE_CACHE says')
  t.same(cacheEntries(join(tmp, 'tmp')), [], 'and not under the temp dir')

  const off = await startAndStop(t, { TMPDIR: join(tmp, 'tmp'), NODE_DISABLE_COMPILE_CACHE: '1' })
  t.equal(off.code, 0, off.err)
  t.same(cacheEntries(join(tmp, 'tmp')), [], 'nothing cached')
})

t.test('a temp dir that cannot hold the cache does not stop the broker', async (t) => {
  const dir = t.testdir({})
  // A regular file where the temp dir should be: the cache directory cannot be created.
  const notADir = join(dir, 'not-a-dir')
  writeFileSync(notADir, '')
  const r = await startAndStop(t, { TMPDIR: notADir })
  t.match(r.out, /ready in \d+ ms/, r.err)
  t.equal(r.code, 0, r.err)
  t.equal(r.err, '', 'and says nothing about it')
})
