// startBroker: the one way a broker comes to life, used by the CLI, the Docker image and
// tests alike. Start-up order matters for crash safety: the clean-shutdown marker is
// read before any partition opens (it decides whether logs are scanned and truncated)
// and removed only after every partition is open, so a crash during start-up still
// leads to recovery next time. Shutdown runs the other way round and writes the marker
// last, after every log is flushed.

import { join } from 'node:path'
import { NodeFileIO } from '../storage/file-io.ts'
import { formatCheckpoint, readCheckpointFile, writeCheckpointFile } from '../storage/checkpoint-file.ts'
import { cleanShutdownMarkerExists, removeCleanShutdownMarker, writeCleanShutdownMarker } from '../storage/clean-shutdown.ts'
import { resolveBrokerOptions, type BrokerOptions } from './config/broker-options.ts'
import { createLogger, type Logger } from './logger.ts'
import { BrokerContext } from './broker-context.ts'
import { TopicRegistry, newTopicId } from './topics/topic-registry.ts'
import { partitionKey } from './topics/partition-key.ts'
import { ShardPool } from './workers/shard-pool.ts'
import { ReplicaManager } from './partitions/replica-manager.ts'
import { ProducerIdManager } from './producers/producer-id-manager.ts'
import { RequestMemoryPool } from './server/request-memory.ts'
import { fsyncPaths, writeFileDurably } from './workers/background-flush.ts'
import { KafkaServer } from './server/kafka-server.ts'
import { handlers } from './handlers/registry.ts'
import { lockDataDir, readOrCreateMetaProperties } from './data-dir.ts'
import type { RecoveryPoint } from './partitions/replica-manager.ts'
import type { PartitionLag } from './groups/group-coordinator.ts'
import { systemClock, type Clock } from './groups/clock.ts'

export interface RunningBroker {
  host: string
  port: number
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
}

export interface StartExtras {
  logger?: Logger
  /** Drives every group timer; tests pass a ManualClock and advance it. */
  clock?: Clock
}

const RECOVERY_POINT_FILE = 'recovery-point-offset-checkpoint'
const LOG_START_FILE = 'log-start-offset-checkpoint'
// Kafka's log.retention.check.interval.ms default.
const RETENTION_CHECK_MS = 300_000

