import t from 'tap'
import type { BrokerOptions } from '../../src/config/broker-options.ts'
import { ConfigError } from '../../src/config/config-error.ts'
import { runCli, type CliIo, type CliRunningBroker } from '../../src/cli/main.ts'
import { packageVersion } from '../../src/cli/version.ts'

interface Harness {
  io: CliIo
  stdout: () => string
  stderr: () => string
  started: Array<Partial<BrokerOptions>>
  closeCalls: () => number
  /** Delivers a signal through the injected onSignal hook. */
  signal: (name?: string) => void
  subscribed: () => boolean
}

interface FakeOptions {
  start?: (options: Partial<BrokerOptions>) => Promise<CliRunningBroker>
  close?: () => Promise<void>
  broker?: Partial<CliRunningBroker>
}

function harness (fake: FakeOptions = {}): Harness {
  let out = ''
  let err = ''
  let closes = 0
  let handler: ((s: string) => void) | undefined
  const started: Array<Partial<BrokerOptions>> = []
  let clock = 1000
  const io: CliIo = {
    stdout: { write: (s: string) => { out += s } },
    stderr: { write: (s: string) => { err += s } },
    cwd: '/srv/samsa',
    now: () => (clock += 21),
    onSignal: (h) => {
      handler = h
      return () => { handler = undefined }
    },
    startBroker: async (options) => {
      started.push(options)
      if (fake.start !== undefined) return fake.start(options)
      const o = options as BrokerOptions
      return {
        host: o.host,
        port: o.port === 0 ? 40123 : o.port,
        advertisedHost: o.advertisedHost,
        advertisedPort: o.advertisedPort === 0 ? (o.port === 0 ? 40123 : o.port) : o.advertisedPort,
        dataDir: o.memory ? null : o.dataDir,
        nodeId: o.nodeId,
        clusterId: 'Zx9yQ2abRnCcD3eFgHiJkw',
        close: async () => {
          closes++
          if (fake.close !== undefined) await fake.close()
        },
        ...fake.broker
      }
    }
  }
  return {
    io,
    stdout: () => out,
    stderr: () => err,
    started,
    closeCalls: () => closes,
    signal: (name = 'SIGINT') => {
      if (handler === undefined) throw new Error('no signal handler registered')
      handler(name)
    },
    subscribed: () => handler !== undefined
  }
}

async function until (cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setImmediate(r))
  if (!cond()) throw new Error('condition not reached')
}

t.test('start prints the startup summary and passes resolved options', async (t) => {
  const h = harness()
  const exit = runCli(['start'], {}, h.io)
  await until(() => h.stdout().includes('ready in'))
  t.equal(h.started.length, 1)
  const opts = h.started[0] as BrokerOptions
  t.equal(opts.host, '127.0.0.1')
  t.equal(opts.port, 9092)
  t.equal(opts.dataDir, '/srv/samsa/data', 'data dir resolved against the cwd')
  const lines = h.stdout().trimEnd().split('\n')
  t.same(lines, [
    `samsa ${packageVersion()} (node ${[process.version, ...process.execArgv].join(' ')}) node 0, cluster Zx9yQ2abRnCcD3eFgHiJkw`,
    'listening on 127.0.0.1:9092 (advertised as 127.0.0.1:9092)',
    'data in /srv/samsa/data',
    `fsync interval (1000 ms), ${opts.shards} shard${opts.shards === 1 ? '' : 's'}`,
    'ready in 21 ms'
  ])
  t.equal(h.stderr(), '')
  h.signal('SIGTERM')
  t.equal(await exit, 0)
})

t.test('memory mode, wildcard host, ephemeral port, explicit shards and fsync', async (t) => {
  const h = harness()
  const exit = runCli(['--memory', '--host', '0.0.0.0', '--port', '0', '--shards', '3', '--node-id', '5'], {}, h.io)
  await until(() => h.stdout().includes('ready in'))
  const out = h.stdout()
  t.match(out, /node 5, cluster /)
  t.match(out, /^listening on 0\.0\.0\.0:40123 \(advertised as localhost:40123\)$/m)
  t.match(out, /^data in memory \(not persisted\)$/m)
  t.match(out, /^fsync n\/a \(memory\), 3 shards$/m)
  h.signal()
  t.equal(await exit, 0)

  const h2 = harness()
  const exit2 = runCli(['--fsync', 'always', '--shards', '1', '--host', '::1'], {}, h2.io)
  await until(() => h2.stdout().includes('ready in'))
  t.match(h2.stdout(), /^listening on \[::1\]:9092 \(advertised as \[::1\]:9092\)$/m)
  t.match(h2.stdout(), /^fsync always, 1 shard$/m)
  h2.signal()
  t.equal(await exit2, 0)
})

