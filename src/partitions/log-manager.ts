// The owner of the log lifecycle, in the role of Kafka's LogManager: the data dir's lock
// and meta.properties, the clean-shutdown marker, the recovery-point and log-start
// checkpoints, opening every partition at start (recovering them after a crash),
// finishing topic deletions a crash interrupted, the flush, retention and producer-expiry
// timers, and the flush at shutdown. Main thread; partition I/O itself goes through the
// ReplicaManager to the shards.
//
// Start-up order matters for crash safety: the marker is read before any partition opens
// (it decides whether logs are scanned and truncated) and removed only after every
// partition is open, so a crash during start-up still leads to recovery next time.
// Shutdown runs the other way round and writes the marker last, and only when every log
// was flushed and the checkpoints written: otherwise the next start recovers.

import { join } from 'node:path'
import { NodeFileIO } from '../../storage/file-io.ts'
import { formatCheckpoint, readCheckpointFile, writeCheckpointFile } from '../../storage/checkpoint-file.ts'
import { cleanShutdownMarkerExists, removeCleanShutdownMarker, writeCleanShutdownMarker } from '../../storage/clean-shutdown.ts'
import { parseDeletedDirName } from '../../storage/log-file-names.ts'
import { cleanerCheckpointPath, formatCleanerCheckpoint, readCleanerCheckpoint } from '../../storage/cleaner-checkpoint.ts'
import { lockDataDir, readOrCreateMetaProperties } from '../data-dir.ts'
import { parsePartitionKey, partitionKey } from '../topics/partition-key.ts'
import { newTopicId, type TopicInfo, type TopicRegistry } from '../topics/topic-registry.ts'
import { fsyncPaths, writeFileDurably } from '../workers/background-flush.ts'
import type { BrokerOptions } from '../config/broker-options.ts'
import type { Logger } from '../logger.ts'
import type { RecoveryPoint, ReplicaManager } from './replica-manager.ts'

const RECOVERY_POINT_FILE = 'recovery-point-offset-checkpoint'
const LOG_START_FILE = 'log-start-offset-checkpoint'

export interface CleanerRound {
  /** A clean is still under way on some shard. */
  busy: boolean
  /** Cleans that finished in this round. */
  cleaned: number
  bytesRead: number
  bytesWritten: number
  /** How long the next round waits for log.cleaner.io.max.bytes.per.second. */
  throttleMs: number
}

export interface ShutdownReport {
  /** Partitions whose data could not be flushed; the next start recovers them. */
  unflushed: string[]
  /** Whether the clean-shutdown marker was written. */
  clean: boolean
}

export class LogManager {
  readonly dataDir: string | null
  /** The data dir's file layer on this thread; null in memory mode. */
  readonly io: NodeFileIO | null
  private readonly options: BrokerOptions
  private readonly logger: Logger
  private release: () => void = () => {}
  private clean = true
  private recoveryPoints = new Map<string, number>()
  /** From log-start-offset-checkpoint: DeleteRecords can leave a log start inside a segment, which the files alone do not show. */
  private logStarts = new Map<string, number>()
  private timers: NodeJS.Timeout[] = []
  private flushing: Promise<void> | null = null
  private replicas: ReplicaManager | null = null
  private topics: TopicRegistry | null = null
  /** cleaner-offset-checkpoint: each compacted partition's first dirty offset, kept current as cleans finish. */
  private cleanerOffsets = new Map<string, number>()
  private cleanerTimer: NodeJS.Timeout | null = null
  private cleaning: Promise<CleanerRound> | null = null
  private cleanerStopped = false
  /** Told each background fdatasync's time in ms (the flush-latency metric); set by startBroker. */
  flushTimed: ((ms: number) => void) | null = null

  constructor(options: BrokerOptions, logger: Logger) {
    this.options = options
    this.logger = logger
    this.dataDir = options.memory ? null : options.dataDir
    this.io = this.dataDir === null ? null : new NodeFileIO()
  }

