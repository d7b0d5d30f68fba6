// The broker-wide budget for request bytes that have arrived (or been promised by a frame
// header) and are not handled yet: frames being assembled and produced bytes waiting in
// shard tasks. Kafka's queued.max.request.bytes. A frame is admitted only while the budget
// has room (as Kafka's MemoryPool, one request may overshoot it, since every request up
// to socket.request.max.bytes must be able to pass); a connection whose next frame is
// not admitted stops reading until bytes are released. Memory itself grows only with the
// bytes that actually arrive (frame-decoder.ts), so a header declaring 100 MiB costs
// nothing until 100 MiB come. Main thread.

export class RequestMemoryPool {
  readonly capacity: number
  private used = 0
  private readonly waiting = new Set<() => void>()

  /** `capacity` ≤ 0: unbounded (what tools and benchmarks that decode responses use). */
  constructor(capacity: number) {
    this.capacity = capacity <= 0 ? Number.POSITIVE_INFINITY : capacity
  }

  get usedBytes(): number {
    return this.used
  }

  get blockedCount(): number {
    return this.waiting.size
  }

  get full(): boolean {
    return this.used >= this.capacity
  }

  /** Admits `bytes` if there is room, or if nothing else holds any (one request may overshoot). */
  tryReserve(bytes: number): boolean {
    if (this.used > 0 && this.used + bytes > this.capacity) return false
    this.used += bytes
    return true
  }

  /** Counts bytes already in memory that must be (shard task data): never refused. */
  reserve(bytes: number): void {
    this.used += bytes
  }

  release(bytes: number): void {
    this.used -= bytes
    if (this.used < 0) this.used = 0
    if (this.waiting.size > 0 && this.used < this.capacity) {
      const wake = [...this.waiting]
      this.waiting.clear()
      for (const w of wake) w()
    }
  }

  /** Calls `wake` once after the next release that leaves room; returns the cancel. */
  whenAvailable(wake: () => void): () => void {
    this.waiting.add(wake)
    return () => this.waiting.delete(wake)
  }
}

export const UNBOUNDED = new RequestMemoryPool(0)
