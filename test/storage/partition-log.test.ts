import t, { type Test } from 'tap'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { decodeAllRecords } from '../../protocol/records/record-batch-builder.ts'
import { batchBaseOffset, batchLastOffset, batchSize, isCrcValid, readBatchHeader, TimestampType } from '../../protocol/records/record-batch.ts'
import { MemoryFileIO } from '../../storage/file-io.ts'
import type { LogConfig } from '../../storage/log-config.ts'
import { PartitionLog, StorageError } from '../../storage/partition-log.ts'
import { buildRecordBatch } from '../../protocol/records/record-batch-builder.ts'
import { config, makeBatch } from './helpers.ts'

const DIR = '/data/topic-0'

function openLog(overrides: Partial<LogConfig> = {}, io = new MemoryFileIO()): { io: MemoryFileIO; log: PartitionLog } {
  io.mkdirp('/data')
  return { io, log: PartitionLog.open(io, DIR, config(overrides), { clean: true, recoveryPoint: 0, now: 0 }) }
}

/** Offsets [base, last] of every batch in a read result. */
function batchRanges(records: Buffer): [number, number][] {
  const out: [number, number][] = []
  for (let pos = 0; pos < records.length; pos += batchSize(records, pos)) out.push([batchBaseOffset(records, pos), batchLastOffset(records, pos)])
  return out
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

t.test('append assigns offsets in place and stores the batch as is', async (t) => {
  const { io, log } = openLog()
  t.equal(log.logEndOffset, 0)
  t.same(io.readdir(DIR), ['00000000000000000000.index', '00000000000000000000.log', '00000000000000000000.timeindex'])
  const a = makeBatch({ records: 3 })
  const r1 = log.append(a, 10)
  t.same(r1, { baseOffset: 0, lastOffset: 2, logAppendTime: -1, logStartOffset: 0, duplicate: false })
  t.equal(readBatchHeader(a).partitionLeaderEpoch, 0, 'leader epoch set to 0')
  const r2 = log.append(makeBatch({ records: 2 }), 11)
  t.same(r2, { baseOffset: 3, lastOffset: 4, logAppendTime: -1, logStartOffset: 0, duplicate: false })
  t.equal(log.logEndOffset, 5)
  t.equal(log.highWatermark, 5)
  const onDisk = io.readFile(`${DIR}/00000000000000000000.log`)
  t.same(batchRanges(onDisk), [[0, 2], [3, 4]])
  t.ok(isCrcValid(onDisk, 0) && isCrcValid(onDisk, batchSize(onDisk, 0)), 'CRCs untouched by the offset patch')
  t.same(decodeAllRecords(onDisk).map((r) => r.offset), [0, 1, 2, 3, 4])
})

t.test('LogAppendTime topics get the broker time and a valid CRC', async (t) => {
  const { log } = openLog({ messageTimestampType: 'LogAppendTime' })
  const r = log.append(makeBatch({ records: 2, timestamp: 5 }), 777_000)
  t.equal(r.logAppendTime, 777_000)
  const { records } = log.read(0, 1 << 20, { minOneBatch: true })
  const h = readBatchHeader(records)
  t.equal(h.timestampType, TimestampType.LOG_APPEND_TIME)
  t.equal(h.maxTimestamp, 777_000)
  t.ok(isCrcValid(records))
  t.same(log.listOffsets(-3), { offset: 0, timestamp: 777_000 })
  t.same(log.listOffsets(700_000), { offset: 0, timestamp: 777_000 })
})

t.test('segments roll by size', async (t) => {
  const size = makeBatch({ records: 2, valueBytes: 100 }).length
  const { io, log } = openLog({ segmentBytes: size * 3 })
  for (let i = 0; i < 10; i++) log.append(makeBatch({ records: 2, valueBytes: 100 }), 0)
  t.equal(log.segmentCount, 4)
  t.same(log.segmentBaseOffsets, [0, 6, 12, 18])
  t.ok(io.exists(`${DIR}/00000000000000000006.log`))
  t.ok(io.exists(`${DIR}/00000000000000000018.timeindex`))
  for (const base of [0, 6, 12]) t.equal(io.readFile(`${DIR}/${String(base).padStart(20, '0')}.log`).length, size * 3)
  const big = makeBatch({ records: 1, valueBytes: size * 5 })
  log.append(big, 0)
  t.same(log.segmentBaseOffsets, [0, 6, 12, 18, 20], 'an oversized batch gets a segment of its own')
  log.append(makeBatch(), 0)
  t.same(log.segmentBaseOffsets, [0, 6, 12, 18, 20, 21])
})

t.test('segments roll by age (segment.ms), counted from the first append', async (t) => {
  const { log } = openLog({ segmentMs: 1000 })
  log.append(makeBatch(), 5000)
  log.append(makeBatch(), 5900)
  log.append(makeBatch(), 6000)
  t.equal(log.segmentCount, 1, 'exactly segment.ms old does not roll')
  log.append(makeBatch(), 6001)
  t.same(log.segmentBaseOffsets, [0, 3])
  log.append(makeBatch(), 6500)
  t.equal(log.segmentCount, 2)
})

t.test('segments roll when the index would exceed segment.index.bytes', async (t) => {
  const { log } = openLog({ indexIntervalBytes: 0, segmentIndexBytes: 24 })
  for (let i = 0; i < 6; i++) log.append(makeBatch(), 0)
  t.ok(log.segmentCount >= 2)
})

t.test('reads return whole batches from the one holding the fetch offset', async (t) => {
  const size = makeBatch({ records: 5, valueBytes: 50 }).length
  const { log } = openLog({ segmentBytes: size * 4, indexIntervalBytes: size })
  for (let i = 0; i < 10; i++) log.append(makeBatch({ records: 5, valueBytes: 50 }), 0)
  t.equal(log.logEndOffset, 50)

  for (let offset = 0; offset < 50; offset++) {
    const { records } = log.read(offset, size * 2, { minOneBatch: true })
    const ranges = batchRanges(records)
    t.equal(ranges.length, Math.min(2, 10 - Math.floor(offset / 5)), 'as many whole batches as fit')
    t.ok(ranges[0]![0] <= offset && offset <= ranges[0]![1], `offset ${offset} is in the first batch returned`)
  }
  const mid = log.read(13, 1 << 20, { minOneBatch: false })
  t.same(batchRanges(mid.records)[0], [10, 14], 'a fetch from the middle of a batch gets that batch')
  t.equal(batchRanges(mid.records).length, 8, 'continues across segments to the log end')
  t.same(decodeAllRecords(mid.records).map((r) => r.offset), Array.from({ length: 40 }, (_, i) => i + 10))
  t.equal(mid.highWatermark, 50)
  t.equal(mid.logStartOffset, 0)

  const cut = log.read(0, size * 3 - 1, { minOneBatch: false })
  t.same(batchRanges(cut.records), [[0, 4], [5, 9]], 'never a partial batch')
  const across = log.read(15, size * 3, { minOneBatch: false })
  t.same(batchRanges(across.records), [[15, 19], [20, 24], [25, 29]], 'spans a segment boundary')
  t.same(log.read(0, 10, { minOneBatch: true }).records.length, size, 'min one batch: a too-small maxBytes still gets the first batch')
  t.same(log.read(0, 0, { minOneBatch: true }).records.length, size)
  t.equal(log.read(0, 10, { minOneBatch: false }).records.length, 0, 'without min one batch: nothing')
  t.equal(log.read(50, 1000, { minOneBatch: true }).records.length, 0, 'fetch at the log end: empty')
  t.same(batchRanges(log.read(0, 1 << 20, { minOneBatch: true, maxOffset: 12 }).records), [[0, 4], [5, 9], [10, 14]], 'maxOffset stops before batches starting at or past it')
  t.equal(log.read(12, 1 << 20, { minOneBatch: true, maxOffset: 10 }).records.length, 0)

  expectCode(t, () => log.read(51, 100, { minOneBatch: true }), ErrorCode.OFFSET_OUT_OF_RANGE, 'past the log end')
  expectCode(t, () => log.read(-1, 100, { minOneBatch: true }), ErrorCode.OFFSET_OUT_OF_RANGE, 'negative')
  log.deleteRecordsBefore(22)
  expectCode(t, () => log.read(21, 100, { minOneBatch: true }), ErrorCode.OFFSET_OUT_OF_RANGE, 'before the log start')
  t.same(batchRanges(log.read(22, size, { minOneBatch: true }).records), [[20, 24]], 'at the log start inside a batch')
})

t.test('a large first batch with minOneBatch across a tiny maxBytes', async (t) => {
  const { log } = openLog()
  log.append(makeBatch({ records: 1, valueBytes: 100_000 }), 0)
  log.append(makeBatch(), 0)
  const { records } = log.read(0, 5, { minOneBatch: true })
  t.same(batchRanges(records), [[0, 0]])
  t.ok(isCrcValid(records))
})

t.test('listOffsets: earliest, latest, max timestamp, by timestamp', async (t) => {
  const size = makeBatch({ records: 3, timestamp: 0 }).length
  const { log } = openLog({ segmentBytes: size * 2, indexIntervalBytes: 1 })
  t.equal(log.listOffsets(-3), null, 'empty log has no max timestamp')
  t.equal(log.listOffsets(0), null)
  // Batches: [0-2] ts 100..102, [3-5] ts 500..502, [6-8] ts 300..302, [9-11] ts 900 then 1000 then 950, [12-14] ts 1000..1002 (gzip)
  const ts = [100, 500, 300]
  for (const base of ts) log.append(makeBatch({ records: 3, timestamp: base }), 0)
  log.append(buildRecordBatch({ records: [900, 1000, 950].map((x) => ({ value: Buffer.from('v'), timestamp: x })) }), 0)
  log.append(makeBatch({ records: 3, timestamp: 1000, compression: 1 }), 0)
  t.ok(log.segmentCount >= 3)

  t.same(log.listOffsets(-2), { offset: 0, timestamp: -1 })
  t.same(log.listOffsets(-1), { offset: 15, timestamp: -1 })
  t.same(log.listOffsets(-3), { offset: 14, timestamp: 1002 }, 'max timestamp: exact record')
  t.same(log.listOffsets(0), { offset: 0, timestamp: 100 })
  t.same(log.listOffsets(101), { offset: 1, timestamp: 101 }, 'exact record inside a batch')
  t.same(log.listOffsets(103), { offset: 3, timestamp: 500 })
  t.same(log.listOffsets(301), { offset: 3, timestamp: 500 }, 'first offset with timestamp >= t, not the closest timestamp')
  t.same(log.listOffsets(501), { offset: 4, timestamp: 501 })
  t.same(log.listOffsets(503), { offset: 9, timestamp: 900 })
  t.same(log.listOffsets(901), { offset: 10, timestamp: 1000 })
  t.same(log.listOffsets(1001), { offset: 13, timestamp: 1001 }, 'inside a gzip batch')
  t.equal(log.listOffsets(1003), null, 'later than everything')
  t.equal(log.listOffsets(-7), null)

  log.deleteRecordsBefore(4)
  t.same(log.listOffsets(-2), { offset: 4, timestamp: -1 })
  t.same(log.listOffsets(0), { offset: 4, timestamp: 501 }, 'never below the log start')
})

t.test('max timestamp: the earliest record holding it', async (t) => {
  const { log } = openLog()
  log.append(buildRecordBatch({ records: [5, 9, 9, 1].map((x) => ({ value: null, timestamp: x })) }), 0)
  log.append(buildRecordBatch({ records: [9, 9].map((x) => ({ value: null, timestamp: x })) }), 0)
  t.same(log.listOffsets(-3), { offset: 1, timestamp: 9 })
})

t.test('retention by bytes never deletes the active segment', async (t) => {
  const size = makeBatch({ valueBytes: 100 }).length
  const { io, log } = openLog({ segmentBytes: size * 2, retentionBytes: size * 3, retentionMs: -1 })
  for (let i = 0; i < 10; i++) log.append(makeBatch({ valueBytes: 100 }), 0)
  t.equal(log.segmentCount, 5)
  t.equal(log.applyRetention(0), 3, 'deletes the oldest segments until within retention.bytes')
  t.same(log.segmentBaseOffsets, [6, 8])
  t.equal(log.logStartOffset, 6)
  t.notOk(io.exists(`${DIR}/00000000000000000000.log`))
  t.notOk(io.exists(`${DIR}/00000000000000000000.index`))
  expectCode(t, () => log.read(5, 100, { minOneBatch: true }), ErrorCode.OFFSET_OUT_OF_RANGE, 'deleted data is out of range')
  log.config = config({ segmentBytes: size * 2, retentionBytes: 0, retentionMs: -1 })
  log.applyRetention(0)
  t.same(log.segmentBaseOffsets, [8], 'the active segment stays even over the limit')
  t.equal(log.logEndOffset, 10)
})

t.test('retention by time uses each segment\'s largest timestamp', async (t) => {
  const size = makeBatch().length
  const { log } = openLog({ segmentBytes: size * 2, retentionMs: 1000 })
  const stamps = [100, 200, 300, 5000, 5100, 5200, 9000]
  for (const ts of stamps) log.append(makeBatch({ timestamp: ts }), 0)
  t.same(log.segmentBaseOffsets, [0, 2, 4, 6])
  t.equal(log.applyRetention(1200), 0, 'segment [0,1] has max timestamp 200: 1000 ms old, not more')
  t.equal(log.applyRetention(1201), 1)
  t.same(log.segmentBaseOffsets, [2, 4, 6], 'stops at the first segment young enough')
  t.equal(log.applyRetention(100_000), 2)
  t.same(log.segmentBaseOffsets, [6], 'the active segment is never deleted')
  t.equal(log.logStartOffset, 6)
})

t.test('retention does nothing under cleanup.policy=compact except past the log start', async (t) => {
  const size = makeBatch().length
  const { log } = openLog({ segmentBytes: size, retentionMs: 0, retentionBytes: 0, cleanupPolicy: 'compact' })
  for (let i = 0; i < 4; i++) log.append(makeBatch({ timestamp: 1 }), 0)
  t.equal(log.applyRetention(1e12), 0)
  log.deleteRecordsBefore(2)
  t.same(log.segmentBaseOffsets, [2, 3], 'segments wholly below the log start go at once')
})

t.test('deleteRecordsBefore', async (t) => {
  const { log } = openLog()
  for (let i = 0; i < 3; i++) log.append(makeBatch({ records: 2 }), 0)
  t.equal(log.deleteRecordsBefore(3), 3)
  t.equal(log.deleteRecordsBefore(1), 3, 'never moves back')
  t.equal(log.deleteRecordsBefore(-1), 6, '-1 means the high watermark')
  expectCode(t, () => log.deleteRecordsBefore(7), ErrorCode.OFFSET_OUT_OF_RANGE, 'past the high watermark')
  t.equal(log.read(6, 100, { minOneBatch: true }).records.length, 0)
  const r = log.append(makeBatch(), 0)
  t.same(r, { baseOffset: 6, lastOffset: 6, logAppendTime: -1, logStartOffset: 6, duplicate: false })
})

t.test('flush advances the recovery point; reopening a clean log trusts it', async (t) => {
  const size = makeBatch({ records: 2 }).length
  const { io, log } = openLog({ segmentBytes: size * 3, indexIntervalBytes: 1 })
  for (let i = 0; i < 7; i++) log.append(makeBatch({ records: 2, timestamp: 100 * i }), 0)
  t.equal(log.recoveryPoint, 0)
  log.flush()
  t.equal(log.recoveryPoint, 14)
  log.close()
  t.throws(() => log.append(makeBatch(), 0), { code: ErrorCode.KAFKA_STORAGE_ERROR })

  const again = PartitionLog.open(io, DIR, config({ segmentBytes: size * 3, indexIntervalBytes: 1 }), { clean: true, recoveryPoint: 14, now: 0 })
  t.same(again.recoveryReport, { recoveredSegments: 0, truncatedBytes: 0, deletedSegments: 0, replayedBatches: 0 }, 'nothing to recover or replay after a clean close')
  t.equal(again.logEndOffset, 14)
  t.same(again.segmentBaseOffsets, [0, 6, 12])
  t.same(again.listOffsets(-3), { offset: 13, timestamp: 601 })
  t.same(again.listOffsets(250), { offset: 6, timestamp: 300 })
  for (let offset = 0; offset < 14; offset++) t.equal(batchRanges(again.read(offset, size, { minOneBatch: true }).records)[0]![0], offset - (offset % 2))
  t.same(again.append(makeBatch(), 0).baseOffset, 14)
})

t.test('opening with a checkpointed log start offset', async (t) => {
  const { io, log } = openLog()
  for (let i = 0; i < 3; i++) log.append(makeBatch(), 0)
  log.close()
  const a = PartitionLog.open(io, DIR, config(), { clean: true, recoveryPoint: 3, logStartOffset: 2, now: 0 })
  t.equal(a.logStartOffset, 2)
  a.close()
  const b = PartitionLog.open(io, DIR, config(), { clean: true, recoveryPoint: 3, logStartOffset: 10, now: 0 })
  t.equal(b.logStartOffset, 10, 'a log start past the end starts the log afresh there')
  t.equal(b.logEndOffset, 10)
  t.same(b.segmentBaseOffsets, [10])
  t.equal(b.append(makeBatch(), 0).baseOffset, 10)
})

t.test('a failed write takes the log offline with KAFKA_STORAGE_ERROR', async (t) => {
  const { io, log } = openLog()
  log.append(makeBatch(), 0)
  io.failNext('write', undefined, { path: '.log' })
  t.throws(() => log.append(makeBatch(), 0), { code: ErrorCode.KAFKA_STORAGE_ERROR })
  t.throws(() => log.append(makeBatch(), 0), { code: ErrorCode.KAFKA_STORAGE_ERROR }, 'stays offline')
  t.throws(() => log.flush(), { code: ErrorCode.KAFKA_STORAGE_ERROR })
  t.equal(log.read(0, 1000, { minOneBatch: true }).records.length, makeBatch().length, 'what was written stays readable')
})

t.test('a failed fsync takes the log offline', async (t) => {
  const { io, log } = openLog()
  log.append(makeBatch(), 0)
  io.failNext('datasync')
  t.throws(() => log.flush(), { code: ErrorCode.KAFKA_STORAGE_ERROR })
  t.equal(log.recoveryPoint, 0, 'the recovery point does not move')
  t.throws(() => log.append(makeBatch(), 0), { code: ErrorCode.KAFKA_STORAGE_ERROR })
})

t.test('delete removes the directory', async (t) => {
  const { io, log } = openLog()
  log.append(makeBatch(), 0)
  log.delete()
  t.notOk(io.exists(DIR))
})
