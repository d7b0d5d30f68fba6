// SASL_SSL and SASL_PLAINTEXT listeners with real clients: kafkajs, kcat and Python
// confluent-kafka (librdkafka: SaslHandshake v1 + SaslAuthenticate) and kafka-python
// (SaslHandshake v0 + raw tokens) produce and consume with PLAIN, SCRAM-SHA-256 and
// SCRAM-SHA-512; failures get Kafka's answers and a closed connection while other
// clients carry on. Certificates are made by openssl in a temp dir.

import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { connect as tlsConnect } from 'node:tls'
import { connect as netConnect } from 'node:net'
import { Writable } from 'node:stream'
import { Kafka, logLevel, type SASLOptions } from 'kafkajs'
import { pino } from 'pino'
import { startBroker } from '../../src/broker.ts'
import { repoRoot, tempDir } from '../helpers/broker.ts'
import { makeCerts } from '../helpers/tls-certs.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { addScramUser } from '../helpers/scram-users.ts'
import { run, lastJsonLine, systemPython } from '../helpers/external.ts'
import { waitFor } from '../helpers/groups.ts'
import { kafkajsRoundTrip } from '../helpers/kafkajs-roundtrip.ts'

const MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const
const PASSWORD = 'alice-secret-Pa55'

const dir = tempDir(t, 'samsa-sasl-')
const certs = makeCerts(dir)
const logLines: string[] = []
const logger = pino({ level: 'warn', base: undefined }, new Writable({ write(chunk, _enc, done) { logLines.push(chunk.toString()); done() } }))
const broker = await startBroker({
  memory: true, shards: 2,
  listeners: 'PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
  sslKeystoreLocation: certs.serverKeystore,
}, { logger })
t.teardown(() => broker.close())
const port = (name: string): number => broker.listeners.find((l) => l.name === name)!.port
await addScramUser(broker.port, 'alice', PASSWORD)

const ca = readFileSync(certs.ca)
function kafkajs(mechanism: string, username = 'alice', password = PASSWORD): Kafka {
  const sasl = { mechanism: mechanism.toLowerCase(), username, password } as SASLOptions
  return new Kafka({ clientId: 'sasl-test', brokers: [`127.0.0.1:${port('SASL_SSL')}`], ssl: { ca: [ca] }, sasl, logLevel: logLevel.NOTHING, retry: { retries: 0 } })
}

t.test('every listener is advertised to the clients that came through it', async (t) => {
  for (const l of broker.listeners) t.equal(l.advertisedPort, l.port, `${l.name} advertises its own bound port`)
  const admin = kafkajs('SCRAM-SHA-256').admin()
  await admin.connect()
  const cluster = await admin.describeCluster()
  await admin.disconnect()
  t.same(cluster.brokers.map((b) => b.port), [port('SASL_SSL')], 'DescribeCluster through SASL_SSL names the SASL_SSL port')
  const raw = await RawClient.connect(port('PLAINTEXT'))
  t.teardown(() => raw.close())
  const md = await raw.request(3, 12, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })
  t.equal(md.brokers[0].port, port('PLAINTEXT'), 'Metadata through PLAINTEXT names the PLAINTEXT port')
  const fc = await raw.request(10, 0, { key: 'g', keyType: 0, coordinatorKeys: [] })
  t.equal(fc.port, port('PLAINTEXT'), 'FindCoordinator through PLAINTEXT names the PLAINTEXT port')
})

for (const mechanism of MECHANISMS) {
  t.test(`kafkajs over SASL_SSL with ${mechanism}: produce and consume`, async (t) => {
    const topic = `kjs-${mechanism.toLowerCase()}`
    await kafkajsRoundTrip(t, kafkajs(mechanism), topic)
  })

  t.test(`kcat over SASL_SSL with ${mechanism}: produce and consume`, async (t) => {
    const topic = `kcat-${mechanism.toLowerCase()}`
    const conf = ['-X', 'security.protocol=SASL_SSL', '-X', `sasl.mechanisms=${mechanism}`, '-X', 'sasl.username=alice', '-X', `sasl.password=${PASSWORD}`, '-X', `ssl.ca.location=${certs.ca}`]
    const bootstrap = `127.0.0.1:${port('SASL_SSL')}`
    const p = await run('kcat', ['-b', bootstrap, ...conf, '-P', '-t', topic], { input: 'a\nb\nc\n' })
    t.equal(p.code, 0, p.stderr)
    const c = await run('kcat', ['-b', bootstrap, ...conf, '-C', '-t', topic, '-o', 'beginning', '-e', '-q'])
    t.equal(c.code, 0, c.stderr)
    t.same(c.stdout.trim().split('\n'), ['a', 'b', 'c'])
  })

  for (const client of ['confluent', 'kafka-python']) {
    t.test(`${client} over SASL_SSL with ${mechanism}: produce and consume`, async (t) => {
      const topic = `py-${client}-${mechanism.toLowerCase()}`
      const r = await run(systemPython, [join(repoRoot, 'test/e2e/python/secure_roundtrip.py'), client, `127.0.0.1:${port('SASL_SSL')}`, 'SASL_SSL', mechanism, 'alice', PASSWORD, certs.ca, '-', '-', topic, '20'])
      t.equal(r.code, 0, r.stderr)
      const res = lastJsonLine(r.stdout)
      t.equal(res.error, null)
      t.equal(res.produced, 20)
      t.equal(res.consumed, 20)
      t.ok(res.values_ok, 'values intact and in order')
    })
  }
}

