// Start-up, memory and recovery, measured on broker child processes so their figures are
// their own: start to ready (empty data dir, and 1000 partitions holding data) against a
// bare `node -e 0` timed in the same run; resident memory idle, with 1000 idle
// partitions (under load comes from the produce runs); time to ready after a kill -9
// with 1 GiB of data that was never flushed (so all of it is rescanned).

import { mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { KafkaConn, createTopic } from '../lib/wire.ts'
import { runProduce } from '../load/produce.ts'
import { rssBytes, spawnBroker, timeProcess, type BrokerBuild } from '../lib/proc.ts'
import { addBaseline, addResult, addTarget, fmt, type SuiteContext } from '../lib/result.ts'
import { percentiles } from '../load/latency.ts'

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

function median(xs: number[]): number {
  return percentiles(xs).p50
}

function builds(ctx: SuiteContext): BrokerBuild[] {
  return ctx.compiledDir === null ? ['source'] : ['compiled', 'source']
}

export async function startupSuite(ctx: SuiteContext): Promise<void> {
  const n = ctx.mode === 'test' ? 1 : 5
  ctx.progress.step(`start-up: bare node -e 0 × ${n}`)
  const bare: number[] = []
  await timeProcess(['-e', '0'])
  for (let i = 0; i < n; i++) bare.push(await timeProcess(['-e', '0']))
  const base = addBaseline(ctx, {
    id: 'node-e-0', suite: 'startup', title: 'bare node -e 0 (spawn to exit)', durability: { acks: null, fsync: 'n/a', storage: 'n/a' },
    settings: { runs: n }, value: median(bare), unit: 'ms', metrics: { min: Math.min(...bare), max: Math.max(...bare) }, backgroundCores: null,
  })
  for (const build of builds(ctx)) {
    ctx.progress.step(`start-up: broker (${build}), empty data dir × ${n}`)
    const times: number[] = []
    const reported: number[] = []
    const idle: number[] = []
    for (let i = 0; i < n; i++) {
      const dataDir = mkdtempSync(join(ctx.scratch, 'samsa-bench-start-'))
      try {
        const b = await spawnBroker({ build, compiledDir: ctx.compiledDir ?? undefined, dataDir })
        times.push(b.startMs)
        reported.push(b.reportedReadyMs)
        if (i === 0) {
          await sleep(1500)
          idle.push(rssBytes(b.pid) ?? 0)
        }
        await b.stop()
      } finally {
        rmSync(dataDir, { recursive: true, force: true })
      }
    }
    const row = addResult(ctx, {
      id: `startup/${build}/empty`, suite: 'startup', title: `start to ready, ${build} build, empty data dir`, durability: { acks: null, fsync: 'interval', storage: 'disk' },
      settings: { build, runs: n }, value: median(times), unit: 'ms', metrics: { min: Math.min(...times), max: Math.max(...times), cliReportedReadyMs: median(reported) },
      baseline: base, ratioKind: 'times-baseline', backgroundCores: null,
    })
    addResult(ctx, {
      id: `memory/${build}/idle`, suite: 'memory', title: `resident memory idle, ${build} build`, durability: { acks: null, fsync: 'interval', storage: 'disk' },
      settings: { build, shards: 'default' }, value: idle[0]! / 1e6, unit: 'MB', metrics: {}, baseline: null, backgroundCores: null,
    })
    if (build === builds(ctx)[0]) {
      addTarget(ctx, {
        id: 'start-vs-node', target: `start to ready ≤ 3× bare node -e 0 (${build} build, empty data dir)`,
        measured: `${fmt(row.value)} ms = ${fmt(row.ratio ?? 0)}× node -e 0 (${fmt(base.value)} ms)`, met: row.ratio === null ? null : row.ratio <= 3, note: '',
      })
      addTarget(ctx, { id: 'memory-idle', target: 'RSS idle < 80 MB', measured: `${fmt(idle[0]! / 1e6)} MB (${build} build)`, met: idle[0]! / 1e6 < 80, note: '' })
    }
  }
}

async function produceInto(port: number, topic: string, partitions: number, requests: number, batchRecords: number): Promise<number> {
  const r = await runProduce({ port, topic, partitions, partitionsPerRequest: Math.min(partitions, 100), recordSize: 1024, recordsPerBatch: batchRecords, connections: 1, inFlight: 4, acks: 1, compression: 0, durationMs: 30 * 60_000, maxRequests: requests })
  if (r.errors > 0) throw new Error(`produce failed: ${r.firstError}`)
  return r.batchBytes
}

/** 1000 partitions: RSS idle with them open, then start time of a broker whose 1000 partitions hold data. */
export async function partitionsMemorySuite(ctx: SuiteContext): Promise<void> {
  const build = builds(ctx)[0]!
  const partitions = ctx.mode === 'test' ? 20 : 1000
  const dataDir = mkdtempSync(join(ctx.scratch, 'samsa-bench-1000-'))
  try {
    ctx.progress.step(`memory: ${partitions} idle partitions (${build} build)`)
    let b = await spawnBroker({ build, compiledDir: ctx.compiledDir ?? undefined, dataDir })
    const conn = await KafkaConn.open(b.port)
    await createTopic(conn, 'many', partitions)
    conn.close()
    await sleep(2000)
    const rss = rssBytes(b.pid) ?? 0
    addResult(ctx, {
      id: `memory/${build}/partitions`, suite: 'memory', title: `resident memory, ${partitions} idle partitions, ${build} build`, durability: { acks: null, fsync: 'interval', storage: 'disk' },
      settings: { build, partitions }, value: rss / 1e6, unit: 'MB', metrics: {}, baseline: null, backgroundCores: null,
    })
    addTarget(ctx, { id: 'memory-1000-partitions', target: 'RSS with 1000 idle partitions < 200 MB', measured: `${fmt(rss / 1e6)} MB with ${partitions} partitions (${build} build)`, met: partitions === 1000 ? rss / 1e6 < 200 : null, note: '' })

    ctx.progress.step(`start-up: ${partitions} partitions holding data (${build} build)`)
    // 4 batches of 16 × 1 KiB per partition: 64 KiB each, 64 MiB in all.
    const bytes = await produceInto(b.port, 'many', partitions, Math.ceil((partitions * 4) / Math.min(partitions, 100)), 16)
    await b.stop()
    const times: number[] = []
    for (let i = 0; i < (ctx.mode === 'test' ? 1 : 3); i++) {
      b = await spawnBroker({ build, compiledDir: ctx.compiledDir ?? undefined, dataDir })
      times.push(b.startMs)
      if (i === 0) {
        await sleep(1000)
        const rssData = rssBytes(b.pid) ?? 0
        addResult(ctx, {
          id: `memory/${build}/partitions-with-data`, suite: 'memory', title: `resident memory after restart, ${partitions} partitions with data`, durability: { acks: null, fsync: 'interval', storage: 'disk' },
          settings: { build, partitions, bytes }, value: rssData / 1e6, unit: 'MB', metrics: {}, baseline: null, backgroundCores: null,
        })
      }
      await b.stop()
    }
    const bare = ctx.run.baselines.find((x) => x.id === 'node-e-0')
    addResult(ctx, {
      id: `startup/${build}/partitions`, suite: 'startup', title: `start to ready, ${partitions} partitions holding ${fmt(bytes / 1024 ** 2)} MiB (clean shutdown)`, durability: { acks: null, fsync: 'interval', storage: 'disk' },
      settings: { build, partitions, bytes }, value: median(times), unit: 'ms', metrics: { min: Math.min(...times), max: Math.max(...times) },
      baseline: bare === undefined ? null : { id: bare.id, name: bare.title, value: bare.value, unit: bare.unit }, ratioKind: 'times-baseline', backgroundCores: null,
    })
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}

/** kill -9 with 1 GiB that was never fsynced (--fsync never: no recovery point moves), then time the next start. */
export async function recoverySuite(ctx: SuiteContext): Promise<void> {
  const build = builds(ctx)[0]!
  const total = ctx.mode === 'full' ? 1024 ** 3 : ctx.mode === 'quick' ? 128 * 1024 ** 2 : 8 * 1024 ** 2
  const dataDir = mkdtempSync(join(ctx.scratch, 'samsa-bench-crash-'))
  try {
    ctx.progress.step(`recovery: writing ${fmt(total / 1024 ** 2)} MiB, then kill -9`)
    let b = await spawnBroker({ build, compiledDir: ctx.compiledDir ?? undefined, dataDir, fsync: 'never' })
    const conn = await KafkaConn.open(b.port)
    await createTopic(conn, 'crash', 8)
    conn.close()
    const batch = 16 * 1024
    const bytes = await produceInto(b.port, 'crash', 8, Math.ceil(total / batch / 8), 16)
    await b.kill()
    ctx.progress.step(`recovery: restart after kill -9 with ${fmt(bytes / 1024 ** 2)} MiB to rescan`)
    b = await spawnBroker({ build, compiledDir: ctx.compiledDir ?? undefined, dataDir, fsync: 'never' }, 30 * 60_000)
    const ms = b.startMs
    const reported = b.reportedReadyMs
    await b.stop()
    const bare = ctx.run.baselines.find((x) => x.id === 'node-e-0')
    addResult(ctx, {
      id: `recovery/${build}`, suite: 'recovery', title: `start to ready after kill -9, ${fmt(bytes / 1024 ** 2)} MiB unflushed`, durability: { acks: 1, fsync: 'never', storage: 'disk' },
      settings: { build, bytes, partitions: 8 }, value: ms, unit: 'ms', metrics: { cliReportedReadyMs: reported, rescanMbPerSec: bytes / 1e6 / (ms / 1000) },
      baseline: bare === undefined ? null : { id: bare.id, name: bare.title, value: bare.value, unit: bare.unit }, ratioKind: 'times-baseline', backgroundCores: null,
    })
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}
