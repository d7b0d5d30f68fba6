import t, { type Test } from 'tap'
import { ConfigError } from '../../src/config/broker-options.ts'
import { loadConfig, type LoadedConfig } from '../../src/config/load-config.ts'
import { parseProperties } from '../../src/config/properties.ts'

function load (t: Test, files: Record<string, string>, argv: string[], env: Record<string, string> = {}): LoadedConfig {
  const cwd = t.testdir(files)
  return loadConfig({ argv, env, cwd })
}

function loadError (t: Test, files: Record<string, string>, argv: string[]): ConfigError {
  try {
    load(t, files, argv)
  } catch (err) {
    if (err instanceof ConfigError) return err
    throw err
  }
  throw new Error('expected a ConfigError')
}

t.test('.json with camelCase option names', async (t) => {
  const { options } = load(t, {
    'samsa.json': JSON.stringify({
      host: '0.0.0.0', port: 9093, memory: true, fsync: 'always', shards: 2, logLevel: 'warn',
      clampReplicationFactor: true, topicDefaults: { 'segment.bytes': 1048576 }
    })
  }, ['--config', 'samsa.json'])
  t.equal(options.host, '0.0.0.0')
  t.equal(options.advertisedHost, 'localhost')
  t.equal(options.port, 9093)
  t.equal(options.memory, true)
  t.equal(options.fsync, 'always')
  t.equal(options.shards, 2)
  t.equal(options.logLevel, 'warn')
  t.equal(options.clampReplicationFactor, true)
  t.same(options.topicDefaults, { 'segment.bytes': '1048576' })
})

t.test('.json with Kafka broker property names', async (t) => {
  const { options } = load(t, {
    'k.json': JSON.stringify({
      'auto.create.topics.enable': false,
      'num.partitions': '3',
      'socket.request.max.bytes': 1048576,
      'delete.topic.enable': 'false',
      'group.initial.rebalance.delay.ms': 0,
      'offsets.topic.num.partitions': 10,
      'node.id': 4,
      'log.dirs': '/var/tmp/kafka-logs',
      'log.segment.bytes': 536870912,
      'message.max.bytes': 2000000
    })
  }, ['--config', 'k.json'])
  t.equal(options.autoCreateTopics, false)
  t.equal(options.numPartitions, 3)
  t.equal(options.maxRequestBytes, 1048576)
  t.equal(options.deleteTopicEnable, false)
  t.equal(options.groupInitialRebalanceDelayMs, 0)
  t.equal(options.offsetsTopicNumPartitions, 10)
  t.equal(options.nodeId, 4)
  t.equal(options.dataDir, '/var/tmp/kafka-logs')
  t.same(options.topicDefaults, { 'segment.bytes': '536870912', 'max.message.bytes': '2000000' })
})

t.test('.properties in Kafka server.properties style', async (t) => {
  const r = load(t, {
    'server.properties': [
      '# Kafka-style comment',
      '! also a comment',
      '',
      'node.id=2',
      'broker.id = 2',
      'listeners=PLAINTEXT://:19092',
      'advertised.listeners=PLAINTEXT://broker.local:29092',
      'log.dir:/var/tmp/samsa',
      'num.partitions 4',
      'num.io.threads=8',
      'offsets.topic.replication.factor=1',
      'log.cleanup.policy=compact,\\',
      '    delete',
      'log.message.timestamp.type=LogAppendTime',
      'log.roll.hours=2',
      'log.index.interval.bytes=8192',
      'log.retention.bytes=-1',
      'auto.create.topics.enable=false   '
    ].join('\n')
  }, ['--config', 'server.properties'])
  const o = r.options
  t.equal(o.nodeId, 2)
  t.equal(o.host, '0.0.0.0')
  t.equal(o.port, 19092)
  t.equal(o.advertisedHost, 'broker.local')
  t.equal(o.advertisedPort, 29092)
  t.equal(o.dataDir, '/var/tmp/samsa')
  t.equal(o.numPartitions, 4)
  t.equal(o.autoCreateTopics, false)
  t.same(o.topicDefaults, {
    'cleanup.policy': 'compact,delete',
    'message.timestamp.type': 'LogAppendTime',
    'segment.ms': String(2 * 3_600_000),
    'index.interval.bytes': '8192',
    'retention.bytes': '-1'
  })
  t.equal(r.warnings.length, 2)
  t.match(r.warnings[0], /ignoring num.io.threads \(config file server.properties\)/)
  t.match(r.warnings[1], /ignoring offsets.topic.replication.factor/)
})

