import { InvalidValue } from './config-error.ts'
import { integer, oneOf, type Parser } from './values.ts'

const INT32_MAX = 2147483647

// Topic-level configs a broker default can be given for, with the same limits
// Kafka enforces, so a value accepted here is also accepted by CreateTopics.
const TOPIC_CONFIG_PARSERS: Record<string, Parser<string>> = {
  'segment.bytes': asString(integer(14, INT32_MAX)),
  'segment.ms': asString(integer(1)),
  'index.interval.bytes': asString(integer(0, INT32_MAX)),
  'max.message.bytes': asString(integer(0, INT32_MAX)),
  'message.timestamp.type': oneOf(['CreateTime', 'LogAppendTime']),
  'retention.ms': asString(integer(-1, Number.MAX_SAFE_INTEGER, 'an integer >= -1 (-1 = unlimited)')),
  'retention.bytes': asString(integer(-1, Number.MAX_SAFE_INTEGER, 'an integer >= -1 (-1 = unlimited)')),
  'cleanup.policy': cleanupPolicy,
  'message.timestamp.before.max.ms': clampedLong,
  'message.timestamp.after.max.ms': clampedLong,
  'delete.retention.ms': asString(integer(0)),
  'min.compaction.lag.ms': asString(integer(0)),
  'max.compaction.lag.ms': clampedPositiveLong,
  'min.cleanable.dirty.ratio': ratio,
  'compression.type': oneOf(['producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd']),
  'compression.gzip.level': gzipLevel,
  'compression.lz4.level': asString(integer(1, 17)),
  'compression.zstd.level': asString(integer(-131072, 22))
}

export const TOPIC_DEFAULT_KEYS: readonly string[] = Object.keys(TOPIC_CONFIG_PARSERS)

function asString (p: Parser<number>): Parser<string> {
  return (v) => String(p(v))
}

// Kafka's timestamp bounds default to Long.MAX_VALUE, past what a JS number holds exactly:
// anything from 2^53 up means "no bound" and is kept as Number.MAX_SAFE_INTEGER.
function clampedLong (value: unknown): string {
  const s = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : ''
  if (!/^\d+$/.test(s)) throw new InvalidValue('an integer >= 0')
  const n = Number(s)
  return String(Number.isSafeInteger(n) ? n : Number.MAX_SAFE_INTEGER)
}

// Kafka accepts Deflater's 1-9 or -1 (DEFAULT_COMPRESSION), not 0.
function gzipLevel (value: unknown): string {
  const expected = 'an integer 1-9, or -1 (zlib\'s default)'
  const n = integer(-1, 9, expected)(value)
  if (n === 0) throw new InvalidValue(expected)
  return String(n)
}

// max.compaction.lag.ms: ≥ 1, Long.MAX_VALUE (no bound) by default.
function clampedPositiveLong (value: unknown): string {
  const s = clampedLong(value)
  if (s === '0') throw new InvalidValue('an integer >= 1')
  return s
}

function ratio (value: unknown): string {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN
  if (!(n >= 0 && n <= 1)) throw new InvalidValue('a number between 0 and 1')
  return String(n)
}

function cleanupPolicy (value: unknown): string {
  const expected = 'delete, compact or "delete,compact"'
  const parts = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : null
  if (parts === null || parts.length === 0) throw new InvalidValue(expected)
  const out: string[] = []
  for (const raw of parts) {
    const p = typeof raw === 'string' ? raw.trim().toLowerCase() : ''
    if (p !== 'delete' && p !== 'compact') throw new InvalidValue(expected)
    if (!out.includes(p)) out.push(p)
  }
  return out.join(',')
}

export function isTopicDefaultKey (key: string): boolean {
  return Object.hasOwn(TOPIC_CONFIG_PARSERS, key)
}

