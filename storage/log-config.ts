// Per-topic log settings and the table that maps Kafka's topic config names onto them,
// with Kafka's types and bounds (LogConfig / TopicConfig). Configs storage acts on become
// LogConfig fields; the other real Kafka topic configs are validated and accepted so admin
// tools can set and read them, but change nothing here.

export type MessageTimestampType = 'CreateTime' | 'LogAppendTime'

/** compression.type (Kafka's BrokerCompressionType names). */
export type TopicCompressionType = 'producer' | 'uncompressed' | 'gzip' | 'snappy' | 'lz4' | 'zstd'

export interface LogConfig {
  /** segment.bytes: roll when the active segment would grow past this. */
  segmentBytes: number
  /** segment.ms: roll when the active segment is older than this. */
  segmentMs: number
  /** index.interval.bytes: bytes of log between two sparse index entries. */
  indexIntervalBytes: number
  /** max.message.bytes: largest batch accepted from a producer. */
  maxMessageBytes: number
  messageTimestampType: MessageTimestampType
  /** retention.ms, −1 = keep forever. */
  retentionMs: number
  /** retention.bytes, −1 = no size limit. */
  retentionBytes: number
  /** cleanup.policy: 'delete', 'compact' or both, comma-separated. */
  cleanupPolicy: string
  /** segment.index.bytes: roll when an index of the active segment would outgrow this. */
  segmentIndexBytes: number
  /** message.timestamp.before.max.ms: how far in the past a CreateTime record may be (MAX_SAFE_INTEGER: no bound). */
  messageTimestampBeforeMaxMs: number
  /** message.timestamp.after.max.ms: how far in the future a CreateTime record may be. */
  messageTimestampAfterMaxMs: number
  /** compression.type: the codec batches are stored with; 'producer' keeps the producer's. */
  compressionType: TopicCompressionType
  /** compression.gzip.level: 1-9, or -1 for zlib's default. */
  compressionGzipLevel: number
  /** compression.lz4.level: 1-17. */
  compressionLz4Level: number
  /** compression.zstd.level: -131072 to 22. */
  compressionZstdLevel: number
  /** delete.retention.ms: how long the cleaner keeps tombstones (and empty transactions' markers) after the first clean that saw them. */
  deleteRetentionMs: number
  /** min.compaction.lag.ms: a record stays uncompacted at least this long. */
  minCompactionLagMs: number
  /** max.compaction.lag.ms: a record becomes eligible for compaction at most this long after it was written. */
  maxCompactionLagMs: number
  /** min.cleanable.dirty.ratio: the share of uncleaned bytes above which a log is cleaned. */
  minCleanableDirtyRatio: number
}

const DAY_MS = 24 * 60 * 60 * 1000

export const defaultLogConfig: Readonly<LogConfig> = Object.freeze({
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * DAY_MS,
  indexIntervalBytes: 4096,
  maxMessageBytes: 1048588,
  messageTimestampType: 'CreateTime',
  retentionMs: 7 * DAY_MS,
  retentionBytes: -1,
  cleanupPolicy: 'delete',
  segmentIndexBytes: 10 * 1024 * 1024,
  // Kafka 4's defaults (KIP-1030 brought the future bound down to one hour).
  messageTimestampBeforeMaxMs: Number.MAX_SAFE_INTEGER,
  messageTimestampAfterMaxMs: 3_600_000,
  compressionType: 'producer',
  compressionGzipLevel: -1,
  compressionLz4Level: 9,
  compressionZstdLevel: 3,
  deleteRetentionMs: DAY_MS,
  minCompactionLagMs: 0,
  maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
  minCleanableDirtyRatio: 0.5,
})

/** A full LogConfig: Kafka's defaults with `overrides` on top. */
export function resolveLogConfig(overrides: Partial<LogConfig> = {}): LogConfig {
  return { ...defaultLogConfig, ...overrides }
}

const INT32_MIN = -2147483648
const INT32_MAX = 2147483647

// A parser returns the parsed value, or a string explaining why the raw value is invalid.
type Parsed = { ok: true; value: string | number } | { ok: false; reason: string }
type Parser = (raw: string) => Parsed

