// Everything a request handler may touch, in one place: options, identity, the topic
// catalogue and the replica manager (the one way into partition data). Topic creation and deletion live
// here because both the admin APIs and Metadata auto-creation use them.

import type { Logger } from './logger.ts'
import type { BrokerOptions } from './config/broker-options.ts'
import type { TopicRegistry, TopicInfo } from './topics/topic-registry.ts'
import type { ReplicaManager } from './partitions/replica-manager.ts'
import type { ProducerIdManager } from './producers/producer-id-manager.ts'
import type { RequestMemoryPool } from './server/request-memory.ts'
import type { LogManager } from './partitions/log-manager.ts'
import type { ApiHandler } from './handlers/api-handler.ts'
import { GroupCoordinator } from './groups/group-coordinator.ts'
import { OFFSETS_TOPIC, openOffsetsLog } from './groups/offsets-topic.ts'
import { TransactionCoordinator } from './transactions/transaction-coordinator.ts'
import { ConfigManager } from './configs/config-manager.ts'
import type { MetricsSource } from './http/broker-metrics.ts'
import { noMetrics, type MetricsRecorder } from './http/metrics-recorder.ts'
import { ScramCredentialStore } from './security/scram-credential-store.ts'
import { AclStore } from './security/acl-store.ts'
import { Authorizer, parseSuperUsers } from './security/authorizer.ts'
import { ClientQuotas } from './quotas/client-quotas.ts'
import { systemClock, type Clock } from './groups/clock.ts'
import { topicNameProblem } from './topics/topic-name.ts'
import { ErrorCode } from '../protocol/error-codes.ts'

export interface TopicOutcome {
  error: number
  message: string | null
  topic?: TopicInfo
}

// Kafka caps partitions per topic only by cluster limits; a single node opening a log
// per partition needs a sane ceiling so a typo cannot create a million directories.
export const MAX_PARTITIONS_PER_TOPIC = 10_000

export class BrokerContext {
  readonly options: BrokerOptions
  readonly logger: Logger
  readonly clusterId: string
  readonly topics: TopicRegistry
  readonly replicas: ReplicaManager
  readonly producerIds: ProducerIdManager
  /** queued.max.request.bytes: request bytes read or promised and not handled yet, across connections. */
  readonly requestMemory: RequestMemoryPool
  readonly logs: LogManager
  /** The clock behind group timers; tests advance a ManualClock. */
  readonly clock: Clock
  /**
   * The clock behind Fetch long polls (max_wait_ms). Separate from the group clock so a
   * test can drive group timers by hand while real consumers' long polls still end.
   */
  readonly pollClock: Clock
  readonly handlers = new Map<number, ApiHandler>()
  readonly groups: GroupCoordinator
  readonly txns: TransactionCoordinator
  /** Topic overrides, dynamic broker configs and the logger level, as the config admin APIs see them. */
  readonly configs: ConfigManager
  /** Prometheus metrics (served on the HTTP listener's /metrics); `noMetrics` without that listener. */
  readonly metrics: MetricsRecorder
  /** SCRAM users (SASL PLAIN checks passwords against them too). */
  readonly credentials: ScramCredentialStore
  /** ACLs and the checks on them (every check passes when no authorizer is configured). */
  readonly authorizer: Authorizer
  /** Client quotas (AlterClientQuotas) and their byte-rate and request-time managers. */
  readonly quotas: ClientQuotas
  /** Set by startBroker: open client connections and other server counters, for metrics. */
  serverStats: () => { connections: number; shardTasks: number[]; queuedRequestBytes: number } = () => ({ connections: 0, shardTasks: [], queuedRequestBytes: 0 })
  advertisedHost: string
  advertisedPort: number

