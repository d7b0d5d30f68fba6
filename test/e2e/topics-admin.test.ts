// CreateTopics v2-v7 and DeleteTopics v1-v6 as admin clients use them: Kafka's name,
// partition, replication-factor and config rules with their error codes, validate_only,
// topic ids shared with Metadata, deletion removing the data, and the broker switches
// (clampReplicationFactor, deleteTopicEnable, numPartitions). Then a kafkajs round trip.

import t from 'tap'
import { memoryBroker } from '../helpers/broker.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { kafkaClient } from '../helpers/kafkajs-fetch.ts'
import { batchOf, createTopic, fetchOne, patientRequest, produce, ZERO_UUID } from '../helpers/wire-requests.ts'
import { defaultCreateTopicsRequest, defaultCreatableTopic, type CreatableTopic } from '../../protocol/messages/create-topics-request.ts'
import type { CreateTopicsResponse, CreatableTopicResult } from '../../protocol/messages/create-topics-response.ts'
import { defaultDeleteTopicsRequest } from '../../protocol/messages/delete-topics-request.ts'
import type { DeleteTopicsResponse, DeletableTopicResult } from '../../protocol/messages/delete-topics-response.ts'
import { defaultMetadataRequest } from '../../protocol/messages/metadata-request.ts'
import type { MetadataResponse } from '../../protocol/messages/metadata-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'

const CREATE_VERSIONS = [2, 3, 4, 5, 6, 7]
const DELETE_VERSIONS = [1, 2, 3, 4, 5, 6]

function topic(name: string, partitions = 1, replicationFactor = 1, configs: Record<string, string> = {}): CreatableTopic {
  return { ...defaultCreatableTopic(), name, numPartitions: partitions, replicationFactor, configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })) }
}

async function create(c: RawClient, version: number, topics: CreatableTopic[], validateOnly = false): Promise<CreatableTopicResult[]> {
  const req = { ...defaultCreateTopicsRequest(), topics, validateOnly }
  return (await patientRequest<CreateTopicsResponse>(c, 19, version, req)).topics
}

async function deleteByName(c: RawClient, version: number, names: string[]): Promise<DeletableTopicResult[]> {
  const req = defaultDeleteTopicsRequest()
  req.timeoutMs = 5000
  if (version >= 6) req.topics = names.map((name) => ({ name, topicId: ZERO_UUID }))
  else req.topicNames = names
  return (await c.request<DeleteTopicsResponse>(20, version, req)).responses
}

async function deleteById(c: RawClient, ids: string[]): Promise<DeletableTopicResult[]> {
  const req = defaultDeleteTopicsRequest()
  req.timeoutMs = 5000
  req.topics = ids.map((topicId) => ({ name: null, topicId }))
  return (await c.request<DeleteTopicsResponse>(20, 6, req)).responses
}

async function metadata(c: RawClient, names: string[] | null, version = 12) {
  const req = { ...defaultMetadataRequest(), allowAutoTopicCreation: false, topics: names === null ? null : names.map((name) => ({ topicId: ZERO_UUID, name })) }
  return c.request<MetadataResponse>(3, version, req)
}

async function topicNames(c: RawClient): Promise<string[]> {
  return (await metadata(c, null)).topics.map((x) => x.name!).sort()
}

