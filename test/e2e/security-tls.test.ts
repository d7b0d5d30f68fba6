// SSL listeners with client certificates (ssl.client.auth=required): kafkajs, kcat and
// the Python clients produce and consume; a certificate from an unknown CA or none at
// all is refused at the handshake; the key store is reloaded when its file changes.

import t from 'tap'
import { copyFileSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { connect as tlsConnect } from 'node:tls'
import { Kafka, logLevel } from 'kafkajs'
import { startBroker } from '../../src/broker.ts'
import { repoRoot, tempDir } from '../helpers/broker.ts'
import { makeCerts } from '../helpers/tls-certs.ts'
import { run, lastJsonLine, systemPython } from '../helpers/external.ts'
import { waitFor } from '../helpers/groups.ts'
import { kafkajsRoundTrip } from '../helpers/kafkajs-roundtrip.ts'

const dir = tempDir(t, 'samsa-tls-')
const certs = makeCerts(dir)
// The broker reads a copy, so the test can replace it with another server certificate.
const keystore = join(dir, 'live-keystore.pem')
copyFileSync(certs.serverKeystore, keystore)
const broker = await startBroker({
  memory: true, shards: 2,
  listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0',
  sslKeystoreLocation: keystore, sslTruststoreLocation: certs.ca, sslClientAuth: 'required',
})
t.teardown(() => broker.close())
const sslPort = broker.listeners.find((l) => l.name === 'SSL')!.port
const alice = certs.client('alice')

function handshake(opts: { cert?: string; key?: string }): Promise<{ ok: boolean; serial?: string }> {
  return new Promise((resolve) => {
    const s = tlsConnect({ host: '127.0.0.1', port: sslPort, ca: readFileSync(certs.ca), ...(opts.cert ? { cert: readFileSync(opts.cert), key: readFileSync(opts.key!) } : {}) })
    s.on('secureConnect', () => {
      const serial = s.getPeerCertificate().serialNumber
      // TLS 1.3 reports a refused client certificate after the handshake: wait for the verdict.
      s.write(Buffer.from('0000000e00120000000000010004746573740000', 'hex'))
      s.once('data', () => { s.destroy(); resolve({ ok: true, serial }) })
    })
    s.on('error', () => resolve({ ok: false }))
    s.on('close', () => resolve({ ok: false }))
  })
}

t.test('kafkajs over SSL with a client certificate', async (t) => {
  const kafka = new Kafka({ brokers: [`127.0.0.1:${sslPort}`], ssl: { ca: [readFileSync(certs.ca)], cert: readFileSync(alice.cert), key: readFileSync(alice.key) }, logLevel: logLevel.NOTHING })
  await kafkajsRoundTrip(t, kafka, 'tls-kjs', ['x', 'y'])
  const admin = kafka.admin()
  await admin.connect()
  t.same((await admin.describeCluster()).brokers.map((b) => b.port), [sslPort], 'the SSL listener advertises itself')
  await admin.disconnect()
})

t.test('kcat over SSL with a client certificate', async (t) => {
  const conf = ['-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${certs.ca}`, '-X', `ssl.certificate.location=${alice.cert}`, '-X', `ssl.key.location=${alice.key}`]
  const p = await run('kcat', ['-b', `127.0.0.1:${sslPort}`, ...conf, '-P', '-t', 'tls-kcat'], { input: '1\n2\n' })
  t.equal(p.code, 0, p.stderr)
  const c = await run('kcat', ['-b', `127.0.0.1:${sslPort}`, ...conf, '-C', '-t', 'tls-kcat', '-o', 'beginning', '-e', '-q'])
  t.same(c.stdout.trim().split('\n'), ['1', '2'], c.stderr)
})

for (const client of ['confluent', 'kafka-python']) {
  t.test(`${client} over SSL with a client certificate`, async (t) => {
    const r = await run(systemPython, [join(repoRoot, 'test/e2e/python/secure_roundtrip.py'), client, `127.0.0.1:${sslPort}`, 'SSL', '-', '-', '-', certs.ca, alice.cert, alice.key, `tls-${client}`, '10'])
    t.equal(r.code, 0, r.stderr)
    const res = lastJsonLine(r.stdout)
    t.equal(res.error, null)
    t.equal(res.consumed, 10)
    t.ok(res.values_ok)
  })
}

t.test('ssl.client.auth=required: no certificate or an untrusted one is refused', async (t) => {
  t.ok((await handshake({ cert: alice.cert, key: alice.key })).ok, 'a trusted client certificate gets in')
  t.notOk((await handshake({})).ok, 'no client certificate: refused')
  t.notOk((await handshake({ cert: certs.rogue.cert, key: certs.rogue.key })).ok, 'a certificate from another CA: refused')
})

t.test('the key store is reloaded when its file changes, without a restart', async (t) => {
  const before = (await handshake({ cert: alice.cert, key: alice.key })).serial
  const next = makeCerts(tempDir(t, 'samsa-tls2-'), 'server')
  // Same CA is needed for clients to trust it: sign a new server certificate with the first CA.
  const { execFileSync } = await import('node:child_process')
  execFileSync('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'new-key.pem', '-out', 'new.csr', '-subj', '/CN=server2'], { cwd: next.dir, stdio: 'ignore' })
  execFileSync('openssl', ['x509', '-req', '-in', join(next.dir, 'new.csr'), '-CA', certs.ca, '-CAkey', join(dir, 'ca-key.pem'), '-CAcreateserial', '-out', join(next.dir, 'new.pem'), '-days', '2', '-extfile', join(dir, 'server.ext')], { cwd: next.dir, stdio: 'ignore' })
  const { writeFileSync } = await import('node:fs')
  writeFileSync(keystore, readFileSync(join(next.dir, 'new-key.pem'), 'utf8') + readFileSync(join(next.dir, 'new.pem'), 'utf8'))
  let serial = before
  await waitFor(async () => {
    serial = (await handshake({ cert: alice.cert, key: alice.key })).serial
    return serial !== before
  }, 'new connections present the new certificate')
  t.not(serial, before)
})
