// Producer state of one partition (Kafka's ProducerStateManager and ProducerAppendInfo):
// for every producer id seen, its epoch and the sequence ranges and offsets of its last
// five batches. It is what makes a retried idempotent batch land once: a batch whose
// sequence range matches a retained one is a duplicate, answered with the offsets it got
// the first time; a sequence gap is OUT_OF_ORDER_SEQUENCE_NUMBER; an older epoch is
// INVALID_PRODUCER_EPOCH.
//
// Owns the producer snapshot file format (`<offset, 20 digits>.snapshot`, Kafka's layout:
// int16 version 1, uint32 CRC-32C of everything after it, int32 count, then per producer
// int64 id, int16 epoch, int32 last sequence, int64 last offset, int32 offset delta,
// int64 timestamp, int32 coordinator epoch, int64 first offset of the open transaction).
// A snapshot at offset N holds the state of the log prefix below N; the partition log
// rebuilds the rest by replaying batch headers. Single writer (the shard thread).

import { ErrorCode } from '../protocol/error-codes.ts'
import {
  BASE_SEQUENCE_OFFSET, PRODUCER_EPOCH_OFFSET, PRODUCER_ID_OFFSET, CONTROL_FLAG_MASK, TRANSACTIONAL_FLAG_MASK,
  batchAttributes, batchBaseOffset, batchLastOffsetDelta, batchMaxTimestamp, readInt64, writeInt64,
} from '../protocol/records/record-batch.ts'
import { crc32c } from '../protocol/records/crc32c.ts'
import { ControlType, controlTypeOf } from '../protocol/records/control-record.ts'
import type { ProducerState } from '../protocol/messages/describe-producers-response.ts'

/** Kafka's ProducerStateEntry.NUM_BATCHES_TO_RETAIN: librdkafka and the Java client keep at most 5 requests in flight. */
export const BATCHES_TO_RETAIN = 5
export const NO_PRODUCER_EPOCH = -1
export const NO_SEQUENCE = -1
const INT32_MAX = 0x7fffffff

export const SNAPSHOT_VERSION = 1
const SNAPSHOT_HEADER = 2 + 4 + 4
const SNAPSHOT_ENTRY = 8 + 2 + 4 + 8 + 4 + 8 + 4 + 8

export interface BatchMetadata {
  firstSeq: number
  lastSeq: number
  firstOffset: number
  lastOffset: number
  /** The batch's max timestamp (its append time under LogAppendTime). */
  timestamp: number
}

interface ProducerEntry {
  producerId: number
  epoch: number
  /** Oldest first, at most BATCHES_TO_RETAIN. */
  batches: BatchMetadata[]
  coordinatorEpoch: number
  /** First offset of the producer's open transaction, −1 when none. */
  currentTxnFirstOffset: number
  lastTimestamp: number
}

/** What DescribeProducers reports for one producer: the response's own type. */
export type ProducerSummary = ProducerState

/** The producer fields of one batch header. */
export interface ProducerBatch {
  producerId: number
  epoch: number
  firstSeq: number
  lastSeq: number
  isControl: boolean
  isTransactional: boolean
}

/** A transaction a marker ended: its producer, first offset, and the marker's offset. */
export interface CompletedTxn {
  producerId: number
  firstOffset: number
  lastOffset: number
  isAborted: boolean
}

export type ProducerCheck =
  | { kind: 'append' }
  | { kind: 'duplicate'; batch: BatchMetadata }
  | { kind: 'error'; error: number; message: string }

const APPEND: ProducerCheck = Object.freeze({ kind: 'append' })

/** Kafka's DefaultRecordBatch.incrementSequence: sequences wrap from 2^31−1 to 0. */
export function incrementSequence(sequence: number, increment: number): number {
  return sequence > INT32_MAX - increment ? increment - (INT32_MAX - sequence) - 1 : sequence + increment
}

/** Kafka's DefaultRecordBatch.decrementSequence. */
export function decrementSequence(sequence: number, decrement: number): number {
  return sequence < decrement ? INT32_MAX - (decrement - sequence) + 1 : sequence - decrement
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX)
}

