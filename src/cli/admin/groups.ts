// `samsa groups`, after kafka-consumer-groups.sh: --list, --describe (offsets and lag,
// --members, --state), --reset-offsets (only for an inactive group, as Kafka requires)
// and --delete, for classic consumer groups.

import { Reader } from '../../../protocol/wire/reader.ts'
import type { DescribedGroup } from '../../../protocol/messages/describe-groups-response.ts'
import { ErrorCode } from '../../../protocol/error-codes.ts'
import { tpFromKey, tpKey, type AdminClient, type ClusterNode, type OffsetMap, type TopicPartition } from './admin-client.ts'
import type { Args } from './args.ts'
import { AdminError, KafkaError, UsageError } from './errors.ts'
import { formatAddress } from './kafka-connection.ts'
import { COMMON_HELP, tableRow, type AdminCommand, type CommandContext } from './common.ts'

const ACTIONS = ['list', 'describe', 'reset-offsets', 'delete'] as const
const SCENARIOS = ['to-offset', 'to-earliest', 'to-latest', 'to-current', 'shift-by', 'to-datetime', 'by-duration'] as const
const MISSING = '-'
const REBALANCING = new Set(['PreparingRebalance', 'CompletingRebalance', 'Assigning', 'Reconciling'])

function help (): string {
  return [
    'Usage: samsa groups [--bootstrap-server <host:port>] <action> [options]',
    '',
    'Lists, describes, resets and deletes consumer groups on any Kafka-protocol broker,',
    'with the options and output of Kafka\'s kafka-consumer-groups.sh.',
    '',
    'Actions (exactly one):',
    '  --list                              group ids, one a line; with --state [s1,s2] a',
    '                                      GROUP/STATE table, optionally only those states',
    '  --describe --group <g>              per partition: CURRENT-OFFSET, LOG-END-OFFSET, LAG and',
    '                                      the member that has it; or --members [--verbose], --state',
    '  --reset-offsets --group <g>         move the committed offsets of an inactive (Empty) group',
    '  --delete --group <g>                delete an inactive group and its offsets',
    '',
    'Options:',
    '  --group <g>                         the group, repeatable',
    '  --all-groups                        every consumer group instead of --group',
    '  --members [--verbose]               --describe: the members (and their partitions)',
    '  --offsets                           --describe: offsets and lag (the default)',
    '  --state                             --describe: coordinator, assignor, state, member count',
    '  --topic <t[:p,p…]>                  --reset-offsets: the topic (all or some partitions), repeatable',
    '  --all-topics                        --reset-offsets: every topic the group has offsets for',
    '  --to-earliest | --to-latest | --to-current | --to-offset <n> | --shift-by <±n> |',
    '  --to-datetime <YYYY-MM-DDTHH:mm:SS.sss[Z|±hh:mm]> | --by-duration <PnDTnHnMnS>',
    '                                      --reset-offsets: where to (exactly one)',
    '  --dry-run                           show the new offsets only (the default)',
    '  --execute                           commit the new offsets',
    ...COMMON_HELP,
    '',
    'Examples:',
    '  samsa groups --list',
    '  samsa groups --describe --group billing',
    '  samsa groups --reset-offsets --group billing --topic orders --to-earliest --execute',
    '  samsa groups --reset-offsets --group billing --topic orders:0,1 --shift-by -100 --dry-run',
    '',
  ].join('\n')
}

