// Transactional storage in the partition log (Kafka's ProducerStateManager ongoing
// transactions, LogSegment's TransactionIndex and UnifiedLog.lastStableOffset): the last
// stable offset, the aborted-transaction index (`.txnindex`) on disk and in memory, reads
// bounded by the LSO, Kafka's checks on transactional appends and markers, and how all of
// it survives a clean reopen, a crash, a roll's producer snapshot and segment deletion.

import t, { type Test } from 'tap'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { buildRecordBatch } from '../../protocol/records/record-batch-builder.ts'
import { batchBaseOffset, batchLastOffset, batchSize, isCrcValid, readBatchHeader } from '../../protocol/records/record-batch.ts'
import { ControlType, controlTypeOf } from '../../protocol/records/control-record.ts'
import { MemoryFileIO } from '../../storage/file-io.ts'
import type { LogConfig } from '../../storage/log-config.ts'
import { PartitionLog, StorageError } from '../../storage/partition-log.ts'
import { config, makeBatch } from './helpers.ts'

const DIR = '/data/txn-0'
const A = 1001
const B = 2002

/** A transactional batch of `n` records (baseOffset 0; append() patches it in place, so never reuse one). */
function txn(n: number, producerId: number, baseSequence: number, producerEpoch = 0, timestamp = 1_000): Buffer {
  return buildRecordBatch({
    records: Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`p${producerId}-s${baseSequence + i}`), timestamp: timestamp + i })),
    producerId,
    producerEpoch,
    baseSequence,
    isTransactional: true,
  })
}

/** An idempotent, non-transactional batch from a producer id. */
function idem(n: number, producerId: number, baseSequence: number, producerEpoch = 0, timestamp = 1_000): Buffer {
  return buildRecordBatch({
    records: Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`p${producerId}-s${baseSequence + i}`), timestamp: timestamp + i })),
    producerId,
    producerEpoch,
    baseSequence,
  })
}

function open(io: MemoryFileIO, options: { clean?: boolean; recoveryPoint?: number; cfg?: Partial<LogConfig> } = {}): PartitionLog {
  io.mkdirp('/data')
  return PartitionLog.open(io, DIR, config(options.cfg), { clean: options.clean ?? true, recoveryPoint: options.recoveryPoint ?? 0, now: 0 })
}

function name(base: number, suffix: string): string {
  return `${String(base).padStart(20, '0')}${suffix}`
}

function txnIndexPath(base: number): string {
  return `${DIR}/${name(base, '.txnindex')}`
}

/** Offsets [base, last] of every batch in a read result. */
function batchRanges(records: Buffer): [number, number][] {
  const out: [number, number][] = []
  for (let pos = 0; pos < records.length; pos += batchSize(records, pos)) out.push([batchBaseOffset(records, pos), batchLastOffset(records, pos)])
  return out
}

function codeOf(fn: () => unknown): number {
  try {
    fn()
    return 0
  } catch (err) {
    if (err instanceof StorageError) return err.code
    throw err
  }
}

function expectCode(t: Test, fn: () => unknown, code: number, msg: string): void {
  try {
    fn()
    t.fail(`${msg}: expected StorageError ${code}`)
  } catch (err) {
    t.ok(err instanceof StorageError, `${msg}: a StorageError`)
    t.equal((err as StorageError).code, code, msg)
  }
}

interface DecodedEntry {
  version: number
  producerId: number
  firstOffset: number
  lastOffset: number
  lastStableOffset: number
}

/** Decodes a `.txnindex` file independently of storage/txn-index.ts: 34-byte entries, int16 version then four int64. */
function decodeTxnIndex(t: Test, io: MemoryFileIO, path: string): DecodedEntry[] {
  const data = io.readFile(path)
  t.equal(data.length % 34, 0, `${path} holds whole 34-byte entries`)
  const out: DecodedEntry[] = []
  for (let pos = 0; pos + 34 <= data.length; pos += 34) {
    out.push({
      version: data.readInt16BE(pos),
      producerId: Number(data.readBigInt64BE(pos + 2)),
      firstOffset: Number(data.readBigInt64BE(pos + 10)),
      lastOffset: Number(data.readBigInt64BE(pos + 18)),
      lastStableOffset: Number(data.readBigInt64BE(pos + 26)),
    })
  }
  return out
}

