import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'

const root = join(import.meta.dirname, '..', '..')
const entrypoint = join(root, 'docker', 'entrypoint.sh')

// A stand-in for `node` on PATH: records what the entrypoint exec'd.
const STUB = `#!/bin/sh
for a in "$@"; do printf 'ARG %s\\n' "$a"; done
env | grep -E '^SAMSA_' | sort | sed 's/^/ENV /'
`

interface Result { status: number | null, args: string[], env: Record<string, string>, stdout: string, stderr: string }

// Shared across tests: t.testdir() is one directory per test, which the
// tests themselves need for their own fixtures.
const scratch = mkdtempSync(join(tmpdir(), 'samsa-entrypoint-'))
t.teardown(() => rmSync(scratch, { recursive: true, force: true }))
mkdirSync(join(scratch, 'bin'))
writeFileSync(join(scratch, 'bin', 'node'), STUB)
chmodSync(join(scratch, 'bin', 'node'), 0o755)

function runEntrypoint (_t: Test, args: string[], env: Record<string, string> = {}): Result {
  const data = mkdtempSync(join(scratch, 'data-'))
  const r = spawnSync('sh', [entrypoint, ...args], {
    encoding: 'utf8',
    timeout: 10_000,
    // A clean environment: only what a container would have plus the test's vars.
    env: { PATH: `${join(scratch, 'bin')}:/usr/bin:/bin`, HOME: scratch, SAMSA_DATA_DIR: data, ...env }
  })
  const lines = r.stdout.split('\n')
  return {
    status: r.status,
    args: lines.filter((l) => l.startsWith('ARG ')).map((l) => l.slice(4)),
    env: Object.fromEntries(lines.filter((l) => l.startsWith('ENV ')).map((l) => {
      const kv = l.slice(4)
      const eq = kv.indexOf('=')
      return [kv.slice(0, eq), kv.slice(eq + 1)]
    })),
    stdout: r.stdout,
    stderr: r.stderr
  }
}

// The entrypoint runs node with the flags bin/samsa.js's own first line carries.
const samsaJs = join(root, 'bin', 'samsa.js')
const NODE_FLAGS = ['--max-semi-space-size=4']

