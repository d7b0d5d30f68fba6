// Records the fuzzer's seeds: real requests from the clients the e2e tests run. A broker
// starts on a temp dir behind a small TCP proxy on 127.0.0.1 (the broker advertises the
// proxy's port, so clients come back through it after bootstrapping); kafkajs,
// @platformatic/kafka, kcat and Python confluent-kafka then produce, consume, administer
// topics and groups through it, one client at a time. Every client-to-broker frame is
// kept, attributed to the client whose turn it was when its connection opened, then
// thinned to a few of each (API key, version) so the seeds stay commit-sized, and
// written to test/fuzz/seeds/<client>.frames (see frame-file.ts).
//
//   node test/fuzz/record-seeds.ts [--out DIR]
//
// The topics used here are what the runner creates before fuzzing (it finds them in the
// Produce seeds), so mutated produce requests reach real partitions.

import { mkdtempSync, rmSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Kafka, CompressionTypes, logLevel } from 'kafkajs'
import { Producer as PltProducer, Consumer as PltConsumer, Admin as PltAdmin, stringSerializers, stringDeserializers } from '@platformatic/kafka'
import { startBroker } from '../../src/broker.ts'
import { run, systemPython } from '../helpers/external.ts'
import { writeFrameFile } from './frame-file.ts'
import { HoldingProxy } from '../helpers/holding-proxy.ts'

const outDir = (() => {
  const i = process.argv.indexOf('--out')
  return i >= 0 ? process.argv[i + 1]! : new URL('./seeds', import.meta.url).pathname
})()

/** At most this many frames of one (API key, version) per client, Produce a little more. */
const PER_API_VERSION = 10
const PER_PRODUCE_VERSION = 30
/** Frames above this are left out (keeps the files small; mutations grow frames anyway). */
const MAX_FRAME_BYTES = 48 * 1024

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * The proxy of the crash tests, recording every client-to-broker frame under the label
 * of the session whose turn it was when the connection opened.
 */
class Recorder {
  label = 'none'
  readonly frames = new Map<string, Buffer[]>()
  proxy!: HoldingProxy

  async listen(): Promise<void> {
    this.proxy = await HoldingProxy.start({ teardown: () => {} }, 0)
    this.proxy.onConnection = () => {
      if (!this.frames.has(this.label)) this.frames.set(this.label, [])
      const out = this.frames.get(this.label)!
      return (frame) => void out.push(Buffer.from(frame))
    }
  }

  get port(): number {
    return this.proxy.port
  }

  set target(port: number) {
    this.proxy.target = port
  }

  close(): Promise<void> {
    return this.proxy.close()
  }
}

/** A few of each (API key, version), spread over the session, exact duplicates dropped. */
function thin(frames: Buffer[]): Buffer[] {
  const groups = new Map<string, Buffer[]>()
  const seen = new Set<string>()
  for (const f of frames) {
    if (f.length > MAX_FRAME_BYTES) continue
    // Identical apart from the correlation id: the same request again.
    const key = Buffer.concat([f.subarray(4, 8), f.subarray(12)]).toString('base64')
    if (seen.has(key)) continue
    seen.add(key)
    const g = `${f.readInt16BE(4)}/${f.readInt16BE(6)}`
    if (!groups.has(g)) groups.set(g, [])
    groups.get(g)!.push(f)
  }
  const keep = new Set<Buffer>()
  for (const [g, list] of groups) {
    const cap = g.startsWith('0/') ? PER_PRODUCE_VERSION : PER_API_VERSION
    if (list.length <= cap) {
      for (const f of list) keep.add(f)
      continue
    }
    for (let i = 0; i < cap; i++) keep.add(list[Math.floor((i * (list.length - 1)) / (cap - 1))]!)
  }
  return frames.filter((f) => keep.has(f))
}

