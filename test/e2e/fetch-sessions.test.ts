// Fetch v4-17 over raw sockets (requests built with the generated codec), topic ids
// (v13+), incremental fetch sessions (KIP-227) with Kafka's FetchSession semantics and
// eviction rules, follower fetches and leader epochs on a one-node broker, and real
// clients consuming through it: librdkafka (kcat, which never opens sessions) and
// @platformatic/kafka (which does), each reading everything exactly once.

import t, { type Test } from 'tap'
import { randomBytes } from 'node:crypto'
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka'
import { startBroker, type RunningBroker } from '../../src/broker.ts'
import { ManualClock } from '../../src/groups/clock.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { HoldingProxy } from '../helpers/holding-proxy.ts'
import { run } from '../helpers/external.ts'
import { waitFor, within } from '../helpers/groups.ts'
import { batchOf, createTopic, produce, produceRequest, roundTrip, ZERO_UUID } from '../helpers/wire-requests.ts'
import { decodeAllRecords } from '../../protocol/records/record-batch-builder.ts'
import { defaultFetchPartition, defaultFetchRequest, decodeFetchRequest, type FetchPartition, type FetchRequest } from '../../protocol/messages/fetch-request.ts'
import type { FetchResponse, PartitionData } from '../../protocol/messages/fetch-response.ts'
import { defaultDeleteTopicsRequest } from '../../protocol/messages/delete-topics-request.ts'
import type { DeleteTopicsResponse } from '../../protocol/messages/delete-topics-response.ts'
import type { DeleteRecordsResponse } from '../../protocol/messages/delete-records-response.ts'
import { Reader } from '../../protocol/wire/reader.ts'
import { decodeRequestHeader } from '../../protocol/wire/headers.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'

const ALL_VERSIONS = Array.from({ length: 14 }, (_, i) => i + 4)

/** A broker whose Fetch clock (long polls, session ages) moves only when the test says. */
async function clockBroker(t: Test, options: Record<string, unknown> = {}): Promise<{ broker: RunningBroker; clock: ManualClock }> {
  const clock = new ManualClock()
  const broker = await startBroker({ host: '127.0.0.1', port: 0, memory: true, shards: 2, logLevel: 'silent', ...options }, { pollClock: clock })
  t.teardown(() => broker.close())
  return { broker, clock }
}

async function connect(t: Test, port: number): Promise<RawClient> {
  const c = await RawClient.connect(port)
  t.teardown(() => c.close())
  return c
}

interface Topic {
  name: string
  id: string
}

interface Wants {
  topic: Topic
  partition: number
  offset: number
  fields?: Partial<FetchPartition>
}

interface FetchOptions {
  sessionId?: number
  epoch?: number
  maxWaitMs?: number
  maxBytes?: number
  forget?: Array<{ topic: Topic; partitions: number[] }>
  replicaId?: number
  readCommitted?: boolean
}

/** A Fetch request at `version`: topics by name below v13, by id from v13. */
function fetchReq(version: number, wants: Wants[], o: FetchOptions = {}): FetchRequest {
  const req = defaultFetchRequest()
  req.maxWaitMs = o.maxWaitMs ?? 0
  req.minBytes = 1
  req.maxBytes = o.maxBytes ?? 0x7fffffff
  req.sessionId = o.sessionId ?? 0
  req.sessionEpoch = o.epoch ?? -1
  req.isolationLevel = o.readCommitted === true ? 1 : 0
  if (o.replicaId !== undefined) {
    req.replicaId = o.replicaId
    req.replicaState = { replicaId: o.replicaId, replicaEpoch: 7 }
  }
  const byTopic = new Map<Topic, Wants[]>()
  for (const w of wants) byTopic.set(w.topic, [...(byTopic.get(w.topic) ?? []), w])
  req.topics = [...byTopic].map(([topic, ws]) => ({
    topic: version < 13 ? topic.name : '',
    topicId: version >= 13 ? topic.id : ZERO_UUID,
    partitions: ws.map((w) => ({ ...defaultFetchPartition(), partition: w.partition, fetchOffset: w.offset, partitionMaxBytes: 1 << 20, ...w.fields })),
  }))
  req.forgottenTopicsData = (o.forget ?? []).map((f) => ({ topic: version < 13 ? f.topic.name : '', topicId: version >= 13 ? f.topic.id : ZERO_UUID, partitions: f.partitions }))
  return req
}

function fetchV(c: RawClient, version: number, wants: Wants[], o: FetchOptions = {}): Promise<FetchResponse> {
  return c.request<FetchResponse>(1, version, fetchReq(version, wants, o))
}