  /** Locks the data dir and reads its identity and recovery state; returns the cluster id. */
  claim(): string {
    const dir = this.dataDir
    const io = this.io
    if (dir === null || io === null) return this.options.clusterId ?? newTopicId()
    this.release = lockDataDir(dir)
    try {
      const meta = readOrCreateMetaProperties(dir, this.options.nodeId, this.options.clusterId, newTopicId)
      // A directory created just now has nothing to recover.
      this.clean = meta.created || cleanShutdownMarkerExists(io, dir)
      for (const e of readCheckpointFile(io, join(dir, RECOVERY_POINT_FILE))) this.recoveryPoints.set(partitionKey(e.topic, e.partition), e.offset)
      for (const e of readCheckpointFile(io, join(dir, LOG_START_FILE))) this.logStarts.set(partitionKey(e.topic, e.partition), e.offset)
      for (const e of readCleanerCheckpoint(io, dir)) this.cleanerOffsets.set(partitionKey(e.topic, e.partition), e.offset)
      return meta.clusterId
    } catch (err) {
      this.unlock()
      throw err
    }
  }

  /**
   * Finishes deletions a crash or a full disk interrupted: a `-delete` directory whose
   * topic the catalogue still lists removes the topic from it; tombstones of topics the
   * catalogue no longer lists are removed.
   */
  finishDeletions(topics: TopicRegistry): void {
    const dir = this.dataDir
    const io = this.io
    if (dir === null || io === null) return
    const tombstones: string[] = []
    for (const name of io.readdir(dir)) {
      const parsed = parseDeletedDirName(name)
      if (parsed === null) continue
      tombstones.push(name)
      const topic = topics.byId.get(parsed.topicId)
      if (topic !== undefined) {
        topics.forget(topic.name)
        this.logger.warn({ topic: topic.name }, 'finishing the deletion of a topic interrupted by a crash or a full disk')
      }
    }
    if (tombstones.length === 0) return
    topics.persist()
    for (const name of tombstones) io.rmrf(join(dir, name))
  }

  /** Opens every partition of every topic, recovering them when the last shutdown was not clean. */
  async openAll(topics: TopicRegistry, replicas: ReplicaManager): Promise<void> {
    this.topics = topics
    this.replicas = replicas
    const started = Date.now()
    await Promise.all([...topics.all()].map((t) => this.open(t)))
    if (!this.clean) this.logger.warn({ ms: Date.now() - started }, 'no clean shutdown marker: recovered logs from their recovery points')
    if (this.dataDir !== null && this.io !== null) removeCleanShutdownMarker(this.io, this.dataDir)
    this.recoveryPoints = new Map()
    this.logStarts = new Map()
  }

  /** Opens a topic's partitions (new topics: nothing to recover; `recover`: scan everything, as after a crash). */
  async open(topic: TopicInfo, created = false, recover = false): Promise<void> {
    const replicas = this.replicas!
    const opens: Promise<unknown>[] = []
    for (let p = 0; p < topic.partitions; p++) {
      const recoveryPoint = recover ? 0 : this.recoveryPoints.get(partitionKey(topic.name, p)) ?? 0
      const logStartOffset = created ? undefined : this.logStarts.get(partitionKey(topic.name, p))
      if (created) this.cleanerOffsets.delete(partitionKey(topic.name, p))
      const cleanerCheckpoint = this.cleanerOffsets.get(partitionKey(topic.name, p))
      opens.push(
        replicas.open(topic, p, { clean: !recover && (created || this.clean), recoveryPoint, logStartOffset, cleanerCheckpoint }).then((result) => {
          if (!result.ok) throw new Error(`Cannot open partition ${topic.name}-${p}: ${result.message || result.error}`)
          if (result.recovery !== null) this.logger.warn({ topic: topic.name, partition: p, ...result.recovery, logEndOffset: result.highWatermark }, 'recovery truncated a torn log tail')
        }),
      )
    }
    await Promise.all(opens)
  }

