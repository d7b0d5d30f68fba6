// The JSON admin API (/v3, Confluent REST Proxy v3 shapes plus Samsa's extensions)
// against a running broker: every endpoint, the data it reports checked against what
// kafkajs produced and consumed, and bad input: unknown topics and partitions, malformed
// JSON, wrong types, Schema Registry formats, cross-site requests.

import t from 'tap'
import { request } from 'node:http'
import { Script } from 'node:vm'
import { CompressionTypes } from 'kafkajs'
import { startBroker, type RunningBroker } from '../../src/broker.ts'
import { fetchAll, kafkaClient } from '../helpers/kafkajs-fetch.ts'

interface Reply {
  status: number
  body: any
  headers: Headers
}

let broker: RunningBroker
let base: string
let cluster: string

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const init: RequestInit = { method, headers: { ...headers } }
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body)
    ;(init.headers as Record<string, string>)['content-type'] ??= 'application/json'
  }
  const res = await fetch(base + path, init)
  const text = await res.text()
  let parsed: unknown = text
  try {
    parsed = text === '' ? null : JSON.parse(text)
  } catch {
    // not JSON: the text
  }
  return { status: res.status, body: parsed, headers: res.headers }
}
const get = (path: string) => call('GET', path)
const c = (path: string) => `/v3/clusters/${cluster}${path}`
const b64 = (s: string) => Buffer.from(s).toString('base64')

t.before(async () => {
  broker = await startBroker({ host: '127.0.0.1', port: 0, httpPort: 0, memory: true, shards: 2, logLevel: 'silent', offsetsTopicNumPartitions: 2 })
  base = `http://127.0.0.1:${broker.httpPort}`
  cluster = broker.clusterId
})
t.teardown(() => broker.close())

t.test('cluster and broker resources', async (t) => {
  const list = await get('/v3/clusters')
  t.equal(list.status, 200)
  t.equal(list.body.kind, 'KafkaClusterList')
  t.same(list.body.data.map((d: any) => d.cluster_id), [cluster])
  const one = await get(c(''))
  t.equal(one.body.kind, 'KafkaCluster')
  t.equal(one.body.metadata.self, `${base}/v3/clusters/${cluster}`)
  t.equal(one.body.metadata.resource_name, `crn:///kafka=${cluster}`)
  t.equal(one.body.topics.related, `${base}/v3/clusters/${cluster}/topics`)
  t.equal(one.body.controller.related, `${base}/v3/clusters/${cluster}/brokers/0`)

  const wrong = await get('/v3/clusters/not-this-one/topics')
  t.same([wrong.status, wrong.body.error_code], [404, 404], 'another cluster id: 404')
  const unknownPath = await get('/v3/no/such/thing')
  t.same([unknownPath.status, unknownPath.body.error_code], [404, 404], 'unknown path: JSON 404')

  const brokers = await get(c('/brokers'))
  t.same(brokers.body.data.map((b: any) => [b.kind, b.broker_id, b.host, b.port]), [['KafkaBroker', 0, '127.0.0.1', broker.port]])
  t.equal((await get(c('/brokers/0'))).body.broker_id, 0)
  t.equal((await get(c('/brokers/7'))).status, 404, 'unknown broker: 404')
  const configs = await get(c('/brokers/0/configs'))
  t.equal(configs.body.kind, 'KafkaBrokerConfigList')
  const numPartitions = configs.body.data.find((x: any) => x.name === 'num.partitions')
  t.ok(numPartitions !== undefined && numPartitions.kind === 'KafkaBrokerConfig' && typeof numPartitions.source === 'string', 'broker configs carry v3 fields')
  t.equal((await get(c('/broker-configs'))).body.kind, 'KafkaClusterConfigList')
})

