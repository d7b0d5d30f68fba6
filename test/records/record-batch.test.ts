import t from 'tap'
import { crc32c } from '../../protocol/records/crc32c.ts'
import {
  BATCH_HEADER_SIZE, CRC_OFFSET, Compression, TimestampType, batchLastOffset, batchSize, computeBatchCrc, isCrcValid,
  readBatchHeader, readInt64, setBaseOffset, setLogAppendTime, setPartitionLeaderEpoch, writeInt64,
} from '../../protocol/records/record-batch.ts'
import { buildEndTxnMarkerBatch, buildRecordBatch, decodeRecords, decodeAllRecords } from '../../protocol/records/record-batch-builder.ts'
import { scanRecordTimestamps } from '../../protocol/records/record-decoder.ts'
import { readVarint, sizeOfVarint, writeVarint } from '../../protocol/records/varint.ts'

t.test('crc32c known vector', async (t) => {
  t.equal(crc32c(Buffer.from('123456789')), 0xe3069283)
  t.equal(crc32c(Buffer.from('xx123456789yy'), 2, 11), 0xe3069283, 'sub-range')
  t.equal(crc32c(Buffer.alloc(0)), 0)
})

t.test('int64 as two int32 halves', async (t) => {
  const buf = Buffer.alloc(8)
  for (const v of [0, 1, -1, 2 ** 32, 2 ** 32 - 1, -(2 ** 32), 2 ** 40 + 5, -(2 ** 40) - 7, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 1700000000123]) {
    writeInt64(buf, 0, v)
    t.equal(buf.readBigInt64BE(0), BigInt(v), `write ${v}`)
    t.equal(readInt64(buf, 0), v, `read ${v}`)
  }
})

t.test('zig-zag varints', async (t) => {
  const buf = Buffer.alloc(16)
  const out = { value: 0, next: 0 }
  const cases: [number, number[]][] = [[0, [0]], [-1, [1]], [1, [2]], [63, [0x7e]], [-64, [0x7f]], [64, [0x80, 0x01]], [-65, [0x81, 0x01]], [300, [0xd8, 0x04]]]
  for (const [v, bytes] of cases) {
    const end = writeVarint(buf, 0, v)
    t.same([...buf.subarray(0, end)], bytes, `encoding of ${v}`)
    t.equal(sizeOfVarint(v), bytes.length)
  }
  for (const v of [2 ** 31 - 1, -(2 ** 31), 2 ** 35 + 3, -(2 ** 45), 2 ** 52, -(2 ** 52)]) {
    const end = writeVarint(buf, 0, v)
    t.equal(end, sizeOfVarint(v))
    t.equal(readVarint(buf, 0, end, out).value, v, `round trip ${v}`)
    t.equal(out.next, end)
  }
  t.throws(() => readVarint(Buffer.from([0x80, 0x80]), 0, 2, out), /past the end/)
})

t.test('builder and header view round trip', async (t) => {
  const records = [
    { key: Buffer.from('k1'), value: Buffer.from('v1'), timestamp: 1_700_000_000_000, headers: [{ key: 'h', value: Buffer.from('hv') }, { key: 'é', value: null }] },
    { key: null, value: Buffer.alloc(300, 7), timestamp: 1_700_000_000_500 },
    { value: null, timestamp: 1_699_999_999_000 },
  ]
  const batch = buildRecordBatch({ records, baseOffset: 42, producerId: 7, producerEpoch: 3, baseSequence: 11, isTransactional: true, partitionLeaderEpoch: 5 })
  const h = readBatchHeader(batch, 0)
  t.equal(h.baseOffset, 42)
  t.equal(h.batchLength, batch.length - 12)
  t.equal(batchSize(batch, 0), batch.length)
  t.equal(h.partitionLeaderEpoch, 5)
  t.equal(h.magic, 2)
  t.equal(h.lastOffsetDelta, 2)
  t.equal(h.recordCount, 3)
  t.equal(h.baseTimestamp, 1_700_000_000_000)
  t.equal(h.maxTimestamp, 1_700_000_000_500)
  t.equal(h.producerId, 7)
  t.equal(h.producerEpoch, 3)
  t.equal(h.baseSequence, 11)
  t.equal(h.compression, Compression.NONE)
  t.equal(h.timestampType, TimestampType.CREATE_TIME)
  t.equal(h.isTransactional, true)
  t.equal(h.isControl, false)
  t.equal(h.crc, batch.readUInt32BE(CRC_OFFSET))
  t.ok(isCrcValid(batch, 0))
  t.equal(batchLastOffset(batch, 0), 44)

  const decoded = decodeRecords(batch)
  t.equal(decoded.length, 3)
  t.same(decoded.map((r) => r.offset), [42, 43, 44])
  t.same(decoded.map((r) => r.timestamp), [1_700_000_000_000, 1_700_000_000_500, 1_699_999_999_000], 'negative timestamp delta survives')
  t.same(decoded[0]!.key, Buffer.from('k1'))
  t.same(decoded[0]!.value, Buffer.from('v1'))
  t.same(decoded[0]!.headers, [{ key: 'h', value: Buffer.from('hv') }, { key: 'é', value: null }])
  t.equal(decoded[1]!.key, null)
  t.same(decoded[1]!.value, Buffer.alloc(300, 7), 'a value longer than 63 bytes (two-byte zig-zag length)')
  t.equal(decoded[2]!.value, null)
  t.same(decoded[2]!.headers, [])
})

