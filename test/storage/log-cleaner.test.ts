import t from 'tap'
import { buildRecordBatch, buildEndTxnMarkerBatch, decodeRecords } from '../../protocol/records/record-batch-builder.ts'
import { ATTRIBUTES_OFFSET, COMPRESSION_CODEC_MASK, Compression, DELETE_HORIZON_FLAG_MASK, batchSize, batchRecordCount, isCrcValid } from '../../protocol/records/record-batch.ts'
import { MemoryFileIO } from '../../storage/file-io.ts'
import type { LogConfig } from '../../storage/log-config.ts'
import { PartitionLog } from '../../storage/partition-log.ts'
import { LogCleaner, groupSegmentsBySize, logToClean, shouldClean } from '../../storage/log-cleaner.ts'
import { SkimpyOffsetMap } from '../../storage/cleaner-offset-map.ts'
import { config, seededRandom } from './helpers.ts'

const DIR = '/data/table-0'
const DAY = 86_400_000

function openLog(io: MemoryFileIO, overrides: Partial<LogConfig> = {}, now = 0, clean = true): PartitionLog {
  io.mkdirp('/data')
  return PartitionLog.open(io, DIR, config({ cleanupPolicy: 'compact', segmentBytes: 16 * 1024, ...overrides }), { clean, recoveryPoint: 0, now })
}

interface Seen {
  offset: number
  key: string
  value: string | null
}

/** Every record from offset 0, as a consumer reads them. */
function readAll(log: PartitionLog): Seen[] {
  const out: Seen[] = []
  let offset = log.logStartOffset
  for (;;) {
    const r = log.read(offset, 1024 * 1024, { minOneBatch: true })
    if (r.records.length === 0) break
    for (let pos = 0; pos < r.records.length; pos += batchSize(r.records, pos)) {
      if (!isCrcValid(r.records, pos)) throw new Error(`bad CRC at offset ${offset}`)
      for (const rec of decodeRecords(r.records, pos)) {
        if (rec.offset < offset) continue
        out.push({ offset: rec.offset, key: rec.key?.toString() ?? '', value: rec.value?.toString() ?? null })
      }
      const last = r.records.readBigInt64BE(pos) + BigInt(r.records.readInt32BE(pos + 23))
      offset = Number(last) + 1
    }
  }
  return out
}

/** The newest record of each key, in offset order: what a compacted log must hold. */
function newestPerKey(all: Seen[], dropTombstones: boolean): Seen[] {
  const newest = new Map<string, Seen>()
  for (const r of all) newest.set(r.key, r)
  return [...newest.values()].filter((r) => !(dropTombstones && r.value === null)).sort((a, b) => a.offset - b.offset)
}

// 100,000 records over 1,000 keys in 50-record batches; about 2% of them tombstones.
function fill(log: PartitionLog, records: number, keys: number, now: number, codec = 0, seed = 1): void {
  const random = seededRandom(seed)
  for (let i = 0; i < records; ) {
    const batch = []
    for (let j = 0; j < 50 && i < records; j++, i++) {
      const k = Math.floor(random() * keys)
      const tombstone = random() < 0.02
      batch.push({ key: Buffer.from(`key-${k}`), value: tombstone ? null : Buffer.from(`value-${k}-${i}`), timestamp: now + i })
    }
    log.append(buildRecordBatch({ records: batch, compression: codec }), now)
  }
  log.roll(now)
}

t.test('offset map: newest offset per key, bounded slots', async (t) => {
  const map = new SkimpyOffsetMap(24 * 100)
  t.equal(map.slots, 100)
  map.put(Buffer.from('a'), 1)
  map.put(Buffer.from('b'), 2)
  map.put(Buffer.from('a'), 7)
  t.equal(map.size, 2)
  t.equal(map.get(Buffer.from('a')), 7)
  t.equal(map.get(Buffer.from('b')), 2)
  t.equal(map.get(Buffer.from('c')), -1)
  t.equal(map.latestOffset, 7)
  map.clear()
  t.equal(map.get(Buffer.from('a')), -1)
})