t.test('environment is read', async (t) => {
  const h = harness()
  const exit = runCli([], { SAMSA_PORT: '19092', SAMSA_ADVERTISED_HOST: 'kafka' }, h.io)
  await until(() => h.stdout().includes('ready in'))
  t.match(h.stdout(), /listening on 127\.0\.0\.1:19092 \(advertised as kafka:19092\)/)
  h.signal()
  t.equal(await exit, 0)
})

t.test('bad config: exit 2, message on stderr, broker never started', async (t) => {
  const h = harness()
  t.equal(await runCli(['--port', '99999'], {}, h.io), 2)
  t.equal(h.stderr(), 'samsa: Invalid value "99999" for port (flag --port): expected an integer 0-65535\n')
  t.equal(h.stdout(), '')
  t.equal(h.started.length, 0)

  const h2 = harness()
  t.equal(await runCli(['--prot', '1'], {}, h2.io), 2)
  t.match(h2.stderr(), /^samsa: Unknown flag --prot \(did you mean --port\?\)/)

  const h3 = harness()
  t.equal(await runCli([], { SAMSA_FSYNC: 'nah' }, h3.io), 2)
  t.match(h3.stderr(), /^samsa: Invalid value "nah" for fsync \(env SAMSA_FSYNC\)/)
})

t.test('config warnings go to stderr but do not stop startup', async (t) => {
  const dir = t.testdir({ 's.properties': 'num.io.threads=8\n' })
  const h = harness()
  h.io.cwd = dir
  const exit = runCli(['--config', 's.properties'], {}, h.io)
  await until(() => h.stdout().includes('ready in'))
  t.match(h.stderr(), /^samsa: warning: ignoring num.io.threads/)
  h.signal()
  t.equal(await exit, 0)
})

t.test('help and version', async (t) => {
  const h = harness()
  t.equal(await runCli(['--help'], {}, h.io), 0)
  const help = h.stdout()
  for (const s of ['--port', 'SAMSA_PORT', '9092', '--data-dir', 'SAMSA_DATA_DIR', './data', '--config', 'SAMSA_CONFIG',
    '--set', '--memory', '--fsync', 'interval', 'SAMSA_CLUSTER_ID', 'log.retention.hours', 'flags > SAMSA_* environment > config file > defaults']) {
    t.ok(help.includes(s), `help mentions ${s}`)
  }
  t.equal(h.started.length, 0)

  const v = harness()
  t.equal(await runCli(['version'], {}, v.io), 0)
  t.equal(v.stdout(), `${packageVersion()}\n`)
  t.match(packageVersion(), /^\d+\.\d+\.\d+/)
})

t.test('a signal closes the broker once and exits 0', async (t) => {
  let release!: () => void
  const h = harness({ close: () => new Promise<void>((r) => { release = r }) })
  const exit = runCli(['start'], {}, h.io)
  await until(() => h.stdout().includes('ready in'))
  h.signal('SIGINT')
  await until(() => h.closeCalls() === 1)
  t.match(h.stdout(), /shutting down…\n$/)
  let settled = false
  void exit.then(() => { settled = true })
  await new Promise((r) => setTimeout(r, 20))
  t.equal(settled, false, 'waits for close() to finish')
  release()
  t.equal(await exit, 0)
  t.equal(h.closeCalls(), 1)
  t.match(h.stdout(), /stopped\n$/)
  t.equal(h.subscribed(), false, 'signal handler removed')
})

t.test('a second signal during shutdown exits 1 immediately', async (t) => {
  const h = harness({ close: () => new Promise<void>(() => {}) })
  const exit = runCli(['start'], {}, h.io)
  await until(() => h.stdout().includes('ready in'))
  h.signal('SIGTERM')
  await until(() => h.closeCalls() === 1)
  h.signal('SIGINT')
  t.equal(await exit, 1)
  t.equal(h.closeCalls(), 1, 'close not called again')
  t.match(h.stderr(), /received SIGINT again during shutdown, exiting immediately/)
})

