// SASL/OAUTHBEARER with real clients and raw requests.
// - Unsecured (Kafka's default, development) validator: kafkajs (oauthBearerProvider), kcat
//   and confluent-kafka (librdkafka's enable.sasl.oauthbearer.unsecure.jwt) produce and
//   consume; expired, under-scoped, signed and malformed tokens are refused the way Kafka's
//   OAuthBearerSaslServer refuses them (error challenge, then SASL_AUTHENTICATION_FAILED
//   and a closed connection), with a log line, while a client already in carries on.
// - Session lifetime (KIP-368) from the token's exp, on a ManualClock: re-authentication
//   on the open connection, no change of principal, the connection closes after expiry.
// - JWKS validator (sasl.oauthbearer.jwks.endpoint.url) with keys made here and served by a
//   local HTTP server: RS256 (kafkajs; kafka-python, whose token travels as a raw frame
//   after SaslHandshake v0) and ES256 (confluent-kafka's oauth_cb) tokens work;
//   a bad signature, another audience or issuer, an expired or an unsecured token are
//   refused; an unknown key id reloads the set once; file:// works, re-read every
//   sasl.oauthbearer.jwks.endpoint.refresh.ms; a broker whose JWKS cannot be loaded does not start.
// - The properties shown in docs/security.md's OAUTHBEARER section load as documented.

import t, { type Test } from 'tap'
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto'
import { createServer } from 'node:http'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Writable } from 'node:stream'
import { Kafka, logLevel, type SASLOptions } from 'kafkajs'
import { pino } from 'pino'
import { startBroker } from '../../src/broker.ts'
import { loadConfig } from '../../src/config/load-config.ts'
import { ManualClock } from '../../src/groups/clock.ts'
import type { Logger } from '../../src/logger.ts'
import { repoRoot, tempDir } from '../helpers/broker.ts'
import { makeCerts } from '../helpers/tls-certs.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { run, lastJsonLine, systemPython } from '../helpers/external.ts'
import { waitFor } from '../helpers/groups.ts'
import { kafkajsRoundTrip } from '../helpers/kafkajs-roundtrip.ts'

const dir = tempDir(t, 'samsa-oauth-')
const certs = makeCerts(dir)
const ca = readFileSync(certs.ca)
const METADATA = { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }
const INVALID = '{"status":"invalid_token"}'

const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url')
const nowSeconds = (): number => Math.floor(Date.now() / 1000)

function unsecuredToken(claims: Record<string, unknown>): string {
  return `${b64({ alg: 'none' })}.${b64(claims)}.`
}

function signedToken(alg: 'RS256' | 'ES256', key: KeyObject, kid: string, claims: Record<string, unknown>): string {
  const input = `${b64({ alg, kid, typ: 'JWT' })}.${b64(claims)}`
  const signature = alg === 'RS256' ? sign('sha256', Buffer.from(input), key) : sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })
  return `${input}.${signature.toString('base64url')}`
}

const clientFirst = (token: string, authzid = ''): Buffer => Buffer.from(`n,${authzid === '' ? '' : `a=${authzid}`},\x01auth=Bearer ${token}\x01\x01`)

function capture(level = 'warn'): { logger: Logger, lines: string[] } {
  const lines: string[] = []
  const logger: Logger = pino({ level, base: undefined }, new Writable({ write(chunk, _enc, done) { lines.push(chunk.toString()); done() } }))
  return { logger, lines }
}

interface RawOutcome { handshake: any, first: any, final: any, closed: boolean }

/** SaslHandshake v1 and SaslAuthenticate v2 with `message`; an error challenge is acknowledged with ^A as librdkafka and Java do. */
async function rawOauth(port: number, message: Buffer): Promise<RawOutcome> {
  const c = await RawClient.connect(port)
  try {
    const handshake = await c.request(17, 1, { mechanism: 'OAUTHBEARER' })
    const first = await c.request(36, 2, { authBytes: message })
    let final = null
    if (first.errorCode === 0 && first.authBytes.length > 0) final = await c.request(36, 2, { authBytes: Buffer.from([1]) })
    const failed = first.errorCode !== 0 || (final !== null && final.errorCode !== 0)
    const closed = failed && (await c.nextFrame(30_000)) === null && c.socket.destroyed
    return { handshake, first, final, closed }
  } finally {
    c.close()
  }
}