const values = (records: Buffer | null): string[] => (records === null ? [] : decodeAllRecords(records).map((r) => r.value!.toString()))

/** The partitions of a response as "topic:partition" (topic = name below v13, id from v13). */
function listed(res: FetchResponse): string[] {
  return res.responses.flatMap((r) => r.partitions.map((p) => `${r.topic !== '' ? r.topic : r.topicId}:${p.partitionIndex}`))
}

function partitionOf(res: FetchResponse, topicKey: string, partition: number): PartitionData | undefined {
  for (const r of res.responses) if (r.topic === topicKey || r.topicId === topicKey) for (const p of r.partitions) if (p.partitionIndex === partition) return p
  return undefined
}

async function newTopic(c: RawClient, name: string, partitions = 1): Promise<Topic> {
  return { name, id: await createTopic(c, name, partitions) }
}

async function deleteTopic(c: RawClient, name: string): Promise<void> {
  const res = await c.request<DeleteTopicsResponse>(20, 6, { ...defaultDeleteTopicsRequest(), topics: [{ name, topicId: ZERO_UUID }] })
  if (res.responses[0]!.errorCode !== 0) throw new Error(`delete ${name}: ${res.responses[0]!.errorCode}`)
}

t.test('every version 4-17 is served and its answer decodes with what that version carries', async (t) => {
  const { broker } = await clockBroker(t)
  const c = await connect(t, broker.port)
  const topic = await newTopic(c, 'allv', 2)
  await produce(c, 'allv', 0, batchOf(['a', 'b']))
  await produce(c, 'allv', 0, batchOf(['c']))
  for (const v of ALL_VERSIONS) {
    const key = v >= 13 ? topic.id : topic.name
    const res = await fetchV(c, v, [{ topic, partition: 0, offset: 0 }, { topic, partition: 1, offset: 0 }])
    t.equal(res.responses.length, 1, `v${v}: one topic entry`)
    const r = res.responses[0]!
    if (v >= 13) {
      t.equal(r.topicId, topic.id, `v${v}: the topic is named by its id`)
      t.equal(r.topic, '', `v${v}: and carries no name`)
    } else {
      t.equal(r.topic, 'allv', `v${v}: the topic is named by its name`)
    }
    const [p0, p1] = r.partitions
    t.same([p0!.partitionIndex, p0!.errorCode, p0!.highWatermark, p0!.lastStableOffset], [0, 0, 3, 3], `v${v}: partition 0 offsets`)
    t.same(values(p0!.records), ['a', 'b', 'c'], `v${v}: partition 0 records`)
    t.same([p1!.partitionIndex, p1!.errorCode, p1!.highWatermark, values(p1!.records).length], [1, 0, 0, 0], `v${v}: empty partition 1`)
    t.equal(p0!.logStartOffset, v >= 5 ? 0 : -1, `v${v}: log start offset (v5+)`)
    t.equal(p0!.preferredReadReplica, -1, `v${v}: no preferred read replica`)
    if (v >= 12) t.same([p0!.divergingEpoch, p0!.currentLeader], [{ epoch: -1, endOffset: -1 }, { leaderId: -1, leaderEpoch: -1 }], `v${v}: no diverging epoch, no leader hint`)
    if (v >= 7) {
      t.same([res.errorCode, res.sessionId], [0, 0], `v${v}: epoch -1 is sessionless`)
      const opened = await fetchV(c, v, [{ topic, partition: 0, offset: 3 }, { topic, partition: 1, offset: 0 }], { epoch: 0 })
      t.not(opened.sessionId, 0, `v${v}: epoch 0 opens a session`)
      t.same(listed(opened), [`${key}:0`, `${key}:1`], `v${v}: the full answer lists every partition`)
      const incremental = await fetchV(c, v, [], { sessionId: opened.sessionId, epoch: 1 })
      t.same([incremental.errorCode, incremental.sessionId, incremental.responses], [0, opened.sessionId, []], `v${v}: an incremental fetch with nothing new lists nothing`)
      const closed = await fetchV(c, v, [], { sessionId: opened.sessionId, epoch: -1 })
      t.same([closed.errorCode, closed.sessionId], [0, 0], `v${v}: epoch -1 closes it`)
    }
  }
})

