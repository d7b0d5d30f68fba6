// Produce mode of the load generator. Record batches are built once (one per record
// configuration), wrapped into one Produce frame per group of partitions, and those frames
// are replayed round-robin over every connection with a fixed number of requests in
// flight: the client only writes Buffers it already has and counts responses.
// acks=0 has no responses: frames are written as fast as the socket drains.

import { buildRecordBatch } from '../../protocol/records/record-batch-builder.ts'
import { KafkaConn, produceFrame, readProduceResponse } from '../lib/wire.ts'

export interface ProduceLoad {
  port: number
  host?: string
  topic: string
  partitions: number
  recordSize: number
  recordsPerBatch: number
  /** Partitions (one batch each) per Produce request; defaults to min(partitions, 8). */
  partitionsPerRequest?: number
  connections: number
  inFlight: number
  acks: 0 | 1 | -1
  /** 0 none, 1 gzip, 4 zstd. */
  compression: number
  durationMs: number
  /** Stop after this many requests in all (for tests); unlimited by default. */
  maxRequests?: number
  onProgress?: (p: { bytes: number; records: number; elapsedMs: number }) => void
}

export interface ProduceResult {
  durationMs: number
  requests: number
  batches: number
  records: number
  /** Record-batch bytes acknowledged (or written, for acks=0). */
  batchBytes: number
  /** Whole Produce frames written, size prefix included: what the TCP sink baseline is fed. */
  wireBytes: number
  recordsPerSec: number
  mbPerSec: number
  wireMbPerSec: number
  errors: number
  firstError: number
  /** Client latency of a Produce request under load (acks ≠ 0), ms. */
  requestLatencyMs: { p50: number; p99: number } | null
  batchSize: number
  frameSize: number
}

/** Records with `size`-byte values of incompressible-ish but not random bytes (so compression has some work to do). */
export function recordValue(size: number, seed = 1): Buffer {
  const b = Buffer.allocUnsafe(size)
  let x = seed * 2654435761
  for (let i = 0; i < size; i++) {
    // A few repeated words plus noise: compresses roughly 2-4x, like typical JSON-ish payloads.
    x = (x * 1103515245 + 12345) >>> 0
    b[i] = (x >>> 24) % 4 === 0 ? 97 + ((x >>> 16) % 26) : 32 + (i % 64)
  }
  return b
}

export function buildBatch(recordSize: number, recordsPerBatch: number, compression: number): Buffer {
  const value = recordValue(recordSize)
  const now = Date.now()
  const records = []
  for (let i = 0; i < recordsPerBatch; i++) records.push({ key: null, value, timestamp: now })
  return buildRecordBatch({ records, compression })
}

/** The Produce frames one full cycle over the partitions needs, plus the batch they carry. */
export function produceFrames(load: Pick<ProduceLoad, 'topic' | 'partitions' | 'recordSize' | 'recordsPerBatch' | 'partitionsPerRequest' | 'acks' | 'compression'>): { frames: Buffer[]; partsPerFrame: number[]; batch: Buffer; perRequest: number } {
  const batch = buildBatch(load.recordSize, load.recordsPerBatch, load.compression)
  const perRequest = Math.max(1, Math.min(load.partitionsPerRequest ?? Math.min(load.partitions, 8), load.partitions))
  const frames: Buffer[] = []
  const partsPerFrame: number[] = []
  for (let first = 0; first < load.partitions; first += perRequest) {
    const parts: number[] = []
    for (let i = first; i < first + perRequest && i < load.partitions; i++) parts.push(i)
    frames.push(produceFrame(load.topic, parts, batch, load.acks, frames.length + 1))
    partsPerFrame.push(parts.length)
  }
  return { frames, partsPerFrame, batch, perRequest }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

export async function runProduce(load: ProduceLoad): Promise<ProduceResult> {
  const { frames, partsPerFrame, batch } = produceFrames(load)
  const conns = await Promise.all(Array.from({ length: load.connections }, () => KafkaConn.open(load.port, load.host)))
  let requests = 0
  let batches = 0
  let wireBytes = 0
  let errors = 0
  let firstError = 0
  let sent = 0
  const latencies: number[] = []
  const maxRequests = load.maxRequests ?? Number.POSITIVE_INFINITY
  const start = performance.now()
  const deadline = start + load.durationMs
  let next = 0
  let progressAt = start

  const progress = (): void => {
    const now = performance.now()
    if (load.onProgress !== undefined && now - progressAt >= 200) {
      progressAt = now
      load.onProgress({ bytes: batches * batch.length, records: batches * load.recordsPerBatch, elapsedMs: now - start })
    }
  }

  await Promise.all(conns.map((conn) => new Promise<void>((resolve, reject) => {
    let outstanding = 0
    let finished = false
    const done = (): void => {
      if (finished) return
      finished = true
      resolve()
    }
    const pick = (): number => {
      const i = next
      next = (next + 1) % frames.length
      return i
    }
    const stopping = (): boolean => sent >= maxRequests || performance.now() >= deadline

    if (load.acks === 0) {
      // No responses: keep the socket's buffer full, pause on back-pressure.
      const pump = (): void => {
        for (;;) {
          if (conn.error !== null) return reject(conn.error)
          if (stopping()) return done()
          const i = pick()
          sent++
          requests++
          batches += partsPerFrame[i]!
          wireBytes += frames[i]!.length
          if (!conn.send(frames[i]!, null)) {
            progress()
            conn.socket.once('drain', pump)
            return
          }
          if ((sent & 63) === 0) {
            progress()
            setImmediate(pump)
            return
          }
        }
      }
      pump()
      return
    }

    const sendOne = (): void => {
      if (conn.error !== null) return reject(conn.error)
      if (stopping()) {
        if (outstanding === 0) done()
        return
      }
      const i = pick()
      sent++
      outstanding++
      const t0 = performance.now()
      conn.send(frames[i]!, (frame) => {
        outstanding--
        const o = readProduceResponse(frame)
        if (o.errors > 0) {
          errors += o.errors
          if (firstError === 0) firstError = o.firstError
        }
        if (latencies.length < 200_000) latencies.push(performance.now() - t0)
        requests++
        batches += partsPerFrame[i]! - o.errors
        wireBytes += frames[i]!.length
        progress()
        sendOne()
      })
    }
    for (let k = 0; k < load.inFlight; k++) sendOne()
  })))

  // acks=0: the last frames may still sit in the socket buffers; wait until they are out.
  if (load.acks === 0) await Promise.all(conns.map((c) => (c.socket.writableLength > 0 ? c.waitDrain() : Promise.resolve())))
  const durationMs = performance.now() - start
  for (const c of conns) c.close()
  latencies.sort((a, b) => a - b)
  const batchBytes = batches * batch.length
  return {
    durationMs,
    requests,
    batches,
    records: batches * load.recordsPerBatch,
    batchBytes,
    wireBytes,
    recordsPerSec: (batches * load.recordsPerBatch) / (durationMs / 1000),
    mbPerSec: batchBytes / 1e6 / (durationMs / 1000),
    wireMbPerSec: wireBytes / 1e6 / (durationMs / 1000),
    errors,
    firstError,
    requestLatencyMs: latencies.length === 0 ? null : { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
    batchSize: batch.length,
    frameSize: frames[0]!.length,
  }
}
