// The main thread's view of each partition's bounds (log start offset, high watermark),
// refreshed from every shard result. It lets ListOffsets answer earliest/latest without
// a worker round trip and lets a long-polling Fetch sleep until an append lands on one
// of its partitions instead of polling the workers.

import { partitionKey } from '../topics/partition-key.ts'
import type { Bounds } from '../workers/shard-protocol.ts'

export interface PartitionState {
  logStartOffset: number
  highWatermark: number
  /** Below the first open transaction's first offset, else the high watermark. */
  lastStableOffset: number
  watchers: Set<AppendWatcher> | null
}

export type AppendWatcher = (bytes: number) => void

export class PartitionCache {
  private readonly states = new Map<string, PartitionState>()

  get(topic: string, partition: number): PartitionState | undefined {
    return this.states.get(partitionKey(topic, partition))
  }

  update(topic: string, partition: number, b: Bounds): void {
    const key = partitionKey(topic, partition)
    const s = this.states.get(key)
    if (s === undefined) {
      this.states.set(key, { logStartOffset: b.logStartOffset, highWatermark: b.highWatermark, lastStableOffset: b.lastStableOffset, watchers: null })
      return
    }
    s.logStartOffset = b.logStartOffset
    s.highWatermark = b.highWatermark
    s.lastStableOffset = b.lastStableOffset
  }

  /** Records an append and wakes the fetches waiting on this partition. */
  appended(topic: string, partition: number, b: Bounds, bytes: number): void {
    this.update(topic, partition, b)
    const s = this.states.get(partitionKey(topic, partition))
    if (s?.watchers) for (const w of [...s.watchers]) w(bytes)
  }

  /** Calls `watcher` on every append to any of the partitions; returns the unsubscribe. */
  watch(partitions: Array<{ topic: string; partition: number }>, watcher: AppendWatcher): () => void {
    const watched: PartitionState[] = []
    for (const p of partitions) {
      const key = partitionKey(p.topic, p.partition)
      let s = this.states.get(key)
      if (s === undefined) {
        s = { logStartOffset: 0, highWatermark: 0, lastStableOffset: 0, watchers: null }
        this.states.set(key, s)
      }
      s.watchers ??= new Set()
      s.watchers.add(watcher)
      watched.push(s)
    }
    return () => {
      for (const s of watched) {
        s.watchers?.delete(watcher)
        if (s.watchers?.size === 0) s.watchers = null
      }
    }
  }

  /** Forgets a deleted topic's partitions, waking their watchers so fetches answer at once. */
  dropTopic(topic: string, partitions: number): void {
    for (let p = 0; p < partitions; p++) {
      const key = partitionKey(topic, p)
      const s = this.states.get(key)
      this.states.delete(key)
      if (s?.watchers) for (const w of [...s.watchers]) w(0)
    }
  }
}