t.test('is a POSIX sh script that parses and is executable', async (t) => {
  const r = spawnSync('sh', ['-n', entrypoint], { encoding: 'utf8' })
  t.equal(r.status, 0, r.stderr)
  t.ok(statSync(entrypoint).mode & 0o111, 'executable bit set')
  t.match(readFirstLine(entrypoint), /^#!\/bin\/sh$/)
})

function readFirstLine (path: string): string {
  return spawnSync('head', ['-n1', path], { encoding: 'utf8' }).stdout.trim()
}

t.test('default: exec node bin/samsa.js start, advertised host localhost', async (t) => {
  const r = runEntrypoint(t, ['start'])
  t.equal(r.status, 0, r.stderr)
  t.same(r.args, [...NODE_FLAGS, samsaJs, 'start'])
  t.equal(r.env.SAMSA_ADVERTISED_HOST, 'localhost')
})

t.test('no arguments means start; flags alone get start prepended', async (t) => {
  t.same(runEntrypoint(t, []).args, [...NODE_FLAGS, samsaJs, 'start'])
  t.same(runEntrypoint(t, ['--port', '9093', '--log-level', 'debug']).args, [...NODE_FLAGS, samsaJs, 'start', '--port', '9093', '--log-level', 'debug'])
  t.same(runEntrypoint(t, ['help']).args, [...NODE_FLAGS, samsaJs, 'help'])
  t.same(runEntrypoint(t, ['version']).args, [...NODE_FLAGS, samsaJs, 'version'])
})

t.test('any other command runs as-is (debugging the image)', async (t) => {
  const r = runEntrypoint(t, ['sh', '-c', 'echo custom-command'])
  t.equal(r.status, 0)
  t.equal(r.stdout, 'custom-command\n')
  t.same(r.args, [])
})

t.test('arguments with spaces survive', async (t) => {
  const r = runEntrypoint(t, ['start', '--set', 'log.cleanup.policy=compact, delete'])
  t.same(r.args, [...NODE_FLAGS, samsaJs, 'start', '--set', 'log.cleanup.policy=compact, delete'])
})

t.test('advertised host: SAMSA_ > KAFKA_ADVERTISED_HOST > advertised listeners > localhost', async (t) => {
  t.equal(runEntrypoint(t, [], { SAMSA_ADVERTISED_HOST: 'samsa', KAFKA_ADVERTISED_HOST: 'kafka' }).env.SAMSA_ADVERTISED_HOST, 'samsa')
  t.equal(runEntrypoint(t, [], { KAFKA_ADVERTISED_HOST: 'kafka' }).env.SAMSA_ADVERTISED_HOST, 'kafka')
  t.equal(runEntrypoint(t, [], { KAFKA_ADVERTISED_HOST_NAME: 'legacy' }).env.SAMSA_ADVERTISED_HOST, 'legacy')
  const l = runEntrypoint(t, [], { KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://broker:29092' })
  t.equal(l.env.SAMSA_ADVERTISED_HOST, 'broker')
  t.equal(l.env.SAMSA_ADVERTISED_PORT, '29092')
  const keep = runEntrypoint(t, [], { SAMSA_ADVERTISED_LISTENERS: 'PLAINTEXT://broker:29092', SAMSA_ADVERTISED_PORT: '1' })
  t.equal(keep.env.SAMSA_ADVERTISED_PORT, '1', 'an explicit advertised port wins')
})

t.test('listeners are parsed into host and port', async (t) => {
  const cases: Array<[string, string, string]> = [
    ['PLAINTEXT://0.0.0.0:19092', '0.0.0.0', '19092'],
    ['PLAINTEXT://:9093', '0.0.0.0', '9093'],
    ['PLAINTEXT://[::]:9094', '::', '9094'],
    ['127.0.0.1:9095', '127.0.0.1', '9095']
  ]
  for (const [value, host, port] of cases) {
    const r = runEntrypoint(t, [], { SAMSA_LISTENERS: value, SAMSA_HOST: '0.0.0.0', SAMSA_PORT: '9092' })
    t.equal(r.status, 0, r.stderr)
    t.equal(r.env.SAMSA_HOST, host, value)
    t.equal(r.env.SAMSA_PORT, port, value)
  }
  t.equal(runEntrypoint(t, [], { KAFKA_LISTENERS: 'PLAINTEXT://:9096' }).env.SAMSA_PORT, '9096')
})

t.test('unsupported listeners fail with a message and do not start', async (t) => {
  for (const value of ['SSL://:9093', 'PLAINTEXT://:9092,CONTROLLER://:9093', 'PLAINTEXT://host', 'PLAINTEXT://h:port']) {
    const r = runEntrypoint(t, [], { SAMSA_LISTENERS: value })
    t.equal(r.status, 1, value)
    t.match(r.stderr, /^samsa: LISTENERS=/, value)
    t.same(r.args, [], 'node not started')
  }
})

t.test('unwritable data dir: clear error, exit 1, broker not started', async (t) => {
  const dir = t.testdir({ 'a-file': 'x' })
  // A path below a regular file can never be created, even by root.
  const bad = join(dir, 'a-file', 'data')
  const r = runEntrypoint(t, ['start'], { SAMSA_DATA_DIR: bad })
  t.equal(r.status, 1)
  t.match(r.stderr, `samsa: data directory ${bad} is not writable by uid`)
  t.match(r.stderr, /chown -R/)
  t.match(r.stderr, /SAMSA_MEMORY=true/)
  t.same(r.args, [])
})

t.test('data dir check follows --data-dir and is skipped for memory mode and help', async (t) => {
  const dir = t.testdir({ 'a-file': 'x', ok: {} })
  const bad = join(dir, 'a-file', 'data')
  t.equal(runEntrypoint(t, ['start'], { SAMSA_DATA_DIR: bad, SAMSA_MEMORY: 'true' }).status, 0)
  t.equal(runEntrypoint(t, ['start', '--memory'], { SAMSA_DATA_DIR: bad }).status, 0)
  t.equal(runEntrypoint(t, ['help'], { SAMSA_DATA_DIR: bad }).status, 0)
  t.equal(runEntrypoint(t, ['start', '--data-dir', join(dir, 'ok')], { SAMSA_DATA_DIR: bad }).status, 0)
  t.equal(runEntrypoint(t, ['start', `--data-dir=${join(dir, 'ok')}`], { SAMSA_DATA_DIR: bad }).status, 0)
  t.equal(runEntrypoint(t, ['start', '--data-dir', bad]).status, 1)
  t.same(readdirSync(join(dir, 'ok')), [], 'write probe cleaned up')
})

t.test('a missing data dir is created', async (t) => {
  const dir = t.testdir({})
  const fresh = join(dir, 'new', 'data')
  t.equal(runEntrypoint(t, ['start'], { SAMSA_DATA_DIR: fresh }).status, 0)
  t.ok(existsSync(fresh))
})

t.test('the stub really stands in for node', async (t) => {
  // Guards the harness: without the stub on PATH the assertions above would be vacuous.
  const r = runEntrypoint(t, ['version'])
  t.equal(r.status, 0)
  t.same(r.args, [...NODE_FLAGS, samsaJs, 'version'])
  t.ok(r.env.SAMSA_DATA_DIR?.startsWith(scratch))
})
