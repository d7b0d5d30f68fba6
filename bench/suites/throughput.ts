// Produce, fetch and durable-produce throughput with the pre-encoded load generator,
// each beside the same-run baseline that bounds it: the raw TCP sink for produce, the
// raw TCP source for fetch, sequential page-cache writes, and group-committed
// fdatasync writes for --fsync always.

import { cpus } from 'node:os'
import { KafkaConn, createTopic } from '../lib/wire.ts'
import { runProduce, produceFrames, buildBatch, type ProduceLoad, type ProduceResult } from '../load/produce.ts'
import { runFetch } from '../load/fetch.ts'
import { tcpSink, tcpSource, fetchResponseFrame } from '../baselines/tcp.ts'
import { sequentialWrite } from '../baselines/disk.ts'
import { cpuMeter, selfCpuMeter, sampleRss, type BrokerProcess } from '../lib/proc.ts'
import { addBaseline, addResult, addTarget, systemMeter, withBroker, fmt, type SuiteContext, type Baseline } from '../lib/result.ts'

export interface ProduceCase {
  recordSize: number
  recordsPerBatch: number
  partitions: number
  connections: number
  inFlight: number
  acks: 0 | 1 | -1
  compression: number
  shards?: number
  fsync?: 'always' | 'interval' | 'never'
  partitionsPerRequest?: number
  idempotent?: boolean
}

const CODECS: Record<number, string> = { 0: 'none', 1: 'gzip', 2: 'snappy', 3: 'lz4', 4: 'zstd' }

export const DEFAULT_CASE: ProduceCase = { recordSize: 1024, recordsPerBatch: 16, partitions: 8, connections: 1, inFlight: 8, acks: 1, compression: 0 }

function secs(ctx: SuiteContext, quick: number, full: number): number {
  return ctx.mode === 'test' ? 1000 : ctx.mode === 'quick' ? quick : full
}

function caseName(c: ProduceCase): string {
  const size = c.recordSize >= 1024 ? `${c.recordSize / 1024} KiB` : `${c.recordSize} B`
  const acks = c.acks === -1 ? 'all' : String(c.acks)
  return `${size} × ${c.recordsPerBatch}, ${c.partitions} part., acks=${acks}${c.idempotent === true ? ', idempotent' : ''}${c.compression !== 0 ? `, ${CODECS[c.compression]}` : ''}${c.shards !== undefined ? `, ${c.shards} shard${c.shards > 1 ? 's' : ''}` : ''}`
}

function settingsOf(c: ProduceCase, batchSize: number, perRequest: number): Record<string, number | string> {
  return { recordSize: c.recordSize, recordsPerBatch: c.recordsPerBatch, batchBytes: batchSize, partitions: c.partitions, partitionsPerRequest: perRequest, connections: c.connections, inFlight: c.inFlight, compression: CODECS[c.compression] ?? String(c.compression), shards: c.shards ?? 'default', idempotent: c.idempotent === true ? 'yes' : 'no' }
}

function loadOf(c: ProduceCase, topic: string, durationMs: number): Omit<ProduceLoad, 'port'> {
  return { topic, partitions: c.partitions, recordSize: c.recordSize, recordsPerBatch: c.recordsPerBatch, partitionsPerRequest: c.partitionsPerRequest, connections: c.connections, inFlight: c.inFlight, acks: c.acks, compression: c.compression, durationMs, idempotent: c.idempotent }
}

