// Incremental fetch sessions (KIP-227), after Kafka's FetchSession.scala (FetchManager,
// FetchSessionCacheShard, the Sessionless/Full/Incremental/SessionError fetch contexts).
//
// - session_id 0, epoch 0 (or a known id with epoch 0): a full fetch that asks for a
//   session. Any session the id names is closed first; once the partitions are read,
//   a session holding every partition of the response is created if the cache has room
//   (or can evict), and its id is answered; otherwise the answer carries session id 0.
// - epoch -1: a full fetch without a session (sessionless); a non-zero id is closed.
// - any other epoch: incremental. The session must exist (else FETCH_SESSION_ID_NOT_FOUND)
//   and expect exactly that epoch (else INVALID_FETCH_SESSION_EPOCH), and must address
//   topics the way the request version does (ids from v13, else
//   FETCH_SESSION_TOPIC_ID_ERROR). The request's partitions are added or update the
//   cached ones, forgotten_topics_data removes partitions; a session left empty is
//   closed and the fetch is sessionless. Otherwise the epoch moves on and every cached
//   partition is read; the answer holds only partitions with records, a changed high
//   watermark, log start offset or last stable offset, a preferred read replica, a
//   diverging epoch or an error. Partitions that returned records move to the end of
//   the session, so a response size limit does not starve the others.
// - Session ids are random in [1, 2^31-1), unique on this broker. Sessions belong to the
//   broker, not to a connection: as in Kafka a client may carry one to a new connection,
//   and a closed connection releases nothing.
// - Eviction (FetchSessionCacheShard.tryEvict): with the cache full, a new session may
//   replace the least recently used one if it is stale (unused for 120 s, Kafka's
//   MIN_INCREMENTAL_FETCH_SESSION_EVICTION_MS); else the least valuable evictable one,
//   ordered by (privileged, partition count, id), if the newcomer is worth at least as
//   much, i.e. has more partitions. A session is evictable by consumers only once it is
//   older than 120 s (as of its last use); follower (privileged) sessions are evictable
//   only by followers, and by them only once older than 120 s.
// Simplified: Kafka splits the slots over 8 cache shards (KAFKA-9401, lock contention)
// and evicts within a shard only; one event loop needs no shards, so this is one cache
// with every slot (Kafka before 3.8), which also keeps small slot counts usable.

import { randomInt } from 'node:crypto'
import type { Clock } from '../groups/clock.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'

export const INVALID_SESSION_ID = 0
export const INITIAL_EPOCH = 0
export const FINAL_EPOCH = -1
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA'
/** Kafka's KafkaServer.MIN_INCREMENTAL_FETCH_SESSION_EVICTION_MS. */
export const SESSION_EVICTION_MS = 120_000

const INT32_MAX = 0x7fffffff

/** FetchMetadata.nextEpoch. */
export function nextEpoch(prev: number): number {
  if (prev < 0) return FINAL_EPOCH
  if (prev === INT32_MAX) return 1
  return prev + 1
}

/** What a fetch asks of one partition: from the request, or cached in a session. */
export interface PartitionFetch {
  /** Identity within a request or session: the topic id from v13, else the name. */
  key: string
  /** The topic's name; null when the request named a topic id this broker does not know. */
  topic: string | null
  /** The id the fetch named (v13+); ZERO_UUID when topics are named by name. */
  topicId: string
  partition: number
  fetchOffset: number
  maxBytes: number
  currentLeaderEpoch: number
  lastFetchedEpoch: number
  logStartOffset: number
}

/** What the last answer told the fetcher about a session partition. */
interface CachedPartition extends PartitionFetch {
  highWatermark: number
  localLogStartOffset: number
  lastStableOffset: number
}

/** The parts of a partition's answer that decide whether an incremental response must carry it. */
export interface PartitionOutcome {
  errorCode: number
  highWatermark: number
  logStartOffset: number
  lastStableOffset: number
  recordsBytes: number
  divergingEpoch: boolean
  preferredReadReplica: number
}

export function fetchKey(topicId: string, topic: string | null, partition: number): string {
  return topicId !== ZERO_UUID ? `i${topicId}\u0000${partition}` : `n${topic ?? ''}\u0000${partition}`
}

export class FetchSession {
  readonly id: number
  readonly privileged: boolean
  readonly usesTopicIds: boolean
  readonly creationMs: number
  lastUsedMs: number
  /** The epoch the next incremental request must carry. */
  epoch: number
  /** In fetch order: partitions that returned records move to the end. */
  readonly partitions: Map<string, CachedPartition>
  /** The partition count the cache ranks it by (as of its last use); -1 once removed. */
  cachedSize = -1
  /** Kafka's evictableByAll / evictableByPrivileged membership, decided at each use. */
  evictableByAll = false
  evictableByPrivileged = false

