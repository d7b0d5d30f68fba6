// Client quotas (issue 15): DescribeClientQuotas (48) and AlterClientQuotas (49) over the
// wire at every advertised version and through @platformatic/kafka, Kafka's validation
// errors and filters, ACL checks, persistence across a restart, and enforcement: Produce
// and Fetch over a client-id quota carry throttle_time_ms and the connection is muted
// while a client with another client id is served; request_percentage throttles for at
// most one window; a 1 MB/s producer_byte_rate quota on a SCRAM user holds that user's
// produce rate within 10 % over a steady-state 10 s span while an unquoted user keeps
// its own rate.

import t from 'tap'
import { Kafka, logLevel } from 'kafkajs'
import { Admin as PltAdmin } from '@platformatic/kafka'
import { startBroker, type RunningBroker } from '../../src/broker.ts'
import { STANDARD_AUTHORIZER } from '../../src/security/authorizer.ts'
import { memoryBroker, tempDir } from '../helpers/broker.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { addScramUser } from '../helpers/scram-users.ts'
import { batchOf, createTopic, decodeFrame, fetchRequest, produceRequest, sleep } from '../helpers/wire-requests.ts'
import { Writer } from '../../protocol/wire/writer.ts'
import { writeRequestHeader } from '../../protocol/wire/headers.ts'
import { apiMessages } from '../../protocol/messages/index.ts'

const INVALID_REQUEST = 42
type Entity = Array<{ entityType: string; entityName: string | null }>
const op = (key: string, value: number) => ({ key, value, remove: false })
const removal = (key: string) => ({ key, value: 0, remove: true })

async function alter(c: RawClient, version: number, entries: Array<{ entity: Entity; ops: Array<ReturnType<typeof op>> }>, validateOnly = false): Promise<Array<{ errorCode: number; errorMessage: string | null; entity: Entity }>> {
  const res = await c.request(49, version, { entries, validateOnly })
  return res.entries
}

async function describe(c: RawClient, version: number, components: Array<{ entityType: string; matchType: number; match: string | null }>, strict = false): Promise<any> {
  return c.request(48, version, { components, strict })
}

/** Entries as sorted "type=name,…: key=value,…" lines, for order-free comparison. */
function lines(entries: Array<{ entity: Entity; values: Array<{ key: string; value: number }> }>): string[] {
  return entries.map((e) => `${e.entity.map((x) => `${x.entityType}=${x.entityName ?? '<default>'}`).sort().join(',')}: ${e.values.map((v) => `${v.key}=${v.value}`).sort().join(',')}`).sort()
}

/** A request with the client id of our choosing (RawClient always says raw-client). */
let correlation = 5_000_000
async function requestAs<T = any>(c: RawClient, clientId: string, apiKey: number, version: number, body: unknown): Promise<T> {
  const w = Writer.frame()
  const id = correlation++
  writeRequestHeader(w, apiKey, version, id, clientId)
  apiMessages[apiKey]!.encodeRequest(w, version, body as never)
  c.write(Buffer.concat(w.finish()))
  const frame = await c.nextFrame()
  if (frame === null) throw new Error(`no answer to api ${apiKey}`)
  return decodeFrame<T>(frame, apiKey, version).body
}

