// Fetch (key 1), versions 4-17.
// - Topics: by name up to v12; by topic id from v13 (responses then carry ids, not
//   names). An id this broker does not know answers UNKNOWN_TOPIC_ID for each of its
//   partitions, echoing the id. A partition whose topic was deleted answers
//   UNKNOWN_TOPIC_OR_PARTITION; one whose topic was recreated under the same name while
//   a fetch (v13+) or a session held its old id answers INCONSISTENT_TOPIC_ID, as
//   Kafka's ReplicaManager does. Below v13 a topic recreated during a long poll answers
//   UNKNOWN_TOPIC_OR_PARTITION.
// - Fetch sessions (KIP-227): see src/fetch/fetch-sessions.ts. Session errors answer a
//   top-level error with session id 0 and no partitions; incremental answers carry only
//   the partitions that changed.
// - Long polling: answers as soon as min_bytes are available or at max_wait_ms, and
//   sleeps on the partition cache (woken by appends) rather than polling the shards. The
//   deadline runs on the broker's poll clock, so tests advance it instead of waiting.
//   A client that disconnects cancels its wait. An error or a diverging epoch answers
//   at once.
// - Reads start at the whole batch containing fetch_offset. Each shard reads its
//   partitions of the request in request order against the request's max_bytes, as
//   Kafka's readFromLog does (each read gets at most partition_max_bytes and what is left;
//   only the first non-empty one may exceed that, by one whole batch, so consumers make
//   progress on batches larger than the limits), into one buffer per request that goes
//   back to the shard once the response is written. Partitions on different shards are
//   read in parallel, so the whole is then trimmed in request order by the same rule.
// - isolation_level read_committed (1): records stop at the last stable offset (before
//   any open transaction), and aborted_transactions lists the aborted transactions that
//   overlap what was returned, so the client drops their records; markers wake waiting
//   fetches since they move the last stable offset. log_start_offset is reported.
// - One node, leader of everything in leader epoch 0 (as Metadata says), no replicas:
//   current_leader_epoch (v9+) above 0 is UNKNOWN_LEADER_EPOCH; last_fetched_epoch
//   (v12+) is checked as Kafka's Partition.readRecords does against the one epoch (0 ends
//   at the log end: a fetch offset beyond it gets diverging_epoch {0, log end}; a later
//   epoch is OFFSET_OUT_OF_RANGE). A follower fetch (replica_id, or replica_state from
//   v15, >= 0) is from no known replica: NOT_LEADER_OR_FOLLOWER (UNKNOWN_LEADER_EPOCH
//   when it gives a leader epoch), with current_leader and node_endpoints from v16.
//   preferred_read_replica is always -1 (no replica selector).
// - ACLs: a consumer needs READ on each topic, a follower CLUSTER_ACTION on the cluster;
//   otherwise TOPIC_AUTHORIZATION_FAILED per partition (an unknown topic id stays
//   UNKNOWN_TOPIC_ID), as KafkaApis answers.
// - Quotas (consumers, not followers), once a consumer_byte_rate quota exists: max_bytes
//   is capped at what the client's quota allows in one window (quota × (samples − 1) ×
//   window); the bytes read are recorded against the quota, and over it the response is
//   empty (the bytes are taken back, the session left as the request made it: a full
//   fetch gets session id 0), carries throttle_time_ms, and the connection is muted for
//   that time, as KafkaApis does. Kafka counts the whole response's size; Samsa counts
//   its record bytes, which are nearly all of it.

import { decodeFetchRequest, type FetchRequest } from '../../protocol/messages/fetch-request.ts'
import { encodeFetchResponse, type FetchableTopicResponse, type FetchResponse, type NodeEndpoint, type PartitionData } from '../../protocol/messages/fetch-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { defineHandler, type RequestContext } from './api-handler.ts'
import type { TopicInfo } from '../topics/topic-registry.ts'
import { authorizedCluster, Op, topicChecker } from '../security/authorizer.ts'
import { fetchKey, INVALID_SESSION_ID, nextEpoch, sessionCacheOf, ZERO_UUID, type FetchContext, type FetchSessionCache, type PartitionFetch } from '../fetch/fetch-sessions.ts'
import { principalName } from '../quotas/client-quotas.ts'