export const groupsCommand: AdminCommand = {
  name: 'groups',
  options: {
    list: { kind: 'flag' },
    describe: { kind: 'flag' },
    'reset-offsets': { kind: 'flag' },
    delete: { kind: 'flag' },
    group: { kind: 'value', multiple: true },
    'all-groups': { kind: 'flag' },
    members: { kind: 'flag' },
    verbose: { kind: 'flag' },
    offsets: { kind: 'flag' },
    state: { kind: 'optional' },
    topic: { kind: 'value', multiple: true },
    'all-topics': { kind: 'flag' },
    'to-offset': { kind: 'value' },
    'to-earliest': { kind: 'flag' },
    'to-latest': { kind: 'flag' },
    'to-current': { kind: 'flag' },
    'shift-by': { kind: 'value' },
    'to-datetime': { kind: 'value' },
    'by-duration': { kind: 'value' },
    'dry-run': { kind: 'flag' },
    execute: { kind: 'flag' },
  },
  help,
  async run (ctx) {
    const action = ctx.args.action(ACTIONS)
    switch (action) {
      case 'list':
        ctx.args.only(action, ['state'])
        return await list(ctx)
      case 'describe':
        ctx.args.only(action, ['group', 'all-groups', 'members', 'verbose', 'offsets', 'state'])
        return await describe(ctx)
      case 'reset-offsets':
        ctx.args.only(action, ['group', 'all-groups', 'topic', 'all-topics', ...SCENARIOS, 'dry-run', 'execute'])
        return await resetOffsets(ctx)
      case 'delete':
        ctx.args.only(action, ['group', 'all-groups'])
        return await deleteGroups(ctx)
    }
  },
}

/** Consumer groups only: Kafka's tool leaves out Connect workers and other protocol types. */
async function consumerGroups (client: AdminClient): Promise<Array<{ groupId: string, state: string }>> {
  return (await client.listGroups()).filter((g) => g.protocolType === 'consumer' || g.protocolType === '')
}

async function list (ctx: CommandContext): Promise<number> {
  const client = await ctx.client()
  const groups = await consumerGroups(client)
  if (!ctx.args.has('state')) {
    for (const g of groups) ctx.out(g.groupId)
    return 0
  }
  const wanted = (ctx.args.value('state') ?? '').split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '')
  const rows = groups.filter((g) => wanted.length === 0 || wanted.includes(g.state.toLowerCase()))
  const width = Math.max(15, ...rows.map((g) => g.groupId.length)) + 10
  ctx.out(tableRow(['GROUP', 'STATE'], [width]))
  for (const g of rows) ctx.out(tableRow([g.groupId, g.state === '' ? 'Unknown' : g.state], [width]))
  return 0
}

async function groupIds (ctx: CommandContext, client: AdminClient): Promise<string[]> {
  const { args } = ctx
  if (args.has('all-groups')) {
    if (args.has('group')) throw new UsageError('Option --all-groups cannot be used with --group')
    return (await consumerGroups(client)).map((g) => g.groupId)
  }
  const groups = args.all('group')
  if (groups.length === 0) throw new UsageError('Option --group or --all-groups is required')
  return [...new Set(groups)].sort()
}

/** The topic-partitions in a ConsumerProtocol assignment (any version: the layout starts the same). */
export function decodeAssignment (bytes: Buffer): TopicPartition[] {
  if (bytes.length < 2) return []
  try {
    const r = new Reader(bytes)
    r.int16()
    const out: TopicPartition[] = []
    const topics = r.arrayLength()
    for (let i = 0; i < topics; i++) {
      const topic = r.string()
      const n = r.arrayLength()
      for (let j = 0; j < n; j++) out.push({ topic, partition: r.int32() })
    }
    return out
  } catch {
    return []
  }
}

function byTopicPartition (a: TopicPartition, b: TopicPartition): number {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition
}

interface OffsetRow {
  group: string
  topic: string
  partition: number
  current: number | undefined
  end: number | undefined
  consumerId: string
  host: string
  clientId: string
}

/** Checks the group exists and is a consumer group; notes an empty or rebalancing one. */
function checkDescribable (ctx: CommandContext, g: DescribedGroup): void {
  if (g.groupState === 'Dead') throw new AdminError(`Consumer group '${g.groupId}' does not exist.`)
  if (g.protocolType !== 'consumer' && g.protocolType !== '') throw new AdminError(`Group '${g.groupId}' is not a consumer group (protocol type ${g.protocolType}).`)
  if (g.groupState === 'Empty') ctx.note(`Consumer group '${g.groupId}' has no active members.`)
  else if (REBALANCING.has(g.groupState)) ctx.note(`Warning: Consumer group '${g.groupId}' is rebalancing.`)
}

