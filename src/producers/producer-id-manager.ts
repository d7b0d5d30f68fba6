// Hands out producer ids for InitProducerId, in the role of Kafka's ProducerIdManager.
// An id is never handed out twice, across restarts and crashes included: ids come from
// blocks of 1,000 (Kafka's block size), and a block is reserved durably in
// `<data-dir>/samsa-producer-ids.meta` (temp, fsync, rename) before its first id leaves.
// A crash wastes the rest of a block, never repeats one. Main thread.

import { join } from 'node:path'
import type { FileIO } from '../../storage/file-io.ts'
import { readMetadataFile, writeMetadataFile } from '../../storage/metadata-file.ts'

export const PRODUCER_IDS_FILE = 'samsa-producer-ids.meta'
export const PRODUCER_ID_BLOCK_SIZE = 1000

interface StoredBlock {
  /** The first id of the next block to reserve: every id below it may have been handed out. */
  nextBlockStart: number
}

export class ProducerIdManager {
  private readonly io: FileIO | null
  private readonly file: string | null
  private next = 0
  private blockEnd = 0

  /** `io`/`dataDir` null: memory mode, ids restart at 0 with the (empty) data. */
  constructor(io: FileIO | null, dataDir: string | null) {
    this.io = io
    this.file = dataDir === null ? null : join(dataDir, PRODUCER_IDS_FILE)
    if (io !== null && this.file !== null) {
      const stored = readMetadataFile(io, this.file) as StoredBlock | undefined
      if (stored !== undefined) {
        if (!Number.isSafeInteger(stored.nextBlockStart) || stored.nextBlockStart < 0) throw new Error(`Corrupt ${this.file}: bad nextBlockStart`)
        this.next = this.blockEnd = stored.nextBlockStart
      }
    }
  }

  /** A producer id never returned before by this data dir. */
  generate(): number {
    if (this.next >= this.blockEnd) {
      const end = this.blockEnd + PRODUCER_ID_BLOCK_SIZE
      if (this.io !== null && this.file !== null) writeMetadataFile(this.io, this.file, { nextBlockStart: end } satisfies StoredBlock)
      this.next = this.blockEnd
      this.blockEnd = end
    }
    return this.next++
  }
}
