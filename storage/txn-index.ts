// A segment's aborted-transaction index, Kafka's `.txnindex` format: 34-byte entries
// (int16 version 0, int64 producer id, int64 first offset, int64 last offset, int64 last
// stable offset), one per ABORT marker written in the segment, in marker order. Fetches
// in read_committed get the aborted transactions overlapping what they read, so the
// client can drop those records.

import type { FileIO } from './file-io.ts'
import { IndexFile } from './index-file.ts'
import { readInt64, writeInt64 } from '../protocol/records/record-batch.ts'

export const TXN_INDEX_SUFFIX = '.txnindex'
export const TXN_INDEX_ENTRY_SIZE = 34

export interface AbortedTxn {
  producerId: number
  firstOffset: number
  /** Offset of the ABORT marker. */
  lastOffset: number
  /** The partition's last stable offset once the marker was written. */
  lastStableOffset: number
}

export function encodeAbortedTxn(t: AbortedTxn): Buffer {
  const b = Buffer.alloc(TXN_INDEX_ENTRY_SIZE)
  b.writeInt16BE(0, 0)
  writeInt64(b, 2, t.producerId)
  writeInt64(b, 10, t.firstOffset)
  writeInt64(b, 18, t.lastOffset)
  writeInt64(b, 26, t.lastStableOffset)
  return b
}

export class TxnIndex {
  readonly file: IndexFile
  entries: AbortedTxn[] = []

  constructor(io: FileIO, path: string) {
    this.file = new IndexFile(io, path)
  }

  /** Reads the file's entries; a torn last entry is dropped (it is rebuilt by replay). */
  load(): void {
    const data = this.file.readAll()
    this.entries = []
    if (data === null) return
    for (let pos = 0; pos + TXN_INDEX_ENTRY_SIZE <= data.length; pos += TXN_INDEX_ENTRY_SIZE) {
      this.entries.push({ producerId: readInt64(data, pos + 2), firstOffset: readInt64(data, pos + 10), lastOffset: readInt64(data, pos + 18), lastStableOffset: readInt64(data, pos + 26) })
    }
  }

  append(t: AbortedTxn): void {
    // A replay may meet a marker the file already holds.
    if (this.entries.some((e) => e.lastOffset === t.lastOffset)) return
    this.file.write(encodeAbortedTxn(t), this.entries.length * TXN_INDEX_ENTRY_SIZE)
    this.entries.push(t)
  }

  /** Drops entries whose marker is at or past `offset` (a truncated log). */
  truncateTo(offset: number): void {
    const kept = this.entries.filter((e) => e.lastOffset < offset)
    if (kept.length === this.entries.length) return
    this.entries = kept
    this.file.rewrite(Buffer.concat(kept.map(encodeAbortedTxn)))
  }
}
