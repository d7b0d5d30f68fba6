// DeleteRecords (21), DescribeLogDirs (35) and DescribeCluster (60) with real clients:
// kafkajs (deleteTopicRecords, a consumer whose committed offset was deleted,
// describeCluster), @platformatic/kafka's Admin (deleteRecords, describeLogDirs) and the
// generated codecs on a raw socket for every advertised version. On disk: the segments
// below the new log start are gone and the start survives a restart.

import t from 'tap'
import { readdirSync, statSync, statfsSync } from 'node:fs'
import { join } from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { Admin } from '@platformatic/kafka'
import { startBroker } from '../../src/broker.ts'
import { handlers } from '../../src/handlers/registry.ts'
import { memoryBroker, spawnBroker, tempDir } from '../helpers/broker.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { kafkaClient } from '../helpers/kafkajs-fetch.ts'
import { batchOf, createTopic, fetchOne, patientRequest, produce, splitBatches } from '../helpers/wire-requests.ts'
import { buildRecordBatch, decodeAllRecords } from '../../protocol/records/record-batch-builder.ts'
import { defaultListOffsetsPartition, defaultListOffsetsRequest } from '../../protocol/messages/list-offsets-request.ts'
import type { ListOffsetsResponse } from '../../protocol/messages/list-offsets-response.ts'
import type { DeleteRecordsResponse } from '../../protocol/messages/delete-records-response.ts'
import type { DescribeLogDirsResponse } from '../../protocol/messages/describe-log-dirs-response.ts'
import type { DescribeClusterResponse } from '../../protocol/messages/describe-cluster-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'

const SEGMENT_FILE = /^(\d{20})\.log$/
const NO_OPS = -2147483648
// CREATE(5), ALTER(7), DESCRIBE(8), CLUSTER_ACTION(9), DESCRIBE_CONFIGS(10), ALTER_CONFIGS(11), IDEMPOTENT_WRITE(12)
const CLUSTER_OPS = (1 << 5) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12)

function range(apiKey: number): number[] {
  const h = handlers.find((x) => x.apiKey === apiKey)!
  const out: number[] = []
  for (let v = h.minVersion; v <= h.maxVersion; v++) out.push(v)
  return out
}

function segmentBases(dataDir: string, topic: string, partition = 0): number[] {
  return readdirSync(join(dataDir, `${topic}-${partition}`))
    .map((n) => SEGMENT_FILE.exec(n))
    .filter((m) => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b)
}

/** Bytes in the partition's .log files. */
function logBytes(dataDir: string, topic: string, partition: number): number {
  const dir = join(dataDir, `${topic}-${partition}`)
  return readdirSync(dir).filter((n) => SEGMENT_FILE.test(n)).reduce((sum, n) => sum + statSync(join(dir, n)).size, 0)
}

async function listOffset(c: RawClient, topic: string, partition: number, timestamp: number): Promise<{ errorCode: number; offset: number }> {
  const req = defaultListOffsetsRequest()
  req.replicaId = -1
  req.topics = [{ name: topic, partitions: [{ ...defaultListOffsetsPartition(), partitionIndex: partition, timestamp }] }]
  const p = (await c.request<ListOffsetsResponse>(2, 9, req)).topics[0]!.partitions[0]!
  return { errorCode: p.errorCode, offset: p.offset }
}

const earliest = async (c: RawClient, topic: string, partition = 0): Promise<number> => (await listOffset(c, topic, partition, -2)).offset

function deleteRecords(c: RawClient, version: number, topics: Array<{ name: string; partitions: Array<[number, number]> }>): Promise<DeleteRecordsResponse> {
  return patientRequest<DeleteRecordsResponse>(c, 21, version, {
    topics: topics.map((t) => ({ name: t.name, partitions: t.partitions.map(([partitionIndex, offset]) => ({ partitionIndex, offset })) })),
    timeoutMs: 5000,
  })
}

