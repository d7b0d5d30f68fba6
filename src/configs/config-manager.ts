// Configs as Kafka's admin APIs see them (DescribeConfigs, AlterConfigs,
// IncrementalAlterConfigs): topic overrides live in the topic catalogue; dynamic broker
// configs (the log.* defaults Kafka lets you change at runtime) in
// `<data-dir>/samsa-broker-configs.meta`, cluster-wide ('' resource) or for this broker
// ('<node id>'); the broker logger's level lives in the logger. Changes apply at once:
// the shards get the new LogConfig and retention runs, so a lowered retention.ms
// deletes old segments without a restart.

import { join } from 'node:path'
import type { DescribeConfigsResourceResult } from '../../protocol/messages/describe-configs-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { TOPIC_CONFIGS, parseTopicConfigs } from '../../storage/log-config.ts'
import { readMetadataFile, writeMetadataFile } from '../../storage/metadata-file.ts'
import type { FileIO } from '../../storage/file-io.ts'
import { BROKER_LOG_KEYS, convertBrokerLogValue } from '../config/topic-defaults.ts'
import { OPTION_SPECS } from '../config/options-table.ts'
import type { BrokerOptions } from '../config/broker-options.ts'
import type { Logger } from '../logger.ts'
import type { ReplicaManager } from '../partitions/replica-manager.ts'
import type { TopicInfo, TopicRegistry } from '../topics/topic-registry.ts'
import { BROKER_SYNONYM_DEFAULTS, ConfigSource, ConfigType, ResourceType, TOPIC_CONFIG_INFO, kafkaValue } from './config-catalog.ts'

export const BROKER_CONFIGS_FILE = 'samsa-broker-configs.meta'

/** One config as DescribeConfigs reports it: the response's own type. */
export type DescribedConfig = DescribeConfigsResourceResult

export interface ResourceOutcome {
  errorCode: number
  errorMessage: string | null
}

/** One change of an (Incremental)AlterConfigs request; legacy AlterConfigs entries are SETs of a full set. */
export interface ConfigChange {
  name: string
  /** 0 SET, 1 DELETE, 2 APPEND, 3 SUBTRACT (IncrementalAlterConfigs' OpType). */
  op: number
  value: string | null
}

export interface ConfigHost {
  options: BrokerOptions
  logger: Logger
  topics: TopicRegistry
  replicas: ReplicaManager
}

interface StoredDynamic {
  /** Broker property → value, for every broker ('' resource). */
  cluster: Record<string, string>
  /** Broker property → value, for this broker. */
  broker: Record<string, string>
}

type Applied = { values: Record<string, string> } | { refused: ResourceOutcome }

const OK: ResourceOutcome = { errorCode: ErrorCode.NONE, errorMessage: null }
const fail = (errorCode: number, errorMessage: string): ResourceOutcome => ({ errorCode, errorMessage })