t.test('defaults: no producer, CreateTime, leader epoch -1', async (t) => {
  const batch = buildRecordBatch({ records: [{ value: Buffer.from('x') }] })
  const h = readBatchHeader(batch)
  t.equal(h.producerId, -1)
  t.equal(h.producerEpoch, -1)
  t.equal(h.baseSequence, -1)
  t.equal(h.partitionLeaderEpoch, -1)
  t.equal(h.baseOffset, 0)
  t.equal(batch.length, BATCH_HEADER_SIZE + 8)
  t.throws(() => buildRecordBatch({ records: [] }))
})

t.test('patching offset and leader epoch leaves the CRC valid', async (t) => {
  const batch = buildRecordBatch({ records: [{ value: Buffer.from('a') }, { value: Buffer.from('b') }] })
  const crc = batch.readUInt32BE(CRC_OFFSET)
  setBaseOffset(batch, 0, 2 ** 40)
  setPartitionLeaderEpoch(batch, 0, 9)
  t.equal(batch.readUInt32BE(CRC_OFFSET), crc)
  t.ok(isCrcValid(batch))
  t.equal(readBatchHeader(batch).baseOffset, 2 ** 40)
  t.equal(readBatchHeader(batch).partitionLeaderEpoch, 9)
  t.same(decodeRecords(batch).map((r) => r.offset), [2 ** 40, 2 ** 40 + 1])
})

t.test('a flipped byte inside the CRC range is detected', async (t) => {
  const batch = buildRecordBatch({ records: [{ value: Buffer.from('hello') }] })
  for (const pos of [21, 30, BATCH_HEADER_SIZE, batch.length - 1]) {
    const copy = Buffer.from(batch)
    copy[pos]! ^= 0x01
    t.notOk(isCrcValid(copy), `flip at ${pos}`)
  }
})

t.test('setLogAppendTime sets bit 3 and maxTimestamp and keeps a valid CRC', async (t) => {
  const batch = buildRecordBatch({ records: [{ value: Buffer.from('a'), timestamp: 1000 }, { value: Buffer.from('b'), timestamp: 2000 }] })
  const before = batch.readUInt32BE(CRC_OFFSET)
  setLogAppendTime(batch, 0, 5555)
  const h = readBatchHeader(batch)
  t.equal(h.timestampType, TimestampType.LOG_APPEND_TIME)
  t.equal(h.attributes & 0x08, 0x08)
  t.equal(h.maxTimestamp, 5555)
  t.not(batch.readUInt32BE(CRC_OFFSET), before)
  t.ok(isCrcValid(batch), 'CRC recomputed')
  t.equal(computeBatchCrc(batch), batch.readUInt32BE(CRC_OFFSET))
  t.same(decodeRecords(batch).map((r) => r.timestamp), [5555, 5555], 'consumers see the append time')
  const seen: number[] = []
  scanRecordTimestamps(batch, 0, (_o, ts) => {
    seen.push(ts)
    return false
  })
  t.same(seen, [5555, 5555])
})

t.test('batches of every codec round trip', async (t) => {
  for (const compression of [Compression.GZIP, Compression.SNAPPY, Compression.LZ4, Compression.ZSTD]) {
    const records = Array.from({ length: 50 }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.alloc(100, i), timestamp: 10_000 + i }))
    const batch = buildRecordBatch({ records, compression, baseOffset: 10 })
    t.equal(readBatchHeader(batch).compression, compression)
    t.ok(isCrcValid(batch))
    t.ok(batch.length < 50 * 100, 'compressed')
    const decoded = decodeRecords(batch)
    t.equal(decoded.length, 50)
    t.same(decoded[49]!.value, Buffer.alloc(100, 49))
    t.equal(decoded[49]!.offset, 59)
    t.throws(() => scanRecordTimestamps(batch, 0, () => false), /uncompressed/)
  }
  t.throws(() => buildRecordBatch({ records: [{ value: null }], compression: 6 }), /unknown compression codec 6/)
})

t.test('scanRecordTimestamps reads offsets and timestamps and stops early', async (t) => {
  const batch = buildRecordBatch({ baseOffset: 100, records: [10, 30, 20, 40].map((ts) => ({ value: Buffer.from('v'), timestamp: ts })) })
  const seen: [number, number][] = []
  const stopped = scanRecordTimestamps(batch, 0, (o, ts) => {
    seen.push([o, ts])
    return ts >= 30
  })
  t.equal(stopped, true)
  t.same(seen, [[100, 10], [101, 30]])
})

t.test('decodeAllRecords walks batches laid end to end', async (t) => {
  const a = buildRecordBatch({ baseOffset: 0, records: [{ value: Buffer.from('a') }, { value: Buffer.from('b') }] })
  const b = buildRecordBatch({ baseOffset: 2, records: [{ value: Buffer.from('c') }] })
  t.same(decodeAllRecords(Buffer.concat([a, b])).map((r) => r.value?.toString()), ['a', 'b', 'c'])
})

t.test('end-transaction markers', async (t) => {
  const batch = buildEndTxnMarkerBatch({ producerId: 77, producerEpoch: 4, commit: true, coordinatorEpoch: 9, timestamp: 123 })
  const h = readBatchHeader(batch)
  t.equal(h.isControl, true)
  t.equal(h.isTransactional, true)
  t.equal(h.producerId, 77)
  t.equal(h.producerEpoch, 4)
  t.equal(h.baseSequence, -1)
  t.equal(h.recordCount, 1)
  t.ok(isCrcValid(batch))
  const [r] = decodeRecords(batch)
  t.same([...r!.key!], [0, 0, 0, 1], 'version 0, type COMMIT')
  t.same([...r!.value!], [0, 0, 0, 0, 0, 9], 'version 0, coordinator epoch')
  const abort = decodeRecords(buildEndTxnMarkerBatch({ producerId: 1, producerEpoch: 0, commit: false, coordinatorEpoch: 0 }))[0]!
  t.equal(abort.key!.readInt16BE(2), 0, 'ABORT')
})
