import { availableParallelism } from 'node:os'
import { resolve } from 'node:path'
import t from 'tap'
import { defaultBrokerOptions, resolveBrokerOptions } from '../../src/config/broker-options.ts'

t.test('defaults', async (t) => {
  const o = defaultBrokerOptions()
  t.same(o, {
    host: '127.0.0.1',
    port: 9092,
    listeners: 'PLAINTEXT://127.0.0.1:9092',
    advertisedListeners: '',
    listenerSecurityProtocolMap: 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL',
    httpPort: 8080,
    advertisedHost: '127.0.0.1',
    advertisedPort: 0,
    dataDir: resolve(process.cwd(), 'data'),
    memory: false,
    nodeId: 0,
    shards: Math.max(1, availableParallelism() - 1),
    logLevel: 'info',
    fsync: 'interval',
    fsyncIntervalMs: 1000,
    maxRequestBytes: 104857600,
    queuedMaxRequestBytes: 268435456,
    autoCreateTopics: true,
    numPartitions: 1,
    clampReplicationFactor: false,
    deleteTopicEnable: true,
    groupInitialRebalanceDelayMs: 3000,
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
    allowEveryoneIfNoAclFound: false,
    logCleanerEnable: true,
    logCleanerBackoffMs: 15000,
    logCleanerIoMaxBytesPerSecond: Number.MAX_VALUE,
    logCleanerDedupeBufferSize: 134217728,
    topicDefaults: {}
  })
  t.notOk('clusterId' in o, 'no cluster id unless overridden')
})

t.test('each call returns a fresh object', async (t) => {
  const a = defaultBrokerOptions()
  a.topicDefaults['segment.bytes'] = '1'
  t.same(defaultBrokerOptions().topicDefaults, {})
})

t.test('embedded defaults suit in-process tests', async (t) => {
  const o = resolveBrokerOptions({}, { embedded: true })
  t.equal(o.port, 0)
  t.equal(o.groupInitialRebalanceDelayMs, 0)
  t.equal(o.logLevel, 'silent')
  t.equal(o.host, '127.0.0.1')
  t.equal(o.numPartitions, 1)
  // explicit values still win over embedded defaults
  const p = resolveBrokerOptions({ port: 19092, logLevel: 'debug', groupInitialRebalanceDelayMs: 50 }, { embedded: true })
  t.equal(p.port, 19092)
  t.equal(p.logLevel, 'debug')
  t.equal(p.groupInitialRebalanceDelayMs, 50)
})

t.test('advertised host follows host, except for wildcard addresses', async (t) => {
  t.equal(resolveBrokerOptions({ host: '10.1.2.3' }).advertisedHost, '10.1.2.3')
  t.equal(resolveBrokerOptions({ host: '0.0.0.0' }).advertisedHost, 'localhost')
  t.equal(resolveBrokerOptions({ host: '::' }).advertisedHost, 'localhost')
  t.equal(resolveBrokerOptions({ host: '[::1]' }).host, '::1', 'brackets stripped')
  t.equal(resolveBrokerOptions({ host: '0.0.0.0', advertisedHost: 'kafka' }).advertisedHost, 'kafka')
})

t.test('dataDir is made absolute against cwd', async (t) => {
  t.equal(resolveBrokerOptions({}, { cwd: '/srv/samsa' }).dataDir, '/srv/samsa/data')
  t.equal(resolveBrokerOptions({ dataDir: 'x/y' }, { cwd: '/srv' }).dataDir, '/srv/x/y')
  t.equal(resolveBrokerOptions({ dataDir: '/abs' }, { cwd: '/srv' }).dataDir, '/abs')
})

t.test('undefined values mean "use the default"', async (t) => {
  t.equal(resolveBrokerOptions({ port: undefined, clusterId: undefined }).port, 9092)
})

t.test('typed and string values are both accepted', async (t) => {
  const o = resolveBrokerOptions({
    port: '9093' as unknown as number,
    memory: 'yes' as unknown as boolean,
    logLevel: 'DEBUG' as 'debug',
    clusterId: 'abcDEF123_-x',
    topicDefaults: { 'retention.ms': 5000 as unknown as string, 'cleanup.policy': 'compact, delete' }
  })
  t.equal(o.port, 9093)
  t.equal(o.memory, true)
  t.equal(o.logLevel, 'debug')
  t.equal(o.clusterId, 'abcDEF123_-x')
  t.same(o.topicDefaults, { 'retention.ms': '5000', 'cleanup.policy': 'compact,delete' })
})