t.test('100,000 keyed records over 1,000 keys: newest value per key, original offsets, tombstones after delete.retention.ms', async (t) => {
  const io = new MemoryFileIO()
  const log = openLog(io, { deleteRetentionMs: DAY })
  const now = 1_700_000_000_000
  fill(log, 100_000, 1_000, now)
  const before = readAll(log)
  t.equal(before.length, 100_000)
  const sizeBefore = log.size
  const segmentsBefore = log.segmentCount
  t.ok(segmentsBefore > 100, `rolled into ${segmentsBefore} segments`)

  const ltc = logToClean(log, now)
  t.equal(ltc.firstDirtyOffset, 0)
  t.equal(ltc.firstUncleanableOffset, 100_000)
  t.ok(shouldClean(log, ltc), 'a never-cleaned log is all dirty')

  const cleaner = new LogCleaner()
  const stats = cleaner.cleanNow(log, now)
  t.equal(stats.cleaned?.firstDirtyOffset, 100_000, 'the checkpoint moves to the end of the cleaned range')
  t.equal(log.firstDirtyOffset, 100_000)
  const after = readAll(log)
  t.same(after, newestPerKey(before, false), 'exactly the newest record of each key (tombstones kept), in offset order, original offsets')
  t.ok(log.size < sizeBefore / 20, `the log shrank from ${sizeBefore} to ${log.size} bytes`)
  t.equal(log.logEndOffset, 100_000)
  t.notOk(shouldClean(log, logToClean(log, now)), 'nothing dirty is left')

  // A reopened log (indexes and segments from disk) reads the same.
  log.close()
  const reopened = openLog(io, { deleteRetentionMs: DAY }, now)
  t.same(readAll(reopened), after, 'the cleaned log reads the same after a restart')

  // Tombstones stay until delete.retention.ms after the clean that first saw them; a
  // log is cleaned again when new records make it dirty.
  const more = (n: number, at: number): Seen => {
    reopened.append(buildRecordBatch({ records: [{ key: Buffer.from(`new-${n}`), value: Buffer.from('x'), timestamp: at }] }), at)
    reopened.roll(at)
    return { offset: reopened.logEndOffset - 1, key: `new-${n}`, value: 'x' }
  }
  const extra1 = more(1, now + DAY - 1)
  t.ok(shouldClean(reopened, logToClean(reopened, now + DAY - 1)))
  new LogCleaner().cleanNow(reopened, now + DAY - 1)
  t.same(readAll(reopened), [...after, extra1], 'tombstones survive a clean within delete.retention.ms')
  t.ok(reopened.segmentCount < segmentsBefore / 10, `small cleaned segments are grouped up to segment.bytes: ${segmentsBefore} -> ${reopened.segmentCount}`)
  const extra2 = more(2, now + DAY)
  new LogCleaner().cleanNow(reopened, now + DAY)
  t.same(readAll(reopened), [...newestPerKey(before, true), extra1, extra2], 'tombstones are gone once delete.retention.ms has passed')
})

t.test('compressed batches are cleaned and written back in their codec', async (t) => {
  for (const codec of [Compression.GZIP, Compression.SNAPPY, Compression.LZ4, Compression.ZSTD]) {
    const io = new MemoryFileIO()
    const log = openLog(io, {}, 0)
    fill(log, 5_000, 100, 1_000, codec, codec)
    const before = readAll(log)
    new LogCleaner().cleanNow(log, 2_000)
    t.same(readAll(log), newestPerKey(before, false), `codec ${codec}: newest per key`)
    const r = log.read(0, 10 * 1024 * 1024, { minOneBatch: true }).records
    const codecs = new Set<number>()
    for (let pos = 0; pos < r.length; pos += batchSize(r, pos)) if (batchRecordCount(r, pos) > 0) codecs.add(r.readInt16BE(pos + ATTRIBUTES_OFFSET) & COMPRESSION_CODEC_MASK)
    t.same([...codecs], [codec], `codec ${codec}: retained batches keep their codec`)
  }
})

t.test('the active segment, min.compaction.lag.ms and the dirty ratio', async (t) => {
  const io = new MemoryFileIO()
  const log = openLog(io, { minCompactionLagMs: 1_000, minCleanableDirtyRatio: 0.5 })
  for (let i = 0; i < 200; i++) log.append(buildRecordBatch({ records: [{ key: Buffer.from('k'), value: Buffer.from(`v${i}`), timestamp: 100 }] }), 100)
  const ltcActive = logToClean(log, 100)
  t.equal(ltcActive.firstUncleanableOffset, log.segmentList[log.segmentCount - 1]!.baseOffset, 'never past the active segment')
  log.roll(100)
  t.equal(logToClean(log, 500).firstUncleanableOffset, 0, 'records younger than min.compaction.lag.ms are not cleanable')
  t.notOk(shouldClean(log, logToClean(log, 500)))
  t.equal(logToClean(log, 1_101).firstUncleanableOffset, 200, 'cleanable once the lag has passed')
  new LogCleaner().cleanNow(log, 1_101)
  const after = readAll(log)
  t.same(after.map((r) => r.value), ['v199'])
  t.equal(after[0]!.offset, 199)
  // After one clean, a little new dirt stays below the ratio.
  log.append(buildRecordBatch({ records: [{ key: Buffer.from('k'), value: Buffer.from('new') , timestamp: 100 }] }), 100)
  log.roll(100)
  const ltc = logToClean(log, 5_000)
  t.ok(ltc.cleanableRatio > 0 && ltc.cleanableRatio <= 0.9)
})