t.test('topics: create, get, grow, delete, and bad input', async (t) => {
  const created = await call('POST', c('/topics'), { topic_name: 'api-orders', partitions_count: 3, configs: [{ name: 'retention.ms', value: '3600000' }] })
  t.equal(created.status, 201, 'created: 201')
  t.equal(created.headers.get('location'), `${base}/v3/clusters/${cluster}/topics/api-orders`)
  t.match(created.body, { kind: 'KafkaTopic', cluster_id: cluster, topic_name: 'api-orders', is_internal: false, replication_factor: 1, partitions_count: 3 })

  const dup = await call('POST', c('/topics'), { topic_name: 'api-orders', partitions_count: 1 })
  t.same([dup.status, dup.body], [400, { error_code: 40002, message: "Topic 'api-orders' already exists." }], 'existing topic: 400 / 40002 with Kafka\'s message')
  t.same((await call('POST', c('/topics'), { topic_name: 'bad name!' })).body.error_code, 40002, 'invalid name')
  t.same((await call('POST', c('/topics'), { topic_name: 'zero', partitions_count: 0 })).status, 400, 'zero partitions')
  t.match((await call('POST', c('/topics'), { topic_name: 'rf3', replication_factor: 3 })).body, { error_code: 40002, message: /Replication factor/ }, 'replication factor above the broker count')
  t.match((await call('POST', c('/topics'), { topic_name: 'cfg', configs: [{ name: 'retention.ms', value: 'soon' }] })).body, { error_code: 40002 }, 'invalid config value')
  t.match((await call('POST', c('/topics'), { partitions_count: 1 })).body, { error_code: 40002, message: 'topic_name is required.' }, 'missing topic_name')
  t.match((await call('POST', c('/topics'), { topic_name: 'x', partitions_count: '3' })).body, { error_code: 40002, message: 'partitions_count must be an integer.' }, 'wrongly typed field')
  const malformed = await call('POST', c('/topics'), '{"topic_name": "half')
  t.same([malformed.status, malformed.body.error_code], [400, 400], 'malformed JSON: 400')
  t.type(malformed.body.message, 'string')
  t.same((await call('POST', c('/topics'), '[1, 2]')).status, 400, 'a JSON array body: 400')
  t.same((await call('POST', c('/topics'), 'topic_name=x', { 'content-type': 'text/plain' })).status, 415, 'a text/plain body: 415')
  t.same((await call('POST', c('/topics'), 'topic_name=x', { 'content-type': 'application/x-www-form-urlencoded' })).status, 415, 'a form body: 415')
  const validated = await call('POST', c('/topics'), { topic_name: 'only-checked', partitions_count: 2, validate_only: true })
  t.equal(validated.status, 201)
  t.equal((await get(c('/topics/only-checked'))).status, 404, 'validate_only creates nothing')

  const listed = await get(c('/topics'))
  t.equal(listed.body.kind, 'KafkaTopicList')
  t.ok(listed.body.data.some((x: any) => x.topic_name === 'api-orders'))
  const got = await get(c('/topics/api-orders'))
  t.equal(got.body.partitions.related, `${base}/v3/clusters/${cluster}/topics/api-orders/partitions`)

  const unknown = await get(c('/topics/no-such-topic'))
  t.same([unknown.status, unknown.body], [404, { error_code: 40403, message: 'This server does not host this topic-partition.' }], 'unknown topic: 404 with Kafka\'s error')
  for (const [method, path] of [['GET', '/partitions'], ['GET', '/configs'], ['DELETE', ''], ['GET', '/partitions/0/records']] as const) {
    const r = await call(method, c(`/topics/no-such-topic${path}`))
    t.same([r.status, r.body.error_code], [404, 40403], `${method} /topics/{unknown}${path}: 404 / 40403`)
  }

  const grown = await call('PATCH', c('/topics/api-orders'), { partitions_count: 4 })
  t.same([grown.status, grown.body.partitions_count], [200, 4], 'PATCH partitions_count grows the topic')
  t.match((await call('PATCH', c('/topics/api-orders'), { partitions_count: 2 })).body, { error_code: 40002, message: /would not be an increase/ }, 'shrinking: 400')

  await call('POST', c('/topics'), { topic_name: 'api-doomed' })
  t.equal((await call('DELETE', c('/topics/api-doomed'))).status, 204, 'deleted: 204')
  t.equal((await get(c('/topics/api-doomed'))).status, 404, 'gone')
  t.equal((await call('DELETE', c('/topics/api-doomed'))).status, 404, 'deleting again: 404')
})

t.test('partitions: offsets and sizes; configs: list, get, set, reset, alter', async (t) => {
  await call('POST', c('/topics'), { topic_name: 'api-sized', partitions_count: 2 })
  for (let i = 0; i < 5; i++) await call('POST', c('/topics/api-sized/records'), { partition_id: 1, value: { type: 'STRING', data: `v${i}` } })
  const parts = await get(c('/topics/api-sized/partitions'))
  t.equal(parts.body.kind, 'KafkaPartitionList')
  t.match(parts.body.data[0], { kind: 'KafkaPartition', partition_id: 0, log_start_offset: 0, log_end_offset: 0, size_bytes: 0 })
  t.match(parts.body.data[1], { partition_id: 1, log_start_offset: 0, log_end_offset: 5, last_stable_offset: 5 })
  t.ok(parts.body.data[1].size_bytes > 0, 'partition size in bytes')
  t.equal(parts.body.data[1].leader.related, `${base}/v3/clusters/${cluster}/topics/api-sized/partitions/1/replicas/0`)
  t.equal((await get(c('/topics/api-sized/partitions/1'))).body.log_end_offset, 5)
  const missing = await get(c('/topics/api-sized/partitions/9'))
  t.same([missing.status, missing.body], [404, { error_code: 40402, message: 'Partition not found.' }], 'unknown partition: 404 / 40402')
  t.equal((await get(c('/topics/api-sized/partitions/x'))).status, 404)
  const replicas = await get(c('/topics/api-sized/partitions/1/replicas'))
  t.match(replicas.body.data, [{ kind: 'KafkaReplica', broker_id: 0, is_leader: true, is_in_sync: true }])
  t.equal((await get(c('/topics/api-sized/partitions/1/replicas/0'))).body.broker_id, 0)

  const configs = await get(c('/topics/api-sized/configs'))
  t.equal(configs.body.kind, 'KafkaTopicConfigList')
  t.match(configs.body.data.find((x: any) => x.name === 'cleanup.policy'), { kind: 'KafkaTopicConfig', topic_name: 'api-sized', value: 'delete', is_default: true, source: 'DEFAULT_CONFIG' })
  t.equal((await call('PUT', c('/topics/api-sized/configs/retention.ms'), { value: '7200000' })).status, 204, 'PUT a config: 204')
  t.match((await get(c('/topics/api-sized/configs/retention.ms'))).body, { value: '7200000', is_default: false, source: 'DYNAMIC_TOPIC_CONFIG' })
  t.match((await call('PUT', c('/topics/api-sized/configs/retention.ms'), { value: 'forever' })).body, { error_code: 40002 }, 'invalid value: 400')
  t.match((await call('PUT', c('/topics/api-sized/configs/retention.ms'), { value: 5 })).body, { error_code: 40002 }, 'non-string value: 400')
  t.match((await call('PUT', c('/topics/api-sized/configs/no.such.config'), { value: '1' })).body, { error_code: 40002, message: /Unknown topic config/ }, 'unknown config name: 400')
  t.equal((await get(c('/topics/api-sized/configs/no.such.config'))).status, 404)
  t.equal((await call('DELETE', c('/topics/api-sized/configs/retention.ms'))).status, 204, 'DELETE resets')
  t.match((await get(c('/topics/api-sized/configs/retention.ms'))).body, { is_default: true })
  const altered = await call('POST', c('/topics/api-sized/configs:alter'), { data: [{ name: 'retention.ms', value: '60000' }, { name: 'segment.bytes', value: '1048576' }] })
  t.equal(altered.status, 204, 'configs:alter')
  const after = (await get(c('/topics/api-sized/configs'))).body.data.filter((x: any) => x.source === 'DYNAMIC_TOPIC_CONFIG').map((x: any) => [x.name, x.value])
  t.same(after.sort(), [['retention.ms', '60000'], ['segment.bytes', '1048576']])
  t.equal((await call('POST', c('/topics/api-sized/configs:alter'), { data: [{ name: 'segment.bytes', operation: 'DELETE' }] })).status, 204)
  t.match((await call('POST', c('/topics/api-sized/configs:alter'), { data: [{ name: 'retention.ms', value: '1', operation: 'APPEND' }] })).body, { error_code: 40002 }, 'unknown operation: 400')
  t.match((await call('POST', c('/topics/api-sized/configs:alter'), { data: [{ name: 'retention.ms', value: '123' }], validate_only: true })).status, 204, 'validate_only')
  t.equal((await get(c('/topics/api-sized/configs/retention.ms'))).body.value, '60000', 'validate_only changed nothing')
})

