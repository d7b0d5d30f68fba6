// Produce mode of the load generator. Record batches are built once (one per record
// configuration), wrapped into one Produce frame per group of partitions, and those frames
// are replayed round-robin over every connection with a fixed number of requests in
// flight: the client only writes Buffers it already has and counts responses.
// acks=0 has no responses: frames are written as fast as the socket drains.

import { buildRecordBatch } from '../../protocol/records/record-batch-builder.ts'
import { BASE_SEQUENCE_OFFSET, updateBatchCrc } from '../../protocol/records/record-batch.ts'
import { KafkaConn, initProducerId, produceFrame, readProduceResponse } from '../lib/wire.ts'

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
  /**
   * Idempotent producer: each connection gets a producer id (InitProducerId) and numbers
   * its batches per partition, so the broker runs its sequence checks on every batch.
   * Frames are then patched (sequence, CRC) per send in a ring of copies per connection.
   */
  idempotent?: boolean
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

export function buildBatch(recordSize: number, recordsPerBatch: number, compression: number, producerId = -1): Buffer {
  const now = Date.now()
  const records = []
  // A different value per record: copies of one value would compress 20x and more, which
  // no real topic does, and make every compressed figure meaningless.
  for (let i = 0; i < recordsPerBatch; i++) records.push({ key: null, value: recordValue(recordSize, i + 1), timestamp: now })
  return producerId < 0 ? buildRecordBatch({ records, compression }) : buildRecordBatch({ records, compression, producerId, producerEpoch: 0, baseSequence: 0 })
}

/**
 * One connection's idempotent frames: for each frame index a ring of copies, so a frame
 * still queued in the socket is never patched, and where each partition's batch sits.
 */
class SequencedFrames {
  private readonly rings: Buffer[][]
  private readonly turn: number[]
  private readonly batchAt: Array<Array<{ partition: number; pos: number }>>
  private readonly next = new Map<number, number>()
  private readonly recordsPerBatch: number

  constructor(frames: Buffer[], batch: Buffer, partitions: number[][], copies: number, recordsPerBatch: number) {
    this.recordsPerBatch = recordsPerBatch
    this.rings = frames.map((f) => Array.from({ length: copies }, () => Buffer.from(f)))
    this.turn = frames.map(() => 0)
    // The batch bytes are unique in a frame (they hold the record values): find each copy.
    this.batchAt = frames.map((f, i) => {
      const at: Array<{ partition: number; pos: number }> = []
      let from = 0
      for (const partition of partitions[i]!) {
        const pos = f.indexOf(batch, from)
        if (pos < 0) throw new Error('batch not found in its produce frame')
        at.push({ partition, pos })
        from = pos + batch.length
      }
      return at
    })
  }

  /** The frame to send next for index `i`, with the next sequence of each of its partitions. */
  take(i: number): Buffer {
    const ring = this.rings[i]!
    const frame = ring[this.turn[i]!]!
    this.turn[i] = (this.turn[i]! + 1) % ring.length
    for (const { partition, pos } of this.batchAt[i]!) {
      const seq = this.next.get(partition) ?? 0
      frame.writeInt32BE(seq, pos + BASE_SEQUENCE_OFFSET)
      updateBatchCrc(frame, pos)
      this.next.set(partition, (seq + this.recordsPerBatch) % 0x80000000)
    }
    return frame
  }
}

/** The Produce frames one full cycle over the partitions needs, plus the batch they carry. */
export function produceFrames(load: Pick<ProduceLoad, 'topic' | 'partitions' | 'recordSize' | 'recordsPerBatch' | 'partitionsPerRequest' | 'acks' | 'compression'>, producerId = -1): { frames: Buffer[]; partsPerFrame: number[]; partitionsOf: number[][]; batch: Buffer; perRequest: number } {
  const batch = buildBatch(load.recordSize, load.recordsPerBatch, load.compression, producerId)
  const perRequest = Math.max(1, Math.min(load.partitionsPerRequest ?? Math.min(load.partitions, 8), load.partitions))
  const frames: Buffer[] = []
  const partsPerFrame: number[] = []
  const partitionsOf: number[][] = []
  for (let first = 0; first < load.partitions; first += perRequest) {
    const parts: number[] = []
    for (let i = first; i < first + perRequest && i < load.partitions; i++) parts.push(i)
    frames.push(produceFrame(load.topic, parts, batch, load.acks, frames.length + 1))
    partsPerFrame.push(parts.length)
    partitionsOf.push(parts)
  }
  return { frames, partsPerFrame, partitionsOf, batch, perRequest }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

export async function runProduce(load: ProduceLoad): Promise<ProduceResult> {
  const { frames, partsPerFrame, batch } = produceFrames(load)
  const conns = await Promise.all(Array.from({ length: load.connections }, () => KafkaConn.open(load.port, load.host)))
  // Idempotent: one producer id per connection (its requests stay in order on its socket).
  const sequenced: Array<SequencedFrames | null> = await Promise.all(conns.map(async (conn) => {
    if (load.idempotent !== true) return null
    const producerId = await initProducerId(conn)
    const mine = produceFrames(load, producerId)
    return new SequencedFrames(mine.frames, mine.batch, mine.partitionsOf, load.inFlight + 2, load.recordsPerBatch)
  }))
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

  await Promise.all(conns.map((conn, c) => new Promise<void>((resolve, reject) => {
    const seq = sequenced[c]!
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
      conn.send(seq === null ? frames[i]! : seq.take(i), (frame) => {
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
