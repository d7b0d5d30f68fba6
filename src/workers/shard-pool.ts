// The main thread's side of the shards. Each shard is a one-thread piscina pool, so a
// partition is always served by the same worker.
//
// Ordering invariant: operations submitted to one shard run on it in submission order.
// It holds by construction: a shard never has more than one task in flight. Operations
// submitted while its task runs accumulate in the shard's own FIFO and leave together,
// as the next task, when the running one finishes. Piscina's queue is never used, so its
// scheduling cannot reorder anything (its default requeues a task it could not place
// at the tail, which once stored pipelined produce requests out of order).
// Produced bytes are packed into a single transferred ArrayBuffer per task (one copy out
// of the socket buffers). A Fetch request's reads come back in one transferred buffer per
// request, which returns to the shard with a later task once the response is written.

import { availableParallelism } from 'node:os'
import { Piscina } from 'piscina'
import { UNBOUNDED, type RequestMemoryPool } from '../server/request-memory.ts'
import { systemClock, type Clock } from '../groups/clock.ts'
import type { ShardInit, ShardOp, ShardTask, ShardTaskResult, AnyShardResult, ShardResults } from './shard-protocol.ts'

// From source the worker is TypeScript run by Node's type stripping; in the published
// package (dist/) it is the compiled .js beside this file.
const workerFile = new URL(import.meta.url.endsWith('.ts') ? './shard-worker.ts' : './shard-worker.js', import.meta.url).href

export interface OpOutcome<R = AnyShardResult> {
  result: R
  records: Buffer | null // read results only
  /**
   * Grouped reads: hands the buffer holding `records` (shared by the group's reads) back
   * to the shard. Call it once nothing uses those bytes any more (the response holding
   * them has been written); never calling it is safe, the buffer is then collected.
   */
  release: (() => void) | null
}

type QueuedOp = { op: ShardOp; resolve: (o: OpOutcome) => void; reject: (e: unknown) => void }

/**
 * Told what the shards spend (the metrics implement it). Called once per finished task,
 * never per operation, so the produce path pays two clock reads per task.
 */
export interface ShardObserver {
  /** A task's round trip: sent to the shard until its results are back on this thread. */
  taskDone(shard: number, seconds: number): void
  /** fdatasync durations (ms) a task ran, carried back with its results. */
  flushed(ms: readonly number[]): void
}

// Produced bytes travel in ArrayBuffers that the worker hands back once written; a few are
// kept per shard so steady load reuses warm memory instead of faulting in fresh pages
// (first touch runs at ~2 GB/s, a copy into warm memory at ~6) and feeding the GC.
const SPARE_BUFFERS = 4
const MIN_BUFFER_BYTES = 256 * 1024
const MAX_SPARE_BYTES = 16 * 1024 * 1024
// Fetch buffers released by written responses wait here for the shard's next task; the
// shard keeps up to 32 MiB of buffers of at most 16 MiB (shard-worker.ts), so more would
// only be dropped there.
const RETURNED_READ_BYTES = 32 << 20
const MAX_RETURNED_READ_BUFFER = 16 << 20

class Shard {
  readonly id: number
  readonly pool: Piscina
  queue: QueuedOp[] = []
  spare: ArrayBuffer[] = []
  /** Produced bytes of the next task, packed as they are submitted. */
  pending: Uint8Array<ArrayBuffer> | null = null
  pendingLength = 0
  scheduled = false
  /** The one task this shard may have in flight; while set, new ops wait in `queue`. */
  running = false
  /** Operations in the running task. */
  runningOps = 0
  tasksSent = 0
  /** Fetch buffers whose responses were written, to go back with the next task. */
  readReturned: ArrayBuffer[] = []
  constructor(init: ShardInit) {
    this.id = init.shardId
    this.pool = new Piscina({
      filename: workerFile,
      minThreads: 1,
      maxThreads: 1,
      // The worker keeps partition state in memory: it must never be reaped for idleness.
      idleTimeout: Number.POSITIVE_INFINITY,
      concurrentTasksPerWorker: 1,
      workerData: init,
      // Unbounded: back-pressure is applied per connection, not by rejecting tasks here.
      maxQueue: Number.POSITIVE_INFINITY,
      atomics: 'disabled',
    })
  }
}

