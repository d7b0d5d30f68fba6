// The transaction coordinator, following Kafka's TransactionCoordinator and
// TransactionStateManager (KIP-98, KIP-360): transactional ids map to a producer id and
// epoch; InitProducerId bumps the epoch and fences the previous holder (aborting its
// open transaction first); AddPartitionsToTxn / AddOffsetsToTxn move a transaction to
// Ongoing; EndTxn writes PrepareCommit/PrepareAbort (the decision), then a COMMIT or
// ABORT marker to every partition of the transaction, then CompleteCommit/CompleteAbort.
// State lives in `__transaction_state` (Kafka's key and value layouts), replayed at
// start-up; a transaction found prepared then is completed. Transactions older than
// their timeout are aborted with a bumped epoch, so their producer is fenced.
//
// EndTxn v5 is Kafka's transaction version 2 (KIP-890 part 2): every EndTxn bumps the
// epoch (at the decision, so the markers carry the new epoch and fence the old one on
// every partition), a producer whose epoch would reach Short.MAX_VALUE moves to a new
// producer id at epoch 0 once the markers are written, and a retry (the epoch just
// below the current one) is answered with the same outcome and the new id and epoch.
// The version is the request's, as in Kafka 4.x: a v4 EndTxn after a v5 one is judged
// by transaction version 1 rules.
//
// A transactional id has at most one state change in flight (Kafka's pendingState):
// requests arriving meanwhile get CONCURRENT_TRANSACTIONS, which every client retries.

import { ErrorCode } from '../../protocol/error-codes.ts'
import { CoordinatorLog, type ReplayedBatch } from '../coordinator/coordinator-log.ts'
import type { CoordinatorLogHost } from '../coordinator/coordinator-log.ts'
import type { Clock, Timer } from '../groups/clock.ts'
import { decodeTxnKey, decodeTxnValue, encodeTxnKey, encodeTxnValue } from './transaction-log-records.ts'

export const TRANSACTION_STATE_TOPIC = '__transaction_state'
// Kafka's transaction.state.log.segment.bytes default.
const TXN_TOPIC_SEGMENT_BYTES = '104857600'
/** Kafka bumps to a new producer id once the epoch would reach Short.MAX_VALUE. */
const MAX_EPOCH = 32766
const NO_PRODUCER_ID = -1
// Single broker: the coordinator epoch never changes.
const COORDINATOR_EPOCH = 0

export const TxnState = {
  Empty: 0, Ongoing: 1, PrepareCommit: 2, PrepareAbort: 3, CompleteCommit: 4, CompleteAbort: 5, Dead: 6, PrepareEpochFence: 7,
} as const
export type TxnStateId = (typeof TxnState)[keyof typeof TxnState]

/** Kafka's names, as DescribeTransactions and ListTransactions report them. */
export const TXN_STATE_NAMES: Record<number, string> = {
  0: 'Empty', 1: 'Ongoing', 2: 'PrepareCommit', 3: 'PrepareAbort', 4: 'CompleteCommit', 5: 'CompleteAbort', 6: 'Dead', 7: 'PrepareEpochFence',
}

export interface TxnMetadata {
  transactionalId: string
  producerId: number
  /** The producer id and epoch before the last bump (KIP-360 retries of InitProducerId). */
  lastProducerId: number
  lastProducerEpoch: number
  producerEpoch: number
  timeoutMs: number
  state: TxnStateId
  /** Partitions in the transaction, as `topic` → partition numbers. */
  partitions: Map<string, Set<number>>
  startTimestamp: number
  lastUpdateTimestamp: number
  /** A state change is being written. */
  pending: boolean
  /**
   * Transaction version 2 only: the producer id the transaction moves to when it
   * completes, because its end bumped the epoch to Short.MAX_VALUE (Kafka's
   * nextProducerId); −1 otherwise. Kept in memory: a prepared transaction replayed at
   * Short.MAX_VALUE gets a fresh id when it completes (no other path leads there here).
   */
  nextProducerId: number
}

export interface TxnPartition {
  topic: string
  partition: number
}