  /** Starts the flush (--fsync interval), retention and producer-expiry timers. */
  startTimers(): void {
    const replicas = this.replicas!
    const dir = this.dataDir
    if (this.options.fsync === 'interval' && dir !== null) {
      this.every(this.options.fsyncIntervalMs, () => {
        if (this.flushing !== null) return
        this.flushing = this.backgroundFlush(dir)
          .catch((err: unknown) => this.logger.error({ err }, 'periodic flush failed'))
          .finally(() => {
            this.flushing = null
          })
      })
    }
    this.every(this.options.logRetentionCheckIntervalMs, () => {
      replicas.applyRetention().then(
        (results) => {
          for (const r of results) if (!r.ok) this.logger.error({ error: r.error, message: r.message }, 'retention check failed')
        },
        (err: unknown) => this.logger.error({ err }, 'retention check failed'),
      )
    })
    this.every(this.options.producerIdExpirationCheckIntervalMs, () => {
      replicas.expireProducers().catch((err: unknown) => this.logger.error({ err }, 'producer id expiration check failed'))
    })
    if (this.options.logCleanerEnable) this.scheduleCleaner(this.options.logCleanerBackoffMs)
  }

  // The log cleaner (Kafka's LogCleaner threads): each round runs one bounded step on
  // every shard, between that shard's other tasks. log.cleaner.io.max.bytes.per.second
  // is paid after the fact: the next round waits until the bytes read and written fit
  // the rate. With nothing to clean, the next round comes after log.cleaner.backoff.ms.
  private scheduleCleaner(ms: number): void {
    if (this.cleanerStopped) return
    this.cleanerTimer = setTimeout(() => {
      this.cleanerTimer = null
      this.cleanerRound().then(
        (r) => this.scheduleCleaner(Math.max(r.throttleMs, r.busy ? 0 : this.options.logCleanerBackoffMs)),
        (err: unknown) => {
          this.logger.error({ err }, 'log cleaner round failed')
          this.scheduleCleaner(this.options.logCleanerBackoffMs)
        },
      )
    }, ms)
    this.cleanerTimer.unref()
  }

  /** One step of every shard's cleaner; the checkpoint is rewritten when a clean finished. */
  cleanerRound(): Promise<CleanerRound> {
    this.cleaning ??= this.runCleanerRound().finally(() => {
      this.cleaning = null
    })
    return this.cleaning
  }

  private async runCleanerRound(): Promise<CleanerRound> {
    const round: CleanerRound = { busy: false, cleaned: 0, bytesRead: 0, bytesWritten: 0, throttleMs: 0 }
    for (const r of await this.replicas!.clean()) {
      if (!r.ok) {
        this.logger.error({ error: r.error, message: r.message }, 'log cleaning failed')
        continue
      }
      round.busy ||= r.busy
      round.bytesRead += r.bytesRead
      round.bytesWritten += r.bytesWritten
      for (const c of r.cleaned) {
        this.cleanerOffsets.set(partitionKey(c.topic, c.partition), c.firstDirtyOffset)
        round.cleaned++
      }
    }
    round.throttleMs = ((round.bytesRead + round.bytesWritten) / this.options.logCleanerIoMaxBytesPerSecond) * 1000
    if (round.cleaned > 0) await this.writeCleanerCheckpoint()
    return round
  }

  /** Test hook: cleaner rounds until no shard has anything left to clean (bounded). */
  async cleanAll(maxRounds = 10_000): Promise<number> {
    let cleaned = 0
    for (let i = 0; i < maxRounds; i++) {
      const r = await this.cleanerRound()
      cleaned += r.cleaned
      if (!r.busy && r.cleaned === 0 && r.bytesRead === 0) return cleaned
    }
    throw new Error(`the log cleaner was still busy after ${maxRounds} rounds`)
  }

  private async writeCleanerCheckpoint(): Promise<void> {
    const dir = this.dataDir
    if (dir === null) return
    const entries = [...this.cleanerOffsets].map(([key, offset]) => ({ ...parsePartitionKey(key), offset })).filter((e) => this.topics?.get(e.topic) !== undefined)
    await writeFileDurably(cleanerCheckpointPath(dir), formatCleanerCheckpoint(entries))
  }

  private every(ms: number, fn: () => void): void {
    const timer = setInterval(fn, ms)
    timer.unref()
    this.timers.push(timer)
  }