t.test('max.compaction.lag.ms forces a clean below the ratio and rolls the active segment', async (t) => {
  const io = new MemoryFileIO()
  const log = openLog(io, { minCleanableDirtyRatio: 0.99, maxCompactionLagMs: 10_000, segmentMs: DAY })
  log.append(buildRecordBatch({ records: [{ key: Buffer.from('a'), value: Buffer.from('1'), timestamp: 1_000 }] }), 1_000)
  log.append(buildRecordBatch({ records: [{ key: Buffer.from('b'), value: Buffer.from('1'), timestamp: 1_000 }] }), 1_000)
  t.equal(log.segmentCount, 1)
  log.append(buildRecordBatch({ records: [{ key: Buffer.from('a'), value: Buffer.from('2'), timestamp: 20_000 }] }), 20_000)
  t.equal(log.segmentCount, 2, 'a compacted log rolls after max.compaction.lag.ms even when segment.ms is a day')
  // Clean once so the ratio is low, then make new dirt that is only cleaned because it is overdue.
  new LogCleaner().cleanNow(log, 20_000)
  log.append(buildRecordBatch({ records: [{ key: Buffer.from('b'), value: Buffer.from('2'), timestamp: 40_000 }] }), 40_000)
  log.roll(40_000)
  const ltc = logToClean(log, 25_000)
  t.notOk(ltc.needCompactionNow, 'not overdue yet')
  const overdue = logToClean(log, 100_000)
  t.ok(overdue.needCompactionNow, 'overdue after max.compaction.lag.ms')
  t.ok(shouldClean(log, overdue))
})

t.test('groupSegmentsBySize groups consecutive segments up to segment.bytes', async (t) => {
  const io = new MemoryFileIO()
  const log = openLog(io, { segmentBytes: 1024 })
  for (let i = 0; i < 40; i++) log.append(buildRecordBatch({ records: [{ key: Buffer.from(`k${i}`), value: Buffer.alloc(300) }] }), 0)
  const segments = log.segmentList.slice(0, -1)
  const groups = groupSegmentsBySize(segments, 2048, 1 << 20, log.logEndOffset)
  t.ok(groups.length > 1)
  t.same(groups.flat(), segments, 'every segment once, in order')
  for (const g of groups) t.ok(g.reduce((n, s) => n + s.size, 0) <= 2048 || g.length === 1)
})

t.test('producer state: the last batch of an idempotent producer stays (empty) when its records are cleaned', async (t) => {
  const io = new MemoryFileIO()
  const log = openLog(io)
  log.append(buildRecordBatch({ records: [{ key: Buffer.from('k'), value: Buffer.from('old') }], producerId: 7, producerEpoch: 0, baseSequence: 0 }), 0)
  log.append(buildRecordBatch({ records: [{ key: Buffer.from('k'), value: Buffer.from('new') }] }), 0)
  log.roll(0)
  new LogCleaner().cleanNow(log, 0)
  const r = log.read(0, 1 << 20, { minOneBatch: true }).records
  t.equal(r.readInt32BE(57), 0, 'producer 7\'s batch stays as an empty header')
  t.equal(Number(r.readBigInt64BE(43)), 7)
  t.same(readAll(log).map((x) => x.value), ['new'])
  log.close()
  const reopened = openLog(io, {}, 0, false)
  t.equal(reopened.producers.summaries().find((p) => p.producerId === 7)?.lastSequence, 0, 'the producer\'s sequence survives a replay')
})

