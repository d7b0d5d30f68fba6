// `samsa users` and `--command-config` as a user runs them: the CLI in a child process
// against a real broker with PLAINTEXT, SASL_SSL and SSL (client certificates required)
// listeners. Users added by the CLI log in with kafkajs over SASL_SSL; the CLI itself
// connects over SASL_SSL (SCRAM and PLAIN) and SSL with a client certificate; a wrong
// password is one line naming SASL_AUTHENTICATION_FAILED and exit 1.

import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Kafka, logLevel, type SASLOptions } from 'kafkajs'
import { startBroker } from '../../src/broker.ts'
import { repoRoot, tempDir } from '../helpers/broker.ts'
import { makeCerts } from '../helpers/tls-certs.ts'
import { run, type RunResult } from '../helpers/external.ts'

const dir = tempDir(t, 'samsa-users-')
const certs = makeCerts(dir)
const broker = await startBroker({
  memory: true, shards: 1,
  listeners: 'PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0,SSL://127.0.0.1:0',
  sslKeystoreLocation: certs.serverKeystore, sslTruststoreLocation: certs.ca, sslClientAuth: 'required',
})
t.teardown(() => broker.close())
const port = (name: string): number => broker.listeners.find((l) => l.name === name)!.port
const plain = `127.0.0.1:${port('PLAINTEXT')}`
const saslSsl = `127.0.0.1:${port('SASL_SSL')}`
const ssl = `127.0.0.1:${port('SSL')}`

function samsa (args: string[], input?: string): Promise<RunResult> {
  return run(process.execPath, [join(repoRoot, 'src/cli/main.ts'), ...args], { timeoutMs: 60_000, ...(input !== undefined ? { input } : {}) })
}

function file (name: string, text: string): string {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

const ALICE_PW = 'alice-secret, with = signs'
const alicePwFile = file('alice.pw', `${ALICE_PW}\n`)

function kafkajs (mechanism: string, username: string, password: string): Kafka {
  const sasl = { mechanism: mechanism.toLowerCase(), username, password } as SASLOptions
  return new Kafka({ clientId: 'users-test', brokers: [saslSsl], ssl: { ca: [readFileSync(certs.ca)] }, sasl, logLevel: logLevel.NOTHING, retry: { retries: 0 } })
}

t.test('help and usage errors', async (t) => {
  const [help, noPassword, badMech, lowIterations] = await Promise.all([
    samsa(['users', '--help']),
    samsa(['users', '--bootstrap-server', plain, '--add', 'x']),
    samsa(['users', '--bootstrap-server', plain, '--add', 'x', '--password', 'p', '--mechanism', 'SCRAM-SHA-1']),
    samsa(['users', '--bootstrap-server', plain, '--add', 'x', '--password', 'p', '--iterations', '100']),
  ])
  t.equal(help.code, 0)
  for (const opt of ['--add', '--delete', '--list', '--describe', '--mechanism', '--password-file', '--iterations', '--command-config']) t.match(help.stdout, opt)
  t.equal(noPassword.code, 2)
  t.equal(noPassword.stderr, 'samsa users: --add needs exactly one of --password and --password-file (see samsa users --help)\n')
  t.equal(badMech.code, 2)
  t.match(badMech.stderr, /Unknown --mechanism SCRAM-SHA-1/)
  t.equal(lowIterations.code, 2)
  t.match(lowIterations.stderr, /--iterations: expected an integer from 4096 to 16384/)
})

t.test('add, describe, list and delete users over PLAINTEXT', async (t) => {
  const added = await samsa(['users', '--bootstrap-server', plain, '--add', 'alice', '--password-file', alicePwFile])
  t.equal(added.code, 0, added.stderr)
  t.equal(added.stdout, 'Completed updating config for user alice.\n')
  const bob = await samsa(['users', '--bootstrap-server', plain, '--add', 'bob', '--mechanism', 'SCRAM-SHA-512', '--iterations', '8192', '--password-file', '-'], 'bob-secret\n')
  t.equal(bob.code, 0, bob.stderr)

  const [one, all, listed] = await Promise.all([
    samsa(['users', '--bootstrap-server', plain, '--describe', 'alice']),
    samsa(['users', '--bootstrap-server', plain, '--describe']),
    samsa(['users', '--bootstrap-server', plain, '--list']),
  ])
  t.equal(one.stdout, "SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=4096, SCRAM-SHA-512=iterations=4096\n")
  t.equal(all.stdout, [
    "SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=4096, SCRAM-SHA-512=iterations=4096",
    "SCRAM credential configs for user-principal 'bob' are SCRAM-SHA-512=iterations=8192",
    '',
  ].join('\n'))
  t.equal(listed.stdout, 'alice\nbob\n')

  // bob, added and deleted again by mechanism.
  const bobIn = kafkajs('SCRAM-SHA-512', 'bob', 'bob-secret').admin()
  await bobIn.connect()
  await bobIn.disconnect()
  const del = await samsa(['users', '--bootstrap-server', plain, '--delete', 'bob', '--mechanism', 'SCRAM-SHA-512'])
  t.equal(del.code, 0, del.stderr)
  t.equal(del.stdout, 'Completed updating config for user bob.\n')
  const gone = await samsa(['users', '--bootstrap-server', plain, '--describe', 'bob'])
  t.equal(gone.code, 1)
  t.equal(gone.stderr, 'Error: RESOURCE_NOT_FOUND: Attempt to describe a user credential that does not exist: bob\n')
  await t.rejects(kafkajs('SCRAM-SHA-512', 'bob', 'bob-secret').admin().connect(), /invalid credentials/, 'a deleted user cannot log in')
  const again = await samsa(['users', '--bootstrap-server', plain, '--delete', 'bob'])
  t.equal(again.code, 1)
  t.match(again.stderr, /^Error: RESOURCE_NOT_FOUND: /)
})

for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512']) {
  t.test(`a user added by the CLI produces and consumes with kafkajs over SASL_SSL ${mechanism}`, async (t) => {
    const kafka = kafkajs(mechanism, 'alice', ALICE_PW)
    const topic = `users-${mechanism.toLowerCase()}`
    const producer = kafka.producer()
    await producer.connect()
    await producer.send({ topic, messages: [{ value: 'hello' }] })
    await producer.disconnect()
    const admin = kafka.admin()
    await admin.connect()
    const offsets = await admin.fetchTopicOffsets(topic)
    await admin.disconnect()
    t.equal(offsets[0]!.high, '1', 'the record was stored')
    await t.rejects(kafkajs(mechanism, 'alice', 'not-it').admin().connect(), /invalid credentials/, 'with the wrong password it cannot')
  })
}