async function describe (ctx: CommandContext): Promise<number> {
  const { args } = ctx
  const subActions = ['members', 'offsets', 'state'].filter((o) => args.has(o))
  if (subActions.length > 1) throw new UsageError('Only one of --members, --offsets and --state can be used with --describe')
  if (args.has('verbose') && !args.has('members')) throw new UsageError('Option --verbose can only be used with --describe --members')
  if (args.has('state') && args.value('state') !== '') throw new UsageError('--state takes no value with --describe')
  const client = await ctx.client()
  let failed = 0
  for (const groupId of await groupIds(ctx, client)) {
    try {
      const { group, coordinator } = await client.describeGroup(groupId)
      checkDescribable(ctx, group)
      if (args.has('members')) printMembers(ctx, group, args.has('verbose'))
      else if (args.has('state')) printState(ctx, group, coordinator)
      else await printOffsets(ctx, client, group)
    } catch (e) {
      if (!(e instanceof AdminError)) throw e
      ctx.note(`Error: ${e.message}`)
      failed++
    }
  }
  return failed > 0 ? 1 : 0
}

async function printOffsets (ctx: CommandContext, client: AdminClient, g: DescribedGroup): Promise<void> {
  const committed = await client.fetchOffsets(g.groupId)
  const rows: OffsetRow[] = []
  const assigned = new Set<string>()
  const members = g.members
    .map((m) => ({ m, partitions: decodeAssignment(m.memberAssignment).sort(byTopicPartition) }))
    .filter((x) => x.partitions.length > 0)
    .sort((a, b) => b.partitions.length - a.partitions.length)
  for (const { m, partitions } of members) {
    for (const tp of partitions) {
      assigned.add(tpKey(tp.topic, tp.partition))
      rows.push({ group: g.groupId, ...tp, current: committed.get(tpKey(tp.topic, tp.partition)), end: undefined, consumerId: m.memberId, host: m.clientHost, clientId: m.clientId })
    }
  }
  const unassigned = [...committed.keys()].filter((k) => !assigned.has(k)).map(tpFromKey).sort(byTopicPartition)
  for (const tp of unassigned) {
    rows.push({ group: g.groupId, ...tp, current: committed.get(tpKey(tp.topic, tp.partition)), end: undefined, consumerId: MISSING, host: MISSING, clientId: MISSING })
  }
  if (rows.length === 0) return
  const ends = await logEndOffsets(client, rows)
  for (const r of rows) r.end = ends.get(tpKey(r.topic, r.partition))

  const w = (min: number, pick: (r: OffsetRow) => string): number => Math.max(min, ...rows.map((r) => pick(r).length))
  const widths = [w(15, (r) => r.group), w(15, (r) => r.topic), 10, 15, 15, 15, w(15, (r) => r.consumerId), w(15, (r) => r.host)]
  ctx.out('')
  ctx.out(tableRow(['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'], widths))
  for (const r of rows) {
    const lag = r.current !== undefined && r.end !== undefined ? String(r.end - r.current) : MISSING
    ctx.out(tableRow([r.group, r.topic, r.partition, r.current ?? MISSING, r.end ?? MISSING, lag, r.consumerId, r.host, r.clientId], widths))
  }
}

/** Log end offsets; a partition whose topic is gone shows "-" rather than failing the describe. */
async function logEndOffsets (client: AdminClient, tps: readonly TopicPartition[]): Promise<OffsetMap> {
  const meta = await client.metadata([...new Set(tps.map((tp) => tp.topic))])
  const exists = (tp: TopicPartition): boolean => meta.topics.some((t) => t.name === tp.topic && t.partitions.some((p) => p.partition === tp.partition))
  const unique = new Map(tps.filter(exists).map((tp) => [tpKey(tp.topic, tp.partition), { topic: tp.topic, partition: tp.partition }]))
  return await client.listOffsets([...unique.values()], -1)
}