t.test('CreateTopics', async (t) => {
  const broker = await memoryBroker(t, { numPartitions: 4 })
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())

  for (const v of CREATE_VERSIONS) {
    await t.test(`v${v}`, async (t) => {
      let [r] = await create(c, v, [topic(`ok-v${v}`, 2)])
      t.equal(r!.errorCode, ErrorCode.NONE, 'created')
      t.equal(r!.name, `ok-v${v}`)
      if (v >= 5) {
        t.equal(r!.numPartitions, 2, 'v5+: partition count')
        t.equal(r!.replicationFactor, 1, 'v5+: replication factor')
      }
      if (v >= 7) t.not(r!.topicId, ZERO_UUID, 'v7: a topic id')
      const meta = await metadata(c, [`ok-v${v}`])
      t.equal(meta.topics[0]!.errorCode, 0, 'visible in Metadata')
      t.equal(meta.topics[0]!.partitions.length, 2, 'with its partitions')
      t.ok(meta.topics[0]!.partitions.every((p) => p.errorCode === 0 && p.leaderId === broker.nodeId), 'each led by this broker at once')

      ;[r] = await create(c, v, [topic(`ok-v${v}`, 2)])
      t.equal(r!.errorCode, ErrorCode.TOPIC_ALREADY_EXISTS, 'again: TOPIC_ALREADY_EXISTS')

      const illegal = ['', '.', '..', 'a b', 'a/b', 'é', 'x'.repeat(250)]
      const results = await create(c, v, illegal.map((n) => topic(n)))
      t.same(results.map((x) => x.errorCode), illegal.map(() => ErrorCode.INVALID_TOPIC_EXCEPTION), 'illegal names: INVALID_TOPIC_EXCEPTION')
      ;[r] = await create(c, v, [topic('x'.repeat(249).slice(0, 248) + `${v}`)])
      t.equal(r!.errorCode, ErrorCode.NONE, '249 characters are fine')
    })
  }

  await t.test('names that collide by "." and "_"', async (t) => {
    await createTopic(c, 'metrics.cpu')
    const results = await create(c, 7, [topic('metrics_cpu'), topic('metrics.cpu.x')])
    t.equal(results[0]!.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION, 'metrics_cpu collides with metrics.cpu')
    t.match(results[0]!.errorMessage, /collides/)
    t.equal(results[1]!.errorCode, ErrorCode.NONE, 'an unrelated name is fine')
    t.notOk((await topicNames(c)).includes('metrics_cpu'), 'not created')
  })

  await t.test('partitions and replication factor', async (t) => {
    let results = await create(c, 7, [topic('zero-parts', 0), topic('neg-parts', -2)])
    t.same(results.map((x) => x.errorCode), [ErrorCode.INVALID_PARTITIONS, ErrorCode.INVALID_PARTITIONS], '0 and -2 partitions: INVALID_PARTITIONS')

    const [dflt] = await create(c, 7, [topic('default-parts', -1, -1)])
    t.equal(dflt!.errorCode, ErrorCode.NONE, '-1 partitions and -1 replication factor are accepted')
    t.equal(dflt!.numPartitions, 4, 'the broker default num.partitions')
    t.equal(dflt!.replicationFactor, 1)
    t.equal((await metadata(c, ['default-parts'])).topics[0]!.partitions.length, 4, 'and Metadata agrees')

    results = await create(c, 7, [topic('rf3', 1, 3), topic('rf0', 1, 0)])
    t.same(results.map((x) => x.errorCode), [ErrorCode.INVALID_REPLICATION_FACTOR, ErrorCode.INVALID_REPLICATION_FACTOR], 'replication factor 3 and 0: INVALID_REPLICATION_FACTOR')
    t.notOk((await topicNames(c)).some((n) => n.startsWith('rf')), 'nothing created')

    // One node opening a log per partition caps a topic at 10,000 partitions.
    results = await create(c, 7, [topic('too-wide', 10_001)])
    t.equal(results[0]!.errorCode, ErrorCode.INVALID_PARTITIONS, '10,001 partitions: INVALID_PARTITIONS')
    t.match(results[0]!.errorMessage, /must not exceed 10000/)
    results = await create(c, 7, [topic('wide-check', 10_000)], true)
    t.equal(results[0]!.errorCode, ErrorCode.NONE, '10,000 partitions pass validation (validate_only)')
    t.notOk((await topicNames(c)).some((n) => n === 'too-wide' || n === 'wide-check'), 'nothing created')
  })

  await t.test('configs', async (t) => {
    const bad: Array<[string, string]> = [
      ['segment.bytes', 'abc'],
      ['segment.bytes', '1'],
      ['retention.ms', '-5'],
      ['message.timestamp.type', 'Sometime'],
      ['cleanup.policy', 'shred'],
      ['no.such.config', '1'],
    ]
    for (const [key, value] of bad) {
      const [r] = await create(c, 7, [topic('cfg', 1, 1, { [key]: value })])
      t.equal(r!.errorCode, ErrorCode.INVALID_CONFIG, `${key}=${value}: INVALID_CONFIG`)
      t.match(r!.errorMessage, key, 'the message names the key')
    }
    t.notOk((await topicNames(c)).includes('cfg'), 'nothing created')

    const [r] = await create(c, 7, [topic('cfg', 1, 1, { 'segment.bytes': '1048576', 'cleanup.policy': 'compact', 'retention.ms': '-1' })])
    t.equal(r!.errorCode, ErrorCode.NONE, 'valid configs are accepted')
    const configs = Object.fromEntries((r!.configs ?? []).map((x) => [x.name, x.value]))
    t.match(configs, { 'segment.bytes': '1048576', 'cleanup.policy': 'compact', 'retention.ms': '-1' }, 'and reported back (v5+)')
  })

  await t.test(
    'v5+ answers with the effective configs, defaults included',
    async (t) => {
      const [r] = await create(c, 7, [topic('effective', 1, 1, { 'retention.ms': '1000' })])
      const configs = new Map((r!.configs ?? []).map((x) => [x.name, x]))
      t.equal(configs.get('retention.ms')?.value, '1000')
      t.equal(configs.get('segment.bytes')?.value, '1073741824', 'an unset config with its default value')
      t.equal(configs.get('segment.bytes')?.configSource, 5, 'source DEFAULT_CONFIG')
    },
  )

  await t.test('validate_only checks everything and creates nothing', async (t) => {
    for (const v of CREATE_VERSIONS) {
      const results = await create(c, v, [topic(`dry-v${v}`, 3), topic(`dry-bad-v${v}`, 0), topic('metrics.cpu')], true)
      t.same(results.map((x) => x.errorCode), [ErrorCode.NONE, ErrorCode.INVALID_PARTITIONS, ErrorCode.TOPIC_ALREADY_EXISTS], `v${v}: the same answers as a real create`)
      if (v >= 5) t.equal(results[0]!.numPartitions, 3)
      t.notOk((await topicNames(c)).includes(`dry-v${v}`), `v${v}: not created`)
    }
  })

  await t.test('a name given twice in one request is refused for every copy', async (t) => {
    const results = await create(c, 7, [topic('twice'), topic('once'), topic('twice', 2)])
    t.same(results.map((x) => [x.name, x.errorCode]), [['twice', ErrorCode.INVALID_REQUEST], ['once', ErrorCode.NONE], ['twice', ErrorCode.INVALID_REQUEST]])
    const names = await topicNames(c)
    t.ok(names.includes('once') && !names.includes('twice'))
  })

  await t.test('the v7 topic id is the one Metadata reports', async (t) => {
    const [r] = await create(c, 7, [topic('with-id', 1)])
    for (const v of [10, 11, 12]) {
      const meta = await metadata(c, ['with-id'], v)
      t.equal(meta.topics[0]!.topicId, r!.topicId, `Metadata v${v}`)
    }
    const all = await metadata(c, null)
    const ids = all.topics.map((x) => x.topicId)
    t.equal(new Set(ids).size, ids.length, 'every topic has its own id')
  })
})