t.test('produce (v3 records) and read back by kafkajs and by the browse extension', async (t) => {
  await call('POST', c('/topics'), { topic_name: 'api-records', partitions_count: 2 })
  const at = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000).toISOString()
  const json = await call('POST', c('/topics/api-records/records'), {
    partition_id: 0, key: { type: 'STRING', data: 'order-1' }, value: { type: 'JSON', data: { id: 1, total: 9.5 } },
    headers: [{ name: 'source', value: b64('web') }, { name: 'empty', value: null }], timestamp: at,
  })
  t.same(json.body, { error_code: 200, cluster_id: cluster, topic_name: 'api-records', partition_id: 0, offset: 0, timestamp: at, key: { type: 'STRING', size: 7 }, value: { type: 'JSON', size: 20 } }, 'v3 delivery report')
  const binary = await call('POST', c('/topics/api-records/records'), { partition_id: 0, value: { type: 'BINARY', data: Buffer.from([0, 1, 2, 255]).toString('base64') } })
  t.same([binary.body.offset, binary.body.value], [1, { type: 'BINARY', size: 4 }])
  t.notOk('key' in binary.body, 'no key in the request, none in the report')
  const text = await call('POST', c('/topics/api-records/records'), { partition_id: 0, key: { type: 'BINARY', data: b64('k') }, value: { type: 'STRING', data: 'plain text' } })
  t.equal(text.body.offset, 2)
  const tombstone = await call('POST', c('/topics/api-records/records'), { partition_id: 0, key: { type: 'STRING', data: 'gone' } })
  t.equal(tombstone.body.offset, 3, 'a record without value (tombstone)')

  // Keyed records without partition_id land where the Java client (and kafkajs's default partitioner) puts them.
  const kafka = kafkaClient(broker.port, 'http-api-test')
  const producer = kafka.producer()
  await producer.connect()
  t.teardown(() => producer.disconnect())
  for (const key of ['alpha', 'beta', 'gamma', 'delta']) {
    const viaApi = await call('POST', c('/topics/api-records/records'), { key: { type: 'STRING', data: key }, value: { type: 'STRING', data: 'api' } })
    const [viaKafkajs] = await producer.send({ topic: 'api-records', messages: [{ key, value: 'kafkajs' }] })
    t.equal(viaApi.body.partition_id, viaKafkajs!.partition, `key ${key}: same partition as kafkajs (murmur2)`)
  }
  const unkeyed = new Set<number>()
  for (let i = 0; i < 4; i++) unkeyed.add((await call('POST', c('/topics/api-records/records'), { value: { type: 'STRING', data: `u${i}` } })).body.partition_id)
  t.same([...unkeyed].sort(), [0, 1], 'unkeyed records go round the partitions')

  const read = await fetchAll(kafka, 'api-records', 2, 16)
  const first = read.find((m) => m.partition === 0 && m.offset === 0)!
  t.same([first.key, first.value, first.headers.source], ['order-1', '{"id":1,"total":9.5}', 'web'], 'kafkajs reads what the API produced')

  // Bad input.
  const r = (body: unknown) => call('POST', c('/topics/api-records/records'), body)
  t.same((await call('POST', c('/topics/nope/records'), { value: { type: 'STRING', data: 'x' } })).body, { error_code: 40403, message: 'This server does not host this topic-partition.' }, 'unknown topic: 404')
  t.same((await r({ partition_id: 5, value: { type: 'STRING', data: 'x' } })).body, { error_code: 40402, message: 'Partition not found.' }, 'unknown partition: 404')
  t.match((await r({ value: { type: 'BINARY', data: 'not base64!' } })).body, { error_code: 40002 }, 'bad base64')
  t.match((await r({ value: { type: 'STRING', data: 5 } })).body, { error_code: 40002 }, 'STRING data must be a string')
  t.match((await r({ value: { type: 'AVRO', data: {} } })).body, { error_code: 40002, message: /Schema Registry/ }, 'AVRO needs a Schema Registry')
  t.match((await r({ value: { schema_id: 3, data: {} } })).body, { error_code: 40002, message: /Schema Registry/ }, 'schema ids too')
  t.match((await r({ value: { type: 'XML', data: '<a/>' } })).body, { error_code: 40002 }, 'unknown type')
  t.match((await r({ value: 'bare' })).body, { error_code: 40002 }, 'value must be an object')
  t.match((await r({ headers: [{ name: 'h', value: 'no base64' }] })).body, { error_code: 40002 }, 'header values are base64')
  t.match((await r({ headers: { h: 'x' } })).body, { error_code: 40002 }, 'headers is an array')
  t.match((await r({ timestamp: 'yesterday-ish' })).body, { error_code: 40002 }, 'bad timestamp')
  t.equal((await r('{"value":')).status, 400, 'malformed JSON')
})