const snapshotFiles = (io: MemoryFileIO): string[] => io.readdir(DIR).filter((n) => n.endsWith('.snapshot')).sort()
const txnIndexFiles = (io: MemoryFileIO): string[] => io.readdir(DIR).filter((n) => n.endsWith('.txnindex')).sort()
const txnStarts = (log: PartitionLog): Record<number, number> => Object.fromEntries(log.producers.summaries().map((s) => [s.producerId, s.currentTxnStartOffset]))

/** Syncs one file by path, as the background flusher does for each file handOffFlush() lists. */
function syncPath(io: MemoryFileIO, path: string): void {
  const h = io.open(path, 'rw')
  io.datasync(h)
  io.close(h)
}

// ---- 1-3: the last stable offset, the aborted-transaction index, reads and ListOffsets ----

t.test('interleaved transactions: LSO, abortedTxns, read_committed reads and ListOffsets follow each marker', async (t) => {
  const io = new MemoryFileIO()
  const log = open(io)

  t.equal(log.append(txn(2, A, 0, 0, 1_000), 1).baseOffset, 0, 'A opens its transaction at 0')
  t.equal(log.append(txn(3, B, 0, 0, 2_000), 2).baseOffset, 2, 'B opens its transaction at 2')
  t.equal(log.append(txn(1, A, 2, 0, 3_000), 3).baseOffset, 5)
  t.equal(log.append(makeBatch({ records: 1, timestamp: 4_000 }), 4).baseOffset, 6, 'a plain batch in between')
  t.equal(log.append(txn(1, B, 3, 0, 5_000), 5).baseOffset, 7)
  t.equal(log.logEndOffset, 8)
  t.equal(log.highWatermark, 8)
  t.equal(log.lastStableOffset, 0, 'both open: the LSO is the first offset of the oldest open transaction (A)')
  t.same(txnStarts(log), { [A]: 0, [B]: 2 }, 'currentTxnStartOffset per producer')
  t.same(log.abortedTxns(0, 8), [], 'nothing aborted yet')

  // Reads bounded by the LSO (read_committed).
  t.same(log.read(0, 1 << 20, { minOneBatch: true, maxOffset: log.lastStableOffset }).records.length, 0, 'LSO 0: nothing is stable')
  t.same(batchRanges(log.read(0, 1 << 20, { minOneBatch: true }).records), [[0, 1], [2, 4], [5, 5], [6, 6], [7, 7]], 'without a bound everything is read')
  t.same(log.listOffsets(-1, true), { offset: 0, timestamp: -1 }, 'LATEST committed = the LSO')
  t.same(log.listOffsets(-1, false), { offset: 8, timestamp: -1 }, 'LATEST uncommitted = the log end')
  t.equal(log.listOffsets(1_000, true), null, 'a timestamp lookup landing at or past the LSO finds nothing committed')
  t.same(log.listOffsets(1_000, false), { offset: 0, timestamp: 1_000 })

  const commitA = log.appendMarker(A, 0, 0, true, 10)
  t.equal(commitA, 8, 'the COMMIT marker of A gets the next offset')
  t.equal(log.logEndOffset, 9)
  t.equal(log.lastStableOffset, 2, 'A committed: the LSO moves to B\'s first offset')
  t.same(txnStarts(log), { [A]: -1, [B]: 2 })
  t.same(log.abortedTxns(0, 9), [], 'a commit is not indexed')
  t.notOk(io.exists(txnIndexPath(0)), 'no .txnindex file before the first abort')

  const lso = log.lastStableOffset
  const bounded = log.read(0, 1 << 20, { minOneBatch: true, maxOffset: lso }).records
  t.same(batchRanges(bounded), [[0, 1]], 'a read bounded by the LSO stops before B\'s first batch')
  t.ok(batchRanges(bounded).every(([base]) => base < lso), 'no batch at or past the LSO')
  t.same(log.read(2, 1 << 20, { minOneBatch: true, maxOffset: lso }).records.length, 0, 'fetching at the LSO gets nothing')
  t.same(log.read(2, 1, { minOneBatch: true, maxOffset: lso }).records.length, 0, 'not even the one batch minOneBatch would give')
  t.same(batchRanges(log.read(2, 1, { minOneBatch: true }).records), [[2, 4]], 'which an unbounded read does give')
  t.same(log.listOffsets(-1, true), { offset: 2, timestamp: -1 })
  t.same(log.listOffsets(-1, false), { offset: 9, timestamp: -1 })
  t.same(log.listOffsets(1_000, true), { offset: 0, timestamp: 1_000 }, 'a committed record below the LSO is found')
  t.equal(log.listOffsets(2_000, true), null, 'a record of the open transaction is not')

  const abortB = log.appendMarker(B, 0, 0, false, 11)
  t.equal(abortB, 9, 'the ABORT marker of B')
  t.equal(log.logEndOffset, 10)
  t.equal(log.lastStableOffset, 10, 'nothing open: the LSO is the log end')
  t.same(txnStarts(log), { [A]: -1, [B]: -1 })
  const entryB = { producerId: B, firstOffset: 2, lastOffset: 9, lastStableOffset: 10 }
  t.same(log.abortedTxns(0, 10), [entryB], 'exactly B\'s transaction, up to its marker')
  t.same(log.abortedTxns(9, 10), [entryB], 'a fetch at the marker still overlaps it')
  t.same(log.abortedTxns(10, 10), [], 'a fetch past the marker does not')
  t.same(log.abortedTxns(0, 2), [], 'nor a range ending at its first offset')
  t.same(log.abortedTxns(0, 3), [entryB], 'a range reaching its first offset does')
  t.same(log.listOffsets(-1, true), { offset: 10, timestamp: -1 })
  t.same(log.listOffsets(-1, false), { offset: 10, timestamp: -1 })
  t.same(batchRanges(log.read(0, 1 << 20, { minOneBatch: true, maxOffset: log.lastStableOffset }).records), [[0, 1], [2, 4], [5, 5], [6, 6], [7, 7], [8, 8], [9, 9]], 'everything is stable')

  // The markers on disk are Kafka's control batches.
  const all = log.read(8, 1 << 20, { minOneBatch: true }).records
  const h0 = readBatchHeader(all, 0)
  t.ok(h0.isControl && h0.isTransactional, 'the marker is a transactional control batch')
  t.equal(h0.producerId, A)
  t.equal(controlTypeOf(all, 0), ControlType.COMMIT)
  t.equal(controlTypeOf(all, batchSize(all, 0)), ControlType.ABORT)
  t.ok(isCrcValid(all, 0) && isCrcValid(all, batchSize(all, 0)), 'valid CRCs at their final offsets')
})