export async function startBroker(partial: Partial<BrokerOptions> = {}, extras: StartExtras = {}): Promise<RunningBroker> {
  const options = resolveBrokerOptions(partial, { embedded: true })
  const logger = extras.logger ?? createLogger(options.logLevel)
  const dataDir = options.memory ? null : options.dataDir
  const io = dataDir === null ? null : new NodeFileIO()

  let release: () => void = () => {}
  let clusterId = options.clusterId ?? newTopicId()
  let clean = true
  let recoveryPoints = new Map<string, number>()
  if (dataDir !== null && io !== null) {
    release = lockDataDir(dataDir)
    const meta = readOrCreateMetaProperties(dataDir, options.nodeId, options.clusterId, newTopicId)
    clusterId = meta.clusterId
    // A directory created just now has nothing to recover.
    clean = meta.created || cleanShutdownMarkerExists(io, dataDir)
    for (const e of readCheckpointFile(io, join(dataDir, RECOVERY_POINT_FILE))) recoveryPoints.set(partitionKey(e.topic, e.partition), e.offset)
  }

  const topics = new TopicRegistry(io, dataDir, options.topicDefaults)
  topics.load()
  const producerIds = new ProducerIdManager(io, dataDir)
  const requestMemory = new RequestMemoryPool(options.queuedMaxRequestBytes)
  const replicas = new ReplicaManager(new ShardPool(options.shards, { dataDir, fsync: options.fsync, producerIdExpirationMs: options.producerIdExpirationMs }, requestMemory))
  const broker = new BrokerContext({ options, logger, clusterId, topics, replicas, producerIds, requestMemory, clock: extras.clock ?? systemClock })
  for (const h of handlers) broker.handlers.set(h.apiKey, h)

  const started = Date.now()
  try {
    await Promise.all([...topics.all()].map((t) => broker.openPartitions(t, clean, recoveryPoints)))
  } catch (err) {
    await replicas.shutdown()
    release()
    throw err
  }
  if (!clean) logger.warn({ ms: Date.now() - started }, 'no clean shutdown marker: recovered logs from their recovery points')
  if (dataDir !== null && io !== null) removeCleanShutdownMarker(io, dataDir)
  recoveryPoints = new Map()

  const server = new KafkaServer(broker)
  let bound: { host: string; port: number }
  try {
    bound = await server.listen(options.host, options.port)
  } catch (err) {
    await replicas.shutdown()
    release()
    throw err
  }
  broker.advertisedPort = options.advertisedPort === 0 ? bound.port : options.advertisedPort
  // The listener is up while the coordinator replays its topic: group requests meanwhile
  // get COORDINATOR_LOAD_IN_PROGRESS, which every client retries.
  try {
    await broker.groups.load()
  } catch (err) {
    await server.close()
    await replicas.shutdown()
    release()
    throw err
  }

  const checkpointEntries = (points: RecoveryPoint[]) => {
    const live = points.filter((p) => topics.get(p.topic) !== undefined)
    return {
      recovery: live.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.recoveryPoint })),
      logStart: live.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.logStartOffset })),
    }
  }
  const writeCheckpoints = (points: RecoveryPoint[]): void => {
    if (dataDir === null || io === null) return
    const e = checkpointEntries(points)
    writeCheckpointFile(io, join(dataDir, RECOVERY_POINT_FILE), e.recovery)
    writeCheckpointFile(io, join(dataDir, LOG_START_FILE), e.logStart)
  }

  // --fsync interval: the shards list what they wrote, the fdatasyncs run on libuv's pool
  // (background-flush.ts), then the checkpoints move. Nobody waits on the disk for a timer.
  const backgroundFlush = async (dir: string): Promise<void> => {
    const outcomes = (await replicas.handOffFlush()).filter((o) => o.ok)
    await fsyncPaths(
      outcomes.flatMap((o) => o.flushFiles),
      outcomes.flatMap((o) => o.flushDirs),
    )
    const e = checkpointEntries(outcomes.flatMap((o) => o.recoveryPoints))
    await writeFileDurably(join(dir, RECOVERY_POINT_FILE), formatCheckpoint(e.recovery))
    await writeFileDurably(join(dir, LOG_START_FILE), formatCheckpoint(e.logStart))
  }

  let flushing: Promise<void> | null = null
  const flushTimer =
    options.fsync === 'interval' && dataDir !== null
      ? setInterval(() => {
          if (flushing !== null) return
          flushing = backgroundFlush(dataDir)
            .catch((err: unknown) => logger.error({ err }, 'periodic flush failed'))
            .finally(() => {
              flushing = null
            })
        }, options.fsyncIntervalMs)
      : null
  flushTimer?.unref()
  const retentionTimer = setInterval(() => {
    replicas.applyRetention().then(
      (results) => {
        for (const r of results) if (!r.ok) logger.error({ error: r.error, message: r.message }, 'retention check failed')
      },
      (err: unknown) => logger.error({ err }, 'retention check failed'),
    )
  }, RETENTION_CHECK_MS)
  retentionTimer.unref()
  const producerExpiryTimer = setInterval(() => {
    replicas.expireProducers().catch((err: unknown) => logger.error({ err }, 'producer id expiration check failed'))
  }, options.producerIdExpirationCheckIntervalMs)
  producerExpiryTimer.unref()

  let closing: Promise<void> | null = null
  const close = (): Promise<void> => {
    closing ??= (async () => {
      if (flushTimer !== null) clearInterval(flushTimer)
      clearInterval(retentionTimer)
      clearInterval(producerExpiryTimer)
      broker.groups.close()
      await server.close()
      if (flushing !== null) await flushing
      const outcomes = await replicas.closeLogs()
      await replicas.shutdown()
      const points: RecoveryPoint[] = []
      for (const o of outcomes) {
        if (!o.ok) {
          release()
          throw new Error(`flushing logs at shutdown failed: ${o.message || o.error}`)
        }
        points.push(...o.recoveryPoints)
      }
      writeCheckpoints(points)
      if (dataDir !== null && io !== null) writeCleanShutdownMarker(io, dataDir)
      release()
      logger.info('broker stopped')
    })()
    return closing
  }

  logger.info({ host: bound.host, port: bound.port, dataDir: dataDir ?? 'memory', shards: options.shards }, 'broker ready')
  return {
    host: bound.host,
    port: bound.port,
    advertisedHost: broker.advertisedHost,
    advertisedPort: broker.advertisedPort,
    dataDir,
    nodeId: options.nodeId,
    clusterId,
    options,
    logger,
    groupLag: (groupId) => broker.groups.lag(groupId),
    stats: () => ({ connections: server.connectionCount, topics: topics.byName.size, shardTasks: replicas.tasksSent(), queuedRequestBytes: requestMemory.usedBytes, connectionsWaitingForMemory: requestMemory.blockedCount }),
    close,
  }
}