  // --fsync interval: the shards list what they wrote, the fdatasyncs run on libuv's pool
  // (background-flush.ts), then the checkpoints move. Nobody waits on the disk for a timer.
  private async backgroundFlush(dir: string): Promise<void> {
    const outcomes = (await this.replicas!.handOffFlush()).filter((o) => o.ok)
    await fsyncPaths(outcomes.flatMap((o) => o.flushFiles), outcomes.flatMap((o) => o.flushDirs), this.flushTimed)
    const e = this.checkpointEntries(outcomes.flatMap((o) => o.recoveryPoints))
    await writeFileDurably(join(dir, RECOVERY_POINT_FILE), formatCheckpoint(e.recovery))
    await writeFileDurably(join(dir, LOG_START_FILE), formatCheckpoint(e.logStart))
  }

  private checkpointEntries(points: RecoveryPoint[]): { recovery: Array<{ topic: string; partition: number; offset: number }>; logStart: Array<{ topic: string; partition: number; offset: number }> } {
    const live = points.filter((p) => this.topics?.get(p.topic) !== undefined)
    return {
      recovery: live.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.recoveryPoint })),
      logStart: live.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.logStartOffset })),
    }
  }

  /**
   * Flushes and closes every log, writes the checkpoints, then the marker. What cannot be
   * flushed (an offline partition, a full disk) is reported, not thrown: the broker still
   * stops cleanly and the next start recovers those partitions.
   */
  async shutdown(): Promise<ShutdownReport> {
    for (const t of this.timers) clearInterval(t)
    this.timers = []
    this.cleanerStopped = true
    if (this.cleanerTimer !== null) clearTimeout(this.cleanerTimer)
    if (this.cleaning !== null) await this.cleaning.catch(() => {})
    if (this.flushing !== null) await this.flushing
    const replicas = this.replicas
    const report: ShutdownReport = { unflushed: [], clean: false }
    if (replicas !== null) {
      const points: RecoveryPoint[] = []
      for (const o of await replicas.closeLogs()) {
        if (!o.ok) report.unflushed.push(o.message)
        else {
          points.push(...o.recoveryPoints)
          report.unflushed.push(...o.unflushed)
        }
      }
      await replicas.shutdown()
      const dir = this.dataDir
      const io = this.io
      if (dir !== null && io !== null) {
        let checkpointed = false
        try {
          const e = this.checkpointEntries(points)
          writeCheckpointFile(io, join(dir, RECOVERY_POINT_FILE), e.recovery)
          writeCheckpointFile(io, join(dir, LOG_START_FILE), e.logStart)
          checkpointed = true
        } catch (err) {
          this.logger.error({ err: (err as Error).message }, 'cannot write the checkpoints at shutdown')
        }
        if (report.unflushed.length === 0 && checkpointed) {
          try {
            writeCleanShutdownMarker(io, dir)
            report.clean = true
          } catch (err) {
            this.logger.error({ err: (err as Error).message }, 'cannot write the clean-shutdown marker')
          }
        }
        if (report.unflushed.length > 0) this.logger.warn({ partitions: report.unflushed }, 'these partitions could not be flushed at shutdown: the next start recovers them')
        else if (!report.clean) this.logger.warn('shutdown without the clean-shutdown marker: the next start recovers every log from its recovery point')
      }
    }
    this.unlock()
    return report
  }

  /**
   * Test hook for memory storage: a power cut under the running broker. Every shard
   * loses what was not synced, then every partition reopens with recovery, as at the
   * next start. Clients stay connected; coordinators are not reloaded.
   */
  async simulatePowerLoss(): Promise<void> {
    if (this.dataDir !== null) throw new Error('simulatePowerLoss needs memory storage')
    await this.replicas!.powerLoss()
    await Promise.all([...this.topics!.all()].map((t) => this.open(t, false, true)))
  }

  /** Releases the data dir lock (start-up failures; shutdown does it itself). */
  unlock(): void {
    const release = this.release
    this.release = () => {}
    release()
  }
}
