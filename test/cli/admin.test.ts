// The admin CLI (`samsa topics|configs|groups`) as a user runs it: a child process
// against a real in-memory broker, checked by its output and exit code. Independent
// commands run side by side to keep the file quick on a loaded machine.

import { spawn } from 'node:child_process'
import { createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import type { Consumer } from 'kafkajs'
import { memoryBroker, repoRoot } from '../helpers/broker.ts'
import { kafkaClient } from '../helpers/kafkajs-fetch.ts'
import { waitFor, within } from '../helpers/groups.ts'

interface Run {
  code: number | null
  stdout: string
  stderr: string
  ms: number
}

// Node's compile cache (it covers type-stripped .ts) makes each CLI start several times
// cheaper after the first; entries are keyed by content, so a shared directory is safe.
const env = { ...process.env, NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE ?? join(tmpdir(), 'samsa-test-compile-cache') }

/** `samsa <args>` in a child process; killed (code null) if it outlives `limitMs`. */
function samsa (args: string[], limitMs = 45_000): Promise<Run> {
  const started = performance.now()
  const child = spawn(process.execPath, [join(repoRoot, 'src/cli/main.ts'), ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d })
  child.stderr.on('data', (d: Buffer) => { stderr += d })
  const timer = setTimeout(() => child.kill('SIGKILL'), limitMs)
  return new Promise((resolve) => child.on('close', (code) => {
    clearTimeout(timer)
    resolve({ code, stdout, stderr, ms: performance.now() - started })
  }))
}

/** Lines of a Kafka-style table (after its leading blank line), split on runs of spaces. */
function table (stdout: string): string[][] {
  return stdout.split('\n').filter((l) => l.trim() !== '').map((l) => l.trim().split(/ +/))
}

t.test('help and usage errors, without a broker', async (t) => {
  const [top, topics, configs, groups, missing, unknown, twoActions] = await Promise.all([
    samsa(['--help']),
    samsa(['topics', '--help']),
    samsa(['configs', '--help']),
    samsa(['groups', '-h']),
    samsa(['topics', '--create', '--partitions', '3']),
    samsa(['topics', '--lst']),
    samsa(['groups', '--list', '--describe']),
  ])
  t.equal(top.code, 0)
  t.match(top.stdout, /samsa topics \| configs \| groups/, 'samsa --help names the admin commands')
  t.equal(topics.code, 0)
  for (const opt of ['--bootstrap-server', '--create', '--describe', '--alter', '--delete', '--list', '--partitions', '--replication-factor', '--config']) {
    t.match(topics.stdout, opt, `topics --help lists ${opt}`)
  }
  t.equal(configs.code, 0)
  for (const opt of ['--entity-type', '--entity-name', '--add-config', '--delete-config', '--all']) t.match(configs.stdout, opt)
  t.equal(groups.code, 0)
  for (const opt of ['--reset-offsets', '--to-earliest', '--shift-by', '--to-datetime', '--dry-run', '--execute']) t.match(groups.stdout, opt)

  t.equal(missing.code, 2, 'a missing --topic is a usage error')
  t.equal(missing.stderr, 'samsa topics: Missing required option --topic with --create (see samsa topics --help)\n')
  t.equal(unknown.code, 2)
  t.match(unknown.stderr, /Unknown option --lst \(did you mean --list\?\)/)
  t.equal(twoActions.code, 2)
  t.match(twoActions.stderr, /exactly one action: --list, --describe, --reset-offsets or --delete/)
})

t.test('an unreachable bootstrap server: one line naming it, exit 1, bounded time', async (t) => {
  // A port nobody listens on, and a server that accepts but never answers.
  const closedPort = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
  const sockets: Socket[] = []
  const silent: Server = createServer((s) => { sockets.push(s) })
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    for (const s of sockets) s.destroy()
    silent.close()
  })
  const silentPort = (silent.address() as { port: number }).port

  const [refused, mute] = await Promise.all([
    samsa(['topics', '--bootstrap-server', `127.0.0.1:${closedPort}`, '--list']),
    samsa(['groups', '--bootstrap-server', `127.0.0.1:${silentPort}`, '--list', '--timeout', '1000']),
  ])
  t.equal(refused.code, 1)
  t.equal(refused.stdout, '')
  t.equal(refused.stderr, `Error: Could not connect to bootstrap server 127.0.0.1:${closedPort}: connection refused (ECONNREFUSED); is a broker listening there?\n`)
  t.equal(mute.code, 1)
  t.equal(mute.stderr, `Error: No response from bootstrap server 127.0.0.1:${silentPort} to ApiVersions within 1000 ms\n`)
  t.ok(mute.ms < 20_000, `gave up in bounded time (${Math.round(mute.ms)} ms, startup included)`)
})

