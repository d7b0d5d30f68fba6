import t from 'tap'
import { ConfigError, resolveBrokerOptions, type BrokerOptions } from '../../src/config/broker-options.ts'
import { loadConfig } from '../../src/config/load-config.ts'

function loadError (argv: string[], env: Record<string, string> = {}, cwd = '/tmp'): ConfigError {
  try {
    loadConfig({ argv, env, cwd })
  } catch (err) {
    if (err instanceof ConfigError) return err
    throw err
  }
  throw new Error(`expected a ConfigError for ${argv.join(' ')}`)
}

function resolveError (partial: Record<string, unknown>): ConfigError {
  try {
    resolveBrokerOptions(partial as Partial<BrokerOptions>)
  } catch (err) {
    if (err instanceof ConfigError) return err
    throw err
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(partial)}`)
}

t.test('port out of range names key, source and the allowed range', async (t) => {
  const e = loadError(['--port', '70000'])
  t.equal(e.key, 'port')
  t.equal(e.source, 'flag --port')
  t.equal(e.message, 'Invalid value "70000" for port (flag --port): expected an integer 0-65535')
  const f = loadError([], { SAMSA_PORT: 'abc' })
  t.equal(f.source, 'env SAMSA_PORT')
  t.equal(f.message, 'Invalid value "abc" for port (env SAMSA_PORT): expected an integer 0-65535')
  t.match(loadError(['--port=-1']).message, /expected an integer 0-65535/)
  t.match(loadError(['--port', '1.5']).message, /expected an integer 0-65535/)
})

t.test('shards 0', async (t) => {
  const e = loadError(['--shards', '0'])
  t.equal(e.key, 'shards')
  t.equal(e.source, 'flag --shards')
  t.match(e.message, /^Invalid value "0" for shards \(flag --shards\): expected an integer 1-1024$/)
  t.equal(loadError([], { SAMSA_SHARDS: '0' }).source, 'env SAMSA_SHARDS')
})

t.test('bad fsync mode', async (t) => {
  const e = loadError(['--fsync', 'sometimes'])
  t.equal(e.key, 'fsync')
  t.equal(e.message, 'Invalid value "sometimes" for fsync (flag --fsync): expected one of always, interval, never')
  t.equal(loadError([], { SAMSA_FSYNC: 'x' }).source, 'env SAMSA_FSYNC')
})

t.test('bad log level', async (t) => {
  const e = loadError([], { SAMSA_LOG_LEVEL: 'verbose' })
  t.equal(e.key, 'logLevel')
  t.equal(e.source, 'env SAMSA_LOG_LEVEL')
  t.match(e.message, /expected one of fatal, error, warn, info, debug, trace, silent/)
})

t.test('other value checks', async (t) => {
  const cases: Array<[string[], string, RegExp]> = [
    [['--host', 'http://example.com'], 'host', /hostname or IP address/],
    [['--host', ''], 'host', /hostname or IP address/],
    [['--advertised-host', '0.0.0.0'], 'advertisedHost', /not a wildcard/],
    [['--advertised-port', '65536'], 'advertisedPort', /0-65535/],
    [['--node-id=-1'], 'nodeId', /integer 0-2147483647/],
    [['--fsync-interval-ms', '0'], 'fsyncIntervalMs', /integer 1-/],
    [['--max-request-bytes', '10'], 'maxRequestBytes', /integer 1024-/],
    [['--num-partitions', '0'], 'numPartitions', /integer 1-/],
    [['--auto-create-topics', 'maybe'], 'autoCreateTopics', /true or false/],
    [['--cluster-id', 'has space'], 'clusterId', /printable ASCII/],
    [['--data-dir', ' '], 'dataDir', /non-empty path/]
  ]
  for (const [argv, key, re] of cases) {
    const e = loadError(argv)
    t.equal(e.key, key, argv.join(' '))
    t.equal(e.source, `flag ${argv[0].replace(/=.*/, '')}`, argv.join(' '))
    t.match(e.message, re, argv.join(' '))
  }
})

t.test('unknown flag, with a suggestion', async (t) => {
  const e = loadError(['start', '--prot', '9092'])
  t.equal(e.key, '--prot')
  t.equal(e.source, 'command line')
  t.match(e.message, /Unknown flag --prot \(did you mean --port\?\)/)
  t.match(loadError(['--zzzzzzzz']).message, /^Unknown flag --zzzzzzzz; run samsa --help/)
})

t.test('flag syntax errors', async (t) => {
  t.match(loadError(['--port']).message, /--port <value>' argument missing/)
  t.match(loadError(['--memory=yes']).message, /--memory' does not take an argument/)
  const e = loadError(['--set', 'novalue'])
  t.equal(e.key, '--set')
  t.match(e.message, /--set expects key=value/)
})

t.test('unknown command and stray arguments', async (t) => {
  const e = loadError(['stop'])
  t.equal(e.key, 'stop')
  t.match(e.message, /Unknown command "stop": expected start, help or version/)
  t.match(loadError(['start', 'now']).message, /Unexpected argument "now"/)
})

t.test('programmatic options name the key and say "options"', async (t) => {
  const e = resolveError({ port: 70000 })
  t.equal(e.message, 'Invalid value 70000 for port (options): expected an integer 0-65535')
  t.equal(e.key, 'port')
  t.equal(e.source, 'options')
  t.match(resolveError({ shards: 0 }).message, /for shards \(options\)/)
  t.match(resolveError({ fsync: 'sometimes' }).message, /for fsync \(options\)/)
  t.match(resolveError({ port: 1.5 }).message, /for port/)
  t.match(resolveError({ memory: 'maybe' }).message, /for memory \(options\): expected true or false/)
  const u = resolveError({ prot: 1 })
  t.equal(u.key, 'prot')
  t.match(u.message, /Unknown option "prot"/)
  t.match(resolveError({ topicDefaults: { 'flush.ms': '1000' } }).message, /Unknown topic config "flush.ms"/)
  t.match(resolveError({ topicDefaults: { 'segment.bytes': '1' } }).message, /topicDefaults.segment.bytes.*integer 14-/)
  t.match(resolveError({ topicDefaults: 'x' }).message, /for topicDefaults/)
})

t.test('custom sources appear in messages', async (t) => {
  try {
    resolveBrokerOptions({ port: 70000 }, { sources: { port: 'startBroker({port})' } })
    t.fail('should throw')
  } catch (err) {
    t.equal((err as ConfigError).source, 'startBroker({port})')
  }
})
