// Topic compression.type (issue 14): a batch whose codec differs from the topic's is
// recompressed on its shard before it is stored, as Kafka's LogValidator does; `producer`
// keeps the producer's codec. Every topic type gets batches in every codec from
// confluent-kafka (librdkafka), @platformatic/kafka and kafkajs (gzip); kcat and
// confluent-kafka must read back exactly what was produced, and the segment files must
// hold the topic's codec in every batch. Transaction markers stay uncompressed, and a
// compression.type changed live (IncrementalAlterConfigs, topic and broker default)
// applies to the next batch.

import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Admin, Producer, stringSerializers } from '@platformatic/kafka'
import kafkajs from 'kafkajs'
import { tempDir } from '../helpers/broker.ts'
import { run, lastJsonLine, systemPython } from '../helpers/external.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { createTopic, produce } from '../helpers/wire-requests.ts'
import { startBroker } from '../../src/broker.ts'
import { buildRecordBatch } from '../../protocol/records/record-batch-builder.ts'
import { ATTRIBUTES_OFFSET, BATCH_LENGTH_OFFSET, CONTROL_FLAG_MASK, LOG_OVERHEAD, TRANSACTIONAL_FLAG_MASK, readInt64 } from '../../protocol/records/record-batch.ts'

const { Kafka, CompressionTypes, logLevel } = kafkajs

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const
const TOPIC_TYPES = ['producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd'] as const
const CODEC_ID: Record<string, number> = { uncompressed: 0, none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 }

interface Rec {
  key: string
  value: string
  headers: Array<[string, string]>
}

/** Batches on disk, oldest first: codec and flags of each, read from the segment files. */
function storedBatches(dataDir: string, topic: string, partition: number): Array<{ baseOffset: number; codec: number; control: boolean; transactional: boolean }> {
  const dir = join(dataDir, `${topic}-${partition}`)
  const out = []
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.log')).sort()) {
    const buf = readFileSync(join(dir, name))
    for (let pos = 0; pos + LOG_OVERHEAD <= buf.length; pos += buf.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD) {
      const attributes = buf.readInt16BE(pos + ATTRIBUTES_OFFSET)
      out.push({ baseOffset: readInt64(buf, pos), codec: attributes & 7, control: (attributes & CONTROL_FLAG_MASK) !== 0, transactional: (attributes & TRANSACTIONAL_FLAG_MASK) !== 0 })
    }
  }
  return out
}

// Deterministic, ASCII (kcat prints it as is), mostly compressible; one record per
// partition spans several lz4 blocks and snappy chunks.
function records(tag: string, count: number, big: number): Rec[] {
  let seed = tag.length * 7919
  const letter = (): string => String.fromCharCode(97 + ((seed = (seed * 1103515245 + 12345) % 2147483648) % 26))
  return Array.from({ length: count }, (_, i) => ({
    key: `${tag}-k${i}`,
    value: i === big ? Array.from({ length: 150_000 }, letter).join('') : `${tag} value ${i} ` + 'lorem ipsum dolor '.repeat(i * 3),
    headers: i % 2 === 0 ? [['trace', `${tag}-${i}`], ['empty', '']] : [],
  }))
}

const hex = (s: string): string => Buffer.from(s).toString('hex')

const PRODUCE_PY = `
import json, sys
from confluent_kafka import Producer
bootstrap = sys.argv[1]
jobs = json.load(sys.stdin)
errors = []
def report(err, msg):
    if err is not None: errors.append(str(err))
for job in jobs['plain']:
    p = Producer({'bootstrap.servers': bootstrap, 'compression.type': job['codec'], 'linger.ms': 200, 'enable.idempotence': False})
    for target in job['targets']:
        for r in target['records']:
            p.produce(target['topic'], partition=target['partition'], key=bytes.fromhex(r['key']), value=bytes.fromhex(r['value']),
                      headers=[(k, bytes.fromhex(v)) for k, v in r['headers']], on_delivery=report)
    if p.flush(60) != 0: errors.append('flush left messages')
txn = jobs['txn']
p = Producer({'bootstrap.servers': bootstrap, 'compression.type': 'gzip', 'transactional.id': 'ct-txn-producer', 'linger.ms': 50})
p.init_transactions(30)
p.begin_transaction()
for v in txn['values']:
    p.produce(txn['topic'], partition=0, key=b'k', value=v.encode(), on_delivery=report)
p.commit_transaction(30)
print(json.dumps({'errors': errors}))
`