t.test('an abort while another transaction is open records that transaction\'s first offset as its LSO', async (t) => {
  const io = new MemoryFileIO()
  const log = open(io)
  log.append(txn(1, B, 0), 1) // 0
  log.append(txn(2, A, 0), 2) // 1-2
  t.equal(log.appendMarker(B, 0, 0, false, 3), 3)
  t.equal(log.lastStableOffset, 1, 'A is still open')
  t.same(log.abortedTxns(0, 4), [{ producerId: B, firstOffset: 0, lastOffset: 3, lastStableOffset: 1 }], 'Kafka\'s lastStableOffset(completedTxn): the next open transaction, not the marker + 1')
  t.equal(log.appendMarker(A, 0, 0, false, 4), 4)
  t.same(log.abortedTxns(0, 5).map((e) => [e.producerId, e.firstOffset, e.lastOffset, e.lastStableOffset]), [[B, 0, 3, 1], [A, 1, 4, 5]], 'in marker order')
  t.equal(log.lastStableOffset, 5)
  t.same(decodeTxnIndex(t, io, txnIndexPath(0)).map((e) => e.lastStableOffset), [1, 5], 'as written to the file')
})

// ---- 4: Kafka's checks ----

t.test('a non-transactional batch during an open transaction is INVALID_TXN_STATE; nothing is written', async (t) => {
  const io = new MemoryFileIO()
  const log = open(io)
  log.append(txn(2, A, 0), 1)
  log.append(makeBatch(), 2)
  const end = log.logEndOffset
  const bytes = io.readFile(`${DIR}/${name(0, '.log')}`).length
  expectCode(t, () => log.append(idem(1, A, 2), 3), ErrorCode.INVALID_TXN_STATE, 'idempotent batch of the same producer and epoch')
  t.equal(ErrorCode.INVALID_TXN_STATE, 48)
  t.equal(log.logEndOffset, end, 'log end unchanged')
  t.equal(io.readFile(`${DIR}/${name(0, '.log')}`).length, bytes, 'no bytes written')
  t.equal(log.lastStableOffset, 0, 'the transaction is still open')
  t.same(txnStarts(log), { [A]: 0 })
  t.equal(log.append(txn(1, A, 2), 4).baseOffset, end, 'the same sequence sent transactionally is accepted: the rejected batch consumed nothing')
  log.appendMarker(A, 0, 0, true, 5)
  t.equal(log.append(idem(1, A, 3), 6).baseOffset, end + 2, 'once committed, non-transactional writes are fine again')
})

