// Fetch (key 1), versions 4-12 (13+ address topics by id; platformatic would then pick
// them, so they wait until topic ids resolve end to end).
// - Long polling: answers as soon as min_bytes are available or at max_wait_ms, and
//   sleeps on the partition cache (woken by appends) rather than polling the shards. The
//   deadline runs on the broker's poll clock, so tests advance it instead of waiting.
//   A client that disconnects cancels its wait.
// - Reads start at the whole batch containing fetch_offset. Partitions are read in
//   parallel on their shards, then trimmed in request order to partition_max_bytes and
//   max_bytes, except that the first non-empty partition is always returned whole so
//   consumers make progress on batches larger than the limits.
// - A topic deleted (or recreated) while a fetch waits answers UNKNOWN_TOPIC_OR_PARTITION.
// - isolation_level read_committed (1): records stop at the last stable offset (before
//   any open transaction), and aborted_transactions lists the aborted transactions that
//   overlap what was returned, so the client drops their records; markers wake waiting
//   fetches since they move the last stable offset. log_start_offset is reported.
// - session_id is always 0: no incremental fetch sessions, every fetch is full.
// Not supported: fetch sessions (KIP-227), follower fetching, preferred read replicas.

import { decodeFetchRequest, type FetchRequest } from '../../protocol/messages/fetch-request.ts'
import { encodeFetchResponse, type FetchResponse, type PartitionData } from '../../protocol/messages/fetch-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { defineHandler, type RequestContext } from './api-handler.ts'
import type { TopicInfo } from '../topics/topic-registry.ts'

const EMPTY = Buffer.alloc(0)

interface Wanted {
  topic: string
  info: TopicInfo | undefined
  partition: number
  fetchOffset: number
  maxBytes: number
  out: PartitionData
}

function emptyPartition(partitionIndex: number, errorCode: number): PartitionData {
  return {
    partitionIndex,
    errorCode,
    highWatermark: -1,
    lastStableOffset: -1,
    logStartOffset: -1,
    divergingEpoch: { epoch: -1, endOffset: -1 },
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
    snapshotId: { endOffset: -1, epoch: -1 },
    abortedTransactions: [],
    preferredReadReplica: -1,
    records: EMPTY,
  }
}

/** True when a read could return data or an error; false when every partition is known to be caught up. */
function worthReading(ctx: RequestContext, wanted: Wanted[], committed: boolean): boolean {
  for (const w of wanted) {
    if (w.info === undefined) return true
    const s = ctx.broker.replicas.bounds(w.topic, w.partition)
    if (s === undefined || w.fetchOffset !== (committed ? s.lastStableOffset : s.highWatermark)) return true
  }
  return false
}

// Whole batches at the start of `records` that fit in `limit` bytes.
function wholeBatchesWithin(records: Buffer, limit: number): number {
  let pos = 0
  while (pos + 12 <= records.length) {
    const size = 12 + records.readInt32BE(pos + 8)
    if (pos + size > limit) break
    pos += size
  }
  return pos
}

