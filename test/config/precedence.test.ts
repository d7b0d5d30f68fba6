import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { loadConfig } from '../../src/config/load-config.ts'
import { OPTION_SPECS } from '../../src/config/options-table.ts'

t.test('flag > env > file > default', async (t) => {
  const dir = t.testdir({ 'samsa.json': JSON.stringify({ port: 1001, numPartitions: 3, nodeId: 7, shards: 2 }) })
  const env = { SAMSA_CONFIG: 'samsa.json', SAMSA_PORT: '1002', SAMSA_NUM_PARTITIONS: '4' }
  const { options, configFile } = loadConfig({ argv: ['start', '--port', '1003'], env, cwd: dir })
  t.equal(configFile, join(dir, 'samsa.json'))
  t.equal(options.port, 1003, 'flag beats env and file')
  t.equal(options.numPartitions, 4, 'env beats file')
  t.equal(options.nodeId, 7, 'file beats default')
  t.equal(options.shards, 2)
  t.equal(options.fsync, 'interval', 'default when nobody sets it')
})

t.test('--config beats SAMSA_CONFIG', async (t) => {
  const dir = t.testdir({ 'a.json': '{"nodeId": 1}', 'b.json': '{"nodeId": 2}' })
  const r = loadConfig({ argv: ['--config', 'b.json'], env: { SAMSA_CONFIG: 'a.json' }, cwd: dir })
  t.equal(r.options.nodeId, 2)
  t.equal(r.configFile, join(dir, 'b.json'))
})

t.test('--set is a command-line source and beats env and file', async (t) => {
  const dir = t.testdir({ 's.properties': 'num.partitions=2\n' })
  const r = loadConfig({ argv: ['--config', 's.properties', '--set', 'num.partitions=5'], env: { SAMSA_NUM_PARTITIONS: '3' }, cwd: dir })
  t.equal(r.options.numPartitions, 5)
  const last = loadConfig({ argv: ['--set', 'num.partitions=5', '--set', 'num.partitions=6'], env: {}, cwd: dir })
  t.equal(last.options.numPartitions, 6, 'a repeated --set key: last wins')
})

t.test('a flag and --set for the same option conflict', async (t) => {
  t.throws(() => loadConfig({ argv: ['--port', '1', '--set', 'port=2'], env: {}, cwd: '/tmp' }),
    { name: 'ConfigError', message: /port is set twice: by flag --port and by flag --set port/ })
})

t.test('empty env values count as unset', async (t) => {
  const r = loadConfig({ argv: [], env: { SAMSA_PORT: '', SAMSA_CONFIG: ' ' }, cwd: '/tmp' })
  t.equal(r.options.port, 9092)
  t.equal(r.configFile, undefined)
})

t.test('no command means start; help and version', async (t) => {
  t.equal(loadConfig({ argv: [], env: {}, cwd: '/tmp' }).command, 'start')
  t.equal(loadConfig({ argv: ['--port', '1'], env: {}, cwd: '/tmp' }).command, 'start')
  t.equal(loadConfig({ argv: ['help'], env: {}, cwd: '/tmp' }).command, 'help')
  t.equal(loadConfig({ argv: ['start', '--help'], env: {}, cwd: '/tmp' }).command, 'help')
  t.equal(loadConfig({ argv: ['-h'], env: {}, cwd: '/tmp' }).command, 'help')
  t.equal(loadConfig({ argv: ['--bogus', '--help'], env: {}, cwd: '/tmp' }).command, 'help', 'help wins over bad flags')
  t.equal(loadConfig({ argv: ['version'], env: {}, cwd: '/tmp' }).command, 'version')
  t.equal(loadConfig({ argv: ['--version'], env: {}, cwd: '/tmp' }).command, 'version')
  // help must work even when the environment is broken
  t.equal(loadConfig({ argv: ['--help'], env: { SAMSA_PORT: 'nope', SAMSA_CONFIG: 'missing.json' }, cwd: '/tmp' }).command, 'help')
})