/** Handshake (v1) then one SaslAuthenticate on SASL_PLAINTEXT; returns the answer and whether the broker then closed. */
async function authenticateRaw(mechanism: string, token: Buffer): Promise<{ handshake: any; auth: any; closed: boolean }> {
  const c = await RawClient.connect(port('SASL_PLAINTEXT'))
  try {
    const handshake = await c.request(17, 1, { mechanism })
    if (handshake.errorCode !== 0) return { handshake, auth: null, closed: await c.nextFrame(30_000).then((f) => f === null) }
    const auth = await c.request(36, 2, { authBytes: token })
    const closed = auth.errorCode === 0 ? false : (await c.nextFrame(30_000)) === null && c.socket.destroyed
    return { handshake, auth, closed }
  } finally {
    c.close()
  }
}

t.test('failures: Kafka\'s errors, a closed connection, a log line without the password, others unaffected', async (t) => {
  // A client that is in before the failures and must stay unaffected by them.
  const bystander = kafkajs('SCRAM-SHA-512').producer()
  await bystander.connect()
  await bystander.send({ topic: 'bystander', messages: [{ value: 'before' }] })
  logLines.length = 0

  const wrong = await authenticateRaw('PLAIN', Buffer.from('\0alice\0not-the-password'))
  t.equal(wrong.auth.errorCode, 58, 'wrong password: SASL_AUTHENTICATION_FAILED')
  t.equal(wrong.auth.errorMessage, 'Authentication failed: Invalid username or password')
  t.ok(wrong.closed, 'and the connection is closed')

  const unknown = await authenticateRaw('PLAIN', Buffer.from('\0mallory\0whatever'))
  t.equal(unknown.auth.errorCode, 58, 'unknown user: SASL_AUTHENTICATION_FAILED')
  t.equal(unknown.auth.errorMessage, 'Authentication failed: Invalid username or password', 'the same answer as a wrong password')
  t.ok(unknown.closed)

  const scramUnknown = await authenticateRaw('SCRAM-SHA-256', Buffer.from('n,,n=mallory,r=abcdefghijklmnop'))
  t.equal(scramUnknown.auth.errorCode, 58)
  t.equal(scramUnknown.auth.errorMessage, 'Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256')
  t.ok(scramUnknown.closed)

  const mech = await authenticateRaw('GSSAPI', Buffer.alloc(0))
  t.equal(mech.handshake.errorCode, 33, 'unknown mechanism: UNSUPPORTED_SASL_MECHANISM')
  t.same(mech.handshake.mechanisms, ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'], 'with the enabled mechanisms')
  t.ok(mech.closed, 'and the connection is closed')

  await t.rejects(kafkajs('SCRAM-SHA-256', 'alice', 'wrong').producer().connect(), /invalid credentials with SASL mechanism SCRAM-SHA-256/, 'kafkajs sees Kafka\'s message')

  const early = await RawClient.connect(port('SASL_PLAINTEXT'))
  early.write(early.frameFor(3, 12, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }))
  t.equal(await early.nextFrame(30_000), null, 'a request before authentication closes the connection unanswered')

  const failures = logLines.filter((l) => l.includes('Failed authentication'))
  t.ok(failures.some((l) => l.includes('"principal":"User:alice"') && l.includes('"remote":"127.0.0.1:')), 'the log names the principal and address')
  t.ok(failures.some((l) => l.includes('User:mallory')))
  t.notOk(logLines.some((l) => l.includes('not-the-password') || l.includes('"wrong"')), 'never the password')

  await bystander.send({ topic: 'bystander', messages: [{ value: 'after' }] })
  await bystander.disconnect()
  t.pass('the client that was already in kept producing')
})

t.test('TLS and plaintext mixed up: the connection closes, the listener keeps serving', async (t) => {
  const plainOnTls = netConnect({ host: '127.0.0.1', port: port('SASL_SSL') })
  plainOnTls.on('error', () => {})
  // An ApiVersions v0 request, in clear.
  plainOnTls.write(Buffer.from('0000000e00120000000000010004746573740000', 'hex'))
  await new Promise<void>((resolve) => plainOnTls.on('close', () => resolve()))
  t.pass('Kafka bytes on the TLS port: closed')

  const tlsOnPlain = tlsConnect({ host: '127.0.0.1', port: port('PLAINTEXT'), rejectUnauthorized: false })
  const outcome = await new Promise<string>((resolve) => {
    tlsOnPlain.on('secureConnect', () => resolve('handshake completed'))
    tlsOnPlain.on('error', () => resolve('error'))
    tlsOnPlain.on('close', () => resolve('closed'))
  })
  t.not(outcome, 'handshake completed', 'a TLS handshake on the PLAINTEXT port fails')
  await waitFor(() => logLines.some((l) => l.includes('looks like a TLS handshake on a PLAINTEXT listener')), 'the log line naming the mix-up')

  const admin = kafkajs('PLAIN').admin()
  await admin.connect()
  t.ok((await admin.listTopics()).includes('bystander'), 'the TLS listener still serves')
  await admin.disconnect()
})
