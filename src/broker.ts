// startBroker: the one way a broker comes to life, used by the CLI, the Docker image and
// tests alike. Wiring only: the log lifecycle (data dir, recovery, checkpoints, timers,
// shutdown flush) belongs to LogManager, partition data to ReplicaManager. A start that
// fails half-way stops what it started, in reverse, through one clean-up path.

import { listenerConfigs, resolveBrokerOptions, type BrokerOptions } from './config/broker-options.ts'
import { createLogger, type Logger } from './logger.ts'
import { BrokerContext } from './broker-context.ts'
import { TopicRegistry } from './topics/topic-registry.ts'
import { ShardPool } from './workers/shard-pool.ts'
import { ReplicaManager } from './partitions/replica-manager.ts'
import { ProducerIdManager } from './producers/producer-id-manager.ts'
import { RequestMemoryPool } from './server/request-memory.ts'
import { LogManager } from './partitions/log-manager.ts'
import type { HttpListener } from './http/http-server.ts'
import { KafkaServer, type BoundListener } from './server/kafka-server.ts'
import { handlers } from './handlers/registry.ts'
import type { PartitionLag } from './groups/group-coordinator.ts'
import { systemClock, type Clock } from './groups/clock.ts'

export interface RunningBroker {
  /** The first listener's bound address (see listeners for all of them). */
  host: string
  port: number
  /** Every listener of `listeners`, in order, with the port it bound (port 0 resolved). */
  listeners: BoundListener[]
  /** The HTTP listener's port (/metrics, /healthz, /readyz), null when http.port is -1. */
  httpPort: number | null
  advertisedHost: string
  advertisedPort: number
  dataDir: string | null
  nodeId: number
  clusterId: string
  options: BrokerOptions
  logger: Logger
  stats(): BrokerStats
  /** Committed offset versus log end per partition the group committed (for metrics and tools). */
  groupLag(groupId: string): PartitionLag[]
  close(): Promise<void>
  /** Re-reads the TLS key and trust stores (they are also reloaded when their files change). */
  reloadTls(): void
  /**
   * Test hook, memory storage only: a power cut under the running broker (unsynced
   * writes are lost, every partition is recovered). Durability tests use it with real
   * clients attached; it shows whether acknowledged data was really synced.
   */
  simulatePowerLoss(): Promise<void>
  /** Test hook: runs the log cleaner now, round after round, until nothing is left to clean; returns the cleans finished. */
  cleanLogs(): Promise<number>
}

export interface BrokerStats {
  connections: number
  topics: number
  /** Tasks sent to each shard since start: one per shard per event-loop turn with work. */
  shardTasks: number[]
  /** Request bytes read or admitted and not handled yet (queued.max.request.bytes accounting). */
  queuedRequestBytes: number
  /** Connections that stopped reading until request memory frees up. */
  connectionsWaitingForMemory: number
  /** Connections that stopped reading with the most requests outstanding a connection may have. */
  connectionsAtRequestLimit: number
}

export interface StartExtras {
  logger?: Logger
  /** Drives every group timer; tests pass a ManualClock and advance it. */
  clock?: Clock
  /** Drives Fetch long polls (max_wait_ms); tests of long polling pass a ManualClock. */
  pollClock?: Clock
  /** Storage time: segment.ms, retention, LogAppendTime, timestamp bounds, producer expiry. */
  storageClock?: Clock
  /** Tests: holds the group coordinator between its replay and serving (given the bound port), so the loading answers can be observed. */
  groupLoadGate?: (port: number) => Promise<void>
}