  constructor(args: { options: BrokerOptions; logger: Logger; clusterId: string; topics: TopicRegistry; replicas: ReplicaManager; producerIds: ProducerIdManager; requestMemory: RequestMemoryPool; logs: LogManager; clock: Clock; pollClock: Clock; metrics?: (source: MetricsSource) => MetricsRecorder }) {
    this.options = args.options
    this.logger = args.logger
    this.clusterId = args.clusterId
    this.topics = args.topics
    this.replicas = args.replicas
    this.producerIds = args.producerIds
    this.requestMemory = args.requestMemory
    this.logs = args.logs
    this.clock = args.clock
    this.pollClock = args.pollClock
    this.advertisedHost = args.options.advertisedHost
    this.advertisedPort = args.options.advertisedPort
    this.groups = new GroupCoordinator({
      log: openOffsetsLog(this, args.options),
      logger: args.logger,
      clock: args.clock,
      options: args.options,
      topics: args.topics,
      replicas: args.replicas,
    })
    this.configs = new ConfigManager(this, args.logs.io, args.logs.dataDir)
    this.credentials = new ScramCredentialStore(args.logs.io, args.logs.dataDir)
    this.authorizer = new Authorizer(new AclStore(args.logs.io, args.logs.dataDir), {
      enabled: args.options.authorizerClassName !== '',
      superUsers: new Set(parseSuperUsers(args.options.superUsers)),
      allowEveryoneIfNoAclFound: args.options.allowEveryoneIfNoAclFound,
    })
    this.quotas = new ClientQuotas(args.logs.io, args.logs.dataDir, { samples: args.options.quotaWindowNum, windowSeconds: args.options.quotaWindowSizeSeconds }, systemClock)
    this.metrics = args.metrics === undefined ? noMetrics : args.metrics({
      topics: () => this.topics.all(),
      bounds: (topic, partition) => this.replicas.bounds(topic, partition),
      groups: () => this.groupOffsets(),
      connections: () => this.serverStats().connections,
      shardTasks: () => this.serverStats().shardTasks,
      shardQueueDepths: () => this.replicas.queueDepths(),
      queuedRequestBytes: () => this.serverStats().queuedRequestBytes,
      logSizes: () => this.replicas.logSizes(),
    })
    this.txns = new TransactionCoordinator({
      host: this,
      newProducerId: () => this.producerIds.generate(),
      onOffsetsMarker: (producerId, commit) => this.groups.completeTxn(producerId, commit),
      offsetsTopic: OFFSETS_TOPIC,
      clock: args.clock,
      options: args.options,
    })
  }

  /** Each group's committed offsets, for the lag metrics (empty while the coordinator loads). */
  private *groupOffsets(): Iterable<{ groupId: string; offsets: Iterable<[string, number, number]> }> {
    if (this.groups.isLoading) return
    for (const g of this.groups.list([]).groups) {
      yield { groupId: g.groupId, offsets: this.groups.lag(g.groupId).map((l) => [l.topic, l.partition, l.committed] as [string, number, number]) }
    }
  }

  get nodeId(): number {
    return this.options.nodeId
  }

  /** Checks a create request without changing anything (CreateTopics validate_only uses it alone). */
  checkNewTopic(name: string, partitions: number, replicationFactor: number, configs: Record<string, string>): TopicOutcome {
    const problem = topicNameProblem(name)
    if (problem !== null) return { error: ErrorCode.INVALID_TOPIC_EXCEPTION, message: problem }
    if (this.topics.get(name) !== undefined) return { error: ErrorCode.TOPIC_ALREADY_EXISTS, message: `Topic '${name}' already exists.` }
    const other = this.topics.collidesWith(name)
    if (other !== undefined) return { error: ErrorCode.INVALID_TOPIC_EXCEPTION, message: `Topic '${name}' collides with existing topic: ${other}` }
    if (!Number.isInteger(partitions) || partitions < 1) return { error: ErrorCode.INVALID_PARTITIONS, message: 'Number of partitions must be larger than 0.' }
    if (partitions > MAX_PARTITIONS_PER_TOPIC) return { error: ErrorCode.INVALID_PARTITIONS, message: `Number of partitions must not exceed ${MAX_PARTITIONS_PER_TOPIC}.` }
    if (!Number.isInteger(replicationFactor) || replicationFactor < 1) return { error: ErrorCode.INVALID_REPLICATION_FACTOR, message: 'Replication factor must be larger than 0.' }
    if (replicationFactor !== 1 && !this.options.clampReplicationFactor) {
      return {
        error: ErrorCode.INVALID_REPLICATION_FACTOR,
        message: `Replication factor: ${replicationFactor} larger than available brokers: 1 (start with --clamp-replication-factor to accept and clamp it).`,
      }
    }
    const resolved = this.topics.resolveConfig(configs)
    if ('error' in resolved) return { error: resolved.error, message: resolved.message }
    return { error: ErrorCode.NONE, message: null }
  }