t.test('transactions: aborted records go, markers go after delete.retention.ms once their transaction is empty', async (t) => {
  const io = new MemoryFileIO()
  const log = openLog(io, { deleteRetentionMs: 1_000 })
  const txnBatch = (pid: number, key: string, value: string): Buffer => buildRecordBatch({ records: [{ key: Buffer.from(key), value: Buffer.from(value), timestamp: 0 }], producerId: pid, producerEpoch: 0, baseSequence: 0, isTransactional: true })
  log.append(txnBatch(1, 'a', 'aborted'), 0)
  log.appendMarker(1, 0, 0, false, 0)
  log.append(txnBatch(2, 'b', 'committed'), 0)
  log.appendMarker(2, 0, 0, true, 0)
  log.append(buildRecordBatch({ records: [{ key: Buffer.from('b'), value: Buffer.from('newer'), timestamp: 0 }] }), 0)
  log.append(buildRecordBatch({ records: [{ key: Buffer.from('z'), value: Buffer.from('tail'), timestamp: 0 }] }), 0)
  log.roll(0)
  t.equal(log.abortedTxns(0, 10).length, 1)
  new LogCleaner().cleanNow(log, 0)
  const data = (): Array<string | null> => readAll(log).filter((r) => r.key.length < 4).map((r) => r.value)
  t.same(data(), ['newer', 'tail'], 'aborted and overwritten records are gone')
  t.equal(log.abortedTxns(0, 10).length, 1, 'while its producer is active, the aborted batch stays (empty) and so does the marker')
  // Once the producers expired, their batches go, then (a clean later) the markers get a
  // delete horizon, and go once it has passed.
  log.expireProducers(10_000_000, 1)
  for (const at of [0, 0, 500]) {
    log.firstDirtyOffset = 0
    new LogCleaner().cleanNow(log, at)
  }
  let markers = 0
  const r0 = log.read(0, 1 << 20, { minOneBatch: true }).records
  for (let pos = 0; pos < r0.length; pos += batchSize(r0, pos)) if ((r0.readInt16BE(pos + ATTRIBUTES_OFFSET) & 0x20) !== 0 && batchRecordCount(r0, pos) > 0) markers++
  t.equal(markers, 2, 'markers stay within delete.retention.ms')
  log.firstDirtyOffset = 0
  new LogCleaner().cleanNow(log, 5_000)
  t.same(data(), ['newer', 'tail'])
  const r = log.read(0, 1 << 20, { minOneBatch: true }).records
  let controlWithRecords = 0
  for (let pos = 0; pos < r.length; pos += batchSize(r, pos)) if ((r.readInt16BE(pos + ATTRIBUTES_OFFSET) & 0x20) !== 0 && batchRecordCount(r, pos) > 0) controlWithRecords++
  t.equal(controlWithRecords, 0, 'markers of emptied transactions are gone after delete.retention.ms')
  t.equal(log.abortedTxns(0, 10).length, 0, 'no aborted transaction is indexed once its records are gone')
  void buildEndTxnMarkerBatch
  void DELETE_HORIZON_FLAG_MASK
})

t.test('a clean of large segments is split into bounded steps that give the shard back, with the same result', async (t) => {
  const now = 1_700_000_000_000
  // 1 MiB segments: one group holds far more than a step's budget, in both phases.
  const big = { segmentBytes: 1024 * 1024, deleteRetentionMs: DAY }
  const ioA = new MemoryFileIO()
  const stepped = openLog(ioA, big)
  fill(stepped, 40_000, 500, now)
  const ioB = new MemoryFileIO()
  const whole = openLog(ioB, big)
  fill(whole, 40_000, 500, now)
  const source = stepped.size
  t.ok(source > 1024 * 1024, `${source} bytes of source`)

  const stepBytes = 64 * 1024
  const cleaner = new LogCleaner({ stepBytes })
  // A batch of 50 records here is about 1.4 KiB: a step visits at most its budget plus one batch.
  const maxRecordsPerStep = Math.ceil(stepBytes / 1000 + 1) * 50
  let steps = 0
  let finished = null as { firstDirtyOffset: number } | null
  let appendsBetweenSteps = 0
  for (let i = 0; i < 10_000 && finished === null; i++) {
    const r = cleaner.step([stepped], now)
    steps++
    t.ok(r.recordsRead <= maxRecordsPerStep, `step ${steps} read ${r.recordsRead} records (at most ${maxRecordsPerStep})`, { diagnostic: false })
    if (r.cleaned !== null) finished = r.cleaned
    else if (!r.busy) break
    // Appends keep landing on the active segment between steps, as on a shard.
    stepped.append(buildRecordBatch({ records: [{ key: Buffer.from('between'), value: Buffer.from(String(i)), timestamp: now }] }), now)
    appendsBetweenSteps++
  }
  t.ok(finished !== null, `the clean finished after ${steps} steps`)
  t.ok(steps >= Math.floor((2 * source) / stepBytes / 2), `${steps} steps for ${source} bytes read twice (map, then clean) at ${stepBytes} per step`)
  new LogCleaner().cleanNow(whole, now)
  const cleanedStepped = readAll(stepped).filter((r) => r.key !== 'between')
  t.same(cleanedStepped, readAll(whole), 'what a consumer reads equals the clean done in one go')
  t.equal(readAll(stepped).filter((r) => r.key === 'between').length, appendsBetweenSteps, 'no append made between steps was lost')
  t.same(newestPerKey(cleanedStepped, false).map((r) => r.key), newestPerKey(readAll(whole), false).map((r) => r.key))
})
