// Checks a producer's records for one partition before they are appended, in the order
// and with the error codes Kafka uses (ProduceRequest.validateRecords, UnifiedLog
// .analyzeAndValidateRecords, LogValidator). After the header and the CRC, every record
// is parsed, decompressing the batch first when it is compressed (Kafka's LogValidator
// does the same): a record whose lengths, header count or offset delta do not add up, or
// bytes left after the last record, make the batch INVALID_RECORD, because consumers
// stall on such a batch without an error. CreateTime timestamps are checked against
// message.timestamp.before/after.max.ms (INVALID_TIMESTAMP, one record error per record).
// A topic whose cleanup.policy contains compact refuses records without a key
// (INVALID_RECORD, one record error per keyless record, LogValidator.validateKey).
// The batch's maxTimestamp is set from its records, as Kafka does, when they disagree.
// A batch whose codec differs from the topic's compression.type is rebuilt in the
// topic's codec (recompress.ts) and returned as the batch to store.
// Runs on the shard threads.

import { ErrorCode } from '../protocol/error-codes.ts'
import {
  BATCH_HEADER_SIZE, BATCH_LENGTH_OFFSET, COMPRESSION_CODEC_MASK, CONTROL_FLAG_MASK, CURRENT_MAGIC, LOG_OVERHEAD,
  batchAttributes, batchBaseOffset, batchLastOffsetDelta, batchMagic, batchRecordCount, isCrcValid, readInt64, writeInt64,
  PRODUCER_ID_OFFSET, BASE_SEQUENCE_OFFSET, BASE_TIMESTAMP_OFFSET, MAX_TIMESTAMP_OFFSET, RECORDS_OFFSET, TIMESTAMP_TYPE_MASK,
  NO_TIMESTAMP, updateBatchCrc,
} from '../protocol/records/record-batch.ts'
import { CompressionError, decompress } from '../protocol/records/compression.ts'
import type { LogConfig } from './log-config.ts'
import { compressionLevels, recompressBatch, targetCodec, type CompressionConfig } from './recompress.ts'

/** Kafka's per-record error in a Produce response (v8+): which record, and why. */
export interface RecordError {
  batchIndex: number
  message: string
}

export interface ValidationResult {
  error: number
  message?: string
  recordErrors?: RecordError[]
  /** The batch to store instead of the one produced: rebuilt in the topic's codec. */
  records?: Buffer
}

/** What validation reads of a LogConfig; absent cleanup.policy and compression.type mean Kafka's defaults. */
export type ValidatedConfig = Pick<LogConfig, 'maxMessageBytes' | 'messageTimestampType' | 'messageTimestampBeforeMaxMs' | 'messageTimestampAfterMaxMs'>
  & Partial<Pick<LogConfig, 'cleanupPolicy'>> & CompressionConfig

const VALID: ValidationResult = Object.freeze({ error: ErrorCode.NONE })
// Kafka's smallest legal record of any magic (LegacyRecord.RECORD_OVERHEAD_V0).
const MIN_RECORD_SIZE = 14
const MAX_CODEC = 4

function invalid(error: number, message: string): HeaderValidation {
  return { error, message, codec: -1 }
}

/**
 * Validates the records of one partition in a Produce request (v3+): exactly one magic-2
 * batch, intact and within max.message.bytes. Returns `{ error: 0 }` when it may be
 * appended (with `records` when a rebuilt batch is to be stored instead), else the Kafka
 * error code for that partition and a reason. `topicPartition` ("topic-partition") goes
 * into the messages that name it, as Kafka's do.
 */
export function validateProducedRecords(records: Buffer, config: ValidatedConfig, now: number = Date.now(), topicPartition = ''): ValidationResult {
  const header = validateBatchHeader(records, config)
  if (header.error !== ErrorCode.NONE) return { error: header.error, message: header.message }
  let body: Buffer
  try {
    body = decompress(header.codec, records.subarray(RECORDS_OFFSET))
  } catch (err) {
    if (err instanceof CompressionError) return invalid(ErrorCode.CORRUPT_MESSAGE, err.message)
    throw err
  }
  return validateRecordsBody(records, body, config, now, topicPartition)
}

