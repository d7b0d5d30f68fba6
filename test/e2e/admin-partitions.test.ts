// Growing topics and the partition-placement admin APIs of a one-broker cluster, as Kafka
// 4's controller answers them: CreatePartitions v0-3 (raw wire, kafkajs, Python
// confluent-kafka; new partitions served at once and kept across a restart), CreateTopics
// manual assignments and -1/-1 defaults, ElectLeaders v0-2, AlterPartitionReassignments v0
// and ListPartitionReassignments v0 (raw wire and kafkajs), and bad input that must
// change nothing.

import t from 'tap'
import { join } from 'node:path'
import { memoryBroker, repoRoot, spawnBroker, tempDir } from '../helpers/broker.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { kafkaClient } from '../helpers/kafkajs-fetch.ts'
import { lastJsonLine, run, systemPython } from '../helpers/external.ts'
import { batchOf, createTopic, decodeFrame, fetchOne, patientRequest, produce, ZERO_UUID } from '../helpers/wire-requests.ts'
import type { CreatePartitionsRequest } from '../../protocol/messages/create-partitions-request.ts'
import type { CreatePartitionsResponse, CreatePartitionsTopicResult } from '../../protocol/messages/create-partitions-response.ts'
import { defaultCreateTopicsRequest, defaultCreatableTopic, type CreatableTopic } from '../../protocol/messages/create-topics-request.ts'
import type { CreateTopicsResponse, CreatableTopicResult } from '../../protocol/messages/create-topics-response.ts'
import type { ElectLeadersResponse } from '../../protocol/messages/elect-leaders-response.ts'
import type { AlterPartitionReassignmentsResponse } from '../../protocol/messages/alter-partition-reassignments-response.ts'
import type { ListPartitionReassignmentsResponse } from '../../protocol/messages/list-partition-reassignments-response.ts'
import { defaultMetadataRequest } from '../../protocol/messages/metadata-request.ts'
import type { MetadataResponse } from '../../protocol/messages/metadata-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'

const CREATE_PARTITIONS_VERSIONS = [0, 1, 2, 3]
const CREATE_TOPICS_VERSIONS = [2, 3, 4, 5, 6, 7]
const ELECT_LEADERS_VERSIONS = [0, 1, 2]

type Grow = { name: string; count: number; assignments?: number[][] | null }

async function grow(c: RawClient, version: number, topics: Grow[], validateOnly = false): Promise<CreatePartitionsTopicResult[]> {
  const req: CreatePartitionsRequest = {
    topics: topics.map((x) => ({ name: x.name, count: x.count, assignments: x.assignments === undefined || x.assignments === null ? null : x.assignments.map((brokerIds) => ({ brokerIds })) })),
    timeoutMs: 5000,
    validateOnly,
  }
  return (await patientRequest<CreatePartitionsResponse>(c, 37, version, req)).results
}

async function metadata(c: RawClient, names: string[] | null): Promise<MetadataResponse> {
  const req = { ...defaultMetadataRequest(), allowAutoTopicCreation: false, topics: names === null ? null : names.map((name) => ({ topicId: ZERO_UUID, name })) }
  return c.request<MetadataResponse>(3, 12, req)
}

async function partitionCount(c: RawClient, name: string): Promise<number> {
  const meta = await metadata(c, [name])
  return meta.topics[0]!.errorCode === 0 ? meta.topics[0]!.partitions.length : -1
}

async function topicNames(c: RawClient): Promise<string[]> {
  return (await metadata(c, null)).topics.map((x) => x.name!).sort()
}

function creatable(name: string, numPartitions: number, replicationFactor: number, assignments: Array<[number, number[]]> = []): CreatableTopic {
  return { ...defaultCreatableTopic(), name, numPartitions, replicationFactor, assignments: assignments.map(([partitionIndex, brokerIds]) => ({ partitionIndex, brokerIds })) }
}

async function createTopics(c: RawClient, version: number, topics: CreatableTopic[], validateOnly = false): Promise<CreatableTopicResult[]> {
  return (await patientRequest<CreateTopicsResponse>(c, 19, version, { ...defaultCreateTopicsRequest(), topics, validateOnly })).topics
}

