// What the request path tells the metrics, apart from prom-client itself. Only the HTTP
// listener (/metrics, the admin API's throughput) reads them, so a broker without one
// records into `noMetrics` and never loads prom-client: importing it (and what it pulls
// in, @opentelemetry/api among them) was ~40 ms of start-up and a few MB of idle heap.

import type { Registry } from 'prom-client'
import type { ShardObserver } from '../workers/shard-pool.ts'

export interface MetricsRecorder extends ShardObserver {
  /** The registry /metrics serves; null when the broker has no HTTP listener to serve it. */
  readonly registry: Registry | null
  /** A produced batch was appended. */
  produced(topic: string, bytes: number, records: number): void
  fetched(topic: string, bytes: number): void
  /** A request was answered: its latency and the error codes its response carries. */
  handled(api: string, version: number, ms: number, response: unknown): void
}

export const noMetrics: MetricsRecorder = {
  registry: null,
  produced() {},
  fetched() {},
  handled() {},
  taskDone() {},
  flushed() {},
}