function kafkajsClient(port: number, token: () => string, tls: boolean): Kafka {
  const sasl = { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: token() }) } as SASLOptions
  return new Kafka({ clientId: 'oauth-test', brokers: [`127.0.0.1:${port}`], ssl: tls ? { ca: [ca] } : undefined, sasl, logLevel: logLevel.NOTHING, retry: { retries: 0 } })
}


/**
 * kafkajs takes any answer without an error code as success, the error challenge too, as
 * against Kafka: its first request after that finds the connection closed.
 */
async function refusedKafkajs(t: Test, kafka: Kafka, what: string): Promise<void> {
  const producer = kafka.producer()
  await t.rejects((async () => {
    await producer.connect()
    await producer.send({ topic: 'never-written', messages: [{ value: 'x' }] })
  })(), what)
  await producer.disconnect().catch(() => {})
}

async function python(t: Test, port: number, protocol: string, topic: string, count: number, token: string, client = 'confluent'): Promise<any> {
  const r = await run(systemPython, [join(repoRoot, 'test/e2e/python/oauth_roundtrip.py'), `127.0.0.1:${port}`, protocol, protocol === 'SASL_SSL' ? certs.ca : '-', topic, String(count), token, client])
  t.equal(r.code, 0, r.stderr)
  return lastJsonLine(r.stdout)
}