/** A batch whose header passed: its codec, so its body can be decompressed (possibly elsewhere) before validateRecordsBody. */
export type HeaderValidation = ValidationResult & { codec: number }

/**
 * The checks up to the records: one intact magic-2 batch, within max.message.bytes, CRC,
 * codec, counts, control flag, producer fields. Cheap; no decompression. `crcVerified`:
 * these very bytes already passed this check, so the CRC is not computed again.
 */
export function validateBatchHeader(records: Buffer, config: Pick<ValidatedConfig, 'maxMessageBytes'>, crcVerified = false): HeaderValidation {
  const length = records.length
  if (length === 0) return invalid(ErrorCode.INVALID_RECORD, 'Produce requests must contain exactly one record batch per partition, found none')
  if (length < LOG_OVERHEAD) return invalid(ErrorCode.CORRUPT_MESSAGE, `Record batch truncated: ${length} bytes`)
  const batchLength = records.readInt32BE(BATCH_LENGTH_OFFSET)
  if (batchLength < MIN_RECORD_SIZE) return invalid(ErrorCode.CORRUPT_MESSAGE, `Record batch length ${batchLength} is below the minimum of ${MIN_RECORD_SIZE}`)
  const size = batchLength + LOG_OVERHEAD
  if (size > length) return invalid(ErrorCode.CORRUPT_MESSAGE, `Record batch claims ${size} bytes but only ${length} were sent`)

  const magic = batchMagic(records, 0)
  if (magic < 0 || magic > CURRENT_MAGIC) return invalid(ErrorCode.CORRUPT_MESSAGE, `Invalid magic ${magic} in record batch`)
  if (magic !== CURRENT_MAGIC) return invalid(ErrorCode.INVALID_RECORD, `Produce requests v3+ may only contain record batches with magic 2, found magic ${magic}`)
  if (size < BATCH_HEADER_SIZE) return invalid(ErrorCode.CORRUPT_MESSAGE, `Record batch of ${size} bytes is smaller than its ${BATCH_HEADER_SIZE}-byte header`)

  if (length > size) {
    const rest = length - size
    const nextComplete = rest >= LOG_OVERHEAD && records.readInt32BE(size + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD <= rest
    return nextComplete
      ? invalid(ErrorCode.INVALID_RECORD, 'Produce requests must contain exactly one record batch per partition')
      : invalid(ErrorCode.CORRUPT_MESSAGE, `${rest} trailing bytes after the record batch`)
  }

  if (batchBaseOffset(records, 0) !== 0) return invalid(ErrorCode.INVALID_RECORD, `The baseOffset of a produced record batch must be 0, not ${batchBaseOffset(records, 0)}`)
  if (size > config.maxMessageBytes) return invalid(ErrorCode.MESSAGE_TOO_LARGE, `Record batch of ${size} bytes exceeds max.message.bytes (${config.maxMessageBytes})`)
  if (!crcVerified && !isCrcValid(records, 0)) return invalid(ErrorCode.CORRUPT_MESSAGE, 'Record batch CRC does not match its contents')

  const attributes = batchAttributes(records, 0)
  const codec = attributes & COMPRESSION_CODEC_MASK
  if (codec > MAX_CODEC) return invalid(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `Unknown compression codec ${codec}`)

  const lastOffsetDelta = batchLastOffsetDelta(records, 0)
  const count = batchRecordCount(records, 0)
  if (lastOffsetDelta < 0 || count <= 0 || lastOffsetDelta + 1 !== count) {
    return invalid(ErrorCode.INVALID_RECORD, `Record count ${count} is inconsistent with lastOffsetDelta ${lastOffsetDelta}`)
  }
  if ((attributes & CONTROL_FLAG_MASK) !== 0) return invalid(ErrorCode.INVALID_RECORD, 'Clients may not write control batches')
  if (readInt64(records, PRODUCER_ID_OFFSET) >= 0 && records.readInt32BE(BASE_SEQUENCE_OFFSET) < 0) {
    return invalid(ErrorCode.INVALID_RECORD, 'An idempotent or transactional batch needs a base sequence >= 0')
  }
  return { error: ErrorCode.NONE, codec }
}

/**
 * The record-level checks of a batch whose header passed, given its records body
 * (decompressed when the batch is compressed). May set the batch's maxTimestamp; returns
 * the batch rebuilt in the topic's codec as `records` when that differs from its own.
 */
export function validateRecordsBody(records: Buffer, body: Buffer, config: ValidatedConfig, now: number, topicPartition = ''): ValidationResult {
  const attributes = batchAttributes(records, 0)
  const count = batchRecordCount(records, 0)
  const logAppendTime = config.messageTimestampType === 'LogAppendTime'
  const keysFor = config.cleanupPolicy?.includes('compact') === true ? topicPartition : null
  const checked = checkRecords(body, count, readInt64(records, BASE_TIMESTAMP_OFFSET), logAppendTime ? null : config, now, keysFor)
  if (typeof checked === 'string') return invalid(ErrorCode.INVALID_RECORD, checked)
  if (checked.errors !== null) {
    // Kafka's processRecordErrors: any timestamp error makes it INVALID_TIMESTAMP.
    if (checked.timestampErrors) return { error: ErrorCode.INVALID_TIMESTAMP, message: 'One or more records have been rejected due to invalid timestamp', recordErrors: checked.errors }
    const shown = checked.errors.slice(0, 3).map((e) => `RecordError(batchIndex=${e.batchIndex}, message='${e.message}')`)
    return {
      error: ErrorCode.INVALID_RECORD,
      message: `One or more records have been rejected due to ${checked.errors.length} record errors in total, and only showing the first three errors at most: [${shown.join(', ')}]`,
      recordErrors: checked.errors,
    }
  }
  // As Kafka's LogValidator: a CreateTime batch carries the largest timestamp of its records.
  if (!logAppendTime && (attributes & TIMESTAMP_TYPE_MASK) === 0 && readInt64(records, MAX_TIMESTAMP_OFFSET) !== checked.maxTimestamp) {
    writeInt64(records, MAX_TIMESTAMP_OFFSET, checked.maxTimestamp)
    updateBatchCrc(records, 0)
  }
  const source = attributes & COMPRESSION_CODEC_MASK
  const target = targetCodec(config, source)
  if (target === source) return VALID
  const rebuilt = recompressBatch(records, body, target, compressionLevels(config))
  // UnifiedLog checks the size again when validation may have changed it (Kafka's message, its missing space included).
  if (rebuilt.length > config.maxMessageBytes) {
    return invalid(ErrorCode.MESSAGE_TOO_LARGE, `Message batch size is ${rebuilt.length} bytes in append topartition ${topicPartition} which exceeds the maximum configured size of ${config.maxMessageBytes}.`)
  }
  return { error: ErrorCode.NONE, records: rebuilt }
}

const INT32_MIN = -2147483648
const INT32_MAX = 2147483647

/**
 * Walks `count` records of an uncompressed record body (Kafka's DefaultRecord layout).
 * Returns why the structure is invalid, or the largest timestamp and the records refused:
 * without a key when `keysFor` (the topic-partition named in the message) is not null, else
 * with a timestamp outside the bounds (`bounds` null: not checked, LogAppendTime).
 */
function checkRecords(body: Buffer, count: number, baseTimestamp: number, bounds: ValidatedConfig | null, now: number, keysFor: string | null): string | { maxTimestamp: number; errors: RecordError[] | null; timestampErrors: boolean } {
  const end = body.length
  let p = 0
  let maxTimestamp = NO_TIMESTAMP
  let errors: RecordError[] | null = null
  let timestampErrors = false
  let keyless = false
  const earliest = bounds === null ? 0 : now - bounds.messageTimestampBeforeMaxMs
  const latest = bounds === null ? 0 : now + bounds.messageTimestampAfterMaxMs
  // Varints are read inline: this runs for every record produced.
  let value = 0
  const varint = (limit: number, what: string, i: number): string | null => {
    let result = 0
    let multiplier = 1
    for (let k = 0; k < 10; k++) {
      if (p >= limit) return `record ${i}: ${what} runs past the end of the record`
      const b = body[p++]!
      result += (b & 0x7f) * multiplier
      if (b < 128) {
        value = result % 2 === 0 ? result / 2 : -(result + 1) / 2
        return null
      }
      multiplier *= 128
    }
    return `record ${i}: ${what} is longer than 10 bytes`
  }
  const int32 = (limit: number, what: string, i: number): string | null => {
    const bad = varint(limit, what, i)
    if (bad !== null) return bad
    return value < INT32_MIN || value > INT32_MAX ? `record ${i}: ${what} ${value} is not a 32-bit integer` : null
  }
  let bad: string | null
  for (let i = 0; i < count; i++) {
    if ((bad = int32(end, 'length', i)) !== null) return bad
    const length = value
    if (length < 1 || p + length > end) return `record ${i}: length ${length} does not fit the ${end - p} bytes left in the batch`
    const recordEnd = p + length
    p++ // attributes: unused in magic 2
    if ((bad = varint(recordEnd, 'timestamp delta', i)) !== null) return bad
    const timestamp = baseTimestamp + value
    if ((bad = int32(recordEnd, 'offset delta', i)) !== null) return bad
    if (value !== i) return `record ${i} has offset delta ${value}`
    for (const what of ['key', 'value']) {
      if ((bad = int32(recordEnd, `${what} length`, i)) !== null) return bad
      if (value < -1) return `record ${i}: invalid ${what} length ${value}`
      if (what === 'key') keyless = value === -1
      if (value > 0) {
        if (p + value > recordEnd) return `record ${i}: ${what} of ${value} bytes runs past the end of the record`
        p += value
      }
    }
    if ((bad = int32(recordEnd, 'header count', i)) !== null) return bad
    const headers = value
    if (headers < 0) return `record ${i}: invalid number of headers ${headers}`
    for (let h = 0; h < headers; h++) {
      if ((bad = int32(recordEnd, 'header key length', i)) !== null) return bad
      if (value < 0) return `record ${i}: invalid header key length ${value}`
      if (p + value > recordEnd) return `record ${i}: header key runs past the end of the record`
      p += value
      if ((bad = int32(recordEnd, 'header value length', i)) !== null) return bad
      if (value < -1) return `record ${i}: invalid header value length ${value}`
      if (value > 0) {
        if (p + value > recordEnd) return `record ${i}: header value runs past the end of the record`
        p += value
      }
    }
    if (p !== recordEnd) return `record ${i}: its fields end ${recordEnd - p} bytes before its declared length`
    if (timestamp > maxTimestamp) maxTimestamp = timestamp
    // One error per record, the key's first (LogValidator.validateRecord).
    if (keysFor !== null && keyless) {
      ;(errors ??= []).push({ batchIndex: i, message: `Compacted topic cannot accept message without key in topic partition ${keysFor}` })
    } else if (bounds !== null && timestamp !== NO_TIMESTAMP && (timestamp < earliest || timestamp > latest)) {
      timestampErrors = true
      ;(errors ??= []).push({
        batchIndex: i,
        message: `Timestamp ${timestamp} of message with offset ${i} is out of range. The timestamp should be within [${earliest}, ${latest}]`,
      })
    }
  }
  if (p !== end) return `Incorrect declared batch size: ${end - p} bytes remain after the last of ${count} records`
  return { maxTimestamp, errors, timestampErrors }
}