t.test('topic ids', async (t) => {
  const { broker } = await clockBroker(t)
  const c = await connect(t, broker.port)
  const good = await newTopic(c, 'ids')
  await produce(c, 'ids', 0, batchOf(['x']))

  await t.test('an unknown id answers UNKNOWN_TOPIC_ID per partition, echoing the id; known ids are served', async (t) => {
    for (const v of [13, 17]) {
      const unknown: Topic = { name: 'ghost', id: randomBytes(16).toString('base64url') }
      const res = await fetchV(c, v, [{ topic: unknown, partition: 0, offset: 0 }, { topic: unknown, partition: 3, offset: 0 }, { topic: good, partition: 0, offset: 0 }])
      t.same(res.responses.map((r) => r.topicId), [unknown.id, good.id], `v${v}: both topics answered by id`)
      t.same(res.responses[0]!.partitions.map((p) => [p.partitionIndex, p.errorCode]), [[0, ErrorCode.UNKNOWN_TOPIC_ID], [3, ErrorCode.UNKNOWN_TOPIC_ID]], `v${v}: UNKNOWN_TOPIC_ID for each partition`)
      t.same(values(res.responses[1]!.partitions[0]!.records), ['x'], `v${v}: the known topic still gets its data`)
      const zero = await fetchV(c, v, [{ topic: { name: 'ids', id: ZERO_UUID }, partition: 0, offset: 0 }])
      t.equal(zero.responses[0]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_ID, `v${v}: the zero id names no topic`)
    }
  })

  await t.test('a topic deleted, then recreated, while a session holds it is told apart by id', async (t) => {
    const old = await newTopic(c, 'phoenix')
    await produce(c, 'phoenix', 0, batchOf(['old']))
    const opened = await fetchV(c, 17, [{ topic: old, partition: 0, offset: 1 }], { epoch: 0 })
    t.not(opened.sessionId, 0, 'a session holds phoenix by id')
    await deleteTopic(c, 'phoenix')
    let res = await fetchV(c, 17, [], { sessionId: opened.sessionId, epoch: 1 })
    t.same(listed(res), [`${old.id}:0`], 'the deleted topic is answered under its id')
    t.equal(res.responses[0]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'deleted: UNKNOWN_TOPIC_OR_PARTITION (Kafka: the session knows the name)')
    const fresh = await newTopic(c, 'phoenix')
    t.not(fresh.id, old.id, 'the recreated topic has a new id')
    await produce(c, 'phoenix', 0, batchOf(['new1', 'new2']))
    res = await fetchV(c, 17, [], { sessionId: opened.sessionId, epoch: 2 })
    t.same(listed(res), [`${old.id}:0`])
    const p = res.responses[0]!.partitions[0]!
    t.equal(p.errorCode, ErrorCode.INCONSISTENT_TOPIC_ID, 'recreated: INCONSISTENT_TOPIC_ID, never the new topic\'s records')
    t.same(values(p.records), [])
    const byOld = await fetchV(c, 17, [{ topic: old, partition: 0, offset: 0 }])
    t.equal(byOld.responses[0]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_ID, 'a new fetch by the old id: UNKNOWN_TOPIC_ID')
    const byNew = await fetchV(c, 17, [{ topic: fresh, partition: 0, offset: 0 }])
    t.same(values(byNew.responses[0]!.partitions[0]!.records), ['new1', 'new2'], 'the new id reads the new topic')
    // Below v13 the session follows the name, as in Kafka.
    const named = await fetchV(c, 12, [{ topic: fresh, partition: 0, offset: 0 }], { epoch: 0 })
    t.not(named.sessionId, 0)
    await deleteTopic(c, 'phoenix')
    await newTopic(c, 'phoenix')
    await produce(c, 'phoenix', 0, batchOf(['third']))
    res = await fetchV(c, 12, [{ topic: fresh, partition: 0, offset: 0 }], { sessionId: named.sessionId, epoch: 1 })
    t.same(values(res.responses[0]!.partitions[0]!.records), ['third'], 'v12: a session by name reads whatever topic has the name')
  })
})