t.test('unsecured tokens (Kafka\'s development validator)', async (t) => {
  const { logger, lines } = capture()
  const broker = await startBroker({
    memory: true, shards: 2,
    listeners: 'PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
    sslKeystoreLocation: certs.serverKeystore,
    saslEnabledMechanisms: 'PLAIN,OAUTHBEARER',
    unsecuredValidatorRequiredScope: 'kafka',
  }, { logger })
  t.teardown(() => broker.close())
  const port = (name: string): number => broker.listeners.find((l) => l.name === name)!.port
  const good = (): string => unsecuredToken({ sub: 'alice', iat: nowSeconds(), exp: nowSeconds() + 3600, scope: 'kafka' })
  t.ok(lines.some((l) => l.includes('unsecured validator (development only')), 'the broker warns that unsecured tokens are for development')

  t.test('kafkajs over SASL_SSL: produce and consume', async (t) => {
    await kafkajsRoundTrip(t, kafkajsClient(port('SASL_SSL'), good, true), 'oauth-kafkajs')
  })

  t.test('kcat over SASL_PLAINTEXT with librdkafka\'s unsecured JWT: produce and consume', async (t) => {
    const conf = ['-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=OAUTHBEARER', '-X', 'enable.sasl.oauthbearer.unsecure.jwt=true', '-X', 'sasl.oauthbearer.config=principal=alice scope=kafka']
    const bootstrap = `127.0.0.1:${port('SASL_PLAINTEXT')}`
    const p = await run('kcat', ['-b', bootstrap, ...conf, '-P', '-t', 'oauth-kcat'], { input: 'a\nb\nc\n' })
    t.equal(p.code, 0, p.stderr)
    const c = await run('kcat', ['-b', bootstrap, ...conf, '-C', '-t', 'oauth-kcat', '-o', 'beginning', '-e', '-q'])
    t.equal(c.code, 0, c.stderr)
    t.same(c.stdout.trim().split('\n'), ['a', 'b', 'c'])
  })

  t.test('confluent-kafka over SASL_SSL with librdkafka\'s unsecured JWT: produce and consume', async (t) => {
    const res = await python(t, port('SASL_SSL'), 'SASL_SSL', 'oauth-confluent', 20, 'unsecured:principal=alice scope=kafka,other')
    t.equal(res.error, null)
    t.equal(res.produced, 20)
    t.equal(res.consumed, 20)
    t.ok(res.values_ok, 'values intact and in order')
  })

  t.test('refusals: Kafka\'s error challenge, SASL_AUTHENTICATION_FAILED, a closed connection, a log line; others unaffected', async (t) => {
    const bystander = kafkajsClient(port('SASL_PLAINTEXT'), good, false).producer()
    await bystander.connect()
    await bystander.send({ topic: 'oauth-bystander', messages: [{ value: 'before' }] })
    lines.length = 0
    const sp = port('SASL_PLAINTEXT')

    const expired = await rawOauth(sp, clientFirst(unsecuredToken({ sub: 'alice', iat: nowSeconds() - 7200, exp: nowSeconds() - 3600, scope: 'kafka' })))
    t.same(expired.handshake.mechanisms, ['PLAIN', 'OAUTHBEARER'], 'the handshake lists OAUTHBEARER')
    t.equal(expired.first.errorCode, 0, 'an expired token first gets an error challenge')
    t.equal(expired.first.authBytes.toString(), INVALID)
    t.equal(expired.final.errorCode, 58, 'acknowledged: SASL_AUTHENTICATION_FAILED')
    t.equal(expired.final.errorMessage, INVALID, 'with the challenge as the message, as Kafka answers')
    t.ok(expired.closed, 'and the connection is closed')
    t.ok(lines.some((l) => l.includes('Failed authentication') && l.includes('"principal":"User:alice"') && l.includes('Expiration Time')), 'the log names the principal and why')

    const noScope = await rawOauth(sp, clientFirst(unsecuredToken({ sub: 'alice', iat: nowSeconds(), exp: nowSeconds() + 60 })))
    t.equal(noScope.first.authBytes.toString(), '{"status":"insufficient_scope", "scope":"[kafka]"}', 'a missing required scope: insufficient_scope naming it')
    t.equal(noScope.final.errorCode, 58)
    t.ok(noScope.closed)

    const signedKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
    const signed = await rawOauth(sp, clientFirst(signedToken('RS256', signedKey, 'k', { sub: 'alice', iat: nowSeconds(), exp: nowSeconds() + 60, scope: 'kafka' })))
    t.equal(signed.first.authBytes.toString(), INVALID, 'a signed token is not an unsecured JWS')
    t.ok(signed.closed)

    const noPrincipal = await rawOauth(sp, clientFirst(unsecuredToken({ iat: nowSeconds(), exp: nowSeconds() + 60, scope: 'kafka' })))
    t.equal(noPrincipal.first.authBytes.toString(), INVALID, 'no sub claim')

    const malformed = await rawOauth(sp, Buffer.from('n,,auth=Bearer abc'))
    t.equal(malformed.first.errorCode, 58, 'a malformed client message fails at once')
    t.equal(malformed.first.errorMessage, 'Authentication failed during authentication due to invalid credentials with SASL mechanism OAUTHBEARER')
    t.ok(malformed.closed)

    const authzid = await rawOauth(sp, clientFirst(good(), 'bob'))
    t.equal(authzid.first.errorCode, 58)
    t.equal(authzid.first.errorMessage, 'Authentication failed: Client requested an authorization id (bob) that is different from the token\'s principal name (alice)')

    const withAuthzid = await rawOauth(sp, clientFirst(good(), 'alice'))
    t.equal(withAuthzid.first.errorCode, 0, 'the token\'s own principal as authorization id is fine')
    t.equal(withAuthzid.first.authBytes.length, 0, 'success: an empty challenge')

    const extensions = await rawOauth(sp, Buffer.from(`n,,\x01auth=Bearer ${good()}\x01traceId=abc 123\x01\x01`))
    t.equal(extensions.first.errorCode, 0, 'SASL extensions are accepted')

    await refusedKafkajs(t, kafkajsClient(sp, () => unsecuredToken({ sub: 'alice', iat: nowSeconds() - 7200, exp: nowSeconds() - 3600, scope: 'kafka' }), false), 'kafkajs with an expired token does not get in')

    const py = await python(t, port('SASL_SSL'), 'SASL_SSL', 'oauth-refused', 0, 'unsecured:principal=alice')
    t.match(py.client_errors.join('\n'), /insufficient_scope/, `librdkafka reports the refusal: ${JSON.stringify(py)}`)

    await bystander.send({ topic: 'oauth-bystander', messages: [{ value: 'after' }] })
    await bystander.disconnect()
    t.pass('the client that was already in kept producing')
  })
})

