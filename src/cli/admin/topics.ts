// `samsa topics`, after kafka-topics.sh: --list, --create, --describe, --alter (partition
// count) and --delete, with --topic taken as a regular expression except for --create.

import { ErrorCode } from '../../../protocol/error-codes.ts'
import { ResourceType, type AdminClient, type TopicInfo } from './admin-client.ts'
import type { Args } from './args.ts'
import { AdminError, KafkaError, UsageError, inContext } from './errors.ts'
import { COMMON_HELP, type AdminCommand, type CommandContext } from './common.ts'

const ACTIONS = ['list', 'create', 'describe', 'alter', 'delete'] as const

const INTERNAL_TOPICS = new Set(['__consumer_offsets', '__transaction_state', '__share_group_state'])

const DEFAULT_CONFIG_SOURCE = 5

function help (): string {
  return [
    'Usage: samsa topics [--bootstrap-server <host:port>] <action> [options]',
    '',
    'Creates, lists, describes, alters and deletes topics on any Kafka-protocol broker,',
    'with the options and output of Kafka\'s kafka-topics.sh.',
    '',
    'Actions (exactly one):',
    '  --list                              topic names, one a line',
    '  --create --topic <name>             create a topic; prints "Created topic <name>."',
    '  --describe                          partition count, replication factor, overridden',
    '                                      configs, then leader, replicas and ISR of each partition',
    '  --alter --topic <t> --partitions <n>  raise the partition count to n',
    '  --delete --topic <t>                delete the topic(s)',
    '',
    'Options:',
    '  --topic <name|regex>                the topic; a regular expression (commas separate',
    '                                      alternatives) except with --create',
    '  --partitions <n>                    partitions for --create (default: the broker\'s) or',
    '                                      the new total for --alter',
    '  --replication-factor <n>            for --create (default: the broker\'s)',
    '  --replica-assignment <b:b,b:b>      explicit replicas per partition for --create',
    '  --config <key=value>                a topic config for --create, repeatable',
    '  --if-exists                         --alter/--describe/--delete: no error when no topic matches',
    '  --if-not-exists                     --create: no error when the topic exists',
    '  --exclude-internal                  leave out internal topics (__consumer_offsets, …)',
    '  --topics-with-overrides             --describe: only topics with overridden configs',
    '  --under-replicated-partitions       --describe: only partitions whose ISR is short',
    '  --unavailable-partitions            --describe: only partitions without a live leader',
    ...COMMON_HELP,
    '',
    'Examples:',
    '  samsa topics --create --topic orders --partitions 3 --config retention.ms=86400000',
    '  samsa topics --describe --topic orders',
    '  samsa topics --alter --topic orders --partitions 6',
    '  samsa topics --list --bootstrap-server kafka-1:9092',
    '',
  ].join('\n')
}

export const topicsCommand: AdminCommand = {
  name: 'topics',
  options: {
    list: { kind: 'flag' },
    create: { kind: 'flag' },
    describe: { kind: 'flag' },
    alter: { kind: 'flag' },
    delete: { kind: 'flag' },
    topic: { kind: 'value' },
    partitions: { kind: 'value' },
    'replication-factor': { kind: 'value' },
    'replica-assignment': { kind: 'value' },
    config: { kind: 'value', multiple: true },
    'if-exists': { kind: 'flag' },
    'if-not-exists': { kind: 'flag' },
    'exclude-internal': { kind: 'flag' },
    'topics-with-overrides': { kind: 'flag' },
    'under-replicated-partitions': { kind: 'flag' },
    'unavailable-partitions': { kind: 'flag' },
  },
  help,
  async run (ctx) {
    const action = ctx.args.action(ACTIONS)
    switch (action) {
      case 'list':
        ctx.args.only(action, ['topic', 'exclude-internal'])
        return await list(ctx)
      case 'create':
        ctx.args.only(action, ['topic', 'partitions', 'replication-factor', 'replica-assignment', 'config', 'if-not-exists'])
        return await create(ctx)
      case 'describe':
        ctx.args.only(action, ['topic', 'if-exists', 'exclude-internal', 'topics-with-overrides', 'under-replicated-partitions', 'unavailable-partitions'])
        return await describe(ctx)
      case 'alter':
        ctx.args.only(action, ['topic', 'partitions', 'if-exists'])
        return await alter(ctx)
      case 'delete':
        ctx.args.only(action, ['topic', 'if-exists'])
        return await remove(ctx)
    }
  },
}

