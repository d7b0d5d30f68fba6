// End-to-end latency mode: a producer sends pre-encoded batches at a fixed message rate
// while a consumer long-polls the same partitions; each batch's latency is the time from
// the producer writing its request to the consumer receiving the batch, matched by
// (partition, base offset) once the produce response names the offset. Both ends run in
// this process, so they share one clock.

import { KafkaConn, fetchFrame, forEachBatch, produceFrame, readFetchResponse, readProduceResponse } from '../lib/wire.ts'
import { buildBatch } from './produce.ts'

export interface LatencyLoad {
  port: number
  host?: string
  topic: string
  partitions: number
  recordSize: number
  recordsPerBatch: number
  /** Messages (records) per second. */
  rate: number
  acks: 1 | -1
  durationMs: number
  /** Ignore the first part of the run (connection set-up, JIT warm-up). */
  warmupMs?: number
  onProgress?: (p: { sent: number; received: number; elapsedMs: number }) => void
}

export interface LatencyResult {
  durationMs: number
  targetRate: number
  achievedRate: number
  batchesPerSec: number
  samples: number
  latencyMs: { p50: number; p99: number; p999: number; max: number; mean: number }
  produceAckMs: { p50: number; p99: number }
}

export function percentiles(values: number[]): { p50: number; p99: number; p999: number; max: number; mean: number } {
  const s = [...values].sort((a, b) => a - b)
  const at = (p: number): number => (s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.floor(p * s.length))]!)
  const mean = s.length === 0 ? 0 : s.reduce((a, b) => a + b, 0) / s.length
  return { p50: at(0.5), p99: at(0.99), p999: at(0.999), max: s.length === 0 ? 0 : s[s.length - 1]!, mean }
}

export async function runLatency(load: LatencyLoad): Promise<LatencyResult> {
  const batch = buildBatch(load.recordSize, load.recordsPerBatch, 0)
  const frames = Array.from({ length: load.partitions }, (_, p) => produceFrame(load.topic, [p], batch, load.acks, p + 1))
  const producer = await KafkaConn.open(load.port, load.host)
  const consumer = await KafkaConn.open(load.port, load.host)
  const sentAt = new Map<string, number>()
  const receivedAt = new Map<string, number>()
  const acks: number[] = []
  const batchesPerSec = load.rate / load.recordsPerBatch
  const intervalMs = 1000 / batchesPerSec
  const warmupMs = load.warmupMs ?? Math.min(1000, load.durationMs / 5)
  const start = performance.now()
  const deadline = start + load.durationMs
  let sent = 0
  let received = 0
  let stopped = false

  // Consumer: long-poll every partition from offset 0.
  const next = new Map<number, number>(Array.from({ length: load.partitions }, (_, p) => [p, 0]))
  const consuming = (async () => {
    let correlation = 1
    while (!stopped) {
      const offsets = [...next].map(([partition, offset]) => ({ partition, offset }))
      const frame = await consumer.request(fetchFrame(load.topic, offsets, { maxWaitMs: 200, minBytes: 1, maxBytes: 50 << 20, partitionMaxBytes: 1 << 20 }, correlation++))
      const now = performance.now()
      const res = readFetchResponse(frame)
      for (const t of res.responses) {
        for (const p of t.partitions) {
          if (p.records === null || p.records.length === 0) continue
          let offset = next.get(p.partitionIndex)!
          forEachBatch(p.records, (b) => {
            if (b.lastOffset < offset) return
            receivedAt.set(`${p.partitionIndex}:${b.baseOffset}`, now)
            received++
            offset = b.lastOffset + 1
          })
          next.set(p.partitionIndex, offset)
        }
      }
    }
  })()

  // Producer: sends whatever is due each timer tick (Node timers have 1 ms resolution), so
  // batches leave at the intended average rate; each one's own write time is its start.
  await new Promise<void>((resolve, reject) => {
    let partition = 0
    let outstanding = 0
    const tick = (): void => {
      if (producer.error !== null) return reject(producer.error)
      const now = performance.now()
      if (now >= deadline) {
        const wait = (): void => (outstanding === 0 ? resolve() : void setTimeout(wait, 5))
        return wait()
      }
      const due = Math.floor((now - start) / intervalMs) + 1
      while (sent < due && outstanding < 256) {
        const p = partition
        partition = (partition + 1) % load.partitions
        const t0 = performance.now()
        sent++
        outstanding++
        producer.send(frames[p]!, (frame) => {
          outstanding--
          const t1 = performance.now()
          const o = readProduceResponse(frame)
          if (o.errors > 0) return reject(new Error(`produce failed with error ${o.firstError}`))
          if (t0 - start >= warmupMs) {
            sentAt.set(`${p}:${o.baseOffsets[0]!.baseOffset}`, t0)
            acks.push(t1 - t0)
          }
        })
      }
      load.onProgress?.({ sent, received, elapsedMs: now - start })
      setTimeout(tick, Math.max(0, Math.min(1, intervalMs - ((now - start) % intervalMs))))
    }
    tick()
  })
  // Let the consumer catch up with the last batches.
  const caughtUp = performance.now() + 2000
  while (received < sent && performance.now() < caughtUp) await new Promise((r) => setTimeout(r, 5))
  stopped = true
  producer.close()
  consumer.close()
  await consuming.catch(() => {})
  const durationMs = performance.now() - start

  const lat: number[] = []
  for (const [key, t0] of sentAt) {
    const t1 = receivedAt.get(key)
    if (t1 !== undefined) lat.push(t1 - t0)
  }
  const a = percentiles(acks)
  const measuredMs = load.durationMs - warmupMs
  return {
    durationMs,
    targetRate: load.rate,
    achievedRate: (sentAt.size * load.recordsPerBatch) / (measuredMs / 1000),
    batchesPerSec,
    samples: lat.length,
    latencyMs: percentiles(lat),
    produceAckMs: { p50: a.p50, p99: a.p99 },
  }
}