t.test('replication factor with clampReplicationFactor', async (t) => {
  const broker = await memoryBroker(t, { clampReplicationFactor: true })
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  const [r] = await create(c, 7, [topic('rf3', 2, 3)])
  t.equal(r!.errorCode, ErrorCode.NONE, 'replication factor 3 is accepted')
  t.equal(r!.replicationFactor, 1, 'and reported as the 1 it really is')
  const meta = await metadata(c, ['rf3'])
  t.same(meta.topics[0]!.partitions.map((p) => p.replicaNodes), [[broker.nodeId], [broker.nodeId]], 'one replica per partition')
  // Clamping is for factors above 1; values Kafka never accepts stay refused.
  const refused = await create(c, 7, [topic('rf0', 1, 0), topic('rf-2', 1, -2)])
  t.same(refused.map((x) => x.errorCode), [ErrorCode.INVALID_REPLICATION_FACTOR, ErrorCode.INVALID_REPLICATION_FACTOR], 'replication factor 0 and -2: INVALID_REPLICATION_FACTOR')
})

t.test('DeleteTopics', async (t) => {
  const broker = await memoryBroker(t)
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())

  for (const v of DELETE_VERSIONS) {
    await t.test(`v${v} by name`, async (t) => {
      const name = `del-v${v}`
      await createTopic(c, name, 2)
      await produce(c, name, 0, batchOf(['a', 'b', 'c']))
      t.equal((await fetchOne(c, name, 0, 0)).highWatermark, 3)

      const [r] = await deleteByName(c, v, [name])
      t.equal(r!.errorCode, ErrorCode.NONE, 'deleted')
      t.equal(r!.name, name)
      t.notOk((await topicNames(c)).includes(name), 'gone from Metadata')
      t.equal((await metadata(c, [name])).topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'asking for it: UNKNOWN_TOPIC_OR_PARTITION')
      t.equal((await fetchOne(c, name, 0, 0)).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'fetching it: UNKNOWN_TOPIC_OR_PARTITION')
      t.equal((await produce(c, name, 0, batchOf(['x']))).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'producing to it: UNKNOWN_TOPIC_OR_PARTITION')

      // Recreated, it starts from nothing.
      await createTopic(c, name, 2)
      const p = await fetchOne(c, name, 0, 0)
      t.equal(p.highWatermark, 0, 'a recreated topic is empty')
      t.equal(p.records?.length ?? 0, 0)
      t.equal((await produce(c, name, 0, batchOf(['new']))).baseOffset, 0, 'and offsets start at 0 again')

      const [unknown] = await deleteByName(c, v, ['never-existed'])
      t.equal(unknown!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'an unknown topic: UNKNOWN_TOPIC_OR_PARTITION')
      if (v < 6) {
        // v1-5 only name topics: an empty name is a name no topic has, not a lookup by id.
        const [empty] = await deleteByName(c, v, [''])
        t.equal(empty!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'an empty name: UNKNOWN_TOPIC_OR_PARTITION')
        t.equal(empty!.name, '', 'answered under the name asked for')
      }
    })
  }

  await t.test('v6 by topic id', async (t) => {
    const id = await createTopic(c, 'by-id', 1)
    await produce(c, 'by-id', 0, batchOf(['a']))
    const [r] = await deleteById(c, [id])
    t.equal(r!.errorCode, ErrorCode.NONE, 'deleted')
    t.equal(r!.name, 'by-id', 'the answer names it')
    t.equal(r!.topicId, id)
    t.notOk((await topicNames(c)).includes('by-id'), 'gone from Metadata')

    const [again] = await deleteById(c, [id])
    t.equal(again!.errorCode, ErrorCode.UNKNOWN_TOPIC_ID, 'its id again: UNKNOWN_TOPIC_ID')
    const [random] = await deleteById(c, ['AAAAAAAAAAAAAAAAAAAAAQ'])
    t.equal(random!.errorCode, ErrorCode.UNKNOWN_TOPIC_ID, 'a made-up id: UNKNOWN_TOPIC_ID')
  })

  await t.test(
    'v6: naming a topic both by name and by id is refused',
    async (t) => {
      await createTopic(c, 'both-a')
      const idB = await createTopic(c, 'both-b')
      const req = defaultDeleteTopicsRequest()
      req.topics = [{ name: 'both-a', topicId: idB }]
      const [r] = (await c.request<DeleteTopicsResponse>(20, 6, req)).responses
      t.equal(r!.errorCode, ErrorCode.INVALID_REQUEST)
      const names = await topicNames(c)
      t.ok(names.includes('both-a') && names.includes('both-b'), 'both topics remain')
    },
  )

  await t.test(
    'v6: a topic named twice in one request is refused, not deleted',
    async (t) => {
      await createTopic(c, 'dup-del')
      const req = defaultDeleteTopicsRequest()
      req.topics = [{ name: 'dup-del', topicId: ZERO_UUID }, { name: 'dup-del', topicId: ZERO_UUID }]
      const results = (await c.request<DeleteTopicsResponse>(20, 6, req)).responses
      t.ok(results.length >= 1 && results.every((r) => r.errorCode === ErrorCode.INVALID_REQUEST), 'INVALID_REQUEST')
      t.ok((await topicNames(c)).includes('dup-del'), 'the topic remains')
    },
  )

  await t.test('several topics in one request', async (t) => {
    await createTopic(c, 'multi-a')
    await createTopic(c, 'multi-b')
    const results = await deleteByName(c, 4, ['multi-a', 'nope', 'multi-b'])
    t.same(results.map((x) => [x.name, x.errorCode]), [['multi-a', 0], ['nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION], ['multi-b', 0]])
    const names = await topicNames(c)
    t.notOk(names.includes('multi-a') || names.includes('multi-b'))
  })
})

t.test('deleteTopicEnable: false', async (t) => {
  const broker = await memoryBroker(t, { deleteTopicEnable: false })
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  const id = await createTopic(c, 'keep')
  await produce(c, 'keep', 0, batchOf(['a']))
  for (const v of DELETE_VERSIONS) {
    const [r] = await deleteByName(c, v, ['keep'])
    t.equal(r!.errorCode, ErrorCode.TOPIC_DELETION_DISABLED, `v${v}: TOPIC_DELETION_DISABLED`)
  }
  const [byId] = await deleteById(c, [id])
  t.equal(byId!.errorCode, ErrorCode.TOPIC_DELETION_DISABLED, 'by id too')
  t.ok((await topicNames(c)).includes('keep'), 'the topic is still there')
  t.equal((await fetchOne(c, 'keep', 0, 0)).highWatermark, 1, 'with its data')
})

t.test('kafkajs admin round trip', async (t) => {
  const broker = await memoryBroker(t)
  const admin = kafkaClient(broker.port).admin()
  await admin.connect()
  t.teardown(() => admin.disconnect())
  t.equal(await admin.createTopics({ topics: [{ topic: 'kjs-a', numPartitions: 3 }, { topic: 'kjs-b' }], waitForLeaders: true }), true, 'created')
  t.same((await admin.listTopics()).sort(), ['kjs-a', 'kjs-b'], 'listed')
  const meta = await admin.fetchTopicMetadata({ topics: ['kjs-a'] })
  t.equal(meta.topics[0]!.partitions.length, 3)
  const refused = await admin.createTopics({ topics: [{ topic: 'bad name' }] }).then(() => null, (err: { errors?: Array<{ type: string }> }) => err)
  t.same(refused?.errors?.map((e) => e.type), ['INVALID_TOPIC_EXCEPTION'], 'an illegal name is refused')
  await admin.deleteTopics({ topics: ['kjs-a'] })
  t.same(await admin.listTopics(), ['kjs-b'], 'deleted')
  t.equal(await admin.createTopics({ topics: [{ topic: 'kjs-a', numPartitions: 1 }] }), true, 'recreated')
  t.same((await admin.listTopics()).sort(), ['kjs-a', 'kjs-b'])
})