/** Kafka's TopicFilter: commas are alternatives, spaces and surrounding quotes dropped, whole-name match. */
export function topicFilter (raw: string): RegExp {
  const source = raw.trim().replaceAll(',', '|').replaceAll(' ', '').replace(/^["']+/, '').replace(/["']+$/, '')
  try {
    return new RegExp(`^(?:${source})$`)
  } catch {
    throw new UsageError(`${source} is an invalid regex.`)
  }
}

const isInternal = (t: { name: string, isInternal: boolean }): boolean => t.isInternal || INTERNAL_TOPICS.has(t.name)

/** Topics matching --topic (all without it), sorted, honouring --exclude-internal. */
async function matchingTopics (client: AdminClient, args: Args): Promise<TopicInfo[]> {
  const meta = await client.metadata(null)
  const pattern = args.value('topic')
  const filter = pattern !== undefined ? topicFilter(pattern) : null
  const exclude = args.has('exclude-internal')
  return meta.topics
    .filter((t) => (filter === null || filter.test(t.name)) && !(exclude && isInternal(t)))
    .sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
}

/** Kafka's "does not exist as expected", unless --if-exists. */
function ensureFound (found: readonly TopicInfo[], args: Args): boolean {
  const requested = args.value('topic')
  if (found.length > 0) return true
  if (requested !== undefined && requested !== '' && !args.has('if-exists')) {
    throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${requested}' does not exist as expected`)
  }
  return false
}

async function list (ctx: CommandContext): Promise<number> {
  for (const t of await matchingTopics(await ctx.client(), ctx.args)) ctx.out(t.name)
  return 0
}

/** `key=value` the way kafka-topics.sh splits it (on `=` with optional spaces around). */
export function parseTopicConfigs (entries: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = []
  for (const entry of entries) {
    const parts = entry.split(/\s*=\s*/)
    if (parts.length !== 2 || parts[0]!.trim() === '') {
      throw new UsageError(`Invalid topic config "${entry}": all configs to be added must be in the format "key=val"`)
    }
    out.push([parts[0]!.trim(), parts[1]!.trim()])
  }
  return out
}

/** `0:1,1:2` → [[0,1],[1,2]]: one broker list per partition, all the same length. */
export function parseReplicaAssignment (text: string): number[][] {
  const out: number[][] = []
  for (const [i, part] of text.split(',').entries()) {
    const brokers = part.split(':').map((b) => {
      const n = Number(b.trim())
      if (b.trim() === '' || !Number.isInteger(n) || n < 0) throw new UsageError(`Invalid broker id "${b.trim()}" in --replica-assignment`)
      return n
    })
    const dup = brokers.filter((b, j) => brokers.indexOf(b) !== j)
    if (dup.length > 0) throw new UsageError(`Partition replica lists may not contain duplicate entries: ${[...new Set(dup)].join(',')}`)
    if (out.length > 0 && brokers.length !== out[0]!.length) throw new UsageError(`Partition ${i} has different replication factor: ${brokers.join(',')}`)
    out.push(brokers)
  }
  return out
}

async function create (ctx: CommandContext): Promise<number> {
  const { args } = ctx
  const name = args.required('topic', 'with --create')
  const partitions = args.int('partitions', 1, 2_147_483_647)
  const replicationFactor = args.int('replication-factor', 1, 32_767)
  const assignmentText = args.value('replica-assignment')
  if (assignmentText !== undefined && (partitions !== undefined || replicationFactor !== undefined)) {
    throw new UsageError('Option --replica-assignment cannot be used with --partitions or --replication-factor')
  }
  const configs = parseTopicConfigs(args.all('config'))
  const client = await ctx.client()
  try {
    await client.createTopic({
      name,
      partitions: partitions ?? -1,
      replicationFactor: replicationFactor ?? -1,
      configs,
      ...(assignmentText !== undefined ? { assignments: parseReplicaAssignment(assignmentText) } : {}),
    })
  } catch (e) {
    if (e instanceof KafkaError && e.code === ErrorCode.TOPIC_ALREADY_EXISTS && args.has('if-not-exists')) return 0
    throw e
  }
  ctx.out(`Created topic ${name}.`)
  return 0
}

async function describe (ctx: CommandContext): Promise<number> {
  const { args } = ctx
  const client = await ctx.client()
  const topics = await matchingTopics(client, args)
  if (!ensureFound(topics, args)) return 0
  const meta = await client.metadata(topics.map((t) => t.name))
  const live = new Set(meta.brokers.map((b) => b.nodeId))
  const configs = await Promise.all(meta.topics.map((t) => client.describeConfigs(ResourceType.TOPIC, t.name, false)))
  const underReplicated = args.has('under-replicated-partitions')
  const unavailable = args.has('unavailable-partitions')
  const overridesOnly = args.has('topics-with-overrides')
  const describeConfigs = !underReplicated && !unavailable
  const ordered = meta.topics.map((t, i) => ({ t, overrides: configs[i]!.filter((c) => c.configSource !== DEFAULT_CONFIG_SOURCE) }))
    .sort((a, b) => a.t.name < b.t.name ? -1 : a.t.name > b.t.name ? 1 : 0)
  for (const { t, overrides } of ordered) {
    if (t.errorCode !== 0 && t.partitions.length === 0) throw new KafkaError(t.errorCode, inContext(t.errorCode, `describing topic '${t.name}'`))
    if (describeConfigs && (!overridesOnly || overrides.length > 0)) {
      const rf = t.partitions[0]?.replicas.length ?? 0
      const id = t.topicId !== '' && t.topicId !== 'AAAAAAAAAAAAAAAAAAAAAA' ? `\tTopicId: ${t.topicId}` : ''
      ctx.out(`Topic: ${t.name}${id}\tPartitionCount: ${t.partitions.length}\tReplicationFactor: ${rf}\tConfigs: ${overrides.map((c) => `${c.name}=${c.value ?? 'null'}`).join(',')}`)
    }
    if (overridesOnly) continue
    for (const p of t.partitions) {
      const hasLeader = p.leader >= 0
      const show = describeConfigs ||
        (underReplicated && p.replicas.length - p.isr.length > 0) ||
        (unavailable && (!hasLeader || !live.has(p.leader)))
      if (!show) continue
      ctx.out(`\tTopic: ${t.name}\tPartition: ${p.partition}\tLeader: ${hasLeader ? p.leader : 'none'}\tReplicas: ${p.replicas.join(',')}\tIsr: ${p.isr.join(',')}`)
    }
  }
  return 0
}

async function alter (ctx: CommandContext): Promise<number> {
  const { args } = ctx
  args.required('topic', 'with --alter')
  const partitions = args.int('partitions', 1, 2_147_483_647)
  if (partitions === undefined) throw new UsageError('Missing required option --partitions with --alter (topic configs are altered with samsa configs)')
  const client = await ctx.client()
  const topics = await matchingTopics(client, args)
  if (!ensureFound(topics, args)) return 0
  for (const t of topics) await client.createPartitions(t.name, partitions)
  return 0
}

async function remove (ctx: CommandContext): Promise<number> {
  const { args } = ctx
  args.required('topic', 'with --delete')
  const client = await ctx.client()
  const topics = await matchingTopics(client, args)
  if (!ensureFound(topics, args)) return 0
  const internal = topics.filter(isInternal)
  if (internal.length > 0) throw new AdminError(`Topic ${internal[0]!.name} is a kafka internal topic and is not allowed to be marked for deletion.`)
  await client.deleteTopics(topics.map((t) => t.name))
  return 0
}