/** The partition results of a DeleteRecords answer, as "topic/partition" → [lowWatermark, errorCode]. */
function deleteResults(res: DeleteRecordsResponse): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = {}
  for (const t of res.topics) for (const p of t.partitions) out[`${t.name}/${p.partitionIndex}`] = [p.lowWatermark, p.errorCode]
  return out
}

/** Error codes anywhere in a client error (platformatic nests them under `errors` and `response`). */
function errorCodes(err: unknown, out: number[] = [], seen = new Set<unknown>()): number[] {
  if (err === null || typeof err !== 'object' || seen.has(err)) return out
  seen.add(err)
  const e = err as Record<string, unknown>
  if (typeof e.errorCode === 'number') out.push(e.errorCode)
  for (const v of Object.values(e)) if (v !== null && typeof v === 'object') errorCodes(v, out, seen)
  if (Array.isArray(e.errors)) for (const x of e.errors) errorCodes(x, out, seen)
  return out
}

t.test('kafkajs deleteTopicRecords on a segmented log: segments go, consumers reset, the start survives a restart', async (t) => {
  const dataDir = tempDir(t)
  let broker = await spawnBroker(['--data-dir', dataDir])
  t.teardown(() => broker.child.kill('SIGKILL'))
  const logs: string[] = []
  const kafka = new Kafka({
    clientId: 'records-admin',
    brokers: [`127.0.0.1:${broker.port}`],
    logLevel: logLevel.ERROR,
    retry: { retries: 3 },
    logCreator: () => (entry) => logs.push(entry.log.message),
  })
  const admin = kafka.admin()
  await admin.connect()
  t.teardown(() => admin.disconnect())
  await admin.createTopics({ topics: [{ topic: 'trimmed', numPartitions: 1, configEntries: [{ name: 'segment.bytes', value: '4096' }] }] })
  const producer = kafka.producer()
  await producer.connect()
  // 40 batches of two ~400-byte records: offsets 0-79 over about ten 4 KiB segments.
  for (let b = 0; b < 40; b++) {
    await producer.send({ topic: 'trimmed', messages: [{ partition: 0, value: `${b * 2}-`.padEnd(400, 'x') }, { partition: 0, value: `${b * 2 + 1}-`.padEnd(400, 'y') }] })
  }
  await producer.disconnect()

  const before = segmentBases(dataDir, 'trimmed')
  t.ok(before.length >= 6, `${before.length} segments before the deletion`)
  // Inside the fourth segment, not at its base: only a checkpoint can remember it.
  const start = before[3]! + 3
  t.ok(start < before[4]!, `offset ${start} lies inside the segment at ${before[3]}`)

  // A group that committed an offset the deletion will remove.
  await admin.setOffsets({ groupId: 'behind', topic: 'trimmed', partitions: [{ partition: 0, offset: '2' }] })

  await admin.deleteTopicRecords({ topic: 'trimmed', partitions: [{ partition: 0, offset: String(start) }] })
  t.same(await admin.fetchTopicOffsets('trimmed'), [{ partition: 0, offset: '80', high: '80', low: String(start) }], 'earliest offset = the new log start')
  t.same(segmentBases(dataDir, 'trimmed'), before.slice(3), 'the segments wholly below the new start are gone from disk, the one holding it stays')

  const past = await admin.deleteTopicRecords({ topic: 'trimmed', partitions: [{ partition: 0, offset: '85' }] }).then(
    () => null,
    (err: any) => err,
  )
  t.ok(past !== null, 'an offset past the high watermark is refused')
  // kafkajs's retrier wraps the per-partition error (not retriable) in a KafkaJSNonRetriableError.
  const cause = past?.name === 'KafkaJSDeleteTopicRecordsError' ? past : past?.cause
  t.equal(cause?.name, 'KafkaJSDeleteTopicRecordsError')
  t.same(cause?.partitions?.map((p: any) => [p.partition, p.offset, p.error?.type]), [[0, '85', 'OFFSET_OUT_OF_RANGE']], 'with OFFSET_OUT_OF_RANGE for partition 0')
  t.equal((await admin.fetchTopicOffsets('trimmed'))[0]!.low, String(start), 'and changes nothing')

  const c = await RawClient.connect(broker.port)
  t.equal((await fetchOne(c, 'trimmed', 0, start - 1)).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE, 'Fetch below the new start: OFFSET_OUT_OF_RANGE')
  const at = await fetchOne(c, 'trimmed', 0, start)
  t.equal(at.errorCode, ErrorCode.NONE)
  t.equal(at.logStartOffset, start, 'Fetch reports the new log start')
  t.ok(decodeAllRecords(at.records!).some((r) => r.offset === start), 'Fetch at the new start returns it')
  t.equal((await listOffset(c, 'trimmed', 0, 0)).offset, start, 'ListOffsets by timestamp finds nothing below the start')
  c.close()

  // The committed offset 2 is gone: the consumer is told OFFSET_OUT_OF_RANGE and resets
  // by its policy (fromBeginning: the earliest offset, the new start).
  const consumer = kafka.consumer({ groupId: 'behind', heartbeatInterval: 500 })
  await consumer.connect()
  await consumer.subscribe({ topics: ['trimmed'], fromBeginning: true })
  const first = await new Promise<{ offset: number; value: string }>((resolve) => {
    void consumer.run({ eachMessage: async ({ message }) => resolve({ offset: Number(message.offset), value: message.value!.toString() }) })
  })
  await consumer.disconnect()
  t.equal(first.offset, start, 'the consumer went on from the new start')
  t.ok(first.value.startsWith(`${start}-`), 'with the record stored there')
  t.ok(logs.some((m) => /Offset out of range, resetting/.test(m)), 'after kafkajs saw OFFSET_OUT_OF_RANGE')

  await admin.disconnect()
  broker.child.kill('SIGTERM')
  t.equal(await broker.exited, 0, 'SIGTERM exits 0')
  broker = await spawnBroker(['--data-dir', dataDir])
  const again = kafkaClient(broker.port).admin()
  await again.connect()
  t.same(await again.fetchTopicOffsets('trimmed'), [{ partition: 0, offset: '80', high: '80', low: String(start) }], 'the log start survives the restart (not the segment base)')
  await again.disconnect()
  const c2 = await RawClient.connect(broker.port)
  t.equal((await fetchOne(c2, 'trimmed', 0, start - 1)).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE, 'after the restart too, Fetch below the start is out of range')
  c2.close()
  broker.child.kill('SIGTERM')
  t.equal(await broker.exited, 0)
})