const brief = (r: { errorCode: number; errorMessage: string | null }): [number, string | null] => [r.errorCode, r.errorMessage]

t.test('CreatePartitions on the raw wire, every version', async (t) => {
  const broker = await memoryBroker(t)
  const node = broker.nodeId
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())

  for (const v of CREATE_PARTITIONS_VERSIONS) {
    await t.test(`v${v}`, async (t) => {
      const name = `grow-v${v}`
      await createTopic(c, name, 1)
      t.equal((await produce(c, name, 0, batchOf(['old']))).errorCode, 0)

      let [r] = await grow(c, v, [{ name, count: 3 }])
      t.same(brief(r!), [ErrorCode.NONE, null], 'grown to 3')
      t.equal(r!.name, name)
      const meta = await metadata(c, [name])
      t.same(meta.topics[0]!.partitions.map((p) => [p.partitionIndex, p.leaderId, p.replicaNodes]), [0, 1, 2].map((p) => [p, node, [node]]), 'Metadata lists 3 partitions, each led by this broker')

      const produced = await produce(c, name, 2, batchOf(['new-2']))
      t.same([produced.errorCode, produced.baseOffset], [0, 0], 'the new partition takes records at once, from offset 0')
      const fetched = await fetchOne(c, name, 2, 0)
      t.equal(fetched.errorCode, 0)
      t.equal(fetched.highWatermark, 1, 'and serves them')
      t.ok(fetched.records?.toString('latin1').includes('new-2'), 'the record written there')
      t.equal((await fetchOne(c, name, 0, 0)).highWatermark, 1, 'the old partition keeps its record')

      ;[r] = await grow(c, v, [{ name, count: 3 }])
      t.same(brief(r!), [ErrorCode.INVALID_PARTITIONS, 'Topic already has 3 partition(s).'], 'the same count: INVALID_PARTITIONS')
      ;[r] = await grow(c, v, [{ name, count: 2 }])
      t.same(brief(r!), [ErrorCode.INVALID_PARTITIONS, `The topic ${name} currently has 3 partition(s); 2 would not be an increase.`], 'fewer: INVALID_PARTITIONS')
      ;[r] = await grow(c, v, [{ name, count: -1 }])
      t.same(brief(r!), [ErrorCode.INVALID_PARTITIONS, `The topic ${name} currently has 3 partition(s); -1 would not be an increase.`], 'a negative count: INVALID_PARTITIONS')

      ;[r] = await grow(c, v, [{ name, count: 5 }], true)
      t.same(brief(r!), [ErrorCode.NONE, null], 'validate_only: accepted')
      t.equal(await partitionCount(c, name), 3, 'validate_only changes nothing')
      t.equal((await produce(c, name, 3, batchOf(['x']))).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'a partition validate_only "added" does not exist')
      ;[r] = await grow(c, v, [{ name, count: 3 }], true)
      t.same(brief(r!), [ErrorCode.INVALID_PARTITIONS, 'Topic already has 3 partition(s).'], 'validate_only gives the same errors')

      ;[r] = await grow(c, v, [{ name: `no-such-${v}`, count: 2 }])
      t.same(brief(r!), [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null], 'an unknown topic: UNKNOWN_TOPIC_OR_PARTITION')
      t.notOk((await topicNames(c)).includes(`no-such-${v}`), 'and it is not created')
    })
  }

  await t.test('several topics, one named twice', async (t) => {
    await createTopic(c, 'dup-a', 1)
    await createTopic(c, 'dup-b', 1)
    const results = await grow(c, 3, [{ name: 'dup-a', count: 2 }, { name: 'dup-b', count: 4 }, { name: 'dup-a', count: 3 }])
    t.same(results.map((x) => [x.name, x.errorCode, x.errorMessage]), [['dup-a', ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'], ['dup-b', ErrorCode.NONE, null]], 'one INVALID_REQUEST for the duplicated name, first; the other topic grows')
    t.equal(await partitionCount(c, 'dup-a'), 1, 'the duplicated topic is untouched')
    t.equal(await partitionCount(c, 'dup-b'), 4)
  })

  await t.test('assignments must name this broker, one replica per new partition', async (t) => {
    await createTopic(c, 'placed', 1)
    let results = await grow(c, 3, [{ name: 'placed', count: 3, assignments: [[node], [node]] }])
    t.same(brief(results[0]!), [ErrorCode.NONE, null], '[this node] for each new partition is accepted')
    t.equal(await partitionCount(c, 'placed'), 3)

    const bad: Array<[string, number[][], string]> = [
      ['too few', [[node]], 'Attempted to add 2 additional partition(s), but only 1 assignment(s) were specified.'],
      ['too many', [[node], [node], [node]], 'Attempted to add 2 additional partition(s), but only 3 assignment(s) were specified.'],
      ['another broker', [[node], [node + 7]], `The manual partition assignment includes broker ${node + 7}, but no such broker is registered.`],
      ['this broker and another', [[node, node + 1], [node]], `The manual partition assignment includes broker ${node + 1}, but no such broker is registered.`],
      ['this broker twice', [[node, node], [node]], `The manual partition assignment includes the broker ${node} more than once.`],
      ['no replica', [[], [node]], 'The manual partition assignment includes an empty replica list.'],
    ]
    for (const [what, assignments, message] of bad) {
      for (const validateOnly of [false, true]) {
        results = await grow(c, 3, [{ name: 'placed', count: 5, assignments }], validateOnly)
        t.same(brief(results[0]!), [ErrorCode.INVALID_REPLICA_ASSIGNMENT, message], `${what}${validateOnly ? ' (validate_only)' : ''}: INVALID_REPLICA_ASSIGNMENT`)
      }
    }
    t.equal(await partitionCount(c, 'placed'), 3, 'nothing was added')
  })

  await t.test('at most 10,000 partitions per topic', async (t) => {
    await createTopic(c, 'capped', 1)
    const [r] = await grow(c, 2, [{ name: 'capped', count: 10_001 }])
    t.same(brief(r!), [ErrorCode.INVALID_PARTITIONS, 'Number of partitions must not exceed 10000.'])
    const [ok] = await grow(c, 2, [{ name: 'capped', count: 10_000 }], true)
    t.same(brief(ok!), [ErrorCode.NONE, null], '10,000 passes validate_only')
    t.equal(await partitionCount(c, 'capped'), 1, 'nothing was added')
  })

  await t.test('growths racing on one topic are judged one after the other', async (t) => {
    await createTopic(c, 'raced', 1)
    // Eight requests pipelined in one write, which the broker handles concurrently: four
    // grow to 9, four to 5.
    const counts = [9, 5, 9, 5, 9, 5, 9, 5]
    const frames = counts.map((count, i) => c.frameFor(37, 3, { topics: [{ name: 'raced', count, assignments: null }], timeoutMs: 5000, validateOnly: false }, 500 + i))
    const pending = counts.map(() => c.nextFrame())
    c.write(Buffer.concat(frames))
    const answers = (await Promise.all(pending)).map((f, i) => {
      const { correlationId, body } = decodeFrame<CreatePartitionsResponse>(f!, 37, 3)
      t.equal(correlationId, 500 + i, `answer ${i} in request order`)
      return body.results[0]!
    })
    const grownTo9 = answers.filter((r, i) => counts[i] === 9 && r.errorCode === ErrorCode.NONE).length
    const grownTo5 = answers.filter((r, i) => counts[i] === 5 && r.errorCode === ErrorCode.NONE).length
    t.equal(grownTo9, 1, 'one growth to 9 succeeds; the others find 9 already there')
    t.ok(grownTo5 <= 1, 'at most one growth to 5 succeeds (only if it came before the growth to 9)')
    t.ok(answers.every((r) => r.errorCode === ErrorCode.NONE || r.errorCode === ErrorCode.INVALID_PARTITIONS), 'the others: INVALID_PARTITIONS')
    t.equal(await partitionCount(c, 'raced'), 9, 'the topic ends with the largest count, never shrunk by a later answer')
  })
})

t.test('kafkajs admin.createPartitions, then a producer and a consumer use the new partition', async (t) => {
  const broker = await memoryBroker(t)
  const kafka = kafkaClient(broker.port)
  const admin = kafka.admin()
  await admin.connect()
  t.teardown(() => admin.disconnect())
  await admin.createTopics({ topics: [{ topic: 'kjs-grow', numPartitions: 1 }] })

  await admin.createPartitions({ topicPartitions: [{ topic: 'kjs-grow', count: 4 }], validateOnly: true })
  t.equal((await admin.fetchTopicMetadata({ topics: ['kjs-grow'] })).topics[0]!.partitions.length, 1, 'validateOnly changes nothing')

  await admin.createPartitions({ topicPartitions: [{ topic: 'kjs-grow', count: 3 }] })
  const meta = await admin.fetchTopicMetadata({ topics: ['kjs-grow'] })
  t.same(meta.topics[0]!.partitions.map((p) => p.partitionId).sort(), [0, 1, 2], 'kafkajs sees 3 partitions')

  await admin.createPartitions({ topicPartitions: [{ topic: 'kjs-grow', count: 4, assignments: [[broker.nodeId]] }] })
  t.equal((await admin.fetchTopicMetadata({ topics: ['kjs-grow'] })).topics[0]!.partitions.length, 4, 'with an assignment naming this broker too')

  const refusal = (p: Promise<unknown>) => p.then(() => null, (err: { type?: string; message?: string }) => err)
  const same = await refusal(admin.createPartitions({ topicPartitions: [{ topic: 'kjs-grow', count: 4 }] }))
  t.equal(same?.type, 'INVALID_PARTITIONS', 'the same count: INVALID_PARTITIONS')
  const shrink = await refusal(admin.createPartitions({ topicPartitions: [{ topic: 'kjs-grow', count: 2 }] }))
  t.equal(shrink?.type, 'INVALID_PARTITIONS', 'shrinking: INVALID_PARTITIONS')
  const foreign = await refusal(admin.createPartitions({ topicPartitions: [{ topic: 'kjs-grow', count: 5, assignments: [[broker.nodeId + 1]] }] }))
  t.equal(foreign?.type, 'INVALID_REPLICA_ASSIGNMENT', 'another broker: INVALID_REPLICA_ASSIGNMENT')
  const unknown = await refusal(admin.createPartitions({ topicPartitions: [{ topic: 'kjs-nope', count: 2 }] }))
  t.equal(unknown?.type, 'UNKNOWN_TOPIC_OR_PARTITION', 'an unknown topic: UNKNOWN_TOPIC_OR_PARTITION')
  t.equal((await admin.fetchTopicMetadata({ topics: ['kjs-grow'] })).topics[0]!.partitions.length, 4, 'the refusals changed nothing')

  const producer = kafka.producer()
  await producer.connect()
  t.teardown(() => producer.disconnect())
  const [sent] = await producer.send({ topic: 'kjs-grow', messages: [{ partition: 3, key: 'k', value: 'on-partition-3' }] })
  t.same([sent!.partition, sent!.baseOffset], [3, '0'], 'the producer writes to the new partition 3 at offset 0')

  const consumer = kafka.consumer({ groupId: 'kjs-grow-reader', maxWaitTimeInMs: 100 })
  await consumer.connect()
  t.teardown(() => consumer.disconnect())
  await consumer.subscribe({ topics: ['kjs-grow'], fromBeginning: true })
  const got = await new Promise<{ partition: number; offset: string; value: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the consumer read nothing within 30 s')), 30_000)
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        clearTimeout(timer)
        resolve({ partition, offset: message.offset, value: message.value!.toString() })
      },
    })
  })
  t.same(got, { partition: 3, offset: '0', value: 'on-partition-3' }, 'a group consumer reads it from the new partition')
})

