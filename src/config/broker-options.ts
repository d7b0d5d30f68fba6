import { availableParallelism } from 'node:os'
import { resolve as resolvePath } from 'node:path'
import { ConfigError, InvalidValue, invalidValueError } from './config-error.ts'
import { FSYNC_MODES, LOG_LEVELS, OPTION_SPECS } from './options-table.ts'
import { parseTopicDefault, TOPIC_DEFAULT_KEYS } from './topic-defaults.ts'
import { DEFAULT_PROTOCOL_MAP, formatListenerList, parseListenerList, resolveListeners, type ListenerConfig } from './listeners.ts'

export { ConfigError } from './config-error.ts'
export { FSYNC_MODES, LOG_LEVELS } from './options-table.ts'

export type LogLevel = typeof LOG_LEVELS[number]
export type FsyncMode = typeof FSYNC_MODES[number]
export type SslClientAuth = 'none' | 'requested' | 'required'

export interface BrokerOptions {
  /** Listen address of the first listener. */
  host: string
  /** Port of the first listener; 0 = ephemeral port (tests). */
  port: number
  /** listeners, NAME://host:port,...: the first one's host and port are `host` and `port`. */
  listeners: string
  /** advertised.listeners; '' = every listener advertises its own address. */
  advertisedListeners: string
  /** listener.security.protocol.map */
  listenerSecurityProtocolMap: string
  /** ssl.keystore.type (PEM only) */
  sslKeystoreType: string
  /** ssl.keystore.location: PEM with the private key and certificate chain; '' = none. */
  sslKeystoreLocation: string
  /** ssl.key.password */
  sslKeyPassword: string
  /** ssl.keystore.certificate.chain (inline PEM) */
  sslKeystoreCertificateChain: string
  /** ssl.keystore.key (inline PEM) */
  sslKeystoreKey: string
  /** ssl.truststore.type (PEM only) */
  sslTruststoreType: string
  /** ssl.truststore.location */
  sslTruststoreLocation: string
  /** ssl.truststore.certificates (inline PEM) */
  sslTruststoreCertificates: string
  /** ssl.client.auth */
  sslClientAuth: SslClientAuth
  /** ssl.principal.mapping.rules */
  sslPrincipalMappingRules: string
  /** sasl.enabled.mechanisms, comma-separated */
  saslEnabledMechanisms: string
  /** connections.max.reauth.ms (0: SASL sessions never expire) */
  connectionsMaxReauthMs: number
  /** sasl.oauthbearer.jwks.endpoint.url: '' = OAUTHBEARER takes Kafka's unsecured (development) tokens */
  saslOauthbearerJwksEndpointUrl: string
  /** sasl.oauthbearer.jwks.endpoint.refresh.ms */
  saslOauthbearerJwksEndpointRefreshMs: number
  /** sasl.oauthbearer.expected.audience, comma-separated; '' = none */
  saslOauthbearerExpectedAudience: string
  /** sasl.oauthbearer.expected.issuer; '' = not checked */
  saslOauthbearerExpectedIssuer: string
  /** sasl.oauthbearer.sub.claim.name */
  saslOauthbearerSubClaimName: string
  /** sasl.oauthbearer.scope.claim.name */
  saslOauthbearerScopeClaimName: string
  /** sasl.oauthbearer.clock.skew.seconds */
  saslOauthbearerClockSkewSeconds: number
  /** Kafka's JAAS option of the same name for OAuthBearerUnsecuredValidatorCallbackHandler */
  unsecuredValidatorPrincipalClaimName: string
  /** Kafka's JAAS option of the same name */
  unsecuredValidatorScopeClaimName: string
  /** Kafka's JAAS option of the same name: space-separated; '' = none */
  unsecuredValidatorRequiredScope: string
  /** Kafka's JAAS option of the same name */
  unsecuredValidatorAllowableClockSkewMs: number
  /** authorizer.class.name: '' (no ACLs, everyone allowed) or Kafka's StandardAuthorizer */
  authorizerClassName: string
  /** super.users, semicolon-separated principals */
  superUsers: string
  /** allow.everyone.if.no.acl.found (only with an authorizer) */
  allowEveryoneIfNoAclFound: boolean
  /** HTTP listener (/metrics, /healthz, /readyz) on the same host; -1: none. */
  httpPort: number
  /** Defaults to host, or 'localhost' when host is a wildcard address. */
  advertisedHost: string
  /** 0 = advertise the port actually bound (the broker resolves it). */
  advertisedPort: number
  /** Absolute path. */
  dataDir: string
  memory: boolean
  nodeId: number
  shards: number
  logLevel: LogLevel
  fsync: FsyncMode
  fsyncIntervalMs: number
  /** socket.request.max.bytes */
  maxRequestBytes: number
  /** queued.max.request.bytes (≤ 0: unbounded, as Kafka's −1) */
  queuedMaxRequestBytes: number
  /** auto.create.topics.enable */
  autoCreateTopics: boolean
  /** num.partitions */
  numPartitions: number
  clampReplicationFactor: boolean
  /** delete.topic.enable */
  deleteTopicEnable: boolean
  /** group.initial.rebalance.delay.ms */
  groupInitialRebalanceDelayMs: number
  /** offsets.topic.num.partitions */
  offsetsTopicNumPartitions: number
  /** group.min.session.timeout.ms */
  groupMinSessionTimeoutMs: number
  /** group.max.session.timeout.ms */
  groupMaxSessionTimeoutMs: number
  /** offsets.retention.minutes */
  offsetsRetentionMinutes: number
  /** producer.id.expiration.ms */
  producerIdExpirationMs: number
  /** log.retention.check.interval.ms */
  logRetentionCheckIntervalMs: number
  /** producer.id.expiration.check.interval.ms */
  producerIdExpirationCheckIntervalMs: number
  /** transaction.state.log.num.partitions */
  transactionStateLogNumPartitions: number
  /** transaction.max.timeout.ms */
  transactionMaxTimeoutMs: number
  /** transaction.abort.timed.out.transaction.cleanup.interval.ms */
  transactionAbortTimedOutTransactionCleanupIntervalMs: number
  /** max.incremental.fetch.session.cache.slots */
  maxIncrementalFetchSessionCacheSlots: number
  /** quota.window.num: samples a client quota's rate is measured over */
  quotaWindowNum: number
  /** quota.window.size.seconds: the span of each sample */
  quotaWindowSizeSeconds: number
  /** log.cleaner.enable */
  logCleanerEnable: boolean
  /** log.cleaner.backoff.ms */
  logCleanerBackoffMs: number
  /** log.cleaner.io.max.bytes.per.second (Number.MAX_VALUE: unlimited) */
  logCleanerIoMaxBytesPerSecond: number
  /** log.cleaner.dedupe.buffer.size */
  logCleanerDedupeBufferSize: number
  /** Optional override; otherwise generated and persisted by the broker. */
  clusterId?: string
  /** Broker-level defaults keyed by Kafka *topic* config name, e.g. {'segment.bytes': '1073741824'}. */
  topicDefaults: Record<string, string>
}