t.test('@platformatic/kafka Admin: deleteRecords and describeLogDirs on a data dir', async (t) => {
  const dataDir = tempDir(t)
  const broker = await startBroker({ host: '127.0.0.1', port: 0, dataDir, shards: 2, logLevel: 'silent' })
  t.teardown(() => broker.close())
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  await createTopic(c, 'plt-trim', 2, { 'segment.bytes': '2048' })
  for (let b = 0; b < 10; b++) {
    for (const p of [0, 1]) await produce(c, 'plt-trim', p, batchOf([`${p}-${b}-a`.padEnd(300, 'a'), `${p}-${b}-b`.padEnd(300, 'b')]))
  }
  const admin = new Admin({ clientId: 'plt-records', bootstrapBrokers: [`127.0.0.1:${broker.port}`] })
  t.teardown(() => admin.close())

  const deleted = await admin.deleteRecords({ topics: [{ name: 'plt-trim', partitions: [{ partition: 0, offset: 7n }, { partition: 1, offset: -1n }] }] })
  const low = Object.fromEntries(deleted.flatMap((x) => x.partitions.map((p) => [`${x.name}/${p.partition}`, p.lowWatermark])))
  t.same(low, { 'plt-trim/0': 7n, 'plt-trim/1': 20n }, 'DeleteRecords v2: low watermarks = the new starts (−1: the high watermark)')
  t.equal(await earliest(c, 'plt-trim', 0), 7)
  t.equal(await earliest(c, 'plt-trim', 1), 20)
  t.equal(segmentBases(dataDir, 'plt-trim', 1).length, 1, '−1 leaves only the active segment of partition 1')

  const err = await admin.deleteRecords({ topics: [{ name: 'plt-trim', partitions: [{ partition: 0, offset: 21n }] }] }).then(() => null, (e: unknown) => e)
  t.ok(err !== null, 'an offset past the end is refused')
  t.ok(errorCodes(err).includes(ErrorCode.OFFSET_OUT_OF_RANGE), 'with OFFSET_OUT_OF_RANGE')
  t.equal(await earliest(c, 'plt-trim', 0), 7, 'and nothing moved')

  const dirs = await admin.describeLogDirs({ topics: [{ name: 'plt-trim', partitions: [0, 1, 5] }] })
  t.equal(dirs.length, 1, 'one broker')
  t.equal(dirs[0]!.broker, 0)
  t.equal(dirs[0]!.results.length, 1, 'one log dir')
  const dir = dirs[0]!.results[0]!
  t.equal(dir.logDir, dataDir, 'the data dir, absolute')
  t.same(
    dir.topics.map((x) => ({ name: x.name, partitions: x.partitions.map((p) => [p.partitionIndex, Number(p.partitionSize), Number(p.offsetLag), p.isFutureKey]) })),
    [{ name: 'plt-trim', partitions: [[0, logBytes(dataDir, 'plt-trim', 0), 0, false], [1, logBytes(dataDir, 'plt-trim', 1), 0, false]] }],
    'per partition the bytes of its segments on disk; partition 5 does not exist and is left out',
  )
  t.ok(logBytes(dataDir, 'plt-trim', 1) > 0, 'the active segment still holds bytes')
  const fs = statfsSync(dataDir)
  t.equal(Number(dir.totalBytes), fs.blocks * fs.bsize, 'total_bytes: the volume size')
  const usable = Number(dir.usableBytes)
  t.ok(usable > 0 && Math.abs(usable - fs.bavail * fs.bsize) < 256 * 1024 * 1024, `usable_bytes ${usable} ≈ statfs ${fs.bavail * fs.bsize}`)
})