t.test('a marker with an epoch older than the producer\'s is INVALID_PRODUCER_EPOCH; nothing is written', async (t) => {
  const io = new MemoryFileIO()
  const log = open(io)
  log.append(txn(2, A, 0, 3), 1)
  const end = log.logEndOffset
  expectCode(t, () => log.appendMarker(A, 2, 0, false, 2), ErrorCode.INVALID_PRODUCER_EPOCH, 'ABORT at epoch 2 for a producer at epoch 3')
  expectCode(t, () => log.appendMarker(A, 0, 0, true, 2), ErrorCode.INVALID_PRODUCER_EPOCH, 'COMMIT at epoch 0')
  t.equal(ErrorCode.INVALID_PRODUCER_EPOCH, 47)
  t.equal(log.logEndOffset, end, 'log end unchanged')
  t.equal(log.lastStableOffset, 0, 'the transaction is still open')
  t.same(log.abortedTxns(0, end), [], 'nothing indexed')
  t.notOk(io.exists(txnIndexPath(0)), 'no .txnindex written')
  t.same(log.producers.summaries().map((s) => [s.producerEpoch, s.currentTxnStartOffset]), [[3, 0]], 'producer state untouched')
  t.equal(log.appendMarker(A, 3, 0, false, 3), end, 'the current epoch is accepted')
  t.equal(log.lastStableOffset, end + 1)
})

t.test('a coordinator epoch older than the last marker\'s is TRANSACTION_COORDINATOR_FENCED', async (t) => {
  const io = new MemoryFileIO()
  const log = open(io)
  log.append(txn(1, A, 0), 1)
  log.appendMarker(A, 0, 5, true, 2)
  log.append(txn(1, A, 1), 3)
  const end = log.logEndOffset
  expectCode(t, () => log.appendMarker(A, 0, 4, false, 4), ErrorCode.TRANSACTION_COORDINATOR_FENCED, 'coordinator epoch 4 after 5')
  t.equal(log.logEndOffset, end)
  t.equal(log.lastStableOffset, 2)
})

// Kafka's ProducerAppendInfo.appendDataBatch checks the transaction state after the epoch
// and sequence checks whatever the epoch: currentTxnFirstOffset is carried into a new
// epoch, so a non-transactional batch at a bumped epoch is still INVALID_TXN_STATE.
t.test('a non-transactional batch at a bumped epoch while the transaction is open is INVALID_TXN_STATE', async (t) => {
  const io = new MemoryFileIO()
  const log = open(io)
  log.append(txn(2, A, 0, 0), 1)
  const end = log.logEndOffset
  t.equal(codeOf(() => log.append(idem(1, A, 0, 1), 2)), ErrorCode.INVALID_TXN_STATE, 'epoch 1, sequence 0, not transactional: refused')
  t.equal(log.logEndOffset, end, 'nothing written')
  t.equal(log.lastStableOffset, 0, 'the transaction is still open')
})

