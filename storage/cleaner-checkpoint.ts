// Kafka's `cleaner-offset-checkpoint` in a data dir: for each compacted partition the
// first offset the log cleaner has not cleaned yet (its first dirty offset), in the same
// text format as the other offset checkpoints (checkpoint-file.ts). Read at start-up so a
// restart resumes cleaning where it stopped instead of re-reading the whole log; a lost
// or stale file costs a re-clean, never data (cleaning an already clean range keeps it).

import { join } from 'node:path'
import { formatCheckpoint, readCheckpointFile, type CheckpointEntry } from './checkpoint-file.ts'
import type { FileIO } from './file-io.ts'

export const CLEANER_CHECKPOINT_FILE = 'cleaner-offset-checkpoint'

export function cleanerCheckpointPath(dataDir: string): string {
  return join(dataDir, CLEANER_CHECKPOINT_FILE)
}

export function readCleanerCheckpoint(io: FileIO, dataDir: string): CheckpointEntry[] {
  return readCheckpointFile(io, cleanerCheckpointPath(dataDir))
}

/** The file's bytes (written by the caller, durably, off any hot thread). */
export function formatCleanerCheckpoint(entries: readonly CheckpointEntry[]): Buffer {
  return formatCheckpoint(entries)
}