/** The producer fields of the batch at `pos`, or null for a batch without a producer id. */
export function producerBatchAt(buf: Buffer, pos: number): ProducerBatch | null {
  const producerId = readInt64(buf, pos + PRODUCER_ID_OFFSET)
  if (producerId < 0) return null
  const firstSeq = buf.readInt32BE(pos + BASE_SEQUENCE_OFFSET)
  return {
    producerId,
    epoch: buf.readInt16BE(pos + PRODUCER_EPOCH_OFFSET),
    firstSeq,
    lastSeq: firstSeq < 0 ? NO_SEQUENCE : incrementSequence(firstSeq, batchLastOffsetDelta(buf, pos)),
    isControl: (batchAttributes(buf, pos) & CONTROL_FLAG_MASK) !== 0,
    isTransactional: (batchAttributes(buf, pos) & TRANSACTIONAL_FLAG_MASK) !== 0,
  }
}

export class ProducerStateManager {
  private readonly producers = new Map<number, ProducerEntry>()
  /** Producers with an open transaction here, and its first offset (Kafka's ongoingTxns). */
  private readonly ongoing = new Map<number, number>()
  private readonly where: string

  /** `where` names the partition in error messages. */
  constructor(where: string) {
    this.where = where
  }

  get size(): number {
    return this.producers.size
  }

  /**
   * Kafka's checks for a client's batch, in Kafka's order: a retained batch with the
   * same epoch and sequence range is a duplicate; then the epoch may not go backwards;
   * then, at the current epoch, the sequence must follow the last one. A new epoch must
   * start at sequence 0, and a producer with no state here (new, expired, or its records
   * deleted) may start at any sequence, as Kafka 4 accepts since KIP-360.
   */
  check(b: ProducerBatch, offsetHint: number, fromCoordinator = false): ProducerCheck {
    const entry = this.producers.get(b.producerId)
    if (entry === undefined) return APPEND
    if (b.epoch === entry.epoch) {
      for (const m of entry.batches) if (m.firstSeq === b.firstSeq && m.lastSeq === b.lastSeq) return { kind: 'duplicate', batch: m }
    }
    if (b.epoch < entry.epoch) {
      return {
        kind: 'error',
        error: ErrorCode.INVALID_PRODUCER_EPOCH,
        message: `Epoch of producer ${b.producerId} at offset ${offsetHint} in ${this.where} is ${b.epoch}, which is smaller than the last seen epoch ${entry.epoch}`,
      }
    }
    // As Kafka's appendDataBatch: an open transaction stays open across an epoch bump,
    // so a plain write is refused whatever its epoch.
    if (!b.isTransactional && entry.currentTxnFirstOffset >= 0) {
      return {
        kind: 'error',
        error: ErrorCode.INVALID_TXN_STATE,
        message: `Expected transactional write from producer ${b.producerId} at offset ${offsetHint} in ${this.where}`,
      }
    }
    if (b.epoch !== entry.epoch) {
      // A coordinator's own writes (transactional offsets) carry no sequence, as in Kafka.
      if (!fromCoordinator && b.firstSeq !== 0 && entry.epoch !== NO_PRODUCER_EPOCH) {
        return {
          kind: 'error',
          error: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          message: `Invalid sequence number for new epoch of producer ${b.producerId} at offset ${offsetHint} in ${this.where}: ${b.epoch} (request epoch), ${b.firstSeq} (seq. number), ${entry.epoch} (current producer epoch)`,
        }
      }
      return APPEND
    }
    if (fromCoordinator) return APPEND
    const last = entry.batches.length === 0 ? NO_SEQUENCE : entry.batches[entry.batches.length - 1]!.lastSeq
    // An entry with no retained batch (only markers so far) expects sequence 0, as in Kafka.
    if (!inSequence(last, b.firstSeq)) {
      return {
        kind: 'error',
        error: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        message: `Out of order sequence number for producer ${b.producerId} at offset ${offsetHint} in ${this.where}: ${b.firstSeq} (incoming seq. number), ${last} (current end sequence number)`,
      }
    }
    return APPEND
  }

