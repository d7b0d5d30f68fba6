// Kafka's offset checkpoint text format, used for `recovery-point-offset-checkpoint` and
// `log-start-offset-checkpoint` in a data dir:
//   line 1: version, always 0
//   line 2: number of entries
//   then one `<topic> <partition> <offset>` line per entry.
// Written whole through writeFileAtomic (temp file, fsync, rename); a missing file reads
// as no entries, a malformed one is an error naming the file.

import { ErrorCode } from '../protocol/error-codes.ts'
import { isNotFound, type FileIO } from './file-io.ts'
import { StorageError } from './storage-error.ts'

export interface CheckpointEntry {
  topic: string
  partition: number
  offset: number
}

const VERSION = 0

function corrupt(path: string, why: string): StorageError {
  return new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, `Malformed checkpoint file ${path}: ${why}`)
}

function parseInteger(text: string): number | null {
  if (!/^-?\d+$/.test(text)) return null
  const n = Number(text)
  return Number.isSafeInteger(n) ? n : null
}

export function readCheckpointFile(io: FileIO, path: string): CheckpointEntry[] {
  let data: Buffer
  try {
    data = io.readFile(path)
  } catch (err) {
    if (isNotFound(err)) return []
    throw err
  }
  const lines = data.toString('utf8').split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  if (lines.length < 2) throw corrupt(path, 'missing version or entry count')
  const version = parseInteger(lines[0]!.trim())
  if (version !== VERSION) throw corrupt(path, `unsupported version ${JSON.stringify(lines[0])}`)
  const count = parseInteger(lines[1]!.trim())
  if (count === null || count < 0) throw corrupt(path, `bad entry count ${JSON.stringify(lines[1])}`)
  if (lines.length - 2 !== count) throw corrupt(path, `expected ${count} entries, found ${lines.length - 2}`)
  const entries: CheckpointEntry[] = []
  for (let i = 2; i < lines.length; i++) {
    const parts = lines[i]!.trim().split(/\s+/)
    const partition = parts.length === 3 ? parseInteger(parts[1]!) : null
    const offset = parts.length === 3 ? parseInteger(parts[2]!) : null
    if (partition === null || offset === null || partition < 0) throw corrupt(path, `bad line ${i + 1}: ${JSON.stringify(lines[i])}`)
    entries.push({ topic: parts[0]!, partition, offset })
  }
  return entries
}

/** The file's bytes, for callers that write it themselves (asynchronously, off a hot thread). */
export function formatCheckpoint(entries: readonly CheckpointEntry[]): Buffer {
  let text = `${VERSION}\n${entries.length}\n`
  for (const e of entries) {
    if (/\s/.test(e.topic) || e.topic === '') throw new Error(`cannot checkpoint topic name ${JSON.stringify(e.topic)}`)
    text += `${e.topic} ${e.partition} ${e.offset}\n`
  }
  return Buffer.from(text, 'utf8')
}

export function writeCheckpointFile(io: FileIO, path: string, entries: readonly CheckpointEntry[]): void {
  io.writeFileAtomic(path, formatCheckpoint(entries))
}
