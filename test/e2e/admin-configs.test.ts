// Config admin APIs with real clients: kafkajs describeConfigs / alterConfigs,
// @platformatic/kafka incrementalAlterConfigs, Python confluent-kafka describe_configs /
// alter_configs; a topic made compacted that stays compacted after a restart; a lowered
// retention.ms deleting old segments without a restart; dynamic broker defaults; the
// logger level; and Kafka's errors for bad input with nothing changed.

import t from 'tap'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { Admin } from '@platformatic/kafka'
import kafkajs from 'kafkajs'
import { memoryBroker, repoRoot, spawnBroker, tempDir } from '../helpers/broker.ts'
import { kafkaClient } from '../helpers/kafkajs-fetch.ts'
import { run, lastJsonLine, systemPython } from '../helpers/external.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { batchOf, createTopic, produce } from '../helpers/wire-requests.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { startBroker } from '../../src/broker.ts'
import { buildRecordBatch } from '../../protocol/records/record-batch-builder.ts'

const { ConfigResourceTypes } = kafkajs
const TOPIC = 2
const BROKER = 4
const BROKER_LOGGER = 8

async function describe(c: RawClient, type: number, name: string, keys: string[] | null = null, version = 4): Promise<any> {
  const res = await c.request(32, version, { resources: [{ resourceType: type, resourceName: name, configurationKeys: keys }], includeSynonyms: true, includeDocumentation: true })
  return res.results[0]
}

async function incremental(c: RawClient, type: number, name: string, configs: Array<{ name: string; configOperation: number; value: string | null }>, validateOnly = false): Promise<{ errorCode: number; errorMessage: string | null }> {
  const res = await c.request(44, 1, { resources: [{ resourceType: type, resourceName: name, configs }], validateOnly })
  return res.responses[0]
}

const entry = (r: any, name: string): any => r.configs.find((c: any) => c.name === name)

t.test('kafkajs and confluent-kafka describe and alter topic configs', async (t) => {
  const broker = await memoryBroker(t)
  const admin = kafkaClient(broker.port).admin()
  await admin.connect()
  t.teardown(() => admin.disconnect())
  await admin.createTopics({ topics: [{ topic: 'cfg', numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '3600000' }] }] })

  const described = await admin.describeConfigs({ includeSynonyms: true, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'cfg' }] })
  const configs = described.resources[0]!.configEntries
  const retention = configs.find((c) => c.configName === 'retention.ms')!
  t.same([retention.configValue, retention.isDefault, retention.configSource], ['3600000', false, 1], 'retention.ms: the topic override, DYNAMIC_TOPIC_CONFIG')
  t.same(retention.configSynonyms.map((s) => [s.configName, s.configValue, s.configSource]), [['retention.ms', '3600000', 1], ['log.retention.hours', '168', 5]], 'synonyms down to Kafka\'s default, log.retention.hours=168')
  const segment = configs.find((c) => c.configName === 'segment.bytes')!
  t.same([segment.configValue, segment.isDefault, segment.configSource], ['1073741824', true, 5], 'segment.bytes: Kafka\'s default')
  t.ok(configs.length >= 30, `every topic config of Kafka 4 described (${configs.length})`)

  const brokerDescribed = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '0' }] })
  const brokerConfigs = brokerDescribed.resources[0]!.configEntries
  t.equal(brokerConfigs.find((c) => c.configName === 'num.partitions')?.configValue, '1', 'broker: num.partitions')
  t.equal(brokerConfigs.find((c) => c.configName === 'num.partitions')?.readOnly, true, 'static broker configs are read-only')
  t.equal(brokerConfigs.find((c) => c.configName === 'log.retention.ms')?.configValue, '604800000', 'broker: log.retention.ms (effective default)')

  await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'cfg', configEntries: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'max.message.bytes', value: '2048' }] }] })
  const after = (await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'cfg', configNames: ['cleanup.policy', 'retention.ms', 'max.message.bytes'] }] })).resources[0]!.configEntries
  t.same(after.map((c) => [c.configName, c.configValue, c.isDefault]).sort(), [['cleanup.policy', 'compact', false], ['max.message.bytes', '2048', false], ['retention.ms', '604800000', true]], 'AlterConfigs replaces the whole set: retention.ms is back to the default')
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  const big = await produce(c, 'cfg', 0, batchOf(['x'.repeat(4000)]))
  t.equal(big.errorCode, ErrorCode.MESSAGE_TOO_LARGE, 'max.message.bytes applied at once: a 4 KB batch is refused')

  const py = `
import json, sys
from confluent_kafka.admin import AdminClient, ConfigResource
a = AdminClient({'bootstrap.servers': sys.argv[1]})
res = ConfigResource('topic', 'cfg', set_config={'retention.ms': '7200000', 'cleanup.policy': 'delete'})
for r, f in a.alter_configs([res]).items(): f.result(30)
out = {}
for r, f in a.describe_configs([ConfigResource('topic', 'cfg')]).items():
    out = {k: v.value for k, v in f.result(30).items()}
bad = ConfigResource('topic', 'cfg', set_config={'retention.ms': 'soon'})
try:
    for r, f in a.alter_configs([bad]).items(): f.result(30)
    err = None
except Exception as e:
    err = str(e)
print(json.dumps({'configs': out, 'bad': err}))
`
  const r = await run(systemPython, ['-c', py, `127.0.0.1:${broker.port}`], { timeoutMs: 60_000 })
  t.equal(r.code, 0, r.stderr)
  const res = lastJsonLine(r.stdout)
  t.same([res.configs['retention.ms'], res.configs['cleanup.policy'], res.configs['max.message.bytes']], ['7200000', 'delete', '1048588'], 'confluent-kafka alter_configs then describe_configs')
  t.match(res.bad, /INVALID_CONFIG|Invalid value soon for configuration retention\.ms/, 'a non-number is INVALID_CONFIG naming the key')
})