t.test('session lifetime from the token (KIP-368), on a ManualClock', async (t) => {
  const clock = new ManualClock()
  const broker = await startBroker({
    memory: true, shards: 1,
    listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
    saslEnabledMechanisms: 'OAUTHBEARER',
    unsecuredValidatorPrincipalClaimName: 'user',
  }, { clock })
  t.teardown(() => broker.close())
  const sp = broker.listeners.find((l) => l.name === 'SASL_PLAINTEXT')!.port
  const token = (user: string, lifeSeconds: number): string => {
    const now = Math.floor(clock.now() / 1000)
    return unsecuredToken({ user, iat: now, exp: now + lifeSeconds })
  }
  const login = async (c: RawClient, tok: string): Promise<any> => {
    const hs = await c.request(17, 1, { mechanism: 'OAUTHBEARER' })
    if (hs.errorCode !== 0) return hs
    return c.request(36, 2, { authBytes: clientFirst(tok) })
  }

  const c = await RawClient.connect(sp)
  t.teardown(() => c.close())
  const first = token('alice', 60)
  const res = await login(c, first)
  t.equal(res.errorCode, 0)
  const exp = JSON.parse(Buffer.from(first.split('.')[1], 'base64url').toString()).exp as number
  t.equal(Number(res.sessionLifetimeMs), exp * 1000 - clock.now(), 'the session lasts until the token\'s exp, with connections.max.reauth.ms 0')
  t.equal((await c.request(3, 12, METADATA)).brokers.length, 1, 'requests are served')

  clock.advance(50_000)
  const again = await login(c, token('alice', 120))
  t.equal(again.errorCode, 0, 'the same principal re-authenticates with a new token on the open connection')
  clock.advance(20_000)
  t.equal((await c.request(3, 12, METADATA)).brokers.length, 1, 'past the first token\'s exp, the new one serves')

  const other = await login(c, token('bob', 120))
  t.equal(other.errorCode, 58)
  t.equal(other.errorMessage, 'Cannot change principals during re-authentication from User:alice: User:bob', 'the principal comes from the unsecuredValidatorPrincipalClaimName claim')
  t.equal(await c.nextFrame(30_000), null, 'and the connection is closed')

  const d = await RawClient.connect(sp)
  t.teardown(() => d.close())
  t.equal((await login(d, token('carol', 30))).errorCode, 0)
  clock.advance(30_000)
  d.write(d.frameFor(3, 12, METADATA))
  t.equal(await d.nextFrame(30_000), null, 'a request at the token\'s exp closes the connection unanswered')

  const e = await RawClient.connect(sp)
  t.teardown(() => e.close())
  const wrongClaim = await login(e, unsecuredToken({ sub: 'alice', iat: Math.floor(clock.now() / 1000), exp: Math.floor(clock.now() / 1000) + 60 }))
  t.equal(wrongClaim.authBytes.toString(), INVALID, 'a token without the configured principal claim is refused')
})