t.test('browsing records (extension): offsets, timestamps, newest, formats, transactions, compression', async (t) => {
  await call('POST', c('/topics'), { topic_name: 'api-browse', partitions_count: 2 })
  // Recent times: records far older than retention.ms could be removed by retention.
  const base0 = Math.floor(Date.now() / 1000) * 1000 - 3_600_000
  for (let i = 0; i < 30; i++) {
    await call('POST', c('/topics/api-browse/records'), {
      partition_id: i % 2, key: { type: 'STRING', data: `k${i}` }, value: { type: 'JSON', data: { n: i } },
      headers: [{ name: 'n', value: b64(String(i)) }], timestamp: new Date(base0 + i * 1000).toISOString(),
    })
  }
  const page = await get(c('/topics/api-browse/partitions/0/records?offset=3&limit=5'))
  t.equal(page.body.kind, 'SamsaRecordList')
  t.same(page.body.data.map((m: any) => m.offset), [3, 4, 5, 6, 7], 'from an offset')
  t.same(page.body.data[0], {
    partition_id: 0, offset: 3, timestamp: new Date(base0 + 6000).toISOString(), timestamp_type: 'CREATE_TIME',
    key: { type: 'STRING', data: 'k6', size: 2 }, value: { type: 'JSON', data: { n: 6 }, size: 7 }, headers: [{ name: 'n', value: b64('6'), text: '6' }],
  }, 'key/value as JSON or text, headers as base64 and text')
  t.same([page.body.next_offset, page.body.log_start_offset, page.body.log_end_offset], [8, 0, 15])
  const next = await get(c(`/topics/api-browse/partitions/0/records?offset=${page.body.next_offset}&limit=100`))
  t.same(next.body.data.map((m: any) => m.offset), [8, 9, 10, 11, 12, 13, 14], 'the next page, up to the end')
  t.same((await get(c('/topics/api-browse/partitions/0/records?offset=15'))).body.data, [], 'at the end: nothing')
  t.same((await get(c('/topics/api-browse/partitions/0/records?offset=999'))).body.data, [], 'past the end: nothing')

  const newest = await get(c('/topics/api-browse/partitions/1/records?limit=3'))
  t.same(newest.body.data.map((m: any) => m.offset), [12, 13, 14], 'no offset: the newest records')
  const byTime = await get(c(`/topics/api-browse/partitions/1/records?timestamp=${encodeURIComponent(new Date(base0 + 20_500).toISOString())}&limit=2`))
  t.same(byTime.body.data.map((m: any) => m.value.data.n), [21, 23], 'from a timestamp (ISO)')
  const byMs = await get(c(`/topics/api-browse/partitions/1/records?timestamp=${base0 + 28_000}`))
  t.same(byMs.body.data.map((m: any) => m.value.data.n), [29], 'from a timestamp (epoch ms)')
  t.same((await get(c(`/topics/api-browse/partitions/1/records?timestamp=${base0 + 99_000}`))).body.data, [], 'after the last record: nothing')

  const hex = await get(c('/topics/api-browse/partitions/0/records?offset=0&limit=1&key_format=hex&value_format=base64'))
  t.same([hex.body.data[0].key, hex.body.data[0].value], [{ type: 'HEX', data: Buffer.from('k0').toString('hex'), size: 2 }, { type: 'BINARY', data: b64('{"n":0}'), size: 7 }], 'hex and base64')
  const astext = await get(c('/topics/api-browse/partitions/0/records?offset=0&limit=1&value_format=text'))
  t.same(astext.body.data[0].value, { type: 'STRING', data: '{"n":0}', size: 7 }, 'JSON shown as text on request')
  const notJson = await get(c('/topics/api-browse/partitions/0/records?offset=0&limit=1&key_format=json'))
  t.match(notJson.body.data[0].key, { type: 'STRING', data: 'k0', json_error: /JSON/ }, 'json on non-JSON bytes: text with the parse error')

  const merged = await get(c('/topics/api-browse/records?limit=4'))
  t.same(merged.body.data.map((m: any) => m.value.data.n), [26, 27, 28, 29], 'all partitions, newest 4 by timestamp')
  const mergedFrom = await get(c(`/topics/api-browse/records?timestamp=${base0 + 10_000}&limit=3`))
  t.same(mergedFrom.body.data.map((m: any) => [m.partition_id, m.value.data.n]), [[0, 10], [1, 11], [0, 12]], 'all partitions from a time, merged by timestamp')

  for (const [query, why] of [['limit=0', 'limit 0'], ['limit=501', 'limit above 500'], ['offset=-1', 'negative offset'], ['offset=abc', 'offset not a number'], ['offset=1&timestamp=5', 'offset and timestamp'], ['value_format=xml', 'unknown format'], ['timestamp=later', 'bad timestamp'], ['isolation=dirty', 'bad isolation']]) {
    t.match((await get(c(`/topics/api-browse/partitions/0/records?${query}`))).body, { error_code: 40002 }, `bad query: ${why}`)
  }

  // Binary values are shown as hex by default; compressed batches are decompressed.
  const kafka = kafkaClient(broker.port, 'http-api-browse')
  const producer = kafka.producer()
  await producer.connect()
  t.teardown(() => producer.disconnect())
  await call('POST', c('/topics'), { topic_name: 'api-gzip', partitions_count: 1 })
  await producer.send({ topic: 'api-gzip', compression: CompressionTypes.GZIP, messages: [{ value: Buffer.from([0xde, 0xad, 0xbe, 0xef]) }, { value: 'second', headers: { trace: 'abc' } }] })
  const gz = await get(c('/topics/api-gzip/partitions/0/records?offset=0'))
  t.same(gz.body.data.map((m: any) => m.value), [{ type: 'HEX', data: 'deadbeef', size: 4 }, { type: 'STRING', data: 'second', size: 6 }], 'gzip batch decoded; binary shown as hex')
  t.same(gz.body.data[1].headers, [{ name: 'trace', value: b64('abc'), text: 'abc' }])

  // An aborted transaction: visible read_uncommitted, left out read_committed; markers never shown.
  await call('POST', c('/topics'), { topic_name: 'api-txn', partitions_count: 1 })
  const txProducer = kafka.producer({ transactionalId: 'api-browse-tx', idempotent: true, maxInFlightRequests: 1 })
  await txProducer.connect()
  t.teardown(() => txProducer.disconnect())
  const aborted = await txProducer.transaction()
  await aborted.send({ topic: 'api-txn', messages: [{ value: 'aborted-1' }, { value: 'aborted-2' }] })
  await aborted.abort()
  const committed = await txProducer.transaction()
  await committed.send({ topic: 'api-txn', messages: [{ value: 'committed-1' }] })
  await committed.commit()
  const values = async (isolation: string) => (await get(c(`/topics/api-txn/partitions/0/records?offset=0&isolation=${isolation}`))).body.data.map((m: any) => m.value.data)
  t.same(await values('read_uncommitted'), ['aborted-1', 'aborted-2', 'committed-1'], 'read_uncommitted: everything but the markers')
  t.same(await values('read_committed'), ['committed-1'], 'read_committed: the aborted transaction is left out')
})