/** The raw TCP sink fed the same Produce frames: what loopback allows for this load. */
export async function sinkBaseline(ctx: SuiteContext, c: ProduceCase): Promise<Baseline> {
  const load = loadOf(c, 'bench', secs(ctx, 2000, 3000))
  const { batch, perRequest } = produceFrames({ ...load, acks: c.acks })
  const id = `tcp-sink/${batch.length}x${perRequest}/c${c.connections}`
  const known = ctx.run.baselines.find((b) => b.id === id)
  if (known !== undefined) return { id, name: known.title, value: known.value, unit: known.unit }
  ctx.progress.step(`baseline: raw TCP sink, ${fmt(batch.length * perRequest / 1024)} KiB frames`)
  const sys = systemMeter(cpus().length)
  const me = selfCpuMeter()
  const r = await tcpSink({ ...load, onProgress: (p) => ctx.progress.update(`${fmt(p.bytes / 1e6 / (p.elapsedMs / 1000))} MB/s`) })
  const client = me.stop().cores
  return addBaseline(ctx, {
    id, suite: 'produce', title: `raw TCP sink (${fmt((batch.length * perRequest) / 1024)} KiB frames)`, durability: { acks: null, fsync: 'n/a', storage: 'n/a' },
    settings: { frameBytes: r.frameSize, connections: c.connections }, value: r.wireMbPerSec, unit: 'MB/s',
    metrics: { wireMbPerSec: r.wireMbPerSec, peerCores: r.peerCores, clientCores: client }, backgroundCores: Math.max(0, sys.stop() - r.peerCores - client),
  })
}

export function pageCacheBaseline(ctx: SuiteContext, writeSize: number, files: number): Baseline {
  const id = `disk-write/${writeSize}/f${files}`
  const known = ctx.run.baselines.find((b) => b.id === id)
  if (known !== undefined) return { id, name: known.title, value: known.value, unit: known.unit }
  ctx.progress.step(`baseline: sequential writes of ${writeSize} B to ${files} files (page cache)`)
  const r = sequentialWrite(ctx.scratch, writeSize, secs(ctx, 1500, 3000), { files, maxBytes: 1024 ** 3 })
  return addBaseline(ctx, {
    id, suite: 'produce', title: `sequential write ${fmt(writeSize / 1024)} KiB × ${files} files`, durability: { acks: null, fsync: 'never', storage: 'disk' },
    settings: { writeSize, files }, value: r.mbPerSec, unit: 'MB/s', metrics: { bytes: r.bytes, writes: r.writes }, backgroundCores: null,
  })
}

export function fdatasyncBaseline(ctx: SuiteContext, writeSize: number, files: number, writesPerSync: number): Baseline {
  const id = `disk-fdatasync/${writeSize}/f${files}/g${writesPerSync}`
  const known = ctx.run.baselines.find((b) => b.id === id)
  if (known !== undefined) return { id, name: known.title, value: known.value, unit: known.unit }
  ctx.progress.step(`baseline: ${writeSize} B writes, fdatasync every ${writesPerSync} per file, ${files} files`)
  const r = sequentialWrite(ctx.scratch, writeSize, secs(ctx, 2000, 4000), { files, writesPerSync })
  return addBaseline(ctx, {
    id, suite: 'durable', title: `write+fdatasync ${fmt(writeSize / 1024)} KiB, ${files} files, sync per ${writesPerSync} writes`, durability: { acks: null, fsync: 'always', storage: 'disk' },
    settings: { writeSize, files, writesPerSync }, value: r.mbPerSec, unit: 'MB/s', metrics: { syncs: r.syncs, syncsPerSec: r.syncs / (r.durationMs / 1000) }, backgroundCores: null,
  })
}

export interface MeasuredProduce {
  result: ProduceResult
  brokerCores: number
  clientCores: number
  backgroundCores: number
  maxRssBytes: number
}

/** Creates the topic, then runs the produce load against a running broker, measuring both processes. */
export async function measureProduce(ctx: SuiteContext, b: BrokerProcess, c: ProduceCase, topic: string, durationMs: number): Promise<MeasuredProduce> {
  const conn = await KafkaConn.open(b.port)
  await createTopic(conn, topic, c.partitions)
  conn.close()
  const sys = systemMeter(cpus().length)
  const cpu = cpuMeter(b.pid)
  const me = selfCpuMeter()
  const rss = sampleRss(b.pid)
  const result = await runProduce({ ...loadOf(c, topic, durationMs), port: b.port, onProgress: (p) => ctx.progress.update(`${fmt(p.bytes / 1e6 / (p.elapsedMs / 1000))} MB/s, ${fmt(p.records / (p.elapsedMs / 1000) / 1000)}k rec/s`) })
  const brokerCores = cpu.stop().cores
  const clientCores = me.stop().cores
  if (result.errors > 0) throw new Error(`produce (${caseName(c)}) got ${result.errors} partition errors, first ${result.firstError}`)
  return { result, brokerCores, clientCores, backgroundCores: Math.max(0, sys.stop() - brokerCores - clientCores), maxRssBytes: rss.stop() }
}