for (const version of [0, 1]) {
  t.test(`AlterClientQuotas v${version} / DescribeClientQuotas v${version}: set, filter, validate, remove`, async (t) => {
    const broker = await memoryBroker(t)
    const c = await RawClient.connect(broker.port)
    t.teardown(() => c.close())
    const alice: Entity = [{ entityType: 'user', entityName: 'alice' }]
    const aliceApp: Entity = [{ entityType: 'user', entityName: 'alice' }, { entityType: 'client-id', entityName: 'app' }]
    const defaultClient: Entity = [{ entityType: 'client-id', entityName: null }]
    const defaultUserApp: Entity = [{ entityType: 'user', entityName: null }, { entityType: 'client-id', entityName: 'app' }]
    const set = await alter(c, version, [
      { entity: alice, ops: [op('producer_byte_rate', 1048576), op('consumer_byte_rate', 2097152)] },
      { entity: aliceApp, ops: [op('request_percentage', 12.5)] },
      { entity: defaultClient, ops: [op('consumer_byte_rate', 1000)] },
      { entity: defaultUserApp, ops: [op('producer_byte_rate', 5000), op('controller_mutation_rate', 2.5)] },
    ])
    t.same(set.map((e) => [e.errorCode, e.errorMessage]), [[0, null], [0, null], [0, null], [0, null]])
    t.same(set[1]!.entity, aliceApp, 'each entity echoed as sent')

    const all = [
      'client-id=<default>: consumer_byte_rate=1000',
      'client-id=app,user=<default>: controller_mutation_rate=2.5,producer_byte_rate=5000',
      'client-id=app,user=alice: request_percentage=12.5',
      'user=alice: consumer_byte_rate=2097152,producer_byte_rate=1048576',
    ]
    const everything = await describe(c, version, [])
    t.equal(everything.errorCode, 0)
    t.same(lines(everything.entries), all, 'no components, not strict: every entity')
    t.same((await describe(c, version, [], true)).entries, [], 'no components, strict: none')
    t.same(lines((await describe(c, version, [{ entityType: 'user', matchType: 0, match: 'alice' }])).entries), [all[2], all[3]], 'exact user alice')
    t.same(lines((await describe(c, version, [{ entityType: 'user', matchType: 0, match: 'alice' }], true)).entries), [all[3]], 'exact user alice, strict')
    t.same(lines((await describe(c, version, [{ entityType: 'client-id', matchType: 1, match: null }])).entries), [all[0]], 'default client id')
    t.same(lines((await describe(c, version, [{ entityType: 'user', matchType: 1, match: null }])).entries), [all[1]], 'default user')
    t.same(lines((await describe(c, version, [{ entityType: 'user', matchType: 2, match: null }])).entries), [all[1], all[2], all[3]], 'any user')
    t.same(lines((await describe(c, version, [{ entityType: 'user', matchType: 2, match: null }, { entityType: 'client-id', matchType: 0, match: 'app' }], true)).entries), [all[1], all[2]], 'any user with client id app, strict')

    // validate_only answers as a real change would and changes nothing.
    const dry = await alter(c, version, [{ entity: alice, ops: [op('producer_byte_rate', 1)] }, { entity: alice.concat([]), ops: [] }], true)
    t.same(dry.map((e) => e.errorCode), [INVALID_REQUEST], 'validate_only: the same entity twice is one answer')
    const dry2 = await alter(c, version, [{ entity: alice, ops: [op('producer_byte_rate', 1)] }], true)
    t.same(dry2.map((e) => e.errorCode), [0])
    t.same(lines((await describe(c, version, [{ entityType: 'user', matchType: 0, match: 'alice' }], true)).entries), [all[3]], 'unchanged after validate_only')

    // ClientQuotaControlManager's errors, each for its own entity only.
    const bad = await alter(c, version, [
      { entity: [{ entityType: 'user', entityName: 'u1' }], ops: [op('foo', 1)] },
      { entity: [{ entityType: 'user', entityName: 'u2' }], ops: [op('producer_byte_rate', 0)] },
      { entity: [{ entityType: 'user', entityName: 'u3' }], ops: [op('consumer_byte_rate', 1.5)] },
      { entity: [], ops: [op('producer_byte_rate', 1)] },
      { entity: [{ entityType: 'group', entityName: 'g' }], ops: [op('producer_byte_rate', 1)] },
      { entity: [{ entityType: 'user', entityName: '' }], ops: [op('producer_byte_rate', 1)] },
      { entity: [{ entityType: 'user', entityName: 'u4' }], ops: [op('producer_byte_rate', 1), op('producer_byte_rate', 2)] },
      { entity: [{ entityType: 'ip', entityName: '10.0.0.1' }], ops: [op('connection_creation_rate', 5)] },
      { entity: [{ entityType: 'user', entityName: 'u5' }], ops: [op('request_percentage', 0.5)] },
    ])
    t.same(bad.map((e) => [e.errorCode, e.errorMessage]), [
      [INVALID_REQUEST, 'Invalid configuration key foo'],
      [INVALID_REQUEST, 'Quota producer_byte_rate must be greater than 0'],
      [INVALID_REQUEST, 'consumer_byte_rate cannot be a fractional value.'],
      [INVALID_REQUEST, 'Invalid empty client quota entity'],
      [INVALID_REQUEST, 'Unhandled client quota entity type: group'],
      [INVALID_REQUEST, 'Empty user not supported'],
      [INVALID_REQUEST, 'Ignoring duplicate entity ClientQuotaEntity(entries={user=u4})'],
      [INVALID_REQUEST, 'IP quotas (connection_creation_rate) are not supported by this broker'],
      [0, null],
    ])
    t.same(lines((await describe(c, version, [{ entityType: 'user', matchType: 0, match: 'u5' }])).entries), ['user=u5: request_percentage=0.5'], 'the valid entity of the batch was applied')

    // A bad filter answers the whole request, with null entries.
    const filterErrors = [
      [[{ entityType: 'user', matchType: 0, match: null }], INVALID_REQUEST, 'Request specified MATCH_TYPE_EXACT, but set match string to null.'],
      [[{ entityType: 'user', matchType: 1, match: 'x' }], INVALID_REQUEST, 'Request specified MATCH_TYPE_DEFAULT, but also specified a match string.'],
      [[{ entityType: 'user', matchType: 2, match: null }, { entityType: 'user', matchType: 1, match: null }], INVALID_REQUEST, 'Entity type user cannot appear more than once in the filter.'],
      [[{ entityType: 'topic', matchType: 2, match: null }], 35, 'Unsupported entity type topic'],
      [[{ entityType: 'user', matchType: 7, match: null }], INVALID_REQUEST, 'Unknown match type 7'],
    ] as const
    for (const [components, code, message] of filterErrors) {
      const res = await describe(c, version, components as never)
      t.same([res.errorCode, res.errorMessage, res.entries], [code, message, null], message)
    }

    // remove deletes a key; an entity with no keys left is gone; removing an unset key is a no-op.
    const removed = await alter(c, version, [
      { entity: alice, ops: [removal('producer_byte_rate'), removal('consumer_byte_rate')] },
      { entity: defaultClient, ops: [removal('request_percentage')] },
    ])
    t.same(removed.map((e) => e.errorCode), [0, 0])
    t.same(lines((await describe(c, version, [{ entityType: 'user', matchType: 0, match: 'alice' }], true)).entries), [], 'alice has no quotas left')
    t.same(lines((await describe(c, version, [{ entityType: 'client-id', matchType: 1, match: null }], true)).entries), [all[0]])
  })
}

