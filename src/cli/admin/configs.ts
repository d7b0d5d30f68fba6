// `samsa configs`, after kafka-configs.sh: --describe [--all] and --alter with
// --add-config / --delete-config (IncrementalAlterConfigs) for topics, brokers (one
// broker, or the cluster-wide defaults) and broker loggers.

import { ErrorCode } from '../../../protocol/error-codes.ts'
import type { DescribeConfigsResourceResult } from '../../../protocol/messages/describe-configs-response.ts'
import { ConfigOp, ResourceType, type AdminClient, type ConfigAlteration } from './admin-client.ts'
import type { Args } from './args.ts'
import { KafkaError, UsageError } from './errors.ts'
import { COMMON_HELP, type AdminCommand, type CommandContext } from './common.ts'

/** Kafka's ConfigEntry.ConfigSource names, by wire id. */
const SOURCE_NAMES: Readonly<Record<number, string>> = {
  0: 'UNKNOWN',
  1: 'DYNAMIC_TOPIC_CONFIG',
  2: 'DYNAMIC_BROKER_CONFIG',
  3: 'DYNAMIC_DEFAULT_BROKER_CONFIG',
  4: 'STATIC_BROKER_CONFIG',
  5: 'DEFAULT_CONFIG',
  6: 'DYNAMIC_BROKER_LOGGER_CONFIG',
  7: 'DYNAMIC_CLIENT_METRICS_CONFIG',
  8: 'DYNAMIC_GROUP_CONFIG',
}

const ENTITY_TYPES = ['topics', 'brokers', 'broker-loggers'] as const
type EntityType = typeof ENTITY_TYPES[number]
const KAFKA_ONLY_TYPES = new Set(['users', 'clients', 'ips', 'client-metrics', 'groups'])

interface Entity {
  type: EntityType
  /** '' = the cluster-wide broker defaults. */
  name: string
}

function help (): string {
  return [
    'Usage: samsa configs [--bootstrap-server <host:port>] --entity-type <type> [--entity-name <name>] <action> [options]',
    '',
    'Describes and alters topic, broker and broker-logger configs on any Kafka-protocol',
    'broker, with the options and output of Kafka\'s kafka-configs.sh.',
    '',
    'Actions (exactly one):',
    '  --describe                          the dynamic configs (overrides) of the entity, or',
    '                                      with --all every config; without a name, of every entity',
    '  --alter                             change configs with --add-config and --delete-config',
    '',
    'Entity:',
    '  --entity-type <type>                topics, brokers or broker-loggers',
    '  --entity-name <name>                a topic name or a broker id',
    '  --entity-default                    with brokers: the cluster-wide defaults',
    '  --topic <name>                      same as --entity-type topics --entity-name <name>',
    '  --broker <id>                       same as --entity-type brokers --entity-name <id>',
    '  --broker-defaults                   same as --entity-type brokers --entity-default',
    '  --broker-logger <id>                same as --entity-type broker-loggers --entity-name <id>',
    '',
    'Options:',
    '  --all                               --describe: every config, not only the dynamic ones',
    '  --add-config <k=v[,k2=v2]>          configs to set; a list value goes in brackets:',
    '                                      cleanup.policy=[compact,delete]. Repeatable',
    '  --delete-config <k[,k2]>            configs to remove (back to the default). Repeatable',
    ...COMMON_HELP,
    '',
    'Examples:',
    '  samsa configs --entity-type topics --entity-name orders --describe',
    '  samsa configs --entity-type topics --entity-name orders --alter --add-config retention.ms=3600000,max.message.bytes=2097152',
    '  samsa configs --entity-type topics --entity-name orders --alter --delete-config retention.ms',
    '  samsa configs --entity-type brokers --entity-default --alter --add-config log.retention.ms=604800000',
    '  samsa configs --entity-type brokers --entity-name 0 --describe --all',
    '',
  ].join('\n')
}

