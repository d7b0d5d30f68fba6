// What DescribeConfigs reports about each topic config Kafka 4.x defines: its type, its
// default, and the broker properties that supply a cluster-wide default (Kafka's
// synonyms, most specific first). Values are checked by storage/log-config.ts's parsers;
// this table only describes them. Documentation strings are short and our own.

/** Kafka's ConfigType ids (DescribeConfigs v3+). */
export const ConfigType = { UNKNOWN: 0, BOOLEAN: 1, STRING: 2, INT: 3, SHORT: 4, LONG: 5, DOUBLE: 6, LIST: 7, CLASS: 8, PASSWORD: 9 } as const

/** Kafka's ConfigSource ids. */
export const ConfigSource = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
} as const

/** Kafka's ConfigResource types. */
export const ResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const

export const LONG_MAX = '9223372036854775807'

export interface TopicConfigInfo {
  type: number
  /** Kafka's default, as Kafka prints it. */
  defaultValue: string
  /** Broker properties that set this topic config's default, most specific first. */
  brokerSynonyms: readonly string[]
  doc: string
}

const info = (type: number, defaultValue: string, brokerSynonyms: readonly string[], doc: string): TopicConfigInfo => ({ type, defaultValue, brokerSynonyms, doc })
const T = ConfigType

/** The topic configs of Kafka 4.x, in Kafka's (alphabetical) order. */
export const TOPIC_CONFIG_INFO: Readonly<Record<string, TopicConfigInfo>> = Object.freeze({
  'cleanup.policy': info(T.LIST, 'delete', ['log.cleanup.policy'], 'delete old segments, compact to the newest record per key, or both'),
  'compression.gzip.level': info(T.INT, '-1', ['compression.gzip.level'], 'gzip level when the topic recompresses to gzip: 1-9, or -1 for zlib\'s default (6)'),
  'compression.lz4.level': info(T.INT, '9', ['compression.lz4.level'], 'lz4 level when the topic recompresses to lz4: 1-17, all written with LZ4\'s fast compressor (Kafka\'s default level 9)'),
  'compression.type': info(T.STRING, 'producer', ['compression.type'], 'codec batches are stored with (uncompressed, gzip, snappy, lz4, zstd), batches in another codec are recompressed; producer keeps what the producer sent'),
  'compression.zstd.level': info(T.INT, '3', ['compression.zstd.level'], 'zstd level when the topic recompresses to zstd: -131072 to 22'),
  'delete.retention.ms': info(T.LONG, '86400000', ['log.cleaner.delete.retention.ms'], 'how long tombstones stay in a compacted topic'),
  'file.delete.delay.ms': info(T.LONG, '60000', ['log.segment.delete.delay.ms'], 'delay before a deleted segment file is removed'),
  'flush.messages': info(T.LONG, LONG_MAX, ['log.flush.interval.messages'], 'records between forced fsyncs (the broker --fsync mode decides here)'),
  'flush.ms': info(T.LONG, LONG_MAX, ['log.flush.interval.ms'], 'time between forced fsyncs (the broker --fsync mode decides here)'),
  'follower.replication.throttled.replicas': info(T.LIST, '', ['follower.replication.throttled.replicas'], 'replicas throttled on followers (single broker: unused)'),
  'index.interval.bytes': info(T.INT, '4096', ['log.index.interval.bytes'], 'bytes of log between two offset index entries'),
  'leader.replication.throttled.replicas': info(T.LIST, '', ['leader.replication.throttled.replicas'], 'replicas throttled on the leader (single broker: unused)'),
  'local.retention.bytes': info(T.LONG, '-2', ['log.local.retention.bytes'], 'local retention with tiered storage (-2: same as retention.bytes)'),
  'local.retention.ms': info(T.LONG, '-2', ['log.local.retention.ms'], 'local retention with tiered storage (-2: same as retention.ms)'),
  'max.compaction.lag.ms': info(T.LONG, LONG_MAX, ['log.cleaner.max.compaction.lag.ms'], 'longest a record may stay uncompacted'),
  'max.message.bytes': info(T.INT, '1048588', ['message.max.bytes'], 'largest record batch a producer may send'),
  'message.timestamp.after.max.ms': info(T.LONG, '3600000', ['log.message.timestamp.after.max.ms'], 'how far in the future a CreateTime record may be'),
  'message.timestamp.before.max.ms': info(T.LONG, LONG_MAX, ['log.message.timestamp.before.max.ms'], 'how far in the past a CreateTime record may be'),
  'message.timestamp.type': info(T.STRING, 'CreateTime', ['log.message.timestamp.type'], 'CreateTime keeps the producer timestamps, LogAppendTime uses the broker clock'),
  'min.cleanable.dirty.ratio': info(T.DOUBLE, '0.5', ['log.cleaner.min.cleanable.ratio'], 'share of uncompacted log that triggers compaction'),
  'min.compaction.lag.ms': info(T.LONG, '0', ['log.cleaner.min.compaction.lag.ms'], 'shortest a record stays uncompacted'),
  'min.insync.replicas': info(T.INT, '1', ['min.insync.replicas'], 'replicas that must acknowledge acks=all writes (single broker: 1)'),
  'preallocate': info(T.BOOLEAN, 'false', ['log.preallocate'], 'preallocate segment files'),
  'remote.log.copy.disable': info(T.BOOLEAN, 'false', [], 'stop copying segments to tiered storage'),
  'remote.log.delete.on.disable': info(T.BOOLEAN, 'false', [], 'delete tiered segments when tiered storage is disabled'),
  'remote.storage.enable': info(T.BOOLEAN, 'false', [], 'tiered storage (not offered)'),
  'retention.bytes': info(T.LONG, '-1', ['log.retention.bytes'], 'largest size a partition keeps before deleting old segments (-1: no limit)'),
  'retention.ms': info(T.LONG, '604800000', ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'], 'how long segments are kept (-1: forever)'),
  'segment.bytes': info(T.INT, '1073741824', ['log.segment.bytes'], 'size at which the active segment rolls'),
  'segment.index.bytes': info(T.INT, '10485760', ['log.index.size.max.bytes'], 'largest offset index of a segment'),
  'segment.jitter.ms': info(T.LONG, '0', ['log.roll.jitter.ms', 'log.roll.jitter.hours'], 'random jitter subtracted from segment.ms'),
  'segment.ms': info(T.LONG, '604800000', ['log.roll.ms', 'log.roll.hours'], 'age at which the active segment rolls'),
  'unclean.leader.election.enable': info(T.BOOLEAN, 'false', ['unclean.leader.election.enable'], 'elect an out-of-sync replica (single broker: unused)'),
})

/** Kafka's default of a broker property that is the lowest synonym of a topic config, as Kafka reports it (e.g. log.retention.hours=168). */
export const BROKER_SYNONYM_DEFAULTS: Readonly<Record<string, string>> = Object.freeze({
  'log.retention.hours': '168',
  'log.roll.hours': '168',
  'log.roll.jitter.hours': '0',
})

/** Prints a value as Kafka does: "no bound" longs (Number.MAX_SAFE_INTEGER here) as Long.MAX_VALUE. */
export function kafkaValue(name: string, value: string): string {
  const i = TOPIC_CONFIG_INFO[name]
  return i?.type === ConfigType.LONG && value === String(Number.MAX_SAFE_INTEGER) ? LONG_MAX : value
}