export interface ResolveOptions {
  /** In-process broker for tests: ephemeral port, no rebalance delay, silent logs. */
  embedded?: boolean
  /** Base for a relative dataDir; defaults to process.cwd(). */
  cwd?: string
  /**
   * Where each value came from, keyed by option name (or 'topicDefaults.<key>'),
   * e.g. {port: 'flag --port'}; used in error messages. Defaults to 'options'.
   */
  sources?: Readonly<Record<string, string>>
}

function baseDefaults (embedded: boolean): Omit<BrokerOptions, 'advertisedHost' | 'clusterId' | 'topicDefaults' | 'listeners'> {
  return {
    host: '127.0.0.1',
    port: embedded ? 0 : 9092,
    // Tests start many brokers: they ask for an HTTP listener when they want one.
    httpPort: embedded ? -1 : 8080,
    advertisedPort: 0,
    dataDir: './data',
    memory: false,
    nodeId: 0,
    shards: Math.max(1, availableParallelism() - 1),
    logLevel: embedded ? 'silent' : 'info',
    fsync: 'interval',
    fsyncIntervalMs: 1000,
    maxRequestBytes: 104857600,
    queuedMaxRequestBytes: 268435456,
    autoCreateTopics: true,
    numPartitions: 1,
    clampReplicationFactor: false,
    deleteTopicEnable: true,
    // A test harness wants its first JoinGroup answered at once.
    groupInitialRebalanceDelayMs: embedded ? 0 : 3000,
    offsetsTopicNumPartitions: 50,
    groupMinSessionTimeoutMs: 6000,
    groupMaxSessionTimeoutMs: 1800000,
    offsetsRetentionMinutes: 10080,
    producerIdExpirationMs: 86400000,
    logRetentionCheckIntervalMs: 300000,
    producerIdExpirationCheckIntervalMs: 600000,
    transactionStateLogNumPartitions: 50,
    transactionMaxTimeoutMs: 900000,
    transactionAbortTimedOutTransactionCleanupIntervalMs: 10000,
    maxIncrementalFetchSessionCacheSlots: 1000,
    quotaWindowNum: 11,
    quotaWindowSizeSeconds: 1,
    logCleanerEnable: true,
    logCleanerBackoffMs: 15000,
    logCleanerIoMaxBytesPerSecond: Number.MAX_VALUE,
    logCleanerDedupeBufferSize: 134217728,
    advertisedListeners: '',
    listenerSecurityProtocolMap: DEFAULT_PROTOCOL_MAP,
    sslKeystoreType: 'PEM',
    sslKeystoreLocation: '',
    sslKeyPassword: '',
    sslKeystoreCertificateChain: '',
    sslKeystoreKey: '',
    sslTruststoreType: 'PEM',
    sslTruststoreLocation: '',
    sslTruststoreCertificates: '',
    sslClientAuth: 'none',
    sslPrincipalMappingRules: 'DEFAULT',
    saslEnabledMechanisms: 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
    connectionsMaxReauthMs: 0,
    saslOauthbearerJwksEndpointUrl: '',
    saslOauthbearerJwksEndpointRefreshMs: 3600000,
    saslOauthbearerExpectedAudience: '',
    saslOauthbearerExpectedIssuer: '',
    saslOauthbearerSubClaimName: 'sub',
    saslOauthbearerScopeClaimName: 'scope',
    saslOauthbearerClockSkewSeconds: 30,
    unsecuredValidatorPrincipalClaimName: 'sub',
    unsecuredValidatorScopeClaimName: 'scope',
    unsecuredValidatorRequiredScope: '',
    unsecuredValidatorAllowableClockSkewMs: 0,
    authorizerClassName: '',
    superUsers: '',
    allowEveryoneIfNoAclFound: false
  }
}

