// The HTTP listener: /healthz, /readyz, and /metrics scraped after a known load. The
// byte and message counters equal what was produced (read back from the log), and a
// kafkajs group that stops 500 messages behind the end shows kafka_consumergroup_lag 500
// summed over its partitions, then 0 once it caught up. Shard and fsync metrics: under
// --fsync always every acknowledged produce has had an fdatasync, so after N sequential
// sends the flush histogram has grown by at least N, and so have the shard task times;
// under --fsync interval the background flusher's fdatasyncs are counted too.

import t from 'tap'
import { startBroker } from '../../src/broker.ts'
import { kafkaClient } from '../helpers/kafkajs-fetch.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { fetchRequest, splitBatches } from '../helpers/wire-requests.ts'
import { tempDir } from '../helpers/broker.ts'
import { waitFor } from '../helpers/groups.ts'

/** Samples of one metric from Prometheus text, as label-string → value. */
function samples(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue
    const m = /^([^{\s]+)(\{[^}]*\})?\s+(\S+)/.exec(line)
    if (m !== null) out.set(m[2] ?? '', Number(m[3]))
  }
  return out
}

const sum = (m: Map<string, number>, filter: (labels: string) => boolean = () => true): number => [...m].filter(([l]) => filter(l)).reduce((n, [, v]) => n + v, 0)

t.test('/healthz, /readyz and /metrics after a known load', async (t) => {
  const broker = await startBroker({ host: '127.0.0.1', port: 0, httpPort: 0, memory: true, shards: 2, logLevel: 'silent', offsetsTopicNumPartitions: 4 })
  t.teardown(() => broker.close())
  t.ok(broker.httpPort !== null && broker.httpPort > 0, `HTTP listener on a free port (${broker.httpPort})`)
  const base = `http://127.0.0.1:${broker.httpPort}`
  const scrape = async (): Promise<string> => {
    const r = await fetch(`${base}/metrics`)
    t.equal(r.status, 200)
    t.match(r.headers.get('content-type') ?? '', /text\/plain/)
    return r.text()
  }
  t.same(await (await fetch(`${base}/healthz`)).json(), { status: 'ok' }, '/healthz')
  const ready = await fetch(`${base}/readyz`)
  t.same([ready.status, await ready.json()], [200, { status: 'ready' }], '/readyz once loaded')

  const kafka = kafkaClient(broker.port)
  const admin = kafka.admin()
  await admin.connect()
  t.teardown(() => admin.disconnect())
  await admin.createTopics({ topics: [{ topic: 'metered', numPartitions: 2 }] })
  const producer = kafka.producer()
  await producer.connect()
  t.teardown(() => producer.disconnect())
  const send = async (from: number, n: number): Promise<void> => {
    for (let i = from; i < from + n; i += 50) {
      await producer.send({ topic: 'metered', messages: Array.from({ length: 50 }, (_, j) => ({ value: `m-${i + j}`, partition: (i + j) % 2 })) })
    }
  }
  await send(0, 500)

  // What the log holds, read raw: the counters must equal it.
  const raw = await RawClient.connect(broker.port)
  t.teardown(() => raw.close())
  let storedBytes = 0
  let storedRecords = 0
  for (const partition of [0, 1]) {
    const res = await raw.request(1, 12, fetchRequest([{ topic: 'metered', partition, offset: 0, partitionMaxBytes: 1 << 24 }]))
    for (const b of splitBatches(res.responses[0].partitions[0].records)) {
      storedBytes += b.length
      storedRecords += b.readInt32BE(57)
    }
  }
  let text = await scrape()
  t.equal(sum(samples(text, 'kafka_server_brokertopicmetrics_messagesin_total'), (l) => l.includes('topic="metered"')), 500, 'messages in: 500')
  t.equal(storedRecords, 500)
  t.equal(sum(samples(text, 'kafka_server_brokertopicmetrics_bytesin_total'), (l) => l.includes('topic="metered"')), storedBytes, `bytes in: the ${storedBytes} bytes the log holds`)
  t.equal(samples(text, 'kafka_topic_partitions').get('{topic="metered"}'), 2, 'kafka_topic_partitions')
  t.equal(sum(samples(text, 'kafka_topic_partition_current_offset'), (l) => l.includes('topic="metered"')), 500, 'current offsets sum to 500')
  t.equal(samples(text, 'kafka_brokers').get(''), 1, 'kafka_brokers')
  t.ok((samples(text, 'kafka_network_requestmetrics_requests_total').get('{request="Produce",version="7"}') ?? 0) >= 10, 'Produce requests counted per version')
  t.equal(sum(samples(text, 'kafka_log_log_size'), (l) => l.includes('topic="metered"')), storedBytes, 'log size per partition sums to the bytes stored')
  t.equal(sum(samples(text, 'kafka_server_brokertopicmetrics_bytesout_total'), (l) => l.includes('topic="metered"')), storedBytes, 'bytes out: the raw read of both partitions above')
  t.ok(samples(text, 'process_cpu_user_seconds_total').size === 1 && samples(text, 'nodejs_eventloop_lag_seconds').size === 1, 'prom-client process and event-loop metrics')

  // A group consumes everything, then falls 500 behind, then catches up.
  const consumeTo = async (target: number): Promise<void> => {
    const consumer = kafka.consumer({ groupId: 'meter-readers', maxWaitTimeInMs: 100 })
    await consumer.connect()
    await consumer.subscribe({ topic: 'metered', fromBeginning: true })
    let seen = 0
    let done!: () => void
    const reached = new Promise<void>((resolve) => (done = resolve))
    await consumer.run({
      eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
        for (const m of batch.messages) resolveOffset(m.offset)
        await commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: String(Number(batch.lastOffset()) + 1) }] }] })
        seen += batch.messages.length
        if (seen >= target) done()
      },
    })
    const bound = setTimeout(done, 30_000)
    await reached
    clearTimeout(bound)
    await consumer.disconnect()
  }
  await consumeTo(500)
  const groupLag = (text: string): number => sum(samples(text, 'kafka_consumergroup_lag'), (l) => l.includes('consumergroup="meter-readers"'))
  t.equal(groupLag(await scrape()), 0, 'caught up: lag 0')
  await send(500, 500)
  text = await scrape()
  t.equal(groupLag(text), 500, 'stopped 500 messages behind the end: kafka_consumergroup_lag sums to 500')
  t.equal(sum(samples(text, 'kafka_consumergroup_current_offset'), (l) => l.includes('consumergroup="meter-readers"')), 500, 'committed offsets sum to 500')
  await consumeTo(500)
  t.equal(groupLag(await scrape()), 0, 'and 0 after catching up')
})

