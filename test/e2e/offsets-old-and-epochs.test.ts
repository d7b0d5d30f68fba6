// ListOffsets v0 (the old-style offset lists sarama-based tools still ask for) and v10,
// and OffsetForLeaderEpoch 0-4 across a restart, on the wire. No client installed here
// sends these (Debian's librdkafka does not validate positions with OffsetForLeaderEpoch,
// kafkajs and @platformatic/kafka never ask for ListOffsets v0), so the requests are
// built with the generated codecs, as those clients would send them.

import t from 'tap'
import { spawnBroker, tempDir, type ChildBroker } from '../helpers/broker.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { batchOf, createTopic, produce } from '../helpers/wire-requests.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'

async function listV0(c: RawClient, topic: string, timestamp: number, maxNumOffsets: number, partition = 0): Promise<{ errorCode: number; oldStyleOffsets: number[] }> {
  const res = await c.request(2, 0, { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp, maxNumOffsets }] }] })
  return res.topics[0].partitions[0]
}

async function epochEnd(c: RawClient, version: number, topic: string, leaderEpoch: number, currentLeaderEpoch = -1, partition = 0): Promise<{ errorCode: number; leaderEpoch: number; endOffset: number }> {
  const res = await c.request(23, version, { replicaId: -1, topics: [{ topic, partitions: [{ partition, currentLeaderEpoch, leaderEpoch }] }] })
  const p = res.topics[0].partitions[0]
  return { errorCode: p.errorCode, leaderEpoch: p.leaderEpoch, endOffset: p.endOffset }
}

t.test('ListOffsets v0 lists segment starts newest first; v10 answers like v9', async (t) => {
  const dataDir = tempDir(t)
  const broker = await spawnBroker(['--data-dir', dataDir])
  t.teardown(() => { broker.child.kill('SIGKILL') })
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  await createTopic(c, 'old', 1, { 'segment.bytes': '200' })
  // Each ~100-byte batch: a 200-byte segment holds two, so segments start at 0, 2, 4, 6, 8.
  const stamp = Date.now() - 3_600_000
  for (let i = 0; i < 10; i++) t.equal((await produce(c, 'old', 0, batchOf([`record-${i}-${'x'.repeat(40)}`], { baseTimestamp: stamp + i * 1000 }))).errorCode, 0)

  const latest = await listV0(c, 'old', -1, 100)
  t.equal(latest.errorCode, 0)
  t.equal(latest.oldStyleOffsets[0], 10, 'latest: the log end first')
  t.same(latest.oldStyleOffsets, [...latest.oldStyleOffsets].sort((a, b) => b - a), 'newest first')
  t.ok(latest.oldStyleOffsets.length >= 3 && latest.oldStyleOffsets.at(-1) === 0, `then every segment start down to 0 (${latest.oldStyleOffsets})`)
  t.same((await listV0(c, 'old', -1, 1)).oldStyleOffsets, [10], 'max_num_offsets 1: only the log end')
  t.same((await listV0(c, 'old', -2, 5)).oldStyleOffsets, [0], 'earliest: the log start')
  t.same((await listV0(c, 'old', stamp - 60_000, 5)).oldStyleOffsets, [], 'a time before every record: nothing')
  const midway = await listV0(c, 'old', stamp + 4_500, 10)
  t.ok(midway.oldStyleOffsets.length > 0 && midway.oldStyleOffsets.every((o) => o <= 4), `a time midway: only segments whose records are all older (${midway.oldStyleOffsets})`)
  t.equal((await listV0(c, 'old', -3, 1)).errorCode, ErrorCode.UNSUPPORTED_VERSION, 'v0 knows only -1 and -2 among negative times')
  t.equal((await listV0(c, 'nope', -1, 1)).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)

  const v10 = await c.request(2, 10, { replicaId: -1, isolationLevel: 0, timeoutMs: 1000, topics: [{ name: 'old', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1, maxNumOffsets: 1 }] }] })
  t.same([v10.topics[0].partitions[0].errorCode, v10.topics[0].partitions[0].offset], [0, 10], 'v10 latest')
})

t.test('OffsetForLeaderEpoch: epoch 0 ends at the log end, before and after a restart', async (t) => {
  const dataDir = tempDir(t)
  let broker: ChildBroker = await spawnBroker(['--data-dir', dataDir])
  t.teardown(() => { broker.child.kill('SIGKILL') })
  let c = await RawClient.connect(broker.port)
  await createTopic(c, 'ep', 2)
  for (let i = 0; i < 7; i++) await produce(c, 'ep', 0, batchOf([`m${i}`]))
  // v0 answers carry no leader epoch (it came in v1): the decoder's default, -1.
  for (let v = 0; v <= 4; v++) t.same(await epochEnd(c, v, 'ep', 0), { errorCode: 0, leaderEpoch: v === 0 ? -1 : 0, endOffset: 7 }, `v${v}: epoch 0 ends at the log end`)
  c.close()
  broker.child.kill('SIGTERM')
  t.equal(await broker.exited, 0)
  broker = await spawnBroker(['--data-dir', dataDir])
  c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  const meta = await c.request(3, 9, { topics: [{ name: 'ep', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false })
  t.equal(meta.topics[0].partitions[0].leaderEpoch, 0, 'Metadata still says leader epoch 0 after the restart')
  t.same(await epochEnd(c, 4, 'ep', 0, 0), { errorCode: 0, leaderEpoch: 0, endOffset: 7 }, 'after the restart: no truncation reported for intact data (end offset 7 ≥ any position a consumer held)')
  t.same(await epochEnd(c, 4, 'ep', 0, 0, 1), { errorCode: 0, leaderEpoch: 0, endOffset: 0 }, 'an empty partition ends at 0')
  t.same(await epochEnd(c, 4, 'ep', 3), { errorCode: 0, leaderEpoch: -1, endOffset: -1 }, 'an epoch this partition never had: undefined')
  t.same(await epochEnd(c, 4, 'ep', -1), { errorCode: 0, leaderEpoch: -1, endOffset: -1 }, 'the undefined epoch: undefined')
  t.equal((await epochEnd(c, 4, 'ep', 0, 5)).errorCode, ErrorCode.UNKNOWN_LEADER_EPOCH, 'a current leader epoch ahead of the broker\'s')
  t.equal((await epochEnd(c, 4, 'ep', 0, -7)).errorCode, ErrorCode.FENCED_LEADER_EPOCH, 'a stale current leader epoch')
  t.equal((await epochEnd(c, 1, 'ep', 0, 5)).errorCode, ErrorCode.NONE, 'before v2 there is no current leader epoch to check')
  t.equal((await epochEnd(c, 4, 'nope', 0)).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  t.equal((await epochEnd(c, 4, 'ep', 0, -1, 9)).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'a partition out of range')
})