// ---- 5: the .txnindex file ----

t.test('the .txnindex file: Kafka\'s 34-byte entries, reloaded on a clean reopen, kept per segment across rolls', async (t) => {
  const io = new MemoryFileIO()
  let log = open(io)
  log.append(txn(2, A, 0), 1) // 0-1
  log.append(txn(1, B, 0), 2) // 2
  log.appendMarker(A, 0, 0, false, 3) // 3: abort A while B is open
  log.appendMarker(B, 0, 0, false, 4) // 4
  t.same(txnIndexFiles(io), [name(0, '.txnindex')], 'the active segment has a <20-digit base>.txnindex')
  t.same(decodeTxnIndex(t, io, txnIndexPath(0)), [
    { version: 0, producerId: A, firstOffset: 0, lastOffset: 3, lastStableOffset: 2 },
    { version: 0, producerId: B, firstOffset: 2, lastOffset: 4, lastStableOffset: 5 },
  ], 'int16 version 0, producer id, first offset, last offset (the marker), last stable offset')
  t.equal(io.readFile(txnIndexPath(0)).length, 68)
  const before = log.abortedTxns(0, log.logEndOffset)
  t.equal(before.length, 2)
  log.close()

  log = open(io)
  t.equal(log.recoveryReport.replayedBatches, 0, 'clean reopen: producer state from the snapshot, nothing replayed')
  t.same(log.abortedTxns(0, log.logEndOffset), before, 'so the aborted transactions come from the file')
  t.equal(log.lastStableOffset, 5)

  // Roll: a transaction opened in segment 0 and aborted in segment 1 is indexed in segment 1.
  log.append(txn(1, A, 2), 5) // 5, in segment 0
  log.roll(6)
  t.same(log.segmentBaseOffsets, [0, 6])
  log.append(txn(1, B, 1), 7) // 6
  t.equal(log.lastStableOffset, 5)
  t.equal(log.appendMarker(A, 0, 0, false, 8), 7, 'A aborted in the new segment')
  t.same(txnIndexFiles(io), [name(0, '.txnindex'), name(6, '.txnindex')])
  t.same(decodeTxnIndex(t, io, txnIndexPath(0)).map((e) => e.lastOffset), [3, 4], 'segment 0 keeps its entries, and only those')
  t.same(decodeTxnIndex(t, io, txnIndexPath(6)), [{ version: 0, producerId: A, firstOffset: 5, lastOffset: 7, lastStableOffset: 6 }], 'the entry goes to the segment holding its marker')
  const entryA2 = { producerId: A, firstOffset: 5, lastOffset: 7, lastStableOffset: 6 }
  t.same(log.abortedTxns(0, 8), [...before, entryA2], 'all three, across segments, in order')
  t.same(log.abortedTxns(5, 8), [entryA2], 'a fetch in segment 0 after its markers sees the one in segment 1')
  t.same(log.abortedTxns(6, 8), [entryA2], 'so does one in segment 1')
  t.same(log.abortedTxns(0, 5), before, 'an upper bound below its first offset excludes it')
  log.close()

  log = open(io)
  t.same(log.abortedTxns(0, 8), [...before, entryA2], 'the same after another clean reopen')
  t.equal(log.lastStableOffset, 6, 'B still open')
})

// ---- 6: crash recovery ----

