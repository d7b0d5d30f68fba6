import { spawnSync } from 'node:child_process'
import { symlinkSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { startThenStop } from '../helpers/cli-process.ts'
import { packageVersion } from '../../src/cli/version.ts'

const root = join(import.meta.dirname, '..', '..')
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 })

t.test('node src/cli/main.ts runs as the entry script', async (t) => {
  const r = run(['src/cli/main.ts', '--version'])
  t.equal(r.status, 0)
  t.equal(r.stdout, `${packageVersion()}\n`)
})

t.test('bin/samsa.js runs main exactly once', async (t) => {
  const r = run(['bin/samsa.js', 'version'])
  t.equal(r.status, 0, r.stderr)
  t.equal(r.stdout, `${packageVersion()}\n`)
  const h = run(['bin/samsa.js', '--help'])
  t.equal(h.status, 0)
  t.equal(h.stdout.split('Usage: samsa').length, 2, 'usage printed once')
})

t.test('bin/samsa.js through a symlink, as npm installs it', async (t) => {
  const dir = t.testdir({})
  const link = join(dir, 'samsa')
  symlinkSync(join(root, 'bin', 'samsa.js'), link)
  const r = run([link, '--version'])
  t.equal(r.status, 0, r.stderr)
  t.equal(r.stdout, `${packageVersion()}\n`)
})

t.test('bin/samsa.js run as a program: its first line starts Node with the broker\'s flags', async (t) => {
  // Executed directly (not as `node bin/samsa.js`), so the kernel reads the shebang, as
  // for the `samsa` command npm installs; `node` is looked up on PATH.
  const { out, err, code } = await startThenStop(t, join(root, 'bin', 'samsa.js'), ['start', '--memory', '--host', '127.0.0.1', '--port', '0', '--http-port=-1', '--log-level', 'warn'], { cwd: root })
  t.match(out + err, /\(node v\S+ --max-semi-space-size=4\)/, 'the banner names the flag')
  t.equal(code, 0, 'stops cleanly on SIGTERM')
})

t.test('bad configuration exits 2 with one line on stderr', async (t) => {
  const r = run(['src/cli/main.ts', 'start'], { SAMSA_PORT: '70000' })
  t.equal(r.status, 2)
  t.equal(r.stderr, 'samsa: Invalid value "70000" for port (env SAMSA_PORT): expected an integer 0-65535\n')
  t.equal(r.stdout, '')
})

// End to end with the real broker: start, wait for "ready", SIGTERM, exit 0.
t.test('real broker: start and SIGTERM', async (t) => {
  const { ready, code, out, err } = await startThenStop(t, process.execPath, ['src/cli/main.ts', 'start', '--memory', '--port', '0', '--http-port', '0', '--log-level', 'silent'], { cwd: root, timeoutMs: 20_000 })
  if (!ready) {
    t.fail(`broker did not start: ${err}`)
    return
  }
  t.match(out, /^listening on 127\.0\.0\.1:\d+ \(advertised as 127\.0\.0\.1:\d+\)$/m)
  t.match(out, /^data in memory \(not persisted\)$/m)
  t.equal(code, 0, err)
  t.match(out, /shutting down…\nstopped\n$/)
})