function printMembers (ctx: CommandContext, g: DescribedGroup, verbose: boolean): void {
  const members = g.members.map((m) => ({
    id: m.memberId,
    instance: m.groupInstanceId ?? '',
    host: m.clientHost,
    clientId: m.clientId,
    partitions: decodeAssignment(m.memberAssignment),
  }))
  if (members.length === 0) return
  const withInstance = members.some((m) => m.instance !== '')
  const w = (min: number, pick: (m: typeof members[number]) => string): number => Math.max(min, ...members.map((m) => pick(m).length))
  const header = ['GROUP', 'CONSUMER-ID', ...(withInstance ? ['GROUP-INSTANCE-ID'] : []), 'HOST', 'CLIENT-ID', '#PARTITIONS', ...(verbose ? ['ASSIGNMENT'] : [])]
  const widths = [Math.max(15, g.groupId.length), w(15, (m) => m.id), ...(withInstance ? [w(17, (m) => m.instance)] : []), w(15, (m) => m.host), w(15, (m) => m.clientId), 15]
  ctx.out('')
  ctx.out(tableRow(header, widths))
  for (const m of members) {
    const assignment = verbose ? [formatAssignment(m.partitions)] : []
    ctx.out(tableRow([g.groupId, m.id, ...(withInstance ? [m.instance] : []), m.host, m.clientId, m.partitions.length, ...assignment], widths))
  }
}

/** `topic(0,1), other(2)`, as Kafka prints a member's assignment. */
function formatAssignment (tps: readonly TopicPartition[]): string {
  if (tps.length === 0) return MISSING
  const byTopic = new Map<string, number[]>()
  for (const tp of tps) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition])
  return [...byTopic].map(([t, ps]) => `${t}(${ps.sort((a, b) => a - b).join(',')})`).sort().join(', ')
}

function printState (ctx: CommandContext, g: DescribedGroup, coordinator: ClusterNode): void {
  const coord = `${formatAddress(coordinator)}  (${coordinator.nodeId})`
  const widths = [Math.max(25, g.groupId.length), Math.max(25, coord.length), 20, 15]
  ctx.out('')
  ctx.out(tableRow(['GROUP', 'COORDINATOR (ID)', 'ASSIGNMENT-STRATEGY', 'STATE', '#MEMBERS'], widths))
  ctx.out(tableRow([g.groupId, coord, g.protocolData, g.groupState, g.members.length], widths))
}

// ---- reset-offsets ----

/** Kafka's Utils.getDateTime: an ISO date-time, UTC unless a zone is given. */
export function parseDateTime (text: string): number {
  const t = text.trim()
  const [, time] = t.split('T')
  if (time === undefined) throw new UsageError(`Error parsing timestamp "${text}": it does not contain a 'T' according to ISO8601 format`)
  const withZone = /[Z+-]/.test(time) ? t : `${t}Z`
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}(:?\d{2})?)$/.test(withZone) ? Date.parse(withZone) : NaN
  if (Number.isNaN(ms)) throw new UsageError(`Error parsing timestamp "${text}": expected YYYY-MM-DDTHH:mm:SS.sss, optionally with Z or ±hh:mm`)
  return ms
}

/** An ISO-8601 duration as Kafka's --by-duration takes it (PnDTnHnMnS), in ms. */
export function parseDuration (text: string): number {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(text.trim())
  if (m === null || text.trim().toUpperCase() === 'P' || text.trim().toUpperCase().endsWith('T')) {
    throw new UsageError(`Invalid --by-duration "${text}": expected an ISO-8601 duration such as P1DT2H30M or PT15M`)
  }
  const [, d = '0', h = '0', min = '0', s = '0'] = m
  return ((Number(d) * 24 + Number(h)) * 60 + Number(min)) * 60_000 + Math.round(Number(s) * 1000)
}

type Scenario = typeof SCENARIOS[number]

