// Fetch mode of the load generator: reads a topic from offset 0 to its high watermark as
// fast as possible. Partitions are split over the connections; each connection keeps one
// Fetch in flight (the next offsets depend on the previous answer, as in a real
// consumer), decodes the response with the generated codec and walks the batch headers
// to advance its offsets and count records. Record contents are never decoded.

import { KafkaConn, fetchFrame, forEachBatch, readFetchResponse } from '../lib/wire.ts'
import type { FetchResponse } from '../../protocol/messages/fetch-response.ts'

export interface FetchLoad {
  port: number
  host?: string
  topic: string
  partitions: number
  connections: number
  /** Kafka's defaults: fetch.max.bytes 50 MiB, max.partition.fetch.bytes 1 MiB. */
  maxBytes?: number
  partitionMaxBytes?: number
  /** Give up after this long even if the end is not reached. */
  durationMs: number
  /** Stop each partition at this offset; defaults to the high watermark seen in the first response. */
  endOffsets?: number[]
  onProgress?: (p: { bytes: number; records: number; elapsedMs: number }) => void
}

export interface FetchResult {
  durationMs: number
  requests: number
  records: number
  batches: number
  /** Record-batch bytes received. */
  batchBytes: number
  /** Whole Fetch response frames received (what the TCP source baseline sends). */
  wireBytes: number
  recordsPerSec: number
  mbPerSec: number
  wireMbPerSec: number
  errors: number
  reachedEnd: boolean
  avgResponseBytes: number
}

/** Counts what one Fetch response carries and advances `next` (partition → offset). */
export function consumeFetchResponse(res: FetchResponse, next: Map<number, number>, hw: Map<number, number> | null): { records: number; batches: number; bytes: number; errors: number } {
  let records = 0
  let batches = 0
  let bytes = 0
  let errors = 0
  for (const t of res.responses) {
    for (const p of t.partitions) {
      if (p.errorCode !== 0) {
        errors++
        continue
      }
      if (hw !== null && !hw.has(p.partitionIndex)) hw.set(p.partitionIndex, Number(p.highWatermark))
      if (p.records === null || p.records.length === 0) continue
      let offset = next.get(p.partitionIndex) ?? 0
      forEachBatch(p.records, (b) => {
        if (b.lastOffset < offset) return
        records += b.lastOffset - Math.max(b.baseOffset, offset) + 1
        batches++
        bytes += b.bytes
        offset = b.lastOffset + 1
      })
      next.set(p.partitionIndex, offset)
    }
  }
  return { records, batches, bytes, errors }
}

export async function runFetch(load: FetchLoad): Promise<FetchResult> {
  const opts = { maxWaitMs: 0, minBytes: 1, maxBytes: load.maxBytes ?? 50 * 1024 * 1024, partitionMaxBytes: load.partitionMaxBytes ?? 1024 * 1024 }
  const nConns = Math.max(1, Math.min(load.connections, load.partitions))
  const conns = await Promise.all(Array.from({ length: nConns }, () => KafkaConn.open(load.port, load.host)))
  let requests = 0
  let records = 0
  let batches = 0
  let batchBytes = 0
  let wireBytes = 0
  let errors = 0
  let reachedEnd = true
  const start = performance.now()
  const deadline = start + load.durationMs
  let progressAt = start

  await Promise.all(conns.map(async (conn, ci) => {
    const mine: number[] = []
    for (let p = ci; p < load.partitions; p += nConns) mine.push(p)
    const next = new Map<number, number>(mine.map((p) => [p, 0]))
    const end = new Map<number, number>()
    if (load.endOffsets !== undefined) for (const p of mine) end.set(p, load.endOffsets[p]!)
    const firstHw = load.endOffsets === undefined ? end : null
    let correlation = 1
    for (;;) {
      const wanted = mine.filter((p) => !end.has(p) || next.get(p)! < end.get(p)!)
      if (wanted.length === 0) break
      if (performance.now() >= deadline) {
        reachedEnd = false
        break
      }
      const frame = await conn.request(fetchFrame(load.topic, wanted.map((p) => ({ partition: p, offset: next.get(p)! })), opts, correlation++))
      wireBytes += frame.length + 4
      requests++
      const got = consumeFetchResponse(readFetchResponse(frame), next, firstHw)
      records += got.records
      batches += got.batches
      batchBytes += got.bytes
      errors += got.errors
      if (got.errors > 0) throw new Error(`fetch of ${load.topic} failed on ${got.errors} partitions`)
      const now = performance.now()
      if (load.onProgress !== undefined && now - progressAt >= 200) {
        progressAt = now
        load.onProgress({ bytes: batchBytes, records, elapsedMs: now - start })
      }
    }
  }))
  const durationMs = performance.now() - start
  for (const c of conns) c.close()
  return {
    durationMs,
    requests,
    records,
    batches,
    batchBytes,
    wireBytes,
    recordsPerSec: records / (durationMs / 1000),
    mbPerSec: batchBytes / 1e6 / (durationMs / 1000),
    wireMbPerSec: wireBytes / 1e6 / (durationMs / 1000),
    errors,
    reachedEnd,
    avgResponseBytes: requests === 0 ? 0 : wireBytes / requests,
  }
}
