// Records of `__transaction_state`, in Kafka's layouts (TransactionLogKey v0 and
// TransactionLogValue v0, each prefixed with its int16 version) so Kafka's own tools can
// read the topic: key = transactional id; value = producer id, epoch, timeout, state,
// partitions, last update and start times. A null value removes the transactional id.

import { Reader } from '../../protocol/wire/reader.ts'
import { Writer } from '../../protocol/wire/writer.ts'

export interface TxnLogValue {
  producerId: number
  producerEpoch: number
  timeoutMs: number
  /** Kafka's TransactionState ids: 0 Empty, 1 Ongoing, 2 PrepareCommit, 3 PrepareAbort, 4 CompleteCommit, 5 CompleteAbort, 6 Dead, 7 PrepareEpochFence. */
  state: number
  partitions: Array<{ topic: string; partitions: number[] }>
  lastUpdateTimestamp: number
  startTimestamp: number
}

export function encodeTxnKey(transactionalId: string): Buffer {
  const w = new Writer()
  w.int16(0)
  w.string(transactionalId)
  return w.toBuffer()
}

export function decodeTxnKey(buf: Buffer): string | null {
  const r = new Reader(buf)
  if (r.int16() !== 0) return null
  return r.string()
}

export function encodeTxnValue(v: TxnLogValue): Buffer {
  const w = new Writer()
  w.int16(0)
  w.int64(v.producerId)
  w.int16(v.producerEpoch)
  w.int32(v.timeoutMs)
  w.int8(v.state)
  w.int32(v.partitions.length)
  for (const t of v.partitions) {
    w.string(t.topic)
    w.int32(t.partitions.length)
    for (const p of t.partitions) w.int32(p)
  }
  w.int64(v.lastUpdateTimestamp)
  w.int64(v.startTimestamp)
  return w.toBuffer()
}

/** Decodes a v0 value; null for a version this broker does not write (v1 adds tagged fields). */
export function decodeTxnValue(buf: Buffer): TxnLogValue | null {
  const r = new Reader(buf)
  if (r.int16() !== 0) return null
  const producerId = r.int64()
  const producerEpoch = r.int16()
  const timeoutMs = r.int32()
  const state = r.int8()
  const n = r.int32()
  const partitions: TxnLogValue['partitions'] = []
  for (let i = 0; i < n; i++) {
    const topic = r.string()
    const count = r.int32()
    const ps: number[] = []
    for (let j = 0; j < count; j++) ps.push(r.int32())
    partitions.push({ topic, partitions: ps })
  }
  return { producerId, producerEpoch, timeoutMs, state, partitions, lastUpdateTimestamp: r.int64(), startTimestamp: r.int64() }
}
