// ClientQuotaManager and SampledRate against Kafka's rules, on a made-up clock: the
// precedence of quota levels, which clients share a sensor, the throttle time formula
// (QuotaUtils.throttleTime over Rate's window), the request-time cap, and a producer
// offering 1.25× its quota being held to the quota.

import t from 'tap'
import { ClientQuotaManager, DEFAULT_ENTITY } from '../../src/quotas/client-quota-manager.ts'
import { SampledRate } from '../../src/quotas/sampled-rate.ts'

const WINDOW = { samples: 11, windowSeconds: 1 }

t.test('no quota ever set: nothing is recorded and nothing throttles', async (t) => {
  const m = new ClientQuotaManager(WINDOW)
  t.equal(m.enabled, false)
  t.equal(m.recordAndGetThrottleTimeMs('alice', 'app', 1e12, 0), 0)
  t.equal(m.maxValueInQuotaWindow('alice', 'app'), Infinity)
})

t.test("Kafka's precedence: the most specific quota that exists applies", async (t) => {
  const m = new ClientQuotaManager(WINDOW)
  const levels: Array<[string | typeof DEFAULT_ENTITY | undefined, string | typeof DEFAULT_ENTITY | undefined, number]> = [
    [undefined, DEFAULT_ENTITY, 8],
    [undefined, 'app', 7],
    [DEFAULT_ENTITY, undefined, 6],
    [DEFAULT_ENTITY, DEFAULT_ENTITY, 5],
    [DEFAULT_ENTITY, 'app', 4],
    ['alice', undefined, 3],
    ['alice', DEFAULT_ENTITY, 2],
    ['alice', 'app', 1],
  ]
  // Added from the least to the most specific: each one takes over.
  for (const [u, c, q] of levels) {
    m.updateQuota(u, c, q)
    const name = (x: typeof u): string => (x === DEFAULT_ENTITY ? '<default>' : String(x))
    t.equal(m.quotaFor('alice', 'app'), q, `after /users/${name(u)}/clients/${name(c)}`)
  }
  t.equal(m.quotaFor('bob', 'app'), 4, 'bob: /users/<default>/clients/app')
  t.equal(m.quotaFor('bob', 'other'), 5, 'bob, other: /users/<default>/clients/<default>')
  t.equal(m.quotaFor('alice', 'other'), 2, 'alice, other: /users/alice/clients/<default>')
  // Removed from the most specific: the next level shows through.
  for (const [u, c] of levels.reverse().slice(0, 4)) m.updateQuota(u, c, null)
  t.equal(m.quotaFor('alice', 'app'), 5)
  m.updateQuota(DEFAULT_ENTITY, DEFAULT_ENTITY, null)
  t.equal(m.quotaFor('alice', 'app'), 6, '/users/<default>')
  m.updateQuota(DEFAULT_ENTITY, undefined, null)
  t.equal(m.quotaFor('alice', 'app'), 7, '/clients/app')
  m.updateQuota(undefined, 'app', null)
  t.equal(m.quotaFor('alice', 'app'), 8, '/clients/<default>')
  m.updateQuota(undefined, DEFAULT_ENTITY, null)
  t.equal(m.quotaFor('alice', 'app'), null, 'no quota left')
})

t.test('a user quota is shared by every client id of the user, and no one else', async (t) => {
  const m = new ClientQuotaManager(WINDOW)
  m.updateQuota('alice', undefined, 1000)
  // 10 000 bytes in the (at least) 10 s window: exactly the quota.
  t.equal(m.recordAndGetThrottleTimeMs('alice', 'one', 5000, 0), 0)
  t.equal(m.recordAndGetThrottleTimeMs('alice', 'two', 5000, 0), 0)
  t.ok(m.recordAndGetThrottleTimeMs('alice', 'three', 1, 0) > 0, 'the third client id of alice is over the shared quota')
  t.equal(m.recordAndGetThrottleTimeMs('bob', 'one', 1e9, 0), 0, 'bob has no quota')
})

t.test("throttle time is QuotaUtils.throttleTime: (O − T) / T × W", async (t) => {
  const m = new ClientQuotaManager(WINDOW)
  m.updateQuota(undefined, 'app', 1000)
  // 12 000 bytes at once: W is taken as 10 whole windows (10 000 ms), O = 1200/s.
  t.equal(m.recordAndGetThrottleTimeMs('ANONYMOUS', 'app', 12000, 5000), 2000)
  t.equal(m.maxValueInQuotaWindow('ANONYMOUS', 'app'), 10000, 'quota × (samples − 1) × window')
  m.unrecord('ANONYMOUS', 'app', 12000, 5000)
  t.equal(m.recordAndGetThrottleTimeMs('ANONYMOUS', 'app', 10000, 5000), 0, 'an unrecorded value no longer counts')
})

t.test('the request-time quota caps a throttle at one window', async (t) => {
  const m = new ClientQuotaManager(WINDOW, 1000)
  m.updateQuota('alice', undefined, 1)
  t.equal(m.recordAndGetThrottleTimeMs('alice', 'x', 100, 0), 1000)
})

t.test("SampledRate: Kafka's window (at least samples − 1 windows) and sample expiry", async (t) => {
  const r = new SampledRate(11, 1000)
  r.record(1000, 0)
  t.equal(r.windowSize(0), 10000)
  t.equal(r.measure(0), 100)
  r.record(1000, 15_500)
  t.equal(r.measure(15_500), 100, 'the first sample expired 11 s after its last event')
  t.equal(r.windowSize(25_500), 10000)
  r.record(0, 26_600)
  t.equal(r.measure(26_600), 0, 'nothing within the last 11 windows')
})

t.test('a producer offering 1.25× its quota is held to it: within 5 % over 11 s, 10 % over 10 s', async (t) => {
  const quota = 1048576
  const m = new ClientQuotaManager(WINDOW)
  m.updateQuota('alice', undefined, quota)
  const batch = 65536
  const offeredInterval = (batch / (1.25 * quota)) * 1000
  const sent: number[] = []
  let now = 0
  while (now < 60_000) {
    const throttle = m.recordAndGetThrottleTimeMs('alice', 'p', batch, Math.round(now))
    sent.push(now)
    // The next batch leaves one interval later, or when the muted connection is read again.
    now += Math.max(offeredInterval, throttle)
  }
  const range = (span: number): [number, number] => {
    let min = Infinity
    let max = 0
    for (let start = 15_000; start + span <= 60_000; start += 100) {
      const rate = (sent.filter((s) => s >= start && s < start + span).length * batch) / (span / 1000) / quota
      min = Math.min(min, rate)
      max = Math.max(max, rate)
    }
    return [min, max]
  }
  // Kafka's rate spans 10 whole windows plus the current one: about 11 s of quota is let
  // through per 11 s, so a 10 s span holding all of one period sees up to 1.1× (plus one batch).
  const [min11, max11] = range(11_000)
  t.ok(min11 >= 0.95 && max11 <= 1.05, `11 s windows: ${min11.toFixed(3)}–${max11.toFixed(3)} × quota`)
  const [min10, max10] = range(10_000)
  t.ok(min10 >= 0.9 && max10 <= 1.1 + batch / (10 * quota), `10 s windows: ${min10.toFixed(3)}–${max10.toFixed(3)} × quota`)
})
