// What a start loads on the main thread (docs/performance.md, "Start-up"): the HTTP side
// (fastify, prom-client) only with an HTTP listener, msgpackr only once a metadata file is
// read or written, the lz4 and snappy add-ons and node:zlib only once a batch uses them,
// node:tls only for a TLS listener. Each cost every start milliseconds to tens of them.
// The broker runs in a child process so its module graph is its own.

import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import t, { type Test } from 'tap'
import { repoRoot } from '../helpers/broker.ts'

const LAZY = ['fastify', 'prom-client', 'msgpackr', 'snappy', 'lz4-napi']
const LAZY_BUILTINS = ['tls', 'zlib']

interface Started {
  /** Packages (node_modules directory names) the main thread loaded by the time the broker was ready. */
  packages: string[]
  /** Node's own modules loaded by then, however they were asked for. */
  builtins: string[]
  httpPort: number | null
  port: number
  metrics: string | null
}

async function startInChild(t: Test, options: Record<string, unknown>): Promise<Started> {
  const dir = t.testdir({})
  const script = join(dir, 'start.mjs')
  // Sync hooks see ESM and CommonJS loads alike, unlike require.cache.
  writeFileSync(script, `
    import { registerHooks } from 'node:module'
    const loaded = new Set()
    registerHooks({ load(url, context, next) { loaded.add(url); return next(url, context) } })
    const { startBroker } = await import(${JSON.stringify(pathToFileURL(join(repoRoot, 'src/broker.ts')).href)})
    const broker = await startBroker(JSON.parse(process.argv[2]))
    const packages = [...new Set([...loaded].filter((u) => u.includes('/node_modules/')).map((u) => {
      const parts = u.split('/node_modules/').pop().split('/')
      return parts[0].startsWith('@') ? parts[0] + '/' + parts[1] : parts[0]
    }))]
    const builtins = process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length))
    let metrics = null
    if (broker.httpPort !== null) metrics = await (await fetch('http://127.0.0.1:' + broker.httpPort + '/metrics')).text()
    process.stdout.write(JSON.stringify({ packages, builtins, httpPort: broker.httpPort, port: broker.port, metrics }))
    await broker.close()
  `)
  const child = spawn(process.execPath, [script, JSON.stringify({ host: '127.0.0.1', port: 0, logLevel: 'silent', dataDir: join(dir, 'data'), ...options })], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => { out += d })
  child.stderr.on('data', (d: Buffer) => { err += d })
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  clearTimeout(timer)
  t.equal(code, 0, `child exited cleanly: ${err}`)
  return JSON.parse(out) as Started
}

t.test('without an HTTP listener, on an empty data dir, none of the lazy packages load', async (t) => {
  const s = await startInChild(t, { httpPort: -1 })
  t.ok(s.port > 0, 'the broker is listening')
  t.equal(s.httpPort, null)
  t.same(LAZY.filter((p) => s.packages.includes(p)), [], `loaded: ${s.packages.join(', ')}`)
  t.same(LAZY_BUILTINS.filter((m) => s.builtins.includes(m)), [], 'node:tls and node:zlib not loaded')
  t.ok(s.packages.includes('pino') && s.packages.includes('piscina'), 'what a start needs is seen loading (the hook works)')
  t.ok(s.builtins.includes('crypto') && s.builtins.includes('net'), 'and so are the builtins it needs')
})

t.test('with an HTTP listener, fastify and prom-client load and /metrics answers', async (t) => {
  const s = await startInChild(t, { httpPort: 0 })
  t.ok(s.httpPort !== null && s.httpPort > 0)
  t.ok(s.packages.includes('fastify'), 'fastify loaded')
  t.ok(s.packages.includes('prom-client'), 'prom-client loaded')
  t.match(s.metrics ?? '', /^kafka_brokers 1$/m, 'metrics served')
})