  constructor(id: number, privileged: boolean, usesTopicIds: boolean, now: number, partitions: Map<string, CachedPartition>) {
    this.id = id
    this.privileged = privileged
    this.usesTopicIds = usesTopicIds
    this.creationMs = now
    this.lastUsedMs = now
    this.epoch = nextEpoch(INITIAL_EPOCH)
    this.partitions = partitions
  }
}

/** (privileged, size, id), compared as Kafka's EvictableKey. */
function compareEvictable(a: { privileged: boolean; size: number; id: number }, b: { privileged: boolean; size: number; id: number }): number {
  if (a.privileged !== b.privileged) return a.privileged ? 1 : -1
  if (a.size !== b.size) return a.size - b.size
  return a.id - b.id
}

export type FetchContext =
  | { kind: 'error'; errorCode: number }
  | { kind: 'sessionless'; partitions: PartitionFetch[] }
  | { kind: 'full'; partitions: PartitionFetch[]; privileged: boolean; usesTopicIds: boolean }
  | { kind: 'incremental'; partitions: PartitionFetch[]; session: FetchSession; requestEpoch: number }

export interface FetchAnswer {
  errorCode: number
  sessionId: number
  /** Per partition of the context, in its order: whether the response carries it. */
  include: boolean[]
}

export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>()
  private readonly maxEntries: number
  private readonly evictionMs: number
  private readonly clock: Clock
  /** Sessions removed to make room, since start. */
  evictions = 0

  constructor(maxEntries: number, clock: Clock, evictionMs = SESSION_EVICTION_MS) {
    this.maxEntries = maxEntries
    this.clock = clock
    this.evictionMs = evictionMs
  }

  get size(): number {
    return this.sessions.size
  }

  get(id: number): FetchSession | undefined {
    return this.sessions.get(id)
  }

  /** FetchManager.newContext: what kind of fetch this is, with its partitions in read order. */
  newContext(version: number, sessionId: number, epoch: number, privileged: boolean, fetchData: Map<string, PartitionFetch>, toForget: string[], resolveName: (topicId: string) => string | undefined): FetchContext {
    const usesTopicIds = version >= 13
    if (epoch === INITIAL_EPOCH || epoch === FINAL_EPOCH) {
      // Any session named by a full fetch is closed.
      if (sessionId !== INVALID_SESSION_ID) this.remove(sessionId)
      const partitions = [...fetchData.values()]
      return epoch === FINAL_EPOCH ? { kind: 'sessionless', partitions } : { kind: 'full', partitions, privileged, usesTopicIds }
    }
    const session = this.sessions.get(sessionId)
    if (session === undefined) return { kind: 'error', errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND }
    if (session.epoch !== epoch) return { kind: 'error', errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH }
    if (session.usesTopicIds !== usesTopicIds) return { kind: 'error', errorCode: ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR }
    for (const [key, req] of fetchData) {
      const cached = session.partitions.get(key)
      if (cached === undefined) {
        session.partitions.set(key, { ...req, highWatermark: -1, localLogStartOffset: -1, lastStableOffset: -1 })
      } else {
        cached.fetchOffset = req.fetchOffset
        cached.maxBytes = req.maxBytes
        cached.logStartOffset = req.logStartOffset
        cached.currentLeaderEpoch = req.currentLeaderEpoch
        cached.lastFetchedEpoch = req.lastFetchedEpoch
      }
    }
    for (const key of toForget) session.partitions.delete(key)
    if (session.partitions.size === 0) {
      this.remove(session)
      return { kind: 'sessionless', partitions: [...fetchData.values()] }
    }
    this.touch(session, this.clock.now())
    session.epoch = nextEpoch(session.epoch)
    const partitions: PartitionFetch[] = []
    for (const p of session.partitions.values()) {
      // A topic id unknown when it was added may be known now (maybeResolveUnknownName).
      if (p.topic === null && session.usesTopicIds) p.topic = resolveName(p.topicId) ?? null
      partitions.push({ ...p })
    }
    return { kind: 'incremental', partitions, session, requestEpoch: epoch }
  }

  /**
   * updateAndGenerateResponseData: creates the session of a full fetch, or picks what an
   * incremental answer carries and remembers what it told the fetcher.
   */
  respond(context: FetchContext, outcomes: PartitionOutcome[]): FetchAnswer {
    switch (context.kind) {
      case 'error':
        return { errorCode: context.errorCode, sessionId: INVALID_SESSION_ID, include: [] }
      case 'sessionless':
        return { errorCode: ErrorCode.NONE, sessionId: INVALID_SESSION_ID, include: outcomes.map(() => true) }
      case 'full': {
        const id = this.maybeCreate(context.privileged, outcomes.length, context.usesTopicIds, () => {
          const cached = new Map<string, CachedPartition>()
          context.partitions.forEach((p, i) => {
            const o = outcomes[i]!
            cached.set(p.key, { ...p, highWatermark: o.highWatermark, localLogStartOffset: o.logStartOffset, lastStableOffset: o.lastStableOffset })
          })
          return cached
        })
        return { errorCode: ErrorCode.NONE, sessionId: id, include: outcomes.map(() => true) }
      }
      case 'incremental': {
        const session = context.session
        // Another request of the session got in between (a duplicate or a retry).
        if (session.epoch !== nextEpoch(context.requestEpoch)) return { errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH, sessionId: session.id, include: [] }
        const include = context.partitions.map((p, i) => {
          const o = outcomes[i]!
          const cached = session.partitions.get(p.key)
          if (cached === undefined) return true
          let must = o.recordsBytes > 0 || o.preferredReadReplica >= 0 || o.divergingEpoch
          if (cached.highWatermark !== o.highWatermark) {
            must = true
            cached.highWatermark = o.highWatermark
          }
          if (cached.localLogStartOffset !== o.logStartOffset) {
            must = true
            cached.localLogStartOffset = o.logStartOffset
          }
          if (cached.lastStableOffset !== o.lastStableOffset) {
            must = true
            cached.lastStableOffset = o.lastStableOffset
          }
          if (o.errorCode !== ErrorCode.NONE) {
            // Forget what was sent, so the partition is answered again once the error clears.
            cached.highWatermark = -1
            must = true
          }
          if (must && o.recordsBytes > 0) {
            session.partitions.delete(p.key)
            session.partitions.set(p.key, cached)
          }
          return must
        })
        return { errorCode: ErrorCode.NONE, sessionId: session.id, include }
      }
    }
  }

  /** Removes a session (closed by its fetcher, or evicted); false if there was none. */
  remove(idOrSession: number | FetchSession): boolean {
    const session = typeof idOrSession === 'number' ? this.sessions.get(idOrSession) : idOrSession
    if (session === undefined || this.sessions.get(session.id) !== session) return false
    this.sessions.delete(session.id)
    session.cachedSize = -1
    session.evictableByAll = false
    session.evictableByPrivileged = false
    return true
  }

  /** A session with `size` partitions if there is room (or room can be made); its id, else 0. */
  private maybeCreate(privileged: boolean, size: number, usesTopicIds: boolean, partitions: () => Map<string, CachedPartition>): number {
    const now = this.clock.now()
    if (this.sessions.size >= this.maxEntries && !this.tryEvict(privileged, size, now)) return INVALID_SESSION_ID
    const session = new FetchSession(this.newSessionId(), privileged, usesTopicIds, now, partitions())
    this.sessions.set(session.id, session)
    this.touch(session, now)
    return session.id
  }

  private newSessionId(): number {
    let id: number
    do id = randomInt(1, INT32_MAX)
    while (this.sessions.has(id))
    return id
  }

  private touch(session: FetchSession, now: number): void {
    session.lastUsedMs = now
    session.cachedSize = session.partitions.size
    const old = now - session.creationMs > this.evictionMs
    session.evictableByPrivileged = !session.privileged || old
    session.evictableByAll = old
  }

  private tryEvict(privileged: boolean, size: number, now: number): boolean {
    let lru: FetchSession | undefined
    let cheapest: FetchSession | undefined
    for (const s of this.sessions.values()) {
      if (lru === undefined || s.lastUsedMs < lru.lastUsedMs || (s.lastUsedMs === lru.lastUsedMs && s.id < lru.id)) lru = s
      if (privileged ? s.evictableByPrivileged : s.evictableByAll) {
        if (cheapest === undefined || compareEvictable(this.keyOf(s), this.keyOf(cheapest)) < 0) cheapest = s
      }
    }
    if (lru === undefined) return false
    if (now - lru.lastUsedMs > this.evictionMs) {
      this.remove(lru)
      this.evictions++
      return true
    }
    if (cheapest === undefined || compareEvictable({ privileged, size, id: 0 }, this.keyOf(cheapest)) < 0) return false
    this.remove(cheapest)
    this.evictions++
    return true
  }

  private keyOf(s: FetchSession): { privileged: boolean; size: number; id: number } {
    return { privileged: s.privileged, size: s.cachedSize, id: s.id }
  }
}

const caches = new WeakMap<object, FetchSessionCache>()

/** The broker's session cache, made on first use (one per broker, keyed by its context). */
export function sessionCacheOf(broker: object, maxEntries: number, clock: Clock): FetchSessionCache {
  let cache = caches.get(broker)
  if (cache === undefined) {
    cache = new FetchSessionCache(maxEntries, clock)
    caches.set(broker, cache)
  }
  return cache
}
