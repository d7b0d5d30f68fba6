// The HTTP listener: /healthz, /readyz, and /metrics scraped after a known load. The
// byte and message counters equal what was produced (read back from the log), and a
// kafkajs group that stops 500 messages behind the end shows kafka_consumergroup_lag 500
// summed over its partitions, then 0 once it caught up.

import t from 'tap'
import { startBroker } from '../../src/broker.ts'
import { kafkaClient } from '../helpers/kafkajs-fetch.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { fetchRequest, splitBatches } from '../helpers/wire-requests.ts'

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