/** Validates a topic-config value; returns Kafka's string form. */
export function parseTopicDefault (topicKey: string, value: unknown): string {
  const parser = TOPIC_CONFIG_PARSERS[topicKey]
  if (parser === undefined) throw new InvalidValue(`one of the supported topic configs: ${TOPIC_DEFAULT_KEYS.join(', ')}`)
  return parser(value)
}

interface BrokerLogKey {
  readonly topicKey: string
  /** Kafka resolves e.g. log.retention.ms > .minutes > .hours; higher wins within one source. */
  readonly priority: number
  readonly convert?: (value: unknown) => string
}

function scaled (factor: number, min: number, expected: string): (value: unknown) => string {
  const p = integer(min, Math.floor(Number.MAX_SAFE_INTEGER / factor), expected)
  return (v) => {
    const n = p(v)
    // -1 means "unlimited" in every unit.
    return String(n < 0 ? -1 : n * factor)
  }
}

/** Kafka broker property → topic config it supplies the default for. */
export const BROKER_LOG_KEYS: Readonly<Record<string, BrokerLogKey>> = {
  'log.segment.bytes': { topicKey: 'segment.bytes', priority: 0 },
  'log.roll.hours': { topicKey: 'segment.ms', priority: 0, convert: scaled(3_600_000, 1, 'an integer >= 1') },
  'log.roll.ms': { topicKey: 'segment.ms', priority: 1 },
  'log.index.interval.bytes': { topicKey: 'index.interval.bytes', priority: 0 },
  'message.max.bytes': { topicKey: 'max.message.bytes', priority: 0 },
  'log.message.timestamp.type': { topicKey: 'message.timestamp.type', priority: 0 },
  'log.retention.hours': { topicKey: 'retention.ms', priority: 0, convert: scaled(3_600_000, -1, 'an integer >= -1 (-1 = unlimited)') },
  'log.retention.minutes': { topicKey: 'retention.ms', priority: 1, convert: scaled(60_000, -1, 'an integer >= -1 (-1 = unlimited)') },
  'log.retention.ms': { topicKey: 'retention.ms', priority: 2 },
  'log.retention.bytes': { topicKey: 'retention.bytes', priority: 0 },
  'log.cleanup.policy': { topicKey: 'cleanup.policy', priority: 0 },
  'log.cleaner.delete.retention.ms': { topicKey: 'delete.retention.ms', priority: 0 },
  'log.cleaner.min.compaction.lag.ms': { topicKey: 'min.compaction.lag.ms', priority: 0 },
  'log.cleaner.max.compaction.lag.ms': { topicKey: 'max.compaction.lag.ms', priority: 0 },
  'log.cleaner.min.cleanable.ratio': { topicKey: 'min.cleanable.dirty.ratio', priority: 0 },
  'log.message.timestamp.before.max.ms': { topicKey: 'message.timestamp.before.max.ms', priority: 0 },
  'log.message.timestamp.after.max.ms': { topicKey: 'message.timestamp.after.max.ms', priority: 0 },
  // Kafka's broker properties of these names are the topic configs' defaults (KIP-390).
  'compression.type': { topicKey: 'compression.type', priority: 0 },
  'compression.gzip.level': { topicKey: 'compression.gzip.level', priority: 0 },
  'compression.lz4.level': { topicKey: 'compression.lz4.level', priority: 0 },
  'compression.zstd.level': { topicKey: 'compression.zstd.level', priority: 0 }
}

export function brokerLogKey (key: string): BrokerLogKey | undefined {
  return Object.hasOwn(BROKER_LOG_KEYS, key) ? BROKER_LOG_KEYS[key] : undefined
}

/** Converts a broker log property value to its topic-config string (validated). */
export function convertBrokerLogValue (key: string, value: unknown): string {
  const spec = BROKER_LOG_KEYS[key]
  if (spec === undefined) throw new Error(`not a broker log key: ${key}`)
  return spec.convert !== undefined ? parseTopicDefault(spec.topicKey, spec.convert(value)) : parseTopicDefault(spec.topicKey, value)
}
