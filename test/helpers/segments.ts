// Looks at what a broker actually stored: the codec of every batch in a partition's
// segment files, read straight from disk.

import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** Codec and record count of every stored batch. */
export function storedBatches(dataDir: string, topic: string, partition: number): Array<{ codec: number; records: number }> {
  const dir = join(dataDir, `${topic}-${partition}`)
  const batches: Array<{ codec: number; records: number }> = []
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.log')).sort()) {
    const log = readFileSync(join(dir, f))
    for (let pos = 0; pos + 61 <= log.length; pos += 12 + log.readInt32BE(pos + 8)) batches.push({ codec: log.readInt16BE(pos + 21) & 7, records: log.readInt32BE(pos + 57) })
  }
  return batches
}
