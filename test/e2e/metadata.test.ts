// Metadata v0-v12 as clients rely on it: which topics a request means, this broker as
// the only broker and the controller, a stable cluster id, topic ids, and when unknown
// topics are (and are not) auto-created.

import t from 'tap'
import { memoryBroker } from '../helpers/broker.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { createTopic, patientRequest, ZERO_UUID } from '../helpers/wire-requests.ts'
import { defaultMetadataRequest, type MetadataRequest } from '../../protocol/messages/metadata-request.ts'
import type { MetadataResponse } from '../../protocol/messages/metadata-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'

const ALL_VERSIONS = Array.from({ length: 13 }, (_, v) => v)

function request(names: string[] | null, allowAutoTopicCreation = true): MetadataRequest {
  return { ...defaultMetadataRequest(), allowAutoTopicCreation, topics: names === null ? null : names.map((name) => ({ topicId: ZERO_UUID, name })) }
}

async function metadata(c: RawClient, version: number, names: string[] | null, allowAutoTopicCreation = true): Promise<MetadataResponse> {
  return patientRequest<MetadataResponse>(c, 3, version, request(names, allowAutoTopicCreation))
}

/** Lists every topic without creating anything. */
async function allTopics(c: RawClient): Promise<string[]> {
  return (await metadata(c, 12, null)).topics.map((x) => x.name!).sort()
}

t.test('which topics a request means', async (t) => {
  const broker = await memoryBroker(t)
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  await createTopic(c, 'alpha', 2)
  await createTopic(c, 'beta', 1)

  const v0 = await metadata(c, 0, [])
  t.same(v0.topics.map((x) => x.name).sort(), ['alpha', 'beta'], 'v0: an empty list means every topic')
  for (const v of ALL_VERSIONS.filter((v) => v >= 1)) {
    const all = await metadata(c, v, null)
    t.same(all.topics.map((x) => x.name).sort(), ['alpha', 'beta'], `v${v}: null means every topic`)
    const none = await metadata(c, v, [])
    t.same(none.topics, [], `v${v}: an empty list means none`)
    const one = await metadata(c, v, ['beta'])
    t.same(one.topics.map((x) => x.name), ['beta'], `v${v}: a list means those`)
  }
  t.same(await allTopics(c), ['alpha', 'beta'], 'and none of that created anything')

  const alpha = (await metadata(c, 1, ['alpha'])).topics[0]!
  t.same(
    alpha.partitions.map((p) => [p.partitionIndex, p.errorCode, p.leaderId, p.replicaNodes, p.isrNodes]),
    [0, 1].map((i) => [i, 0, broker.nodeId, [broker.nodeId], [broker.nodeId]]),
    'each partition: led, replicated and in sync on this broker',
  )
  t.equal(alpha.isInternal, false)
})

t.test('brokers, controller and cluster id', async (t) => {
  const broker = await memoryBroker(t, { nodeId: 7 })
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  let clusterId: string | null = null
  for (const v of ALL_VERSIONS) {
    const res = await metadata(c, v, [])
    t.same(res.brokers.map((b) => [b.nodeId, b.host, b.port]), [[7, '127.0.0.1', broker.port]], `v${v}: this broker with its advertised address`)
    if (v >= 1) {
      t.equal(res.controllerId, 7, `v${v}: controller is this broker`)
      t.ok(res.brokers.some((b) => b.nodeId === res.controllerId), `v${v}: and it is listed`)
    }
    if (v >= 2) {
      t.type(res.clusterId, 'string', `v${v}: a cluster id`)
      t.ok(res.clusterId!.length > 0)
      clusterId ??= res.clusterId
      t.equal(res.clusterId, clusterId, `v${v}: the same one every time`)
    }
  }
  t.equal(clusterId, broker.clusterId, 'the broker\'s own cluster id')
})

t.test('advertised host and port', async (t) => {
  const broker = await memoryBroker(t, { advertisedHost: 'kafka.example', advertisedPort: 19092 })
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  const res = await metadata(c, 12, [])
  t.same(res.brokers.map((b) => [b.host, b.port]), [['kafka.example', 19092]], 'what clients are told to connect to')
})

