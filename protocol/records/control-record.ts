// Reading the one record of a control batch (Kafka's ControlRecordType): its key is
// `i16 version, i16 type`, type 0 ABORT and 1 COMMIT for transaction markers. Control
// batches are never compressed, so the key sits right after the record's varint fields.

import { BATCH_LENGTH_OFFSET, LOG_OVERHEAD, RECORDS_OFFSET } from './record-batch.ts'
import { readVarint, type VarintRead } from './varint.ts'

export const ControlType = { ABORT: 0, COMMIT: 1, UNKNOWN: -1 } as const

const scratch: VarintRead = { value: 0, next: 0 }

/** The control type of the control batch at `pos` (ABORT, COMMIT, or UNKNOWN when unreadable). */
export function controlTypeOf(buf: Buffer, pos = 0): number {
  const end = Math.min(buf.length, pos + buf.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD)
  try {
    let at = readVarint(buf, pos + RECORDS_OFFSET, end, scratch).next // record length
    at += 1 // attributes
    at = readVarint(buf, at, end, scratch).next // timestamp delta
    at = readVarint(buf, at, end, scratch).next // offset delta
    const keyLength = readVarint(buf, at, end, scratch).value
    at = scratch.next
    if (keyLength < 4 || at + 4 > end) return ControlType.UNKNOWN
    return buf.readInt16BE(at + 2)
  } catch {
    return ControlType.UNKNOWN
  }
}