t.test('a full session, then incremental fetches', async (t) => {
  for (const v of [12, 17]) {
    await t.test(`v${v}`, async (t) => {
      const { broker, clock } = await clockBroker(t)
      const c = await connect(t, broker.port)
      const topic = await newTopic(c, `inc${v}`, 3)
      const key = v >= 13 ? topic.id : topic.name
      const name = topic.name
      const at = (partition: number, offset: number, fields?: Partial<FetchPartition>): Wants => ({ topic, partition, offset, fields })
      await produce(c, name, 0, batchOf(['a']))
      await produce(c, name, 1, batchOf(['b']))

      const full = await fetchV(c, v, [at(0, 0), at(1, 0), at(2, 0)], { epoch: 0 })
      const id = full.sessionId
      t.not(id, 0, 'epoch 0: a session is opened')
      t.ok(id > 0 && id <= 0x7fffffff, 'its id is a positive int32')
      t.same(listed(full), [`${key}:0`, `${key}:1`, `${key}:2`], 'the full answer lists every partition')
      t.same([0, 1, 2].map((p) => values(partitionOf(full, key, p)!.records)), [['a'], ['b'], []])

      let epoch = 1
      const inc = (wants: Wants[], o: FetchOptions = {}): Promise<FetchResponse> => fetchV(c, v, wants, { sessionId: id, epoch: epoch++, ...o })

      let res = await inc([at(0, 1), at(1, 1)])
      t.same([res.errorCode, res.sessionId], [0, id], 'incremental: same session')
      t.same(listed(res), [], 'caught up, nothing changed: no partition is listed')

      await produce(c, name, 2, batchOf(['c']))
      res = await inc([])
      t.same(listed(res), [`${key}:2`], 'only the partition with new data (the request named none)')
      t.same(values(partitionOf(res, key, 2)!.records), ['c'])
      t.equal(partitionOf(res, key, 2)!.highWatermark, 1)

      res = await inc([])
      t.same(listed(res), [`${key}:2`], 'the session keeps the fetch offset the client last sent: the same records again')
      res = await inc([at(2, 1)])
      t.same(listed(res), [], 'once the client moves its offset, nothing')

      const del = await c.request<DeleteRecordsResponse>(21, 2, { topics: [{ name, partitions: [{ partitionIndex: 1, offset: 1 }] }], timeoutMs: 1000 })
      t.equal(del.topics[0]!.partitions[0]!.errorCode, 0)
      res = await inc([])
      t.same(listed(res), [`${key}:1`], 'a moved log start offset alone lists the partition')
      t.same([partitionOf(res, key, 1)!.logStartOffset, values(partitionOf(res, key, 1)!.records)], [1, []])

      // Session order is 0, 1, 2. With max_bytes 1 only the first partition with data
      // gets records; the other is listed for its new high watermark, without records.
      await produce(c, name, 0, batchOf(['d']))
      await produce(c, name, 1, batchOf(['e']))
      res = await inc([], { maxBytes: 1 })
      t.same(listed(res), [`${key}:0`, `${key}:1`], 'records for 0; 1 listed for its high watermark')
      t.same(values(partitionOf(res, key, 0)!.records), ['d'])
      t.same([values(partitionOf(res, key, 1)!.records), partitionOf(res, key, 1)!.highWatermark], [[], 2])
      // Partition 0 returned records, so it moved to the end of the session: now 1 comes
      // first and gets the records; 0 (same data, same high watermark) is not listed.
      res = await inc([], { maxBytes: 1 })
      t.same(listed(res), [`${key}:1`], 'partitions that returned records go to the back of the session')
      t.same(values(partitionOf(res, key, 1)!.records), ['e'])
      res = await inc([at(0, 2), at(1, 2)])
      t.same(listed(res), [], 'caught up again')

      res = await inc([], { forget: [{ topic, partitions: [2] }] })
      t.same(listed(res), [], 'forgotten_topics_data drops partition 2')
      await produce(c, name, 2, batchOf(['f']))
      res = await inc([])
      t.same(listed(res), [], 'new data on a forgotten partition is not served')
      res = await inc([at(2, 0)])
      t.same(listed(res), [`${key}:2`], 'named again, it is back, from the offset given')
      t.same(values(partitionOf(res, key, 2)!.records), ['c', 'f'])
      res = await inc([at(2, 2)])
      t.same(listed(res), [])

      // Long polls: an incremental fetch waits for data on any session partition.
      const pending = inc([], { maxWaitMs: 5000 })
      await roundTrip(await connect(t, broker.port))
      await produce(c, name, 1, batchOf(['g']))
      res = await pending
      t.same(listed(res), [`${key}:1`], 'the poll answers with the partition that got data')
      res = await inc([at(1, 3)])
      t.same(listed(res), [], 'caught up')
      const idle = inc([], { maxWaitMs: 300 })
      await roundTrip(await connect(t, broker.port))
      clock.advance(300)
      t.same(listed(await idle), [], 'at max_wait_ms an incremental answer may list nothing')

      // Session errors: the top-level error code, session id 0, no partitions.
      res = await fetchV(c, v, [at(0, 0)], { sessionId: id, epoch: epoch + 5 })
      t.same([res.errorCode, res.sessionId, res.responses], [ErrorCode.INVALID_FETCH_SESSION_EPOCH, 0, []], 'a wrong epoch: INVALID_FETCH_SESSION_EPOCH')
      res = await fetchV(c, v, [at(0, 0)], { sessionId: id, epoch: epoch - 1 })
      t.equal(res.errorCode, ErrorCode.INVALID_FETCH_SESSION_EPOCH, 'a replayed epoch: INVALID_FETCH_SESSION_EPOCH')
      res = await inc([])
      t.same([res.errorCode, res.sessionId], [0, id], 'a rejected request does not move the epoch')
      res = await fetchV(c, v, [at(0, 0)], { sessionId: id === 1 ? 2 : id - 1, epoch: 1 })
      t.same([res.errorCode, res.sessionId, res.responses], [ErrorCode.FETCH_SESSION_ID_NOT_FOUND, 0, []], 'an unknown session: FETCH_SESSION_ID_NOT_FOUND')
      const otherVersion = v >= 13 ? 12 : 13
      res = await fetchV(c, otherVersion, [], { sessionId: id, epoch })
      t.equal(res.errorCode, ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR, `v${otherVersion} in a v${v} session: FETCH_SESSION_TOPIC_ID_ERROR`)

      // Sessions belong to the broker, not to the connection (as in Kafka).
      const other = await connect(t, broker.port)
      res = await fetchV(other, v, [], { sessionId: id, epoch: epoch++ })
      t.same([res.errorCode, res.sessionId], [0, id], 'another connection carries the session on')
      c.close()
      await c.closed
      const c2 = await connect(t, broker.port)
      res = await fetchV(c2, v, [], { sessionId: id, epoch: epoch++ })
      t.same([res.errorCode, res.sessionId], [0, id], 'closing a connection releases nothing')

      // Duplicates: a request overtaken by a later one of its session answers
      // INVALID_FETCH_SESSION_EPOCH when it completes.
      const slow = fetchV(c2, v, [], { sessionId: id, epoch: epoch++, maxWaitMs: 5000 })
      const fast = await connect(t, broker.port)
      await roundTrip(fast)
      res = await fetchV(fast, v, [], { sessionId: id, epoch: epoch - 1 })
      t.equal(res.errorCode, ErrorCode.INVALID_FETCH_SESSION_EPOCH, 'the same epoch twice: the second is refused')
      res = await fetchV(fast, v, [], { sessionId: id, epoch: epoch++ })
      t.same([res.errorCode, res.sessionId], [0, id], 'the next epoch is served while the first still waits')
      clock.advance(5000)
      res = await slow
      t.same([res.errorCode, res.sessionId, res.responses], [ErrorCode.INVALID_FETCH_SESSION_EPOCH, id, []], 'the overtaken poll: INVALID_FETCH_SESSION_EPOCH with the session id')

      // Closing: epoch -1 with the id is a sessionless full fetch that closes the session.
      res = await fetchV(fast, v, [at(0, 0)], { sessionId: id, epoch: -1 })
      t.same([res.errorCode, res.sessionId, values(partitionOf(res, key, 0)!.records)], [0, 0, ['a', 'd']], 'epoch -1: full data, session id 0')
      res = await fetchV(fast, v, [], { sessionId: id, epoch })
      t.equal(res.errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND, 'the closed session is gone')

      // A full fetch naming a session replaces it; forgetting every partition closes one.
      const a = (await fetchV(fast, v, [at(0, 0)], { epoch: 0 })).sessionId
      const b = (await fetchV(fast, v, [at(0, 0)], { sessionId: a, epoch: 0 })).sessionId
      t.ok(a !== 0 && b !== 0 && a !== b, 'epoch 0 with a session id: a new session')
      res = await fetchV(fast, v, [], { sessionId: a, epoch: 1 })
      t.equal(res.errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND, 'and the old one is closed')
      res = await fetchV(fast, v, [], { sessionId: b, epoch: 1, forget: [{ topic, partitions: [0] }] })
      t.same([res.errorCode, res.sessionId], [0, 0], 'forgetting its last partition closes a session (sessionless answer)')
      res = await fetchV(fast, v, [], { sessionId: b, epoch: 2 })
      t.equal(res.errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND)
    })
  }
})