t.test('JWKS validator: signed tokens, keys from an HTTP endpoint', async (t) => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const rotated = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const impostor = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const jwk = (k: KeyObject, kid: string): Record<string, unknown> => ({ ...k.export({ format: 'jwk' }), kid, use: 'sig' })
  let served = { keys: [jwk(rsa.publicKey, 'rsa-1'), jwk(ec.publicKey, 'ec-1')] }
  let fetches = 0
  const http = createServer((req, res) => {
    fetches++
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify(served))
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()))
  t.teardown(() => new Promise<void>((resolve) => http.close(() => resolve())))
  const jwksUrl = `http://127.0.0.1:${(http.address() as { port: number }).port}/jwks`

  const { logger, lines } = capture()
  const broker = await startBroker({
    memory: true, shards: 2,
    listeners: 'PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
    sslKeystoreLocation: certs.serverKeystore,
    saslEnabledMechanisms: 'OAUTHBEARER',
    saslOauthbearerJwksEndpointUrl: jwksUrl,
    saslOauthbearerExpectedAudience: 'samsa,other',
    saslOauthbearerExpectedIssuer: 'https://idp.test',
    connectionsMaxReauthMs: 3_600_000,
  }, { logger })
  t.teardown(() => broker.close())
  const port = (name: string): number => broker.listeners.find((l) => l.name === name)!.port
  const sp = port('SASL_PLAINTEXT')
  const claims = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ sub: 'alice', iss: 'https://idp.test', aud: 'samsa', iat: nowSeconds(), exp: nowSeconds() + 600, scope: ['produce', 'consume'], ...extra })
  t.equal(fetches, 1, 'the key set was loaded before the broker was ready')

  t.test('kafkajs with an RS256 token over SASL_SSL: produce and consume', async (t) => {
    await kafkajsRoundTrip(t, kafkajsClient(port('SASL_SSL'), () => signedToken('RS256', rsa.privateKey, 'rsa-1', claims()), true), 'jwks-kafkajs')
  })

  t.test('confluent-kafka with an ES256 token from oauth_cb: produce and consume', async (t) => {
    const c = claims({ aud: ['other'] })
    const res = await python(t, port('SASL_SSL'), 'SASL_SSL', 'jwks-confluent', 20, `jwt:${signedToken('ES256', ec.privateKey, 'ec-1', c)}:${c.exp as number}`)
    t.equal(res.error, null)
    t.equal(res.produced, 20)
    t.equal(res.consumed, 20)
    t.ok(res.values_ok)
  })

  t.test('kafka-python (SaslHandshake v0, the token as a raw frame) with an RS256 token: produce and consume', async (t) => {
    const c = claims()
    const res = await python(t, sp, 'SASL_PLAINTEXT', 'jwks-kafka-python', 10, `jwt:${signedToken('RS256', rsa.privateKey, 'rsa-1', c)}:${c.exp as number}`, 'kafka-python')
    t.equal(res.error, null)
    t.equal(res.produced, 10)
    t.equal(res.consumed, 10)
    t.ok(res.values_ok)
  })

  t.test('the session lasts until exp or connections.max.reauth.ms, whichever is sooner', async (t) => {
    const short = await rawOauth(sp, clientFirst(signedToken('RS256', rsa.privateKey, 'rsa-1', claims({ exp: nowSeconds() + 600 }))))
    t.equal(short.first.errorCode, 0)
    const lifetime = Number(short.first.sessionLifetimeMs)
    t.ok(lifetime > 500_000 && lifetime <= 600_000, `a 10-minute token: about 10 minutes (${lifetime})`)
    const long = await rawOauth(sp, clientFirst(signedToken('RS256', rsa.privateKey, 'rsa-1', claims({ exp: nowSeconds() + 7200 }))))
    t.equal(Number(long.first.sessionLifetimeMs), 3_600_000, 'a 2-hour token: connections.max.reauth.ms')
  })

  t.test('refused: bad signature, audience, issuer, expiry, unsecured; others unaffected', async (t) => {
    const bystander = kafkajsClient(sp, () => signedToken('RS256', rsa.privateKey, 'rsa-1', claims()), false).producer()
    await bystander.connect()
    await bystander.send({ topic: 'jwks-bystander', messages: [{ value: 'before' }] })
    lines.length = 0
    const cases: Array<[string, string, RegExp]> = [
      ['a bad signature', signedToken('RS256', impostor.privateKey, 'rsa-1', claims()), /JWS signature is invalid/],
      ['another audience', signedToken('RS256', rsa.privateKey, 'rsa-1', claims({ aud: 'someone-else' })), /doesn't contain an acceptable identifier/],
      ['no audience', signedToken('RS256', rsa.privateKey, 'rsa-1', claims({ aud: undefined })), /No Audience \(aud\) claim present/],
      ['another issuer', signedToken('ES256', ec.privateKey, 'ec-1', claims({ iss: 'https://evil.test' })), /doesn't match expected value/],
      ['an expired token', signedToken('RS256', rsa.privateKey, 'rsa-1', claims({ iat: nowSeconds() - 7200, exp: nowSeconds() - 3600 })), /no longer valid/],
      ['an unsecured token', unsecuredToken(claims()), /Malformed JWT provided/],
      ['alg none with a signature', `${unsecuredToken(claims())}c2ln`, /the JWS algorithm \\"none\\" is not permitted/],
      ['an ES256 signature under an RSA key id', signedToken('ES256', ec.privateKey, 'rsa-1', claims()), /no suitable verification key/],
    ]
    for (const [what, token, reason] of cases) {
      const out = await rawOauth(sp, clientFirst(token))
      t.equal(out.first.errorCode, 0, `${what}: an error challenge first`)
      t.equal(out.first.authBytes.toString(), INVALID, `${what}: invalid_token`)
      t.equal(out.final?.errorCode, 58, `${what}: then SASL_AUTHENTICATION_FAILED`)
      t.ok(out.closed, `${what}: and the connection is closed`)
      t.ok(lines.some((l) => l.includes('Failed authentication') && reason.test(l)), `${what}: logged with the reason`)
    }

    await refusedKafkajs(t, kafkajsClient(sp, () => signedToken('RS256', rsa.privateKey, 'rsa-1', claims({ aud: 'someone-else' })), false), 'kafkajs with another audience does not get in')
    const bad = claims()
    const py = await python(t, sp, 'SASL_PLAINTEXT', 'jwks-refused', 0, `jwt:${signedToken('RS256', impostor.privateKey, 'rsa-1', bad)}:${bad.exp as number}`)
    t.match(py.client_errors.join('\n'), /invalid_token/, `librdkafka reports the refusal: ${JSON.stringify(py)}`)

    await bystander.send({ topic: 'jwks-bystander', messages: [{ value: 'after' }] })
    await bystander.disconnect()
    t.pass('the client that was already in kept producing')
  })

  t.test('an unknown key id reloads the key set once', async (t) => {
    served = { keys: [jwk(rsa.publicKey, 'rsa-1'), jwk(rotated.publicKey, 'rsa-2')] }
    const before = fetches
    const ok = await rawOauth(sp, clientFirst(signedToken('RS256', rotated.privateKey, 'rsa-2', claims())))
    t.equal(ok.first.errorCode, 0, 'a token signed with the new key gets in on its first try')
    t.equal(ok.first.authBytes.length, 0)
    t.equal(fetches, before + 1, 'after one reload')
    const again = await rawOauth(sp, clientFirst(signedToken('RS256', rotated.privateKey, 'rsa-2', claims())))
    t.equal(again.first.errorCode, 0)
    t.equal(fetches, before + 1, 'a known key id reloads nothing')

    const unknown = await rawOauth(sp, clientFirst(signedToken('RS256', rotated.privateKey, 'nobody', claims())))
    t.equal(unknown.first.authBytes.toString(), INVALID, 'a key id that is nowhere is refused')
    t.equal(fetches, before + 2, 'after one more reload')
    await rawOauth(sp, clientFirst(signedToken('RS256', rotated.privateKey, 'nobody', claims())))
    t.equal(fetches, before + 2, 'the same unknown id again within a minute reloads nothing')
  })
})