export const defaultBrokerOptions = (): BrokerOptions => resolveBrokerOptions({})

const KNOWN_KEYS = new Set<string>([...OPTION_SPECS.map((s) => s.name), 'topicDefaults'])

/**
 * Fills defaults and validates every value. Values may also be given as
 * strings ("9092", "true"), which is how flags, env and .properties arrive.
 */
export function resolveBrokerOptions (partial: Partial<BrokerOptions>, opts: ResolveOptions = {}): BrokerOptions {
  const sources = opts.sources ?? {}
  const sourceOf = (key: string): string => (Object.hasOwn(sources, key) ? sources[key] : 'options')
  const raw = partial as Record<string, unknown>

  for (const key of Object.keys(raw)) {
    if (!KNOWN_KEYS.has(key) && raw[key] !== undefined) {
      throw new ConfigError(`Unknown option "${key}" (${sourceOf(key)})`, key, sourceOf(key))
    }
  }

  const defaults: Record<string, unknown> = baseDefaults(opts.embedded === true)
  const out: Record<string, unknown> = {}
  for (const spec of OPTION_SPECS) {
    const value = raw[spec.name]
    if (value === undefined) {
      out[spec.name] = defaults[spec.name]
      continue
    }
    try {
      out[spec.name] = spec.parse(value)
    } catch (err) {
      if (err instanceof InvalidValue) throw invalidValueError(spec.name, sourceOf(spec.name), value, err.expected)
      throw err
    }
  }

  const queued = out.queuedMaxRequestBytes as number
  if (queued > 0 && queued < (out.maxRequestBytes as number)) {
    const source = raw.queuedMaxRequestBytes !== undefined ? sourceOf('queuedMaxRequestBytes') : sourceOf('maxRequestBytes')
    throw new ConfigError(
      `queuedMaxRequestBytes (queued.max.request.bytes, ${queued}) must be at least maxRequestBytes (socket.request.max.bytes, ${out.maxRequestBytes as number}), or -1 for no limit (${source})`,
      raw.queuedMaxRequestBytes !== undefined ? 'queuedMaxRequestBytes' : 'maxRequestBytes', source,
    )
  }

  resolveListenerOptions(raw, out, sourceOf)
  out.dataDir = resolvePath(opts.cwd ?? process.cwd(), out.dataDir as string)
  out.topicDefaults = resolveTopicDefaults(raw.topicDefaults, sourceOf)
  if (out.clusterId === undefined) delete out.clusterId
  return out as unknown as BrokerOptions
}

