// A/B comparison of two checkouts in one run, alternating so machine noise hits both:
// how the before/after figures in docs/performance.md were measured.
//   git archive HEAD | tar -x -C /tmp/base && ln -s $PWD/node_modules /tmp/base/
//   [AB_THIS=DIR] node bench/ab.ts --base /tmp/base [--case produce|fetch|durable|latency|startup] [--rounds 3] [--compression 0-4]
// `startup` compiles each tree (as the bench kit's compiled build) and times start to ready
// on an empty data dir, HTTP off, against a bare `node -e 0` timed in the same round; the
// first three rounds also read the resident memory 1.5 s after ready.

import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { KafkaConn, createTopic } from './lib/wire.ts'
import { runProduce } from './load/produce.ts'
import { runFetch } from './load/fetch.ts'
import { runLatency, percentiles } from './load/latency.ts'
import { cpuMeter, repoRoot, rssBytes, spawnBroker, timeProcess } from './lib/proc.ts'

const { values } = parseArgs({ options: { base: { type: 'string' }, case: { type: 'string' }, rounds: { type: 'string' }, seconds: { type: 'string' }, compression: { type: 'string' } } })
if (values.base === undefined) {
  process.stderr.write('usage: node bench/ab.ts --base DIR [--case produce|fetch|durable|latency|startup] [--rounds 3] [--seconds 4] [--compression 0-4]\n')
  process.exit(2)
}
const which = values.case ?? 'produce'
const rounds = Number(values.rounds ?? 3)
const ms = Number(values.seconds ?? 4) * 1000
const compression = Number(values.compression ?? 0)
const trees = [{ name: 'base', root: values.base }, { name: 'this', root: process.env.AB_THIS ?? repoRoot }]
const figures = new Map<string, number[]>(trees.map((t) => [t.name, []]))
const cores = new Map<string, number[]>(trees.map((t) => [t.name, []]))

// startup: each tree's compiled build (tsc into a temp dir, with its package.json and node_modules beside it).
const compiled = new Map<string, string>()
const rss = new Map<string, number[]>(trees.map((t) => [t.name, []]))
const bare: number[] = []
if (which === 'startup') {
  for (const t of trees) {
    const dir = mkdtempSync(join(tmpdir(), `samsa-ab-build-${t.name}-`))
    execFileSync(join(repoRoot, 'node_modules/.bin/tsc'), ['-p', join(t.root, 'tsconfig.build.json'), '--outDir', dir], { cwd: t.root, stdio: 'inherit' })
    copyFileSync(join(t.root, 'package.json'), join(dir, 'package.json'))
    symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'))
    compiled.set(t.root, dir)
  }
  process.on('exit', () => { for (const dir of compiled.values()) rmSync(dir, { recursive: true, force: true }) })
}

async function startOnce(root: string, round: number): Promise<{ value: number; cores: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-ab-'))
  try {
    const b = await spawnBroker({ build: 'compiled', compiledDir: compiled.get(root)!, dataDir })
    if (round < 3) {
      await new Promise((resolve) => setTimeout(resolve, 1500))
      rss.get(trees.find((t) => t.root === root)!.name)!.push((rssBytes(b.pid) ?? 0) / 1e6)
    }
    await b.stop()
    return { value: b.startMs, cores: 0 }
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}

async function once(root: string, round: number): Promise<{ value: number; cores: number }> {
  if (which === 'startup') return startOnce(root, round)
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-ab-'))
  const fsync = which === 'durable' ? 'always' : 'interval'
  const b = await spawnBroker({ build: 'source', root, dataDir, fsync })
  try {
    const conn = await KafkaConn.open(b.port)
    await createTopic(conn, 'ab', 8)
    conn.close()
    const load = { port: b.port, topic: 'ab', partitions: 8, recordSize: 1024, recordsPerBatch: 16, connections: 1, inFlight: 8, compression }
    if (which === 'latency') {
      const r = await runLatency({ ...load, rate: 30_000, acks: 1, durationMs: ms })
      return { value: r.latencyMs.p99, cores: 0 }
    }
    if (which === 'fetch') {
      await runProduce({ ...load, acks: 1, durationMs: 600_000, maxRequests: 256, partitionsPerRequest: 8 })
      const cpu = cpuMeter(b.pid)
      const r = await runFetch({ port: b.port, topic: 'ab', partitions: 8, connections: 1, durationMs: 60_000 })
      return { value: r.wireMbPerSec, cores: cpu.stop().cores }
    }
    const cpu = cpuMeter(b.pid)
    const r = await runProduce({ ...load, acks: which === 'durable' ? -1 : 1, durationMs: ms })
    return { value: which === 'durable' ? r.mbPerSec : r.wireMbPerSec, cores: cpu.stop().cores }
  } finally {
    await b.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

if (which === 'startup') for (const t of trees) await startOnce(t.root, rounds) // warm the page cache and the compile cache
for (let i = 0; i < rounds; i++) {
  if (which === 'startup') bare.push(await timeProcess(['-e', '0']))
  for (const t of i % 2 === 0 ? trees : [...trees].reverse()) {
    const r = await once(t.root, i)
    figures.get(t.name)!.push(r.value)
    cores.get(t.name)!.push(r.cores)
    process.stderr.write(`round ${i + 1} ${t.name}: ${r.value.toFixed(1)} ${which === 'latency' || which === 'startup' ? 'ms' : 'MB/s'}${which === 'startup' ? '' : ` (broker ${r.cores.toFixed(2)} cores)`}\n`)
  }
}
for (const t of trees) {
  const f = figures.get(t.name)!
  if (which === 'startup') {
    const start = percentiles(f).p50
    const node = percentiles(bare).p50
    process.stdout.write(`startup ${t.name}: median ${start.toFixed(1)} ms = ${(start / node).toFixed(2)}× node -e 0 (${node.toFixed(1)} ms) (${f.map((x) => x.toFixed(0)).join(', ')}), idle RSS median ${percentiles(rss.get(t.name)!).p50.toFixed(1)} MB\n`)
    continue
  }
  process.stdout.write(`${which} ${t.name}: median ${percentiles(f).p50.toFixed(1)} (${f.map((x) => x.toFixed(1)).join(', ')}), broker cores ${percentiles(cores.get(t.name)!).p50.toFixed(2)}\n`)
}