t.test('read_committed sessions: a high watermark moved by an open transaction, then its commit', async (t) => {
  const { broker } = await clockBroker(t)
  const c = await connect(t, broker.port)
  const topic = await newTopic(c, 'txs')
  await produce(c, 'txs', 0, batchOf(['plain']))
  const opened = await fetchV(c, 17, [{ topic, partition: 0, offset: 1 }], { epoch: 0, readCommitted: true })
  t.not(opened.sessionId, 0)
  const inc = (epoch: number): Promise<FetchResponse> => fetchV(c, 17, [], { sessionId: opened.sessionId, epoch, readCommitted: true })

  const p = await c.request(22, 4, { transactionalId: 'fs-txn', transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 })
  const added = await c.request(24, 3, { v3AndBelowTransactionalId: 'fs-txn', v3AndBelowProducerId: p.producerId, v3AndBelowProducerEpoch: p.producerEpoch, v3AndBelowTopics: [{ name: 'txs', partitions: [0] }], transactions: [] })
  t.equal(added.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode, 0)
  const req = produceRequest([{ topic: 'txs', partition: 0, records: batchOf(['t1', 't2'], { producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence: 0, isTransactional: true }) }])
  req.transactionalId = 'fs-txn'
  const produced = await c.request(0, 9, req)
  t.equal(produced.responses[0].partitionResponses[0].errorCode, 0, 'an open transaction')

  let res = await inc(1)
  t.same(listed(res), [`${topic.id}:0`], 'the high watermark moved, the last stable offset did not: listed')
  const part = res.responses[0]!.partitions[0]!
  t.same([part.highWatermark, part.lastStableOffset, values(part.records)], [3, 1, []], 'no records past the last stable offset')
  t.same(listed(await inc(2)), [], 'then nothing')

  const ended = await c.request(26, 3, { transactionalId: 'fs-txn', producerId: p.producerId, producerEpoch: p.producerEpoch, committed: true })
  t.equal(ended.errorCode, 0, 'committed')
  await waitFor(async () => (await fetchV(c, 17, [{ topic, partition: 0, offset: 0 }], { readCommitted: true })).responses[0]!.partitions[0]!.lastStableOffset === 4, 'the commit marker')
  res = await inc(3)
  t.same(listed(res), [`${topic.id}:0`], 'the commit: listed with its records')
  t.same([res.responses[0]!.partitions[0]!.lastStableOffset, values(res.responses[0]!.partitions[0]!.records).slice(0, 2)], [4, ['t1', 't2']], 'the records (then the marker)')
})