t.test('Python confluent-kafka AdminClient.create_partitions', async (t) => {
  const broker = await memoryBroker(t)
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  await createTopic(c, 'py-grow', 1)
  const r = await run(systemPython, [join(repoRoot, 'test/e2e/python/confluent_create_partitions.py'), `127.0.0.1:${broker.port}`, 'py-grow'])
  t.equal(r.code, 0, r.stderr)
  const out = lastJsonLine(r.stdout)
  t.same(out.validate_only, { error: null }, 'validate_only: accepted')
  t.equal(out.after_validate_only, 1, 'and nothing changed')
  t.same(out.grow, { error: null }, 'grown to 4')
  t.equal(out.after_grow, 4, 'librdkafka sees 4 partitions')
  t.equal(out.shrink.error?.code, ErrorCode.INVALID_PARTITIONS, 'shrinking: INVALID_PARTITIONS')
  t.match(out.shrink.error?.str, 'currently has 4 partition(s); 2 would not be an increase', "with Kafka's message")
  t.equal(out.same.error?.code, ErrorCode.INVALID_PARTITIONS, 'the same count: INVALID_PARTITIONS')
  t.match(out.same.error?.str, 'Topic already has 4 partition(s).')
  t.equal(out.unknown.error?.code, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'an unknown topic: UNKNOWN_TOPIC_OR_PARTITION')
  t.equal(out.after_errors, 4, 'the refusals changed nothing')
  t.same(out.delivered, [[3, 0]], 'a produce to the new partition 3 is acknowledged at offset 0')
  t.same(out.read, [3, 0, 'to-partition-3'], 'and read back from it')
})