function scenario (args: Args): Scenario {
  const given = SCENARIOS.filter((s) => args.has(s))
  const list = SCENARIOS.map((s) => `--${s}`).join(', ')
  if (given.length === 0) throw new UsageError(`Option --reset-offsets requires one of the following scenarios: ${list}`)
  if (given.length > 1) throw new UsageError(`Only one scenario can be given with --reset-offsets, not ${given.map((s) => `--${s}`).join(' and ')}`)
  return given[0]!
}

/** --topic t (every partition) or t:0,1 (those), or --all-topics (every committed one). */
async function partitionsToReset (ctx: CommandContext, client: AdminClient, committed: OffsetMap): Promise<TopicPartition[]> {
  const { args } = ctx
  if (args.has('all-topics')) return [...committed.keys()].map(tpFromKey).sort(byTopicPartition)
  const out = new Map<string, TopicPartition>()
  const whole: string[] = []
  for (const arg of args.all('topic')) {
    if (!arg.includes(':')) {
      whole.push(arg)
      continue
    }
    const parts = arg.split(':')
    if (parts.length !== 2 || parts[0] === '') throw new UsageError(`Invalid topic arg '${arg}', expected topic name and partitions`)
    for (const p of parts[1]!.split(',')) {
      if (!/^\d+$/.test(p.trim())) throw new UsageError(`Invalid partition '${p}' specified in topic arg '${arg}'`)
      out.set(tpKey(parts[0]!, Number(p)), { topic: parts[0]!, partition: Number(p) })
    }
  }
  if (whole.length > 0) {
    const meta = await client.metadata(whole)
    for (const name of whole) {
      const t = meta.topics.find((x) => x.name === name)
      if (t === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`)
      for (const p of t.partitions) out.set(tpKey(name, p.partition), { topic: name, partition: p.partition })
    }
  }
  return [...out.values()].sort(byTopicPartition)
}

/** Clamps requested offsets into [log start, log end], warning as Kafka does. */
async function withinRange (ctx: CommandContext, client: AdminClient, requested: OffsetMap): Promise<OffsetMap> {
  const tps = [...requested.keys()].map(tpFromKey)
  const [starts, ends] = await Promise.all([client.listOffsets(tps, -2), client.listOffsets(tps, -1)])
  const out: OffsetMap = new Map()
  for (const [key, offset] of requested) {
    const { topic, partition } = tpFromKey(key)
    const start = starts.get(key)!
    const end = ends.get(key)!
    if (offset > end) {
      ctx.note(`Warning: New offset (${offset}) is higher than latest offset for topic partition ${topic}-${partition}. Value will be set to ${end}`)
      out.set(key, end)
    } else if (offset < start) {
      ctx.note(`Warning: New offset (${offset}) is lower than earliest offset for topic partition ${topic}-${partition}. Value will be set to ${start}`)
      out.set(key, start)
    } else {
      out.set(key, offset)
    }
  }
  return out
}

async function newOffsets (ctx: CommandContext, client: AdminClient, which: Scenario, tps: readonly TopicPartition[], committed: OffsetMap): Promise<OffsetMap> {
  const { args } = ctx
  const keys = tps.map((tp) => tpKey(tp.topic, tp.partition))
  switch (which) {
    case 'to-earliest':
      return await client.listOffsets(tps, -2)
    case 'to-latest':
      return await client.listOffsets(tps, -1)
    case 'to-current': {
      const ends = await client.listOffsets(tps.filter((tp) => !committed.has(tpKey(tp.topic, tp.partition))), -1)
      return new Map(keys.map((k) => [k, committed.get(k) ?? ends.get(k)!]))
    }
    case 'to-offset': {
      const offset = args.int('to-offset', 0, Number.MAX_SAFE_INTEGER)!
      return await withinRange(ctx, client, new Map(keys.map((k) => [k, offset])))
    }
    case 'shift-by': {
      const shift = args.int('shift-by', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)!
      const requested: OffsetMap = new Map()
      for (const k of keys) {
        const current = committed.get(k)
        if (current === undefined) {
          const { topic, partition } = tpFromKey(k)
          throw new AdminError(`Cannot shift offset for partition ${topic}-${partition} since there is no current committed offset`)
        }
        requested.set(k, current + shift)
      }
      return await withinRange(ctx, client, requested)
    }
    case 'to-datetime':
    case 'by-duration': {
      const at = which === 'to-datetime' ? parseDateTime(args.value(which)!) : Date.now() - parseDuration(args.value(which)!)
      const found = await client.listOffsets(tps, at)
      const none = tps.filter((tp) => (found.get(tpKey(tp.topic, tp.partition)) ?? -1) < 0)
      for (const tp of none) ctx.note(`Warning: Partition ${tp.partition} from topic ${tp.topic} has no record at or after that time. Falling back to latest known offset.`)
      const ends = await client.listOffsets(none, -1)
      return new Map(keys.map((k) => [k, (found.get(k) ?? -1) >= 0 ? found.get(k)! : ends.get(k)!]))
    }
  }
}

async function resetOffsets (ctx: CommandContext): Promise<number> {
  const { args } = ctx
  if (args.has('all-topics') === args.has('topic')) {
    throw new UsageError(args.has('topic') ? 'Option --all-topics cannot be used with --topic' : 'One of the reset scopes should be defined: --all-topics, --topic.')
  }
  const which = scenario(args)
  if (args.has('dry-run') && args.has('execute')) throw new UsageError('Option --dry-run cannot be used with --execute')
  // Validate the scenario's value before touching the cluster.
  if (which === 'to-offset') args.int('to-offset', 0, Number.MAX_SAFE_INTEGER)
  if (which === 'shift-by') args.int('shift-by', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)
  if (which === 'to-datetime') parseDateTime(args.value(which)!)
  if (which === 'by-duration') parseDuration(args.value(which)!)
  const execute = args.has('execute')
  if (!execute && !args.has('dry-run')) {
    ctx.note('WARN: No action will be performed as the --execute option is missing. Add --dry-run to keep this behaviour without the warning.')
  }

  const client = await ctx.client()
  const plans: Array<{ group: string, offsets: OffsetMap }> = []
  for (const groupId of await groupIds(ctx, client)) {
    const { group } = await client.describeGroup(groupId)
    if (group.groupState !== 'Empty' && group.groupState !== 'Dead') {
      throw new AdminError(`Assignments can only be reset if the group '${groupId}' is inactive, but the current state is ${group.groupState}.`)
    }
    const committed = await client.fetchOffsets(groupId)
    const tps = await partitionsToReset(ctx, client, committed)
    const offsets = await newOffsets(ctx, client, which, tps, committed)
    if (execute && offsets.size > 0) await client.commitOffsets(groupId, offsets)
    plans.push({ group: groupId, offsets })
  }

  const rows = plans.flatMap(({ group, offsets }) => [...offsets].map(([k, offset]) => ({ group, ...tpFromKey(k), offset })))
  if (rows.length > 0) {
    const widths = [30, 30, 10, 15]
    ctx.out('')
    ctx.out(tableRow(['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'], widths))
    for (const r of rows) ctx.out(tableRow([r.group, r.topic, r.partition, r.offset], widths))
  }
  return 0
}

// ---- delete ----

async function deleteGroups (ctx: CommandContext): Promise<number> {
  const client = await ctx.client()
  const deleted: string[] = []
  let failed = 0
  for (const groupId of await groupIds(ctx, client)) {
    try {
      await client.deleteGroup(groupId)
      deleted.push(groupId)
    } catch (e) {
      if (!(e instanceof AdminError)) throw e
      ctx.note(`Error: Group '${groupId}' could not be deleted: ${e.message}`)
      failed++
    }
  }
  if (deleted.length > 0) ctx.out(`Deletion of requested consumer groups ('${deleted.join("', '")}') was successful.`)
  return failed > 0 ? 1 : 0
}