t.test('the CLI over SASL_SSL and SSL with --command-config', async (t) => {
  const scram = file('scram.properties', [
    'security.protocol=SASL_SSL',
    'sasl.mechanism=SCRAM-SHA-512',
    `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="${ALICE_PW}";`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${certs.ca}`,
    '',
  ].join('\n'))
  // librdkafka's names, as kcat -F reads them.
  const plainSasl = file('plain.properties', `security.protocol=SASL_SSL\nsasl.mechanisms=PLAIN\nsasl.username=alice\nsasl.password=${ALICE_PW}\nssl.ca.location=${certs.ca}\n`)
  const client = certs.client('admin')
  const keystore = file('admin-keystore.pem', readFileSync(client.key, 'utf8') + readFileSync(client.cert, 'utf8'))
  const sslConf = file('ssl.properties', `security.protocol=SSL\nssl.truststore.type=PEM\nssl.truststore.location=${certs.ca}\nssl.keystore.type=PEM\nssl.keystore.location=${keystore}\n`)
  const wrong = file('wrong.properties', readFileSync(scram, 'utf8').replace(ALICE_PW, 'guess'))

  const [created, listedPlain, listedSsl, bad, noTls] = await Promise.all([
    samsa(['topics', '--bootstrap-server', saslSsl, '--command-config', scram, '--create', '--topic', 'secured', '--partitions', '2']),
    samsa(['users', '--bootstrap-server', saslSsl, '--command-config', plainSasl, '--list']),
    samsa(['users', '--bootstrap-server', ssl, '--command-config', sslConf, '--describe', 'alice']),
    samsa(['topics', '--bootstrap-server', saslSsl, '--command-config', wrong, '--list']),
    samsa(['topics', '--bootstrap-server', saslSsl, '--list', '--timeout', '20000']),
  ])
  t.equal(created.code, 0, created.stderr)
  t.equal(created.stdout, 'Created topic secured.\n')
  t.equal(listedPlain.code, 0, listedPlain.stderr)
  t.match(listedPlain.stdout, /^alice$/m, 'PLAIN with librdkafka-style properties')
  t.equal(listedSsl.code, 0, listedSsl.stderr)
  t.match(listedSsl.stdout, /user-principal 'alice'/, 'SSL with a PEM client key store')

  t.equal(bad.code, 1, 'a wrong password exits 1')
  t.equal(bad.stderr.split('\n').length, 2, 'with one line')
  t.match(bad.stderr, /^Error: SASL_AUTHENTICATION_FAILED: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512\n$/)
  t.notMatch(bad.stderr, /guess/, 'never the password')

  t.equal(noTls.code, 1)
  t.match(noTls.stderr, /^Error: .*closed the connection.*set security\.protocol/, 'plaintext to a TLS port says what to set')

  const described = await samsa(['topics', '--bootstrap-server', saslSsl, '--command-config', scram, '--describe', '--topic', 'secured'])
  t.equal(described.code, 0, described.stderr)
  t.match(described.stdout, /PartitionCount: 2/, 'later requests on the authenticated connection are served')
})

t.test('--command-config mistakes are usage errors naming the property', async (t) => {
  const noMech = file('nomech.properties', 'security.protocol=SASL_SSL\n')
  const jks = file('jks.properties', `security.protocol=SSL\nssl.truststore.location=${file('store.jks', 'not pem')}\n`)
  const [a, b] = await Promise.all([
    samsa(['users', '--bootstrap-server', saslSsl, '--command-config', noMech, '--list']),
    samsa(['users', '--bootstrap-server', ssl, '--command-config', jks, '--list']),
  ])
  t.equal(a.code, 2)
  t.match(a.stderr, /needs sasl\.mechanism/)
  t.equal(b.code, 2)
  t.match(b.stderr, /is not a PEM file/)
})

t.test('deleting every mechanism of a user', async (t) => {
  const del = await samsa(['users', '--bootstrap-server', plain, '--delete', 'alice'])
  t.equal(del.code, 0, del.stderr)
  const listed = await samsa(['users', '--bootstrap-server', plain, '--list'])
  t.equal(listed.stdout, '')
  await t.rejects(kafkajs('SCRAM-SHA-256', 'alice', ALICE_PW).admin().connect(), /invalid credentials/)
})
