// A view over the 61-byte header of a magic-2 record batch (Kafka's DefaultRecordBatch),
// read and patched in place at fixed offsets. Owns the header layout:
//
//   0 baseOffset i64 | 8 batchLength i32 | 12 partitionLeaderEpoch i32 | 16 magic i8 |
//   17 crc u32 | 21 attributes i16 | 23 lastOffsetDelta i32 | 27 baseTimestamp i64 |
//   35 maxTimestamp i64 | 43 producerId i64 | 51 producerEpoch i16 | 53 baseSequence i32 |
//   57 recordCount i32 | 61 records…
//
// batchLength counts the bytes after itself (total size − 12). The CRC-32C covers
// [21, end): baseOffset and partitionLeaderEpoch can be patched without recomputing it,
// attributes and maxTimestamp cannot. int64 fields are read as two int32 halves into a
// JS number (exact up to 2^53), never through BigInt.

import { crc32c } from './crc32c.ts'

export const BASE_OFFSET_OFFSET = 0
export const BATCH_LENGTH_OFFSET = 8
export const PARTITION_LEADER_EPOCH_OFFSET = 12
export const MAGIC_OFFSET = 16
export const CRC_OFFSET = 17
export const ATTRIBUTES_OFFSET = 21
export const LAST_OFFSET_DELTA_OFFSET = 23
export const BASE_TIMESTAMP_OFFSET = 27
export const MAX_TIMESTAMP_OFFSET = 35
export const PRODUCER_ID_OFFSET = 43
export const PRODUCER_EPOCH_OFFSET = 51
export const BASE_SEQUENCE_OFFSET = 53
export const RECORD_COUNT_OFFSET = 57
export const RECORDS_OFFSET = 61

/** Size of the v2 batch header; also the smallest possible batch. */
export const BATCH_HEADER_SIZE = 61
/** baseOffset + batchLength: the bytes not counted by batchLength. */
export const LOG_OVERHEAD = 12
/** The CRC covers the batch from the attributes to the end. */
export const CRC_START_OFFSET = ATTRIBUTES_OFFSET
export const CURRENT_MAGIC = 2

export const COMPRESSION_CODEC_MASK = 0x07
export const TIMESTAMP_TYPE_MASK = 0x08
export const TRANSACTIONAL_FLAG_MASK = 0x10
export const CONTROL_FLAG_MASK = 0x20
export const DELETE_HORIZON_FLAG_MASK = 0x40

export const Compression = { NONE: 0, GZIP: 1, SNAPPY: 2, LZ4: 3, ZSTD: 4 } as const
export type CompressionValue = (typeof Compression)[keyof typeof Compression]

export const TimestampType = { CREATE_TIME: 0, LOG_APPEND_TIME: 1 } as const
export type TimestampTypeValue = (typeof TimestampType)[keyof typeof TimestampType]

export const NO_TIMESTAMP = -1
export const NO_PRODUCER_ID = -1

const TWO_POW_32 = 4294967296

export function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * TWO_POW_32 + buf.readUInt32BE(pos + 4)
}

export function writeInt64(buf: Buffer, pos: number, value: number): void {
  const hi = Math.floor(value / TWO_POW_32)
  buf.writeInt32BE(hi, pos)
  buf.writeUInt32BE(value - hi * TWO_POW_32, pos + 4)
}

export interface BatchHeader {
  baseOffset: number
  batchLength: number
  partitionLeaderEpoch: number
  magic: number
  crc: number
  attributes: number
  lastOffsetDelta: number
  baseTimestamp: number
  maxTimestamp: number
  producerId: number
  producerEpoch: number
  baseSequence: number
  recordCount: number
  compression: number
  timestampType: TimestampTypeValue
  isTransactional: boolean
  isControl: boolean
}