export async function produceCase(ctx: SuiteContext, c: ProduceCase, opts: { id?: string; memory?: boolean } = {}): Promise<{ mbPerSec: number; recordsPerSec: number; ratio: number | null; brokerCoresPerMb: number }> {
  const sink = await sinkBaseline(ctx, c)
  const batch = buildBatch(c.recordSize, c.recordsPerBatch, c.compression)
  const disk = opts.memory === true ? null : pageCacheBaseline(ctx, batch.length, c.partitions)
  const { perRequest } = produceFrames({ ...loadOf(c, 'bench', 0) })
  const fsync = c.fsync ?? 'interval'
  ctx.progress.step(`produce ${caseName(c)}${opts.memory === true ? ' (memory)' : ''}`)
  const m = await withBroker(ctx, { shards: c.shards, fsync, memory: opts.memory }, (b) => measureProduce(ctx, b, c, 'bench', secs(ctx, 4000, 6000)))
  const r = m.result
  const row = addResult(ctx, {
    id: opts.id ?? `produce/${caseName(c)}${opts.memory === true ? '/memory' : ''}`, suite: 'produce', title: `produce ${caseName(c)}${opts.memory === true ? ' (memory storage)' : ''}`,
    durability: { acks: c.acks, fsync, storage: opts.memory === true ? 'memory' : 'disk' }, settings: { ...settingsOf(c, batch.length, perRequest), build: ctx.build },
    value: r.wireMbPerSec, unit: 'MB/s',
    metrics: {
      recordsPerSec: r.recordsPerSec, batchMbPerSec: r.mbPerSec, requests: r.requests, p50RequestMs: r.requestLatencyMs?.p50 ?? null, p99RequestMs: r.requestLatencyMs?.p99 ?? null,
      brokerCores: m.brokerCores, clientCores: m.clientCores, brokerMaxRssMB: m.maxRssBytes / 1e6,
      ratioToPageCacheWrite: disk === null ? null : r.mbPerSec / disk.value, pageCacheBaselineMbPerSec: disk?.value ?? null,
    },
    baseline: sink, backgroundCores: m.backgroundCores,
  })
  // Memory storage keeps every byte in RAM: its RSS says nothing about the broker's own footprint.
  if (opts.memory !== true) ctx.shared.set('rss.underLoad', Math.max(ctx.shared.get('rss.underLoad') ?? 0, m.maxRssBytes))
  return { mbPerSec: r.wireMbPerSec, recordsPerSec: r.recordsPerSec, ratio: row.ratio, brokerCoresPerMb: m.brokerCores / Math.max(r.mbPerSec, 1e-9) }
}

export async function produceSuite(ctx: SuiteContext): Promise<void> {
  const main = await produceCase(ctx, DEFAULT_CASE, { id: 'produce/headline' })
  ctx.shared.set('produce.maxRecordsPerSec', main.recordsPerSec)
  addTarget(ctx, {
    id: 'produce-vs-tcp', target: '≥ 40 % of raw TCP sink (1 KiB records, ≥16 KiB batches, acks=1, 8 partitions)',
    measured: `${fmt(main.mbPerSec)} MB/s = ${fmt((main.ratio ?? 0) * 100)} % of sink`, met: main.ratio === null ? null : main.ratio >= 0.4,
    note: 'disk storage, --fsync interval (default); see docs/performance.md for what bounds it',
  })
  // The idempotent producer's sequence checks run on every batch: same load, numbered batches.
  const idem = await produceCase(ctx, { ...DEFAULT_CASE, idempotent: true }, { id: 'produce/idempotent' })
  const kept = idem.mbPerSec / main.mbPerSec
  const cpu = idem.brokerCoresPerMb / main.brokerCoresPerMb
  addTarget(ctx, {
    id: 'idempotent-vs-plain', target: 'idempotent produce ≥ 90 % of plain produce (same load, same run)',
    measured: `${fmt(idem.mbPerSec)} vs ${fmt(main.mbPerSec)} MB/s = ${fmt(kept * 100)} %; broker CPU per MB ${fmt(cpu * 100)} % of plain`, met: kept >= 0.9,
    note: 'the client patches sequence and CRC per send (a ring of frame copies); the broker checks sequences and keeps the last 5 batches per producer',
  })
  if (ctx.mode !== 'full') return
  await produceCase(ctx, DEFAULT_CASE, { memory: true })
  for (const [recordSize, perBatch] of [[100, 160], [10240, 2], [10240, 16]] as const) await produceCase(ctx, { ...DEFAULT_CASE, recordSize, recordsPerBatch: perBatch })
  for (const acks of [0, -1] as const) await produceCase(ctx, { ...DEFAULT_CASE, acks })
  for (const compression of [1, 4]) await produceCase(ctx, { ...DEFAULT_CASE, compression })
  await produceCase(ctx, { ...DEFAULT_CASE, connections: 4, inFlight: 5 })
}