t.test('incrementalAlterConfigs (@platformatic/kafka): compacted after a restart; retention lowered live deletes old segments', async (t) => {
  const dataDir = tempDir(t)
  let child = await spawnBroker(['--data-dir', dataDir])
  t.teardown(() => { child.child.kill('SIGKILL') })
  let admin = new Admin({ clientId: 'cfg-admin', bootstrapBrokers: [`127.0.0.1:${child.port}`] })
  let c = await RawClient.connect(child.port)
  await createTopic(c, 'table', 1, { 'segment.bytes': '1024' })
  await admin.incrementalAlterConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: 'table', configs: [{ name: 'cleanup.policy', configOperation: 0, value: 'compact' }] }] })
  await admin.close()
  c.close()
  child.child.kill('SIGTERM')
  t.equal(await child.exited, 0, 'stopped cleanly')
  child = await spawnBroker(['--data-dir', dataDir])
  admin = new Admin({ clientId: 'cfg-admin', bootstrapBrokers: [`127.0.0.1:${child.port}`] })
  t.teardown(() => admin.close())
  c = await RawClient.connect(child.port)
  t.teardown(() => c.close())
  const described = await admin.describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: 'table', configurationKeys: ['cleanup.policy'] }] })
  t.same(described[0]!.configs.map((x) => [x.name, x.value, x.configSource]), [['cleanup.policy', 'compact', 1]], 'cleanup.policy=compact after the restart')

  // Old records (an hour ago) in several 1 KiB segments, then retention.ms lowered to a minute.
  const old = Date.now() - 3_600_000
  // Keyed: a compacted topic refuses records without a key.
  for (let i = 0; i < 8; i++) t.equal((await produce(c, 'table', 0, buildRecordBatch({ baseTimestamp: old, records: [{ key: Buffer.from(`k${i}`), value: Buffer.from(`old-${i}-${'x'.repeat(300)}`) }] }))).errorCode, 0)
  const segmentsBefore = readdirSync(join(dataDir, 'table-0')).filter((f) => f.endsWith('.log')).length
  t.ok(segmentsBefore >= 3, `several segments (${segmentsBefore})`)
  const altered = await incremental(c, TOPIC, 'table', [{ name: 'cleanup.policy', configOperation: 2, value: 'delete' }, { name: 'retention.ms', configOperation: 0, value: '60000' }])
  t.same([altered.errorCode, altered.errorMessage], [0, null], 'APPEND delete to the list, SET retention.ms')
  const segmentsAfter = readdirSync(join(dataDir, 'table-0')).filter((f) => f.endsWith('.log')).length
  t.equal(segmentsAfter, 1, `old segments deleted without a restart (${segmentsBefore} -> ${segmentsAfter}; the active one stays)`)
  const earliest = await c.request(2, 5, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'table', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2, maxNumOffsets: 1 }] }] })
  t.ok(earliest.topics[0].partitions[0].offset > 0, `the log start moved (${earliest.topics[0].partitions[0].offset})`)
  t.equal(entry(await describe(c, TOPIC, 'table', ['cleanup.policy']), 'cleanup.policy').value, 'compact,delete', 'cleanup.policy is now compact,delete')
  t.equal((await incremental(c, TOPIC, 'table', [{ name: 'cleanup.policy', configOperation: 3, value: 'compact' }])).errorCode, 0, 'SUBTRACT compact')
  t.equal(entry(await describe(c, TOPIC, 'table', ['cleanup.policy']), 'cleanup.policy').value, 'delete')
  t.equal((await incremental(c, TOPIC, 'table', [{ name: 'retention.ms', configOperation: 1, value: null }])).errorCode, 0, 'DELETE an override')
  const back = entry(await describe(c, TOPIC, 'table', ['retention.ms']), 'retention.ms')
  t.same([back.value, back.configSource], ['604800000', 5], 'back to the default')
})

