// Periodic flushing for --fsync interval without stalling anyone. The shards only list
// the files they wrote since the last round (cheap, synchronous); the fdatasyncs run
// here on libuv's pool, so neither a shard thread nor the event loop waits for the disk,
// and a produce or fetch queued behind a flush no longer pays for it. The recovery-point
// checkpoint is rewritten only after every listed file is durable.

import { open, rename } from 'node:fs/promises'
import { dirname } from 'node:path'

// libuv's pool has four threads by default; more in flight would only queue there.
const CONCURRENCY = 4

async function syncPath(path: string, data: boolean, timed: ((ms: number) => void) | null = null): Promise<void> {
  let fh
  try {
    fh = await open(path, 'r')
  } catch (err) {
    // Deleted since it was listed (retention, a deleted topic): nothing left to make durable.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  try {
    if (data && timed !== null) {
      const started = performance.now()
      await fh.datasync()
      timed(performance.now() - started)
    } else {
      await (data ? fh.datasync() : fh.sync())
    }
  } finally {
    await fh.close()
  }
}

/**
 * fdatasyncs files (and fsyncs directories) by path; resolves when all are durable.
 * `timed` is told each file's fdatasync time in ms (libuv's queueing included).
 */
export async function fsyncPaths(files: readonly string[], dirs: readonly string[] = [], timed: ((ms: number) => void) | null = null): Promise<void> {
  const work = [...files.map((f) => () => syncPath(f, true, timed)), ...dirs.map((d) => () => syncPath(d, false))]
  let next = 0
  const runners = Array.from({ length: Math.min(CONCURRENCY, work.length) }, async () => {
    while (next < work.length) await work[next++]!()
  })
  await Promise.all(runners)
}

/** Writes a small file durably and atomically: temp file, fdatasync, rename, directory fsync. */
export async function writeFileDurably(path: string, data: Buffer): Promise<void> {
  const tmp = `${path}.tmp`
  const fh = await open(tmp, 'w')
  try {
    await fh.writeFile(data)
    await fh.datasync()
  } finally {
    await fh.close()
  }
  await rename(tmp, path)
  await syncPath(dirname(path), false)
}
