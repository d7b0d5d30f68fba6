// A/B comparison of two checkouts in one run, alternating so machine noise hits both:
// how the before/after figures in docs/performance.md were measured.
//   git archive HEAD | tar -x -C /tmp/base && ln -s $PWD/node_modules /tmp/base/
//   [AB_THIS=DIR] node bench/ab.ts --base /tmp/base [--case produce|fetch|durable|latency] [--rounds 3] [--compression 0-4]

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { KafkaConn, createTopic } from './lib/wire.ts'
import { runProduce } from './load/produce.ts'
import { runFetch } from './load/fetch.ts'
import { runLatency, percentiles } from './load/latency.ts'
import { cpuMeter, repoRoot, spawnBroker } from './lib/proc.ts'

const { values } = parseArgs({ options: { base: { type: 'string' }, case: { type: 'string' }, rounds: { type: 'string' }, seconds: { type: 'string' }, compression: { type: 'string' } } })
if (values.base === undefined) {
  process.stderr.write('usage: node bench/ab.ts --base DIR [--case produce|fetch|durable|latency] [--rounds 3] [--seconds 4] [--compression 0-4]\n')
  process.exit(2)
}
const which = values.case ?? 'produce'
const rounds = Number(values.rounds ?? 3)
const ms = Number(values.seconds ?? 4) * 1000
const compression = Number(values.compression ?? 0)
const trees = [{ name: 'base', root: values.base }, { name: 'this', root: process.env.AB_THIS ?? repoRoot }]
const figures = new Map<string, number[]>(trees.map((t) => [t.name, []]))
const cores = new Map<string, number[]>(trees.map((t) => [t.name, []]))

async function once(root: string): Promise<{ value: number; cores: number }> {
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

for (let i = 0; i < rounds; i++) {
  for (const t of i % 2 === 0 ? trees : [...trees].reverse()) {
    const r = await once(t.root)
    figures.get(t.name)!.push(r.value)
    cores.get(t.name)!.push(r.cores)
    process.stderr.write(`round ${i + 1} ${t.name}: ${r.value.toFixed(1)} ${which === 'latency' ? 'ms p99' : 'MB/s'} (broker ${r.cores.toFixed(2)} cores)\n`)
  }
}
for (const t of trees) {
  const f = figures.get(t.name)!
  process.stdout.write(`${which} ${t.name}: median ${percentiles(f).p50.toFixed(1)} (${f.map((x) => x.toFixed(1)).join(', ')}), broker cores ${percentiles(cores.get(t.name)!).p50.toFixed(2)}\n`)
}
