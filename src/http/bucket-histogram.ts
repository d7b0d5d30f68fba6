// A Prometheus histogram for the hot paths (a shard task finishing, an fdatasync): one
// label at most, children held in an array, so an observation is a short scan of the
// bounds and two additions. prom-client's Histogram hashes its labels on every observe,
// ~1-2 µs here, which every shard task would pay; this costs tens of ns. It is registered
// through prom-client's registerMetric and read at scrape like prom-client's own, in the
// same text format (cumulative _bucket{le}, _sum, _count).

import type { Registry } from 'prom-client'

interface Child {
  labels: Record<string, string>
  /** Non-cumulative: counts[i] observations fell in (bounds[i-1], bounds[i]]; the last slot is +Inf. */
  counts: Float64Array
  sum: number
  count: number
}

export class BucketHistogram {
  readonly name: string
  readonly help: string
  readonly type = 'histogram'
  private readonly bounds: readonly number[]
  private readonly children = new Map<string, Child>()

  constructor(opts: { name: string; help: string; buckets: readonly number[]; registers: Registry[] }) {
    this.name = opts.name
    this.help = opts.help
    this.bounds = [...opts.buckets].sort((a, b) => a - b)
    for (const r of opts.registers) r.registerMetric(this as never)
  }

  /** The observer for one label set; keep it and call it on the hot path. */
  child(labels: Record<string, string> = {}): (value: number) => void {
    const key = JSON.stringify(labels)
    let c = this.children.get(key)
    if (c === undefined) {
      c = { labels, counts: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 }
      this.children.set(key, c)
    }
    const child = c
    const bounds = this.bounds
    return (value: number) => {
      let i = 0
      while (i < bounds.length && value > bounds[i]!) i++
      child.counts[i]!++
      child.sum += value
      child.count++
    }
  }

  reset(): void {
    for (const c of this.children.values()) {
      c.counts.fill(0)
      c.sum = 0
      c.count = 0
    }
  }

  /** What prom-client's registry reads at scrape. */
  get(): { name: string; help: string; type: string; values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }>; aggregator: string } {
    const values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> = []
    for (const c of this.children.values()) {
      let cumulative = 0
      for (let i = 0; i <= this.bounds.length; i++) {
        cumulative += c.counts[i]!
        values.push({ labels: { le: i < this.bounds.length ? this.bounds[i]! : '+Inf', ...c.labels }, value: cumulative, metricName: `${this.name}_bucket` })
      }
      values.push({ labels: c.labels, value: c.sum, metricName: `${this.name}_sum` })
      values.push({ labels: c.labels, value: c.count, metricName: `${this.name}_count` })
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: 'sum' }
  }
}