t.test('@platformatic/kafka alterClientQuotas / describeClientQuotas round-trip', async (t) => {
  const broker = await memoryBroker(t)
  const admin = new PltAdmin({ clientId: 'plt-quotas', bootstrapBrokers: [`127.0.0.1:${broker.port}`] })
  t.teardown(() => admin.close())
  const altered = await admin.alterClientQuotas({
    entries: [{ entities: [{ entityType: 'user', entityName: 'carol' }], ops: [{ key: 'producer_byte_rate', value: 4096, remove: false }, { key: 'request_percentage', value: 25, remove: false }] }],
  })
  t.same(altered.map((e) => e.errorCode), [0])
  const described = await admin.describeClientQuotas({ components: [{ entityType: 'user', matchType: 0, match: 'carol' }] })
  t.same(described.map((e) => ({ entity: e.entity, values: [...e.values].sort((a, b) => a.key.localeCompare(b.key)) })), [
    { entity: [{ entityType: 'user', entityName: 'carol' }], values: [{ key: 'producer_byte_rate', value: 4096 }, { key: 'request_percentage', value: 25 }] },
  ])
})

t.test('with ACLs: Alter needs ALTER_CONFIGS and Describe DESCRIBE_CONFIGS on the cluster', async (t) => {
  const broker = await memoryBroker(t, { authorizerClassName: STANDARD_AUTHORIZER })
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  const res = await alter(c, 1, [{ entity: [{ entityType: 'user', entityName: 'x' }], ops: [op('producer_byte_rate', 10)] }])
  t.same(res.map((e) => [e.errorCode, e.errorMessage, e.entity]), [[31, 'Cluster authorization failed.', [{ entityType: 'user', entityName: 'x' }]]])
  const d = await describe(c, 1, [])
  t.same([d.errorCode, d.entries], [31, null])
})

