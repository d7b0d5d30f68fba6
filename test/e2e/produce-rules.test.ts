// Produce rules beyond the happy path: LogAppendTime rewriting (with a valid CRC-32C),
// CreateTime untouched, max.message.bytes, batch header consistency, acks 0 / 2,
// several partitions per request, and compressed batches stored byte for byte.

import t from 'tap'
import { startBroker } from '../../src/broker.ts'
import { ManualClock } from '../../src/groups/clock.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { batchOf, createTopic, decodeFrame, fetchOne, produce, produceRequest, splitBatches } from '../helpers/wire-requests.ts'
import { buildRecordBatch, decodeRecords } from '../../protocol/records/record-batch-builder.ts'
import {
  ATTRIBUTES_OFFSET, BATCH_LENGTH_OFFSET, LAST_OFFSET_DELTA_OFFSET, MAGIC_OFFSET, RECORD_COUNT_OFFSET, TIMESTAMP_TYPE_MASK,
  batchAttributes, batchBaseOffset, batchMaxTimestamp, isCrcValid, readBatchHeader, updateBatchCrc,
} from '../../protocol/records/record-batch.ts'
import { defaultMetadataRequest } from '../../protocol/messages/metadata-request.ts'
import type { ProduceResponse } from '../../protocol/messages/produce-response.ts'
import type { MetadataResponse } from '../../protocol/messages/metadata-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'

const T0 = 1_600_000_000_000