export async function fetchSuite(ctx: SuiteContext): Promise<void> {
  const total = ctx.mode === 'full' ? 1024 ** 3 : ctx.mode === 'quick' ? 256 * 1024 ** 2 : 16 * 1024 ** 2
  const c = DEFAULT_CASE
  const batch = buildBatch(c.recordSize, c.recordsPerBatch, 0)
  const partitionMaxBytes = 1024 * 1024
  ctx.progress.step(`baseline: raw TCP source, ${c.partitions} × 1 MiB Fetch responses`)
  const sys0 = systemMeter(cpus().length)
  const src = await tcpSource(fetchResponseFrame('bench', c.partitions, batch, partitionMaxBytes, c.recordsPerBatch), secs(ctx, 2000, 3000))
  const source = addBaseline(ctx, {
    id: 'tcp-source', suite: 'fetch', title: `raw TCP source (${fmt(src.frameBytes / 1e6)} MB frames)`, durability: { acks: null, fsync: 'n/a', storage: 'n/a' },
    settings: { frameBytes: src.frameBytes }, value: src.wireMbPerSec, unit: 'MB/s', metrics: { peerCores: src.peerCores }, backgroundCores: Math.max(0, sys0.stop() - src.peerCores - 1),
  })
  const perBatches = Math.ceil(total / batch.length / c.partitions)
  ctx.progress.step(`fetch: filling a ${fmt(total / 1024 ** 2)} MiB topic`)
  await withBroker(ctx, { fsync: 'interval' }, async (b) => {
    const conn = await KafkaConn.open(b.port)
    await createTopic(conn, 'fill', c.partitions)
    conn.close()
    const fill = await runProduce({ ...loadOf(c, 'fill', 10 * 60_000), port: b.port, maxRequests: perBatches, partitionsPerRequest: c.partitions, onProgress: (p) => ctx.progress.update(`${fmt(p.bytes / 1024 ** 2)} MiB written`) })
    if (fill.errors > 0) throw new Error(`filling the fetch topic failed: ${fill.firstError}`)
    // One consumer (one connection, one Fetch in flight: request and response take turns),
    // then one connection per partition, as a consumer group of 8 would read it.
    const verdicts: string[] = []
    let best: number | null = null
    for (const connections of ctx.mode === 'test' ? [1, 2] : [1, c.partitions]) {
      ctx.progress.step(`fetch ${fmt(fill.batchBytes / 1024 ** 2)} MiB from offset 0, ${c.partitions} partitions, ${connections} connection${connections > 1 ? 's' : ''}`)
      const sys = systemMeter(cpus().length)
      const cpu = cpuMeter(b.pid)
      const me = selfCpuMeter()
      const r = await runFetch({ port: b.port, topic: 'fill', partitions: c.partitions, connections, partitionMaxBytes, durationMs: 120_000, onProgress: (p) => ctx.progress.update(`${fmt(p.bytes / 1e6 / (p.elapsedMs / 1000))} MB/s, ${fmt(p.bytes / 1024 ** 2)} MiB`) })
      const brokerCores = cpu.stop().cores
      const clientCores = me.stop().cores
      if (r.batchBytes !== fill.batchBytes) throw new Error(`fetched ${r.batchBytes} bytes of ${fill.batchBytes}`)
      const row = addResult(ctx, {
        id: connections === 1 ? 'fetch/headline' : `fetch/connections-${connections}`, suite: 'fetch', title: `fetch from start, ${fmt(fill.batchBytes / 1024 ** 2)} MiB in page cache, ${connections} connection${connections > 1 ? 's' : ''}`, durability: { acks: null, fsync: 'interval', storage: 'disk' },
        settings: { topicBytes: fill.batchBytes, partitions: c.partitions, connections, partitionMaxBytes, batchBytes: batch.length, build: ctx.build },
        value: r.wireMbPerSec, unit: 'MB/s',
        metrics: { recordsPerSec: r.recordsPerSec, batchMbPerSec: r.mbPerSec, requests: r.requests, avgResponseBytes: r.avgResponseBytes, brokerCores, clientCores, reachedEnd: r.reachedEnd, fetchedBytes: r.batchBytes, records: r.records },
        baseline: source, backgroundCores: Math.max(0, sys.stop() - brokerCores - clientCores),
      })
      verdicts.push(`${connections} conn.: ${fmt(r.wireMbPerSec)} MB/s = ${fmt((row.ratio ?? 0) * 100)} %`)
      if (row.ratio !== null) best = Math.max(best ?? 0, row.ratio)
    }
    addTarget(ctx, {
      id: 'fetch-vs-tcp', target: '≥ 50 % of raw TCP source (topic of 1 GiB in page cache)',
      measured: `${verdicts.join('; ')} of source${total < 1024 ** 3 ? ` (topic of ${fmt(total / 1024 ** 2)} MiB in this mode)` : ''}`,
      met: best === null ? null : best >= 0.5, note: 'verdict on the better of the two; one connection keeps one Fetch in flight, so broker and client take turns',
    })
  })
}