export class ShardPool {
  readonly shards: Shard[]
  private readonly memory: RequestMemoryPool
  private readonly clock: Clock
  /** Set once by the broker's wiring; null in tests that run a bare pool. */
  observer: ShardObserver | null = null

  /**
   * Produced bytes waiting in a shard's next or running task count against `memory`
   * (queued.max.request.bytes). `clock` gives each task its `now` (segment.ms rolls,
   * retention, LogAppendTime, timestamp bounds, producer expiry), so tests can move
   * storage time by hand.
   */
  constructor(count: number, base: Omit<ShardInit, 'shardId'>, memory: RequestMemoryPool = UNBOUNDED, clock: Clock = systemClock) {
    this.memory = memory
    this.clock = clock
    this.shards = []
    for (let i = 0; i < count; i++) this.shards.push(new Shard({ ...base, shardId: i }))
  }

  get size(): number {
    return this.shards.length
  }

  shardOf(topic: string, partition: number): number {
    // FNV-1a over the topic name, mixed with the partition: stable across restarts and
    // spreads the partitions of one topic over all shards.
    let h = 0x811c9dc5
    for (let i = 0; i < topic.length; i++) {
      h ^= topic.charCodeAt(i)
      h = Math.imul(h, 0x01000193)
    }
    h = (h + Math.imul(partition + 1, 0x9e3779b1)) >>> 0
    return h % this.shards.length
  }

  /**
   * Queues an op for the shard's next task. Produced bytes are copied into the task's
   * buffer right here, so the caller's Buffer (a slice of a socket read or of the frame
   * decoder's reused buffer) need not outlive this call.
   */
  submit<O extends ShardOp>(shardId: number, op: O, data: Buffer | null = null): Promise<OpOutcome<ShardResults[O['op']]>> {
    const shard = this.shards[shardId]!
    let queuedOp: ShardOp = op
    if (data !== null && op.op === 'append') {
      const offset = appendData(shard, data)
      queuedOp = { ...op, offset, length: data.length }
      this.memory.reserve(data.length)
    }
    return new Promise<OpOutcome>((resolve, reject) => {
      shard.queue.push({ op: queuedOp, resolve, reject })
      // While a task runs, its completion sends what accumulated; otherwise the next turn
      // does, so everything submitted during this turn travels together.
      if (!shard.running && !shard.scheduled) {
        shard.scheduled = true
        setImmediate(() => this.dispatch(shard))
      }
    }) as Promise<OpOutcome<ShardResults[O['op']]>>
  }

  /** Tasks sent to each shard so far (for stats and tests of the batching rule). */
  tasksSent(): number[] {
    return this.shards.map((s) => s.tasksSent)
  }

  /** Operations submitted to each shard and not answered yet: waiting for its next task or in the running one. */
  queueDepths(): number[] {
    return this.shards.map((s) => s.queue.length + s.runningOps)
  }

  /** Sends the same op to every shard and waits for all. */
  broadcast<O extends ShardOp>(op: O): Promise<Array<OpOutcome<ShardResults[O['op']]>>> {
    return Promise.all(this.shards.map((_, i) => this.submit(i, op)))
  }

