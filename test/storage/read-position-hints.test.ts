// A read remembers where the batch after it starts, so the consumer's next fetch skips
// the index lookup and header scan. The remembered place must never outlive what it
// points at: segment rolls, cleaned (rewritten) segments and retention all change the
// segments, and every read must still return what a log without remembered places returns.

import t from 'tap'
import { MemoryFileIO } from '../../storage/file-io.ts'
import type { LogConfig } from '../../storage/log-config.ts'
import { PartitionLog } from '../../storage/partition-log.ts'
import { LogCleaner } from '../../storage/log-cleaner.ts'
import { buildRecordBatch } from '../../protocol/records/record-batch-builder.ts'
import { batchLastOffset, batchSize } from '../../protocol/records/record-batch.ts'
import { config } from './helpers.ts'

const DIR = '/data/topic-0'

function openLog(io: MemoryFileIO, overrides: Partial<LogConfig> = {}): PartitionLog {
  io.mkdirp('/data')
  return PartitionLog.open(io, DIR, config({ segmentBytes: 16 * 1024, ...overrides }), { clean: true, recoveryPoint: 0, now: 0 })
}

// 10 records of ~100 bytes, keys cycling over `keys`.
function keyedBatch(n: number, keys: number): Buffer {
  return buildRecordBatch({ records: Array.from({ length: 10 }, (_, i) => ({ key: Buffer.from(`k${(n * 10 + i) % keys}`), value: Buffer.alloc(100, n % 251), timestamp: n * 10 + i })) })
}

/** Follows a consumer from `from`: each next read starts after the last batch returned. */
function chain(log: PartitionLog, from: number, maxBytes: number): Buffer[] {
  const out: Buffer[] = []
  let offset = from
  while (offset < log.logEndOffset) {
    const { records } = log.read(offset, maxBytes, { minOneBatch: true })
    if (records.length === 0) break
    out.push(Buffer.from(records))
    let pos = 0
    while (pos + batchSize(records, pos) < records.length) pos += batchSize(records, pos)
    offset = batchLastOffset(records, pos) + 1
  }
  return out
}

/** The same reads on a log reopened from the same files: no remembered places. */
function fresh(io: MemoryFileIO, log: PartitionLog, overrides: Partial<LogConfig>, offsets: number[], maxBytes: number): Buffer[] {
  log.close()
  const reopened = openLog(io, overrides)
  const out = offsets.map((o) => Buffer.from(reopened.read(o, maxBytes, { minOneBatch: true }).records))
  reopened.close()
  return out
}

t.test('a consumer reading across segment rolls gets every batch once, in order', async (t) => {
  const io = new MemoryFileIO()
  const log = openLog(io)
  const sizes: number[] = []
  for (let n = 0; n < 60; n++) sizes.push(log.append(keyedBatch(n, 1000), n).lastOffset)
  t.ok(log.segmentCount > 3, `several segments (${log.segmentCount})`)
  const one = batchSize(keyedBatch(0, 1000), 0)
  const got = chain(log, 0, Math.floor(2.5 * one))
  const all = Buffer.concat(got)
  t.equal(all.length, log.size, 'every byte of the log, once')
  const starts = [0]
  for (const g of got.slice(0, -1)) starts.push(starts.at(-1)! + countRecords(g))
  const again = fresh(io, log, {}, starts, Math.floor(2.5 * one))
  t.same(got.map((b) => b.toString('hex')), again.map((b) => b.toString('hex')), 'each read equals the same read on a log without remembered places')
})

t.test('a remembered place at the log end stays right after appends and a roll', async (t) => {
  const io = new MemoryFileIO()
  const log = openLog(io)
  for (let n = 0; n < 3; n++) log.append(keyedBatch(n, 1000), n)
  const end = log.logEndOffset
  chain(log, 0, 1 << 20)
  log.append(keyedBatch(3, 1000), 3)
  t.equal(log.read(end, 1 << 20, { minOneBatch: true }).records.toString('hex'), keyedBatchAt(log, end), 'the batch appended where the last read ended')
  const end2 = log.logEndOffset
  log.roll(10)
  log.append(keyedBatch(4, 1000), 4)
  t.equal(log.read(end2, 1 << 20, { minOneBatch: true }).records.toString('hex'), keyedBatchAt(log, end2), 'the batch appended after a roll, in the new segment')
})

t.test('after the cleaner rewrote the segments, reads come from the new ones', async (t) => {
  const io = new MemoryFileIO()
  const overrides: Partial<LogConfig> = { cleanupPolicy: 'compact', minCleanableDirtyRatio: 0 }
  const log = openLog(io, overrides)
  for (let n = 0; n < 80; n++) log.append(keyedBatch(n, 40), n)
  log.roll(100)
  const one = batchSize(keyedBatch(0, 40), 0)
  // Remember places all along the log, then rewrite it.
  const before = chain(log, 0, 3 * one)
  const offsets = [0]
  for (const g of before.slice(0, -1)) offsets.push(offsets.at(-1)! + countRecords(g))
  const stats = new LogCleaner().cleanNow(log, 1_000_000)
  t.ok(stats.cleaned !== null, 'the log was cleaned')
  const after = offsets.map((o) => Buffer.from(log.read(o, 3 * one, { minOneBatch: true }).records))
  const expected = fresh(io, log, overrides, offsets, 3 * one)
  t.same(after.map((b) => b.toString('hex')), expected.map((b) => b.toString('hex')), 'the same reads as a log reopened after the clean')
})

t.test('after retention removed segments, reads still find their batches', async (t) => {
  const io = new MemoryFileIO()
  const overrides: Partial<LogConfig> = { retentionBytes: 40 * 1024 }
  const log = openLog(io, overrides)
  for (let n = 0; n < 60; n++) log.append(keyedBatch(n, 1000), n)
  const one = batchSize(keyedBatch(0, 1000), 0)
  const before = chain(log, 0, 2 * one)
  const offsets = [0]
  for (const g of before.slice(0, -1)) offsets.push(offsets.at(-1)! + countRecords(g))
  t.ok(log.applyRetention(1_000) > 0, 'retention deleted segments')
  const kept = offsets.filter((o) => o >= log.logStartOffset)
  const after = kept.map((o) => Buffer.from(log.read(o, 2 * one, { minOneBatch: true }).records))
  const expected = fresh(io, log, overrides, kept, 2 * one)
  t.same(after.map((b) => b.toString('hex')), expected.map((b) => b.toString('hex')))
})

function countRecords(records: Buffer): number {
  let pos = 0
  let first = -1
  let last = -1
  while (pos < records.length) {
    if (first < 0) first = Number(records.readBigInt64BE(pos))
    last = batchLastOffset(records, pos)
    pos += batchSize(records, pos)
  }
  return last - first + 1
}

/** The batch holding `offset`, found by walking the log from its start (no remembered place). */
function keyedBatchAt(log: PartitionLog, offset: number): string {
  let pos = log.logStartOffset
  for (;;) {
    const { records } = log.read(pos, 1, { minOneBatch: true })
    const last = batchLastOffset(records, 0)
    if (last >= offset) return records.toString('hex')
    pos = last + 1
  }
}
