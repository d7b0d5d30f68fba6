// Disk baselines in the directory the broker's data goes to, with the same write sizes:
// - sequential writes to the page cache (what an append-only log at fsync=interval is
//   bounded by);
// - sequential writes with fdatasync in groups (group commit), spread over as many files
//   as the produce load has partitions, syncing each file once per round after
//   `writesPerSync` writes to it: what a broker acknowledging only synced data could do
//   at best with that many batches outstanding. Also with one fdatasync per write.
// Synchronous fs, as the broker's shard workers use it.

import { openSync, writeSync, fdatasyncSync, closeSync, mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'

export interface DiskResult {
  durationMs: number
  bytes: number
  writes: number
  syncs: number
  mbPerSec: number
  writeSize: number
  files: number
  writesPerSync: number | null
}

function withDir<T>(parent: string, fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(parent, 'samsa-bench-disk-'))
  try {
    return fn(dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Appends `writeSize`-byte blocks to `files` files round-robin for `durationMs` (or `maxBytes`). */
export function sequentialWrite(parent: string, writeSize: number, durationMs: number, opts: { files?: number; writesPerSync?: number | null; maxBytes?: number } = {}): DiskResult {
  const files = opts.files ?? 1
  const perSync = opts.writesPerSync ?? null
  const maxBytes = opts.maxBytes ?? 2 * 1024 ** 3
  const block = Buffer.alloc(writeSize, 0x61)
  return withDir(parent, (dir) => {
    const fds = Array.from({ length: files }, (_, i) => openSync(join(dir, `${String(i).padStart(20, '0')}.log`), 'w'))
    const pos = new Array<number>(files).fill(0)
    let bytes = 0
    let writes = 0
    let syncs = 0
    const start = performance.now()
    try {
      while (performance.now() - start < durationMs && bytes < maxBytes) {
        // One round: `perSync` writes to every file (or one write each without syncing), then a sync of each.
        const rounds = perSync ?? 1
        for (let f = 0; f < files; f++) {
          for (let k = 0; k < rounds; k++) {
            writeSync(fds[f]!, block, 0, writeSize, pos[f]!)
            pos[f]! += writeSize
            bytes += writeSize
            writes++
          }
        }
        if (perSync !== null) {
          for (let f = 0; f < files; f++) {
            fdatasyncSync(fds[f]!)
            syncs++
          }
        }
      }
    } finally {
      for (const fd of fds) closeSync(fd)
    }
    const ms = performance.now() - start
    return { durationMs: ms, bytes, writes, syncs, mbPerSec: bytes / 1e6 / (ms / 1000), writeSize, files, writesPerSync: perSync }
  })
}