t.test('JWKS from a file:// URL: re-read for a new key id and on schedule (ManualClock)', async (t) => {
  const first = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const second = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const file = join(dir, 'jwks.json')
  const write = (keys: Array<[KeyObject, string]>): void => writeFileSync(file, JSON.stringify({ keys: keys.map(([k, kid]) => ({ ...k.export({ format: 'jwk' }), kid })) }))
  write([[first.publicKey, 'f-1']])
  const clock = new ManualClock()
  const { logger, lines } = capture('info')
  const broker = await startBroker({
    memory: true, shards: 1,
    listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
    saslEnabledMechanisms: 'OAUTHBEARER',
    saslOauthbearerJwksEndpointUrl: pathToFileURL(file).href,
    saslOauthbearerJwksEndpointRefreshMs: 60_000,
  }, { clock, logger })
  t.teardown(() => broker.close())
  const sp = broker.listeners.find((l) => l.name === 'SASL_PLAINTEXT')!.port
  const claims = { sub: 'svc', iat: nowSeconds(), exp: nowSeconds() + 600 }
  t.equal((await rawOauth(sp, clientFirst(signedToken('ES256', first.privateKey, 'f-1', claims)))).first.errorCode, 0, 'a token signed with a key from the file gets in')
  const withAud = await rawOauth(sp, clientFirst(signedToken('ES256', first.privateKey, 'f-1', { ...claims, aud: 'kafka' })))
  t.equal(withAud.first.authBytes.toString(), INVALID, 'without sasl.oauthbearer.expected.audience a token with an aud is refused, as in Kafka')
  write([[first.publicKey, 'f-1'], [second.publicKey, 'f-2']])
  const rotated = await rawOauth(sp, clientFirst(signedToken('RS256', second.privateKey, 'f-2', claims)))
  t.equal(rotated.first.errorCode, 0)
  t.equal(rotated.first.authBytes.length, 0, 'a key added to the file is found')

  write([[second.publicKey, 'f-2']])
  t.equal((await rawOauth(sp, clientFirst(signedToken('ES256', first.privateKey, 'f-1', claims)))).first.authBytes.length, 0, 'between reloads the keys come from memory: a key just removed from the file still works')
  clock.advance(60_000)
  await waitFor(() => lines.some((l) => l.includes('reloaded the OAUTHBEARER verification keys') && l.includes('"why":"scheduled"')), 'the scheduled reload')
  t.equal((await rawOauth(sp, clientFirst(signedToken('ES256', first.privateKey, 'f-1', claims)))).first.authBytes.toString(), INVALID, 'after sasl.oauthbearer.jwks.endpoint.refresh.ms the removed key is gone')
})