export const configsCommand: AdminCommand = {
  name: 'configs',
  options: {
    describe: { kind: 'flag' },
    alter: { kind: 'flag' },
    'entity-type': { kind: 'value' },
    'entity-name': { kind: 'value' },
    'entity-default': { kind: 'flag' },
    topic: { kind: 'value' },
    broker: { kind: 'value' },
    'broker-defaults': { kind: 'flag' },
    'broker-logger': { kind: 'value' },
    all: { kind: 'flag' },
    'add-config': { kind: 'value', multiple: true },
    'delete-config': { kind: 'value', multiple: true },
  },
  help,
  async run (ctx) {
    const action = ctx.args.action(['describe', 'alter'] as const)
    const entity = parseEntity(ctx.args)
    if (action === 'describe') {
      ctx.args.only(action, [...ENTITY_OPTIONS, 'all'])
      return await describe(ctx, entity)
    }
    ctx.args.only(action, [...ENTITY_OPTIONS, 'add-config', 'delete-config'])
    return await alter(ctx, entity)
  },
}

const ENTITY_OPTIONS = ['entity-type', 'entity-name', 'entity-default', 'topic', 'broker', 'broker-defaults', 'broker-logger']

/** The entity from --entity-type/--entity-name/--entity-default or one shorthand; name undefined = all. */
function parseEntity (args: Args): { type: EntityType, name: string | undefined } {
  const shorthands = ['topic', 'broker', 'broker-defaults', 'broker-logger'].filter((o) => args.has(o))
  if (shorthands.length > 0) {
    if (shorthands.length > 1 || args.has('entity-type') || args.has('entity-name') || args.has('entity-default')) {
      throw new UsageError('--entity-{type,name,default} should not be used in conjunction with specific entity flags, nor two of those together')
    }
    const s = shorthands[0]!
    if (s === 'topic') return { type: 'topics', name: args.value('topic')! }
    if (s === 'broker') return { type: 'brokers', name: brokerId(args.value('broker')!, 'brokers') }
    if (s === 'broker-defaults') return { type: 'brokers', name: '' }
    return { type: 'broker-loggers', name: brokerId(args.value('broker-logger')!, 'broker-loggers') }
  }
  const typeText = args.value('entity-type')
  if (typeText === undefined) throw new UsageError('At least one entity type must be specified: --entity-type topics|brokers|broker-loggers')
  if (KAFKA_ONLY_TYPES.has(typeText)) throw new UsageError(`Entity type ${typeText} is not supported by samsa configs; it handles ${ENTITY_TYPES.join(', ')}`)
  if (!(ENTITY_TYPES as readonly string[]).includes(typeText)) {
    throw new UsageError(`Invalid entity type ${typeText}, the entity type must be one of ${ENTITY_TYPES.join(', ')}`)
  }
  const type = typeText as EntityType
  const name = args.value('entity-name')
  if (args.has('entity-default')) {
    if (name !== undefined) throw new UsageError('--entity-name and --entity-default cannot be used together')
    if (type !== 'brokers') throw new UsageError(`--entity-default is only supported with --entity-type brokers here, not ${type}`)
    return { type, name: '' }
  }
  if (name === undefined) return { type, name: undefined }
  if (type === 'topics' && name === '') throw new UsageError('--entity-name must not be empty for topics')
  return { type, name: type === 'topics' ? name : brokerId(name, type) }
}

function brokerId (name: string, type: string): string {
  if (!/^\d+$/.test(name.trim())) throw new UsageError(`The entity name for ${type} must be a valid integer broker id, found: ${name}`)
  return String(Number(name.trim()))
}

function resourceType (type: EntityType): number {
  return type === 'topics' ? ResourceType.TOPIC : type === 'brokers' ? ResourceType.BROKER : ResourceType.BROKER_LOGGER
}

/** Which sources count as "dynamic" for this entity (undefined: every entry, as Kafka does for loggers). */
function dynamicSource (e: Entity): number | undefined {
  if (e.type === 'topics') return 1
  if (e.type === 'brokers') return e.name === '' ? 3 : 2
  return undefined
}

async function entityConfigs (client: AdminClient, e: Entity, includeSynonyms: boolean, all: boolean): Promise<DescribeConfigsResourceResult[]> {
  const entries = await client.describeConfigs(resourceType(e.type), e.name, includeSynonyms)
  const source = all ? undefined : dynamicSource(e)
  return entries
    .filter((c) => source === undefined || c.configSource === source)
    .sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
}

