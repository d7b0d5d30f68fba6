// docker/healthcheck.js, run as the image runs it (a child process, env only). With the
// HTTP listener on, it asks /readyz and is healthy on 200 only: against a real broker
// that is ready, one still loading its group coordinator (503), and one stopped. With
// SAMSA_HTTP_PORT=-1 (or 0, a port it cannot know) it falls back to a Kafka ApiVersions
// request, checked against a fake broker's exact answers and the real broker.
import { spawn } from 'node:child_process'
import { createServer as createHttpServer } from 'node:http'
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { waitFor } from '../helpers/groups.ts'

const script = join(import.meta.dirname, '..', '..', 'docker', 'healthcheck.js')

interface Request { size: number, apiKey: number, apiVersion: number, correlationId: number, clientId: string }

function parseRequest (buf: Buffer): Request | undefined {
  if (buf.length < 4) return undefined
  const size = buf.readInt32BE(0)
  if (buf.length < 4 + size) return undefined
  const idLen = buf.readInt16BE(12)
  return {
    size,
    apiKey: buf.readInt16BE(4),
    apiVersion: buf.readInt16BE(6),
    correlationId: buf.readInt32BE(8),
    clientId: buf.subarray(14, 14 + idLen).toString('utf8')
  }
}

/** ApiVersions v0 response: header v0 (correlation id), error_code, [api_key, min, max]. */
function apiVersionsResponse (correlationId: number, errorCode = 0): Buffer {
  const body = Buffer.alloc(4 + 2 + 4 + 6)
  body.writeInt32BE(correlationId, 0)
  body.writeInt16BE(errorCode, 4)
  body.writeInt32BE(1, 6)
  body.writeInt16BE(18, 10)
  body.writeInt16BE(0, 12)
  body.writeInt16BE(4, 14)
  const size = Buffer.alloc(4)
  size.writeInt32BE(body.length, 0)
  return Buffer.concat([size, body])
}

async function fakeBroker (t: Test, answer: (req: Request, socket: Socket) => void): Promise<{ port: number, requests: Request[] }> {
  const requests: Request[] = []
  const server: Server = createServer((socket) => {
    let buf = Buffer.alloc(0)
    socket.on('error', () => {})
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d])
      const req = parseRequest(buf)
      if (req === undefined) return
      requests.push(req)
      answer(req, socket)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.close(() => resolve()); server.unref() }))
  return { port: (server.address() as AddressInfo).port, requests }
}

function runHealthcheck (env: Record<string, string>): Promise<{ code: number | null, ms: number, stderr: string }> {
  const started = Date.now()
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'ignore', 'pipe']
    })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => { stderr += d })
    child.on('exit', (code) => resolve({ code, ms: Date.now() - started, stderr }))
  })
}

t.test('healthy: a correct ApiVersions v0 response', async (t) => {
  const broker = await fakeBroker(t, (req, s) => s.write(apiVersionsResponse(req.correlationId)))
  const r = await runHealthcheck({ SAMSA_HTTP_PORT: '-1', SAMSA_PORT: String(broker.port) })
  t.equal(r.code, 0, r.stderr)
  t.equal(broker.requests.length, 1)
  const req = broker.requests[0]
  t.equal(req.apiKey, 18, 'ApiVersions')
  t.equal(req.apiVersion, 0)
  t.equal(req.clientId, 'samsa-healthcheck')
  t.equal(req.size, 2 + 2 + 4 + 2 + req.clientId.length, 'frame size covers header v1 and empty body')
})

t.test('healthy when the response arrives in pieces', async (t) => {
  const broker = await fakeBroker(t, (req, s) => {
    const bytes = apiVersionsResponse(req.correlationId)
    let i = 0
    const timer = setInterval(() => {
      if (i >= bytes.length) { clearInterval(timer); return }
      s.write(bytes.subarray(i, i + 3))
      i += 3
    }, 5)
  })
  const r = await runHealthcheck({ SAMSA_HTTP_PORT: '-1', SAMSA_PORT: String(broker.port) })
  t.equal(r.code, 0, r.stderr)
})