export async function durableSuite(ctx: SuiteContext): Promise<void> {
  const c: ProduceCase = { ...DEFAULT_CASE, acks: -1, fsync: 'always' }
  const batch = buildBatch(c.recordSize, c.recordsPerBatch, 0)
  const { perRequest } = produceFrames(loadOf(c, 'bench', 0))
  // Batches the load keeps outstanding, per partition: the most one group commit can cover.
  const perSync = Math.max(1, Math.floor((c.connections * c.inFlight * perRequest) / c.partitions))
  const base = fdatasyncBaseline(ctx, batch.length, c.partitions, perSync)
  if (ctx.mode === 'full') fdatasyncBaseline(ctx, batch.length, 1, 1)
  ctx.progress.step(`durable produce ${caseName(c)}, --fsync always`)
  const m = await withBroker(ctx, { fsync: 'always' }, (b) => measureProduce(ctx, b, c, 'bench', secs(ctx, 4000, 6000)))
  const r = m.result
  const row = addResult(ctx, {
    id: 'durable/headline', suite: 'durable', title: `durable produce ${caseName(c)}, --fsync always`, durability: { acks: -1, fsync: 'always', storage: 'disk' },
    settings: { ...settingsOf(c, batch.length, perRequest), build: ctx.build }, value: r.mbPerSec, unit: 'MB/s',
    metrics: { recordsPerSec: r.recordsPerSec, wireMbPerSec: r.wireMbPerSec, p50RequestMs: r.requestLatencyMs?.p50 ?? null, p99RequestMs: r.requestLatencyMs?.p99 ?? null, brokerCores: m.brokerCores, clientCores: m.clientCores },
    baseline: base, backgroundCores: m.backgroundCores,
  })
  addTarget(ctx, {
    id: 'durable-vs-fdatasync', target: '≥ 50 % of sequential write + fdatasync (group commit), same sizes',
    measured: `${fmt(r.mbPerSec)} MB/s = ${fmt((row.ratio ?? 0) * 100)} % of ${base.name}`, met: row.ratio === null ? null : row.ratio >= 0.5,
    note: `baseline syncs each of ${c.partitions} files after ${perSync} writes to it, the most batches this load can have outstanding per partition`,
  })
}