t.test('no HTTP listener unless asked for; a taken port names the setting', async (t) => {
  const quiet = await startBroker({ host: '127.0.0.1', port: 0, memory: true, shards: 1, logLevel: 'silent' })
  t.teardown(() => quiet.close())
  t.equal(quiet.httpPort, null, 'embedded brokers default to http.port -1')
  const first = await startBroker({ host: '127.0.0.1', port: 0, httpPort: 0, memory: true, shards: 1, logLevel: 'silent' })
  t.teardown(() => first.close())
  await t.rejects(startBroker({ host: '127.0.0.1', port: 0, httpPort: first.httpPort!, memory: true, shards: 1, logLevel: 'silent' }), /http\.port/, 'a taken HTTP port is an error naming http.port')
})

const FLUSH = 'kafka_log_logflushstats_logflushrateandtimems'
const TASKS = 'samsa_shard_task_seconds'

t.test('fsync latency, shard task times and queue depth under --fsync always', async (t) => {
  const broker = await startBroker({ host: '127.0.0.1', port: 0, httpPort: 0, dataDir: tempDir(t), fsync: 'always', shards: 2, logLevel: 'silent' })
  t.teardown(() => broker.close())
  const scrape = async (): Promise<string> => (await fetch(`http://127.0.0.1:${broker.httpPort}/metrics`)).text()
  const kafka = kafkaClient(broker.port)
  const admin = kafka.admin()
  await admin.connect()
  t.teardown(() => admin.disconnect())
  // Four partitions, so both shards host some (the hash spreads a topic's partitions).
  await admin.createTopics({ topics: [{ topic: 'synced', numPartitions: 4 }] })
  const producer = kafka.producer()
  await producer.connect()
  t.teardown(() => producer.disconnect())
  const send = async (sends: number): Promise<void> => {
    for (let i = 0; i < sends; i++) {
      await producer.send({ topic: 'synced', messages: [0, 1, 2, 3].map((partition) => ({ value: `v-${i}-${partition}`, partition })) })
    }
  }

  let text = await scrape()
  const flushes0 = samples(text, `${FLUSH}_count`).get('') ?? 0
  const tasks0 = sum(samples(text, `${TASKS}_count`))
  await send(20)
  text = await scrape()
  const flushes1 = samples(text, `${FLUSH}_count`).get('') ?? 0
  const tasks1 = sum(samples(text, `${TASKS}_count`))
  t.ok(flushes1 - flushes0 >= 20, `20 acknowledged sends under --fsync always: at least 20 fdatasyncs counted (${flushes0} -> ${flushes1})`)
  t.ok((samples(text, `${FLUSH}_sum`).get('') ?? 0) > 0, 'fdatasync time summed, in ms')
  t.equal(samples(text, `${FLUSH}_bucket`).get('{le="+Inf"}'), flushes1, 'the +Inf bucket holds every fdatasync')
  t.ok(tasks1 - tasks0 >= 20, `shard task times: at least one task per send (${tasks0} -> ${tasks1})`)
  const perShard = samples(text, `${TASKS}_count`)
  t.ok((perShard.get('{shard="0"}') ?? 0) > 0 && (perShard.get('{shard="1"}') ?? 0) > 0, 'task times per shard, both shards busy')
  const depth = samples(text, 'samsa_shard_queue_depth')
  t.same([...depth.keys()].sort(), ['{shard="0"}', '{shard="1"}'], 'queue depth exposed per shard')
  t.same([...depth.values()], [0, 0], 'nothing queued once every send was answered')

  await send(10)
  text = await scrape()
  const flushes2 = samples(text, `${FLUSH}_count`).get('') ?? 0
  t.ok(flushes2 - flushes1 >= 10, `and it grows with 10 more sends (${flushes1} -> ${flushes2})`)
  t.ok(sum(samples(text, `${TASKS}_count`)) - tasks1 >= 10, 'so do the task times')
})

