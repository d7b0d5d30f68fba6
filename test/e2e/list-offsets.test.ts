// ListOffsets at v1 (kafka-python), v7 (first with max-timestamp) and v9: earliest,
// latest, the record with the largest timestamp, and lookups by timestamp through the
// time index, on a one-segment log and on one spread over many small segments. Then the
// same through kafkajs's admin.

import t from 'tap'
import { memoryBroker } from '../helpers/broker.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { kafkaClient } from '../helpers/kafkajs-fetch.ts'
import { createTopic, produce } from '../helpers/wire-requests.ts'
import { buildRecordBatch } from '../../protocol/records/record-batch-builder.ts'
import { defaultListOffsetsRequest, defaultListOffsetsPartition } from '../../protocol/messages/list-offsets-request.ts'
import type { ListOffsetsResponse, ListOffsetsPartitionResponse } from '../../protocol/messages/list-offsets-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'

const EARLIEST = -2
const LATEST = -1
const MAX_TIMESTAMP = -3
const T0 = 1_700_000_000_000

// Offsets 0-6. Timestamps are deliberately not monotonic (offset 4 is older than offset 3),
// and the largest one (offset 5) is not the last record of its batch.
const BATCHES = [
  [T0 + 1000, T0 + 1100, T0 + 1200], // 0, 1, 2
  [T0 + 3000], // 3
  [T0 + 2000], // 4
  [T0 + 4000, T0 + 3500], // 5, 6
]

async function listOffsets(c: RawClient, version: number, topic: string, partition: number, timestamp: number): Promise<ListOffsetsPartitionResponse> {
  const req = defaultListOffsetsRequest()
  req.replicaId = -1
  req.topics = [{ name: topic, partitions: [{ ...defaultListOffsetsPartition(), partitionIndex: partition, timestamp }] }]
  const res = await c.request<ListOffsetsResponse>(2, version, req)
  return res.topics[0]!.partitions[0]!
}

async function fill(c: RawClient, topic: string): Promise<void> {
  for (const stamps of BATCHES) {
    const batch = buildRecordBatch({ records: stamps.map((ts, i) => ({ value: Buffer.from(`${topic}-${ts}-${i}`), timestamp: ts })) })
    const r = await produce(c, topic, 0, batch)
    if (r.errorCode !== 0) throw new Error(`produce failed: ${r.errorCode}`)
  }
}

t.test('ListOffsets', async (t) => {
  const broker = await memoryBroker(t)
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  // An index entry after every batch, so lookups go through the time index rather than a full scan.
  await createTopic(c, 'one-segment', 2, { 'index.interval.bytes': '1' })
  await createTopic(c, 'many-segments', 1, { 'index.interval.bytes': '1', 'segment.bytes': '150' })
  await fill(c, 'one-segment')
  await fill(c, 'many-segments')

  for (const topic of ['one-segment', 'many-segments']) {
    for (const v of [1, 7, 9]) {
      await t.test(`${topic}, v${v}`, async (t) => {
        const at = (ts: number) => listOffsets(c, v, topic, 0, ts)
        let r = await at(EARLIEST)
        t.match(r, { errorCode: 0, offset: 0, timestamp: -1 }, 'earliest: offset 0')
        r = await at(LATEST)
        t.match(r, { errorCode: 0, offset: 7, timestamp: -1 }, 'latest: the high watermark')
        if (v >= 4) t.equal(r.leaderEpoch, 0, 'leader epoch of this single-node log')

        const cases: Array<[string, number, number, number]> = [
          ['before everything: the first record', T0, 0, T0 + 1000],
          ['inside the first batch: that exact record', T0 + 1050, 1, T0 + 1100],
          ['an exact match', T0 + 1200, 2, T0 + 1200],
          ['just after the first batch', T0 + 1201, 3, T0 + 3000],
          ['an older record later in the log does not win: first offset with timestamp >= target', T0 + 2000, 3, T0 + 3000],
          ['inside the last batch', T0 + 3600, 5, T0 + 4000],
          ['the largest timestamp', T0 + 4000, 5, T0 + 4000],
        ]
        for (const [what, ts, offset, timestamp] of cases) {
          r = await at(ts)
          t.match(r, { errorCode: 0, offset, timestamp }, what)
        }
        r = await at(T0 + 4001)
        t.match(r, { errorCode: 0, offset: -1, timestamp: -1 }, 'after everything: offset -1')

        if (v >= 7) {
          r = await at(MAX_TIMESTAMP)
          t.match(r, { errorCode: 0, offset: 5, timestamp: T0 + 4000 }, 'max timestamp: that record, not the end of its batch')
        }
      })
    }
  }

  await t.test('an empty partition', async (t) => {
    for (const v of [1, 9]) {
      t.match(await listOffsets(c, v, 'one-segment', 1, EARLIEST), { errorCode: 0, offset: 0 }, `v${v} earliest`)
      t.match(await listOffsets(c, v, 'one-segment', 1, LATEST), { errorCode: 0, offset: 0 }, `v${v} latest`)
      t.match(await listOffsets(c, v, 'one-segment', 1, T0), { errorCode: 0, offset: -1, timestamp: -1 }, `v${v} by timestamp: none`)
    }
    t.match(await listOffsets(c, 9, 'one-segment', 1, MAX_TIMESTAMP), { errorCode: 0, offset: -1, timestamp: -1 }, 'max timestamp: none')
  })

  await t.test('unknown partitions and topics', async (t) => {
    for (const v of [1, 7, 9]) {
      for (const ts of [EARLIEST, LATEST, T0]) {
        t.match(await listOffsets(c, v, 'one-segment', 2, ts), { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, offset: -1 }, `v${v} ts ${ts}: partition 2 of 2`)
        t.match(await listOffsets(c, v, 'one-segment', -1, ts), { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }, `v${v} ts ${ts}: partition -1`)
        t.match(await listOffsets(c, v, 'no-such-topic', 0, ts), { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }, `v${v} ts ${ts}: unknown topic`)
      }
    }
  })

  await t.test('several partitions in one request each get their own answer', async (t) => {
    const req = defaultListOffsetsRequest()
    req.replicaId = -1
    req.topics = [{ name: 'one-segment', partitions: [0, 1, 5].map((partitionIndex) => ({ ...defaultListOffsetsPartition(), partitionIndex, timestamp: LATEST })) }]
    const res = await c.request<ListOffsetsResponse>(2, 9, req)
    t.same(res.topics[0]!.partitions.map((p) => [p.partitionIndex, p.errorCode, p.offset]), [[0, 0, 7], [1, 0, 0], [5, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1]])
  })

  await t.test('kafkajs admin', async (t) => {
    const admin = kafkaClient(broker.port).admin()
    await admin.connect()
    t.teardown(() => admin.disconnect())
    const at = async (ts: number) => (await admin.fetchTopicOffsetsByTimestamp('many-segments', ts)).map((p) => [p.partition, Number(p.offset)])
    t.same(await at(T0), [[0, 0]], 'before everything')
    t.same(await at(T0 + 1050), [[0, 1]], 'inside a batch')
    t.same(await at(T0 + 2000), [[0, 3]], 'first offset at or after the timestamp')
    t.same(await at(T0 + 5000), [[0, 7]], 'after everything: kafkajs falls back to the high watermark')
    const offsets = await admin.fetchTopicOffsets('one-segment')
    t.same(offsets.map((o) => [o.partition, Number(o.low), Number(o.high)]).sort(), [[0, 0, 7], [1, 0, 0]], 'low and high watermarks')
  })
})