t.test('listeners: the first one is host/port, explicit host/port override it', async (t) => {
  const o = resolveBrokerOptions({ listeners: 'PLAINTEXT://127.0.0.1:9092,SASL_SSL://:9094' })
  t.equal(o.host, '127.0.0.1')
  t.equal(o.port, 9092)
  t.equal(o.listeners, 'PLAINTEXT://127.0.0.1:9092,SASL_SSL://0.0.0.0:9094')
  const p = resolveBrokerOptions({ listeners: 'sasl_ssl://:9094,PLAINTEXT://127.0.0.1:9092', port: 0 })
  t.equal(p.listeners, 'SASL_SSL://0.0.0.0:0,PLAINTEXT://127.0.0.1:9092', 'names upper-cased, port overrides the first')
  t.equal(p.advertisedHost, 'localhost', 'a wildcard first listener advertises localhost')
  const q = resolveBrokerOptions({ listeners: 'INTERNAL://127.0.0.1:9092,EXTERNAL://0.0.0.0:9093', listenerSecurityProtocolMap: 'INTERNAL:PLAINTEXT,EXTERNAL:SASL_SSL', advertisedListeners: 'INTERNAL://127.0.0.1:9092,EXTERNAL://kafka.example.com:443' })
  t.equal(q.advertisedHost, '127.0.0.1')
  t.throws(() => resolveBrokerOptions({ listeners: 'INTERNAL://127.0.0.1:9092' }), /listener INTERNAL has no security protocol/)
  t.throws(() => resolveBrokerOptions({ listeners: 'PLAINTEXT://:9092,SSL://:9092' }), /both use port 9092/)
  t.throws(() => resolveBrokerOptions({ listeners: 'PLAINTEXT://:9092', advertisedListeners: 'SSL://x:1' }), /advertised.listeners names SSL, which is not in listeners/)
  t.throws(() => resolveBrokerOptions({ listeners: 'PLAINTEXT://:9092,plaintext://:9093' }), /PLAINTEXT appears twice/)
  t.throws(() => resolveBrokerOptions({ saslEnabledMechanisms: 'GSSAPI' }), /expected a comma-separated list of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512/)
  t.throws(() => resolveBrokerOptions({ sslPrincipalMappingRules: 'RULE:^CN=(.*)$' }), /sslPrincipalMappingRules/)
})

t.test('OAUTHBEARER options: Kafka\'s URL schemes, claim names and scope items', async (t) => {
  t.equal(resolveBrokerOptions({ saslEnabledMechanisms: 'oauthbearer,plain' }).saslEnabledMechanisms, 'OAUTHBEARER,PLAIN')
  t.equal(resolveBrokerOptions({ saslOauthbearerJwksEndpointUrl: ' file:///etc/samsa/jwks.json ' }).saslOauthbearerJwksEndpointUrl, 'file:///etc/samsa/jwks.json')
  t.throws(() => resolveBrokerOptions({ saslOauthbearerJwksEndpointUrl: 'ftp://idp.example/jwks' }), /saslOauthbearerJwksEndpointUrl.*expected an http:\/\/, https:\/\/ or file:\/\/ URL/)
  t.throws(() => resolveBrokerOptions({ saslOauthbearerJwksEndpointUrl: 'idp.example/jwks' }), /saslOauthbearerJwksEndpointUrl/)
  t.throws(() => resolveBrokerOptions({ saslOauthbearerSubClaimName: '  ' }), /saslOauthbearerSubClaimName.*expected a claim name/)
  t.throws(() => resolveBrokerOptions({ unsecuredValidatorRequiredScope: 'kafka "all"' }), /unsecuredValidatorRequiredScope/)
  t.throws(() => resolveBrokerOptions({ saslOauthbearerJwksEndpointRefreshMs: 0 }), /saslOauthbearerJwksEndpointRefreshMs/)
})

t.test('ACL options: only Kafka 4\'s StandardAuthorizer turns ACLs on', async (t) => {
  const o = resolveBrokerOptions({ authorizerClassName: ' org.apache.kafka.metadata.authorizer.StandardAuthorizer ', superUsers: 'User:admin; User:ops;', allowEveryoneIfNoAclFound: 'true' as unknown as boolean })
  t.equal(o.authorizerClassName, 'org.apache.kafka.metadata.authorizer.StandardAuthorizer')
  t.equal(o.superUsers, 'User:admin;User:ops')
  t.equal(o.allowEveryoneIfNoAclFound, true)
  t.throws(() => resolveBrokerOptions({ authorizerClassName: 'kafka.security.authorizer.AclAuthorizer' }), /org.apache.kafka.metadata.authorizer.StandardAuthorizer/)
  t.throws(() => resolveBrokerOptions({ superUsers: 'admin' }), /User:admin;User:ops/)
})