async function describe (ctx: CommandContext, entity: { type: EntityType, name: string | undefined }): Promise<number> {
  const client = await ctx.client()
  const all = ctx.args.has('all')
  let names: string[]
  if (entity.name !== undefined) {
    names = [entity.name]
  } else if (entity.type === 'topics') {
    names = (await client.metadata(null)).topics.map((t) => t.name).sort()
  } else {
    const ids = (await client.metadata([])).brokers.map((b) => String(b.nodeId))
    names = entity.type === 'brokers' ? [...ids, ''] : ids
  }
  const singular = entity.type.slice(0, -1)
  for (const name of names) {
    const e: Entity = { type: entity.type, name }
    ctx.out(name === '' ? `Default configs for ${entity.type} in the cluster are:` : `${all ? 'All' : 'Dynamic'} configs for ${singular} ${name} are:`)
    for (const c of await entityConfigs(client, e, true, all)) {
      const synonyms = c.synonyms.map((s) => `${SOURCE_NAMES[s.source] ?? 'UNKNOWN'}:${s.name}=${s.value ?? 'null'}`).join(', ')
      ctx.out(`  ${c.name}=${c.value ?? 'null'} sensitive=${c.isSensitive} synonyms={${synonyms}}`)
    }
  }
  return 0
}

/**
 * `k=v,k2=[a,b]` as kafka-configs.sh reads --add-config: commas outside brackets separate
 * entries, `=` (spaces around allowed) separates key and value, brackets are dropped.
 */
export function parseAddConfig (text: string): Array<[string, string]> {
  const entries: string[] = []
  let depth = 0
  let current = ''
  for (const ch of text) {
    if (ch === '[') depth++
    else if (ch === ']') depth = Math.max(0, depth - 1)
    if (ch === ',' && depth === 0) {
      entries.push(current)
      current = ''
    } else {
      current += ch
    }
  }
  entries.push(current)
  const out: Array<[string, string]> = []
  for (const entry of entries) {
    if (entry.trim() === '') continue
    const parts = entry.split(/\s*=\s*/)
    if (parts.length !== 2) throw new UsageError(`Invalid entity config "${entry.trim()}": all configs to be added must be in the format "key=val"`)
    const key = parts[0]!.trim()
    if (!/^[a-zA-Z0-9._-]+$/.test(key)) throw new UsageError(`Invalid character found for config key: ${key}`)
    out.push([key, parts[1]!.replace(/[[\]]/g, '').trim()])
  }
  return out
}

async function alter (ctx: CommandContext, parsed: { type: EntityType, name: string | undefined }): Promise<number> {
  const { args } = ctx
  if (parsed.name === undefined) throw new UsageError(`An entity name must be specified with --alter of ${parsed.type}`)
  const entity: Entity = { type: parsed.type, name: parsed.name }
  const toAdd = args.all('add-config').flatMap(parseAddConfig)
  const toDelete = args.all('delete-config').flatMap((d) => d.split(',')).map((d) => d.trim()).filter((d) => d !== '')
  if (toAdd.length === 0 && toDelete.length === 0) throw new UsageError('At least one of --add-config or --delete-config must be specified with --alter')
  const both = toDelete.filter((k) => toAdd.some(([a]) => a === k))
  if (both.length > 0) throw new UsageError(`Config(s) both added and deleted: ${both.join(',')}`)

  const client = await ctx.client()
  // As kafka-configs.sh: deleting a config that is not set is an error, not a no-op.
  const current = new Set((await entityConfigs(client, entity, false, false)).map((c) => c.name))
  const missing = toDelete.filter((k) => !current.has(k))
  if (missing.length > 0) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Invalid config(s): ${missing.join(',')}`)

  const alterations: ConfigAlteration[] = [
    ...toAdd.map(([name, value]) => ({ name, op: ConfigOp.SET, value })),
    ...toDelete.map((name) => ({ name, op: ConfigOp.DELETE, value: null })),
  ]
  await client.incrementalAlterConfigs(resourceType(entity.type), entity.name, alterations)
  ctx.out(entity.name === ''
    ? `Completed updating default config for ${entity.type} in the cluster.`
    : `Completed updating config for ${entity.type.slice(0, -1)} ${entity.name}.`)
  return 0
}