t.test('every advertised version on the wire', async (t) => {
  const broker = await memoryBroker(t)
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  const versions = range(21)
  t.same(versions, [0, 1, 2], 'DeleteRecords 0-2')
  t.same(range(35), [0, 1, 2, 3, 4], 'DescribeLogDirs 0-4')
  t.same(range(60), [0, 1], 'DescribeCluster 0-1')

  // One partition per DeleteRecords version, each with 3 batches of 2 records (offsets 0-5).
  const sizes = new Map<number, number>()
  await createTopic(c, 'wire', 3)
  for (const p of [0, 1, 2]) {
    let bytes = 0
    for (let b = 0; b < 3; b++) {
      const batch = batchOf([`w${p}-${b}-0`, `w${p}-${b}-1`])
      bytes += batch.length
      t.equal((await produce(c, 'wire', p, batch)).errorCode, 0)
    }
    sizes.set(p, bytes)
  }

  for (const v of versions) {
    const p = v
    const res = await deleteRecords(c, v, [{ name: 'wire', partitions: [[p, 1 + v]] }])
    t.same(deleteResults(res), { [`wire/${p}`]: [1 + v, 0] }, `DeleteRecords v${v}: low watermark ${1 + v}`)
    t.equal(await earliest(c, 'wire', p), 1 + v, `v${v}: ListOffsets earliest moved at once`)
    t.equal((await fetchOne(c, 'wire', p, v)).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE, `v${v}: Fetch below it is out of range`)
    // The start may fall inside a batch: that batch is still returned whole, as Kafka does.
    const got = splitBatches((await fetchOne(c, 'wire', p, 1 + v)).records)
    t.ok(got.length > 0, `v${v}: Fetch at the new start returns records`)
    t.ok(decodeAllRecords(got[0]!).some((r) => r.offset === 1 + v), `v${v}: starting with the batch holding offset ${1 + v}`)
    // Lower than the start: nothing moves, the current start is answered.
    t.same(deleteResults(await deleteRecords(c, v, [{ name: 'wire', partitions: [[p, 0]] }])), { [`wire/${p}`]: [1 + v, 0] }, `v${v}: an offset below the start changes nothing`)
  }
  // Memory storage deletes no segment here (all six records sit in one), so sizes are unchanged.
  for (const v of range(35)) {
    const all = await c.request<DescribeLogDirsResponse>(35, v, { topics: null })
    t.equal(all.results.length, 1, `DescribeLogDirs v${v}: one log dir`)
    const dir = all.results[0]!
    t.equal(dir.errorCode, 0)
    t.equal(dir.logDir, '/memory', `v${v}: memory storage names its log dir /memory`)
    const wire = dir.topics.find((x) => x.name === 'wire')
    t.same(wire?.partitions.map((p) => [p.partitionIndex, p.partitionSize, p.offsetLag, p.isFutureKey]), [0, 1, 2].map((p) => [p, sizes.get(p), 0, false]), `v${v}: topics null lists every partition with its bytes`)
    if (v >= 3) t.equal(all.errorCode, 0, `v${v}: top-level error_code`)
    if (v >= 4) t.same([dir.totalBytes, dir.usableBytes], [-1, -1], `v${v}: no volume under memory storage`)

    const some = await c.request<DescribeLogDirsResponse>(35, v, { topics: [{ topic: 'wire', partitions: [2, 9] }, { topic: 'nope', partitions: [0] }] })
    t.same(some.results[0]!.topics.map((x) => [x.name, x.partitions.map((p) => p.partitionIndex)]), [['wire', [2]]], `v${v}: only the named partitions that exist`)
    const none = await c.request<DescribeLogDirsResponse>(35, v, { topics: [] })
    t.same(none.results[0]!.topics, [], `v${v}: an empty topic list describes nothing`)
  }

  const kafkajs = kafkaClient(broker.port).admin()
  await kafkajs.connect()
  t.teardown(() => kafkajs.disconnect())
  const described = await kafkajs.describeCluster()
  t.same(described.brokers, [{ nodeId: broker.nodeId, host: broker.advertisedHost, port: broker.advertisedPort }], 'kafkajs describeCluster: this broker')
  t.equal(described.controller, broker.nodeId)
  t.equal(described.clusterId, broker.clusterId)
  for (const v of range(60)) {
    for (const asked of [false, true]) {
      const res = await c.request<DescribeClusterResponse>(60, v, { includeClusterAuthorizedOperations: asked, endpointType: 1 })
      t.equal(res.errorCode, 0)
      t.equal(res.errorMessage, null)
      t.equal(res.clusterId, described.clusterId, `DescribeCluster v${v}: the cluster id kafkajs saw through Metadata`)
      t.equal(res.controllerId, described.controller, `v${v}: controller = this node`)
      t.same(res.brokers, [{ brokerId: broker.nodeId, host: broker.advertisedHost, port: broker.advertisedPort, rack: null }], `v${v}: the advertised address`)
      t.equal(res.clusterAuthorizedOperations, asked ? CLUSTER_OPS : NO_OPS, `v${v}: authorized operations ${asked ? 'of an authorize-everything cluster' : 'not asked'}`)
      if (v >= 1) t.equal(res.endpointType, 1, `v${v}: endpoint type brokers`)
    }
  }
  const controllers = await c.request<DescribeClusterResponse>(60, 1, { includeClusterAuthorizedOperations: false, endpointType: 2 })
  t.same([controllers.errorCode, controllers.brokers, controllers.controllerId], [ErrorCode.MISMATCHED_ENDPOINT_TYPE, [], -1], 'asking a broker for controllers: MISMATCHED_ENDPOINT_TYPE')
  const unknown = await c.request<DescribeClusterResponse>(60, 1, { includeClusterAuthorizedOperations: false, endpointType: 3 })
  t.same([unknown.errorCode, unknown.brokers], [ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, []], 'an unknown endpoint type: UNSUPPORTED_ENDPOINT_TYPE')
})

