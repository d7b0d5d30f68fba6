// One kind of client quota (produce bytes, fetch bytes or request time), as Kafka's
// ClientQuotaManager with its DefaultQuotaCallback:
// - Quotas are set on /users/<u>/clients/<c>, /users/<u>/clients/<default>, /users/<u>,
//   /users/<default>/clients/<c>, /users/<default>/clients/<default>, /users/<default>,
//   /clients/<c> and /clients/<default>; a connection gets the first that exists, in
//   that order.
// - Usage is measured per sensor, and which clients share a sensor depends on the levels
//   in use (quotaMetricTags): with only user quotas every client of a user shares one,
//   with only client-id quotas every user of a client id, and so on. A sensor with no
//   quota is measured but never throttles.
// - A request over quota is answered at once and throttled for (O − T) / T × W ms (O the
//   measured rate, T the quota, W the rate's window): QuotaUtils.throttleTime.
// - Until a quota of this kind has ever been set, nothing is recorded: the unquoted path
//   costs one comparison. As in Kafka, removing every quota does not turn that off until
//   a restart.
// Owned by the main thread; times come from the broker's quota clock.

import { SampledRate } from './sampled-rate.ts'

const NO_QUOTAS = 0
const CLIENT_ID_QUOTAS = 1
const USER_QUOTAS = 2
const USER_CLIENT_ID_QUOTAS = 4
/** ClientQuotaManager.InactiveSensorExpirationTimeSeconds. */
const SENSOR_EXPIRY_MS = 3_600_000
const SWEEP_EVERY_MS = 60_000

/** The default entity of a level (Kafka's `<default>`); undefined: the level is not part of the entity. */
export const DEFAULT_ENTITY = 0
export type EntityPart = string | typeof DEFAULT_ENTITY | undefined

interface Sensor {
  user: string
  clientId: string
  rate: SampledRate
  lastRecordMs: number
}

export interface QuotaWindow {
  /** quota.window.num */
  samples: number
  /** quota.window.size.seconds */
  windowSeconds: number
}

function quotaKey(user: EntityPart, clientId: EntityPart): string {
  return JSON.stringify([user ?? null, clientId ?? null])
}

export class ClientQuotaManager {
  private readonly window: QuotaWindow
  /** Caps a throttle (the request-time quota caps it at one window); Infinity for none. */
  private readonly maxThrottleMs: number
  private readonly overridden = new Map<string, number>()
  private readonly sensors = new Map<string, Sensor>()
  private typesEnabled = NO_QUOTAS
  private lastSweepMs = 0

  constructor(window: QuotaWindow, maxThrottleMs = Infinity) {
    this.window = window
    this.maxThrottleMs = maxThrottleMs
  }

  /** True once a quota of this kind has been set (Kafka's quotasEnabled). */
  get enabled(): boolean {
    return this.typesEnabled !== NO_QUOTAS
  }

  /** ClientQuotaManager.updateQuota: sets (or with null removes) the quota of one entity. */
  updateQuota(user: EntityPart, clientId: EntityPart, quota: number | null): void {
    if (user !== undefined) this.typesEnabled |= clientId !== undefined ? USER_CLIENT_ID_QUOTAS : USER_QUOTAS
    else if (clientId !== undefined) this.typesEnabled |= CLIENT_ID_QUOTAS
    const key = quotaKey(user, clientId)
    if (quota === null) this.overridden.delete(key)
    else this.overridden.set(key, quota)
  }

  /**
   * Records `value` for the client and returns how long to throttle it (0 when within
   * its quota). `user` is the principal's name (ANONYMOUS on a listener without
   * authentication), `clientId` the request header's ('' when null).
   */
  recordAndGetThrottleTimeMs(user: string, clientId: string, value: number, nowMs: number): number {
    if (this.typesEnabled === NO_QUOTAS) return 0
    const sensor = this.sensorFor(user, clientId, nowMs)
    sensor.rate.record(value, nowMs)
    sensor.lastRecordMs = nowMs
    const bound = this.quotaLimit(sensor.user, sensor.clientId)
    if (bound === null) return 0
    const observed = sensor.rate.measure(nowMs)
    if (observed <= bound) return 0
    const throttle = Math.round(((observed - bound) / bound) * sensor.rate.windowSize(nowMs))
    return Math.min(throttle, this.maxThrottleMs)
  }

