// Checks a producer's records for one partition before they are appended, in the order
// and with the error codes Kafka uses (ProduceRequest.validateRecords, UnifiedLog
// .analyzeAndValidateRecords, LogValidator.validateBatch). Only the batch header is
// read and the CRC verified: records are never decompressed or decoded here.

import { ErrorCode } from '../protocol/error-codes.ts'
import {
  BATCH_HEADER_SIZE, BATCH_LENGTH_OFFSET, COMPRESSION_CODEC_MASK, CONTROL_FLAG_MASK, CURRENT_MAGIC, LOG_OVERHEAD,
  batchAttributes, batchBaseOffset, batchLastOffsetDelta, batchMagic, batchRecordCount, isCrcValid, readInt64,
  PRODUCER_ID_OFFSET, BASE_SEQUENCE_OFFSET,
} from '../protocol/records/record-batch.ts'
import type { LogConfig } from './log-config.ts'

export interface ValidationResult {
  error: number
  message?: string
}

const VALID: ValidationResult = Object.freeze({ error: ErrorCode.NONE })
// Kafka's smallest legal record of any magic (LegacyRecord.RECORD_OVERHEAD_V0).
const MIN_RECORD_SIZE = 14
const MAX_CODEC = 4

function invalid(error: number, message: string): ValidationResult {
  return { error, message }
}

/**
 * Validates the records of one partition in a Produce request (v3+): exactly one magic-2
 * batch, intact and within max.message.bytes. Returns `{ error: 0 }` when it may be
 * appended, else the Kafka error code for that partition and a reason.
 */
export function validateProducedRecords(records: Buffer, config: Pick<LogConfig, 'maxMessageBytes'>): ValidationResult {
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
  if (!isCrcValid(records, 0)) return invalid(ErrorCode.CORRUPT_MESSAGE, 'Record batch CRC does not match its contents')

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
  return VALID
}
