import type { BrokerOptions } from './broker-options.ts'
import {
  advertisedHost, boolean, clusterId, host, integer, nonEmptyString, oneOf, type Parser
} from './values.ts'
import { advertisedListenerList, claimName, jwksEndpointUrl, listenerList, optionalText, pemType, principalRules, protocolMap, saslMechanisms, scopeList, textList } from './security-values.ts'
import { DEFAULT_PROTOCOL_MAP } from './listeners.ts'
import { authorizerClass, superUserList } from './authorizer-values.ts'
import { InvalidValue } from './config-error.ts'

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export const FSYNC_MODES = ['always', 'interval', 'never'] as const
export const SSL_CLIENT_AUTH = ['none', 'requested', 'required'] as const

const INT32_MAX = 2147483647

export type ScalarOptionName = Exclude<keyof BrokerOptions, 'topicDefaults'>

export interface OptionSpec {
  readonly name: ScalarOptionName
  readonly parse: Parser<unknown>
  /** Long flag without the leading dashes. */
  readonly flag?: string
  readonly flagType?: 'string' | 'boolean'
  readonly env: string
  /** Kafka broker property names; the camelCase option name is always accepted too. */
  readonly kafkaKeys: readonly string[]
  readonly valueHint: string
  readonly defaultText: string
  readonly help: string
  /** A secret: DescribeConfigs reports it with a null value and isSensitive, as Kafka does for passwords. */
  readonly sensitive?: boolean
}

// One row per option: flag, env var, file keys, parser and help text stay in
// sync because usage, docs tests and loadConfig all read this table.
// Kafka's log.cleaner.io.max.bytes.per.second is a double whose default (Double.MAX_VALUE) means no limit.
function positiveNumber (value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN
  if (!(n > 0)) throw new InvalidValue('a number > 0')
  return Math.min(n, Number.MAX_VALUE)
}