t.test('dynamic broker defaults, the logger level, and bad input', async (t) => {
  const broker = await startBroker({ host: '127.0.0.1', port: 0, memory: true, shards: 2, logLevel: 'info' })
  t.teardown(() => broker.close())
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  await createTopic(c, 'plain')

  t.same(await incremental(c, BROKER, '', [{ name: 'log.retention.ms', configOperation: 0, value: '120000' }]), { errorCode: 0, errorMessage: null, resourceType: BROKER, resourceName: '' }, 'cluster-wide log.retention.ms')
  const topicView = entry(await describe(c, TOPIC, 'plain', ['retention.ms']), 'retention.ms')
  t.same([topicView.value, topicView.configSource, topicView.synonyms[0]], ['120000', 3, { name: 'log.retention.ms', value: '120000', source: 3 }], 'the topic inherits it: DYNAMIC_DEFAULT_BROKER_CONFIG')
  t.same((await describe(c, BROKER, '')).configs.map((x: any) => [x.name, x.value]), [['log.retention.ms', '120000']], 'the default resource lists the dynamic configs')
  t.equal((await incremental(c, BROKER, '0', [{ name: 'num.partitions', configOperation: 0, value: '3' }])).errorCode, ErrorCode.INVALID_REQUEST, 'a static broker config cannot change dynamically')
  t.equal((await incremental(c, BROKER, '7', [{ name: 'log.retention.ms', configOperation: 0, value: '1' }])).errorCode, ErrorCode.INVALID_REQUEST, 'another broker id')

  t.equal(entry(await describe(c, BROKER_LOGGER, '0'), 'root').value, 'INFO', 'root logger at INFO')
  t.equal((await incremental(c, BROKER_LOGGER, '0', [{ name: 'root', configOperation: 0, value: 'DEBUG' }])).errorCode, 0)
  t.equal(entry(await describe(c, BROKER_LOGGER, '0'), 'root').value, 'DEBUG', 'now DEBUG')
  t.equal(broker.logger.level, 'debug', 'and the broker logs at debug')
  t.equal((await incremental(c, BROKER_LOGGER, '0', [{ name: 'root', configOperation: 0, value: 'LOUD' }])).errorCode, ErrorCode.INVALID_CONFIG, 'not a log4j level')
  t.equal((await incremental(c, BROKER_LOGGER, '0', [{ name: 'root', configOperation: 1, value: null }])).errorCode, ErrorCode.INVALID_REQUEST, 'the root logger\'s level cannot be removed')
  const legacyLogger = await c.request(33, 2, { resources: [{ resourceType: BROKER_LOGGER, resourceName: '0', configs: [{ name: 'root', value: 'INFO' }] }], validateOnly: false })
  t.equal(legacyLogger.responses[0].errorCode, ErrorCode.INVALID_REQUEST, 'AlterConfigs does not take BROKER_LOGGER')

  const before = await describe(c, TOPIC, 'plain')
  const bad: Array<[string, Array<{ name: string; configOperation: number; value: string | null }>, number, RegExp]> = [
    ['unknown name', [{ name: 'retention.forever', configOperation: 0, value: '1' }], ErrorCode.INVALID_CONFIG, /Unknown topic config name: retention\.forever/],
    ['wrong type', [{ name: 'segment.bytes', configOperation: 0, value: 'big' }], ErrorCode.INVALID_CONFIG, /segment\.bytes/],
    ['below the minimum', [{ name: 'segment.bytes', configOperation: 0, value: '1' }], ErrorCode.INVALID_CONFIG, /segment\.bytes/],
    ['APPEND to a non-list config', [{ name: 'retention.ms', configOperation: 2, value: '5' }], ErrorCode.INVALID_CONFIG, /retention\.ms/],
    ['duplicate keys', [{ name: 'retention.ms', configOperation: 0, value: '5' }, { name: 'retention.ms', configOperation: 1, value: null }], ErrorCode.INVALID_REQUEST, /duplicate/],
    ['one bad entry among good ones', [{ name: 'retention.ms', configOperation: 0, value: '5000' }, { name: 'segment.ms', configOperation: 0, value: '-3' }], ErrorCode.INVALID_CONFIG, /segment\.ms/],
  ]
  for (const [what, configs, code, message] of bad) {
    const r = await incremental(c, TOPIC, 'plain', configs)
    t.equal(r.errorCode, code, `${what}: error ${code}`)
    t.match(r.errorMessage ?? '', message, `${what}: the message names the key`)
  }
  t.equal((await incremental(c, TOPIC, 'no-such-topic', [{ name: 'retention.ms', configOperation: 0, value: '5' }])).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'a topic that does not exist')
  t.equal((await incremental(c, TOPIC, 'plain', [{ name: 'retention.ms', configOperation: 0, value: '5000' }], true)).errorCode, 0, 'validate_only accepts a good change')
  t.same(await describe(c, TOPIC, 'plain'), before, 'nothing changed by the refused requests or validate_only')
  t.equal((await describe(c, TOPIC, 'no-such-topic')).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'DescribeConfigs of an unknown topic')

  for (let v = 0; v <= 4; v++) {
    const r = await describe(c, TOPIC, 'plain', ['retention.ms'], v)
    t.equal(entry(r, 'retention.ms').value, '120000', `DescribeConfigs v${v}`)
  }
  for (let v = 0; v <= 2; v++) {
    const r = await c.request(33, v, { resources: [{ resourceType: TOPIC, resourceName: 'plain', configs: [{ name: 'retention.ms', value: String(1000 + v) }] }], validateOnly: false })
    t.equal(r.responses[0].errorCode, 0, `AlterConfigs v${v}`)
    t.equal(entry(await describe(c, TOPIC, 'plain', ['retention.ms']), 'retention.ms').value, String(1000 + v))
  }
  t.equal((await c.request(44, 0, { resources: [{ resourceType: TOPIC, resourceName: 'plain', configs: [{ name: 'retention.ms', configOperation: 1, value: null }] }], validateOnly: false })).responses[0].errorCode, 0, 'IncrementalAlterConfigs v0')
})
