// The `.kafka_cleanshutdown` marker in a data dir (Kafka's name): present only between a
// completed shutdown (everything flushed, checkpoints written) and the next start. Its
// absence at start means the logs must be recovered from their recovery points.

import { join } from 'node:path'
import { isNotFound, type FileIO } from './file-io.ts'

export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown'

export function cleanShutdownMarkerExists(io: FileIO, dataDir: string): boolean {
  return io.exists(join(dataDir, CLEAN_SHUTDOWN_FILE))
}

/** Written last at shutdown, after logs and checkpoints are durable. */
export function writeCleanShutdownMarker(io: FileIO, dataDir: string): void {
  io.writeFileAtomic(join(dataDir, CLEAN_SHUTDOWN_FILE), Buffer.alloc(0))
}

/**
 * Removed at start, before anything is written, and durably (the directory is fsynced):
 * a crash must never leave a marker behind that vouches for logs written since.
 */
export function removeCleanShutdownMarker(io: FileIO, dataDir: string): void {
  try {
    io.unlink(join(dataDir, CLEAN_SHUTDOWN_FILE))
  } catch (err) {
    if (!isNotFound(err)) throw err
    return
  }
  io.fsyncDir(dataDir)
}