export const OPTION_SPECS: readonly OptionSpec[] = [
  {
    name: 'host', parse: host, flag: 'host', env: 'SAMSA_HOST', kafkaKeys: [],
    valueHint: '<host>', defaultText: '127.0.0.1', help: 'address to listen on (0.0.0.0 or :: for all interfaces)'
  },
  {
    name: 'port', parse: integer(0, 65535), flag: 'port', env: 'SAMSA_PORT', kafkaKeys: [],
    valueHint: '<port>', defaultText: '9092', help: 'TCP port to listen on (0 = pick a free port)'
  },
  {
    name: 'listeners', parse: listenerList, flag: 'listeners', env: 'SAMSA_LISTENERS', kafkaKeys: ['listeners'],
    valueHint: '<list>', defaultText: 'PLAINTEXT://host:port', help: 'listeners as NAME://host:port,... (the first one is also host/port)'
  },
  {
    name: 'advertisedListeners', parse: advertisedListenerList, env: 'SAMSA_ADVERTISED_LISTENERS', kafkaKeys: ['advertised.listeners'],
    valueHint: '<list>', defaultText: 'each listener\'s own address', help: 'addresses clients are told per listener, NAME://host:port,...'
  },
  {
    name: 'listenerSecurityProtocolMap', parse: protocolMap, env: 'SAMSA_LISTENER_SECURITY_PROTOCOL_MAP', kafkaKeys: ['listener.security.protocol.map'],
    valueHint: '<map>', defaultText: DEFAULT_PROTOCOL_MAP, help: 'listener name to security protocol (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL)'
  },
  {
    name: 'advertisedHost', parse: advertisedHost, flag: 'advertised-host', env: 'SAMSA_ADVERTISED_HOST', kafkaKeys: [],
    valueHint: '<host>', defaultText: 'host, or localhost when host is 0.0.0.0/::', help: 'host name clients are told to connect to'
  },
  {
    name: 'httpPort', parse: integer(-1, 65535), flag: 'http-port', env: 'SAMSA_HTTP_PORT', kafkaKeys: ['http.port'],
    valueHint: '<port>', defaultText: '8080 (-1 = no HTTP listener; embedded brokers: -1)', help: 'HTTP port for /metrics, /healthz, /readyz (0 = pick a free port)'
  },
  {
    name: 'advertisedPort', parse: integer(0, 65535), flag: 'advertised-port', env: 'SAMSA_ADVERTISED_PORT', kafkaKeys: [],
    valueHint: '<port>', defaultText: 'the bound port', help: 'port clients are told to connect to (0 = the bound port)'
  },
  {
    name: 'dataDir', parse: nonEmptyString, flag: 'data-dir', env: 'SAMSA_DATA_DIR', kafkaKeys: ['log.dirs', 'log.dir'],
    valueHint: '<dir>', defaultText: './data', help: 'directory for topic data (relative to the working directory)'
  },
  {
    name: 'memory', parse: boolean, flag: 'memory', flagType: 'boolean', env: 'SAMSA_MEMORY', kafkaKeys: [],
    valueHint: '', defaultText: 'false', help: 'keep all data in memory only (nothing is persisted)'
  },
  {
    name: 'nodeId', parse: integer(0, INT32_MAX), flag: 'node-id', env: 'SAMSA_NODE_ID', kafkaKeys: ['node.id', 'broker.id'],
    valueHint: '<n>', defaultText: '0', help: 'broker node id reported to clients'
  },
  {
    name: 'shards', parse: integer(1, 1024), flag: 'shards', env: 'SAMSA_SHARDS', kafkaKeys: [],
    valueHint: '<n>', defaultText: 'CPUs - 1 (at least 1)', help: 'number of storage worker shards'
  },
  {
    name: 'logLevel', parse: oneOf(LOG_LEVELS), flag: 'log-level', env: 'SAMSA_LOG_LEVEL', kafkaKeys: [],
    valueHint: '<level>', defaultText: 'info', help: `log level: ${LOG_LEVELS.join(', ')}`
  },
  {
    name: 'fsync', parse: oneOf(FSYNC_MODES), flag: 'fsync', env: 'SAMSA_FSYNC', kafkaKeys: [],
    valueHint: '<mode>', defaultText: 'interval', help: 'when to fsync the log: always, interval or never'
  },
  {
    name: 'fsyncIntervalMs', parse: integer(1, INT32_MAX), flag: 'fsync-interval-ms', env: 'SAMSA_FSYNC_INTERVAL_MS', kafkaKeys: [],
    valueHint: '<ms>', defaultText: '1000', help: 'fsync period when --fsync is interval'
  },
  {
    name: 'maxRequestBytes', parse: integer(1024, INT32_MAX), flag: 'max-request-bytes', env: 'SAMSA_MAX_REQUEST_BYTES', kafkaKeys: ['socket.request.max.bytes'],
    valueHint: '<bytes>', defaultText: '104857600', help: 'largest request frame accepted'
  },
  {
    name: 'queuedMaxRequestBytes', parse: integer(-1, INT32_MAX), env: 'SAMSA_QUEUED_MAX_REQUEST_BYTES', kafkaKeys: ['queued.max.request.bytes'],
    valueHint: '<bytes>', defaultText: '268435456 (256 MiB)', help: 'request bytes read but not yet handled, across all connections, before reading pauses (-1: no limit)'
  },
  {
    name: 'autoCreateTopics', parse: boolean, flag: 'auto-create-topics', flagType: 'string', env: 'SAMSA_AUTO_CREATE_TOPICS', kafkaKeys: ['auto.create.topics.enable'],
    valueHint: '<true|false>', defaultText: 'true', help: 'create topics on first metadata/produce request'
  },
  {
    name: 'numPartitions', parse: integer(1, INT32_MAX), flag: 'num-partitions', env: 'SAMSA_NUM_PARTITIONS', kafkaKeys: ['num.partitions'],
    valueHint: '<n>', defaultText: '1', help: 'partitions for auto-created topics'
  },
  {
    name: 'clampReplicationFactor', parse: boolean, flag: 'clamp-replication-factor', flagType: 'boolean', env: 'SAMSA_CLAMP_REPLICATION_FACTOR', kafkaKeys: [],
    valueHint: '', defaultText: 'false', help: 'accept replication factors > 1 and create the topic with 1 replica'
  },
  {
    name: 'deleteTopicEnable', parse: boolean, env: 'SAMSA_DELETE_TOPIC_ENABLE', kafkaKeys: ['delete.topic.enable'],
    valueHint: '<true|false>', defaultText: 'true', help: 'allow DeleteTopics'
  },
  {
    name: 'groupInitialRebalanceDelayMs', parse: integer(0, INT32_MAX), env: 'SAMSA_GROUP_INITIAL_REBALANCE_DELAY_MS', kafkaKeys: ['group.initial.rebalance.delay.ms'],
    valueHint: '<ms>', defaultText: '3000', help: 'wait for more members before the first rebalance of a new group'
  },
  {
    name: 'offsetsTopicNumPartitions', parse: integer(1, INT32_MAX), env: 'SAMSA_OFFSETS_TOPIC_NUM_PARTITIONS', kafkaKeys: ['offsets.topic.num.partitions'],
    valueHint: '<n>', defaultText: '50', help: 'partitions of __consumer_offsets (used for coordinator lookup)'
  },
  {
    name: 'groupMinSessionTimeoutMs', parse: integer(1, INT32_MAX), env: 'SAMSA_GROUP_MIN_SESSION_TIMEOUT_MS', kafkaKeys: ['group.min.session.timeout.ms'],
    valueHint: '<ms>', defaultText: '6000', help: 'smallest session timeout a group member may ask for'
  },
  {
    name: 'groupMaxSessionTimeoutMs', parse: integer(1, INT32_MAX), env: 'SAMSA_GROUP_MAX_SESSION_TIMEOUT_MS', kafkaKeys: ['group.max.session.timeout.ms'],
    valueHint: '<ms>', defaultText: '1800000', help: 'largest session timeout a group member may ask for'
  },
  {
    name: 'offsetsRetentionMinutes', parse: integer(1, INT32_MAX), env: 'SAMSA_OFFSETS_RETENTION_MINUTES', kafkaKeys: ['offsets.retention.minutes'],
    valueHint: '<min>', defaultText: '10080 (7 days)', help: 'how long an empty group keeps its committed offsets'
  },
  {
    name: 'producerIdExpirationMs', parse: integer(1, INT32_MAX), env: 'SAMSA_PRODUCER_ID_EXPIRATION_MS', kafkaKeys: ['producer.id.expiration.ms'],
    valueHint: '<ms>', defaultText: '86400000 (1 day)', help: 'how long a partition keeps the sequence state of an idle idempotent producer'
  },
  {
    name: 'logRetentionCheckIntervalMs', parse: integer(1, Number.MAX_SAFE_INTEGER), env: 'SAMSA_LOG_RETENTION_CHECK_INTERVAL_MS', kafkaKeys: ['log.retention.check.interval.ms'],
    valueHint: '<ms>', defaultText: '300000 (5 minutes)', help: 'how often segments past retention.ms or retention.bytes are looked for'
  },
  {
    name: 'producerIdExpirationCheckIntervalMs', parse: integer(1, INT32_MAX), env: 'SAMSA_PRODUCER_ID_EXPIRATION_CHECK_INTERVAL_MS', kafkaKeys: ['producer.id.expiration.check.interval.ms'],
    valueHint: '<ms>', defaultText: '600000 (10 minutes)', help: 'how often idle producers are looked for'
  },
  {
    name: 'transactionStateLogNumPartitions', parse: integer(1, INT32_MAX), env: 'SAMSA_TRANSACTION_STATE_LOG_NUM_PARTITIONS', kafkaKeys: ['transaction.state.log.num.partitions'],
    valueHint: '<n>', defaultText: '50', help: 'partitions of __transaction_state (where transactional ids live)'
  },
  {
    name: 'transactionMaxTimeoutMs', parse: integer(1, INT32_MAX), env: 'SAMSA_TRANSACTION_MAX_TIMEOUT_MS', kafkaKeys: ['transaction.max.timeout.ms'],
    valueHint: '<ms>', defaultText: '900000 (15 minutes)', help: 'largest transaction timeout a producer may ask for'
  },
  {
    name: 'transactionAbortTimedOutTransactionCleanupIntervalMs', parse: integer(1, INT32_MAX), env: 'SAMSA_TRANSACTION_ABORT_TIMED_OUT_TRANSACTION_CLEANUP_INTERVAL_MS', kafkaKeys: ['transaction.abort.timed.out.transaction.cleanup.interval.ms'],
    valueHint: '<ms>', defaultText: '10000 (10 seconds)', help: 'how often transactions past their timeout are looked for and aborted'
  },
  {
    name: 'maxIncrementalFetchSessionCacheSlots', parse: integer(0, INT32_MAX), env: 'SAMSA_MAX_INCREMENTAL_FETCH_SESSION_CACHE_SLOTS', kafkaKeys: ['max.incremental.fetch.session.cache.slots'],
    valueHint: '<n>', defaultText: '1000', help: 'incremental fetch sessions (KIP-227) the broker keeps; 0 = none'
  },
  {
    name: 'quotaWindowNum', parse: integer(1, INT32_MAX), env: 'SAMSA_QUOTA_WINDOW_NUM', kafkaKeys: ['quota.window.num'],
    valueHint: '<n>', defaultText: '11', help: 'samples a client quota measures its rate over'
  },
  {
    name: 'quotaWindowSizeSeconds', parse: integer(1, INT32_MAX), env: 'SAMSA_QUOTA_WINDOW_SIZE_SECONDS', kafkaKeys: ['quota.window.size.seconds'],
    valueHint: '<s>', defaultText: '1', help: 'the time span of each client quota sample'
  },
  {
    name: 'logCleanerEnable', parse: boolean, env: 'SAMSA_LOG_CLEANER_ENABLE', kafkaKeys: ['log.cleaner.enable'],
    valueHint: '<bool>', defaultText: 'true', help: 'run the log cleaner, which compacts topics whose cleanup.policy has compact'
  },
  {
    name: 'logCleanerBackoffMs', parse: integer(0, Number.MAX_SAFE_INTEGER), env: 'SAMSA_LOG_CLEANER_BACKOFF_MS', kafkaKeys: ['log.cleaner.backoff.ms'],
    valueHint: '<ms>', defaultText: '15000 (15 seconds)', help: 'how long the log cleaner waits when no log needs cleaning'
  },
  {
    name: 'logCleanerIoMaxBytesPerSecond', parse: positiveNumber, env: 'SAMSA_LOG_CLEANER_IO_MAX_BYTES_PER_SECOND', kafkaKeys: ['log.cleaner.io.max.bytes.per.second'],
    valueHint: '<bytes>', defaultText: 'unlimited', help: 'bytes per second the log cleaner may read and write, all shards together'
  },
  {
    name: 'logCleanerDedupeBufferSize', parse: integer(1024 * 1024, Number.MAX_SAFE_INTEGER), env: 'SAMSA_LOG_CLEANER_DEDUPE_BUFFER_SIZE', kafkaKeys: ['log.cleaner.dedupe.buffer.size'],
    valueHint: '<bytes>', defaultText: '134217728 (128 MiB)', help: 'memory for the log cleaner\'s key maps, split between the shards (allocated only as large as a clean needs)'
  },
  {
    name: 'sslKeystoreType', parse: pemType, env: 'SAMSA_SSL_KEYSTORE_TYPE', kafkaKeys: ['ssl.keystore.type'],
    valueHint: 'PEM', defaultText: 'PEM', help: 'format of the key store (PEM only)'
  },
  {
    name: 'sslKeystoreLocation', parse: optionalText, env: 'SAMSA_SSL_KEYSTORE_LOCATION', kafkaKeys: ['ssl.keystore.location'],
    valueHint: '<file>', defaultText: 'none', help: 'PEM file with the private key and the certificate chain of SSL/SASL_SSL listeners'
  },
  {
    name: 'sslKeyPassword', parse: optionalText, env: 'SAMSA_SSL_KEY_PASSWORD', kafkaKeys: ['ssl.key.password'], sensitive: true,
    valueHint: '<password>', defaultText: 'none', help: 'password of an encrypted private key'
  },
  {
    name: 'sslKeystoreCertificateChain', parse: optionalText, env: 'SAMSA_SSL_KEYSTORE_CERTIFICATE_CHAIN', kafkaKeys: ['ssl.keystore.certificate.chain'],
    valueHint: '<pem>', defaultText: 'none', help: 'the certificate chain inline, in PEM (instead of ssl.keystore.location)'
  },
  {
    name: 'sslKeystoreKey', parse: optionalText, env: 'SAMSA_SSL_KEYSTORE_KEY', kafkaKeys: ['ssl.keystore.key'], sensitive: true,
    valueHint: '<pem>', defaultText: 'none', help: 'the private key inline, in PEM (instead of ssl.keystore.location)'
  },
  {
    name: 'sslTruststoreType', parse: pemType, env: 'SAMSA_SSL_TRUSTSTORE_TYPE', kafkaKeys: ['ssl.truststore.type'],
    valueHint: 'PEM', defaultText: 'PEM', help: 'format of the trust store (PEM only)'
  },
  {
    name: 'sslTruststoreLocation', parse: optionalText, env: 'SAMSA_SSL_TRUSTSTORE_LOCATION', kafkaKeys: ['ssl.truststore.location'],
    valueHint: '<file>', defaultText: 'none', help: 'PEM file of the CA certificates client certificates must chain to'
  },
  {
    name: 'sslTruststoreCertificates', parse: optionalText, env: 'SAMSA_SSL_TRUSTSTORE_CERTIFICATES', kafkaKeys: ['ssl.truststore.certificates'],
    valueHint: '<pem>', defaultText: 'none', help: 'the trusted CA certificates inline, in PEM'
  },
  {
    name: 'sslClientAuth', parse: oneOf(SSL_CLIENT_AUTH), env: 'SAMSA_SSL_CLIENT_AUTH', kafkaKeys: ['ssl.client.auth'],
    valueHint: '<mode>', defaultText: 'none', help: 'client certificates on SSL listeners: none, requested or required'
  },
  {
    name: 'sslPrincipalMappingRules', parse: principalRules, env: 'SAMSA_SSL_PRINCIPAL_MAPPING_RULES', kafkaKeys: ['ssl.principal.mapping.rules'],
    valueHint: '<rules>', defaultText: 'DEFAULT', help: 'how a client certificate\'s subject becomes a user name (RULE:pattern/replacement/[LU], DEFAULT)'
  },
  {
    name: 'saslEnabledMechanisms', parse: saslMechanisms, env: 'SAMSA_SASL_ENABLED_MECHANISMS', kafkaKeys: ['sasl.enabled.mechanisms'],
    valueHint: '<list>', defaultText: 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512', help: 'SASL mechanisms offered on SASL listeners'
  },
  {
    name: 'connectionsMaxReauthMs', parse: integer(0, Number.MAX_SAFE_INTEGER), env: 'SAMSA_CONNECTIONS_MAX_REAUTH_MS', kafkaKeys: ['connections.max.reauth.ms'],
    valueHint: '<ms>', defaultText: '0 (sessions never expire)', help: 'SASL session lifetime; clients re-authenticate before it ends (KIP-368)'
  },
  {
    name: 'saslOauthbearerJwksEndpointUrl', parse: jwksEndpointUrl, env: 'SAMSA_SASL_OAUTHBEARER_JWKS_ENDPOINT_URL', kafkaKeys: ['sasl.oauthbearer.jwks.endpoint.url'],
    valueHint: '<url>', defaultText: 'none (unsecured OAUTHBEARER tokens)', help: 'JWKS (http, https or file URL) whose keys OAUTHBEARER tokens must be signed with'
  },
  {
    name: 'saslOauthbearerJwksEndpointRefreshMs', parse: integer(1, Number.MAX_SAFE_INTEGER), env: 'SAMSA_SASL_OAUTHBEARER_JWKS_ENDPOINT_REFRESH_MS', kafkaKeys: ['sasl.oauthbearer.jwks.endpoint.refresh.ms'],
    valueHint: '<ms>', defaultText: '3600000 (1 hour)', help: 'how often the JWKS is reloaded (also at once for an unknown key id)'
  },
  {
    name: 'saslOauthbearerExpectedAudience', parse: textList, env: 'SAMSA_SASL_OAUTHBEARER_EXPECTED_AUDIENCE', kafkaKeys: ['sasl.oauthbearer.expected.audience'],
    valueHint: '<list>', defaultText: 'none', help: 'audiences one of which a signed token\'s aud must name'
  },
  {
    name: 'saslOauthbearerExpectedIssuer', parse: optionalText, env: 'SAMSA_SASL_OAUTHBEARER_EXPECTED_ISSUER', kafkaKeys: ['sasl.oauthbearer.expected.issuer'],
    valueHint: '<iss>', defaultText: 'none', help: 'the iss a signed token must carry'
  },
  {
    name: 'saslOauthbearerSubClaimName', parse: claimName, env: 'SAMSA_SASL_OAUTHBEARER_SUB_CLAIM_NAME', kafkaKeys: ['sasl.oauthbearer.sub.claim.name'],
    valueHint: '<claim>', defaultText: 'sub', help: 'the signed token\'s claim that names the user'
  },
  {
    name: 'saslOauthbearerScopeClaimName', parse: claimName, env: 'SAMSA_SASL_OAUTHBEARER_SCOPE_CLAIM_NAME', kafkaKeys: ['sasl.oauthbearer.scope.claim.name'],
    valueHint: '<claim>', defaultText: 'scope', help: 'the signed token\'s scope claim'
  },
  {
    name: 'saslOauthbearerClockSkewSeconds', parse: integer(0, INT32_MAX), env: 'SAMSA_SASL_OAUTHBEARER_CLOCK_SKEW_SECONDS', kafkaKeys: ['sasl.oauthbearer.clock.skew.seconds'],
    valueHint: '<s>', defaultText: '30', help: 'leeway for a signed token\'s exp and nbf'
  },
  {
    name: 'unsecuredValidatorPrincipalClaimName', parse: claimName, env: 'SAMSA_UNSECURED_VALIDATOR_PRINCIPAL_CLAIM_NAME', kafkaKeys: [],
    valueHint: '<claim>', defaultText: 'sub', help: 'unsecured OAUTHBEARER tokens: the claim that names the user'
  },
  {
    name: 'unsecuredValidatorScopeClaimName', parse: claimName, env: 'SAMSA_UNSECURED_VALIDATOR_SCOPE_CLAIM_NAME', kafkaKeys: [],
    valueHint: '<claim>', defaultText: 'scope', help: 'unsecured OAUTHBEARER tokens: the scope claim'
  },
  {
    name: 'unsecuredValidatorRequiredScope', parse: scopeList, env: 'SAMSA_UNSECURED_VALIDATOR_REQUIRED_SCOPE', kafkaKeys: [],
    valueHint: '<scopes>', defaultText: 'none', help: 'unsecured OAUTHBEARER tokens: space-separated scope items every token must carry'
  },
  {
    name: 'unsecuredValidatorAllowableClockSkewMs', parse: integer(0, INT32_MAX), env: 'SAMSA_UNSECURED_VALIDATOR_ALLOWABLE_CLOCK_SKEW_MS', kafkaKeys: [],
    valueHint: '<ms>', defaultText: '0', help: 'unsecured OAUTHBEARER tokens: leeway for iat and exp'
  },
  {
    name: 'authorizerClassName', parse: authorizerClass, env: 'SAMSA_AUTHORIZER_CLASS_NAME', kafkaKeys: ['authorizer.class.name'],
    valueHint: '<class>', defaultText: 'none (no ACLs)', help: 'org.apache.kafka.metadata.authorizer.StandardAuthorizer turns ACLs on'
  },
  {
    name: 'superUsers', parse: superUserList, env: 'SAMSA_SUPER_USERS', kafkaKeys: ['super.users'],
    valueHint: '<list>', defaultText: 'none', help: 'principals that pass every ACL check, User:a;User:b'
  },
  {
    name: 'allowEveryoneIfNoAclFound', parse: boolean, env: 'SAMSA_ALLOW_EVERYONE_IF_NO_ACL_FOUND', kafkaKeys: ['allow.everyone.if.no.acl.found'],
    valueHint: '<bool>', defaultText: 'false', help: 'with an authorizer, allow access to resources no ACL covers'
  },
  {
    name: 'clusterId', parse: clusterId, flag: 'cluster-id', env: 'SAMSA_CLUSTER_ID', kafkaKeys: ['cluster.id'],
    valueHint: '<id>', defaultText: 'generated once and stored in the data dir', help: 'override the cluster id'
  }
]

export const OPTION_BY_NAME: ReadonlyMap<string, OptionSpec> = new Map(OPTION_SPECS.map((s) => [s.name, s]))

/** "--port / SAMSA_PORT": how to change an option, for error messages. */
export function howToSet (name: ScalarOptionName): string {
  const spec = OPTION_BY_NAME.get(name)
  if (spec === undefined) return name
  return spec.flag !== undefined ? `--${spec.flag} / ${spec.env}` : `${spec.kafkaKeys[0] ?? spec.name} / ${spec.env}`
}