async function kafkajsSession(port: number): Promise<void> {
  const kafka = new Kafka({ clientId: 'seed-kafkajs', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, retry: { retries: 3 } })
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: 'seed-kafkajs', numPartitions: 3 }, { topic: 'seed-kafkajs-tmp', numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '600000' }] }] })

  const idempotent = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
  await idempotent.connect()
  for (let round = 0; round < 4; round++) {
    await idempotent.send({
      topic: 'seed-kafkajs',
      compression: CompressionTypes.GZIP,
      messages: Array.from({ length: 6 }, (_, i) => ({ partition: i % 3, key: `k${round}-${i}`, value: `gzip value ${round}-${i} ${'x'.repeat(i * 7)}`, headers: { n: String(i), round: String(round) } })),
    })
  }
  await idempotent.disconnect()
  const plain = kafka.producer()
  await plain.connect()
  await plain.send({ topic: 'seed-kafkajs', acks: 1, messages: [{ partition: 1, value: 'plain acks=1' }, { partition: 1, key: null, value: null }] })
  await plain.send({ topic: 'seed-kafkajs-tmp', acks: -1, messages: [{ partition: 0, key: 'k', value: 'to be deleted' }] })
  // Two topics in one request, uncompressed and gzip.
  for (const compression of [CompressionTypes.None, CompressionTypes.GZIP]) {
    await plain.sendBatch({
      acks: -1,
      compression,
      topicMessages: [
        { topic: 'seed-kafkajs', messages: Array.from({ length: 4 }, (_, i) => ({ partition: i % 3, key: i % 2 === 0 ? null : `bk${i}`, value: `batch ${i} ${'v'.repeat(i * 40)}` })) },
        { topic: 'seed-kafkajs-tmp', messages: [{ partition: 0, value: 'second topic', headers: { a: '1', b: '2', c: '3' } }] },
      ],
    })
  }
  await plain.disconnect()

  const consumer = kafka.consumer({ groupId: 'seed-kafkajs-group', maxWaitTimeInMs: 100, sessionTimeout: 10_000, heartbeatInterval: 500 })
  await consumer.connect()
  await consumer.subscribe({ topic: 'seed-kafkajs', fromBeginning: true })
  let seen = 0
  await consumer.run({ eachMessage: async () => void seen++ })
  for (let i = 0; i < 200 && seen < 26; i++) await sleep(50)
  await sleep(1200) // a heartbeat and an offset commit
  await consumer.disconnect()

  await admin.fetchOffsets({ groupId: 'seed-kafkajs-group', topics: ['seed-kafkajs'] })
  await admin.fetchTopicOffsets('seed-kafkajs')
  await admin.fetchTopicOffsetsByTimestamp('seed-kafkajs', Date.now() - 60_000)
  await admin.listGroups()
  await admin.describeGroups(['seed-kafkajs-group'])
  await admin.deleteTopics({ topics: ['seed-kafkajs-tmp'] })
  await admin.deleteGroups(['seed-kafkajs-group'])
  await admin.disconnect()
  if (seen < 26) throw new Error(`kafkajs consumer saw ${seen} of 26 messages`)
}

async function platformaticSession(port: number): Promise<void> {
  const bootstrapBrokers = [`127.0.0.1:${port}`]
  const admin = new PltAdmin({ clientId: 'seed-plt-admin', bootstrapBrokers })
  await admin.createTopics({ topics: ['seed-plt'], partitions: 2, replicas: 1 })
  const producer = new PltProducer({ clientId: 'seed-plt-producer', bootstrapBrokers, serializers: stringSerializers, autocreateTopics: false, idempotent: true })
  for (const compression of ['none', 'snappy', 'lz4', 'zstd', 'gzip', 'none', 'zstd'] as const) {
    await producer.send({
      acks: -1,
      compression,
      messages: Array.from({ length: 5 }, (_, i) => ({ topic: 'seed-plt', partition: i % 2, key: `k${i}`, value: `${compression} ${i} ${'y'.repeat(i * 11)}`, headers: { codec: compression } })),
    })
  }
  await producer.close()

  const consumer = new PltConsumer({ clientId: 'seed-plt-consumer', groupId: 'seed-plt-group', bootstrapBrokers, deserializers: stringDeserializers, sessionTimeout: 10_000, heartbeatInterval: 300 })
  const stream = await consumer.consume({ topics: ['seed-plt'], mode: 'committed', fallbackMode: 'earliest', autocommit: false, maxWaitTime: 100 })
  let seen = 0
  for await (const m of stream) {
    await m.commit()
    if (++seen >= 20) break
  }
  await consumer.close(true)
  await admin.listGroups()
  await admin.describeGroups({ groups: ['seed-plt-group'] })
  await admin.close()
}

async function kcatSession(port: number): Promise<void> {
  const b = `127.0.0.1:${port}`
  const must = async (args: string[], input?: string): Promise<void> => {
    const r = await run('kcat', ['-b', b, ...args], { input, timeoutMs: 60_000 })
    if (r.code !== 0) throw new Error(`kcat ${args.join(' ')} failed: ${r.stderr}`)
  }
  // seed-kcat has 2 partitions (created beforehand); this one is auto-created by Metadata.
  await must(['-P', '-t', 'seed-kcat-auto', '-p', '0'], 'auto created\n')
  await must(['-L'])
  for (const codec of ['snappy', 'lz4', 'zstd', 'gzip']) {
    const lines = Array.from({ length: 30 }, (_, i) => `k${i}:${codec} line ${i} ${'z'.repeat(i % 13)}`)
    await must(['-P', '-t', 'seed-kcat', '-p', String(lines.length % 2), '-z', codec, '-K:', '-X', 'linger.ms=20', '-X', 'enable.idempotence=true'], lines.join('\n') + '\n')
  }
  await must(['-P', '-t', 'seed-kcat', '-p', '1', '-X', 'acks=0'], 'acks zero one\nacks zero two\n')
  await must(['-C', '-t', 'seed-kcat', '-p', '0', '-o', 'beginning', '-e', '-q', '-X', 'fetch.wait.max.ms=100'])
  await must(['-C', '-t', 'seed-kcat', '-o', '-5', '-e', '-q', '-X', 'fetch.wait.max.ms=100'])
  await must(['-L', '-t', 'seed-kcat'])
}