t.test('produce rules', async (t) => {
  const clock = new ManualClock()
  const broker = await startBroker({ host: '127.0.0.1', port: 0, memory: true, shards: 2, logLevel: 'silent' }, { storageClock: clock })
  t.teardown(() => broker.close())
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())

  await t.test('LogAppendTime topics stamp the batch with the broker time', async (t) => {
    await createTopic(c, 'lat', 1, { 'message.timestamp.type': 'LogAppendTime' })
    for (const compression of [0, 1]) {
      const sent = buildRecordBatch({ compression, records: [{ value: Buffer.from('a'), timestamp: T0 }, { value: Buffer.from('b'), timestamp: T0 + 5 }] })
      clock.advance(1000)
      const r = await produce(c, 'lat', 0, sent)
      t.equal(r.errorCode, ErrorCode.NONE)
      t.equal(r.logAppendTimeMs, clock.now(), `codec ${compression}: log_append_time_ms is the broker's time at the append`)

      const stored = splitBatches((await fetchOne(c, 'lat', 0, r.baseOffset)).records)[0]!
      const h = readBatchHeader(stored)
      t.ok((h.attributes & TIMESTAMP_TYPE_MASK) !== 0, `codec ${compression}: attribute bit 3 (LogAppendTime) set`)
      t.equal(h.compression, compression, 'codec kept')
      t.equal(h.maxTimestamp, r.logAppendTimeMs, 'maxTimestamp is the append time')
      t.ok(isCrcValid(stored), 'and the CRC-32C was recomputed')
      t.same(decodeRecords(stored).map((x) => x.timestamp), [r.logAppendTimeMs, r.logAppendTimeMs], 'every record reads as the append time')
      t.same(decodeRecords(stored).map((x) => x.value!.toString()), ['a', 'b'])
    }
  })

  await t.test('CreateTime topics keep the producer timestamps', async (t) => {
    await createTopic(c, 'ct', 1, { 'message.timestamp.type': 'CreateTime' })
    const sent = buildRecordBatch({ records: [{ value: Buffer.from('a'), timestamp: T0 }, { value: Buffer.from('b'), timestamp: T0 + 7 }] })
    const r = await produce(c, 'ct', 0, sent)
    t.equal(r.errorCode, ErrorCode.NONE)
    t.equal(r.logAppendTimeMs, -1, 'log_append_time_ms -1')
    const stored = splitBatches((await fetchOne(c, 'ct', 0, 0)).records)[0]!
    t.equal(batchAttributes(stored) & TIMESTAMP_TYPE_MASK, 0, 'CreateTime attribute')
    t.equal(batchMaxTimestamp(stored), T0 + 7)
    t.ok(isCrcValid(stored))
    t.same(decodeRecords(stored).map((x) => x.timestamp), [T0, T0 + 7])
  })

  await t.test('max.message.bytes', async (t) => {
    await createTopic(c, 'small', 1, { 'max.message.bytes': '200' })
    const big = batchOf(['x'.repeat(300)])
    let r = await produce(c, 'small', 0, big)
    t.equal(r.errorCode, ErrorCode.MESSAGE_TOO_LARGE, `a ${big.length}-byte batch: MESSAGE_TOO_LARGE`)
    t.equal(r.baseOffset, -1)
    t.equal((await fetchOne(c, 'small', 0, 0)).highWatermark, 0, 'nothing appended')
    const fits = batchOf(['y'.repeat(50)])
    t.ok(fits.length <= 200)
    r = await produce(c, 'small', 0, fits)
    t.equal(r.errorCode, ErrorCode.NONE, `a ${fits.length}-byte batch is fine`)
    t.equal(r.baseOffset, 0)
  })

  await t.test('a batch whose lastOffsetDelta does not match its record count is INVALID_RECORD', async (t) => {
    await createTopic(c, 'lod')
    const tooHigh = batchOf(['a', 'b', 'c'])
    tooHigh.writeInt32BE(5, LAST_OFFSET_DELTA_OFFSET)
    updateBatchCrc(tooHigh)
    let r = await produce(c, 'lod', 0, tooHigh)
    t.equal(r.errorCode, ErrorCode.INVALID_RECORD, 'lastOffsetDelta 5 for 3 records')
    t.type(r.errorMessage, 'string', 'with a message (v8+)')

    const countLow = batchOf(['a', 'b', 'c'])
    countLow.writeInt32BE(2, RECORD_COUNT_OFFSET)
    updateBatchCrc(countLow)
    r = await produce(c, 'lod', 0, countLow)
    t.equal(r.errorCode, ErrorCode.INVALID_RECORD, 'recordCount 2 with lastOffsetDelta 2')
    t.equal((await fetchOne(c, 'lod', 0, 0)).highWatermark, 0, 'nothing appended')
  })

  await t.test('acks', async (t) => {
    await createTopic(c, 'acks')

    // acks=0: no response at all, but the data lands and the next request is answered in turn.
    const p = await RawClient.connect(broker.port)
    t.teardown(() => p.close())
    p.write(Buffer.concat([
      p.frameFor(0, 9, produceRequest([{ topic: 'acks', partition: 0, records: batchOf(['fire', 'forget']) }], 0), 501),
      p.frameFor(3, 12, { ...defaultMetadataRequest(), topics: null }, 502),
    ]))
    const frame = await p.nextFrame()
    t.ok(frame !== null)
    const next = decodeFrame<MetadataResponse>(frame!, 3, 12)
    t.equal(next.correlationId, 502, 'the first response on the connection is the Metadata one')
    // Responses leave in request order: a stray answer to the acks=0 request would have
    // come first, and would come before this one.
    const again = await p.request<MetadataResponse>(3, 12, { ...defaultMetadataRequest(), topics: null })
    t.ok(Array.isArray(again.topics), 'and the next frame is the answer to the next request')
    const fetched = await fetchOne(c, 'acks', 0, 0)
    t.same(decodeRecords(fetched.records!).map((x) => x.value!.toString()), ['fire', 'forget'], 'the acks=0 batch was appended')

    for (const acks of [2, -2, 5]) {
      const res = await c.request<ProduceResponse>(0, 9, produceRequest([{ topic: 'acks', partition: 0, records: batchOf(['no']) }], acks))
      t.equal(res.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.INVALID_REQUIRED_ACKS, `acks=${acks}: INVALID_REQUIRED_ACKS`)
    }
    t.equal((await fetchOne(c, 'acks', 0, 0)).highWatermark, 2, 'nothing appended')

    const res = await c.request<ProduceResponse>(0, 9, produceRequest([{ topic: 'acks', partition: 0, records: batchOf(['one']) }], 1))
    t.equal(res.responses[0]!.partitionResponses[0]!.baseOffset, 2, 'acks=1 is answered with its offset')
  })

  await t.test(
    'acks=0 with a partition error closes the connection',
    async (t) => {
      const p = await RawClient.connect(broker.port)
      t.teardown(() => p.close())
      p.write(p.frameFor(0, 9, produceRequest([{ topic: 'no-such-topic', partition: 0, records: batchOf(['lost']) }], 0)))
      // No answer comes: the next event on the socket is its close (bounded wait).
      const frame = await p.nextFrame(30_000)
      t.equal(frame, null, 'no response is sent')
      t.ok(p.socket.destroyed || p.socket.readableEnded, 'the broker closed the connection')

      // Requests refused as a whole are no different: acks=0 never gets an answer.
      const refused: Array<[string, number, Buffer]> = [
        ['Produce v1 (not served)', 1, batchOf(['old'])],
        ['a transactional batch without a transactional id', 9, buildRecordBatch({ records: [{ value: Buffer.from('x') }], isTransactional: true, producerId: 1, producerEpoch: 0, baseSequence: 0 })],
      ]
      for (const [what, version, records] of refused) {
        const q = await RawClient.connect(broker.port)
        t.teardown(() => q.close())
        q.write(q.frameFor(0, version, produceRequest([{ topic: 'acks', partition: 0, records }], 0)))
        t.equal(await q.nextFrame(30_000), null, `${what}, acks=0: no response, the connection is closed`)
      }
    },
  )

  await t.test('several partitions in one request each get their own base offset', async (t) => {
    await createTopic(c, 'parts', 3)
    await createTopic(c, 'parts-b', 1)
    await produce(c, 'parts', 1, batchOf(['p1-0', 'p1-1']))
    await produce(c, 'parts', 2, batchOf(['p2-0', 'p2-1', 'p2-2', 'p2-3']))
    const res = await c.request<ProduceResponse>(0, 9, produceRequest([
      { topic: 'parts', partition: 0, records: batchOf(['a']) },
      { topic: 'parts', partition: 1, records: batchOf(['b', 'c']) },
      { topic: 'parts', partition: 2, records: batchOf(['d']) },
      { topic: 'parts', partition: 7, records: batchOf(['lost']) },
      { topic: 'parts-b', partition: 0, records: batchOf(['e']) },
    ]))
    const answers = res.responses.flatMap((x) => x.partitionResponses.map((p) => [x.name, p.index, p.errorCode, p.baseOffset]))
    t.same(answers, [
      ['parts', 0, 0, 0],
      ['parts', 1, 0, 2],
      ['parts', 2, 0, 4],
      ['parts', 7, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1],
      ['parts-b', 0, 0, 0],
    ])
    const p1 = await fetchOne(c, 'parts', 1, 0)
    t.same(decodeRecords(splitBatches(p1.records)[1]!).map((x) => [x.offset, x.value!.toString()]), [[2, 'b'], [3, 'c']], 'stored at those offsets')
  })

  await t.test('a gzip batch is stored and served byte for byte', async (t) => {
    await createTopic(c, 'gz')
    await produce(c, 'gz', 0, batchOf(['first']))
    const values = Array.from({ length: 50 }, (_, i) => `compressible value ${i} `.repeat(10))
    const sent = buildRecordBatch({ compression: 1, records: values.map((v, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(v), timestamp: T0 + i })) })
    const r = await produce(c, 'gz', 0, sent)
    t.equal(r.errorCode, ErrorCode.NONE)
    t.equal(r.baseOffset, 1)
    const got = splitBatches((await fetchOne(c, 'gz', 0, 1)).records)
    const stored = got.find((b) => batchBaseOffset(b) === 1)!
    t.equal(stored.length, sent.length, 'same size: not recompressed')
    t.equal(batchBaseOffset(stored), 1, 'baseOffset assigned')
    // Everything the producer wrote except baseOffset (0-7) and partitionLeaderEpoch (12-15).
    t.ok(stored.subarray(BATCH_LENGTH_OFFSET, 12).equals(sent.subarray(BATCH_LENGTH_OFFSET, 12)), 'batchLength identical')
    t.ok(stored.subarray(MAGIC_OFFSET).equals(sent.subarray(MAGIC_OFFSET)), 'magic, CRC, attributes, header fields and compressed records identical')
    t.equal(batchAttributes(stored) & 7, 1, 'still gzip')
    t.equal(stored.readInt16BE(ATTRIBUTES_OFFSET), sent.readInt16BE(ATTRIBUTES_OFFSET))
    t.same(decodeRecords(stored).map((x) => x.value!.toString()), values, 'and it decodes to what was sent')
  })
})