t.test('against a broker', async (t) => {
  const broker = await memoryBroker(t, { offsetsTopicNumPartitions: 4 })
  const B = ['--bootstrap-server', `127.0.0.1:${broker.port}`]
  const topics = (...a: string[]): Promise<Run> => samsa(['topics', ...B, ...a])
  const configs = (...a: string[]): Promise<Run> => samsa(['configs', ...B, ...a])
  const groups = (...a: string[]): Promise<Run> => samsa(['groups', ...B, ...a])

  await t.test('topics: create, list, describe, alter, delete', async (t) => {
    const [created, lagTopic] = await Promise.all([
      topics('--create', '--topic', 'orders', '--partitions', '2', '--replication-factor', '1', '--config', 'retention.ms=3600000'),
      topics('--create', '--topic', 'lagged', '--partitions', '1'),
    ])
    t.equal(created.code, 0, created.stderr)
    t.equal(created.stdout, 'Created topic orders.\n')
    t.equal(lagTopic.code, 0, lagTopic.stderr)

    const [again, ifNotExists, badConfig, list, described, unknown, unknownOk] = await Promise.all([
      topics('--create', '--topic', 'orders', '--partitions', '2'),
      topics('--create', '--topic', 'orders', '--partitions', '2', '--if-not-exists'),
      topics('--create', '--topic', 'badcfg', '--config', 'retention.ms=soon'),
      topics('--list'),
      topics('--describe', '--topic', 'orders'),
      topics('--describe', '--topic', 'nope'),
      topics('--describe', '--topic', 'nope', '--if-exists'),
    ])
    t.equal(again.code, 1)
    t.equal(again.stderr, "Error: TOPIC_ALREADY_EXISTS: Topic 'orders' already exists.\n")
    t.equal(ifNotExists.code, 0, '--if-not-exists')
    t.equal(ifNotExists.stdout, '')
    t.equal(badConfig.code, 1)
    t.match(badConfig.stderr, /^Error: INVALID_CONFIG: .*retention\.ms.*\n$/, 'a bad config value: INVALID_CONFIG with the broker\'s message')
    t.equal(list.code, 0)
    t.same(list.stdout.split('\n').filter((l) => !l.startsWith('__') && l !== ''), ['lagged', 'orders'], 'sorted names, one a line')
    t.equal(described.code, 0, described.stderr)
    const lines = described.stdout.trimEnd().split('\n')
    t.match(lines[0], /^Topic: orders\tTopicId: [A-Za-z0-9_-]{22}\tPartitionCount: 2\tReplicationFactor: 1\tConfigs: retention\.ms=3600000$/)
    t.same(lines.slice(1), [
      '\tTopic: orders\tPartition: 0\tLeader: 0\tReplicas: 0\tIsr: 0',
      '\tTopic: orders\tPartition: 1\tLeader: 0\tReplicas: 0\tIsr: 0',
    ])
    t.equal(unknown.code, 1)
    t.equal(unknown.stderr, "Error: UNKNOWN_TOPIC_OR_PARTITION: Topic 'nope' does not exist as expected\n")
    t.equal(unknownOk.code, 0, '--if-exists')

    const altered = await topics('--alter', '--topic', 'orders', '--partitions', '4')
    if (altered.code === 1 && /UNSUPPORTED_VERSION/.test(altered.stderr)) {
      t.comment(`CreatePartitions is not served by this broker yet: ${altered.stderr.trim()}`)
      t.match(altered.stderr, /does not support CreatePartitions \(API key 37\)/, 'the CLI says which API is missing')
    } else {
      t.equal(altered.code, 0, altered.stderr)
      const [after, lower] = await Promise.all([topics('--describe', '--topic', 'orders'), topics('--alter', '--topic', 'orders', '--partitions', '3')])
      t.match(after.stdout, /PartitionCount: 4\t/)
      t.match(after.stdout, /\tPartition: 3\tLeader: 0\t/)
      t.equal(lower.code, 1, 'fewer partitions is refused')
      t.match(lower.stderr, /^Error: INVALID_PARTITIONS: /)
    }

    const deleted = await topics('--delete', '--topic', 'orders')
    t.equal(deleted.code, 0, deleted.stderr)
    const [listed, deleteAgain] = await Promise.all([topics('--list', '--exclude-internal'), topics('--delete', '--topic', 'orders')])
    t.equal(listed.stdout, 'lagged\n', 'gone from --list; --exclude-internal drops __ topics')
    t.equal(deleteAgain.code, 1)
    t.equal(deleteAgain.stderr, "Error: UNKNOWN_TOPIC_OR_PARTITION: Topic 'orders' does not exist as expected\n")
  })

  await t.test('configs: describe, add, delete, errors', async (t) => {
    const created = await topics('--create', '--topic', 'cfg', '--partitions', '1')
    t.equal(created.code, 0, created.stderr)
    const added = await configs('--entity-type', 'topics', '--entity-name', 'cfg', '--alter', '--add-config', 'retention.ms=60000,cleanup.policy=[compact,delete]')
    t.equal(added.code, 0, added.stderr)
    t.equal(added.stdout, 'Completed updating config for topic cfg.\n')

    const [described, all, topicLine, badValue, badKey, deleteUnset, unknownTopic, brokerDefaults] = await Promise.all([
      configs('--entity-type', 'topics', '--entity-name', 'cfg', '--describe'),
      configs('--topic', 'cfg', '--describe', '--all'),
      topics('--describe', '--topic', 'cfg'),
      configs('--entity-type', 'topics', '--entity-name', 'cfg', '--alter', '--add-config', 'retention.ms=forever'),
      configs('--entity-type', 'topics', '--entity-name', 'cfg', '--alter', '--add-config', 'no=such=thing'),
      configs('--entity-type', 'topics', '--entity-name', 'cfg', '--alter', '--delete-config', 'segment.ms'),
      configs('--entity-type', 'topics', '--entity-name', 'ghost', '--describe'),
      configs('--entity-type', 'brokers', '--entity-default', '--describe'),
    ])
    t.equal(described.code, 0, described.stderr)
    const lines = described.stdout.trimEnd().split('\n')
    t.equal(lines[0], 'Dynamic configs for topic cfg are:')
    t.match(lines[1], /^ {2}cleanup\.policy=compact,delete sensitive=false synonyms=\{DYNAMIC_TOPIC_CONFIG:cleanup\.policy=compact,delete, .*\}$/)
    t.match(lines[2], /^ {2}retention\.ms=60000 sensitive=false synonyms=\{DYNAMIC_TOPIC_CONFIG:retention\.ms=60000, .*\}$/)
    t.equal(lines.length, 3, 'only the overrides')
    t.equal(all.code, 0, all.stderr)
    t.match(all.stdout, /^All configs for topic cfg are:\n/)
    t.match(all.stdout, /\n {2}segment\.bytes=\d+ sensitive=false synonyms=\{/, '--all includes defaults')
    t.match(topicLine.stdout, /\tConfigs: cleanup\.policy=compact,delete,retention\.ms=60000\n/, 'topics --describe shows the overrides too')
    t.equal(badValue.code, 1)
    t.match(badValue.stderr, /^Error: INVALID_CONFIG: .*retention\.ms.*\n$/)
    t.equal(badKey.code, 2, 'a malformed --add-config is a usage error')
    t.equal(deleteUnset.code, 1)
    t.equal(deleteUnset.stderr, 'Error: INVALID_CONFIG: Invalid config(s): segment.ms\n')
    t.equal(unknownTopic.code, 1)
    t.match(unknownTopic.stderr, /^Error: UNKNOWN_TOPIC_OR_PARTITION: /)
    t.equal(brokerDefaults.code, 0, brokerDefaults.stderr)
    t.match(brokerDefaults.stdout, /^Default configs for brokers in the cluster are:\n/)

    const removed = await configs('--entity-type', 'topics', '--entity-name', 'cfg', '--alter', '--delete-config', 'retention.ms')
    t.equal(removed.code, 0, removed.stderr)
    const after = await configs('--entity-type', 'topics', '--entity-name', 'cfg', '--describe')
    t.notMatch(after.stdout, /retention\.ms/, 'the deleted config is gone')
    t.match(after.stdout, /cleanup\.policy=compact,delete/, 'the other stays')
  })

  await t.test('groups: list, describe with lag, reset-offsets', async (t) => {
    const topic = 'lagged'
    const group = 'lag-readers'
    const kafka = kafkaClient(broker.port, 'lag-reader')
    const producer = kafka.producer()
    await producer.connect()
    await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}` })) })
    await producer.disconnect()

    // A member that reads everything but commits only up to offset 4: lag 6.
    const consumer: Consumer = kafka.consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 100 })
    let connected = true
    t.teardown(() => connected ? consumer.disconnect() : undefined)
    await consumer.connect()
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    let seen = 0
    let committed = false
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        seen++
        if (message.offset === '3') {
          await consumer.commitOffsets([{ topic, partition: 0, offset: '4' }])
          committed = true
        }
      },
    })
    await waitFor(() => seen >= 10 && committed, 'the consumer to read 10 messages and commit offset 4')

    const [list, listState, described, members, state, busy] = await Promise.all([
      groups('--list'),
      groups('--list', '--state', 'stable'),
      groups('--describe', '--group', group),
      groups('--describe', '--group', group, '--members', '--verbose'),
      groups('--describe', '--group', group, '--state'),
      groups('--reset-offsets', '--group', group, '--topic', topic, '--to-earliest', '--execute'),
    ])
    t.equal(list.code, 0, list.stderr)
    t.ok(list.stdout.split('\n').includes(group), 'groups --list names the group')
    t.same(table(listState.stdout), [['GROUP', 'STATE'], [group, 'Stable']], '--list --state filters by state')
    t.equal(described.code, 0, described.stderr)
    t.equal(described.stderr, '')
    const rows = table(described.stdout)
    t.same(rows[0], ['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'])
    t.equal(rows.length, 2)
    t.same(rows[1]!.slice(0, 6), [group, topic, '0', '4', '10', '6'], 'CURRENT-OFFSET 4, LOG-END-OFFSET 10, LAG 6')
    t.match(rows[1]![6], /^lag-reader-/, 'CONSUMER-ID is the member id')
    t.same(rows[1]!.slice(7), ['/127.0.0.1', 'lag-reader'], 'HOST and CLIENT-ID')
    t.equal(members.code, 0, members.stderr)
    t.same(table(members.stdout)[0], ['GROUP', 'CONSUMER-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS', 'ASSIGNMENT'])
    t.same(table(members.stdout)[1]!.slice(-2), ['1', `${topic}(0)`])
    t.equal(state.code, 0, state.stderr)
    t.match(state.stdout, new RegExp(`\\n${group} +127\\.0\\.0\\.1:${broker.port} {2}\\(0\\) +\\S+ +Stable +1\\n`))
    t.equal(busy.code, 1, 'a group with members is not reset')
    t.equal(busy.stderr, `Error: Assignments can only be reset if the group '${group}' is inactive, but the current state is Stable.\n`)

    await within(consumer.disconnect(), 'the consumer to leave')
    connected = false

    const dry = await groups('--reset-offsets', '--group', group, '--topic', topic, '--to-earliest', '--dry-run')
    t.equal(dry.code, 0, dry.stderr)
    t.same(table(dry.stdout), [['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'], [group, topic, '0', '0']])
    const [stillFour, clamped, byTime, noScope] = await Promise.all([
      groups('--describe', '--group', group),
      groups('--reset-offsets', '--group', group, '--topic', `${topic}:0`, '--to-offset', '99', '--dry-run'),
      groups('--reset-offsets', '--group', group, '--all-topics', '--to-datetime', '2000-01-01T00:00:00.000', '--dry-run'),
      groups('--reset-offsets', '--group', group, '--to-latest'),
    ])
    t.equal(stillFour.stderr, `Consumer group '${group}' has no active members.\n`)
    t.same(table(stillFour.stdout)[1], [group, topic, '0', '4', '10', '6', '-', '-', '-'], 'a dry run changes nothing')
    t.same(table(clamped.stdout)[1], [group, topic, '0', '10'], '--to-offset past the end is clamped to the log end')
    t.match(clamped.stderr, /New offset \(99\) is higher than latest offset for topic partition lagged-0\. Value will be set to 10/)
    t.same(table(byTime.stdout)[1], [group, topic, '0', '0'], '--to-datetime before the first record: offset 0')
    t.equal(noScope.code, 2)

    const executed = await groups('--reset-offsets', '--group', group, '--topic', topic, '--shift-by', '3', '--execute')
    t.equal(executed.code, 0, executed.stderr)
    t.same(table(executed.stdout)[1], [group, topic, '0', '7'])
    const after = await groups('--describe', '--group', group)
    t.same(table(after.stdout)[1]!.slice(0, 6), [group, topic, '0', '7', '10', '3'], '--execute committed offset 7: LAG 3')

    const [missing, deletedMissing] = await Promise.all([
      groups('--describe', '--group', 'no-such-group'),
      groups('--reset-offsets', '--group', 'fresh', '--topic', 'ghost-topic', '--to-earliest', '--execute'),
    ])
    t.equal(missing.code, 1)
    t.equal(missing.stderr, "Error: Consumer group 'no-such-group' does not exist.\n")
    t.equal(deletedMissing.code, 1)
    t.equal(deletedMissing.stderr, "Error: UNKNOWN_TOPIC_OR_PARTITION: Topic 'ghost-topic' does not exist.\n")
  })
})
