// With a SASL listener, the HTTP admin API and console take the broker's SCRAM users
// (HTTP Basic) and refuse everyone else; the probes and /metrics stay open. Without one,
// HTTP needs no login (the other HTTP tests run that way).

import t from 'tap'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { startBroker } from '../../src/broker.ts'
import { addScramUser } from '../helpers/scram-users.ts'
import { RawClient } from '../helpers/raw-client.ts'

const logLines: string[] = []
const logger = pino({ level: 'warn', base: undefined }, new Writable({ write(chunk, _enc, done) { logLines.push(chunk.toString()); done() } }))
const broker = await startBroker({ memory: true, listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0', httpPort: 0 }, { logger })
t.teardown(() => broker.close())
await addScramUser(broker.port, 'alice', 'alice-secret')
await addScramUser(broker.port, 'bob', 'bob-secret', ['SCRAM-SHA-256'])

const base = `http://127.0.0.1:${broker.httpPort}`
const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
async function get(path: string, authorization?: string): Promise<Response> {
  return fetch(base + path, { headers: authorization === undefined ? {} : { authorization } })
}

t.test('no credentials: 401 with a Basic challenge, for the API and the console', async (t) => {
  for (const path of ['/v3/clusters', '/']) {
    const res = await get(path)
    t.equal(res.status, 401, `${path} refused`)
    t.match(res.headers.get('www-authenticate') ?? '', /^Basic realm="samsa"/, `${path} asks for Basic credentials`)
    t.match(await res.json(), { error_code: 401, message: /Authentication required/ })
  }
})

t.test('a SCRAM user logs in with its password (SHA-512 and SHA-256 credentials)', async (t) => {
  const a = await get('/v3/clusters', basic('alice', 'alice-secret'))
  t.equal(a.status, 200, 'alice (SCRAM-SHA-256 and -512)')
  t.match(await a.json(), { data: [{ cluster_id: String }] })
  const b = await get('/v3/clusters', basic('bob', 'bob-secret'))
  t.equal(b.status, 200, 'bob (SCRAM-SHA-256 only)')
  t.equal((await get('/', basic('alice', 'alice-secret'))).status, 200, 'the console too')
})

t.test('wrong password, unknown user, malformed header: 401, logged without the password', async (t) => {
  for (const auth of [basic('alice', 'wrong'), basic('mallory', 'alice-secret'), 'Basic !!!', 'Bearer abc']) {
    const res = await get('/v3/clusters', auth)
    t.equal(res.status, 401, auth)
  }
  const lines = logLines.filter((l) => l.includes('HTTP login failed'))
  t.ok(lines.some((l) => l.includes('User:alice')), 'the failed login names the principal')
  t.ok(lines.some((l) => l.includes('User:mallory')), 'and an unknown one')
  t.notOk(logLines.some((l) => l.includes('wrong') || l.includes('alice-secret')), 'never the password')
})

t.test('probes and /metrics need no login', async (t) => {
  for (const path of ['/healthz', '/readyz', '/metrics']) t.equal((await get(path)).status, 200, path)
})

t.test('a changed password ends a remembered login at once', async (t) => {
  t.equal((await get('/v3/clusters', basic('bob', 'bob-secret'))).status, 200, 'bob logged in (remembered)')
  await addScramUser(broker.port, 'bob', 'bob-new', ['SCRAM-SHA-256'])
  t.equal((await get('/v3/clusters', basic('bob', 'bob-secret'))).status, 401, 'the old password no longer works')
  t.equal((await get('/v3/clusters', basic('bob', 'bob-new'))).status, 200, 'the new one does')
  // Deleting the user (AlterUserScramCredentials deletion) logs it out too.
  const c = await RawClient.connect(broker.port)
  try {
    const res = await c.request(51, 0, { deletions: [{ name: 'bob', mechanism: 1 }], upsertions: [] })
    t.equal(res.results[0].errorCode, 0, 'bob deleted')
  } finally {
    c.close()
  }
  t.equal((await get('/v3/clusters', basic('bob', 'bob-new'))).status, 401, 'a deleted user is refused')
})

t.test('without a SASL listener, HTTP needs no login', async (t) => {
  const open = await startBroker({ memory: true, port: 0, httpPort: 0 }, { logger })
  t.teardown(() => open.close())
  const res = await fetch(`http://127.0.0.1:${open.httpPort}/v3/clusters`)
  t.equal(res.status, 200)
})