  /** recordNoThrottle: counted now, felt by the client's next request. */
  recordNoThrottle(user: string, clientId: string, value: number, nowMs: number): void {
    if (this.typesEnabled === NO_QUOTAS) return
    const sensor = this.sensorFor(user, clientId, nowMs)
    sensor.rate.record(value, nowMs)
    sensor.lastRecordMs = nowMs
  }

  /** unrecordQuotaSensor: takes back a value recorded for a response that was then not sent (a throttled fetch). */
  unrecord(user: string, clientId: string, value: number, nowMs: number): void {
    if (this.typesEnabled === NO_QUOTAS) return
    this.sensorFor(user, clientId, nowMs).rate.record(-value, nowMs)
  }

  /** getMaxValueInQuotaWindow: the most one response may carry without being throttled for certain. */
  maxValueInQuotaWindow(user: string, clientId: string): number {
    if (this.typesEnabled === NO_QUOTAS) return Infinity
    const tags = this.metricTags(user, clientId)
    const bound = this.quotaLimit(tags[0], tags[1])
    return bound === null ? Infinity : bound * (this.window.samples - 1) * this.window.windowSeconds
  }

  /** The quota that applies to a client (null: unlimited), for tests and tools. */
  quotaFor(user: string, clientId: string): number | null {
    const tags = this.metricTags(user, clientId)
    return this.quotaLimit(tags[0], tags[1])
  }

  private sensorFor(user: string, clientId: string, nowMs: number): Sensor {
    const [u, c] = this.metricTags(user, clientId)
    const key = `${u.length}:${u}${c}`
    let sensor = this.sensors.get(key)
    if (sensor === undefined) {
      if (nowMs - this.lastSweepMs >= SWEEP_EVERY_MS) this.sweep(nowMs)
      sensor = { user: u, clientId: c, rate: new SampledRate(this.window.samples, this.window.windowSeconds * 1000), lastRecordMs: nowMs }
      this.sensors.set(key, sensor)
    }
    return sensor
  }

  private sweep(nowMs: number): void {
    this.lastSweepMs = nowMs
    for (const [key, s] of this.sensors) if (nowMs - s.lastRecordMs >= SENSOR_EXPIRY_MS) this.sensors.delete(key)
  }

  /** DefaultQuotaCallback.quotaMetricTags: the (user, client-id) whose sensor this client shares ('' = not part of it). */
  private metricTags(user: string, clientId: string): [string, string] {
    switch (this.typesEnabled) {
      case NO_QUOTAS:
      case CLIENT_ID_QUOTAS:
        return ['', clientId]
      case USER_QUOTAS:
        return [user, '']
      case USER_CLIENT_ID_QUOTAS:
        return [user, clientId]
    }
    const has = (u: EntityPart, c: EntityPart): boolean => this.overridden.has(quotaKey(u, c))
    if (has(user, clientId) || has(user, DEFAULT_ENTITY)) return [user, clientId]
    if (has(user, undefined)) return [user, '']
    if (has(DEFAULT_ENTITY, clientId) || has(DEFAULT_ENTITY, DEFAULT_ENTITY)) return [user, clientId]
    if (has(DEFAULT_ENTITY, undefined)) return [user, '']
    return ['', clientId]
  }

  /** DefaultQuotaCallback.quotaLimit: the quota of a sensor's tags, null when none applies. */
  private quotaLimit(user: string, clientId: string): number | null {
    const get = (u: EntityPart, c: EntityPart): number | undefined => this.overridden.get(quotaKey(u, c))
    let q: number | undefined
    if (user !== '' && clientId !== '') {
      q = get(user, clientId) ?? get(user, DEFAULT_ENTITY) ?? get(DEFAULT_ENTITY, clientId) ?? get(DEFAULT_ENTITY, DEFAULT_ENTITY)
    } else if (user !== '') {
      q = get(user, undefined) ?? get(DEFAULT_ENTITY, undefined)
    } else if (clientId !== '') {
      q = get(undefined, clientId) ?? get(undefined, DEFAULT_ENTITY)
    }
    return q ?? null
  }
}