t.test('--fsync interval: the background flusher\'s fdatasyncs are counted; memory storage has none', async (t) => {
  const broker = await startBroker({ host: '127.0.0.1', port: 0, httpPort: 0, dataDir: tempDir(t), fsync: 'interval', fsyncIntervalMs: 50, shards: 1, logLevel: 'silent' })
  t.teardown(() => broker.close())
  const scrape = async (): Promise<string> => (await fetch(`http://127.0.0.1:${broker.httpPort}/metrics`)).text()
  const kafka = kafkaClient(broker.port)
  const producer = kafka.producer()
  await producer.connect()
  t.teardown(() => producer.disconnect())
  await producer.send({ topic: 'flushed-later', messages: [{ value: 'x' }] })
  await waitFor(async () => (samples(await scrape(), `${FLUSH}_count`).get('') ?? 0) > 0, 'a background fdatasync counted', 10_000)
  t.pass('the periodic flush of the written segment shows in the histogram')

  const memory = await startBroker({ host: '127.0.0.1', port: 0, httpPort: 0, memory: true, fsync: 'always', shards: 1, logLevel: 'silent' })
  t.teardown(() => memory.close())
  const memProducer = kafkaClient(memory.port).producer()
  await memProducer.connect()
  t.teardown(() => memProducer.disconnect())
  await memProducer.send({ topic: 'in-memory', messages: [{ value: 'x' }] })
  const memText = await (await fetch(`http://127.0.0.1:${memory.httpPort}/metrics`)).text()
  t.equal(samples(memText, `${FLUSH}_count`).get(''), 0, 'memory storage has no disk to sync: count 0')
  t.ok(sum(samples(memText, `${TASKS}_count`)) > 0, 'its shard task times still count')
})