t.test('topic ids', async (t) => {
  const broker = await memoryBroker(t)
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  const id = await createTopic(c, 'ided')
  await createTopic(c, 'other')
  for (const v of [10, 11, 12]) {
    const res = await metadata(c, v, null)
    const ids = res.topics.map((x) => x.topicId)
    t.ok(ids.every((x) => x !== ZERO_UUID), `v${v}: every topic id is non-zero`)
    t.equal(new Set(ids).size, 2, `v${v}: and distinct`)
    t.equal(res.topics.find((x) => x.name === 'ided')!.topicId, id, `v${v}: the id CreateTopics gave`)
  }
  const byId = await c.request<MetadataResponse>(3, 12, { ...defaultMetadataRequest(), topics: [{ topicId: id, name: null }] })
  t.equal(byId.topics[0]!.name, 'ided', 'v12: a topic asked for by id')
  const unknownId = await c.request<MetadataResponse>(3, 12, { ...defaultMetadataRequest(), topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', name: null }] })
  t.equal(unknownId.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_ID, 'an unknown id: UNKNOWN_TOPIC_ID')
})

t.test('auto-creation', async (t) => {
  const broker = await memoryBroker(t, { numPartitions: 3 })
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())

  for (const v of ALL_VERSIONS) {
    const name = `auto-v${v}`
    const res = await metadata(c, v, [name])
    const topic = res.topics[0]!
    t.equal(topic.errorCode, ErrorCode.NONE, `v${v}: created, ready at once (no LEADER_NOT_AVAILABLE)`)
    t.equal(topic.partitions.length, 3, `v${v}: with num.partitions`)
    t.ok(topic.partitions.every((p) => p.errorCode === 0 && p.leaderId === broker.nodeId), `v${v}: every partition has its leader`)
  }
  t.equal((await allTopics(c)).length, ALL_VERSIONS.length, 'all of them exist')

  for (const v of [4, 9, 12]) {
    const res = await metadata(c, v, [`not-allowed-v${v}`], false)
    t.equal(res.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `v${v}: allow_auto_topic_creation=false: UNKNOWN_TOPIC_OR_PARTITION`)
    t.same(res.topics[0]!.partitions, [])
  }
  t.notOk((await allTopics(c)).some((n) => n.startsWith('not-allowed')), 'and not created')

  for (const v of [1, 4, 12]) {
    const res = await metadata(c, v, ['__internal_like', '__consumer_offsets_x'])
    t.same(res.topics.map((x) => x.errorCode), [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION], `v${v}: names starting "__" are not auto-created`)
  }
  t.notOk((await allTopics(c)).some((n) => n.startsWith('__')), 'none of them exist')

  // Concurrent requests for one new topic all succeed and create it once.
  const clients = await Promise.all([1, 2, 3, 4].map(() => RawClient.connect(broker.port)))
  t.teardown(() => clients.forEach((x) => x.close()))
  const answers = await Promise.all(clients.map((x) => metadata(x, 12, ['racy'])))
  t.same(answers.map((a) => [a.topics[0]!.errorCode, a.topics[0]!.partitions.length]), clients.map(() => [0, 3]), 'every racer sees it ready')
  t.equal(new Set(answers.map((a) => a.topics[0]!.topicId)).size, 1, 'one topic, one id')
})

t.test('invalid names', async (t) => {
  const broker = await memoryBroker(t)
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  const invalid = ['a b', 'x'.repeat(250), '..', 'bad/name', 'ü']
  for (const v of [0, 1, 4, 9, 12]) {
    const res = await metadata(c, v, invalid)
    t.same(res.topics.map((x) => x.errorCode), invalid.map(() => ErrorCode.INVALID_TOPIC_EXCEPTION), `v${v}: INVALID_TOPIC_EXCEPTION`)
    t.same(res.topics.map((x) => x.name), invalid, `v${v}: each named in the answer`)
  }
  const res = await metadata(c, 12, ['a b'], false)
  t.equal(res.topics[0]!.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION, 'also when auto-creation is not allowed')
  t.same(await allTopics(c), [], 'nothing created')
})

t.test(
  'an empty topic name before v10 is an invalid name, not a topic id',
  async (t) => {
    const broker = await memoryBroker(t)
    const c = await RawClient.connect(broker.port)
    t.teardown(() => c.close())
    for (const v of [0, 1, 4, 9]) {
      const res = await metadata(c, v, [''])
      t.equal(res.topics[0]!.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION, `v${v}`)
    }
  },
)

t.test('autoCreateTopics: false', async (t) => {
  const broker = await memoryBroker(t, { autoCreateTopics: false })
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  for (const v of [0, 1, 3, 4, 12]) {
    const res = await metadata(c, v, [`wanted-v${v}`], true)
    t.equal(res.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `v${v}: UNKNOWN_TOPIC_OR_PARTITION even when the request allows creation`)
  }
  t.same(await allTopics(c), [], 'nothing created')
})