// Every option in the table is reachable through its flag (if any) and its env var.
const SAMPLE: Record<string, [string, unknown]> = {
  host: ['10.0.0.1', '10.0.0.1'],
  port: ['1234', 1234],
  httpPort: ['8088', 8088],
  advertisedHost: ['broker.example', 'broker.example'],
  advertisedPort: ['4321', 4321],
  dataDir: ['/var/tmp/samsa', '/var/tmp/samsa'],
  memory: ['true', true],
  nodeId: ['3', 3],
  shards: ['4', 4],
  logLevel: ['debug', 'debug'],
  fsync: ['always', 'always'],
  fsyncIntervalMs: ['250', 250],
  maxRequestBytes: ['2048', 2048],
  queuedMaxRequestBytes: ['209715200', 209715200],
  autoCreateTopics: ['false', false],
  numPartitions: ['6', 6],
  clampReplicationFactor: ['true', true],
  deleteTopicEnable: ['false', false],
  groupInitialRebalanceDelayMs: ['10', 10],
  offsetsTopicNumPartitions: ['5', 5],
  groupMinSessionTimeoutMs: ['1000', 1000],
  groupMaxSessionTimeoutMs: ['60000', 60000],
  offsetsRetentionMinutes: ['60', 60],
  producerIdExpirationMs: ['60000', 60000],
  logRetentionCheckIntervalMs: ['5000', 5000],
  producerIdExpirationCheckIntervalMs: ['1000', 1000],
  transactionStateLogNumPartitions: ['3', 3],
  transactionMaxTimeoutMs: ['60000', 60000],
  transactionAbortTimedOutTransactionCleanupIntervalMs: ['500', 500],
  maxIncrementalFetchSessionCacheSlots: ['2', 2],
  quotaWindowNum: ['5', 5],
  quotaWindowSizeSeconds: ['2', 2],
  listeners: ['PLAINTEXT://127.0.0.1:9092,SASL_SSL://127.0.0.1:9094', 'PLAINTEXT://127.0.0.1:9092,SASL_SSL://127.0.0.1:9094'],
  advertisedListeners: ['PLAINTEXT://kafka.example:9092', 'PLAINTEXT://kafka.example:9092'],
  listenerSecurityProtocolMap: ['PLAINTEXT:PLAINTEXT,EXTERNAL:SASL_SSL', 'PLAINTEXT:PLAINTEXT,EXTERNAL:SASL_SSL'],
  sslKeystoreType: ['PEM', 'PEM'],
  sslKeystoreLocation: ['/etc/samsa/keystore.pem', '/etc/samsa/keystore.pem'],
  sslKeyPassword: ['s3cret', 's3cret'],
  sslKeystoreCertificateChain: ['-----BEGIN CERTIFICATE-----', '-----BEGIN CERTIFICATE-----'],
  sslKeystoreKey: ['-----BEGIN PRIVATE KEY-----', '-----BEGIN PRIVATE KEY-----'],
  sslTruststoreType: ['pem', 'PEM'],
  sslTruststoreLocation: ['/etc/samsa/ca.pem', '/etc/samsa/ca.pem'],
  sslTruststoreCertificates: ['-----BEGIN CERTIFICATE-----', '-----BEGIN CERTIFICATE-----'],
  sslClientAuth: ['required', 'required'],
  sslPrincipalMappingRules: ['RULE:^CN=([^,]*).*$/$1/L,DEFAULT', 'RULE:^CN=([^,]*).*$/$1/L,DEFAULT'],
  saslEnabledMechanisms: ['scram-sha-512', 'SCRAM-SHA-512'],
  connectionsMaxReauthMs: ['3600000', 3600000],
  saslOauthbearerJwksEndpointUrl: ['https://idp.example/jwks', 'https://idp.example/jwks'],
  saslOauthbearerJwksEndpointRefreshMs: ['60000', 60000],
  saslOauthbearerExpectedAudience: ['kafka, samsa', 'kafka,samsa'],
  saslOauthbearerExpectedIssuer: ['https://idp.example', 'https://idp.example'],
  saslOauthbearerSubClaimName: ['client_id', 'client_id'],
  saslOauthbearerScopeClaimName: ['scp', 'scp'],
  saslOauthbearerClockSkewSeconds: ['5', 5],
  unsecuredValidatorPrincipalClaimName: ['user', 'user'],
  unsecuredValidatorScopeClaimName: ['scp', 'scp'],
  unsecuredValidatorRequiredScope: [' kafka  write ', 'kafka write'],
  unsecuredValidatorAllowableClockSkewMs: ['1000', 1000],
  authorizerClassName: ['org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'org.apache.kafka.metadata.authorizer.StandardAuthorizer'],
  superUsers: ['User:admin;User:ANONYMOUS', 'User:admin;User:ANONYMOUS'],
  allowEveryoneIfNoAclFound: ['true', true],
  logCleanerEnable: ['false', false],
  logCleanerBackoffMs: ['500', 500],
  logCleanerIoMaxBytesPerSecond: ['1048576', 1048576],
  logCleanerDedupeBufferSize: ['16777216', 16777216],
  clusterId: ['MkU3OEVBNTcwNTJENDM2Qk', 'MkU3OEVBNTcwNTJENDM2Qk']
}

t.test('every option via env and via flag', async (t) => {
  for (const spec of OPTION_SPECS) {
    const sample = SAMPLE[spec.name]
    if (sample === undefined) {
      t.fail(`no sample for ${spec.name}`)
      continue
    }
    const [text, expected] = sample
    const viaEnv = loadConfig({ argv: [], env: { [spec.env]: text }, cwd: '/tmp' }).options as unknown as Record<string, unknown>
    t.same(viaEnv[spec.name], expected, `${spec.env}`)
    if (spec.flag !== undefined) {
      const argv = spec.flagType === 'boolean' ? (expected === true ? [`--${spec.flag}`] : [`--no-${spec.flag}`]) : [`--${spec.flag}`, text]
      const viaFlag = loadConfig({ argv, env: {}, cwd: '/tmp' }).options as unknown as Record<string, unknown>
      t.same(viaFlag[spec.name], expected, `--${spec.flag}`)
    }
  }
})

t.test('the documented flag and env names exist', async (t) => {
  const flags = OPTION_SPECS.flatMap((s) => (s.flag !== undefined ? [s.flag] : []))
  for (const f of ['host', 'port', 'advertised-host', 'advertised-port', 'data-dir', 'memory', 'node-id', 'shards', 'log-level',
    'fsync', 'fsync-interval-ms', 'max-request-bytes', 'num-partitions', 'auto-create-topics', 'clamp-replication-factor']) {
    t.ok(flags.includes(f), `--${f}`)
  }
  const envs = OPTION_SPECS.map((s) => s.env)
  for (const e of ['SAMSA_HOST', 'SAMSA_PORT', 'SAMSA_ADVERTISED_HOST', 'SAMSA_ADVERTISED_PORT', 'SAMSA_DATA_DIR', 'SAMSA_MEMORY',
    'SAMSA_NODE_ID', 'SAMSA_SHARDS', 'SAMSA_LOG_LEVEL', 'SAMSA_FSYNC', 'SAMSA_FSYNC_INTERVAL_MS', 'SAMSA_MAX_REQUEST_BYTES',
    'SAMSA_NUM_PARTITIONS', 'SAMSA_AUTO_CREATE_TOPICS', 'SAMSA_CLAMP_REPLICATION_FACTOR', 'SAMSA_CLUSTER_ID']) {
    t.ok(envs.includes(e), e)
  }
})

t.test('relative --data-dir resolves against the given cwd', async (t) => {
  const dir = t.testdir({})
  writeFileSync(join(dir, 'c.json'), '{"dataDir": "store"}')
  t.equal(loadConfig({ argv: ['--data-dir', 'd'], env: {}, cwd: dir }).options.dataDir, join(dir, 'd'))
  t.equal(loadConfig({ argv: ['--config', 'c.json'], env: {}, cwd: dir }).options.dataDir, join(dir, 'store'))
})

t.test('a listeners list from a higher source replaces the first listener address of a lower one', async (t) => {
  const dir = t.testdir({ 's.properties': 'listeners=PLAINTEXT://127.0.0.1:9092,SASL_SSL://127.0.0.1:9094\n' })
  const fromFile = loadConfig({ argv: ['--config', 's.properties', '--port', '0'], env: {}, cwd: dir }).options
  t.equal(fromFile.listeners, 'PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:9094', '--port overrides the first listener of the file')
  const fromEnv = loadConfig({ argv: ['--config', 's.properties'], env: { SAMSA_LISTENERS: 'SSL://127.0.0.1:9443' }, cwd: dir }).options
  t.equal(fromEnv.listeners, 'SSL://127.0.0.1:9443', 'the env list wins whole over the file')
  t.equal(fromEnv.port, 9443)
})