t.test('a failing close prints the error and exits 1', async (t) => {
  const h = harness({ close: async () => { throw new Error('flush failed: EIO') } })
  const exit = runCli(['start'], {}, h.io)
  await until(() => h.stdout().includes('ready in'))
  h.signal()
  t.equal(await exit, 1)
  t.match(h.stderr(), /^samsa: shutdown failed: flush failed: EIO$/m)
})

t.test('a signal during startup shuts down once the broker is up', async (t) => {
  let finishStart!: () => void
  const gate = new Promise<void>((r) => { finishStart = r })
  const h = harness({
    start: async (o) => {
      await gate
      return {
        host: '127.0.0.1', port: 9092, advertisedHost: '127.0.0.1', advertisedPort: 9092,
        dataDir: (o as BrokerOptions).dataDir, nodeId: 0, clusterId: 'c',
        close: async () => { closed++ }
      }
    }
  })
  let closed = 0
  const exit = runCli(['start'], {}, h.io)
  await until(() => h.started.length === 1)
  h.signal()
  t.match(h.stdout(), /shutting down…/)
  finishStart()
  t.equal(await exit, 0)
  t.equal(closed, 1)
})

function addrInUse (): Error {
  return Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:9092'), {
    code: 'EADDRINUSE', errno: -98, syscall: 'listen', address: '127.0.0.1', port: 9092
  })
}

t.test('EADDRINUSE names the setting and exits 1', async (t) => {
  const h = harness({ start: async () => { throw addrInUse() } })
  t.equal(await runCli(['start'], {}, h.io), 1)
  t.equal(h.stderr(), 'samsa: port 9092 on 127.0.0.1 is already in use (--port / SAMSA_PORT)\n')
  t.equal(h.subscribed(), false)
})

t.test('other startup failures', async (t) => {
  const cases: Array<[Error, number, RegExp]> = [
    [Object.assign(new Error('listen EACCES'), { code: 'EACCES', syscall: 'listen', address: '0.0.0.0', port: 80 }), 1,
      /^samsa: permission denied listening on 0\.0\.0\.0:80; ports below 1024 need extra privileges \(--port \/ SAMSA_PORT\)\n$/],
    [Object.assign(new Error('listen EADDRNOTAVAIL'), { code: 'EADDRNOTAVAIL', syscall: 'listen', address: '10.9.9.9', port: 9092 }), 1,
      /^samsa: cannot listen on 10\.9\.9\.9: .* \(--host \/ SAMSA_HOST\)\n$/],
    [Object.assign(new Error('getaddrinfo ENOTFOUND nohost'), { code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname: 'nohost' }), 1,
      /^samsa: cannot resolve host "nohost" \(--host \/ SAMSA_HOST\)\n$/],
    [Object.assign(new Error("EACCES: permission denied, mkdir '/srv/samsa/data'"), { code: 'EACCES', syscall: 'mkdir', path: '/srv/samsa/data' }), 1,
      /^samsa: cannot use data directory \/srv\/samsa\/data: permission denied \(\/srv\/samsa\/data\) \(--data-dir \/ SAMSA_DATA_DIR\)\n$/],
    [new ConfigError('Invalid value 0 for shards (options): expected an integer 1-1024', 'shards', 'options'), 2,
      /^samsa: Invalid value 0 for shards/],
    [new Error('data directory /x is in use by another broker (pid 12)'), 1,
      /^samsa: failed to start: data directory \/x is in use by another broker \(pid 12\)\n$/]
  ]
  for (const [error, code, re] of cases) {
    const h = harness({ start: async () => { throw error } })
    t.equal(await runCli(['start'], {}, h.io), code, error.message)
    t.match(h.stderr(), re)
    t.equal(h.stdout(), '')
  }
})

t.test('a synchronous throw from startBroker is handled like a rejection', async (t) => {
  const h = harness()
  h.io.startBroker = () => { throw addrInUse() }
  t.equal(await runCli(['start'], {}, h.io), 1)
  t.match(h.stderr(), /already in use/)
})

t.test('stack traces only at debug level', async (t) => {
  const h = harness({ start: async () => { throw new Error('boom') } })
  await runCli(['--log-level', 'debug'], {}, h.io)
  t.match(h.stderr(), /failed to start: boom\nError: boom\n\s+at /)
  const q = harness({ start: async () => { throw new Error('boom') } })
  await runCli([], {}, q.io)
  t.equal(q.stderr(), 'samsa: failed to start: boom\n')
})