function fail(reason: string): Parsed {
  return { ok: false, reason }
}

function integer(min: number, max: number): Parser {
  return (raw) => {
    const s = raw.trim()
    if (!/^[+-]?\d+$/.test(s)) return fail('not a number')
    const n = Number(s)
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      return fail(max >= Number.MAX_SAFE_INTEGER ? `value must be at least ${min}` : `value must be between ${min} and ${max}`)
    }
    return { ok: true, value: n }
  }
}

const int = (min = INT32_MIN, max = INT32_MAX): Parser => integer(min, max)
const long = (min = Number.MIN_SAFE_INTEGER): Parser => integer(min, Number.MAX_SAFE_INTEGER)

// A long whose Kafka default is Long.MAX_VALUE ("no bound"): values from 2^53 up, which a
// JS number cannot hold exactly, become Number.MAX_SAFE_INTEGER.
function clampedLong(min: number): Parser {
  return (raw) => {
    const s = raw.trim()
    if (!/^[+-]?\d+$/.test(s)) return fail('not a number')
    const n = Number(s)
    if (n < min) return fail(`value must be at least ${min}`)
    return { ok: true, value: Number.isSafeInteger(n) ? n : Number.MAX_SAFE_INTEGER }
  }
}

function double(min: number, max: number): Parser {
  return (raw) => {
    const s = raw.trim()
    const n = Number(s)
    if (s === '' || !Number.isFinite(n)) return fail('not a number')
    if (n < min || n > max) return fail(`value must be between ${min} and ${max}`)
    return { ok: true, value: s }
  }
}

// A double stored as a number in LogConfig (min.cleanable.dirty.ratio).
const ratio: Parser = (raw) => {
  const parsed = double(0, 1)(raw)
  return parsed.ok ? { ok: true, value: Number(parsed.value) } : parsed
}

const boolean: Parser = (raw) => {
  const s = raw.trim().toLowerCase()
  return s === 'true' || s === 'false' ? { ok: true, value: s } : fail('expected true or false')
}

function oneOf(values: readonly string[], caseSensitive = true): Parser {
  return (raw) => {
    const s = raw.trim()
    const found = values.find((v) => (caseSensitive ? v === s : v.toLowerCase() === s.toLowerCase()))
    return found === undefined ? fail(`expected one of ${values.join(', ')}`) : { ok: true, value: found }
  }
}

// Kafka's GZIP level validator: Deflater's 1-9, or -1 (DEFAULT_COMPRESSION); 0 is refused.
const gzipLevel: Parser = (raw) => {
  const parsed = int(-1, 9)(raw)
  if (!parsed.ok) return parsed.reason === 'not a number' ? parsed : fail('value must be between 1 and 9 or equal to -1')
  return parsed.value === 0 ? fail('value must be between 1 and 9 or equal to -1') : parsed
}

const anyString: Parser = (raw) => ({ ok: true, value: raw.trim() })

const cleanupPolicy: Parser = (raw) => {
  const parts = raw.split(',').map((p) => p.trim().toLowerCase()).filter((p) => p !== '')
  if (parts.length === 0) return fail('expected delete, compact or "compact,delete"')
  const out: string[] = []
  for (const p of parts) {
    if (p !== 'delete' && p !== 'compact') return fail('expected delete, compact or "compact,delete"')
    if (!out.includes(p)) out.push(p)
  }
  return { ok: true, value: out.join(',') }
}

interface TopicConfigSpec {
  parse: Parser
  /** The LogConfig field the value lands in; absent for configs that are only kept. */
  field?: keyof LogConfig
}

