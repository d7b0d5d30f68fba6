// Re-authentication (KIP-368, connections.max.reauth.ms) on a SASL_PLAINTEXT listener,
// with a raw client and the broker on a ManualClock, so session expiry is reached by
// advancing time, not by waiting: SaslAuthenticate v1+ reports the session lifetime;
// the same user may re-authenticate on the open connection (which extends the session),
// another user or another mechanism may not (the connection closes); a request after
// expiry closes the connection unanswered. kafkajs does re-authenticate, but from
// Date.now(), which a ManualClock cannot move, so it is not driven here.

import t from 'tap'
import { startBroker } from '../../src/broker.ts'
import { ManualClock } from '../../src/groups/clock.ts'
import { createSaslClient } from '../../src/cli/admin/sasl-client.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { addScramUser } from '../helpers/scram-users.ts'

const LIFETIME = 60_000
const clock = new ManualClock()
const broker = await startBroker({
  memory: true, shards: 1,
  listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
  connectionsMaxReauthMs: LIFETIME,
}, { clock })
t.teardown(() => broker.close())
const saslPort = broker.listeners.find((l) => l.name === 'SASL_PLAINTEXT')!.port
await addScramUser(broker.port, 'alice', 'alice-pw')
await addScramUser(broker.port, 'bob', 'bob-pw')

const METADATA = { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }

/** SaslHandshake v1 + SaslAuthenticate (version `v`) exchanges; the last SaslAuthenticate answer. */
async function login (c: RawClient, mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512', user: string, password: string, v = 2): Promise<any> {
  const hs = await c.request(17, 1, { mechanism })
  if (hs.errorCode !== 0) return hs
  const sasl = createSaslClient(mechanism, user, password)
  let token: Buffer | null = sasl.start()
  let res: any
  while (token !== null) {
    res = await c.request(36, v, { authBytes: token })
    if (res.errorCode !== 0) return res
    token = await sasl.next(res.authBytes)
  }
  return res
}

async function closedWithoutAnswer (c: RawClient): Promise<boolean> {
  return (await c.nextFrame()) === null && c.socket.destroyed
}

t.test('the session lifetime is reported and re-authentication extends it', async (t) => {
  const c = await RawClient.connect(saslPort)
  t.teardown(() => c.close())
  const first = await login(c, 'SCRAM-SHA-256', 'alice', 'alice-pw')
  t.equal(first.errorCode, 0)
  t.equal(first.sessionLifetimeMs, LIFETIME, 'SaslAuthenticate v1+ carries connections.max.reauth.ms')
  t.equal((await c.request(3, 12, METADATA)).brokers.length, 1, 'requests are served')

  clock.advance(LIFETIME - 1_000)
  const again = await login(c, 'SCRAM-SHA-256', 'alice', 'alice-pw')
  t.equal(again.errorCode, 0, 'the same user re-authenticates on the open connection')
  t.equal(again.sessionLifetimeMs, LIFETIME)

  clock.advance(LIFETIME - 1_000)
  t.equal((await c.request(3, 12, METADATA)).brokers.length, 1, 'past the first session\'s end, the renewed one serves')

  const plain = await login(c, 'SCRAM-SHA-256', 'alice', 'alice-pw', 1)
  t.equal(plain.errorCode, 0, 'SaslAuthenticate v1 re-authenticates too')
  t.equal(plain.sessionLifetimeMs, LIFETIME)
})

t.test('re-authentication as another user is refused and closes the connection', async (t) => {
  const c = await RawClient.connect(saslPort)
  t.teardown(() => c.close())
  t.equal((await login(c, 'PLAIN', 'alice', 'alice-pw')).errorCode, 0)
  const res = await login(c, 'PLAIN', 'bob', 'bob-pw')
  t.equal(res.errorCode, 58, 'SASL_AUTHENTICATION_FAILED')
  t.equal(res.errorMessage, 'Cannot change principals during re-authentication from User:alice: User:bob')
  t.ok(await closedWithoutAnswer(c), 'and the connection is closed')
})

t.test('re-authentication with another mechanism is refused', async (t) => {
  const c = await RawClient.connect(saslPort)
  t.teardown(() => c.close())
  t.equal((await login(c, 'SCRAM-SHA-512', 'alice', 'alice-pw')).errorCode, 0)
  const hs = await c.request(17, 1, { mechanism: 'PLAIN' })
  t.equal(hs.errorCode, 33, 'UNSUPPORTED_SASL_MECHANISM')
  t.ok(await closedWithoutAnswer(c), 'and the connection is closed')
})

t.test('a request after the session expired closes the connection unanswered', async (t) => {
  const c = await RawClient.connect(saslPort)
  t.teardown(() => c.close())
  t.equal((await login(c, 'PLAIN', 'alice', 'alice-pw')).errorCode, 0)
  clock.advance(LIFETIME - 1)
  t.equal((await c.request(3, 12, METADATA)).brokers.length, 1, 'one millisecond before the end: served')
  clock.advance(1)
  c.write(c.frameFor(3, 12, METADATA))
  t.ok(await closedWithoutAnswer(c), 'at the end: closed without an answer')

  const other = await RawClient.connect(saslPort)
  t.teardown(() => other.close())
  t.equal((await login(other, 'PLAIN', 'bob', 'bob-pw')).errorCode, 0, 'a new connection logs in as before')
})

t.test('a client that authenticated with SaslAuthenticate v0 is not told a lifetime and cannot re-authenticate', async (t) => {
  const c = await RawClient.connect(saslPort)
  t.teardown(() => c.close())
  t.equal((await login(c, 'PLAIN', 'alice', 'alice-pw', 0)).errorCode, 0)
  const hs = await c.request(17, 1, { mechanism: 'PLAIN' })
  t.equal(hs.errorCode, 34, 'ILLEGAL_SASL_STATE: KIP-368 is for clients that speak SaslAuthenticate v1+')
})
