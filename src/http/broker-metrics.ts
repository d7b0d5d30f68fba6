// The broker's Prometheus metrics, on prom-client, in one registry per broker (tests run
// several brokers in one process). Names follow what dashboards already expect:
// - consumer lag as the most used lag exporter (danielqsj/kafka_exporter) publishes it:
//   kafka_consumergroup_lag / _current_offset{consumergroup,topic,partition},
//   kafka_topic_partition_current_offset / _oldest_offset{topic,partition},
//   kafka_topic_partitions{topic}, kafka_brokers;
// - throughput as Kafka's JMX exporter rules name BrokerTopicMetrics
//   (kafka_server_brokertopicmetrics_bytesin_total{topic}, ..._messagesin_total,
//   ..._bytesout_total) and RequestMetrics (requests, errors by code, latency per API),
//   and the flush timer of kafka.log:type=LogFlushStats,name=LogFlushRateAndTimeMs as
//   kafka_log_logflushstats_logflushrateandtimems (ms, like totaltimems);
// - samsa_shard_* for the shards: operations waiting or running, and task round trips;
// - process and event-loop metrics from prom-client's defaults.
// Lag and offsets are computed at scrape time from state the broker keeps anyway (the
// partition cache and the groups' committed offsets), so the produce path only pays for
// counter increments. Shard task times cost two clock reads per task (a task carries every
// operation queued for its shard meanwhile); fsync times come back inside the task results
// (shard-worker.ts) or from the background flusher, never as messages of their own.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { errorName } from '../../protocol/error-codes.ts'
import { BucketHistogram } from './bucket-histogram.ts'
import type { MetricsRecorder } from './metrics-recorder.ts'

/** What a scrape reads from the broker. */
export interface MetricsSource {
  topics(): Iterable<{ name: string; partitions: number; internal: boolean }>
  bounds(topic: string, partition: number): { logStartOffset: number; highWatermark: number } | undefined
  groups(): Iterable<{ groupId: string; offsets: Iterable<[topic: string, partition: number, offset: number]> }>
  connections(): number
  shardTasks(): number[]
  shardQueueDepths(): number[]
  queuedRequestBytes(): number
  logSizes(): Promise<Array<{ topic: string; partition: number; size: number }>>
}

export class BrokerMetrics implements MetricsRecorder {
  readonly registry = new Registry()
  private readonly bytesIn: Counter<'topic'>
  private readonly messagesIn: Counter<'topic'>
  private readonly bytesOut: Counter<'topic'>
  private readonly requests: Counter<'request' | 'version'>
  private readonly errors: Counter<'request' | 'error'>
  private readonly latency: Histogram<'request'>
  // Observed once per shard task and per fdatasync: BucketHistogram, not prom-client's.
  private readonly taskTime: BucketHistogram
  private readonly taskTimeOf: Array<(seconds: number) => void> = []
  private readonly flushTime: (ms: number) => void