/** Every topic config Kafka knows, with its parser; `field` marks the ones storage applies. */
export const TOPIC_CONFIGS: Readonly<Record<string, TopicConfigSpec>> = Object.freeze({
  'segment.bytes': { parse: int(14), field: 'segmentBytes' },
  'segment.ms': { parse: long(1), field: 'segmentMs' },
  'index.interval.bytes': { parse: int(0), field: 'indexIntervalBytes' },
  'max.message.bytes': { parse: int(0), field: 'maxMessageBytes' },
  'message.timestamp.type': { parse: oneOf(['CreateTime', 'LogAppendTime']), field: 'messageTimestampType' },
  'retention.ms': { parse: long(-1), field: 'retentionMs' },
  'retention.bytes': { parse: long(), field: 'retentionBytes' },
  'cleanup.policy': { parse: cleanupPolicy, field: 'cleanupPolicy' },
  'segment.index.bytes': { parse: int(4), field: 'segmentIndexBytes' },
  'compression.type': { parse: oneOf(['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer']), field: 'compressionType' },
  'compression.gzip.level': { parse: gzipLevel, field: 'compressionGzipLevel' },
  'compression.lz4.level': { parse: int(1, 17), field: 'compressionLz4Level' },
  'compression.zstd.level': { parse: int(-131072, 22), field: 'compressionZstdLevel' },

  'delete.retention.ms': { parse: long(0), field: 'deleteRetentionMs' },
  'file.delete.delay.ms': { parse: long(0) },
  'flush.messages': { parse: long(1) },
  'flush.ms': { parse: long(0) },
  'follower.replication.throttled.replicas': { parse: anyString },
  'leader.replication.throttled.replicas': { parse: anyString },
  'local.retention.bytes': { parse: long(-2) },
  'local.retention.ms': { parse: long(-2) },
  'max.compaction.lag.ms': { parse: clampedLong(1), field: 'maxCompactionLagMs' },
  'message.downconversion.enable': { parse: boolean },
  'message.format.version': { parse: anyString },
  'message.timestamp.after.max.ms': { parse: clampedLong(0), field: 'messageTimestampAfterMaxMs' },
  'message.timestamp.before.max.ms': { parse: clampedLong(0), field: 'messageTimestampBeforeMaxMs' },
  'message.timestamp.difference.max.ms': { parse: long(0) },
  'min.cleanable.dirty.ratio': { parse: ratio, field: 'minCleanableDirtyRatio' },
  'min.compaction.lag.ms': { parse: long(0), field: 'minCompactionLagMs' },
  'min.insync.replicas': { parse: int(1) },
  'preallocate': { parse: boolean },
  'remote.storage.enable': { parse: boolean },
  'remote.log.copy.disable': { parse: boolean },
  'remote.log.delete.on.disable': { parse: boolean },
  'segment.jitter.ms': { parse: long(0) },
  'unclean.leader.election.enable': { parse: boolean },
})

export function isKnownTopicConfig(name: string): boolean {
  return Object.hasOwn(TOPIC_CONFIGS, name)
}

export type ParseTopicConfigsResult =
  | { config: Partial<LogConfig>; /** Accepted configs that storage does not act on, normalised. */ other: Record<string, string> }
  | { error: 'INVALID_CONFIG'; message: string }

/**
 * Validates topic configs as given to CreateTopics / AlterConfigs. A null value means
 * "use the default" and is skipped. Any unknown name or invalid value fails the whole
 * set with INVALID_CONFIG and a message naming the key, as Kafka does.
 */
export function parseTopicConfigs(entries: Readonly<Record<string, string | null>>): ParseTopicConfigsResult {
  const config: Partial<LogConfig> = {}
  const other: Record<string, string> = {}
  for (const [name, raw] of Object.entries(entries)) {
    if (raw === null || raw === undefined) continue
    const spec = isKnownTopicConfig(name) ? TOPIC_CONFIGS[name]! : undefined
    if (spec === undefined) return { error: 'INVALID_CONFIG', message: `Unknown topic config name: ${name}` }
    const parsed = spec.parse(String(raw))
    if (!parsed.ok) return { error: 'INVALID_CONFIG', message: `Invalid value ${raw} for configuration ${name}: ${parsed.reason}` }
    if (spec.field === undefined) other[name] = String(parsed.value)
    else (config as Record<string, unknown>)[spec.field] = parsed.value
  }
  return { config, other }
}

/** The Kafka names and string values of the configs storage applies (for DescribeConfigs). */
export function logConfigToTopicConfigs(config: LogConfig): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, spec] of Object.entries(TOPIC_CONFIGS)) {
    if (spec.field !== undefined) out[name] = String(config[spec.field])
  }
  return out
}
