// Log lines an outsider can trigger at will (failed logins, TLS garbage) pass through
// here: at most `burst` lines per window, then one line saying how many were left out,
// so a password-guessing or port-scanning client cannot fill the disk with logs.

import type { Logger } from '../logger.ts'

export class RateLimitedLog {
  private readonly logger: Logger
  private readonly burst: number
  private readonly windowMs: number
  private readonly now: () => number
  private windowStart = -Infinity
  private count = 0
  private suppressed = 0

  constructor(logger: Logger, opts: { burst?: number; windowMs?: number; now?: () => number } = {}) {
    this.logger = logger
    this.burst = opts.burst ?? 20
    this.windowMs = opts.windowMs ?? 60_000
    this.now = opts.now ?? Date.now
  }

  warn(fields: Record<string, unknown>, message: string): void {
    const now = this.now()
    if (now - this.windowStart >= this.windowMs) {
      if (this.suppressed > 0) this.logger.warn({ suppressed: this.suppressed, windowMs: this.windowMs }, 'more lines like the ones above were left out')
      this.windowStart = now
      this.count = 0
      this.suppressed = 0
    }
    if (this.count >= this.burst) {
      this.suppressed++
      return
    }
    this.count++
    this.logger.warn(fields, message)
  }
}