t.test('after a crash, with .txnindex and snapshots deleted, the whole log is replayed: open and aborted transactions come back', async (t) => {
  const io = new MemoryFileIO()
  const log = open(io)
  log.append(txn(2, A, 0), 1) // 0-1: A stays open
  log.append(txn(2, B, 0), 2) // 2-3
  log.append(makeBatch(), 3) // 4
  t.equal(log.appendMarker(B, 0, 0, false, 4), 5, 'B aborted')
  log.roll(5)
  log.append(txn(1, A, 2), 6) // 6
  log.append(txn(1, B, 2), 7) // 7: B opens another transaction...
  t.equal(log.appendMarker(B, 0, 0, true, 8), 8, '...and commits it')
  const entryB = { producerId: B, firstOffset: 2, lastOffset: 5, lastStableOffset: 0 }
  t.same(log.abortedTxns(0, 9), [entryB])
  t.equal(log.lastStableOffset, 0)
  log.flush()
  io.crash()

  t.same(txnIndexFiles(io), [name(0, '.txnindex')], 'the index survived the crash (flushed)...')
  t.ok(snapshotFiles(io).length > 0, 'as did the roll\'s snapshot')
  for (const n of [...txnIndexFiles(io), ...snapshotFiles(io)]) io.unlink(`${DIR}/${n}`)

  const again = open(io, { clean: false, recoveryPoint: 0 })
  t.equal(again.logEndOffset, 9, 'nothing lost')
  t.equal(again.recoveryReport.replayedBatches, 7, 'no snapshot: all 7 batches were replayed')
  t.equal(again.lastStableOffset, 0, 'LSO at the open transaction\'s first offset')
  t.same(txnStarts(again), { [A]: 0, [B]: -1 })
  t.same(again.abortedTxns(0, 9), [entryB], 'aborted transactions rebuilt by the replay, with the LSO they had')
  t.same(decodeTxnIndex(t, io, txnIndexPath(0)), [{ version: 0, ...entryB }], 'and the .txnindex file written again')
  t.notOk(io.exists(txnIndexPath(5)), 'segment 5 had no abort: no file')
  t.same(again.listOffsets(-1, true), { offset: 0, timestamp: -1 })

  t.equal(again.appendMarker(A, 0, 0, true, 9), 9, 'A commits')
  t.equal(again.lastStableOffset, 10, 'the LSO moves to the log end')
  t.same(again.abortedTxns(0, 10), [entryB], 'a commit adds nothing')
})

t.test('after a crash that loses the unsynced .txnindex, an unclean open rebuilds it from the log', async (t) => {
  const io = new MemoryFileIO()
  const log = open(io)
  log.append(txn(1, B, 0), 1) // 0
  log.append(txn(1, A, 0), 2) // 1: A stays open
  t.equal(log.appendMarker(B, 0, 0, false, 3), 2)
  log.append(txn(1, A, 1), 4) // 3
  log.syncData() // the .log is durable, the indexes are not
  io.crash()
  t.equal(io.readFile(txnIndexPath(0)).length, 0, 'the crash emptied the .txnindex')
  t.same(snapshotFiles(io), [], 'no snapshot was ever taken')

  const again = open(io, { clean: false, recoveryPoint: 0 })
  t.equal(again.logEndOffset, 4)
  t.equal(again.lastStableOffset, 1)
  t.same(again.abortedTxns(0, 4), [{ producerId: B, firstOffset: 0, lastOffset: 2, lastStableOffset: 1 }])
  t.equal(decodeTxnIndex(t, io, txnIndexPath(0)).length, 1)
  t.equal(again.appendMarker(A, 0, 0, true, 5), 4)
  t.equal(again.lastStableOffset, 5)
})

t.test('a marker cut by recovery reopens its transaction and leaves the index', async (t) => {
  const io = new MemoryFileIO()
  const log = open(io)
  log.append(txn(2, A, 0), 1) // 0-1
  log.append(makeBatch(), 2) // 2
  log.flush()
  const flushedEnd = log.recoveryPoint
  t.equal(log.appendMarker(A, 0, 0, false, 3), 3)
  log.flush() // marker and index entry durable...
  const path = `${DIR}/${name(0, '.log')}`
  const file = io.readFile(path)
  file[file.length - 1]! ^= 0xff // ...but the marker's bytes are damaged on disk
  const h = io.open(path, 'rw')
  io.write(h, file, 0)
  io.datasync(h)
  io.close(h)
  io.crash()
  t.equal(decodeTxnIndex(t, io, txnIndexPath(0)).length, 1, 'the entry is on disk before recovery')

  const again = open(io, { clean: false, recoveryPoint: flushedEnd })
  t.equal(again.logEndOffset, 3, 'the damaged marker is cut')
  t.same(again.abortedTxns(0, 3), [], 'its index entry is dropped')
  t.equal(io.readFile(txnIndexPath(0)).length, 0, 'from the file too')
  t.equal(again.lastStableOffset, 0, 'the transaction is open again')
  t.same(txnStarts(again), { [A]: 0 })
})