  /** Creates a topic and opens its partitions on their shards (so disk errors surface now). */
  async createTopic(name: string, partitions: number, replicationFactor: number, configs: Record<string, string>, internal = false): Promise<TopicOutcome> {
    const check = this.checkNewTopic(name, partitions, replicationFactor, configs)
    if (check.error !== ErrorCode.NONE) return check
    let topic: TopicInfo
    try {
      topic = this.topics.create(name, partitions, configs, internal)
    } catch (err) {
      this.logger.error({ topic: name, err: (err as Error).message }, 'cannot create topic: the catalogue could not be written')
      return { error: ErrorCode.KAFKA_STORAGE_ERROR, message: `Cannot create topic '${name}': ${(err as Error).message}` }
    }
    try {
      await this.logs.open(topic, true)
    } catch (err) {
      // A partition that cannot open (no file descriptors left, a full disk) undoes the
      // whole topic: the partitions that did open are closed and removed again, so
      // nothing is left holding descriptors or half a topic.
      const why = (err as Error).message
      this.logger.error({ topic: name, partitions, err: why }, 'cannot open the partitions of a new topic: it is removed again')
      this.topics.forget(name)
      await this.replicas.deleteTopic(topic)
      try {
        this.topics.persist()
        await this.replicas.purgeDeleted(topic)
      } catch (persistErr) {
        this.logger.error({ topic: name, err: (persistErr as Error).message }, 'cannot rewrite the topic catalogue: the removal finishes at the next start')
      }
      return { error: ErrorCode.KAFKA_STORAGE_ERROR, message: `Cannot create topic '${name}': ${why}` }
    }
    this.logger.info({ topic: name, partitions, configs }, 'created topic')
    return { error: ErrorCode.NONE, message: null, topic }
  }

  /**
   * Deletes a topic so that it frees its space even on a full disk and never comes back
   * half-deleted: its partition directories become `-delete` tombstones and are emptied
   * first (no space needed), then the catalogue is rewritten, then the tombstones go. If
   * the catalogue cannot be written, the tombstones finish the deletion at the next start.
   */
  async deleteTopic(name: string): Promise<TopicOutcome> {
    if (!this.options.deleteTopicEnable) return { error: ErrorCode.TOPIC_DELETION_DISABLED, message: 'Topic deletion is disabled (delete.topic.enable=false).' }
    const topic = this.topics.forget(name)
    if (topic === undefined) return { error: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: 'This server does not host this topic-partition.' }
    const failed = await this.replicas.deleteTopic(topic)
    if (failed !== null) this.logger.error({ topic: name, error: failed.error, message: failed.message }, 'cannot move a deleted partition aside; its directory stays until removed by hand')
    try {
      this.topics.persist()
    } catch (err) {
      this.logger.error({ topic: name, err: (err as Error).message }, 'cannot rewrite the topic catalogue: the deletion finishes at the next start')
      return { error: ErrorCode.NONE, message: null, topic }
    }
    await this.replicas.purgeDeleted(topic)
    this.logger.info({ topic: name }, 'deleted topic')
    return { error: ErrorCode.NONE, message: null, topic }
  }
}