t.test('consumer groups: members, assignment, lags, and offset reset only while Empty', async (t) => {
  await call('POST', c('/topics'), { topic_name: 'api-lag', partitions_count: 2 })
  const kafka = kafkaClient(broker.port, 'http-api-groups')
  const producer = kafka.producer()
  await producer.connect()
  t.teardown(() => producer.disconnect())
  await producer.send({ topic: 'api-lag', messages: Array.from({ length: 40 }, (_, i) => ({ value: `m${i}`, partition: i % 2 })) })

  const consumer = kafka.consumer({ groupId: 'api-readers', maxWaitTimeInMs: 100 })
  await consumer.connect()
  await consumer.subscribe({ topic: 'api-lag', fromBeginning: true })
  let seen = 0
  let done!: () => void
  const caughtUp = new Promise<void>((resolve) => (done = resolve))
  await consumer.run({ eachMessage: async () => { if (++seen >= 40) done() } })
  const bound = setTimeout(done, 20_000)
  await caughtUp
  clearTimeout(bound)
  // Wait (bounded) for the commits to land.
  let lags: Reply = await get(c('/consumer-groups/api-readers/lags'))
  for (let i = 0; i < 100 && !(lags.body.data?.length === 2 && lags.body.data.every((x: any) => x.lag === 0)); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    lags = await get(c('/consumer-groups/api-readers/lags'))
  }

  const groups = await get(c('/consumer-groups'))
  t.equal(groups.body.kind, 'KafkaConsumerGroupList')
  const g = groups.body.data.find((x: any) => x.consumer_group_id === 'api-readers')
  t.match(g, { kind: 'KafkaConsumerGroup', state: 'STABLE', is_simple: false, type: 'CLASSIC', partition_assignor: String })
  t.equal(g.consumers.related, `${base}/v3/clusters/${cluster}/consumer-groups/api-readers/consumers`)
  const consumers = await get(c('/consumer-groups/api-readers/consumers'))
  t.equal(consumers.body.data.length, 1, 'one member')
  const member = consumers.body.data[0]
  t.match(member, { kind: 'KafkaConsumer', client_id: 'http-api-groups', consumer_id: String, instance_id: null })
  t.equal((await get(c(`/consumer-groups/api-readers/consumers/${encodeURIComponent(member.consumer_id)}`))).body.consumer_id, member.consumer_id)
  t.equal((await get(c('/consumer-groups/api-readers/consumers/nobody'))).status, 404)
  const assignments = await get(c(`/consumer-groups/api-readers/consumers/${encodeURIComponent(member.consumer_id)}/assignments`))
  t.same(assignments.body.data.map((a: any) => [a.kind, a.topic_name, a.partition_id]).sort(), [['KafkaConsumerAssignment', 'api-lag', 0], ['KafkaConsumerAssignment', 'api-lag', 1]], 'the member\'s assignment, decoded')

  t.same(lags.body.data.map((x: any) => [x.kind, x.topic_name, x.partition_id, x.current_offset, x.log_end_offset, x.lag, x.consumer_id, x.client_id]), [
    ['KafkaConsumerLag', 'api-lag', 0, 20, 20, 0, member.consumer_id, 'http-api-groups'],
    ['KafkaConsumerLag', 'api-lag', 1, 20, 20, 0, member.consumer_id, 'http-api-groups'],
  ], 'lag per partition, with the owning consumer')

  await producer.send({ topic: 'api-lag', messages: Array.from({ length: 6 }, (_, i) => ({ value: `late${i}`, partition: 1 })) })
  // The consumer may read the new records at once: stop it first, then look.
  const reset = (body: unknown) => call('POST', c('/consumer-groups/api-readers/offsets:reset'), body)
  const refused = await reset({ strategy: 'earliest', topic_name: 'api-lag' })
  t.same([refused.status, refused.body.error_code], [409, 40903], 'a group with members: 409')
  t.match(refused.body.message, /can only be reset if the group 'api-readers' is inactive, but the current state is Stable/)
  await consumer.disconnect()
  t.equal((await get(c('/consumer-groups/api-readers'))).body.state, 'EMPTY', 'no members: EMPTY')

  const preview = await reset({ strategy: 'earliest', topic_name: 'api-lag', dry_run: true })
  t.same(preview.body.data.map((x: any) => x.new_offset), [0, 0], 'dry run: earliest')
  t.equal((await get(c('/consumer-groups/api-readers/lag-summary'))).body.total_lag, (await get(c('/consumer-groups/api-readers/lags'))).body.data.reduce((n: number, x: any) => n + x.lag, 0), 'dry run changed nothing')
  const done1 = await reset({ strategy: 'earliest', topic_name: 'api-lag' })
  t.same(done1.body.data.map((x: any) => [x.partition_id, x.new_offset]), [[0, 0], [1, 0]])
  t.same((await get(c('/consumer-groups/api-readers/lags'))).body.data.map((x: any) => x.lag), [20, 26], 'lag after reset to earliest')
  const summary = await get(c('/consumer-groups/api-readers/lag-summary'))
  t.match(summary.body, { kind: 'KafkaConsumerGroupLagSummary', max_lag: 26, total_lag: 46, max_lag_topic_name: 'api-lag', max_lag_partition_id: 1 })
  t.match((await get(c('/consumer-groups/api-readers/lags/api-lag/partitions/1'))).body, { current_offset: 0, log_end_offset: 26, lag: 26 })

  t.same((await reset({ strategy: 'offset', offset: 10, topic_name: 'api-lag', partition_ids: [1] })).body.data.map((x: any) => [x.partition_id, x.previous_offset, x.new_offset]), [[1, 0, 10]], 'to an offset, one partition')
  t.same((await reset({ strategy: 'offset', offset: 999, topic_name: 'api-lag' })).body.data.map((x: any) => x.new_offset), [20, 26], 'beyond the end: clamped to the end')
  t.same((await reset({ strategy: 'shift_by', shift_by: -5 })).body.data.map((x: any) => x.new_offset), [15, 21], 'shift_by over every committed topic')
  t.same((await reset({ strategy: 'shift_by', shift_by: -100 })).body.data.map((x: any) => x.new_offset), [0, 0], 'shifted before the start: clamped')
  t.same((await reset({ strategy: 'latest' })).body.data.map((x: any) => x.new_offset), [20, 26], 'latest')
  t.same((await reset({ strategy: 'timestamp', timestamp: Date.now() + 60_000 })).body.data.map((x: any) => x.new_offset), [20, 26], 'a time after every record: the end')
  t.same((await reset({ strategy: 'timestamp', timestamp: new Date(0).toISOString() })).body.data.map((x: any) => x.new_offset), [0, 0], 'a time before every record: the start')

  t.match((await reset({ strategy: 'sideways' })).body, { error_code: 40002 }, 'unknown strategy')
  t.match((await reset({ strategy: 'offset' })).body, { error_code: 40002 }, 'offset needs offset')
  t.match((await reset({ strategy: 'timestamp', timestamp: 'noon' })).body, { error_code: 40002 }, 'bad timestamp')
  t.match((await reset({ strategy: 'earliest', partition_ids: [0] })).body, { error_code: 40002 }, 'partition_ids needs topic_name')
  t.same((await reset({ strategy: 'earliest', topic_name: 'nope' })).body.error_code, 40403, 'unknown topic')
  t.same((await reset({ strategy: 'earliest', topic_name: 'api-lag', partition_ids: [7] })).body.error_code, 40402, 'unknown partition')
  t.equal((await call('POST', c('/consumer-groups/api-readers/offsets:reset'), '{"strategy":')).status, 400, 'malformed JSON')

  // A group that does not exist yet: a reset creates its offsets (Kafka allows it: no members).
  t.equal((await get(c('/consumer-groups/api-new'))).status, 404, 'unknown group: 404')
  t.match((await call('POST', c('/consumer-groups/api-new/offsets:reset'), { strategy: 'earliest' })).body, { error_code: 40002, message: /no committed offsets/ }, 'a new group needs topic_name')
  t.same((await call('POST', c('/consumer-groups/api-new/offsets:reset'), { strategy: 'latest', topic_name: 'api-lag' })).body.data.map((x: any) => x.new_offset), [20, 26])
  t.match((await get(c('/consumer-groups/api-new'))).body, { state: 'EMPTY', is_simple: true })

  // Committed offsets live in __consumer_offsets, which exists now: listed as internal, never written or deleted here.
  t.match((await get(c('/topics/__consumer_offsets'))).body, { is_internal: true, partitions_count: 2 })
  t.match((await call('DELETE', c('/topics/__consumer_offsets'))).body, { error_code: 40002, message: /internal/ }, 'internal topics are not deleted')
  t.match((await call('POST', c('/topics/__consumer_offsets/records'), { value: { type: 'STRING', data: 'x' } })).body, { error_code: 40002, message: /internal topic/ }, 'internal topics are not produced to')
})