/** What the coordinator needs beyond its log: producer ids, the group coordinator's marker hook, and a clock. */
export interface TxnCoordinatorDeps {
  host: CoordinatorLogHost
  newProducerId(): number
  /** A marker reached `__consumer_offsets`: apply or drop the producer's transactional offsets. */
  onOffsetsMarker(producerId: number, commit: boolean): void
  offsetsTopic: string
  clock: Clock
  options: { transactionStateLogNumPartitions: number; transactionMaxTimeoutMs: number; transactionAbortTimedOutTransactionCleanupIntervalMs: number }
}

export type InitResult = { error: number; producerId: number; producerEpoch: number }
/** EndTxn's answer; the producer id and epoch are what the client continues with (v5+), −1 on errors and under transaction version 1. */
export type EndTxnResult = { error: number; producerId: number; producerEpoch: number }

export class TransactionCoordinator {
  private readonly deps: TxnCoordinatorDeps
  readonly log: CoordinatorLog
  readonly txns = new Map<string, TxnMetadata>()
  private loaded = false
  private timer: Timer | null = null
  private closed = false

  constructor(deps: TxnCoordinatorDeps) {
    this.deps = deps
    // The overrides Kafka's TransactionLog gives the topic (compacted, stored uncompressed).
    this.log = new CoordinatorLog(deps.host, TRANSACTION_STATE_TOPIC, deps.options.transactionStateLogNumPartitions, { 'cleanup.policy': 'compact', 'compression.type': 'uncompressed', 'segment.bytes': TXN_TOPIC_SEGMENT_BYTES, 'min.insync.replicas': '1', 'unclean.leader.election.enable': 'false' })
  }

  get isLoading(): boolean {
    return !this.loaded
  }

  private get now(): number {
    return this.deps.clock.now()
  }

  // ---- persistence ----

  /** Writes the metadata as it will be once `next` applies; resolves to an error code. */
  private persist(m: TxnMetadata, next: Partial<TxnMetadata>): Promise<number> {
    const v = { ...m, ...next }
    const partitions = [...v.partitions].map(([topic, ps]) => ({ topic, partitions: [...ps].sort((a, b) => a - b) }))
    const value = encodeTxnValue({
      producerId: v.producerId, producerEpoch: v.producerEpoch, timeoutMs: v.timeoutMs, state: v.state, partitions,
      lastUpdateTimestamp: v.lastUpdateTimestamp, startTimestamp: v.startTimestamp,
    })
    return this.log.append(m.transactionalId, [{ key: encodeTxnKey(m.transactionalId), value }])
  }

  /** Persists then applies a transition, with the id marked pending meanwhile; resolves to an error code. */
  private async transition(m: TxnMetadata, next: Partial<TxnMetadata>): Promise<number> {
    m.pending = true
    try {
      const written = await this.persist(m, { ...next, lastUpdateTimestamp: this.now })
      if (written === ErrorCode.NONE) Object.assign(m, next, { lastUpdateTimestamp: this.now })
      return written
    } finally {
      m.pending = false
    }
  }

  /** Replays `__transaction_state`, then completes transactions that had decided but not finished. */
  async load(): Promise<void> {
    await this.log.replay((batch) => this.replay(batch))
    this.loaded = true
    for (const m of this.txns.values()) {
      if (m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort) this.background(m, this.complete(m, m.state === TxnState.PrepareCommit))
    }
    this.scheduleTimeouts()
  }

