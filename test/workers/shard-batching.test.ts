// The threading rule: one Produce or Fetch request becomes at most one task per shard,
// however many partitions it touches.

import t from 'tap'
import { memoryBroker } from '../helpers/broker.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { buildRecordBatch } from '../../protocol/records/record-batch-builder.ts'
import { defaultFetchRequest } from '../../protocol/messages/fetch-request.ts'

t.test('a request over 12 partitions sends at most one task per shard', async (t) => {
  const broker = await memoryBroker(t, { shards: 2 })
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  const created = await c.request(19, 7, { topics: [{ name: 'wide', numPartitions: 12, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false })
  t.equal(created.topics[0].errorCode, 0)

  const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0)
  const partitions = Array.from({ length: 12 }, (_, index) => ({ index, records: buildRecordBatch({ records: [{ value: Buffer.from(`p${index}`) }] }) }))
  let before = broker.stats().shardTasks
  const produced = await c.request(0, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'wide', partitionData: partitions }] })
  t.ok(produced.responses[0].partitionResponses.every((p: { errorCode: number }) => p.errorCode === 0), 'all 12 appended')
  let after = broker.stats().shardTasks
  t.ok(after.every((n, i) => n - before[i]! <= 1), `produce: at most one task per shard (${after.map((n, i) => n - before[i]!)})`)
  t.equal(sum(after) - sum(before), 2, 'and both shards were used')

  const fetch = defaultFetchRequest()
  fetch.maxWaitMs = 0
  fetch.topics = [{ topic: 'wide', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: partitions.map((p) => ({ partition: p.index, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20, replicaDirectoryId: 'AAAAAAAAAAAAAAAAAAAAAA' })) }]
  before = broker.stats().shardTasks
  const fetched = await c.request(1, 12, fetch)
  after = broker.stats().shardTasks
  t.ok(fetched.responses[0].partitions.every((p: { records: Buffer }) => p.records.length > 0), 'every partition returned its batch')
  t.ok(after.every((n, i) => n - before[i]! <= 1), `fetch: at most one task per shard (${after.map((n, i) => n - before[i]!)})`)
})