const CONSUME_PY = `
import json, sys, time
from confluent_kafka import Consumer, TopicPartition
bootstrap = sys.argv[1]
wanted = json.load(sys.stdin)
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'ct-check', 'enable.auto.commit': False, 'fetch.message.max.bytes': 1048576})
c.assign([TopicPartition(t, p, 0) for t, p, end in wanted])
ends = {(t, p): end for t, p, end in wanted}
got = {}
done = set((t, p) for t, p, end in wanted if end == 0)
deadline = time.time() + 90
while len(done) < len(ends) and time.time() < deadline:
    m = c.poll(1.0)
    if m is None or m.error() is not None: continue
    key = (m.topic(), m.partition())
    got.setdefault(key, []).append([m.offset(), m.key().hex() if m.key() is not None else None, m.value().hex() if m.value() is not None else None,
                                    [[k, v.hex() if v is not None else None] for k, v in (m.headers() or [])]])
    if m.offset() >= ends[key] - 1: done.add(key)
c.close()
print(json.dumps({'records': [[t, p, recs] for (t, p), recs in got.items()]}))
`

t.test('every topic compression.type, batches from every codec: stored in the topic\'s codec, read back unchanged', async (t) => {
  const dataDir = tempDir(t)
  const broker = await startBroker({ host: '127.0.0.1', port: 0, dataDir, shards: 2, logLevel: 'silent' })
  t.teardown(() => broker.close())
  const bootstrap = `127.0.0.1:${broker.port}`
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  const topicOf = (type: string): string => `ct-${type}`
  for (const type of TOPIC_TYPES) await createTopic(c, topicOf(type), CODECS.length, type === 'producer' ? {} : { 'compression.type': type })
  await createTopic(c, 'ct-txn', 1, { 'compression.type': 'lz4' })

  // Partition p of every topic gets batches produced in CODECS[p].
  const expected = new Map<string, Rec[]>()
  const plain = CODECS.map((codec, p) => ({
    codec,
    targets: TOPIC_TYPES.map((type) => {
      const recs = records(`${type}-${p}-py`, 20, 10)
      expected.set(`${topicOf(type)}/${p}`, [...recs])
      return { topic: topicOf(type), partition: p, records: recs.map((r) => ({ key: hex(r.key), value: hex(r.value), headers: r.headers.map(([k, v]) => [k, hex(v)]) })) }
    }),
  }))
  const txnValues = ['committed-0', 'committed-1', 'committed-2']
  const produced = await run(systemPython, ['-c', PRODUCE_PY, bootstrap], { input: JSON.stringify({ plain, txn: { topic: 'ct-txn', values: txnValues } }), timeoutMs: 120_000 })
  t.equal(produced.code, 0, produced.stderr)
  t.same(lastJsonLine(produced.stdout).errors, [], 'confluent-kafka: every message delivered')

  const pltProducer = new Producer({ clientId: 'ct-plt', bootstrapBrokers: [bootstrap], serializers: stringSerializers, autocreateTopics: false })
  t.teardown(() => pltProducer.close())
  for (const [p, codec] of CODECS.entries()) {
    for (const type of TOPIC_TYPES) {
      const recs = records(`${type}-${p}-plt`, 6, 3)
      expected.get(`${topicOf(type)}/${p}`)!.push(...recs)
      await pltProducer.send({ compression: codec, acks: -1, messages: recs.map((r) => ({ topic: topicOf(type), partition: p, key: r.key, value: r.value, headers: Object.fromEntries(r.headers) })) })
    }
  }

  const kafka = new Kafka({ clientId: 'ct-kafkajs', brokers: [bootstrap], logLevel: logLevel.NOTHING })
  const kjs = kafka.producer()
  await kjs.connect()
  t.teardown(() => kjs.disconnect())
  for (const type of TOPIC_TYPES) {
    const recs = records(`${type}-1-kjs`, 5, -1)
    expected.get(`${topicOf(type)}/1`)!.push(...recs)
    await kjs.send({ topic: topicOf(type), compression: CompressionTypes.GZIP, acks: -1, messages: recs.map((r) => ({ partition: 1, key: r.key, value: r.value, headers: Object.fromEntries(r.headers) })) })
  }

  // On disk: the topic's codec in every batch (the producer's under `producer`).
  for (const type of TOPIC_TYPES) {
    for (const [p, codec] of CODECS.entries()) {
      const batches = storedBatches(dataDir, topicOf(type), p)
      const want = type === 'producer' ? CODEC_ID[codec]! : CODEC_ID[type]!
      t.ok(batches.length >= (p === 1 ? 3 : 2), `${topicOf(type)}-${p}: ${batches.length} batches stored`)
      t.same([...new Set(batches.map((b) => b.codec))], [want], `${topicOf(type)}-${p} (produced ${codec}): every batch stored with codec ${want}`)
    }
  }
  const txnBatches = storedBatches(dataDir, 'ct-txn', 0)
  t.same(txnBatches.map((b) => [b.codec, b.control, b.transactional]), [[3, false, true], [0, true, true]], 'a transactional gzip batch recompressed to lz4, still transactional; its COMMIT marker uncompressed')

  // confluent-kafka reads every partition back byte for byte, offsets included.
  const wanted = [...expected].map(([tp, recs]) => [tp.split('/')[0], Number(tp.split('/')[1]), recs.length])
  // Read until the last record: the marker after it is never delivered.
  wanted.push(['ct-txn', 0, txnValues.length])
  const consumed = await run(systemPython, ['-c', CONSUME_PY, bootstrap], { input: JSON.stringify(wanted), timeoutMs: 150_000 })
  t.equal(consumed.code, 0, consumed.stderr)
  const got = new Map<string, unknown[]>((lastJsonLine(consumed.stdout).records as Array<[string, number, unknown[]]>).map(([topic, p, recs]) => [`${topic}/${p}`, recs]))
  for (const [tp, recs] of expected) {
    t.same(got.get(tp), recs.map((r, offset) => [offset, hex(r.key), hex(r.value), r.headers.map(([k, v]) => [k, hex(v)])]), `confluent-kafka reads ${tp} exactly`)
  }
  t.same((got.get('ct-txn/0') ?? []).map((r) => Buffer.from((r as string[])[2]!, 'hex').toString()), txnValues, 'confluent-kafka (read_committed) reads the committed transaction')

  // kcat (-J) reads every topic back: offsets, keys, values, headers.
  for (const type of TOPIC_TYPES) {
    const r = await run('kcat', ['-b', bootstrap, '-C', '-t', topicOf(type), '-o', 'beginning', '-e', '-q', '-J', '-X', 'fetch.message.max.bytes=1048576'], { timeoutMs: 60_000 })
    t.equal(r.code, 0, r.stderr)
    const byPartition = new Map<number, Array<{ offset: number; key: string; payload: string; headers?: string[] }>>()
    for (const line of r.stdout.trim().split('\n')) {
      const m = JSON.parse(line)
      if (!byPartition.has(m.partition)) byPartition.set(m.partition, [])
      byPartition.get(m.partition)!.push(m)
    }
    for (const p of CODECS.keys()) {
      const recs = expected.get(`${topicOf(type)}/${p}`)!
      t.same(byPartition.get(p)?.map((m) => [m.offset, m.key, m.payload, m.headers ?? []]), recs.map((rec, offset) => [offset, rec.key, rec.value, rec.headers.flat()]), `kcat reads ${topicOf(type)}-${p} exactly`)
    }
  }
})

