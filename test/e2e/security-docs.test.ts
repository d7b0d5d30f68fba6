// docs/security.md as a newcomer follows it: every block marked `<!-- test -->` runs with
// bash in one fresh directory, in order; the `<!-- test: broker -->` block starts the broker
// in the background; `<!-- test: node -->` and `<!-- test: python -->` blocks run as files.
// The doc's ports (9092-9095) are swapped for free ones so the test can run beside others;
// `samsa` on PATH is this checkout's CLI.

import t from 'tap'
import { spawn } from 'node:child_process'
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { repoRoot, tempDir } from '../helpers/broker.ts'
import { systemPython } from '../helpers/external.ts'

interface Block { kind: 'sh' | 'broker' | 'node' | 'python', text: string }

const doc = readFileSync(join(repoRoot, 'docs/security.md'), 'utf8')
const blocks: Block[] = []
for (const m of doc.matchAll(/<!-- test(?:: (broker|node|python))? -->\n```\w+\n([\s\S]*?)```/g)) {
  blocks.push({ kind: (m[1] ?? 'sh') as Block['kind'], text: m[2]! })
}

function freePort (): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

const ports = new Map<string, number>()
for (const p of ['9092', '9093', '9094', '9095']) ports.set(p, await freePort())
const localise = (text: string): string => text.replace(/:(909[2-5])\b/g, (_m, p: string) => `:${ports.get(p)}`)

const dir = tempDir(t, 'samsa-security-docs-')
const bin = join(dir, '.bin')
mkdirSync(bin)
writeFileSync(join(bin, 'samsa'), `#!/bin/sh\nexec "${process.execPath}" "${join(repoRoot, 'src/cli/main.ts')}" "$@"\n`)
chmodSync(join(bin, 'samsa'), 0o755)
const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, NODE_PATH: join(repoRoot, 'node_modules') }

function shell (script: string): Promise<{ code: number | null, out: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => { out += d })
    child.stderr.on('data', (d: Buffer) => { out += d })
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000)
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, out }) })
  })
}

t.test('the doc has the blocks this test runs', async (t) => {
  t.same(blocks.map((b) => b.kind), ['sh', 'sh', 'broker', 'sh', 'sh', 'sh', 'node', 'python'])
})

t.test('every documented command works, in order, from a fresh directory', async (t) => {
  const outputs: string[] = []
  for (const block of blocks) {
    const text = localise(block.text)
    if (block.kind === 'broker') {
      const child = spawn('bash', ['-c', `exec ${text.trim()}`], { cwd: dir, env: { ...env, SAMSA_HTTP_PORT: '-1' }, stdio: ['ignore', 'pipe', 'pipe'] })
      t.teardown(() => { child.kill('SIGKILL') })
      let log = ''
      child.stdout.on('data', (d: Buffer) => { log += d })
      child.stderr.on('data', (d: Buffer) => { log += d })
      for (let i = 0; i < 600 && !/ready in/.test(log) && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 50))
      t.match(log, /ready in/, `the broker starts:\n${log}`)
      continue
    }
    let r: { code: number | null, out: string }
    if (block.kind === 'node') {
      // An .mjs file beside the certificates; kafkajs from this checkout.
      writeFileSync(join(dir, 'client.mjs'), text.replace("from 'kafkajs'", `from '${join(repoRoot, 'node_modules/kafkajs/index.js')}'`))
      r = await shell(`"${process.execPath}" client.mjs`)
    } else if (block.kind === 'python') {
      writeFileSync(join(dir, 'client.py'), text)
      r = await shell(`"${systemPython}" client.py`)
    } else {
      r = await shell(text)
    }
    t.equal(r.code, 0, `${block.kind} block exits 0:\n${text}\n${r.out}`)
    outputs.push(r.out)
  }
  const all = outputs.join('\n')
  t.match(all, /SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=4096, SCRAM-SHA-512=iterations=4096/)
  t.match(all, /SCRAM credential configs for user-principal 'bob' are SCRAM-SHA-512=iterations=8192/)
  t.match(outputs[2]!, /Completed updating config for user bob\.\n(?:.*\n)*alice\n?$/, '--list after deleting bob shows alice only')
  t.match(all, /Created topic orders\./)
  t.match(all, /first order/, 'kcat over SSL with the client certificate read what kcat produced over SASL_SSL')
  t.match(all, /topic "orders" with 3 partitions/, 'kcat over SASL_PLAINTEXT lists the topic')
  t.match(all, /\['first order', 'from kafkajs'\]/, 'confluent-kafka over SASL_SSL reads both records')
})