const PYTHON = String.raw`
import sys, time
from confluent_kafka import Producer, Consumer
from confluent_kafka.admin import AdminClient, NewTopic
b = sys.argv[1]
admin = AdminClient({"bootstrap.servers": b})
for f in admin.create_topics([NewTopic("seed-python", num_partitions=2, replication_factor=1), NewTopic("seed-python-tmp", num_partitions=1, replication_factor=1)]).values():
    f.result()
p = Producer({"bootstrap.servers": b, "enable.idempotence": True, "compression.codec": "zstd", "linger.ms": 20})
for r in range(4):
    for i in range(10):
        p.produce("seed-python", key=("k%d" % i).encode(), value=("python zstd %d %d " % (r, i) + "w" * (i % 17)).encode(), partition=i % 2, headers=[("h", b"v")])
    p.flush(30)
p2 = Producer({"bootstrap.servers": b, "compression.codec": "lz4", "acks": 1})
for r in range(3):
    for i in range(10):
        p2.produce("seed-python", value=("python lz4 %d %d" % (r, i)).encode(), partition=r % 2, timestamp=1700000000000 + i)
    p2.flush(30)
p3 = Producer({"bootstrap.servers": b, "compression.codec": "snappy", "acks": -1, "linger.ms": 5})
for i in range(20):
    p3.produce("seed-python", key=None if i % 3 == 0 else b"sk", value=None if i % 5 == 0 else ("snappy %d" % i).encode(), partition=0)
p3.flush(30)
c = Consumer({"bootstrap.servers": b, "group.id": "seed-python-group", "auto.offset.reset": "earliest", "enable.auto.commit": False, "fetch.wait.max.ms": 100, "session.timeout.ms": 10000})
c.subscribe(["seed-python"])
seen = 0
deadline = time.time() + 30
while seen < 50 and time.time() < deadline:
    m = c.poll(0.2)
    if m is None or m.error():
        continue
    seen += 1
    if seen % 10 == 0:
        c.commit(message=m, asynchronous=False)
c.committed([])
c.close()
for f in admin.delete_topics(["seed-python-tmp"]).values():
    f.result()
admin.list_topics(timeout=10)
print("consumed", seen)
sys.exit(0 if seen >= 50 else 1)
`

async function pythonSession(port: number): Promise<void> {
  const r = await run(systemPython, ['-c', PYTHON, `127.0.0.1:${port}`], { timeoutMs: 90_000 })
  if (r.code !== 0) throw new Error(`python confluent-kafka session failed (${r.code}): ${r.stdout}\n${r.stderr}`)
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-seeds-'))
  const recorder = new Recorder()
  await recorder.listen()
  const broker = await startBroker({ host: '127.0.0.1', port: 0, advertisedPort: recorder.port, dataDir, shards: 2, logLevel: 'silent' })
  recorder.target = broker.port
  // Outside any recorded session: a topic kcat cannot create with two partitions.
  const setup = new Kafka({ clientId: 'seed-setup', brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING }).admin()
  await setup.connect()
  await setup.createTopics({ topics: [{ topic: 'seed-kcat', numPartitions: 2 }] })
  await setup.disconnect()
  const sessions: Array<[string, (port: number) => Promise<void>]> = [
    ['kafkajs', kafkajsSession],
    ['platformatic', platformaticSession],
    ['kcat', kcatSession],
    ['confluent-kafka', pythonSession],
  ]
  try {
    for (const [label, session] of sessions) {
      recorder.label = label
      const started = Date.now()
      await session(recorder.port)
      await sleep(300) // let closing connections finish their last frames
      console.log(`${label}: ${recorder.frames.get(label)?.length ?? 0} frames in ${Date.now() - started} ms`)
    }
  } finally {
    await recorder.close()
    await broker.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
  mkdirSync(outDir, { recursive: true })
  let total = 0
  let bytes = 0
  for (const [label] of sessions) {
    const kept = thin(recorder.frames.get(label) ?? [])
    writeFrameFile(join(outDir, `${label}.frames`), kept)
    const size = kept.reduce((n, f) => n + f.length, 0)
    total += kept.length
    bytes += size
    const apis = [...new Set(kept.map((f) => `${f.readInt16BE(4)}v${f.readInt16BE(6)}`))].join(' ')
    console.log(`${label}.frames: ${kept.length} frames, ${size} bytes (${apis})`)
  }
  console.log(`seeds: ${total} frames, ${bytes} bytes in ${outDir}`)
}

await main()