t.test('max.incremental.fetch.session.cache.slots and Kafka\'s eviction rules', async (t) => {
  const { broker, clock } = await clockBroker(t, { maxIncrementalFetchSessionCacheSlots: 2 })
  const c = await connect(t, broker.port)
  const topic = await newTopic(c, 'slots', 2)
  await produce(c, 'slots', 0, batchOf(['s']))
  const one: Wants[] = [{ topic, partition: 0, offset: 0 }]
  const two: Wants[] = [{ topic, partition: 0, offset: 0 }, { topic, partition: 1, offset: 0 }]
  const open = (wants: Wants[]): Promise<FetchResponse> => fetchV(c, 17, wants, { epoch: 0 })
  const alive = async (id: number, epoch: number): Promise<boolean> => (await fetchV(c, 17, [], { sessionId: id, epoch })).errorCode === 0

  const a = (await open(one)).sessionId
  const b = (await open(one)).sessionId
  t.ok(a !== 0 && b !== 0, 'two slots: two sessions')
  const third = await open(one)
  t.same([third.errorCode, third.sessionId], [0, 0], 'a third, while both are young: no session (answered sessionless)')
  t.same(values(third.responses[0]!.partitions[0]!.records), ['s'], 'with its data')
  t.equal((await open(two)).sessionId, 0, 'not even with more partitions: sessions younger than 120 s are not evictable')

  clock.advance(121_000)
  t.ok(await alive(a, 1), 'a is used again after 121 s (now evictable by size, as it is old)')
  const d = (await open(one)).sessionId
  t.not(d, 0, 'b, unused for over 120 s, is stale: a new session evicts it')
  t.notOk(await alive(b, 1), 'b: FETCH_SESSION_ID_NOT_FOUND')
  t.ok(await alive(a, 2), 'a stays')
  t.equal((await open(one)).sessionId, 0, 'nothing stale; a (old, 1 partition) is not worth less than a newcomer with 1 partition')
  const f = (await open(two)).sessionId
  t.not(f, 0, 'a newcomer with more partitions evicts the old, smaller session')
  t.notOk(await alive(a, 3), 'a is gone')
  t.ok(await alive(d, 1), 'd, too young to evict, stays')
  t.ok(await alive(f, 1), 'f is served')

  const none = await clockBroker(t, { maxIncrementalFetchSessionCacheSlots: 0 })
  const c0 = await connect(t, none.broker.port)
  const t0 = await newTopic(c0, 'zero')
  t.equal((await fetchV(c0, 17, [{ topic: t0, partition: 0, offset: 0 }], { epoch: 0 })).sessionId, 0, 'zero slots: never a session')
})

