// Kafka's Rate over a WindowedSum (clients' metrics.stats.Rate and SampledStat), the
// measure behind every client quota: `samples` windows of `windowMs` each, a sample made
// only when something is recorded, samples with no event for samples × windowMs dropped,
// and the elapsed time never taken as less than (samples − 1) whole windows, so a
// client's first burst is measured against 10 s (by default), not against the few
// milliseconds it took. Kafka keeps one extra sample for the window that overlaps the
// monitored span; so does this. Times are milliseconds from one clock.

interface Sample {
  value: number
  eventCount: number
  startMs: number
  lastEventMs: number
}

export class SampledRate {
  private readonly samples: Sample[] = []
  private current = 0
  private readonly numSamples: number
  private readonly windowMs: number

  constructor(numSamples: number, windowMs: number) {
    this.numSamples = numSamples
    this.windowMs = windowMs
  }

  record(value: number, nowMs: number): void {
    let sample = this.currentSample(nowMs)
    if (nowMs - sample.startMs >= this.windowMs) sample = this.advance(nowMs)
    sample.value += value
    sample.eventCount++
    sample.lastEventMs = nowMs
  }

  /** Per second, as Kafka's Rate in TimeUnit.SECONDS. */
  measure(nowMs: number): number {
    const windowMs = this.windowSize(nowMs)
    let sum = 0
    for (const s of this.samples) sum += s.value
    return sum / (windowMs / 1000)
  }

  /** Rate.windowSize: time since the oldest live sample began, at least (samples − 1) windows, at least 1 ms. */
  windowSize(nowMs: number): number {
    this.purgeObsolete(nowMs)
    let elapsed = nowMs - this.oldest(nowMs).startMs
    const fullWindows = Math.floor(elapsed / this.windowMs)
    const minFullWindows = this.numSamples - 1
    if (fullWindows < minFullWindows) elapsed += (minFullWindows - fullWindows) * this.windowMs
    return Math.max(elapsed, 1)
  }

  private currentSample(nowMs: number): Sample {
    if (this.samples.length === 0) this.samples.push(newSample(nowMs))
    return this.samples[this.current]!
  }

  private advance(nowMs: number): Sample {
    this.current = (this.current + 1) % (this.numSamples + 1)
    if (this.current >= this.samples.length) {
      const sample = newSample(nowMs)
      this.samples.push(sample)
      return sample
    }
    const sample = this.samples[this.current]!
    reset(sample, nowMs)
    return sample
  }

  private oldest(nowMs: number): Sample {
    if (this.samples.length === 0) this.samples.push(newSample(nowMs))
    let oldest = this.samples[0]!
    for (const s of this.samples) if (s.startMs < oldest.startMs) oldest = s
    return oldest
  }

  private purgeObsolete(nowMs: number): void {
    const expireAge = this.numSamples * this.windowMs
    for (const s of this.samples) if (nowMs - s.lastEventMs >= expireAge) reset(s, nowMs)
  }
}

function newSample(nowMs: number): Sample {
  return { value: 0, eventCount: 0, startMs: nowMs, lastEventMs: nowMs }
}

function reset(s: Sample, nowMs: number): void {
  s.value = 0
  s.eventCount = 0
  s.startMs = nowMs
  s.lastEventMs = nowMs
}