// host/port/advertisedHost/advertisedPort describe the first listener: given explicitly
// they override it (so `--port 0` still works with a listeners list from a file), and
// otherwise they are read from it.
function resolveListenerOptions (raw: Record<string, unknown>, out: Record<string, unknown>, sourceOf: (key: string) => string): void {
  const list = raw.listeners === undefined
    ? [{ name: 'PLAINTEXT', host: out.host as string, port: out.port as number }]
    : parseListenerList(out.listeners)
  const first = list[0]
  if (raw.listeners !== undefined) {
    if (raw.host === undefined) out.host = first.host
    else first.host = out.host as string
    if (raw.port === undefined) out.port = first.port
    else first.port = out.port as number
  }
  out.listeners = formatListenerList(list)
  let resolved
  try {
    resolved = resolveListeners(out.listeners as string, out.advertisedListeners as string, out.listenerSecurityProtocolMap as string)
  } catch (err) {
    const key = raw.advertisedListeners !== undefined && /advertised/.test((err as Error).message) ? 'advertisedListeners' : 'listeners'
    throw new ConfigError(`Invalid listener configuration (${sourceOf(key)}): ${(err as Error).message}`, key, sourceOf(key))
  }
  if (out.advertisedHost === undefined) out.advertisedHost = resolved[0].advertisedHost
  if (raw.advertisedPort === undefined) out.advertisedPort = resolved[0].advertisedPort
}

/** The listeners to bind, the first carrying advertisedHost/advertisedPort (which may override it). */
export function listenerConfigs (options: BrokerOptions): ListenerConfig[] {
  const list = resolveListeners(options.listeners, options.advertisedListeners, options.listenerSecurityProtocolMap)
  list[0] = { ...list[0], advertisedHost: options.advertisedHost, advertisedPort: options.advertisedPort }
  return list
}

function resolveTopicDefaults (value: unknown, sourceOf: (key: string) => string): Record<string, string> {
  if (value === undefined) return {}
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidValueError('topicDefaults', sourceOf('topicDefaults'), value, 'an object of topic config name to value')
  }
  const out: Record<string, string> = {}
  for (const [key, v] of Object.entries(value)) {
    const name = `topicDefaults.${key}`
    const source = topicSource(sourceOf, name)
    if (!TOPIC_DEFAULT_KEYS.includes(key)) {
      throw new ConfigError(`Unknown topic config "${key}" in topicDefaults (${source}): supported are ${TOPIC_DEFAULT_KEYS.join(', ')}`, name, source)
    }
    try {
      out[key] = parseTopicDefault(key, v)
    } catch (err) {
      if (err instanceof InvalidValue) throw invalidValueError(name, source, v, err.expected)
      throw err
    }
  }
  return out
}

// A per-key source wins; otherwise the whole object's source applies.
function topicSource (sourceOf: (key: string) => string, name: string): string {
  const own = sourceOf(name)
  return own !== 'options' ? own : sourceOf('topicDefaults')
}