  constructor(source: MetricsSource) {
    const registers = [this.registry]
    collectDefaultMetrics({ register: this.registry })
    this.bytesIn = new Counter({ name: 'kafka_server_brokertopicmetrics_bytesin_total', help: 'Bytes of record batches appended, per topic', labelNames: ['topic'], registers })
    this.messagesIn = new Counter({ name: 'kafka_server_brokertopicmetrics_messagesin_total', help: 'Records appended, per topic', labelNames: ['topic'], registers })
    this.bytesOut = new Counter({ name: 'kafka_server_brokertopicmetrics_bytesout_total', help: 'Bytes of record batches sent to fetchers, per topic', labelNames: ['topic'], registers })
    this.requests = new Counter({ name: 'kafka_network_requestmetrics_requests_total', help: 'Requests handled, per API and version', labelNames: ['request', 'version'], registers })
    this.errors = new Counter({ name: 'kafka_network_requestmetrics_errors_total', help: 'Error codes in responses, per API and error name', labelNames: ['request', 'error'], registers })
    this.latency = new Histogram({
      name: 'kafka_network_requestmetrics_totaltimems', help: 'Time from a request being read to its response being queued, ms', labelNames: ['request'], registers,
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 5000],
    })
    // An idle shard answers in ~100 µs (a worker wake-up and back); the buckets start below that.
    this.taskTime = new BucketHistogram({
      name: 'samsa_shard_task_seconds', help: 'Time from a task being sent to a shard to its results being back on the main thread, per shard', registers,
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    })
    this.flushTime = new BucketHistogram({
      name: 'kafka_log_logflushstats_logflushrateandtimems',
      help: 'Time of each fdatasync of a partition\'s files (segment .log, indexes, snapshots), ms: in the shards (--fsync always, flushes, shutdown) and the background flusher (--fsync interval)',
      registers,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 5000],
    }).child()

    const gauge = (name: string, help: string, labelNames: string[], collect: (g: Gauge<string>) => void | Promise<void>): void => {
      new Gauge({ name, help, labelNames, registers, collect(this: Gauge<string>) { this.reset(); return collect(this) } })
    }
    gauge('kafka_brokers', 'Brokers in the cluster', [], (g) => g.set(1))
    gauge('kafka_topic_partitions', 'Partitions per topic', ['topic'], (g) => {
      for (const t of source.topics()) g.set({ topic: t.name }, t.partitions)
    })
    gauge('kafka_topic_partition_current_offset', 'Log end offset per partition', ['topic', 'partition'], (g) => {
      for (const t of source.topics()) for (let p = 0; p < t.partitions; p++) {
        const b = source.bounds(t.name, p)
        if (b !== undefined) g.set({ topic: t.name, partition: String(p) }, b.highWatermark)
      }
    })
    gauge('kafka_topic_partition_oldest_offset', 'Log start offset per partition', ['topic', 'partition'], (g) => {
      for (const t of source.topics()) for (let p = 0; p < t.partitions; p++) {
        const b = source.bounds(t.name, p)
        if (b !== undefined) g.set({ topic: t.name, partition: String(p) }, b.logStartOffset)
      }
    })
    gauge('kafka_consumergroup_current_offset', 'Committed offset per group and partition', ['consumergroup', 'topic', 'partition'], (g) => {
      for (const group of source.groups()) for (const [topic, partition, offset] of group.offsets) g.set({ consumergroup: group.groupId, topic, partition: String(partition) }, offset)
    })
    gauge('kafka_consumergroup_lag', 'Log end offset minus committed offset, per group and partition', ['consumergroup', 'topic', 'partition'], (g) => {
      for (const group of source.groups()) {
        for (const [topic, partition, offset] of group.offsets) {
          const b = source.bounds(topic, partition)
          if (b !== undefined) g.set({ consumergroup: group.groupId, topic, partition: String(partition) }, Math.max(0, b.highWatermark - offset))
        }
      }
    })
    gauge('samsa_connections', 'Open client connections', [], (g) => g.set(source.connections()))
    gauge('samsa_queued_request_bytes', 'Request bytes read and not handled yet (queued.max.request.bytes accounting)', [], (g) => g.set(source.queuedRequestBytes()))
    gauge('samsa_shard_tasks', 'Tasks sent to each shard since start', ['shard'], (g) => {
      source.shardTasks().forEach((n, shard) => g.set({ shard: String(shard) }, n))
    })
    gauge('samsa_shard_queue_depth', 'Operations submitted to each shard and not answered yet: those waiting for its next task plus those in the running one', ['shard'], (g) => {
      source.shardQueueDepths().forEach((n, shard) => g.set({ shard: String(shard) }, n))
    })
    gauge('kafka_log_log_size', 'Bytes of a partition\'s log (Kafka\'s kafka.log:type=Log,name=Size)', ['topic', 'partition'], async (g) => {
      for (const l of await source.logSizes()) g.set({ topic: l.topic, partition: String(l.partition) }, l.size)
    })
  }

  /** A produced batch was appended. */
  produced(topic: string, bytes: number, records: number): void {
    this.bytesIn.inc({ topic }, bytes)
    this.messagesIn.inc({ topic }, records)
  }

  taskDone(shard: number, seconds: number): void {
    const observe = this.taskTimeOf[shard] ??= this.taskTime.child({ shard: String(shard) })
    observe(seconds)
  }

  flushed(ms: readonly number[]): void {
    for (const m of ms) this.flushTime(m)
  }

  fetched(topic: string, bytes: number): void {
    if (bytes > 0) this.bytesOut.inc({ topic }, bytes)
  }

  /** A request was answered: its latency and the error codes its response carries. */
  handled(api: string, version: number, ms: number, response: unknown): void {
    this.requests.inc({ request: api, version: String(version) })
    this.latency.observe({ request: api }, ms)
    if (response !== null && typeof response === 'object') countErrors(response, (code) => this.errors.inc({ request: api, error: errorName(code) }))
  }
}

// Every non-zero errorCode in a response, as Kafka's errorCounts gathers them; record
// bytes are skipped, and a response is a few levels deep at most.
function countErrors(value: object, found: (code: number) => void, depth = 0): void {
  if (depth > 6 || Buffer.isBuffer(value)) return
  if (Array.isArray(value)) {
    for (const v of value) if (v !== null && typeof v === 'object') countErrors(v, found, depth + 1)
    return
  }
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'number') {
      if ((k === 'errorCode' || k === 'partitionErrorCode') && v !== 0) found(v)
    } else if (v !== null && typeof v === 'object') countErrors(v, found, depth + 1)
  }
}