  private dispatch(shard: Shard): void {
    shard.scheduled = false
    if (shard.running) return
    const queued = shard.queue
    if (queued.length === 0) return
    shard.queue = []
    shard.running = true
    shard.runningOps = queued.length

    const ops: ShardOp[] = new Array(queued.length)
    for (let i = 0; i < queued.length; i++) ops[i] = queued[i]!.op
    const data = shard.pending?.buffer ?? null
    const dataBytes = shard.pendingLength
    shard.pending = null
    shard.pendingLength = 0

    const task: ShardTask = { ops, data, now: this.clock.now() }
    const transferList: ArrayBuffer[] = data === null ? [] : [data]
    if (shard.readReturned.length > 0) {
      task.readBuffers = shard.readReturned
      shard.readReturned = []
      transferList.push(...task.readBuffers)
    }
    shard.tasksSent++
    const sent = performance.now()
    const run = transferList.length === 0 ? shard.pool.run(task) : shard.pool.run(task, { transferList })
    run.then(
      (res: ShardTaskResult) => {
        this.memory.release(dataBytes)
        const observer = this.observer
        if (observer !== null) {
          observer.taskDone(shard.id, (performance.now() - sent) / 1000)
          if (res.flushMs !== undefined) observer.flushed(res.flushMs)
        }
        this.finished(shard)
        if (res.spent != null) keepBuffer(shard, res.spent)
        const out = res.data === null ? null : Buffer.from(res.data)
        const owned = res.owned === undefined ? null : res.owned.map((b) => Buffer.from(b))
        const releases = res.recyclable === undefined ? null : new Map(res.recyclable.map((i) => [i, releaseOnce(shard, res.owned![i]!)]))
        for (let i = 0; i < queued.length; i++) {
          const result = res.results[i]!
          let records: Buffer | null = null
          let release: (() => void) | null = null
          if (queued[i]!.op.op === 'read' && result.ok && 'recordsLength' in result && result.recordsLength > 0) {
            const from = result.recordsBuffer === undefined ? out : owned![result.recordsBuffer]
            records = from!.subarray(result.recordsOffset, result.recordsOffset + result.recordsLength)
            if (result.recordsBuffer !== undefined) release = releases?.get(result.recordsBuffer) ?? null
          }
          queued[i]!.resolve({ result, records, release })
        }
      },
      (err: unknown) => {
        this.memory.release(dataBytes)
        this.finished(shard)
        for (const q of queued) q.reject(err)
      },
    )
  }

  /** The running task is done: what accumulated meanwhile leaves now, as one task, in submission order. */
  private finished(shard: Shard): void {
    shard.running = false
    shard.runningOps = 0
    if (shard.queue.length > 0) this.dispatch(shard)
  }

  async close(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.pool.destroy()))
  }
}

function releaseOnce(shard: Shard, buf: ArrayBuffer): () => void {
  let done = false
  return () => {
    if (done) return
    done = true
    if (buf.byteLength > MAX_RETURNED_READ_BUFFER) return
    let bytes = buf.byteLength
    for (const b of shard.readReturned) bytes += b.byteLength
    if (bytes <= RETURNED_READ_BYTES) shard.readReturned.push(buf)
  }
}

/** Copies `data` to the end of the shard's next-task buffer (growing it if needed); returns its offset. */
function appendData(shard: Shard, data: Buffer): number {
  const need = shard.pendingLength + data.length
  if (shard.pending === null || shard.pending.length < need) {
    const grown = new Uint8Array(takeBuffer(shard, need))
    if (shard.pending !== null) {
      grown.set(shard.pending.subarray(0, shard.pendingLength))
      keepBuffer(shard, shard.pending.buffer)
    }
    shard.pending = grown
  }
  const offset = shard.pendingLength
  shard.pending.set(data, offset)
  shard.pendingLength = need
  return offset
}

function takeBuffer(shard: Shard, bytes: number): ArrayBuffer {
  const spare = shard.spare
  for (let i = 0; i < spare.length; i++) {
    const b = spare[i]!
    if (b.byteLength >= bytes) {
      spare[i] = spare[spare.length - 1]!
      spare.pop()
      return b
    }
  }
  // Rounded up so that slightly different request sizes still fit a kept buffer.
  let size = MIN_BUFFER_BYTES
  while (size < bytes) size *= 2
  return new ArrayBuffer(size)
}

function keepBuffer(shard: Shard, buf: ArrayBuffer): void {
  if (buf.byteLength > MAX_SPARE_BYTES || buf.byteLength === 0) return
  if (shard.spare.length < SPARE_BUFFERS) {
    shard.spare.push(buf)
    return
  }
  // Full: keep the larger buffers, which fit more tasks.
  let smallest = 0
  for (let i = 1; i < shard.spare.length; i++) if (shard.spare[i]!.byteLength < shard.spare[smallest]!.byteLength) smallest = i
  if (shard.spare[smallest]!.byteLength < buf.byteLength) shard.spare[smallest] = buf
}

export function defaultShardCount(): number {
  return Math.max(1, availableParallelism() - 1)
}