t.test('bad input gets Kafka\'s codes and changes nothing', async (t) => {
  const broker = await memoryBroker(t)
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  await createTopic(c, 'kept', 3)
  await createTopic(c, 'compacted', 1, { 'cleanup.policy': 'compact' })
  for (const p of [0, 1, 2]) await produce(c, 'kept', p, batchOf(['a', 'b', 'c', 'd']))
  t.equal((await produce(c, 'compacted', 0, buildRecordBatch({ records: [{ key: Buffer.from('k'), value: Buffer.from('x') }] }))).errorCode, 0)
  // __consumer_offsets exists once a group committed.
  const kafkajs = kafkaClient(broker.port).admin()
  await kafkajs.connect()
  await kafkajs.setOffsets({ groupId: 'g', topic: 'kept', partitions: [{ partition: 0, offset: '0' }] })
  await kafkajs.disconnect()
  t.ok(broker.stats().topics >= 3, '__consumer_offsets was created')
  const sizesBefore = (await c.request<DescribeLogDirsResponse>(35, 4, { topics: null })).results[0]!.topics

  for (const v of range(21)) {
    const res = await deleteRecords(c, v, [
      { name: 'nope', partitions: [[0, 1]] },
      { name: 'kept', partitions: [[3, 1], [-1, 1], [0, -2], [1, -100], [2, 5]] },
      { name: 'compacted', partitions: [[0, 1]] },
      { name: '__consumer_offsets', partitions: [[0, 0]] },
    ])
    t.same(
      deleteResults(res),
      {
        'nope/0': [-1, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
        'kept/3': [-1, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
        'kept/-1': [-1, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
        'kept/0': [-1, ErrorCode.OFFSET_OUT_OF_RANGE],
        'kept/1': [-1, ErrorCode.OFFSET_OUT_OF_RANGE],
        'kept/2': [-1, ErrorCode.OFFSET_OUT_OF_RANGE],
        'compacted/0': [-1, ErrorCode.POLICY_VIOLATION],
        '__consumer_offsets/0': [-1, ErrorCode.INVALID_TOPIC_EXCEPTION],
      },
      `DeleteRecords v${v}: unknown topic/partition, negative offsets other than −1, past the high watermark, a compacted and an internal topic`,
    )
    for (const p of [0, 1, 2]) t.equal(await earliest(c, 'kept', p), 0, `v${v}: kept-${p} still starts at 0`)
    t.equal(await earliest(c, 'compacted', 0), 0)
    t.equal(decodeAllRecords((await fetchOne(c, 'kept', 0, 0)).records!).length, 4, `v${v}: every record still readable`)
  }
  t.same((await c.request<DescribeLogDirsResponse>(35, 4, { topics: null })).results[0]!.topics, sizesBefore, 'no log changed size')

  // A partition named twice is answered once, with the last offset asked for (Kafka keeps a map).
  const twice = await deleteRecords(c, 2, [{ name: 'kept', partitions: [[0, 1], [0, 3]] }])
  t.same(twice.topics.map((x) => x.partitions.map((p) => [p.partitionIndex, p.lowWatermark, p.errorCode])), [[[0, 3, 0]]])
  // −1 is the high watermark; the high watermark itself is allowed.
  t.same(deleteResults(await deleteRecords(c, 2, [{ name: 'kept', partitions: [[1, -1], [2, 4]] }])), { 'kept/1': [4, 0], 'kept/2': [4, 0] }, '−1 and the high watermark both empty the partition')
  t.same((await fetchOne(c, 'kept', 1, 4)).records?.length ?? 0, 0, 'nothing left to read at the high watermark')
})
