// The one clock behind every group timer (session timeouts, rebalance delays and
// timeouts, pending-member expiry, offset retention). Production uses the system clock;
// tests pass a ManualClock to startBroker and advance time instead of sleeping.

export interface Timer {
  cancel(): void
}

export interface Clock {
  now(): number
  /** Runs `fn` once, `ms` from now. */
  setTimer(ms: number, fn: () => void): Timer
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const handle = setTimeout(fn, Math.max(0, ms))
    handle.unref()
    return { cancel: () => clearTimeout(handle) }
  },
}

interface Scheduled {
  at: number
  seq: number
  fn: () => void
  cancelled: boolean
}

/** A clock that moves only when told to; due timers fire in time order during advance(). */
export class ManualClock implements Clock {
  private current: number
  private seq = 0
  private timers: Scheduled[] = []

  constructor(start = Date.now()) {
    this.current = start
  }

  now(): number {
    return this.current
  }

  setTimer(ms: number, fn: () => void): Timer {
    const t: Scheduled = { at: this.current + Math.max(0, ms), seq: this.seq++, fn, cancelled: false }
    this.timers.push(t)
    return { cancel: () => void (t.cancelled = true) }
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const target = this.current + ms
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled)
      let next: Scheduled | undefined
      for (const t of this.timers) if (t.at <= target && (next === undefined || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t
      if (next === undefined) break
      this.current = Math.max(this.current, next.at)
      next.cancelled = true
      next.fn()
    }
    this.current = target
  }

  get pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length
  }
}