t.test('Produce and Fetch over a client-id quota: throttle_time_ms, a muted connection, other clients served', async (t) => {
  const broker = await memoryBroker(t)
  const admin = await RawClient.connect(broker.port)
  t.teardown(() => admin.close())
  await createTopic(admin, 'quoted')
  // 120 000 bytes in one request against 10 000 B/s measured over at least 10 s: O = 12 000 B/s.
  const set = await alter(admin, 1, [{ entity: [{ entityType: 'client-id', entityName: 'slow' }], ops: [op('producer_byte_rate', 10000), op('consumer_byte_rate', 10000)] }])
  t.same(set.map((e) => e.errorCode), [0])
  const batch = batchOf([Buffer.alloc(120_000, 1).toString('latin1')])

  const slow = await RawClient.connect(broker.port)
  t.teardown(() => slow.close())
  const produced = await requestAs(slow, 'slow', 0, 9, produceRequest([{ topic: 'quoted', partition: 0, records: batch }]))
  t.equal(produced.responses[0].partitionResponses[0].errorCode, 0, 'the request over quota is still appended')
  t.ok(produced.throttleTimeMs > 1000, `Produce throttle_time_ms ${produced.throttleTimeMs}`)

  // Muted: nothing is read from this connection until the throttle time is over.
  let answered = false
  const answer = slow.nextFrame().then((f) => {
    answered = true
    return f
  })
  slow.write(slow.frameFor(18, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' }))
  await sleep(300)
  t.equal(answered, false, 'no answer while muted')
  const other = await RawClient.connect(broker.port)
  t.teardown(() => other.close())
  const fast = await requestAs(other, 'fast', 0, 9, produceRequest([{ topic: 'quoted', partition: 0, records: batch }]))
  t.same([fast.responses[0].partitionResponses[0].errorCode, fast.throttleTimeMs], [0, 0], 'another client id is neither throttled nor muted')
  t.not(await answer, null, 'answered once the throttle time is over')

  // Fetch: the bytes read are over the consumer quota, so the answer is empty and throttled.
  const fetched = await requestAs(other, 'slow', 1, 12, fetchRequest([{ topic: 'quoted', partition: 0, offset: 0, partitionMaxBytes: 1 << 20 }]))
  t.ok(fetched.throttleTimeMs > 1000, `Fetch throttle_time_ms ${fetched.throttleTimeMs}`)
  t.same([fetched.errorCode, fetched.sessionId, fetched.responses], [0, 0, []], 'a throttled fetch carries nothing')
  const free = await RawClient.connect(broker.port)
  t.teardown(() => free.close())
  const served = await requestAs(free, 'fast', 1, 12, fetchRequest([{ topic: 'quoted', partition: 0, offset: 0, partitionMaxBytes: 1 << 20 }]))
  t.ok(served.responses[0].partitions[0].records.length > 120_000, 'another client id reads the records')
  t.equal(served.throttleTimeMs, 0)
})

t.test('request_percentage: time spent on a client\'s requests is throttled, at most one window', async (t) => {
  const broker = await memoryBroker(t)
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  t.same((await alter(c, 1, [{ entity: [{ entityType: 'client-id', entityName: 'busy' }], ops: [op('request_percentage', 0.0001)] }])).map((e) => e.errorCode), [0])
  const metadata = { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }
  const busy = await RawClient.connect(broker.port)
  t.teardown(() => busy.close())
  let throttled = 0
  // 0.0001 % of a thread over 10 s is 10 µs: a few Metadata requests use it up.
  for (let i = 0; i < 100 && throttled === 0; i++) throttled = (await requestAs(busy, 'busy', 3, 12, metadata)).throttleTimeMs
  t.ok(throttled > 0 && throttled <= 1000, `Metadata throttle_time_ms ${throttled}, capped at one 1 s window`)
  t.equal((await requestAs(c, 'idle', 3, 12, metadata)).throttleTimeMs, 0, 'another client id is not throttled')
})

t.test('quotas survive a restart and are enforced after it', async (t) => {
  const dataDir = tempDir(t, 'samsa-quotas-')
  let broker: RunningBroker = await startBroker({ host: '127.0.0.1', port: 0, dataDir, shards: 1, logLevel: 'silent' })
  let c = await RawClient.connect(broker.port)
  await createTopic(c, 'kept')
  t.same((await alter(c, 0, [{ entity: [{ entityType: 'client-id', entityName: 'raw-client' }], ops: [op('producer_byte_rate', 1000)] }])).map((e) => e.errorCode), [0])
  c.close()
  await broker.close()
  broker = await startBroker({ host: '127.0.0.1', port: 0, dataDir, shards: 1, logLevel: 'silent' })
  t.teardown(() => broker.close())
  c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  t.same(lines((await describe(c, 0, [])).entries), ['client-id=raw-client: producer_byte_rate=1000'])
  const res = await c.request(0, 9, produceRequest([{ topic: 'kept', partition: 0, records: batchOf([Buffer.alloc(20_000, 2).toString('latin1')]) }]))
  t.ok(res.throttleTimeMs > 0, `throttled after the restart (${res.throttleTimeMs} ms)`)
})

t.test('a 1 MB/s quota on a user: its produce rate over 10 s stays within 10 % while an unquoted user keeps its rate', async (t) => {
  const QUOTA = 1048576
  const OFFERED = 1.25 * QUOTA
  const VALUE = 65536
  const broker = await startBroker({ host: '127.0.0.1', memory: true, shards: 2, logLevel: 'silent', listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0' })
  t.teardown(() => broker.close())
  const saslPort = broker.listeners.find((l) => l.name === 'SASL_PLAINTEXT')!.port
  await addScramUser(broker.port, 'alice', 'alice-pw')
  await addScramUser(broker.port, 'bob', 'bob-pw')
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  await createTopic(c, 'rates', 2)
  t.same((await alter(c, 1, [{ entity: [{ entityType: 'user', entityName: 'alice' }], ops: [op('producer_byte_rate', QUOTA)] }])).map((e) => e.errorCode), [0])

  // Each producer offers 1.25 MB/s, one 64 KiB record per send. Kafka's rate spans 10
  // whole windows plus the current one, so a producer held at its quota sends in ~11 s
  // periods: 10 s spans read 0.95–1.10 × quota, the highest where a span holds all the
  // sending of one period (test/quotas). The span measured starts after 15 s, where the
  // first period's burst is over and the next 10 s read ~0.95 (and 1.25 were the quota
  // not enforced).
  const WARMUP_MS = 15_000
  const MEASURE_MS = 10_000
  const value = Buffer.alloc(VALUE, 7)
  // `steady`: sends follow a schedule (timer overshoot and stalls made up, at most 1 s
  // behind), so the unquoted producer really offers its rate on a loaded machine; the
  // quoted one waits a whole interval after each send, as the model in test/quotas does.
  async function run(user: string, password: string, steady: boolean): Promise<{ bytes: number; seconds: number }> {
    const kafka = new Kafka({ clientId: `${user}-producer`, brokers: [`127.0.0.1:${saslPort}`], sasl: { mechanism: 'scram-sha-256', username: user, password }, logLevel: logLevel.NOTHING })
    const producer = kafka.producer({ allowAutoTopicCreation: false })
    await producer.connect()
    try {
      const interval = (VALUE / OFFERED) * 1000
      const start = Date.now()
      let bytes = 0
      let measureStart = 0
      let now = start
      let due = start
      // Bounded: at most 3× the offered number of sends for the whole run.
      for (let i = 0; i < ((WARMUP_MS + MEASURE_MS) / interval) * 3 && now - start < WARMUP_MS + MEASURE_MS; i++) {
        const sent = Date.now()
        await producer.send({ topic: 'rates', acks: 1, messages: [{ partition: user === 'alice' ? 0 : 1, value }] })
        now = Date.now()
        if (now - start >= WARMUP_MS) {
          if (measureStart === 0) measureStart = now
          else bytes += VALUE
        }
        due = steady ? Math.max(due + interval, now - 1000) : sent + interval
        const wait = due - now
        if (wait > 0) await sleep(wait)
        now = Date.now()
      }
      return { bytes, seconds: (now - measureStart) / 1000 }
    } finally {
      await producer.disconnect()
    }
  }
  const [limited, free] = await Promise.all([run('alice', 'alice-pw', false), run('bob', 'bob-pw', true)])
  const limitedRate = limited.bytes / limited.seconds
  const freeRate = free.bytes / free.seconds
  t.comment(`alice ${(limitedRate / QUOTA).toFixed(3)} × quota over ${limited.seconds.toFixed(1)} s; bob ${(freeRate / OFFERED).toFixed(3)} × offered`)
  t.ok(Math.abs(limitedRate - QUOTA) <= 0.1 * QUOTA, `alice's produce rate ${Math.round(limitedRate)} B/s is within 10 % of ${QUOTA}`)
  t.ok(freeRate >= 0.9 * OFFERED, `bob's produce rate ${Math.round(freeRate)} B/s stays at what he offers (${OFFERED})`)
  t.same(lines((await describe(c, 1, [{ entityType: 'user', matchType: 0, match: 'alice' }])).entries), [`user=alice: producer_byte_rate=${QUOTA}`])
})