t.test('new partitions survive a restart', async (t) => {
  const dataDir = tempDir(t)
  const first = await spawnBroker(['--data-dir', dataDir])
  let c = await RawClient.connect(first.port)
  await createTopic(c, 'kept', 1)
  t.equal((await produce(c, 'kept', 0, batchOf(['zero']))).errorCode, 0)
  const [r] = await grow(c, 3, [{ name: 'kept', count: 3 }])
  t.equal(r!.errorCode, ErrorCode.NONE, 'grown to 3')
  t.equal((await produce(c, 'kept', 2, batchOf(['two-a', 'two-b']))).errorCode, 0, 'written to the new partition 2')
  c.close()
  first.child.kill('SIGTERM')
  t.equal(await first.exited, 0, 'SIGTERM exits 0')

  const second = await spawnBroker(['--data-dir', dataDir])
  t.teardown(() => second.child.kill('SIGKILL'))
  c = await RawClient.connect(second.port)
  t.teardown(() => c.close())
  t.equal(await partitionCount(c, 'kept'), 3, 'Metadata still shows 3 partitions')
  const two = await fetchOne(c, 'kept', 2, 0)
  t.same([two.errorCode, two.highWatermark], [0, 2], 'partition 2 still holds its 2 records')
  t.ok(two.records?.toString('latin1').includes('two-b'))
  t.equal((await fetchOne(c, 'kept', 0, 0)).highWatermark, 1, 'partition 0 still holds its record')
  t.same([(await fetchOne(c, 'kept', 1, 0)).errorCode, (await fetchOne(c, 'kept', 1, 0)).highWatermark], [0, 0], 'partition 1 is there, empty')
  const [again] = await grow(c, 3, [{ name: 'kept', count: 3 }])
  t.same(brief(again!), [ErrorCode.INVALID_PARTITIONS, 'Topic already has 3 partition(s).'], 'the catalogue knows the new count')
  c.close()
  second.child.kill('SIGTERM')
  t.equal(await second.exited, 0)
})