t.test('two spellings of one option in one source conflict when they disagree', async (t) => {
  const same = load(t, { 'a.properties': 'node.id=2\nbroker.id=2\n' }, ['--config', 'a.properties'])
  t.equal(same.options.nodeId, 2, 'agreeing spellings are fine')
  const e = loadError(t, { 'a.properties': 'log.dirs=/a\nlog.dir=/b\n' }, ['--config', 'a.properties'])
  t.match(e.message, /dataDir is set twice: by config file a.properties key log.dirs and by config file a.properties key log.dir/)
  const f = loadError(t, { 'a.json': '{"port": 1, "listeners": "PLAINTEXT://:2"}' }, ['--config', 'a.json'])
  t.match(f.message, /port is set twice/)
})

t.test('retention units: ms > minutes > hours within one source, higher source wins across', async (t) => {
  const props = 'log.retention.ms=5000\nlog.retention.hours=1\nlog.retention.minutes=2\n'
  const r = load(t, { 's.properties': props }, ['--config', 's.properties'])
  t.equal(r.options.topicDefaults['retention.ms'], '5000')
  const m = load(t, { 's.properties': 'log.retention.hours=1\nlog.retention.minutes=2\n' }, ['--config', 's.properties'])
  t.equal(m.options.topicDefaults['retention.ms'], '120000')
  const h = load(t, { 's.properties': 'log.retention.hours=168\n' }, ['--config', 's.properties'])
  t.equal(h.options.topicDefaults['retention.ms'], String(168 * 3_600_000))
  const unlimited = load(t, { 's.properties': 'log.retention.hours=-1\n' }, ['--config', 's.properties'])
  t.equal(unlimited.options.topicDefaults['retention.ms'], '-1')
  const over = load(t, { 's.properties': 'log.retention.ms=5000\n' }, ['--config', 's.properties', '--set', 'log.retention.hours=2'])
  t.equal(over.options.topicDefaults['retention.ms'], String(2 * 3_600_000), '--set beats the file even in a coarser unit')
  const roll = load(t, { 's.properties': 'log.roll.hours=1\nlog.roll.ms=60000\n' }, ['--config', 's.properties'])
  t.equal(roll.options.topicDefaults['segment.ms'], '60000')
})

t.test('--set accepts the file keys', async (t) => {
  const r = load(t, {}, ['--set', 'delete.topic.enable=false', '--set', 'log.segment.bytes=1024', '--set', 'numPartitions=2', '--set', 'listeners=PLAINTEXT://127.0.0.2:9999'])
  t.equal(r.options.deleteTopicEnable, false)
  t.equal(r.options.numPartitions, 2)
  t.equal(r.options.host, '127.0.0.2')
  t.equal(r.options.port, 9999)
  t.same(r.options.topicDefaults, { 'segment.bytes': '1024' })
  t.equal(r.configFile, undefined)
})

t.test('unknown file key names the key and file and suggests', async (t) => {
  const e = loadError(t, { 's.properties': 'num.partition=3\n' }, ['--config', 's.properties'])
  t.equal(e.key, 'num.partition')
  t.equal(e.source, 'config file s.properties key num.partition')
  t.equal(e.message, 'Unknown key "num.partition" in config file s.properties (did you mean "num.partitions"?)')
  const j = loadError(t, { 'c.json': '{"dataDri": "x"}' }, ['--config', 'c.json'])
  t.match(j.message, /Unknown key "dataDri" in config file c.json \(did you mean "dataDir"\?\)/)
  const n = loadError(t, { 'c.json': '{"completely.unrelated.thing": 1}' }, ['--config', 'c.json'])
  t.equal(n.message, 'Unknown key "completely.unrelated.thing" in config file c.json')
  const s = loadError(t, {}, ['--set', 'nope.nope=1'])
  t.equal(s.source, 'flag --set nope.nope')
})