// Kafka recovers every segment at or past the recovery point with LogSegment.recover,
// which resets the segment's transaction index and rebuilds it from the batches (with a
// producer state loaded from a snapshot at or below the segment's base). Here the
// background flush fsyncs the files handOffFlush() lists in parallel, so a crash can keep
// the roll's snapshot while the .txnindex written before it is lost.
t.test('an unsynced .txnindex lost in a crash is rebuilt even when a newer snapshot survived', async (t) => {
  const io = new MemoryFileIO()
  const log = open(io)
  log.append(txn(1, A, 0), 1) // 0
  log.append(txn(1, B, 0), 2) // 1
  t.equal(log.appendMarker(B, 0, 0, false, 3), 2)
  log.roll(4) // snapshot at 3 (A open, B done)
  log.append(txn(1, A, 1), 5) // 3
  const { files, recoveryPoint } = log.handOffFlush()
  t.ok(files.includes(txnIndexPath(0)), 'the .txnindex is among the files to sync')
  t.ok(files.includes(`${DIR}/${name(3, '.snapshot')}`), 'so is the snapshot')
  // The flusher syncs the .log files and the snapshot, then the process dies before the rest.
  for (const f of files) if (f.endsWith('.log') || f.endsWith('.snapshot')) syncPath(io, f)
  io.crash()
  t.equal(io.readFile(txnIndexPath(0)).length, 0, 'the .txnindex lost its entry')
  t.same(snapshotFiles(io), [name(3, '.snapshot')])

  // The recovery point was never checkpointed past 0 (the hand-off did not complete).
  t.equal(recoveryPoint, 4)
  const again = open(io, { clean: false, recoveryPoint: 0 })
  t.equal(again.logEndOffset, 4)
  t.equal(again.lastStableOffset, 0)
  t.same(again.abortedTxns(0, 4), [{ producerId: B, firstOffset: 1, lastOffset: 2, lastStableOffset: 0 }], 'B\'s abort must still be reported to read_committed fetches')
})

// ---- 7: the producer snapshot carries the open transaction ----

t.test('a roll\'s snapshot carries currentTxnFirstOffset: the LSO survives a clean reopen that loads it', async (t) => {
  const io = new MemoryFileIO()
  const log = open(io)
  log.append(makeBatch({ records: 2 }), 1) // 0-1
  log.append(txn(2, A, 0), 2) // 2-3: open
  log.roll(3)
  t.same(snapshotFiles(io), [name(4, '.snapshot')], 'the roll wrote a snapshot at the new segment base')
  const snap = io.readFile(`${DIR}/${name(4, '.snapshot')}`)
  t.equal(snap.readInt32BE(6), 1, 'one producer')
  t.equal(Number(snap.readBigInt64BE(10)), A, 'producer A')
  t.equal(Number(snap.readBigInt64BE(10 + 38)), 2, 'its open transaction\'s first offset, in the last field of the entry')
  log.append(makeBatch(), 4) // 4, in the new segment
  t.equal(log.lastStableOffset, 2)
  log.close()
  // Keep only the roll's snapshot, so the reopen loads it and replays just the batch after it.
  for (const n of snapshotFiles(io)) if (n !== name(4, '.snapshot')) io.unlink(`${DIR}/${n}`)

  const again = open(io)
  t.equal(again.recoveryReport.replayedBatches, 1, 'only the batch after the snapshot was replayed (A\'s batch was not)')
  t.equal(again.lastStableOffset, 2, 'LSO still at the transaction\'s first offset')
  t.same(txnStarts(again), { [A]: 2 })
  t.same(again.listOffsets(-1, true), { offset: 2, timestamp: -1 })
  t.equal(again.appendMarker(A, 0, 0, false, 5), 5)
  t.equal(again.lastStableOffset, 6)
  t.same(again.abortedTxns(0, 6), [{ producerId: A, firstOffset: 2, lastOffset: 5, lastStableOffset: 6 }], 'the abort knows where the transaction began')
  t.same(decodeTxnIndex(t, io, txnIndexPath(4)).map((e) => e.firstOffset), [2])
})