t.test('unhealthy: wrong correlation id', async (t) => {
  const broker = await fakeBroker(t, (req, s) => s.write(apiVersionsResponse(req.correlationId ^ 1)))
  const r = await runHealthcheck({ SAMSA_HTTP_PORT: '-1', SAMSA_PORT: String(broker.port) })
  t.equal(r.code, 1)
  t.match(r.stderr, /correlation id/)
})

t.test('unhealthy: error_code != 0', async (t) => {
  const broker = await fakeBroker(t, (req, s) => s.write(apiVersionsResponse(req.correlationId, 35)))
  const r = await runHealthcheck({ SAMSA_HTTP_PORT: '-1', SAMSA_PORT: String(broker.port) })
  t.equal(r.code, 1)
  t.match(r.stderr, /error_code 35/)
})

t.test('unhealthy: no answer, within its 2 s timeout', async (t) => {
  const broker = await fakeBroker(t, () => {})
  const r = await runHealthcheck({ SAMSA_HTTP_PORT: '-1', SAMSA_PORT: String(broker.port) })
  t.equal(r.code, 1)
  t.match(r.stderr, /no ApiVersions response within 2000 ms/, 'it gives up on its own timeout, and says so')
})

t.test('unhealthy: connection closed without an answer', async (t) => {
  const broker = await fakeBroker(t, (_req, s) => s.destroy())
  const r = await runHealthcheck({ SAMSA_HTTP_PORT: '-1', SAMSA_PORT: String(broker.port) })
  t.equal(r.code, 1)
  t.match(r.stderr, /connection closed before a response/, 'a closed connection is reported as such, at once, not as the timeout')
})

t.test('unhealthy: nothing listening', async (t) => {
  const broker = await fakeBroker(t, () => {})
  const port = broker.port
  // find a port that is closed: the fake's port once it is gone
  const closed = await new Promise<number>((resolve) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port
      s.close(() => resolve(p))
    })
  })
  t.not(closed, port)
  const r = await runHealthcheck({ SAMSA_HTTP_PORT: '-1', SAMSA_PORT: String(closed) })
  t.equal(r.code, 1)
  t.match(r.stderr, /ECONNREFUSED/)
})

t.test('target: SAMSA_LISTENERS beats SAMSA_PORT; wildcard hosts go to loopback', async (t) => {
  const broker = await fakeBroker(t, (req, s) => s.write(apiVersionsResponse(req.correlationId)))
  const viaListener = await runHealthcheck({ SAMSA_HTTP_PORT: '-1', SAMSA_LISTENERS: `PLAINTEXT://0.0.0.0:${broker.port}`, SAMSA_PORT: '1' })
  t.equal(viaListener.code, 0, viaListener.stderr)
  const viaKafka = await runHealthcheck({ SAMSA_HTTP_PORT: '-1', KAFKA_LISTENERS: `PLAINTEXT://:${broker.port}` })
  t.equal(viaKafka.code, 0, viaKafka.stderr)
  const wildcard = await runHealthcheck({ SAMSA_HTTP_PORT: '-1', SAMSA_HOST: '0.0.0.0', SAMSA_PORT: String(broker.port) })
  t.equal(wildcard.code, 0, wildcard.stderr)
})

// The hand-encoded frame must satisfy the real broker, not just our fake.
t.test('HTTP listener off: healthy against the real broker through Kafka', async (t) => {
  const { startBroker } = await import('../../src/broker.ts')
  const broker = await startBroker({ memory: true, port: 0, shards: 1, logLevel: 'silent' })
  t.teardown(() => broker.close())
  t.equal(broker.httpPort, null, 'no HTTP listener')
  const r = await runHealthcheck({ SAMSA_HTTP_PORT: '-1', SAMSA_PORT: String(broker.port) })
  t.equal(r.code, 0, r.stderr)
})

async function fakeHttp (t: Test, status: number): Promise<{ port: number, requests: Array<{ method: string, url: string }> }> {
  const requests: Array<{ method: string, url: string }> = []
  const server = createHttpServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '' })
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ status: status === 200 ? 'ready' : 'loading' }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections() }))
  return { port: (server.address() as AddressInfo).port, requests }
}