t.test('replaying a dead-letter topic (extension)', async (t) => {
  await call('POST', c('/topics'), { topic_name: 'api-payments', partitions_count: 2 })
  await call('POST', c('/topics'), { topic_name: 'api-payments.dlq', partitions_count: 1 })
  const dead = async (i: number, headers: Array<{ name: string; value: string }>) => call('POST', c('/topics/api-payments.dlq/records'), {
    partition_id: 0, key: { type: 'STRING', data: `pay-${i}` }, value: { type: 'JSON', data: { amount: i } }, headers,
  })
  await dead(0, [{ name: '__connect.errors.topic', value: b64('api-payments') }, { name: '__connect.errors.partition', value: b64('1') }, { name: '__connect.errors.exception.message', value: b64('boom') }])
  await dead(1, [{ name: 'kafka_dlt-original-topic', value: b64('api-payments') }, { name: 'kafka_dlt-original-partition', value: Buffer.from([0, 0, 0, 0]).toString('base64') }])
  await dead(2, [])
  const replay = (body: unknown) => call('POST', c('/topics/api-payments.dlq/records:replay'), body)

  const noOrigin = await replay({ partition_id: 0, from_offset: 0, to_offset: 2 })
  t.match(noOrigin.body, { error_code: 40002, message: /offset 2 has no __connect.errors.topic/ }, 'a record without an origin header and no target: 400')
  t.same((await get(c('/topics/api-payments/partitions/1'))).body.log_end_offset, 0, 'and nothing was written')

  const preview = await replay({ partition_id: 0, from_offset: 0, to_offset: 1, dry_run: true })
  t.same(preview.body.data.map((x: any) => [x.source_offset, x.target_topic_name, x.target_partition_id, x.target_from, x.offset]), [
    [0, 'api-payments', 1, 'header __connect.errors.topic', null],
    [1, 'api-payments', 0, 'header kafka_dlt-original-topic', null],
  ], 'dry run: the plan, from Connect\'s and Spring\'s headers')
  t.equal(preview.body.replayed, 0)

  const done = await replay({ partition_id: 0, from_offset: 0, to_offset: 1 })
  t.same([done.status, done.body.kind, done.body.replayed], [200, 'SamsaReplayResult', 2])
  t.same(done.body.data.map((x: any) => [x.target_partition_id, x.offset]), [[1, 0], [0, 0]])
  const back = await get(c('/topics/api-payments/partitions/1/records?offset=0'))
  t.same(back.body.data.map((m: any) => [m.key.data, m.value.data, m.headers.map((h: any) => [h.name, h.text])]), [
    ['pay-0', { amount: 0 }, [['__connect.errors.topic', 'api-payments'], ['__connect.errors.partition', '1'], ['__connect.errors.exception.message', 'boom']]],
  ], 'key, value and headers kept')

  const explicit = await replay({ partition_id: 0, from_offset: 2, to_offset: 2, target_topic_name: 'api-payments', target_partition_id: 0, keep_timestamps: true })
  t.same(explicit.body.data.map((x: any) => [x.target_partition_id, x.offset, x.target_from]), [[0, 1, 'target_topic_name']], 'an explicit target')
  const original = (await get(c('/topics/api-payments.dlq/partitions/0/records?offset=2'))).body.data[0]
  t.equal((await get(c('/topics/api-payments/partitions/0/records?offset=1'))).body.data[0].timestamp, original.timestamp, 'keep_timestamps')

  t.same((await replay({ partition_id: 0, from_offset: 0, to_offset: 0, target_topic_name: 'nope' })).body.error_code, 40403, 'unknown target: 404')
  t.same((await replay({ partition_id: 3, from_offset: 0, to_offset: 0 })).body.error_code, 40402, 'unknown partition: 404')
  t.match((await replay({ partition_id: 0, from_offset: 5, to_offset: 1 })).body, { error_code: 40002 }, 'an empty range')
  t.match((await replay({ partition_id: 0, from_offset: 0, to_offset: 20_000 })).body, { error_code: 40002, message: /At most/ }, 'too many records')
  t.match((await replay({ partition_id: 0, from_offset: 0, to_offset: 0, target_topic_name: 'api-payments.dlq' })).body, { error_code: 40002, message: /loop/ }, 'into itself')
  t.match((await replay({ from_offset: 0, to_offset: 0 })).body, { error_code: 40002, message: 'partition_id is required.' })
  t.same((await call('POST', c('/topics/nope/records:replay'), { partition_id: 0, from_offset: 0, to_offset: 0 })).body.error_code, 40403)
})