  private replay(batch: ReplayedBatch): void {
    for (const r of batch.records) {
      if (r.key === null) continue
      const id = decodeTxnKey(r.key)
      if (id === null) continue
      if (r.value === null) {
        this.txns.delete(id)
        continue
      }
      const v = decodeTxnValue(r.value)
      if (v === null) continue
      const previous = this.txns.get(id)
      this.txns.set(id, {
        transactionalId: id,
        producerId: v.producerId,
        lastProducerId: previous !== undefined && previous.producerId !== v.producerId ? previous.producerId : (previous?.lastProducerId ?? -1),
        lastProducerEpoch: previous !== undefined && previous.producerEpoch !== v.producerEpoch ? previous.producerEpoch : (previous?.lastProducerEpoch ?? -1),
        producerEpoch: v.producerEpoch,
        timeoutMs: v.timeoutMs,
        state: v.state as TxnStateId,
        partitions: new Map(v.partitions.map((t) => [t.topic, new Set(t.partitions)])),
        startTimestamp: v.startTimestamp,
        lastUpdateTimestamp: v.lastUpdateTimestamp,
        pending: false,
        nextProducerId: NO_PRODUCER_ID,
      })
    }
  }

  // ---- InitProducerId ----

  async initProducerId(transactionalId: string, timeoutMs: number, expectedProducerId: number, expectedEpoch: number): Promise<InitResult> {
    const fail = (error: number): InitResult => ({ error, producerId: -1, producerEpoch: -1 })
    if (!this.loaded) return fail(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)
    if (transactionalId === '') return fail(ErrorCode.INVALID_REQUEST)
    if (timeoutMs <= 0 || timeoutMs > this.deps.options.transactionMaxTimeoutMs) return fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT)
    let m = this.txns.get(transactionalId)
    if (m === undefined) {
      m = {
        transactionalId, producerId: this.deps.newProducerId(), lastProducerId: -1, lastProducerEpoch: -1, producerEpoch: -1, timeoutMs,
        state: TxnState.Empty, partitions: new Map(), startTimestamp: -1, lastUpdateTimestamp: this.now, pending: false, nextProducerId: NO_PRODUCER_ID,
      }
      this.txns.set(transactionalId, m)
      const written = await this.transition(m, { producerEpoch: 0 })
      if (written !== ErrorCode.NONE) {
        this.txns.delete(transactionalId)
        return fail(written)
      }
      return { error: ErrorCode.NONE, producerId: m.producerId, producerEpoch: m.producerEpoch }
    }
    if (m.pending) return fail(ErrorCode.CONCURRENT_TRANSACTIONS)
    if (expectedProducerId !== -1) {
      // KIP-360: a retry of the bump that already happened gets the same answer.
      if (expectedProducerId === m.lastProducerId && expectedEpoch === m.lastProducerEpoch && m.state === TxnState.Empty) {
        return { error: ErrorCode.NONE, producerId: m.producerId, producerEpoch: m.producerEpoch }
      }
      if (expectedProducerId !== m.producerId || expectedEpoch !== m.producerEpoch) return fail(ErrorCode.PRODUCER_FENCED)
    }
    switch (m.state) {
      case TxnState.PrepareCommit:
      case TxnState.PrepareAbort:
      case TxnState.PrepareEpochFence:
        return fail(ErrorCode.CONCURRENT_TRANSACTIONS)
      case TxnState.Ongoing:
        // The previous holder's transaction is aborted under a bumped epoch, which fences
        // it; the new producer retries on CONCURRENT_TRANSACTIONS and then gets its epoch.
        this.background(m, this.abortWithBump(m))
        return fail(ErrorCode.CONCURRENT_TRANSACTIONS)
      case TxnState.Dead:
        return fail(ErrorCode.INVALID_PRODUCER_ID_MAPPING)
    }
    const bump = m.producerEpoch >= MAX_EPOCH
      ? { producerId: this.deps.newProducerId(), producerEpoch: 0 }
      : { producerId: m.producerId, producerEpoch: m.producerEpoch + 1 }
    const previous = { producerId: m.producerId, producerEpoch: m.producerEpoch }
    const written = await this.transition(m, { ...bump, timeoutMs, state: TxnState.Empty, partitions: new Map(), startTimestamp: -1 })
    if (written !== ErrorCode.NONE) return fail(written)
    m.lastProducerId = previous.producerId
    m.lastProducerEpoch = previous.producerEpoch
    return { error: ErrorCode.NONE, producerId: m.producerId, producerEpoch: m.producerEpoch }
  }

  // ---- AddPartitionsToTxn / AddOffsetsToTxn ----

  /** The error every partition of the request gets, or null when the transaction may take partitions. */
  private checkProducer(m: TxnMetadata | undefined, producerId: number, epoch: number): number | null {
    if (!this.loaded) return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS
    if (m === undefined || m.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING
    if (epoch !== m.producerEpoch) return ErrorCode.PRODUCER_FENCED
    if (m.pending || m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort || m.state === TxnState.PrepareEpochFence) return ErrorCode.CONCURRENT_TRANSACTIONS
    return null
  }

  /** Adds partitions (already checked to exist) to the transaction; resolves to one error code for all. */
  async addPartitions(transactionalId: string, producerId: number, epoch: number, partitions: TxnPartition[]): Promise<number> {
    if (transactionalId === '') return ErrorCode.INVALID_REQUEST
    const m = this.txns.get(transactionalId)
    const refused = this.checkProducer(m, producerId, epoch)
    if (refused !== null) return refused
    const txn = m!
    const merged = new Map([...txn.partitions].map(([t, ps]) => [t, new Set(ps)]))
    let added = false
    for (const p of partitions) {
      let set = merged.get(p.topic)
      if (set === undefined) merged.set(p.topic, (set = new Set()))
      if (!set.has(p.partition)) {
        set.add(p.partition)
        added = true
      }
    }
    if (txn.state === TxnState.Ongoing && !added) return ErrorCode.NONE
    const start = txn.state === TxnState.Ongoing ? txn.startTimestamp : this.now
    return this.transition(txn, { state: TxnState.Ongoing, partitions: merged, startTimestamp: start })
  }

  /** AddPartitionsToTxn v4+ verify_only (KIP-890): per partition, NONE when it is in the transaction. */
  verifyPartitions(transactionalId: string, producerId: number, epoch: number, partitions: TxnPartition[]): number[] {
    const m = this.txns.get(transactionalId)
    const refused = this.checkProducer(m, producerId, epoch)
    if (refused !== null) return partitions.map(() => refused)
    return partitions.map((p) => (m!.state === TxnState.Ongoing && m!.partitions.get(p.topic)?.has(p.partition) === true ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE))
  }

  /**
   * KIP-890 part 1 for Produce: a transactional batch is accepted only for a partition in
   * the producer's ongoing transaction. Returns an error code, NONE when it may be written.
   */
  verifyProduce(transactionalId: string, producerId: number, epoch: number, topic: string, partition: number): number {
    const m = this.txns.get(transactionalId)
    if (!this.loaded) return ErrorCode.NOT_ENOUGH_REPLICAS
    if (m === undefined || m.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING
    if (epoch < m.producerEpoch) return ErrorCode.INVALID_PRODUCER_EPOCH
    if (epoch !== m.producerEpoch || m.state !== TxnState.Ongoing || m.partitions.get(topic)?.has(partition) !== true) return ErrorCode.INVALID_TXN_STATE
    return ErrorCode.NONE
  }

  /** The `__consumer_offsets` partition a group's transactional offsets go to. */
  offsetsPartitionOf(groupId: string, offsetsLog: CoordinatorLog): TxnPartition {
    return { topic: this.deps.offsetsTopic, partition: offsetsLog.partitionFor(groupId) }
  }

  /** TxnOffsetCommit's checks (Kafka: the producer must be the current one and the offsets partition in the transaction). */
  verifyTxnOffsetCommit(transactionalId: string, producerId: number, epoch: number, offsetsPartition: TxnPartition): number {
    const m = this.txns.get(transactionalId)
    if (!this.loaded) return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS
    if (m === undefined || m.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING
    if (epoch !== m.producerEpoch) return ErrorCode.PRODUCER_FENCED
    if (m.state !== TxnState.Ongoing || m.partitions.get(offsetsPartition.topic)?.has(offsetsPartition.partition) !== true) return ErrorCode.INVALID_TXN_STATE
    return ErrorCode.NONE
  }

  // ---- EndTxn ----

  /**
   * EndTxn. `bumpEpoch` is transaction version 2 (EndTxn v5+): the end of every
   * transaction bumps the epoch and the answer carries the producer id and epoch to use
   * next; without it, Kafka's transaction version 1 rules (the answer carries −1).
   */
  async endTxn(transactionalId: string, producerId: number, epoch: number, commit: boolean, bumpEpoch = false): Promise<EndTxnResult> {
    if (bumpEpoch) return this.endTxnV2(transactionalId, producerId, epoch, commit)
    return { error: await this.endTxnV1(transactionalId, producerId, epoch, commit), producerId: -1, producerEpoch: -1 }
  }

  private async endTxnV1(transactionalId: string, producerId: number, epoch: number, commit: boolean): Promise<number> {
    if (!this.loaded) return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS
    if (transactionalId === '') return ErrorCode.INVALID_REQUEST
    const m = this.txns.get(transactionalId)
    if (m === undefined || m.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING
    if (epoch !== m.producerEpoch) return ErrorCode.PRODUCER_FENCED
    if (m.pending) return ErrorCode.CONCURRENT_TRANSACTIONS
    switch (m.state) {
      case TxnState.Ongoing:
        break
      // A retried EndTxn whose first attempt finished gets the same answer.
      case TxnState.CompleteCommit:
        return commit ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE
      case TxnState.CompleteAbort:
        return commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.NONE
      case TxnState.PrepareCommit:
        return commit ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE
      case TxnState.PrepareAbort:
        return commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.CONCURRENT_TRANSACTIONS
      default:
        return ErrorCode.INVALID_TXN_STATE
    }
    const decided = await this.transition(m, { state: commit ? TxnState.PrepareCommit : TxnState.PrepareAbort })
    if (decided !== ErrorCode.NONE) return decided
    await this.completeDecided(m, commit)
    return ErrorCode.NONE
  }

  /**
   * Kafka 4.x's TransactionCoordinator.endTransaction for transaction version 2. With
   * epoch e current: Ongoing takes e (commit or abort, bumping to e+1); Empty,
   * CompleteCommit and CompleteAbort take an abort at e (an empty transaction, bumped
   * too); a retry at e−1 of the outcome already reached answers NONE with the current id
   * and epoch, of the other outcome INVALID_TXN_STATE; a commit at e after a completed
   * transaction is INVALID_TXN_STATE; any other epoch is PRODUCER_FENCED.
   */
  private async endTxnV2(transactionalId: string, producerId: number, epoch: number, commit: boolean): Promise<EndTxnResult> {
    const fail = (error: number): EndTxnResult => ({ error, producerId: -1, producerEpoch: -1 })
    if (!this.loaded) return fail(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)
    if (transactionalId === '') return fail(ErrorCode.INVALID_REQUEST)
    const m = this.txns.get(transactionalId)
    if (m === undefined) return fail(ErrorCode.INVALID_PRODUCER_ID_MAPPING)
    // A retry of the EndTxn that moved the producer to a new id (its epoch overflowed).
    const retryOnOverflow = m.lastProducerId === producerId && epoch === MAX_EPOCH && m.producerEpoch === 0
    const retryOnEpochBump = m.producerEpoch === epoch + 1
    const isRetry = retryOnEpochBump || retryOnOverflow
    let validEpoch: boolean
    switch (m.state) {
      case TxnState.PrepareCommit:
      case TxnState.PrepareAbort:
        validEpoch = retryOnEpochBump
        break
      case TxnState.CompleteCommit:
      case TxnState.CompleteAbort:
        validEpoch = isRetry || epoch === m.producerEpoch
        break
      default:
        validEpoch = epoch === m.producerEpoch
    }
    // Kafka's order since KAFKA-18660: a state change in flight before the epoch check.
    if (m.producerId !== producerId && !retryOnOverflow) return fail(ErrorCode.INVALID_PRODUCER_ID_MAPPING)
    if (m.pending) return fail(ErrorCode.CONCURRENT_TRANSACTIONS)
    if (!validEpoch) return fail(ErrorCode.PRODUCER_FENCED)
    const current = (): EndTxnResult => ({ error: ErrorCode.NONE, producerId: m.producerId, producerEpoch: m.producerEpoch })
    switch (m.state) {
      case TxnState.Ongoing:
        return this.endWithBump(m, commit, false)
      case TxnState.CompleteCommit:
        if (commit) return isRetry ? current() : fail(ErrorCode.INVALID_TXN_STATE)
        return isRetry ? fail(ErrorCode.INVALID_TXN_STATE) : this.endWithBump(m, false, true)
      case TxnState.CompleteAbort:
        if (!commit) return isRetry ? current() : this.endWithBump(m, false, true)
        return fail(ErrorCode.INVALID_TXN_STATE)
      case TxnState.PrepareCommit:
        return fail(commit ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE)
      case TxnState.PrepareAbort:
        return fail(commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.CONCURRENT_TRANSACTIONS)
      case TxnState.Empty:
        return commit ? fail(ErrorCode.INVALID_TXN_STATE) : this.endWithBump(m, false, true)
      default:
        return fail(ErrorCode.INVALID_TXN_STATE)
    }
  }

  /**
   * Transaction version 2's decision: the epoch goes up by one with it (to
   * Short.MAX_VALUE when exhausted, with the next producer id chosen now), the markers
   * carry the bumped epoch, and the answer names what the producer continues with.
   * `empty` is an abort without partitions (from Empty or a completed transaction).
   */
  private async endWithBump(m: TxnMetadata, commit: boolean, empty: boolean): Promise<EndTxnResult> {
    const previous = { producerId: m.producerId, producerEpoch: m.producerEpoch }
    const nextProducerId = m.producerEpoch >= MAX_EPOCH ? this.deps.newProducerId() : NO_PRODUCER_ID
    const next: Partial<TxnMetadata> = { state: commit ? TxnState.PrepareCommit : TxnState.PrepareAbort, producerEpoch: m.producerEpoch + 1 }
    // Kafka takes the decision's time as the start of a transaction that had no partitions.
    if (empty) Object.assign(next, { partitions: new Map(), startTimestamp: this.now })
    const decided = await this.transition(m, next)
    if (decided !== ErrorCode.NONE) return { error: decided, producerId: -1, producerEpoch: -1 }
    m.nextProducerId = nextProducerId
    m.lastProducerId = previous.producerId
    m.lastProducerEpoch = previous.producerEpoch
    const after = nextProducerId === NO_PRODUCER_ID ? { producerId: m.producerId, producerEpoch: m.producerEpoch } : { producerId: nextProducerId, producerEpoch: 0 }
    await this.completeDecided(m, commit)
    return { error: ErrorCode.NONE, ...after }
  }

  /** After a durable decision: the markers, then the Complete state; the answer waits for them when they can be written. */
  private async completeDecided(m: TxnMetadata, commit: boolean): Promise<void> {
    // Crash tests only: die between the durable decision and the markers, as a power cut could.
    if (process.env.SAMSA_TEST_KILL_AFTER_TXN_DECISION === '1') process.kill(process.pid, 'SIGKILL')
    // The decision is durable: the transaction will end this way even if the markers
    // must wait for a restart.
    await this.complete(m, commit)
  }

  /** Writes the markers of a decided transaction, then its Complete state. Retries later on a storage failure. */
  private async complete(m: TxnMetadata, commit: boolean): Promise<void> {
    m.pending = true
    let ok = true
    try {
      const writes: Promise<void>[] = []
      for (const [topic, ps] of m.partitions) {
        for (const partition of ps) {
          writes.push(this.deps.host.replicas.writeMarker(topic, partition, { producerId: m.producerId, producerEpoch: m.producerEpoch, coordinatorEpoch: COORDINATOR_EPOCH, commit }).then((r) => {
            // A deleted topic has nothing left to mark (Kafka drops such markers too).
            if (!r.ok && r.error !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
              ok = false
              this.deps.host.logger.warn({ transactionalId: m.transactionalId, topic, partition, error: r.error, message: r.message }, 'cannot write a transaction marker yet; will retry')
              return
            }
            if (topic === this.deps.offsetsTopic) this.deps.onOffsetsMarker(m.producerId, commit)
          }))
        }
      }
      await Promise.all(writes)
    } finally {
      m.pending = false
    }
    if (!ok) {
      if (!this.closed) this.deps.clock.setTimer(1000, () => this.background(m, this.complete(m, commit)))
      return
    }
    // A transaction version 2 end that exhausted the epoch moves the producer to its next
    // id at epoch 0; the client saw Short.MAX_VALUE − 1 last (Kafka's prepareComplete).
    const rotate = m.producerEpoch > MAX_EPOCH
    if (rotate && m.nextProducerId === NO_PRODUCER_ID) m.nextProducerId = this.deps.newProducerId()
    const identity = rotate ? { producerId: m.nextProducerId, producerEpoch: 0 } : {}
    const before = { producerId: m.producerId }
    const written = await this.transition(m, { state: commit ? TxnState.CompleteCommit : TxnState.CompleteAbort, partitions: new Map(), ...identity })
    if (written !== ErrorCode.NONE) {
      if (!this.closed) this.deps.clock.setTimer(1000, () => this.background(m, this.complete(m, commit)))
      return
    }
    if (rotate) {
      m.lastProducerId = before.producerId
      m.lastProducerEpoch = MAX_EPOCH
      m.nextProducerId = NO_PRODUCER_ID
    }
  }

  /** Aborts an ongoing transaction under a bumped epoch (Kafka's PrepareEpochFence): its producer is fenced. */
  private async abortWithBump(m: TxnMetadata): Promise<void> {
    if (m.pending || m.state !== TxnState.Ongoing) return
    const previous = { producerId: m.producerId, producerEpoch: m.producerEpoch }
    const bump = m.producerEpoch >= MAX_EPOCH ? m.producerEpoch : m.producerEpoch + 1
    const decided = await this.transition(m, { producerEpoch: bump, state: TxnState.PrepareAbort })
    if (decided !== ErrorCode.NONE) return
    m.lastProducerId = previous.producerId
    m.lastProducerEpoch = previous.producerEpoch
    await this.complete(m, false)
  }

  // Work nobody awaits (completions, aborts) must not end as an unhandled rejection, which
  // would stop the process: a failure is logged and the transaction stays as it was, to
  // be completed by the next attempt or the next start.
  private background(m: TxnMetadata, work: Promise<void>): void {
    work.catch((err: unknown) => {
      m.pending = false
      this.deps.host.logger.error({ err, transactionalId: m.transactionalId }, 'transaction completion failed; it is retried at the next call or start')
    })
  }

  // ---- timeouts ----

  private scheduleTimeouts(): void {
    if (this.closed) return
    this.timer = this.deps.clock.setTimer(this.deps.options.transactionAbortTimedOutTransactionCleanupIntervalMs, () => {
      this.abortTimedOut()
      this.scheduleTimeouts()
    })
  }

  /** Aborts every ongoing transaction that outlived its timeout (returns how many were started). */
  abortTimedOut(): number {
    const now = this.now
    let n = 0
    for (const m of this.txns.values()) {
      if (m.state === TxnState.Ongoing && !m.pending && m.startTimestamp >= 0 && now - m.startTimestamp > m.timeoutMs) {
        this.deps.host.logger.info({ transactionalId: m.transactionalId, producerId: m.producerId, timeoutMs: m.timeoutMs }, 'aborting a transaction that outlived its timeout')
        this.background(m, this.abortWithBump(m))
        n++
      }
    }
    return n
  }

  // ---- describe / list ----

  describe(transactionalId: string): { errorCode: number; m?: TxnMetadata } {
    if (!this.loaded) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS }
    const m = this.txns.get(transactionalId)
    if (m === undefined) return { errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND }
    return { errorCode: ErrorCode.NONE, m }
  }

  close(): void {
    this.closed = true
    this.timer?.cancel()
  }
}
