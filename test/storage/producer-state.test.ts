// Producer state in the partition log: Kafka's checks on append, the snapshot file
// (layout, CRC, fallback when it is unusable), and the rebuild from the log after a
// crash, so a retried batch stays a duplicate across restarts.

import t from 'tap'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { buildRecordBatch } from '../../protocol/records/record-batch-builder.ts'
import { MemoryFileIO } from '../../storage/file-io.ts'
import { PartitionLog, StorageError } from '../../storage/partition-log.ts'
import { ProducerStateManager, decrementSequence, incrementSequence } from '../../storage/producer-state.ts'
import { config } from './helpers.ts'

const DIR = '/data/p-0'

function idem(n: number, producerId: number, baseSequence: number, producerEpoch = 0, timestamp = 1_000): Buffer {
  return buildRecordBatch({ records: Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`v${baseSequence + i}`), timestamp: timestamp + i })), producerId, producerEpoch, baseSequence })
}

function open(io: MemoryFileIO, clean: boolean, segmentBytes = 1 << 20, recoveryPoint = 0): PartitionLog {
  io.mkdirp('/data')
  return PartitionLog.open(io, DIR, config({ segmentBytes }), { clean, recoveryPoint, now: 0 })
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

const snapshots = (io: MemoryFileIO): string[] => io.readdir(DIR).filter((n) => n.endsWith('.snapshot')).sort()

t.test('sequence arithmetic wraps at 2^31-1 both ways', async (t) => {
  t.equal(incrementSequence(0x7fffffff, 1), 0)
  t.equal(incrementSequence(0x7ffffffe, 3), 1)
  t.equal(decrementSequence(1, 3), 0x7ffffffe)
  t.equal(decrementSequence(5, 2), 3)
})

t.test('the snapshot is Kafka\'s layout: version 1, CRC-32C over the rest, 46 bytes per producer', async (t) => {
  const io = new MemoryFileIO()
  const log = open(io, true)
  log.append(idem(3, 7, 0, 2, 5_000), 0)
  log.close()
  t.same(snapshots(io), ['00000000000000000003.snapshot'], 'written at the log end on a clean close')
  const file = io.readFile(`${DIR}/00000000000000000003.snapshot`)
  t.equal(file.length, 2 + 4 + 4 + 46)
  t.equal(file.readInt16BE(0), 1, 'version')
  t.equal(file.readInt32BE(6), 1, 'one producer')
  t.equal(Number(file.readBigInt64BE(10)), 7, 'producer id')
  t.equal(file.readInt16BE(18), 2, 'epoch')
  t.equal(file.readInt32BE(20), 2, 'last sequence')
  t.equal(Number(file.readBigInt64BE(24)), 2, 'last offset')
  t.equal(file.readInt32BE(32), 2, 'offset delta')
  t.equal(Number(file.readBigInt64BE(36)), 5_002, 'timestamp: the batch max')
  t.equal(file.readInt32BE(44), -1, 'coordinator epoch')
  t.equal(Number(file.readBigInt64BE(48)), -1, 'no open transaction')

  const m = new ProducerStateManager('p-0')
  m.loadSnapshot(file, 'x')
  t.same(m.summaries(), [{ producerId: 7, producerEpoch: 2, lastSequence: 2, lastTimestamp: 5_002, coordinatorEpoch: -1, currentTxnStartOffset: -1 }])
  const bad = Buffer.from(file)
  bad[30]! ^= 1
  t.throws(() => m.loadSnapshot(bad, 'bad'), /CRC/, 'a flipped bit fails the CRC')
})

t.test('a clean reopen loads the snapshot and replays nothing; the last batch is still a duplicate', async (t) => {
  const io = new MemoryFileIO()
  const log = open(io, true)
  log.append(idem(2, 1, 0), 0)
  log.append(idem(2, 1, 2), 0)
  log.close()
  const again = open(io, true)
  t.equal(again.recoveryReport.replayedBatches, 0)
  const dup = again.append(idem(2, 1, 2), 0)
  t.same([dup.duplicate, dup.baseOffset], [true, 2])
  t.equal(again.logEndOffset, 4, 'nothing written for the duplicate')
  t.equal(codeOf(() => again.append(idem(1, 1, 5), 0)), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
})

t.test('after a crash the state is rebuilt from the log: every retained batch is a duplicate again', async (t) => {
  const io = new MemoryFileIO()
  const log = open(io, true)
  for (let i = 0; i < 6; i++) log.append(idem(1, 9, i), 0)
  log.syncData()
  io.crash()
  const again = open(io, false)
  t.equal(again.recoveryReport.replayedBatches, 6, 'no snapshot: the whole log was replayed')
  for (let i = 1; i < 6; i++) t.same(again.append(idem(1, 9, i), 0).baseOffset, i, `batch ${i} recognised`)
  t.equal(codeOf(() => again.append(idem(1, 9, 0), 0)), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'the sixth newest is beyond the window')
  t.equal(again.logEndOffset, 6)
})

t.test('snapshots at rolls bound the replay once flushed; unsynced ones lost to a power cut cost a full replay', async (t) => {
  const one = idem(1, 3, 0).length
  const fill = (io: MemoryFileIO): PartitionLog => {
    const log = open(io, true, one * 2)
    for (let i = 0; i < 7; i++) log.append(idem(1, 3, i), 0)
    return log
  }
  const flushed = new MemoryFileIO()
  fill(flushed).flush()
  t.same(snapshots(flushed), ['00000000000000000002.snapshot', '00000000000000000004.snapshot', '00000000000000000006.snapshot'], 'one per roll')
  flushed.crash()
  // The checkpoint of a flushed log says 6: only the last segment is recovered.
  const a = open(flushed, false, one * 2, 6)
  t.equal(a.recoveryReport.replayedBatches, 1, 'flushed: only the batch after the newest snapshot is replayed')
  t.same(a.append(idem(1, 3, 6), 0).baseOffset, 6, 'the last batch is a duplicate')

  const synced = new MemoryFileIO()
  fill(synced).syncData()
  synced.crash()
  const b = open(synced, false, one * 2)
  t.equal(b.recoveryReport.replayedBatches, 7, 'data synced but snapshots not: the whole log is replayed')
  t.same(b.append(idem(1, 3, 6), 0).baseOffset, 6, 'with the same state')
})

t.test('a corrupt snapshot falls back to an older one; one above the log end is deleted', async (t) => {
  const io = new MemoryFileIO()
  const one = idem(1, 3, 0).length
  const log = open(io, true, one * 2)
  for (let i = 0; i < 7; i++) log.append(idem(1, 3, i), 0)
  log.close()
  const newest = snapshots(io).at(-1)!
  const file = io.readFile(`${DIR}/${newest}`)
  file[file.length - 1]! ^= 0xff
  io.writeFileAtomic(`${DIR}/${newest}`, file)
  let again = open(io, true, one * 2)
  t.notOk(snapshots(io).includes(newest), 'the corrupt snapshot is deleted')
  t.ok(again.recoveryReport.replayedBatches > 0, 'and the log after an older one replayed')
  t.same(again.append(idem(1, 3, 6), 0).baseOffset, 6, 'the state is the same')
  again.close()

  io.writeFileAtomic(`${DIR}/00000000000000000099.snapshot`, io.readFile(`${DIR}/${snapshots(io).at(-1)!}`))
  again = open(io, true, one * 2)
  t.notOk(snapshots(io).includes('00000000000000000099.snapshot'), 'a snapshot beyond the log end describes lost data and goes')
  t.equal(codeOf(() => again.append(idem(1, 3, 7), 0)), 0)
})

t.test('deleting the records of a producer keeps its state until it expires, as in Kafka', async (t) => {
  const io = new MemoryFileIO()
  const log = open(io, true)
  log.append(idem(2, 4, 0), 0)
  log.append(idem(1, 5, 0), 0)
  log.deleteRecordsBefore(2)
  t.same(log.producers.summaries().map((s) => s.producerId).sort(), [4, 5], 'producer 4 wrote only below the new log start and is still known')
  t.equal(codeOf(() => log.append(idem(1, 4, 17), 0)), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'so it must continue in sequence')
  t.equal(codeOf(() => log.append(idem(1, 4, 2), 0)), 0)
})

t.test('producers already expired are not loaded back', async (t) => {
  const io = new MemoryFileIO()
  const log = open(io, true)
  log.append(idem(1, 1, 0, 0, 10_000), 0)
  log.append(idem(1, 2, 0, 0, 90_000), 0)
  log.close()
  io.mkdirp('/data')
  const again = PartitionLog.open(io, DIR, config(), { clean: true, recoveryPoint: 0, now: 100_000, producerIdExpirationMs: 50_000 })
  t.same(again.producers.summaries().map((s) => s.producerId), [2])
})

t.test('expiry uses the last batch timestamp against producer.id.expiration.ms', async (t) => {
  const io = new MemoryFileIO()
  const log = open(io, true)
  log.append(idem(1, 1, 0, 0, 10_000), 0)
  log.append(idem(1, 2, 0, 0, 50_000), 0)
  t.equal(log.expireProducers(60_000, 20_000), 1, 'idle for 50 s: expired; idle for 10 s: kept')
  t.same(log.producers.summaries().map((s) => s.producerId), [2])
})