  /** Records an appended (or replayed) batch of a producer. */
  update(b: ProducerBatch, firstOffset: number, lastOffset: number, timestamp: number): void {
    let entry = this.producers.get(b.producerId)
    if (entry === undefined) {
      entry = { producerId: b.producerId, epoch: b.epoch, batches: [], coordinatorEpoch: -1, currentTxnFirstOffset: -1, lastTimestamp: timestamp }
      this.producers.set(b.producerId, entry)
    }
    if (b.epoch !== entry.epoch) {
      // A new epoch starts a new sequence space: older batches can no longer be retried.
      entry.epoch = b.epoch
      entry.batches = []
    }
    entry.lastTimestamp = timestamp
    if (b.isTransactional && !b.isControl && entry.currentTxnFirstOffset < 0) {
      entry.currentTxnFirstOffset = firstOffset
      this.ongoing.set(b.producerId, firstOffset)
    }
    if (b.isControl || b.firstSeq < 0) return
    entry.batches.push({ firstSeq: b.firstSeq, lastSeq: b.lastSeq, firstOffset, lastOffset, timestamp })
    if (entry.batches.length > BATCHES_TO_RETAIN) entry.batches.shift()
  }

  /**
   * Replays a batch read back from the log (recovery): no checks, as Kafka replays with
   * origin REPLICATION. A control batch must be readable past its header (its record
   * says COMMIT or ABORT); returns the transaction a marker ended.
   */
  replayHeader(buf: Buffer, pos: number): CompletedTxn | null {
    const b = producerBatchAt(buf, pos)
    if (b === null) return null
    const base = batchBaseOffset(buf, pos)
    const timestamp = batchMaxTimestamp(buf, pos)
    if (b.isControl) {
      const type = controlTypeOf(buf, pos)
      if (type !== ControlType.ABORT && type !== ControlType.COMMIT) return null
      return this.completeTxn(b.producerId, b.epoch, -1, base, type === ControlType.ABORT, timestamp)
    }
    this.update(b, base, base + batchLastOffsetDelta(buf, pos), timestamp)
    return null
  }

  /** Kafka's checks for a transaction marker from the coordinator: the epoch may not go back, nor the coordinator's. */
  checkMarker(producerId: number, epoch: number, coordinatorEpoch: number): { error: number; message: string } | null {
    const entry = this.producers.get(producerId)
    if (entry === undefined) return null
    if (epoch < entry.epoch) {
      return { error: ErrorCode.INVALID_PRODUCER_EPOCH, message: `Marker epoch ${epoch} of producer ${producerId} in ${this.where} is older than ${entry.epoch}` }
    }
    if (coordinatorEpoch < entry.coordinatorEpoch) {
      return { error: ErrorCode.TRANSACTION_COORDINATOR_FENCED, message: `Marker of producer ${producerId} in ${this.where} comes from coordinator epoch ${coordinatorEpoch}, older than ${entry.coordinatorEpoch}` }
    }
    return null
  }

  /** Ends the producer's open transaction with a marker at `markerOffset` (Kafka's appendEndTxnMarker). */
  completeTxn(producerId: number, epoch: number, coordinatorEpoch: number, markerOffset: number, isAborted: boolean, timestamp: number): CompletedTxn {
    let entry = this.producers.get(producerId)
    if (entry === undefined) {
      entry = { producerId, epoch, batches: [], coordinatorEpoch: -1, currentTxnFirstOffset: -1, lastTimestamp: timestamp }
      this.producers.set(producerId, entry)
    }
    if (epoch !== entry.epoch) {
      entry.epoch = epoch
      entry.batches = []
    }
    if (coordinatorEpoch >= 0) entry.coordinatorEpoch = coordinatorEpoch
    entry.lastTimestamp = timestamp
    const firstOffset = entry.currentTxnFirstOffset >= 0 ? entry.currentTxnFirstOffset : markerOffset
    entry.currentTxnFirstOffset = -1
    this.ongoing.delete(producerId)
    return { producerId, firstOffset, lastOffset: markerOffset, isAborted }
  }

  /**
   * For the log cleaner (Kafka's lastRecordsOfActiveProducers): each producer's last data
   * offset (−1 when its last entry is a marker) and epoch, whose batch must be kept.
   */
  lastRecords(): Map<number, { lastDataOffset: number; epoch: number }> {
    const out = new Map<number, { lastDataOffset: number; epoch: number }>()
    for (const e of this.producers.values()) out.set(e.producerId, { lastDataOffset: e.batches[e.batches.length - 1]?.lastOffset ?? -1, epoch: e.epoch })
    return out
  }

  /** The first offset of the oldest open transaction, or −1 when none is open (the last stable offset's bound). */
  firstUnstableOffset(): number {
    let first = -1
    for (const offset of this.ongoing.values()) if (first < 0 || offset < first) first = offset
    return first
  }