const EMPTY = Buffer.alloc(0)
const LEADER_EPOCH = 0
let nextReadGroup = 0

interface Wanted {
  fetch: PartitionFetch
  /** The topic as it was when the request arrived (by name, below v13). */
  info: TopicInfo | undefined
  out: PartitionData
  /** The principal may not read this topic (checked once per request). */
  denied?: boolean
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

function sessions(ctx: RequestContext): FetchSessionCache {
  const broker = ctx.broker
  return sessionCacheOf(broker, broker.options.maxIncrementalFetchSessionCacheSlots, broker.pollClock)
}

/** True when a read could return data or an error; false when every partition is known to be caught up. */
function worthReading(ctx: RequestContext, wanted: Wanted[], committed: boolean, follower: boolean): boolean {
  if (follower) return true
  for (const w of wanted) {
    const f = w.fetch
    if (f.topic === null || w.info === undefined || w.denied === true || f.currentLeaderEpoch > LEADER_EPOCH) return true
    if (f.topicId !== ZERO_UUID && w.info.id !== f.topicId) return true
    const s = ctx.broker.replicas.bounds(f.topic, f.partition)
    if (s === undefined || f.fetchOffset !== (committed ? s.lastStableOffset : s.highWatermark)) return true
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

/**
 * The answer a partition gets without reading its records (an error, or a diverging
 * epoch), or null when it is to be read. Resolved again at every read: a long poll can
 * outlive its topic (or see it recreated).
 */
function answerWithoutRead(ctx: RequestContext, w: Wanted, follower: boolean): PartitionData | null {
  const broker = ctx.broker
  const f = w.fetch
  if (f.topic === null) return emptyPartition(f.partition, ErrorCode.UNKNOWN_TOPIC_ID)
  if (w.denied === true) return emptyPartition(f.partition, ErrorCode.TOPIC_AUTHORIZATION_FAILED)
  const info = broker.topics.get(f.topic)
  if (info === undefined || f.partition < 0 || f.partition >= info.partitions) return emptyPartition(f.partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  if (f.topicId !== ZERO_UUID) {
    if (info.id !== f.topicId) return emptyPartition(f.partition, ErrorCode.INCONSISTENT_TOPIC_ID)
  } else if (w.info !== undefined && info.id !== w.info.id) {
    return emptyPartition(f.partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  }
  // Partition.localLogWithEpochOrThrow: a negative epoch means "not given".
  if (f.currentLeaderEpoch > LEADER_EPOCH) return emptyPartition(f.partition, ErrorCode.UNKNOWN_LEADER_EPOCH)
  if (follower) {
    // Partition.followerReplicaOrThrow: the only replica is this broker.
    return emptyPartition(f.partition, f.currentLeaderEpoch >= 0 ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.NOT_LEADER_OR_FOLLOWER)
  }
  if (f.lastFetchedEpoch >= 0) {
    // Partition.readRecords: the end offset of the last fetched epoch, from a leader-epoch
    // cache holding epoch 0 only (later epochs are undefined: OFFSET_OUT_OF_RANGE).
    if (f.lastFetchedEpoch > LEADER_EPOCH) return emptyPartition(f.partition, ErrorCode.OFFSET_OUT_OF_RANGE)
    const b = broker.replicas.bounds(f.topic, f.partition)
    if (b !== undefined) {
      if (f.fetchOffset < b.logStartOffset) return emptyPartition(f.partition, ErrorCode.OFFSET_OUT_OF_RANGE)
      if (b.highWatermark < f.fetchOffset) {
        const out = emptyPartition(f.partition, ErrorCode.NONE)
        out.highWatermark = b.highWatermark
        out.lastStableOffset = b.lastStableOffset
        out.logStartOffset = b.logStartOffset
        out.divergingEpoch = { epoch: LEADER_EPOCH, endOffset: b.highWatermark }
        return out
      }
    }
  }
  return null
}

/**
 * Reads every partition; `urgent` when an error or a diverging epoch must be answered now.
 * The buffers the reads used go into `held`, to be given back once the response is written.
 */
async function readAll(ctx: RequestContext, wanted: Wanted[], responseMaxBytes: number, committed: boolean, follower: boolean, held: Set<() => void>): Promise<{ bytes: number; urgent: boolean }> {
  const broker = ctx.broker
  const reads: Promise<void>[] = []
  const budget = { group: nextReadGroup, responseMaxBytes }
  nextReadGroup = (nextReadGroup + 1) | 0
  for (const w of wanted) {
    const answer = answerWithoutRead(ctx, w, follower)
    if (answer !== null) {
      w.out = answer
      continue
    }
    const f = w.fetch
    reads.push(
      broker.replicas.read(f.topic!, f.partition, f.fetchOffset, Math.max(0, f.maxBytes), committed, budget).then((result) => {
        if (result.ok && result.release !== null) held.add(result.release)
        if (!result.ok) {
          w.out = emptyPartition(f.partition, result.error)
          return
        }
        const out = emptyPartition(f.partition, ErrorCode.NONE)
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

  // Kafka's limits over the whole request (a no-op when one shard read it all): the first
  // non-empty partition is returned whole (even above the limits, so consumers progress);
  // every later one keeps the whole batches that fit both its partition_max_bytes and what
  // is left of max_bytes.
  let bytes = 0
  let urgent = false
  for (const w of wanted) {
    if (w.out.errorCode !== ErrorCode.NONE || w.out.divergingEpoch.epoch !== -1) urgent = true
    const records = w.out.records
    if (records === null || records.length === 0) continue
    if (bytes === 0) {
      bytes = records.length
      continue
    }
    const keep = wholeBatchesWithin(records, Math.min(w.fetch.maxBytes, responseMaxBytes - bytes))
    if (keep < records.length) w.out.records = keep === 0 ? EMPTY : records.subarray(0, keep)
    bytes += keep
  }
  return { bytes, urgent }
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
    const watched: Array<{ topic: string; partition: number }> = []
    for (const w of wanted) if (w.fetch.topic !== null) watched.push({ topic: w.fetch.topic, partition: w.fetch.partition })
    const unwatch = ctx.broker.replicas.watch(watched, (bytes) => {
      arrived += bytes
      if (arrived >= minBytes || bytes === 0) finish()
    })
    ctx.signal.addEventListener('abort', finish)
  })
}

/** The request's partitions in order, keyed as a session keys them (a partition named twice keeps its first place and last parameters, as Kafka's LinkedHashMap). */
function requestedPartitions(ctx: RequestContext, req: FetchRequest, byId: boolean): Map<string, PartitionFetch> {
  const topics = ctx.broker.topics
  const out = new Map<string, PartitionFetch>()
  for (const t of req.topics) {
    const topicId = byId ? t.topicId : ZERO_UUID
    const topic = byId ? (topics.byId.get(t.topicId)?.name ?? null) : t.topic
    for (const p of t.partitions) {
      const key = fetchKey(topicId, topic, p.partition)
      out.set(key, {
        key,
        topic,
        topicId,
        partition: p.partition,
        fetchOffset: p.fetchOffset,
        maxBytes: p.partitionMaxBytes,
        currentLeaderEpoch: p.currentLeaderEpoch,
        lastFetchedEpoch: p.lastFetchedEpoch,
        logStartOffset: p.logStartOffset,
      })
    }
  }
  return out
}

function forgottenPartitions(ctx: RequestContext, req: FetchRequest, byId: boolean): string[] {
  const keys: string[] = []
  for (const t of req.forgottenTopicsData) {
    const topicId = byId ? t.topicId : ZERO_UUID
    const topic = byId ? (ctx.broker.topics.byId.get(t.topicId)?.name ?? null) : t.topic
    for (const p of t.partitions) keys.push(fetchKey(topicId, topic, p))
  }
  return keys
}

/** FetchContext.getThrottledResponse: no partitions, and no session made or changed by the answer. */
function throttledResponse(context: FetchContext, throttleTimeMs: number): FetchResponse {
  const answer: FetchResponse = { throttleTimeMs, errorCode: ErrorCode.NONE, sessionId: INVALID_SESSION_ID, responses: [], nodeEndpoints: [] }
  if (context.kind !== 'incremental') return answer
  answer.sessionId = context.session.id
  // Another request of the session got in between (a duplicate or a retry).
  if (context.session.epoch !== nextEpoch(context.requestEpoch)) answer.errorCode = ErrorCode.INVALID_FETCH_SESSION_EPOCH
  return answer
}

/** FetchResponse.toMessage: consecutive partitions of one topic share a topic entry. */
function groupByTopic(parts: Wanted[]): FetchableTopicResponse[] {
  const responses: FetchableTopicResponse[] = []
  let last: { key: string; entry: FetchableTopicResponse } | null = null
  for (const w of parts) {
    const f = w.fetch
    const key = f.topicId !== ZERO_UUID ? `i${f.topicId}` : `n${f.topic}`
    if (last === null || last.key !== key) {
      last = { key, entry: { topic: f.topicId !== ZERO_UUID ? '' : f.topic ?? '', topicId: f.topicId, partitions: [] } }
      responses.push(last.entry)
    }
    last.entry.partitions.push(w.out)
  }
  return responses
}

export default defineHandler<FetchRequest, FetchResponse>({
  apiKey: 1,
  name: 'Fetch',
  minVersion: 4,
  maxVersion: 17,
  decode: decodeFetchRequest,
  encode: encodeFetchResponse,
  async handle(ctx, req) {
    const broker = ctx.broker
    const version = ctx.header.apiVersion
    const byId = version >= 13
    const replicaId = version >= 15 ? req.replicaState.replicaId : req.replicaId
    const follower = replicaId >= 0
    const cache = sessions(ctx)
    const context = cache.newContext(
      version,
      req.sessionId,
      req.sessionEpoch,
      follower,
      requestedPartitions(ctx, req, byId),
      forgottenPartitions(ctx, req, byId),
      (topicId) => broker.topics.byId.get(topicId)?.name,
    )
    if (context.kind === 'error') {
      return { throttleTimeMs: 0, errorCode: context.errorCode, sessionId: INVALID_SESSION_ID, responses: [], nodeEndpoints: [] }
    }

    const mayRead = follower ? (authorizedCluster(ctx, Op.CLUSTER_ACTION) ? () => true : () => false) : topicChecker(ctx, Op.READ)
    const wanted: Wanted[] = context.partitions.map((fetch) => ({
      fetch,
      info: fetch.topic === null ? undefined : broker.topics.get(fetch.topic),
      out: emptyPartition(fetch.partition, ErrorCode.NONE),
      denied: fetch.topic !== null && !mayRead(fetch.topic),
    }))

    const quotas = broker.quotas
    const quotaUser = !follower && quotas.fetch.enabled ? principalName(ctx.security.principal) : null
    const clientId = ctx.header.clientId ?? ''
    let responseMaxBytes = req.maxBytes > 0 ? req.maxBytes : 0x7fffffff
    let minBytes = Math.max(1, req.minBytes)
    if (quotaUser !== null) {
      // A response above what the quota allows in a whole window would be throttled for certain.
      responseMaxBytes = Math.max(1, Math.min(responseMaxBytes, Math.floor(quotas.fetch.maxValueInQuotaWindow(quotaUser, clientId))))
      minBytes = Math.max(1, Math.min(minBytes, responseMaxBytes))
    }
    const clock = broker.pollClock
    const deadline = clock.now() + Math.max(0, req.maxWaitMs)
    // Every read's buffer, including those of reads a long poll superseded.
    const held = new Set<() => void>()
    ctx.onResponseWritten?.(() => {
      for (const release of held) release()
    })
    let bytes = 0
    // A fetch whose partitions are all caught up sleeps first instead of asking the shards.
    const committed = req.isolationLevel === 1
    let read = worthReading(ctx, wanted, committed, follower) || req.maxWaitMs <= 0
    for (;;) {
      if (read) {
        const r = await readAll(ctx, wanted, responseMaxBytes, committed, follower, held)
        bytes = r.bytes
        if (r.urgent) break
      }
      if (bytes >= minBytes || clock.now() >= deadline || ctx.signal.aborted) {
        if (!read) await readAll(ctx, wanted, responseMaxBytes, committed, follower, held)
        break
      }
      await waitForAppend(ctx, wanted, deadline, minBytes, bytes)
      read = true
    }

    // v16+: where a partition is told to look for its leader, the leader's endpoint.
    const nodeEndpoints: NodeEndpoint[] = []
    if (version >= 16) {
      for (const w of wanted) {
        if (w.out.errorCode !== ErrorCode.NOT_LEADER_OR_FOLLOWER) continue
        w.out.currentLeader = { leaderId: broker.nodeId, leaderEpoch: LEADER_EPOCH }
        if (nodeEndpoints.length === 0) nodeEndpoints.push({ nodeId: broker.nodeId, host: ctx.listener.advertisedHost, port: ctx.listener.advertisedPort, rack: null })
      }
    }

    if (quotaUser !== null) {
      let size = 0
      for (const w of wanted) size += w.out.records?.length ?? 0
      const now = quotas.clock.now()
      const throttleTimeMs = quotas.fetch.recordAndGetThrottleTimeMs(quotaUser, clientId, size, now)
      if (throttleTimeMs > 0) {
        quotas.fetch.unrecord(quotaUser, clientId, size, now)
        ctx.throttle(throttleTimeMs)
        return throttledResponse(context, throttleTimeMs)
      }
    }

    const answer = cache.respond(
      context,
      wanted.map((w) => ({
        errorCode: w.out.errorCode,
        highWatermark: w.out.highWatermark,
        logStartOffset: w.out.logStartOffset,
        lastStableOffset: w.out.lastStableOffset,
        recordsBytes: w.out.records?.length ?? 0,
        divergingEpoch: w.out.divergingEpoch.epoch !== -1,
        preferredReadReplica: w.out.preferredReadReplica,
      })),
    )
    const included = wanted.filter((_, i) => answer.include[i] === true)
    for (const w of included) if (w.out.records !== null && w.fetch.topic !== null) broker.metrics.fetched(w.fetch.topic, w.out.records.length)
    return {
      throttleTimeMs: 0,
      errorCode: answer.errorCode,
      sessionId: answer.sessionId,
      responses: groupByTopic(included),
      nodeEndpoints: included.some((w) => w.out.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER) ? nodeEndpoints : [],
    }
  },
  // FetchRequest.getErrorResponse: the top-level error, plus (below v13) the same error
  // for every partition asked for.
  errorResponse(req, errorCode, version) {
    return {
      throttleTimeMs: 0,
      errorCode,
      sessionId: req.sessionId,
      responses: version >= 13 ? [] : req.topics.map((t) => ({ topic: t.topic, topicId: t.topicId, partitions: t.partitions.map((p) => emptyPartition(p.partition, errorCode)) })),
      nodeEndpoints: [],
    }
  },
})