t.test('compression.type changed live applies to the next batch (topic override, then the broker default)', async (t) => {
  const dataDir = tempDir(t)
  const broker = await startBroker({ host: '127.0.0.1', port: 0, dataDir, shards: 2, logLevel: 'silent' })
  t.teardown(() => broker.close())
  const bootstrap = `127.0.0.1:${broker.port}`
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  await createTopic(c, 'ct-live', 1)
  const admin = new Admin({ clientId: 'ct-admin', bootstrapBrokers: [bootstrap] })
  t.teardown(() => admin.close())
  const TOPIC = 2 as const
  const BROKER = 4 as const
  const alter = (resourceType: typeof TOPIC | typeof BROKER, resourceName: string, configOperation: 0 | 1, value: string, name = 'compression.type') =>
    admin.incrementalAlterConfigs({ resources: [{ resourceType, resourceName, configs: [{ name, configOperation, value }] }] })

  const values: string[] = []
  const send = async (): Promise<number> => {
    const value = `live-${values.length} ` + 'x'.repeat(500)
    values.push(value)
    const r = await produce(c, 'ct-live', 0, buildRecordBatch({ compression: 1, records: [{ key: Buffer.from(`k${values.length}`), value: Buffer.from(value) }] }))
    t.equal(r.errorCode, 0)
    const last = storedBatches(dataDir, 'ct-live', 0).at(-1)!
    t.equal(last.baseOffset, r.baseOffset, 'the batch just produced')
    return last.codec
  }
  t.equal(await send(), 1, 'producer (default): the gzip batch is stored as gzip')
  await alter(TOPIC, 'ct-live', 0, 'lz4')
  t.equal(await send(), 3, 'SET compression.type=lz4: the next gzip batch is stored as lz4')
  await alter(TOPIC, 'ct-live', 0, 'zstd')
  await alter(TOPIC, 'ct-live', 0, '19', 'compression.zstd.level')
  t.equal(await send(), 4, 'SET zstd (level 19): stored as zstd')
  await alter(BROKER, '', 0, 'snappy')
  t.equal(await send(), 4, 'a broker default does not override the topic\'s own')
  await alter(TOPIC, 'ct-live', 1, '')
  t.equal(await send(), 2, 'DELETE the topic override: the cluster-wide broker default (snappy) applies')
  await alter(BROKER, '', 1, '')
  t.equal(await send(), 1, 'DELETE the broker default: producer again, gzip kept')

  const r = await run('kcat', ['-b', bootstrap, '-C', '-t', 'ct-live', '-o', 'beginning', '-e', '-q', '-f', '%o %s\n'], { timeoutMs: 60_000 })
  t.equal(r.code, 0, r.stderr)
  t.same(r.stdout.trim().split('\n'), values.map((v, i) => `${i} ${v}`), 'kcat reads every batch, whatever codec it was stored in')
})
