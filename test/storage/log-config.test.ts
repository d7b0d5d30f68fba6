import t from 'tap'
import { defaultLogConfig, logConfigToTopicConfigs, parseTopicConfigs, resolveLogConfig } from '../../storage/log-config.ts'

t.test('defaults are Kafka defaults', async (t) => {
  t.same(defaultLogConfig, {
    segmentBytes: 1073741824,
    segmentMs: 604800000,
    indexIntervalBytes: 4096,
    maxMessageBytes: 1048588,
    messageTimestampType: 'CreateTime',
    retentionMs: 604800000,
    retentionBytes: -1,
    cleanupPolicy: 'delete',
    segmentIndexBytes: 10485760,
    messageTimestampBeforeMaxMs: Number.MAX_SAFE_INTEGER,
    messageTimestampAfterMaxMs: 3600000,
    compressionType: 'producer',
    compressionGzipLevel: -1,
    compressionLz4Level: 9,
    compressionZstdLevel: 3,
    deleteRetentionMs: 86400000,
    minCompactionLagMs: 0,
    maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
    minCleanableDirtyRatio: 0.5,
  })
  t.ok(Object.isFrozen(defaultLogConfig))
  t.equal(resolveLogConfig({ segmentBytes: 100 }).segmentBytes, 100)
})

t.test('known configs map onto LogConfig fields', async (t) => {
  const r = parseTopicConfigs({
    'segment.bytes': '1048576',
    'segment.ms': '60000',
    'index.interval.bytes': '100',
    'max.message.bytes': ' 2000000 ',
    'message.timestamp.type': 'LogAppendTime',
    'retention.ms': '-1',
    'retention.bytes': '5000',
    'cleanup.policy': 'compact, delete',
    'segment.index.bytes': '4096',
    'compression.type': 'zstd',
    'compression.gzip.level': '9',
    'compression.lz4.level': '17',
    'compression.zstd.level': '-131072',
  })
  t.same(r, {
    config: {
      segmentBytes: 1048576, segmentMs: 60000, indexIntervalBytes: 100, maxMessageBytes: 2000000, messageTimestampType: 'LogAppendTime',
      retentionMs: -1, retentionBytes: 5000, cleanupPolicy: 'compact,delete', segmentIndexBytes: 4096,
      compressionType: 'zstd', compressionGzipLevel: 9, compressionLz4Level: 17, compressionZstdLevel: -131072,
    },
    other: {},
  })
})

t.test('other real Kafka topic configs are accepted and kept as strings', async (t) => {
  const r = parseTopicConfigs({
    'min.insync.replicas': '2',
    'unclean.leader.election.enable': 'FALSE',
    'min.cleanable.dirty.ratio': '0.3',
    'delete.retention.ms': '1000',
    'flush.messages': '1',
    'flush.ms': '1000',
    'message.timestamp.difference.max.ms': '9223372036854',
  })
  t.same(r, {
    // The log cleaner's configs are LogConfig fields.
    config: { minCleanableDirtyRatio: 0.3, deleteRetentionMs: 1000 },
    other: {
      'min.insync.replicas': '2', 'unclean.leader.election.enable': 'false', 'flush.messages': '1', 'flush.ms': '1000', 'message.timestamp.difference.max.ms': '9223372036854',
    },
  })
})

t.test('null means default and is skipped', async (t) => {
  t.same(parseTopicConfigs({ 'retention.ms': null }), { config: {}, other: {} })
})

t.test('invalid values and unknown names fail with INVALID_CONFIG naming the key', async (t) => {
  const bad: Record<string, string>[] = [
    { 'no.such.config': '1' },
    { 'segment.bytes': '13' },
    { 'segment.bytes': 'big' },
    { 'segment.bytes': '2147483648' },
    { 'segment.ms': '0' },
    { 'retention.ms': '-2' },
    { 'message.timestamp.type': 'createtime' },
    { 'cleanup.policy': 'forever' },
    { 'cleanup.policy': '' },
    { 'compression.type': 'brotli' },
    { 'compression.type': 'none' },
    { 'compression.gzip.level': '0' },
    { 'compression.gzip.level': '10' },
    { 'compression.gzip.level': '-2' },
    { 'compression.lz4.level': '0' },
    { 'compression.lz4.level': '18' },
    { 'compression.zstd.level': '23' },
    { 'compression.zstd.level': '-131073' },
    { 'min.insync.replicas': '0' },
    { 'min.cleanable.dirty.ratio': '1.5' },
    { 'unclean.leader.election.enable': 'yes' },
    { 'segment.index.bytes': '3' },
    { 'max.message.bytes': '1.5' },
  ]
  for (const entries of bad) {
    const r = parseTopicConfigs(entries)
    const key = Object.keys(entries)[0]!
    t.ok('error' in r, `${key}=${entries[key]} rejected`)
    if ('error' in r) {
      t.equal(r.error, 'INVALID_CONFIG')
      t.match(r.message, key)
    }
  }
})

t.test('timestamp bounds accept Kafka\'s Long.MAX_VALUE default as "no bound"', async (t) => {
  const r = parseTopicConfigs({ 'message.timestamp.before.max.ms': '9223372036854775807', 'message.timestamp.after.max.ms': '60000' })
  t.same('config' in r ? r.config : r, { messageTimestampBeforeMaxMs: Number.MAX_SAFE_INTEGER, messageTimestampAfterMaxMs: 60000 })
  const bad = parseTopicConfigs({ 'message.timestamp.after.max.ms': '-1' })
  t.match(bad, { error: 'INVALID_CONFIG', message: /message\.timestamp\.after\.max\.ms/ })
})

t.test('logConfigToTopicConfigs gives Kafka names', async (t) => {
  const out = logConfigToTopicConfigs(resolveLogConfig({ retentionMs: 5 }))
  t.equal(out['retention.ms'], '5')
  t.equal(out['segment.bytes'], '1073741824')
  t.equal(out['message.timestamp.type'], 'CreateTime')
  t.equal(Object.keys(out).length, 19)
  const back = parseTopicConfigs(out)
  t.same('config' in back ? back.config : null, resolveLogConfig({ retentionMs: 5 }), 'round trip')
})