t.test('bad values in files name key and file', async (t) => {
  const e = loadError(t, { 'samsa.json': '{"port": "abc"}' }, ['--config', 'samsa.json'])
  t.equal(e.message, 'Invalid value "abc" for port (config file samsa.json key port): expected an integer 0-65535')
  t.equal(e.source, 'config file samsa.json key port')
  const p = loadError(t, { 's.properties': 'num.partitions=0\n' }, ['--config', 's.properties'])
  t.equal(p.message, 'Invalid value "0" for numPartitions (config file s.properties key num.partitions): expected an integer >= 1'.replace('>= 1', '1-2147483647'))
  const r = loadError(t, { 's.properties': 'log.retention.hours=soon\n' }, ['--config', 's.properties'])
  t.equal(r.key, 'log.retention.hours')
  t.match(r.message, /Invalid value "soon" for log.retention.hours \(config file s.properties key log.retention.hours\)/)
  const ts = loadError(t, { 's.properties': 'log.message.timestamp.type=Wallclock\n' }, ['--config', 's.properties'])
  t.match(ts.message, /expected one of CreateTime, LogAppendTime/)
  const cp = loadError(t, { 's.properties': 'log.cleanup.policy=shred\n' }, ['--config', 's.properties'])
  t.match(cp.message, /log.cleanup.policy.*expected delete, compact/)
  const seg = loadError(t, { 'c.json': '{"topicDefaults": {"segment.bytes": 1}}' }, ['--config', 'c.json'])
  t.equal(seg.source, 'config file c.json key topicDefaults.segment.bytes')
  const arr = loadError(t, { 'c.json': '{"port": [1]}' }, ['--config', 'c.json'])
  t.match(arr.message, /Invalid value \[1\] for port/)
  const proto = loadError(t, { 'c.json': '{"topicDefaults": {"__proto__": {"x": 1}}}' }, ['--config', 'c.json'])
  t.match(proto.message, /Unknown topic config "__proto__"/)
  const protoKey = loadError(t, { 'c.json': '{"__proto__": 1}' }, ['--config', 'c.json'])
  t.match(protoKey.message, /Unknown key "__proto__"/)
  const dirs = loadError(t, { 's.properties': 'log.dirs=/a,/b\n' }, ['--config', 's.properties'])
  t.match(dirs.message, /log.dirs .*single data directory/)
  const lis = loadError(t, { 's.properties': 'listeners=SSL//:9093\n' }, ['--config', 's.properties'])
  t.match(lis.message, /Invalid value "SSL\/\/:9093" for listeners \(config file s.properties key listeners\): expected a comma-separated list/)
  const two = loadError(t, { 's.properties': 'listeners=PLAINTEXT://:9092,CONTROLLER://:9093\n' }, ['--config', 's.properties'])
  t.equal(two.key, 'listeners')
  t.match(two.message, /listener CONTROLLER has no security protocol/)
})

t.test('missing, unreadable, unparsable config files', async (t) => {
  const missing = loadError(t, {}, ['--config', 'nope.json'])
  t.equal(missing.message, 'Config file nope.json (flag --config) does not exist')
  t.equal(missing.source, 'flag --config')
  const cwd = t.testdir({})
  try {
    loadConfig({ argv: [], env: { SAMSA_CONFIG: 'gone.properties' }, cwd })
    t.fail('should throw')
  } catch (err) {
    t.equal((err as ConfigError).message, 'Config file gone.properties (env SAMSA_CONFIG) does not exist')
  }
  const bad = loadError(t, { 'samsa.json': '{"port": 9092,,}' }, ['--config', 'samsa.json'])
  t.match(bad.message, /^Config file samsa.json is not valid JSON: /)
  t.equal(bad.source, 'config file samsa.json')
  const arr = loadError(t, { 'samsa.json': '[1,2]' }, ['--config', 'samsa.json'])
  t.match(arr.message, /must contain a JSON object/)
  const ext = loadError(t, { 'samsa.yaml': 'port: 1' }, ['--config', 'samsa.yaml'])
  t.match(ext.message, /Config file samsa.yaml \(flag --config\) must end in .json or .properties/)
  const dir = loadError(t, { 'd.json': {} as unknown as string }, ['--config', 'd.json'])
  t.match(dir.message, /Config file d.json \(flag --config\) is a directory/)
})

t.test('properties parser details', async (t) => {
  const entries = parseProperties([
    'a=1',
    '  b : 2',
    'c 3',
    'd=x\\=y\\u0041',
    'e=line1\\',
    '   line2',
    'f=trailing\\\\',
    'g',
    '# h=9'
  ].join('\r\n'))
  t.same(entries.map((e) => [e.key, e.value]), [
    ['a', '1'], ['b', '2'], ['c', '3'], ['d', 'x=yA'], ['e', 'line1line2'], ['f', 'trailing\\'], ['g', '']
  ])
  t.same(entries.map((e) => e.line), [1, 2, 3, 4, 5, 7, 8])
})