t.test('a broker whose JWKS cannot be loaded does not start', async (t) => {
  const closed = createServer()
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()))
  const deadPort = (closed.address() as { port: number }).port
  await new Promise<void>((resolve) => closed.close(() => resolve()))
  await t.rejects(startBroker({
    memory: true, shards: 1,
    listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
    saslEnabledMechanisms: 'OAUTHBEARER',
    saslOauthbearerJwksEndpointUrl: `http://127.0.0.1:${deadPort}/jwks`,
  }), /cannot load the JSON Web Key Set from sasl.oauthbearer.jwks.endpoint.url/)
})

t.test('the properties in docs/security.md\'s OAUTHBEARER section load as documented', async (t) => {
  const doc = readFileSync(join(repoRoot, 'docs/security.md'), 'utf8')
  const section = doc.slice(doc.indexOf('## OAUTHBEARER'), doc.indexOf('## What failures look like'))
  const blocks = [...section.matchAll(/```properties\n([\s\S]*?)```/g)].map((m) => m[1])
  t.equal(blocks.length, 2)
  writeFileSync(join(dir, 'unsecured.properties'), blocks[0])
  const unsecured = loadConfig({ argv: ['--config', 'unsecured.properties'], env: {}, cwd: dir }).options
  t.equal(unsecured.saslEnabledMechanisms, 'SCRAM-SHA-512,OAUTHBEARER')
  t.equal(unsecured.unsecuredValidatorRequiredScope, 'kafka')
  t.equal(unsecured.saslOauthbearerJwksEndpointUrl, '')
  writeFileSync(join(dir, 'jwks.properties'), blocks[1])
  const jwks = loadConfig({ argv: ['--config', 'jwks.properties'], env: {}, cwd: dir }).options
  t.equal(jwks.saslOauthbearerJwksEndpointUrl, 'https://idp.example.com/realms/kafka/protocol/openid-connect/certs')
  t.equal(jwks.saslOauthbearerExpectedAudience, 'kafka')
  t.equal(jwks.saslOauthbearerExpectedIssuer, 'https://idp.example.com/realms/kafka')
  t.equal(jwks.saslOauthbearerClockSkewSeconds, 30)
})