async function readAll(ctx: RequestContext, wanted: Wanted[], responseMaxBytes: number, committed: boolean): Promise<{ bytes: number; errors: boolean }> {
  const broker = ctx.broker
  const reads: Promise<void>[] = []
  for (const w of wanted) {
    // Resolved again at every read: a long poll can outlive its topic (or see it recreated).
    const info = broker.topics.get(w.topic)
    if (info === undefined || (w.info !== undefined && info.id !== w.info.id) || w.partition < 0 || w.partition >= info.partitions) {
      w.out = emptyPartition(w.partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
      continue
    }
    const maxBytes = Math.max(0, Math.min(w.maxBytes, responseMaxBytes))
    reads.push(
      broker.replicas.read(w.topic, w.partition, w.fetchOffset, maxBytes, committed).then((result) => {
        if (!result.ok) {
          w.out = emptyPartition(w.partition, result.error)
          return
        }
        const out = emptyPartition(w.partition, ErrorCode.NONE)
        out.highWatermark = result.highWatermark
        out.lastStableOffset = result.lastStableOffset
        out.logStartOffset = result.logStartOffset
        if (result.abortedTransactions !== null) out.abortedTransactions = result.abortedTransactions
        if (result.records !== null) out.records = result.records
        w.out = out
      }),
    )
  }
  await Promise.all(reads)

  // Kafka's limits, applied in request order after the parallel reads: the first
  // non-empty partition is returned whole (even above the limits, so consumers progress);
  // every later one keeps the whole batches that fit both its partition_max_bytes and what
  // is left of max_bytes.
  let bytes = 0
  let errors = false
  for (const w of wanted) {
    if (w.out.errorCode !== ErrorCode.NONE) errors = true
    const records = w.out.records
    if (records === null || records.length === 0) continue
    if (bytes === 0) {
      bytes = records.length
      continue
    }
    const keep = wholeBatchesWithin(records, Math.min(w.maxBytes, responseMaxBytes - bytes))
    if (keep < records.length) w.out.records = keep === 0 ? EMPTY : records.subarray(0, keep)
    bytes += keep
  }
  return { bytes, errors }
}

function waitForAppend(ctx: RequestContext, wanted: Wanted[], deadline: number, minBytes: number, seen: number): Promise<void> {
  return new Promise((resolve) => {
    let arrived = seen
    const finish = (): void => {
      timer.cancel()
      unwatch()
      ctx.signal.removeEventListener('abort', finish)
      resolve()
    }
    const clock = ctx.broker.pollClock
    const timer = clock.setTimer(Math.max(0, deadline - clock.now()), finish)
    const unwatch = ctx.broker.replicas.watch(wanted, (bytes) => {
      arrived += bytes
      if (arrived >= minBytes || bytes === 0) finish()
    })
    ctx.signal.addEventListener('abort', finish)
  })
}

export default defineHandler<FetchRequest, FetchResponse>({
  apiKey: 1,
  name: 'Fetch',
  minVersion: 4,
  maxVersion: 12,
  decode: decodeFetchRequest,
  encode: encodeFetchResponse,
  async handle(ctx, req) {
    const broker = ctx.broker
    const wanted: Wanted[] = []
    const responses = req.topics.map((t) => {
      const info = broker.topics.get(t.topic)
      const partitions = t.partitions.map((p) => {
        const w: Wanted = { topic: t.topic, info, partition: p.partition, fetchOffset: p.fetchOffset, maxBytes: p.partitionMaxBytes, out: emptyPartition(p.partition, ErrorCode.NONE) }
        wanted.push(w)
        return w
      })
      return { t, partitions }
    })

    const responseMaxBytes = req.maxBytes > 0 ? req.maxBytes : 0x7fffffff
    const minBytes = Math.max(1, req.minBytes)
    const clock = broker.pollClock
    const deadline = clock.now() + Math.max(0, req.maxWaitMs)
    let bytes = 0
    // A fetch whose partitions are all caught up sleeps first instead of asking the shards.
    const committed = req.isolationLevel === 1
    let read = worthReading(ctx, wanted, committed) || req.maxWaitMs <= 0
    for (;;) {
      if (read) {
        const r = await readAll(ctx, wanted, responseMaxBytes, committed)
        bytes = r.bytes
        if (r.errors) break
      }
      if (bytes >= minBytes || clock.now() >= deadline || ctx.signal.aborted) {
        if (!read) await readAll(ctx, wanted, responseMaxBytes, committed)
        break
      }
      await waitForAppend(ctx, wanted, deadline, minBytes, bytes)
      read = true
    }

    return {
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      responses: responses.map(({ t, partitions }) => ({ topic: t.topic, topicId: t.topicId, partitions: partitions.map((w) => w.out) })),
      nodeEndpoints: [],
    }
  },
  errorResponse(req, errorCode) {
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      responses: req.topics.map((t) => ({ topic: t.topic, topicId: t.topicId, partitions: t.partitions.map((p) => emptyPartition(p.partition, errorCode)) })),
      nodeEndpoints: [],
    }
  },
})