/** Decodes the header at `pos` into an object; hot paths use the single-field readers below. */
export function readBatchHeader(buf: Buffer, pos = 0): BatchHeader {
  const attributes = buf.readInt16BE(pos + ATTRIBUTES_OFFSET)
  return {
    baseOffset: readInt64(buf, pos + BASE_OFFSET_OFFSET),
    batchLength: buf.readInt32BE(pos + BATCH_LENGTH_OFFSET),
    partitionLeaderEpoch: buf.readInt32BE(pos + PARTITION_LEADER_EPOCH_OFFSET),
    magic: buf.readInt8(pos + MAGIC_OFFSET),
    crc: buf.readUInt32BE(pos + CRC_OFFSET),
    attributes,
    lastOffsetDelta: buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET),
    baseTimestamp: readInt64(buf, pos + BASE_TIMESTAMP_OFFSET),
    maxTimestamp: readInt64(buf, pos + MAX_TIMESTAMP_OFFSET),
    producerId: readInt64(buf, pos + PRODUCER_ID_OFFSET),
    producerEpoch: buf.readInt16BE(pos + PRODUCER_EPOCH_OFFSET),
    baseSequence: buf.readInt32BE(pos + BASE_SEQUENCE_OFFSET),
    recordCount: buf.readInt32BE(pos + RECORD_COUNT_OFFSET),
    compression: attributes & COMPRESSION_CODEC_MASK,
    timestampType: (attributes & TIMESTAMP_TYPE_MASK) !== 0 ? TimestampType.LOG_APPEND_TIME : TimestampType.CREATE_TIME,
    isTransactional: (attributes & TRANSACTIONAL_FLAG_MASK) !== 0,
    isControl: (attributes & CONTROL_FLAG_MASK) !== 0,
  }
}

export function batchBaseOffset(buf: Buffer, pos = 0): number {
  return readInt64(buf, pos + BASE_OFFSET_OFFSET)
}

/** Total bytes of the batch at `pos` (batchLength + 12). */
export function batchSize(buf: Buffer, pos = 0): number {
  return buf.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD
}

export function batchLastOffsetDelta(buf: Buffer, pos = 0): number {
  return buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET)
}

export function batchLastOffset(buf: Buffer, pos = 0): number {
  return batchBaseOffset(buf, pos) + buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET)
}

export function batchMagic(buf: Buffer, pos = 0): number {
  return buf.readInt8(pos + MAGIC_OFFSET)
}

export function batchAttributes(buf: Buffer, pos = 0): number {
  return buf.readInt16BE(pos + ATTRIBUTES_OFFSET)
}

export function batchMaxTimestamp(buf: Buffer, pos = 0): number {
  return readInt64(buf, pos + MAX_TIMESTAMP_OFFSET)
}

export function batchRecordCount(buf: Buffer, pos = 0): number {
  return buf.readInt32BE(pos + RECORD_COUNT_OFFSET)
}

/** Patches baseOffset (outside the CRC). */
export function setBaseOffset(buf: Buffer, pos: number, offset: number): void {
  writeInt64(buf, pos + BASE_OFFSET_OFFSET, offset)
}

/** Patches partitionLeaderEpoch (outside the CRC). */
export function setPartitionLeaderEpoch(buf: Buffer, pos: number, epoch: number): void {
  buf.writeInt32BE(epoch, pos + PARTITION_LEADER_EPOCH_OFFSET)
}

/** CRC-32C of the batch at `pos`, computed over [pos + 21, pos + size). */
export function computeBatchCrc(buf: Buffer, pos = 0): number {
  return crc32c(buf, pos + CRC_START_OFFSET, pos + batchSize(buf, pos))
}

export function isCrcValid(buf: Buffer, pos = 0): boolean {
  return computeBatchCrc(buf, pos) === buf.readUInt32BE(pos + CRC_OFFSET)
}

/** Recomputes and stores the CRC after a change inside the covered range. */
export function updateBatchCrc(buf: Buffer, pos = 0): void {
  buf.writeUInt32BE(computeBatchCrc(buf, pos), pos + CRC_OFFSET)
}

/**
 * Marks the batch as LogAppendTime with `timestamp` as its maxTimestamp (what consumers
 * then report for every record), the broker-side rewrite of LogValidator. Both fields
 * lie inside the CRC, so it is recomputed; a batch already in that state is left alone.
 */
export function setLogAppendTime(buf: Buffer, pos: number, timestamp: number): void {
  const attributes = buf.readInt16BE(pos + ATTRIBUTES_OFFSET)
  if ((attributes & TIMESTAMP_TYPE_MASK) !== 0 && readInt64(buf, pos + MAX_TIMESTAMP_OFFSET) === timestamp) return
  buf.writeInt16BE(attributes | TIMESTAMP_TYPE_MASK, pos + ATTRIBUTES_OFFSET)
  writeInt64(buf, pos + MAX_TIMESTAMP_OFFSET, timestamp)
  updateBatchCrc(buf, pos)
}