t.test('HTTP on: GET /readyz, healthy on 200 only, and Kafka is not asked', async (t) => {
  const kafka = await fakeBroker(t, (req, s) => s.write(apiVersionsResponse(req.correlationId)))
  const ready = await fakeHttp(t, 200)
  const ok = await runHealthcheck({ SAMSA_HTTP_PORT: String(ready.port), SAMSA_PORT: String(kafka.port) })
  t.equal(ok.code, 0, ok.stderr)
  t.same(ready.requests, [{ method: 'GET', url: '/readyz' }])
  const loading = await fakeHttp(t, 503)
  const notYet = await runHealthcheck({ SAMSA_HTTP_PORT: String(loading.port), SAMSA_PORT: String(kafka.port) })
  t.equal(notYet.code, 1, '503 is unhealthy, however well Kafka answers')
  t.match(notYet.stderr, /readyz: status 503/)
  const other = await fakeHttp(t, 204)
  t.equal((await runHealthcheck({ SAMSA_HTTP_PORT: String(other.port) })).code, 1, 'any other 2xx is unhealthy too')
  t.equal(kafka.requests.length, 0, 'the Kafka listener was never asked')
})

t.test('which check runs: SAMSA_HTTP_PORT unset means 8080, 0 and -1 mean Kafka, garbage fails', async (t) => {
  const kafka = await fakeBroker(t, (req, s) => s.write(apiVersionsResponse(req.correlationId)))
  const unset = await runHealthcheck({ SAMSA_PORT: String(kafka.port) })
  t.equal(kafka.requests.length, 0, 'unset: the image default, HTTP on 8080, not Kafka')
  if (unset.code !== 0) t.match(unset.stderr, /127\.0\.0\.1:8080\/readyz/, 'and says where it asked')
  const picked = await runHealthcheck({ SAMSA_HTTP_PORT: '0', SAMSA_PORT: String(kafka.port) })
  t.equal(picked.code, 0, picked.stderr)
  t.equal(kafka.requests.length, 1, '0 (a port picked at start): Kafka')
  const bad = await runHealthcheck({ SAMSA_HTTP_PORT: 'eighty', SAMSA_PORT: String(kafka.port) })
  t.equal(bad.code, 1)
  t.match(bad.stderr, /SAMSA_HTTP_PORT=eighty is not a port/)
  t.equal(kafka.requests.length, 1, 'and an unreadable port is not papered over by Kafka')
})

async function freePort (): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port
      s.close(() => resolve(p))
    })
  })
}

t.test('real broker: unhealthy while loading, healthy once ready, unhealthy once stopped', async (t) => {
  const { startBroker } = await import('../../src/broker.ts')
  // The HTTP listener opens before the group coordinator loads; the gate holds the load.
  const httpPort = await freePort()
  let open!: () => void
  const gate = new Promise<void>((resolve) => { open = resolve })
  let kafkaPort = 0
  const starting = startBroker({ memory: true, host: '127.0.0.1', port: 0, httpPort, shards: 1, logLevel: 'silent' }, { groupLoadGate: (port) => { kafkaPort = port; return gate } })
  t.teardown(async () => { open(); await (await starting).close() })
  await waitFor(() => kafkaPort > 0, 'the group coordinator waiting at the gate')
  const env = { SAMSA_HTTP_PORT: String(httpPort), SAMSA_HOST: '127.0.0.1', SAMSA_PORT: String(kafkaPort) }
  const loading = await runHealthcheck(env)
  t.equal(loading.code, 1, 'loading: unhealthy')
  t.match(loading.stderr, /status 503 .*group coordinator is loading/, 'with /readyz\'s reason')
  open()
  const broker = await starting
  t.equal(broker.httpPort, httpPort)
  const ready = await runHealthcheck(env)
  t.equal(ready.code, 0, ready.stderr)
  await broker.close()
  const stopped = await runHealthcheck(env)
  t.equal(stopped.code, 1, 'stopped: unhealthy')
  t.match(stopped.stderr, /ECONNREFUSED/)
})
