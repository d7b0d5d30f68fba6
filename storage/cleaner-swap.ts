// How the log cleaner puts a cleaned segment in place of the segments it was cleaned
// from, so that a crash at any moment leaves either all the old segments or the cleaned
// one, never a mix: Kafka's `.cleaned` → `.swap` protocol, with one change of order.
//
//   1. the cleaned segment is written as `<B>.log.cleaned` (+ `.index`, `.timeindex`,
//      `.txnindex` `.cleaned`) and fdatasynced;
//   2. each old segment's `.log` is renamed `.log.deleted`; directory fsync;
//   3. the cleaned index files become `.swap`, then `<B>.log.cleaned` becomes
//      `<B>.log.swap`: the commit point; directory fsync;
//   4. the old `.log.deleted` files and their indexes are removed, the `.swap` index files
//      and then `<B>.log.swap` take their final names; directory fsync.
//
// Recovery (before a log opens): with a `.log.swap` present the swap committed, so every
// `.log.deleted` goes and the `.swap` files take their final names; without one it did
// not, so every `.log.deleted` gets its name back and `.cleaned`/`.swap` files go.
// Kafka renames the old segments only after the commit and at recovery infers which
// segments a swap replaced from offsets; renaming them first names them exactly.
// Index files are derived data: a segment whose index is missing is rebuilt on open.

import { isNotFound, type FileIO } from './file-io.ts'
import { INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX, segmentFileName } from './log-segment.ts'
import { TXN_INDEX_SUFFIX } from './txn-index.ts'

export const CLEANED_SUFFIX = '.cleaned'
export const SWAP_SUFFIX = '.swap'
export const DELETED_SUFFIX = '.deleted'

const INDEX_SUFFIXES = [INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX] as const
const BASE_NAME = /^(\d{20})\./

/** The steps of a swap, for crash tests that stop after each. */
export type SwapStep = 'renamed-old' | 'committed' | 'removed-old' | 'done'

/**
 * Steps 2-4 for a cleaned segment at `base` (already written and synced as `.cleaned`)
 * replacing the segments at `oldBases`. `afterStep` lets tests crash between steps.
 */
export function swapCleanedSegment(io: FileIO, dir: string, base: number, oldBases: readonly number[], afterStep?: (step: SwapStep) => void): void {
  for (const b of oldBases) io.rename(path(dir, b, LOG_SUFFIX), path(dir, b, LOG_SUFFIX) + DELETED_SUFFIX)
  io.fsyncDir(dir)
  afterStep?.('renamed-old')
  for (const suffix of INDEX_SUFFIXES) renameIfExists(io, path(dir, base, suffix) + CLEANED_SUFFIX, path(dir, base, suffix) + SWAP_SUFFIX)
  io.rename(path(dir, base, LOG_SUFFIX) + CLEANED_SUFFIX, path(dir, base, LOG_SUFFIX) + SWAP_SUFFIX)
  io.fsyncDir(dir)
  afterStep?.('committed')
  for (const b of oldBases) {
    unlinkIfExists(io, path(dir, b, LOG_SUFFIX) + DELETED_SUFFIX)
    if (b !== base) for (const suffix of INDEX_SUFFIXES) unlinkIfExists(io, path(dir, b, suffix))
  }
  afterStep?.('removed-old')
  finishSwap(io, dir, base)
  io.fsyncDir(dir)
  afterStep?.('done')
}

function finishSwap(io: FileIO, dir: string, base: number): void {
  for (const suffix of INDEX_SUFFIXES) renameIfExists(io, path(dir, base, suffix) + SWAP_SUFFIX, path(dir, base, suffix))
  io.rename(path(dir, base, LOG_SUFFIX) + SWAP_SUFFIX, path(dir, base, LOG_SUFFIX))
}

/** Finishes or undoes a swap a crash interrupted (see the header); returns whether anything was found. */
export function recoverCleanerSwaps(io: FileIO, dir: string): boolean {
  const names = io.readdir(dir)
  const swaps: number[] = []
  const leftovers: string[] = []
  for (const name of names) {
    if (name.endsWith(LOG_SUFFIX + SWAP_SUFFIX)) swaps.push(Number(BASE_NAME.exec(name)?.[1] ?? -1))
    if (name.endsWith(CLEANED_SUFFIX) || name.endsWith(SWAP_SUFFIX) || name.endsWith(DELETED_SUFFIX)) leftovers.push(name)
  }
  if (leftovers.length === 0) return false
  if (swaps.length > 0) {
    for (const name of leftovers) {
      if (name.endsWith(DELETED_SUFFIX)) {
        unlinkIfExists(io, `${dir}/${name}`)
        // The old segment's indexes go with it, unless the cleaned segment takes that name.
        const b = Number(BASE_NAME.exec(name)?.[1] ?? -1)
        if (!swaps.includes(b)) for (const suffix of INDEX_SUFFIXES) unlinkIfExists(io, path(dir, b, suffix))
      } else if (name.endsWith(CLEANED_SUFFIX)) {
        unlinkIfExists(io, `${dir}/${name}`)
      }
    }
    for (const b of swaps) finishSwap(io, dir, b)
  } else {
    for (const name of leftovers) {
      if (name.endsWith(DELETED_SUFFIX)) io.rename(`${dir}/${name}`, `${dir}/${name.slice(0, -DELETED_SUFFIX.length)}`)
      else unlinkIfExists(io, `${dir}/${name}`)
    }
  }
  io.fsyncDir(dir)
  return true
}

/** Removes the files of a cleaned segment that will not be swapped in (an abandoned clean). */
export function deleteCleanedFiles(io: FileIO, dir: string, base: number): void {
  for (const suffix of [LOG_SUFFIX, ...INDEX_SUFFIXES]) unlinkIfExists(io, path(dir, base, suffix) + CLEANED_SUFFIX)
}

function path(dir: string, base: number, suffix: string): string {
  return `${dir}/${segmentFileName(base, suffix)}`
}

function renameIfExists(io: FileIO, from: string, to: string): void {
  try {
    io.rename(from, to)
  } catch (err) {
    if (!isNotFound(err)) throw err
  }
}

function unlinkIfExists(io: FileIO, file: string): void {
  try {
    io.unlink(file)
  } catch (err) {
    if (!isNotFound(err)) throw err
  }
}