t.test('leader epochs, diverging epochs and follower fetches on a one-node broker', async (t) => {
  const { broker } = await clockBroker(t)
  const c = await connect(t, broker.port)
  const topic = await newTopic(c, 'epochs')
  await produce(c, 'epochs', 0, batchOf(['a', 'b', 'c']))
  const one = async (v: number, offset: number, fields: Partial<FetchPartition>, o: FetchOptions = {}): Promise<{ res: FetchResponse; p: PartitionData }> => {
    const res = await fetchV(c, v, [{ topic, partition: 0, offset, fields }], o)
    return { res, p: res.responses[0]!.partitions[0]! }
  }

  for (const v of [9, 12, 17]) {
    t.equal((await one(v, 0, { currentLeaderEpoch: 0 })).p.errorCode, 0, `v${v}: current leader epoch 0 is this leader's`)
    t.equal((await one(v, 0, { currentLeaderEpoch: 1 })).p.errorCode, ErrorCode.UNKNOWN_LEADER_EPOCH, `v${v}: a later epoch: UNKNOWN_LEADER_EPOCH`)
  }
  for (const v of [12, 17]) {
    let r = await one(v, 2, { lastFetchedEpoch: 0 })
    t.same([r.p.errorCode, values(r.p.records)], [0, ['a', 'b', 'c']], `v${v}: last fetched epoch 0 within the log: a normal read`)
    t.same(r.p.divergingEpoch, { epoch: -1, endOffset: -1 })
    // Answered at once although max_wait_ms is long and the clock never moves.
    r = await one(v, 5, { lastFetchedEpoch: 0 }, { maxWaitMs: 60_000 })
    t.same([r.p.errorCode, r.p.highWatermark, values(r.p.records)], [0, 3, []], `v${v}: past the end of epoch 0: no error, no records`)
    t.same(r.p.divergingEpoch, { epoch: 0, endOffset: 3 }, `v${v}: diverging_epoch {0, log end}`)
    r = await one(v, 1, { lastFetchedEpoch: 4 })
    t.equal(r.p.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE, `v${v}: an epoch this log never had: OFFSET_OUT_OF_RANGE`)
  }
  t.equal((await one(12, 5, {})).p.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE, 'without a last fetched epoch, past the end is OFFSET_OUT_OF_RANGE')

  for (const v of ALL_VERSIONS) {
    let r = await one(v, 0, {}, { replicaId: 1, maxWaitMs: 60_000 })
    t.same([r.p.errorCode, values(r.p.records)], [ErrorCode.NOT_LEADER_OR_FOLLOWER, []], `v${v}: a follower (replica 1) is no replica here: NOT_LEADER_OR_FOLLOWER, at once`)
    if (v >= 16) {
      t.same(r.p.currentLeader, { leaderId: broker.nodeId, leaderEpoch: 0 }, `v${v}: current_leader names this broker`)
      t.same(r.res.nodeEndpoints, [{ nodeId: broker.nodeId, host: '127.0.0.1', port: broker.port, rack: null }], `v${v}: and node_endpoints its address`)
    } else if (v >= 12) {
      t.same(r.p.currentLeader, { leaderId: -1, leaderEpoch: -1 }, `v${v}: no leader hint before v16`)
    }
    if (v >= 9) {
      r = await one(v, 0, { currentLeaderEpoch: 0 }, { replicaId: 1 })
      t.equal(r.p.errorCode, ErrorCode.UNKNOWN_LEADER_EPOCH, `v${v}: a follower giving the leader epoch: UNKNOWN_LEADER_EPOCH`)
    }
  }
  t.equal((await one(15, 0, {}, { replicaId: -1 })).p.errorCode, 0, 'replica id -1 is a consumer')
  const v15 = fetchReq(15, [{ topic, partition: 0, offset: 0 }])
  v15.replicaId = 3 // not on the wire from v15: replica_state says who fetches
  t.equal((await c.request<FetchResponse>(1, 15, v15)).responses[0]!.partitions[0]!.errorCode, 0, 'v15: the old replica_id field is not read')
})

/**
 * A broker behind a proxy that advertises the proxy, so every connection a client makes
 * passes through it; `fetches` collects each Fetch request as sent.
 */
async function observedBroker(t: Test, options: Record<string, unknown> = {}): Promise<{ broker: RunningBroker; bootstrap: string; fetches: Array<{ version: number; req: FetchRequest }> }> {
  const proxy = await HoldingProxy.start(t, 0)
  const broker = await startBroker({ host: '127.0.0.1', port: 0, memory: true, shards: 2, logLevel: 'silent', advertisedPort: proxy.port, ...options })
  t.teardown(() => broker.close())
  proxy.target = broker.port
  const fetches: Array<{ version: number; req: FetchRequest }> = []
  proxy.onConnection = () => (frame) => {
    const r = new Reader(frame.subarray(4))
    const header = decodeRequestHeader(r)
    if (header.apiKey === 1) fetches.push({ version: header.apiVersion, req: decodeFetchRequest(r, header.apiVersion) })
  }
  return { broker, bootstrap: `127.0.0.1:${proxy.port}`, fetches }
}

