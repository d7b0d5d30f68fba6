// Produce-to-fetch latency at a fixed message rate: 20 % of the maximum produce rate
// measured earlier in the same run with the same record and batch shape.

import { KafkaConn, createTopic } from '../lib/wire.ts'
import { runLatency } from '../load/latency.ts'
import { addResult, addTarget, fmt, withBroker, type SuiteContext } from '../lib/result.ts'
import { DEFAULT_CASE, measureProduce } from './throughput.ts'

export async function latencySuite(ctx: SuiteContext): Promise<void> {
  const c = DEFAULT_CASE
  const durationMs = ctx.mode === 'full' ? 15_000 : ctx.mode === 'quick' ? 6000 : 1500
  await withBroker(ctx, { fsync: 'interval' }, async (b) => {
    let max = ctx.shared.get('produce.maxRecordsPerSec')
    if (max === undefined) {
      ctx.progress.step('latency: measuring the maximum produce rate first')
      max = (await measureProduce(ctx, b, c, 'max', ctx.mode === 'test' ? 1000 : 3000)).result.recordsPerSec
    }
    const rate = Math.max(c.recordsPerBatch, Math.round(max * 0.2))
    const conn = await KafkaConn.open(b.port)
    await createTopic(conn, 'latency', c.partitions)
    conn.close()
    ctx.progress.step(`latency at ${fmt(rate / 1000)}k msg/s (20 % of ${fmt(max / 1000)}k), ${c.recordSize} B records × ${c.recordsPerBatch}`)
    const r = await runLatency({ port: b.port, topic: 'latency', partitions: c.partitions, recordSize: c.recordSize, recordsPerBatch: c.recordsPerBatch, rate, acks: 1, durationMs, onProgress: (p) => ctx.progress.update(`${p.sent} batches sent, ${p.received} received`) })
    addResult(ctx, {
      id: 'latency/headline', suite: 'latency', title: `p99 produce→fetch at 20 % of max rate (${fmt(rate / 1000)}k msg/s)`, durability: { acks: 1, fsync: 'interval', storage: 'disk' },
      settings: { recordSize: c.recordSize, recordsPerBatch: c.recordsPerBatch, partitions: c.partitions, targetRate: rate, maxRate: Math.round(max), build: ctx.build },
      value: r.latencyMs.p99, unit: 'ms',
      metrics: { p50Ms: r.latencyMs.p50, p99Ms: r.latencyMs.p99, p999Ms: r.latencyMs.p999, maxMs: r.latencyMs.max, meanMs: r.latencyMs.mean, samples: r.samples, achievedRate: r.achievedRate, ackP50Ms: r.produceAckMs.p50, ackP99Ms: r.produceAckMs.p99 },
      baseline: null, backgroundCores: null,
    })
    addTarget(ctx, {
      id: 'latency-p99', target: 'p99 produce→fetch < 2 ms at 20 % of max rate', measured: `p50 ${fmt(r.latencyMs.p50)} ms, p99 ${fmt(r.latencyMs.p99)} ms, p99.9 ${fmt(r.latencyMs.p999)} ms (${r.samples} batches)`,
      met: r.latencyMs.p99 < 2, note: `achieved ${fmt(r.achievedRate / 1000)}k msg/s`,
    })
  })
}