t.test('CreateTopics: manual assignments and -1 defaults', async (t) => {
  const broker = await memoryBroker(t, { numPartitions: 3 })
  const node = broker.nodeId
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())

  for (const v of CREATE_TOPICS_VERSIONS) {
    await t.test(`v${v}`, async (t) => {
      let [r] = await createTopics(c, v, [creatable(`manual-v${v}`, -1, -1, [[0, [node]], [1, [node]]])])
      t.same(brief(r!), [ErrorCode.NONE, null], 'an assignment naming this broker is accepted')
      if (v >= 5) t.same([r!.numPartitions, r!.replicationFactor], [2, 1], 'v5+: 2 partitions, 1 replica')
      let meta = await metadata(c, [`manual-v${v}`])
      t.same(meta.topics[0]!.partitions.map((p) => [p.partitionIndex, p.replicaNodes]), [[0, [node]], [1, [node]]], 'Metadata shows the assigned partitions')

      ;[r] = await createTopics(c, v, [creatable(`unordered-v${v}`, -1, -1, [[1, [node]], [0, [node]], [2, [node]]])])
      t.equal(r!.errorCode, ErrorCode.NONE, 'partition ids in any order, as long as they are 0..n-1')
      t.equal(await partitionCount(c, `unordered-v${v}`), 3)

      ;[r] = await createTopics(c, v, [creatable(`defaults-v${v}`, -1, -1)])
      t.same(brief(r!), [ErrorCode.NONE, null], '-1 partitions and -1 replication factor are accepted')
      if (v >= 5) t.same([r!.numPartitions, r!.replicationFactor], [3, 1], 'v5+: num.partitions (3) and replication factor 1')
      meta = await metadata(c, [`defaults-v${v}`])
      t.equal(meta.topics[0]!.partitions.length, 3, 'Metadata shows num.partitions partitions')

      ;[r] = await createTopics(c, v, [creatable(`dry-manual-v${v}`, -1, -1, [[0, [node]]])], true)
      t.same(brief(r!), [ErrorCode.NONE, null], 'validate_only accepts a good assignment')
      t.notOk((await topicNames(c)).includes(`dry-manual-v${v}`), 'and creates nothing')
    })
  }

  await t.test('bad assignments and counts get Kafka\'s codes and messages, and create nothing', async (t) => {
    const bad: Array<[CreatableTopic, number, string]> = [
      [creatable('b-parts', 2, -1, [[0, [node]]]), ErrorCode.INVALID_REQUEST, 'A manual partition assignment was specified, but numPartitions was not set to -1.'],
      [creatable('b-rf', -1, 1, [[0, [node]]]), ErrorCode.INVALID_REQUEST, 'A manual partition assignment was specified, but replication factor was not set to -1.'],
      [creatable('b-foreign', -1, -1, [[0, [node]], [1, [node + 5]]]), ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes broker ${node + 5}, but no such broker is registered.`],
      [creatable('b-twice', -1, -1, [[0, [node, node]]]), ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes the broker ${node} more than once.`],
      [creatable('b-empty', -1, -1, [[0, []]]), ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes an empty replica list.'],
      [creatable('b-gap', -1, -1, [[0, [node]], [2, [node]]]), ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'partitions should be a consecutive 0-based integer sequence'],
      [creatable('b-from1', -1, -1, [[1, [node]]]), ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'partitions should be a consecutive 0-based integer sequence'],
      [creatable('b-same-index', -1, -1, [[0, [node]], [0, [node]]]), ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Found multiple manual partition assignments for partition 0'],
      [creatable('b-rf0', 1, 0), ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0, or -1 to use the default value.'],
      [creatable('b-rf-2', 1, -2), ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0, or -1 to use the default value.'],
      [creatable('b-p0', 0, 1), ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.'],
      [creatable('b-p-5', -5, -1), ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.'],
    ]
    for (const v of [2, 7]) {
      for (const validateOnly of [false, true]) {
        const results = await createTopics(c, v, bad.map(([topic]) => topic), validateOnly)
        bad.forEach(([topic, code, message], i) => t.same(brief(results[i]!), [code, message], `v${v}${validateOnly ? ' validate_only' : ''} ${topic.name}`))
      }
    }
    t.notOk((await topicNames(c)).some((n) => n.startsWith('b-')), 'nothing was created')

    // Kafka looks at the name and whether the topic exists before the assignment.
    await createTopic(c, 'exists')
    const [exists, illegal] = await createTopics(c, 7, [creatable('exists', -1, -1, [[0, [node + 1]]]), creatable('bad name', 2, -1, [[0, [node]]])])
    t.equal(exists!.errorCode, ErrorCode.TOPIC_ALREADY_EXISTS, 'an existing topic with a bad assignment: TOPIC_ALREADY_EXISTS')
    t.equal(illegal!.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION, 'an illegal name with a bad assignment: INVALID_TOPIC_EXCEPTION')
  })

  await t.test('kafkajs createTopics with replicaAssignment', async (t) => {
    const admin = kafkaClient(broker.port).admin()
    await admin.connect()
    t.teardown(() => admin.disconnect())
    const created = await admin.createTopics({ topics: [{ topic: 'kjs-manual', replicaAssignment: [{ partition: 0, replicas: [node] }, { partition: 1, replicas: [node] }] }] })
    t.equal(created, true, 'created')
    const meta = await admin.fetchTopicMetadata({ topics: ['kjs-manual'] })
    t.same(meta.topics[0]!.partitions.map((p) => [p.partitionId, p.replicas]).sort(), [[0, [node]], [1, [node]]], 'with the assigned partitions')
    const refused = await admin.createTopics({ topics: [{ topic: 'kjs-foreign', replicaAssignment: [{ partition: 0, replicas: [node + 2] }] }] }).then(
      () => null,
      (err: { errors?: Array<{ type: string }> }) => err,
    )
    t.same(refused?.errors?.map((e) => e.type), ['INVALID_REPLICA_ASSIGNMENT'], 'another broker: INVALID_REPLICA_ASSIGNMENT')
    t.notOk((await admin.listTopics()).includes('kjs-foreign'), 'not created')
    t.equal(await admin.createTopics({ topics: [{ topic: 'kjs-defaults' }] }), true, 'kafkajs sends -1/-1 when no count is given')
    t.equal((await admin.fetchTopicMetadata({ topics: ['kjs-defaults'] })).topics[0]!.partitions.length, 3, 'num.partitions partitions')
  })
})

t.test('ElectLeaders, every version', async (t) => {
  const broker = await memoryBroker(t)
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  await createTopic(c, 'led', 2)
  await createTopic(c, 'led-too', 1)
  const NOT_NEEDED = 'Leader election not needed for topic partition.'

  for (const v of ELECT_LEADERS_VERSIONS) {
    await t.test(`v${v}`, async (t) => {
      const types = v === 0 ? [0] : [0, 1]
      for (const electionType of types) {
        const res = await c.request<ElectLeadersResponse>(43, v, {
          electionType,
          timeoutMs: 5000,
          topicPartitions: [
            { topic: 'led', partitions: [0, 1, 2, -1] },
            { topic: 'missing', partitions: [0] },
          ],
        })
        if (v >= 1) t.equal(res.errorCode, ErrorCode.NONE, 'top-level NONE')
        t.same(
          res.replicaElectionResults.map((r) => [r.topic, r.partitionResult.map((p) => [p.partitionId, p.errorCode, p.errorMessage])]),
          [
            ['led', [[0, ErrorCode.ELECTION_NOT_NEEDED, NOT_NEEDED], [1, ErrorCode.ELECTION_NOT_NEEDED, NOT_NEEDED], [2, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'No such partition as led-2'], [-1, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'No such partition as led--1']]],
            ['missing', [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'No such topic as missing']]],
          ],
          `election type ${electionType}: ELECTION_NOT_NEEDED for the partitions that exist, UNKNOWN_TOPIC_OR_PARTITION for the others`,
        )
      }

      const all = await c.request<ElectLeadersResponse>(43, v, { electionType: 0, timeoutMs: 5000, topicPartitions: null })
      t.same(
        all.replicaElectionResults.map((r) => [r.topic, r.partitionResult.length]).sort(),
        [['led', 0], ['led-too', 0]],
        'null: every topic, with no partition results (none needed an election)',
      )
      const none = await c.request<ElectLeadersResponse>(43, v, { electionType: 0, timeoutMs: 5000, topicPartitions: [] })
      t.same(none.replicaElectionResults, [], 'an empty list: an empty answer')

      if (v >= 1) {
        const bad = await c.request<ElectLeadersResponse>(43, v, { electionType: 2, timeoutMs: 5000, topicPartitions: [{ topic: 'led', partitions: [0] }] })
        t.equal(bad.errorCode, ErrorCode.INVALID_REQUEST, 'an unknown election type: INVALID_REQUEST at the top')
        t.same(bad.replicaElectionResults.map((r) => r.partitionResult.map(brief)), [[[ErrorCode.INVALID_REQUEST, 'Unknown election type 2']]], 'and for every partition')
      }
    })
  }
  const meta = await metadata(c, ['led'])
  t.same(meta.topics[0]!.partitions.map((p) => [p.leaderId, p.leaderEpoch]), [[broker.nodeId, 0], [broker.nodeId, 0]], 'leaders and epochs unchanged')
})

t.test('AlterPartitionReassignments and ListPartitionReassignments', async (t) => {
  const broker = await memoryBroker(t)
  const node = broker.nodeId
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  await createTopic(c, 'placed', 2)

  await t.test('AlterPartitionReassignments v0 on the raw wire', async (t) => {
    const res = await c.request<AlterPartitionReassignmentsResponse>(45, 0, {
      timeoutMs: 5000,
      topics: [
        {
          name: 'placed',
          partitions: [
            { partitionIndex: 0, replicas: [node] },
            { partitionIndex: 1, replicas: [node + 3] },
            { partitionIndex: 0, replicas: null },
            { partitionIndex: 1, replicas: [] },
            { partitionIndex: 1, replicas: [node, node] },
            { partitionIndex: 0, replicas: [node, node + 1] },
            { partitionIndex: 5, replicas: [node] },
          ],
        },
        { name: 'gone', partitions: [{ partitionIndex: 0, replicas: [node] }] },
      ],
    })
    t.same([res.errorCode, res.errorMessage], [ErrorCode.NONE, null], 'top-level NONE')
    t.same(
      res.responses.map((r) => [r.name, r.partitions.map((p) => [p.partitionIndex, p.errorCode, p.errorMessage])]),
      [
        [
          'placed',
          [
            [0, ErrorCode.NONE, null],
            [1, ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes broker ${node + 3}, but no such broker is registered.`],
            [0, ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, null],
            [1, ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes an empty replica list.'],
            [1, ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes the broker ${node} more than once.`],
            [0, ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes broker ${node + 1}, but no such broker is registered.`],
            [5, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'Unable to find partition placed:5.'],
          ],
        ],
        ['gone', [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'Unable to find a topic named gone.']]],
      ],
      "each partition answered with Kafka's code and message",
    )
    const meta = await metadata(c, ['placed'])
    t.same(meta.topics[0]!.partitions.map((p) => p.replicaNodes), [[node], [node]], 'replicas unchanged')
  })

  await t.test('ListPartitionReassignments v0 on the raw wire', async (t) => {
    const all = await c.request<ListPartitionReassignmentsResponse>(46, 0, { timeoutMs: 5000, topics: null })
    t.same([all.errorCode, all.errorMessage, all.topics], [ErrorCode.NONE, null, []], 'everything: nothing in progress')
    const some = await c.request<ListPartitionReassignmentsResponse>(46, 0, { timeoutMs: 5000, topics: [{ name: 'placed', partitionIndexes: [0, 1] }, { name: 'gone', partitionIndexes: [0] }] })
    t.same([some.errorCode, some.errorMessage, some.topics], [ErrorCode.NONE, null, []], 'named partitions, known or not: nothing in progress')
  })

  await t.test('kafkajs admin', async (t) => {
    const admin = kafkaClient(broker.port).admin()
    await admin.connect()
    t.teardown(() => admin.disconnect())
    await admin.alterPartitionReassignments({ topics: [{ topic: 'placed', partitionAssignment: [{ partition: 0, replicas: [node] }, { partition: 1, replicas: [node] }] }] })
    t.pass('alterPartitionReassignments to this broker resolves')
    const refused = await admin.alterPartitionReassignments({ topics: [{ topic: 'placed', partitionAssignment: [{ partition: 1, replicas: [node + 1] }] }] }).then(
      () => null,
      (err: { errors?: Array<{ type: string; partition?: number }> }) => err,
    )
    t.same(refused?.errors?.map((e) => e.type), ['INVALID_REPLICA_ASSIGNMENT'], 'to another broker: INVALID_REPLICA_ASSIGNMENT')
    t.same(await admin.listPartitionReassignments({}), { topics: [] }, 'listPartitionReassignments (all): nothing in progress')
    t.same(await admin.listPartitionReassignments({ topics: [{ topic: 'placed', partitions: [0, 1] }] }), { topics: [] }, 'listPartitionReassignments (named): nothing in progress')
  })
})