const LOG4J_LEVELS = ['ALL', 'DEBUG', 'ERROR', 'FATAL', 'INFO', 'OFF', 'TRACE', 'WARN']
const PINO_LEVEL: Record<string, string> = { ALL: 'trace', TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error', FATAL: 'fatal', OFF: 'silent' }
const LOG4J_LEVEL: Record<string, string> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR', fatal: 'FATAL', silent: 'OFF' }
export const ROOT_LOGGER = 'root'

export class ConfigManager {
  private readonly host: ConfigHost
  private readonly io: FileIO | null
  private readonly file: string | null
  private dynamic: StoredDynamic = { cluster: {}, broker: {} }

  constructor(host: ConfigHost, io: FileIO | null, dataDir: string | null) {
    this.host = host
    this.io = io
    this.file = dataDir === null ? null : join(dataDir, BROKER_CONFIGS_FILE)
  }

  private get nodeName(): string {
    return String(this.host.options.nodeId)
  }

  /** Reads the dynamic broker configs and applies them to the topic defaults (before partitions open). */
  load(): void {
    if (this.io === null || this.file === null) return
    const stored = readMetadataFile(this.io, this.file) as StoredDynamic | undefined
    if (stored === undefined) return
    this.dynamic = { cluster: { ...stored.cluster }, broker: { ...stored.broker } }
    this.host.topics.setBrokerDefaults(this.topicDefaults(this.dynamic))
  }

  /** Topic-config defaults: static ones under dynamic cluster ones under dynamic broker ones. */
  private topicDefaults(d: StoredDynamic): Record<string, string> {
    const out: Record<string, string> = { ...this.host.options.topicDefaults }
    for (const scope of [d.cluster, d.broker]) {
      // Within one scope the more specific property wins (log.retention.ms over .hours).
      const keys = Object.keys(scope).sort((a, b) => BROKER_LOG_KEYS[a]!.priority - BROKER_LOG_KEYS[b]!.priority)
      for (const key of keys) out[BROKER_LOG_KEYS[key]!.topicKey] = convertBrokerLogValue(key, scope[key])
    }
    return out
  }

  // ---- describe ----

  describe(resourceType: number, resourceName: string, keys: string[] | null, synonyms: boolean, documentation: boolean): ResourceOutcome & { configs: DescribedConfig[] } {
    const pick = (all: DescribedConfig[]): DescribedConfig[] => (keys === null ? all : all.filter((c) => keys.includes(c.name)))
    const finish = (all: DescribedConfig[]) => ({
      ...OK,
      configs: pick(all).map((c) => ({ ...c, synonyms: synonyms ? c.synonyms : [], documentation: documentation ? c.documentation : null })),
    })
    switch (resourceType) {
      case ResourceType.TOPIC: {
        const topic = this.host.topics.get(resourceName)
        if (topic === undefined) return { ...fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${resourceName}' does not exist.`), configs: [] }
        return finish(Object.keys(TOPIC_CONFIG_INFO).map((name) => this.describeTopicConfig(topic, name)))
      }
      case ResourceType.BROKER: {
        const bad = this.checkBrokerName(resourceName)
        if (bad !== null) return { ...bad, configs: [] }
        return finish(resourceName === '' ? this.describeClusterDefaults() : this.describeBroker())
      }
      case ResourceType.BROKER_LOGGER: {
        if (resourceName !== this.nodeName) return { ...fail(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${this.nodeName}, but received ${resourceName}`), configs: [] }
        return finish([this.describeLogger()])
      }
      default:
        return { ...fail(ErrorCode.INVALID_REQUEST, `Unsupported resource type ${resourceType}`), configs: [] }
    }
  }

  private checkBrokerName(name: string): ResourceOutcome | null {
    if (name === '' || name === this.nodeName) return null
    return fail(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${this.nodeName} or empty string, but received ${name}`)
  }

  /** A topic config: its override, else the broker's (dynamic, then static) default, else Kafka's. */
  private describeTopicConfig(topic: TopicInfo, name: string): DescribedConfig {
    const info = TOPIC_CONFIG_INFO[name]!
    const synonyms: DescribedConfig['synonyms'] = []
    const override = Object.hasOwn(topic.configs, name) ? kafkaValue(name, topic.configs[name]!) : null
    if (override !== null) synonyms.push({ name, value: override, source: ConfigSource.DYNAMIC_TOPIC_CONFIG })
    for (const [scope, source] of [[this.dynamic.broker, ConfigSource.DYNAMIC_BROKER_CONFIG], [this.dynamic.cluster, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG]] as const) {
      for (const key of info.brokerSynonyms) if (Object.hasOwn(scope, key)) synonyms.push({ name: key, value: scope[key]!, source })
    }
    const staticValue = this.host.options.topicDefaults[name]
    if (staticValue !== undefined && info.brokerSynonyms.length > 0) synonyms.push({ name: info.brokerSynonyms[0]!, value: kafkaValue(name, staticValue), source: ConfigSource.STATIC_BROKER_CONFIG })
    const lowest = info.brokerSynonyms[info.brokerSynonyms.length - 1]
    if (lowest !== undefined) synonyms.push({ name: lowest, value: BROKER_SYNONYM_DEFAULTS[lowest] ?? info.defaultValue, source: ConfigSource.DEFAULT_CONFIG })

    const spec = TOPIC_CONFIGS[name]
    let value: string
    let source: number
    if (override !== null) {
      value = override
      source = ConfigSource.DYNAMIC_TOPIC_CONFIG
    } else if (spec?.field !== undefined) {
      value = kafkaValue(name, String(topic.logConfig[spec.field]))
      source = synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG
    } else {
      value = info.defaultValue
      source = ConfigSource.DEFAULT_CONFIG
    }
    return { name, value, readOnly: false, isDefault: source === ConfigSource.DEFAULT_CONFIG, configSource: source, isSensitive: false, synonyms, configType: info.type, documentation: info.doc }
  }

  /** Broker '<id>': the log.* defaults (dynamic, static, Kafka's) and the broker's other options, read-only. */
  private describeBroker(): DescribedConfig[] {
    const out: DescribedConfig[] = []
    const effective = this.host.topics.defaults
    for (const [key, spec] of Object.entries(BROKER_LOG_KEYS)) {
      const synonyms: DescribedConfig['synonyms'] = []
      if (Object.hasOwn(this.dynamic.broker, key)) synonyms.push({ name: key, value: this.dynamic.broker[key]!, source: ConfigSource.DYNAMIC_BROKER_CONFIG })
      if (Object.hasOwn(this.dynamic.cluster, key)) synonyms.push({ name: key, value: this.dynamic.cluster[key]!, source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG })
      const info = TOPIC_CONFIG_INFO[spec.topicKey]!
      // The most specific property of a topic config carries its effective value in the topic config's unit.
      const primary = info.brokerSynonyms[0] === key
      const staticValue = this.host.options.topicDefaults[spec.topicKey]
      if (primary && staticValue !== undefined) synonyms.push({ name: key, value: kafkaValue(spec.topicKey, staticValue), source: ConfigSource.STATIC_BROKER_CONFIG })
      const kafkaDefault = BROKER_SYNONYM_DEFAULTS[key] ?? (primary ? info.defaultValue : null)
      synonyms.push({ name: key, value: kafkaDefault, source: ConfigSource.DEFAULT_CONFIG })
      const top = synonyms[0]!
      const value = top.source === ConfigSource.DEFAULT_CONFIG && primary && effective[spec.topicKey] !== undefined ? kafkaValue(spec.topicKey, effective[spec.topicKey]!) : top.value
      out.push({ name: key, value, readOnly: false, isDefault: top.source === ConfigSource.DEFAULT_CONFIG, configSource: top.source, isSensitive: false, synonyms, configType: info.type === ConfigType.INT || info.type === ConfigType.LONG ? (key.endsWith('.hours') || key.endsWith('.minutes') ? ConfigType.INT : info.type) : info.type, documentation: `default of the topic config ${spec.topicKey}` })
    }
    const options = this.host.options as unknown as Record<string, unknown>
    for (const spec of OPTION_SPECS) {
      for (const key of spec.kafkaKeys) {
        if (Object.hasOwn(BROKER_LOG_KEYS, key)) continue
        const v = options[spec.name]
        const value = v === undefined || spec.sensitive === true ? null : String(v)
        out.push({
          name: key, value, readOnly: true, isDefault: false, configSource: ConfigSource.STATIC_BROKER_CONFIG, isSensitive: spec.sensitive === true,
          synonyms: [{ name: key, value, source: ConfigSource.STATIC_BROKER_CONFIG }],
          configType: typeof v === 'boolean' ? ConfigType.BOOLEAN : typeof v === 'number' ? (Number.isInteger(v) && Math.abs(v) > 2147483647 ? ConfigType.LONG : ConfigType.INT) : ConfigType.STRING,
          documentation: spec.help,
        })
      }
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  }

  /** Broker '': only the cluster-wide dynamic configs, as Kafka describes the default resource. */
  private describeClusterDefaults(): DescribedConfig[] {
    return Object.entries(this.dynamic.cluster).map(([name, value]) => ({
      name, value, readOnly: false, isDefault: false, configSource: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG, isSensitive: false,
      synonyms: [{ name, value, source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG }], configType: ConfigType.STRING, documentation: null,
    }))
  }

  private describeLogger(): DescribedConfig {
    const level = LOG4J_LEVEL[this.host.logger.level] ?? this.host.logger.level.toUpperCase()
    return { name: ROOT_LOGGER, value: level, readOnly: false, isDefault: false, configSource: ConfigSource.DYNAMIC_BROKER_LOGGER_CONFIG, isSensitive: false, synonyms: [], configType: ConfigType.STRING, documentation: null }
  }

  // ---- alter ----

  /**
   * Applies one resource's changes (IncrementalAlterConfigs, or a legacy AlterConfigs
   * full set with `replace`). Everything is validated first; `validateOnly` stops there.
   */
  async alter(resourceType: number, resourceName: string, changes: ConfigChange[], replace: boolean, validateOnly: boolean): Promise<ResourceOutcome> {
    const names = changes.map((c) => c.name)
    if (new Set(names).size !== names.length) return fail(ErrorCode.INVALID_REQUEST, `Error due to duplicate config keys`)
    for (const c of changes) if (c.op < 0 || c.op > 3) return fail(ErrorCode.INVALID_REQUEST, `Unknown alter config operation ${c.op} for ${c.name}`)
    if (replace) for (const c of changes) if (c.value === null) return fail(ErrorCode.INVALID_REQUEST, `Null value not supported for : ${c.name}`)
    switch (resourceType) {
      case ResourceType.TOPIC:
        return this.alterTopic(resourceName, changes, replace, validateOnly)
      case ResourceType.BROKER:
        return this.alterBroker(resourceName, changes, replace, validateOnly)
      case ResourceType.BROKER_LOGGER:
        if (replace) return fail(ErrorCode.INVALID_REQUEST, 'AlterConfigs does not support the resource type BROKER_LOGGER; use IncrementalAlterConfigs')
        return this.alterLogger(resourceName, changes, validateOnly)
      default:
        return fail(ErrorCode.INVALID_REQUEST, `Unsupported resource type ${resourceType}`)
    }
  }

  /** SET/DELETE/APPEND/SUBTRACT on a set of string values; APPEND and SUBTRACT only for list configs. */
  private applyOps(current: Record<string, string>, changes: ConfigChange[], listConfig: (name: string) => boolean, defaultOf: (name: string) => string): Applied {
    const next = { ...current }
    for (const c of changes) {
      if (c.op === 0) {
        if (c.value === null) return { refused: fail(ErrorCode.INVALID_REQUEST, `Null value not supported for : ${c.name}`) }
        next[c.name] = c.value
      } else if (c.op === 1) {
        delete next[c.name]
      } else {
        if (!listConfig(c.name)) return { refused: fail(ErrorCode.INVALID_CONFIG, `Config value append is not allowed for config key: ${c.name}`) }
        const items = (next[c.name] ?? defaultOf(c.name)).split(',').map((s) => s.trim()).filter((s) => s !== '')
        const given = (c.value ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '')
        const merged = c.op === 2 ? [...items, ...given.filter((g) => !items.includes(g))] : items.filter((i) => !given.includes(i))
        next[c.name] = merged.join(',')
      }
    }
    return { values: next }
  }

  private async alterTopic(name: string, changes: ConfigChange[], replace: boolean, validateOnly: boolean): Promise<ResourceOutcome> {
    const topic = this.host.topics.get(name)
    if (topic === undefined) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`)
    const applied = replace
      ? { values: Object.fromEntries(changes.map((c) => [c.name, c.value!])) }
      : this.applyOps(topic.configs, changes, (n) => TOPIC_CONFIG_INFO[n]?.type === ConfigType.LIST, (n) => TOPIC_CONFIG_INFO[n]?.defaultValue ?? '')
    if ('refused' in applied) return applied.refused
    const next = applied.values
    for (const c of changes) if (!Object.hasOwn(TOPIC_CONFIGS, c.name)) return fail(ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${c.name}`)
    const parsed = parseTopicConfigs(next)
    if ('error' in parsed) return fail(ErrorCode.INVALID_CONFIG, parsed.message)
    if (validateOnly) return OK
    let updated: TopicInfo
    try {
      updated = this.host.topics.alter(name, next)
    } catch (err) {
      this.host.logger.error({ topic: name, err: (err as Error).message }, 'cannot write the topic catalogue')
      return fail(ErrorCode.KAFKA_STORAGE_ERROR, `Cannot alter the configs of '${name}': ${(err as Error).message}`)
    }
    this.host.logger.info({ topic: name, configs: next }, 'topic configs altered')
    await this.applyToShards([updated])
    return OK
  }

  private async alterBroker(name: string, changes: ConfigChange[], replace: boolean, validateOnly: boolean): Promise<ResourceOutcome> {
    const bad = this.checkBrokerName(name)
    if (bad !== null) return bad
    const scope = name === '' ? 'cluster' : 'broker'
    const staticOnly = changes.filter((c) => !Object.hasOwn(BROKER_LOG_KEYS, c.name) && OPTION_SPECS.some((s) => s.kafkaKeys.includes(c.name)))
    if (staticOnly.length > 0) return fail(ErrorCode.INVALID_REQUEST, `Cannot update these configs dynamically: Set(${staticOnly.map((c) => c.name).join(', ')})`)
    for (const c of changes) if (!Object.hasOwn(BROKER_LOG_KEYS, c.name)) return fail(ErrorCode.INVALID_CONFIG, `Unknown broker config name: ${c.name}`)
    const applied = replace ? { values: Object.fromEntries(changes.map((c) => [c.name, c.value!])) } : this.applyOps(this.dynamic[scope], changes, (n) => n === 'log.cleanup.policy', () => 'delete')
    if ('refused' in applied) return applied.refused
    const next = applied.values
    for (const [key, value] of Object.entries(next)) {
      try {
        convertBrokerLogValue(key, value)
      } catch (err) {
        return fail(ErrorCode.INVALID_CONFIG, `Invalid value ${value} for configuration ${key}: ${(err as Error).message}`)
      }
    }
    if (validateOnly) return OK
    const dynamic: StoredDynamic = { ...this.dynamic, [scope]: next }
    try {
      if (this.io !== null && this.file !== null) writeMetadataFile(this.io, this.file, dynamic)
    } catch (err) {
      return fail(ErrorCode.KAFKA_STORAGE_ERROR, `Cannot write ${BROKER_CONFIGS_FILE}: ${(err as Error).message}`)
    }
    this.dynamic = dynamic
    const changed = this.host.topics.setBrokerDefaults(this.topicDefaults(dynamic))
    this.host.logger.info({ scope: name === '' ? 'cluster default' : `broker ${name}`, configs: next }, 'dynamic broker configs altered')
    await this.applyToShards(changed)
    return OK
  }

  private alterLogger(name: string, changes: ConfigChange[], validateOnly: boolean): ResourceOutcome {
    if (name !== this.nodeName) return fail(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${this.nodeName}, but received ${name}`)
    let level: string | null = null
    for (const c of changes) {
      if (c.name !== ROOT_LOGGER) return fail(ErrorCode.INVALID_CONFIG, `Logger ${c.name} does not exist!`)
      if (c.op === 1) return fail(ErrorCode.INVALID_REQUEST, `Removing the log level of the ${ROOT_LOGGER} logger is not allowed`)
      if (c.op !== 0) return fail(ErrorCode.INVALID_REQUEST, `${c.op === 2 ? 'APPEND' : 'SUBTRACT'} operation is not allowed for the BROKER_LOGGER resource`)
      const wanted = (c.value ?? '').toUpperCase()
      if (!LOG4J_LEVELS.includes(wanted)) return fail(ErrorCode.INVALID_CONFIG, `Cannot set the log level of ${c.name} to ${c.value} as it is not a supported log level. Valid log4j levels are ${LOG4J_LEVELS.join(', ')}`)
      level = PINO_LEVEL[wanted]!
    }
    if (validateOnly || level === null) return OK
    this.host.logger.level = level
    return OK
  }

  /** New LogConfigs reach the partitions' shards, then retention runs so lowered limits act now. */
  private async applyToShards(topics: TopicInfo[]): Promise<void> {
    if (topics.length === 0) return
    await Promise.all(topics.map((t) => this.host.replicas.configure(t)))
    const results = await this.host.replicas.applyRetention()
    for (const r of results) if (!r.ok) this.host.logger.error({ error: r.error, message: r.message }, 'retention after a config change failed')
  }
}