t.test('cross-site and DNS-rebinding requests are refused', async (t) => {
  const create = (headers: Record<string, string>) => call('POST', c('/topics'), { topic_name: 'csrf-target' }, headers)
  const evil = await create({ origin: 'https://evil.example' })
  t.same([evil.status, evil.body.error_code], [403, 403], 'Origin of another site: 403')
  t.equal((await create({ origin: 'null' })).status, 403, 'Origin null (sandboxed page): 403')
  t.equal((await create({ origin: `http://127.0.0.1:${broker.httpPort! + 1}` })).status, 403, 'same host, other port: 403')
  t.equal((await create({ 'sec-fetch-site': 'cross-site' })).status, 403, 'Sec-Fetch-Site cross-site: 403')
  t.equal((await create({ 'sec-fetch-site': 'same-site' })).status, 403, 'Sec-Fetch-Site same-site (another origin): 403')
  t.equal((await call('DELETE', c('/topics/api-orders'), undefined, { origin: 'https://evil.example' })).status, 403, 'DELETE too')
  t.equal((await call('POST', c('/topics/api-orders/records'), { value: { type: 'STRING', data: 'x' } }, { 'sec-fetch-site': 'cross-site' })).status, 403, 'produce too')
  t.equal((await get(c('/topics/csrf-target'))).status, 404, 'nothing was created')
  t.equal((await get(c('/topics/api-orders'))).status, 200, 'nothing was deleted')
  const same = await create({ origin: base, 'sec-fetch-site': 'same-origin' })
  t.equal(same.status, 201, 'the console\'s own origin is allowed')
  const reading = await call('GET', c('/topics'), undefined, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' })
  t.equal(reading.status, 200, 'reads are not refused (no CORS headers: a page elsewhere cannot read the answer)')
  t.equal(reading.headers.get('access-control-allow-origin'), null)

  // DNS rebinding: a loopback broker answers only requests addressed to a loopback name.
  const withHost = (host: string) => new Promise<number>((resolve, reject) => {
    request({ host: '127.0.0.1', port: broker.httpPort!, path: c('/topics'), headers: { host } }, (res) => {
      res.resume()
      resolve(res.statusCode!)
    }).on('error', reject).end()
  })
  t.equal(await withHost(`attacker.example:${broker.httpPort}`), 403, 'Host of another name: 403')
  t.equal(await withHost(`localhost:${broker.httpPort}`), 200, 'localhost: answered')
  t.equal(await withHost(`127.0.0.1:${broker.httpPort}`), 200, '127.0.0.1: answered')
})

t.test('OpenAPI description and the console\'s assets', async (t) => {
  const spec = await get('/v3/openapi.json')
  t.equal(spec.status, 200)
  t.equal(spec.body.openapi, '3.0.3')
  const ops = new Map<string, any>()
  for (const [path, methods] of Object.entries<any>(spec.body.paths)) for (const [method, op] of Object.entries<any>(methods)) ops.set(`${method.toUpperCase()} ${path}`, op)
  const v3 = [
    'GET /v3/clusters', 'GET /v3/clusters/{cluster_id}', 'GET /v3/clusters/{cluster_id}/brokers', 'GET /v3/clusters/{cluster_id}/topics', 'POST /v3/clusters/{cluster_id}/topics',
    'GET /v3/clusters/{cluster_id}/topics/{topic_name}', 'PATCH /v3/clusters/{cluster_id}/topics/{topic_name}', 'DELETE /v3/clusters/{cluster_id}/topics/{topic_name}',
    'GET /v3/clusters/{cluster_id}/topics/{topic_name}/partitions', 'GET /v3/clusters/{cluster_id}/topics/{topic_name}/configs', 'POST /v3/clusters/{cluster_id}/topics/{topic_name}/configs:alter',
    'PUT /v3/clusters/{cluster_id}/topics/{topic_name}/configs/{name}', 'POST /v3/clusters/{cluster_id}/topics/{topic_name}/records', 'GET /v3/clusters/{cluster_id}/consumer-groups',
    'GET /v3/clusters/{cluster_id}/consumer-groups/{consumer_group_id}/lags', 'GET /v3/clusters/{cluster_id}/consumer-groups/{consumer_group_id}/lag-summary',
  ]
  for (const key of v3) t.equal(ops.get(key)?.['x-samsa-extension'], false, `${key}: Confluent v3`)
  const extensions = [
    'GET /v3/clusters/{cluster_id}/overview', 'GET /v3/clusters/{cluster_id}/topics/{topic_name}/records', 'GET /v3/clusters/{cluster_id}/topics/{topic_name}/partitions/{partition_id}/records',
    'POST /v3/clusters/{cluster_id}/topics/{topic_name}/records:replay', 'POST /v3/clusters/{cluster_id}/consumer-groups/{consumer_group_id}/offsets:reset', 'GET /v3/openapi.json',
  ]
  for (const key of extensions) t.equal(ops.get(key)?.['x-samsa-extension'], true, `${key}: a Samsa extension`)
  t.equal(new Set([...ops.values()].map((o) => o.operationId)).size, ops.size, 'operation ids are unique')
  t.ok(ops.get('POST /v3/clusters/{cluster_id}/topics')?.requestBody, 'request bodies are described')

  const page = await fetch(`${base}/`)
  t.equal(page.status, 200)
  t.match(page.headers.get('content-type'), /text\/html/)
  t.match(page.headers.get('content-security-policy'), /script-src 'self'/)
  t.match(page.headers.get('content-security-policy'), /frame-ancestors 'none'/)
  const html = await page.text()
  t.match(html, /<script src="\/console\/app\.js"/)
  t.notMatch(html, /https?:\/\//, 'the page loads nothing from elsewhere')
  const js = await fetch(`${base}/console/app.js`)
  t.match(js.headers.get('content-type'), /javascript/)
  const source = await js.text()
  t.doesNotThrow(() => new Script(source), 'the script compiles')
  t.notMatch(source, /https?:\/\/(?!www\.w3\.org\/2000\/svg)/, 'and fetches nothing from elsewhere')
  t.match((await fetch(`${base}/console/app.css`)).headers.get('content-type'), /text\/css/)
})