// ---- 8: deleting segments deletes their .txnindex ----

t.test('deleteRecordsBefore removing a segment removes its .txnindex', async (t) => {
  const io = new MemoryFileIO()
  const log = open(io)
  log.append(txn(1, A, 0), 1) // 0
  log.appendMarker(A, 0, 0, false, 2) // 1
  log.roll(3)
  log.append(txn(1, B, 0), 4) // 2
  log.appendMarker(B, 0, 0, false, 5) // 3
  t.same(txnIndexFiles(io), [name(0, '.txnindex'), name(2, '.txnindex')])
  t.equal(log.abortedTxns(0, 4).length, 2)
  t.equal(log.deleteRecordsBefore(2), 2)
  t.same(log.segmentBaseOffsets, [2])
  t.same(txnIndexFiles(io), [name(2, '.txnindex')], 'the deleted segment\'s .txnindex is gone, the other stays')
  t.same(log.abortedTxns(2, 4), [{ producerId: B, firstOffset: 2, lastOffset: 3, lastStableOffset: 4 }])
  log.close()
  const again = open(io)
  t.same(again.abortedTxns(2, 4), [{ producerId: B, firstOffset: 2, lastOffset: 3, lastStableOffset: 4 }], 'and after a reopen')
})

t.test('retention removing a segment removes its .txnindex', async (t) => {
  const io = new MemoryFileIO()
  const log = open(io, { cfg: { retentionMs: 60_000 } })
  log.append(txn(1, A, 0, 0, 1_000), 1_000) // 0
  log.appendMarker(A, 0, 0, false, 1_000) // 1
  log.roll(2_000)
  log.append(txn(1, B, 0, 0, 500_000), 500_000) // 2
  log.appendMarker(B, 0, 0, false, 500_000) // 3
  t.equal(log.applyRetention(100_000), 1, 'the first segment is older than retention.ms')
  t.same(log.segmentBaseOffsets, [2])
  t.equal(log.logStartOffset, 2)
  t.same(txnIndexFiles(io), [name(2, '.txnindex')])
  t.notOk(io.exists(`${DIR}/${name(0, '.log')}`))
  t.same(log.abortedTxns(2, 4).map((e) => e.producerId), [B])
})

t.test('an orphan .txnindex (its .log gone) is removed on open', async (t) => {
  const io = new MemoryFileIO()
  const log = open(io)
  log.append(txn(1, A, 0), 1)
  log.appendMarker(A, 0, 0, false, 2)
  log.close()
  io.writeFileAtomic(`${DIR}/${name(99, '.txnindex')}`, io.readFile(txnIndexPath(0)))
  const again = open(io)
  t.notOk(io.exists(`${DIR}/${name(99, '.txnindex')}`))
  t.equal(again.abortedTxns(0, 2).length, 1)
})

// Kafka's UnifiedLog.maybeIncrementFirstUnstableOffset keeps the first unstable offset at
// or above the log start (max(firstOffset, logStartOffset)), so the LSO never falls below
// it; ListOffsets LATEST under read_committed never answers an offset that is out of range.
t.test('after the log start moves past an open transaction\'s first offset the LSO is not below the log start', async (t) => {
  const io = new MemoryFileIO()
  const log = open(io)
  log.append(txn(2, A, 0), 1) // 0-1: open
  log.append(makeBatch(), 2) // 2
  log.roll(3)
  log.append(makeBatch(), 4) // 3
  t.equal(log.deleteRecordsBefore(3), 3)
  t.equal(log.logStartOffset, 3)
  t.equal(log.lastStableOffset, 3, 'Kafka: max(first offset 0, log start 3)')
  t.same(log.listOffsets(-1, true), { offset: 3, timestamp: -1 }, 'ListOffsets LATEST read_committed answers an offset in range')
  t.equal(log.appendMarker(A, 0, 0, true, 5), 4)
  t.equal(log.lastStableOffset, 5, 'once committed, the log end')
})