export async function startBroker(partial: Partial<BrokerOptions> = {}, extras: StartExtras = {}): Promise<RunningBroker> {
  const options = resolveBrokerOptions(partial, { embedded: true })
  // fastify, prom-client and the admin API and console routes were ~45 % of the modules a
  // start loaded (245 of 563): a broker without an HTTP listener has no use for them.
  const web = options.httpPort >= 0 ? await Promise.all([import('./http/http-server.ts'), import('./http/broker-metrics.ts')]) : null
  const logger = extras.logger ?? createLogger(options.logLevel)
  const logs = new LogManager(options, logger)
  const clusterId = logs.claim()

  // Everything started so far, stopped in reverse order by the one clean-up path.
  let server: KafkaServer | null = null
  let replicas: ReplicaManager | null = null
  const abandon = async (err: unknown): Promise<never> => {
    if (server !== null) await server.close()
    if (replicas !== null) await replicas.shutdown()
    logs.unlock()
    throw err
  }

  let broker: BrokerContext
  try {
    const topics = new TopicRegistry(logs.io, logs.dataDir, options.topicDefaults)
    topics.load()
    logs.finishDeletions(topics)
    const producerIds = new ProducerIdManager(logs.io, logs.dataDir)
    const requestMemory = new RequestMemoryPool(options.queuedMaxRequestBytes)
    const shardPool = new ShardPool(options.shards, { dataDir: logs.dataDir, fsync: options.fsync, producerIdExpirationMs: options.producerIdExpirationMs, cleanerDedupeBufferSize: Math.floor(options.logCleanerDedupeBufferSize / options.shards) }, requestMemory, extras.storageClock ?? systemClock)
    replicas = new ReplicaManager(shardPool, logger)
    broker = new BrokerContext({ options, logger, clusterId, topics, replicas, producerIds, requestMemory, logs, clock: extras.clock ?? systemClock, pollClock: extras.pollClock ?? systemClock, metrics: web === null ? undefined : (source) => new web[1].BrokerMetrics(source) })
    // Shard task and fsync times for /metrics, from before the first partition opens.
    const metrics = broker.metrics
    shardPool.observer = metrics
    logs.flushTimed = (ms) => metrics.flushed([ms])
    for (const h of handlers) broker.handlers.set(h.apiKey, h)
    // Dynamic broker configs change topic defaults: applied before any partition opens.
    broker.configs.load()
    broker.credentials.load()
    broker.authorizer.store.load()
    broker.quotas.load()
    await logs.openAll(topics, replicas)
  } catch (err) {
    return abandon(err)
  }

  try {
    server = new KafkaServer(broker, listenerConfigs(options))
  } catch (err) {
    return abandon(err)
  }
  const kafkaServer = server
  broker.serverStats = () => ({ connections: kafkaServer.connectionCount, shardTasks: broker.replicas.tasksSent(), queuedRequestBytes: broker.requestMemory.usedBytes })
  let listeners: BoundListener[]
  let bound: { host: string; port: number }
  let http: HttpListener | null = null
  try {
    listeners = await server.listen()
    bound = listeners[0]
    broker.advertisedPort = options.advertisedPort === 0 ? bound.port : options.advertisedPort
    // Up before the coordinators load, so /readyz can say what the broker waits for.
    if (web !== null) http = await web[0].startHttp(broker, options.host, options.httpPort, () => true)
    // The listener is up while the coordinator replays its topic: group requests meanwhile
    // get COORDINATOR_LOAD_IN_PROGRESS, which every client retries.
    // Transactions load second: completing one found prepared writes markers to
    // `__consumer_offsets`, whose pending transactional offsets the groups must know first.
    await broker.groups.load(extras.groupLoadGate?.(bound.port))
    await broker.txns.load()
  } catch (err) {
    await http?.close().catch(() => {})
    return abandon(err)
  }
  logs.startTimers()

  let closing: Promise<void> | null = null
  const running = server
  const close = (): Promise<void> => {
    closing ??= (async () => {
      broker.groups.close()
      broker.txns.close()
      await http?.close()
      await running.close()
      await logs.shutdown()
      logger.info('broker stopped')
    })()
    return closing
  }

  logger.info({ host: bound.host, port: bound.port, listeners: listeners.map((l) => `${l.name}://${l.host}:${l.port}`), httpPort: http?.port ?? null, dataDir: logs.dataDir ?? 'memory', shards: options.shards }, 'broker ready')
  return {
    host: bound.host,
    port: bound.port,
    listeners,
    httpPort: http?.port ?? null,
    advertisedHost: broker.advertisedHost,
    advertisedPort: broker.advertisedPort,
    dataDir: logs.dataDir,
    nodeId: options.nodeId,
    clusterId,
    options,
    logger,
    groupLag: (groupId) => broker.groups.lag(groupId),
    stats: () => ({ connections: running.connectionCount, topics: broker.topics.byName.size, shardTasks: broker.replicas.tasksSent(), queuedRequestBytes: broker.requestMemory.usedBytes, connectionsWaitingForMemory: broker.requestMemory.blockedCount, connectionsAtRequestLimit: running.connectionsAtRequestLimit }),
    close,
    reloadTls: () => running.reloadTls(),
    simulatePowerLoss: () => logs.simulatePowerLoss(),
    cleanLogs: () => logs.cleanAll(),
  }
}