t.test('librdkafka (kcat) consumes everything exactly once, sessionless', async (t) => {
  const { bootstrap, fetches } = await observedBroker(t, { numPartitions: 3 })
  const lines = Array.from({ length: 300 }, (_, i) => `k${i}:m${i}`)
  const p = await run('kcat', ['-b', bootstrap, '-P', '-t', 'rdk-sessions', '-K:', '-X', 'topic.partitioner=murmur2_random'], { input: lines.join('\n') + '\n' })
  t.equal(p.code, 0, p.stderr)
  const consumed = await run('kcat', ['-b', bootstrap, '-C', '-t', 'rdk-sessions', '-o', 'beginning', '-e', '-q', '-f', '%k:%s\n'])
  t.equal(consumed.code, 0, consumed.stderr)
  const got = consumed.stdout.trim().split('\n')
  t.equal(got.length, lines.length, 'as many messages as produced')
  t.same([...got].sort(), [...lines].sort(), 'each exactly once')
  t.ok(fetches.length > 0, `kcat fetched (${fetches.length} requests)`)
  t.ok(fetches.every((f) => f.req.sessionId === 0 && f.req.sessionEpoch === -1), 'librdkafka never asks for a session (session id 0, epoch -1)')
})

t.test('@platformatic/kafka consumes through incremental fetch sessions, everything exactly once', async (t) => {
  const { bootstrap, fetches } = await observedBroker(t)
  const bootstrapBrokers = [bootstrap]
  const admin = new Admin({ clientId: 'plt-admin', bootstrapBrokers })
  t.teardown(() => admin.close())
  await admin.createTopics({ topics: ['plt-sessions'], partitions: 3, replicas: 1 })
  const producer = new Producer({ clientId: 'plt-producer', bootstrapBrokers, serializers: stringSerializers, autocreateTopics: false })
  t.teardown(() => producer.close())
  const sent: string[] = []
  const send = async (partition: number, n: number): Promise<void> => {
    const messages = Array.from({ length: n }, () => {
      const value = `p${partition}-${sent.length}`
      sent.push(value)
      return { topic: 'plt-sessions', partition, key: value, value }
    })
    await producer.send({ messages, acks: -1 })
  }
  for (const p of [0, 1, 2]) await send(p, 10)

  const consumer = new Consumer({ clientId: 'plt-sessions', groupId: 'g-plt-sessions', bootstrapBrokers, deserializers: stringDeserializers, sessionTimeout: 10_000, heartbeatInterval: 500 })
  t.teardown(() => consumer.close(true).catch(() => {}))
  const stream = await consumer.consume({ topics: ['plt-sessions'], mode: 'earliest', autocommit: false, maxWaitTime: 200 })
  const got: Array<{ partition: number; offset: number; value: string }> = []
  const reading = (async () => {
    for await (const m of stream) {
      got.push({ partition: m.partition, offset: Number(m.offset), value: m.value })
      if (got.length >= 90) break
    }
  })()
  await waitFor(() => got.length >= 30, 'the first 30 messages')
  // One partition at a time: each round changes one partition of the session.
  for (const p of [1, 2, 0, 1, 2, 0]) {
    await send(p, 10)
    const want = sent.length
    await waitFor(() => got.length >= want, `message ${want}`)
  }
  await within(reading, 'the stream loop to end')
  t.equal(got.length, 90, 'as many messages as produced')
  t.same(got.map((m) => m.value).sort(), [...sent].sort(), 'each exactly once')
  for (const p of [0, 1, 2]) {
    const offsets = got.filter((m) => m.partition === p).map((m) => m.offset)
    t.same(offsets, Array.from({ length: 30 }, (_, i) => i), `partition ${p}: offsets 0-29 in order`)
  }
  const versions = new Set(fetches.map((f) => f.version))
  t.ok([...versions].every((v) => v >= 13), `Fetch by topic id (versions ${[...versions].join(', ')})`)
  const incremental = fetches.filter((f) => f.req.sessionId !== 0 && f.req.sessionEpoch > 0)
  // The first fetch opens the session; every later one rides on it (one more full fetch
  // is allowed, for a client that restarts its session).
  t.ok(incremental.length >= 3 && incremental.length >= fetches.length - 2, `incremental fetches in a session the broker opened (${incremental.length} of ${fetches.length})`)
  t.ok(incremental.some((f) => f.req.topics.reduce((n, x) => n + x.partitions.length, 0) < 3), 'incremental requests name only the partitions that changed')
  await stream.close().catch(() => {})
})