  /** Forgets producers idle for `expirationMs` (Kafka: now − lastTimestamp ≥ producer.id.expiration.ms, none with an open transaction). */
  expire(now: number, expirationMs: number): number {
    let removed = 0
    for (const [id, e] of this.producers) {
      if (e.currentTxnFirstOffset < 0 && now - e.lastTimestamp >= expirationMs) {
        this.producers.delete(id)
        removed++
      }
    }
    return removed
  }

  clear(): void {
    this.producers.clear()
    this.ongoing.clear()
  }

  summaries(): ProducerSummary[] {
    return [...this.producers.values()].map((e) => {
      const last = e.batches[e.batches.length - 1]
      return {
        producerId: e.producerId,
        producerEpoch: e.epoch,
        lastSequence: last?.lastSeq ?? NO_SEQUENCE,
        lastTimestamp: e.lastTimestamp,
        coordinatorEpoch: e.coordinatorEpoch,
        currentTxnStartOffset: e.currentTxnFirstOffset,
      }
    })
  }

  /** The snapshot file's bytes. As in Kafka, only each producer's last batch is kept. */
  encodeSnapshot(): Buffer {
    const buf = Buffer.alloc(SNAPSHOT_HEADER + SNAPSHOT_ENTRY * this.producers.size)
    buf.writeInt16BE(SNAPSHOT_VERSION, 0)
    buf.writeInt32BE(this.producers.size, 6)
    let pos = SNAPSHOT_HEADER
    for (const e of this.producers.values()) {
      const last = e.batches[e.batches.length - 1]
      writeInt64(buf, pos, e.producerId)
      buf.writeInt16BE(e.epoch, pos + 8)
      buf.writeInt32BE(last?.lastSeq ?? NO_SEQUENCE, pos + 10)
      writeInt64(buf, pos + 14, last?.lastOffset ?? -1)
      buf.writeInt32BE(last === undefined ? 0 : last.lastOffset - last.firstOffset, pos + 22)
      writeInt64(buf, pos + 26, e.lastTimestamp)
      buf.writeInt32BE(e.coordinatorEpoch, pos + 34)
      writeInt64(buf, pos + 38, e.currentTxnFirstOffset)
      pos += SNAPSHOT_ENTRY
    }
    buf.writeUInt32BE(crc32c(buf, 6), 2)
    return buf
  }

  /** Replaces the state with a snapshot's; throws on a bad version, CRC or length. */
  loadSnapshot(buf: Buffer, path: string): void {
    if (buf.length < SNAPSHOT_HEADER) throw new Error(`producer snapshot ${path} is truncated`)
    const version = buf.readInt16BE(0)
    if (version !== SNAPSHOT_VERSION) throw new Error(`producer snapshot ${path} has unknown version ${version}`)
    if (buf.readUInt32BE(2) !== crc32c(buf, 6)) throw new Error(`producer snapshot ${path} fails its CRC check`)
    const count = buf.readInt32BE(6)
    if (count < 0 || buf.length !== SNAPSHOT_HEADER + count * SNAPSHOT_ENTRY) throw new Error(`producer snapshot ${path} has a bad length for ${count} producers`)
    this.clear()
    for (let i = 0, pos = SNAPSHOT_HEADER; i < count; i++, pos += SNAPSHOT_ENTRY) {
      const producerId = readInt64(buf, pos)
      const lastSeq = buf.readInt32BE(pos + 10)
      const lastOffset = readInt64(buf, pos + 14)
      const offsetDelta = buf.readInt32BE(pos + 22)
      const timestamp = readInt64(buf, pos + 26)
      const batches: BatchMetadata[] =
        lastOffset < 0 || lastSeq < 0
          ? []
          : [{ firstSeq: decrementSequence(lastSeq, offsetDelta), lastSeq, firstOffset: lastOffset - offsetDelta, lastOffset, timestamp }]
      this.producers.set(producerId, {
        producerId,
        epoch: buf.readInt16BE(pos + 8),
        batches,
        coordinatorEpoch: buf.readInt32BE(pos + 34),
        currentTxnFirstOffset: readInt64(buf, pos + 38),
        lastTimestamp: timestamp,
      })
      const txnFirst = readInt64(buf, pos + 38)
      if (txnFirst >= 0) this.ongoing.set(producerId, txnFirst)
    }
  }
}
