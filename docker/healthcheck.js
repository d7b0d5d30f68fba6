// Docker HEALTHCHECK: healthy only if the broker says it is ready, not merely that it
// accepts TCP (the listeners open before storage and the coordinators are loaded).
// Plain JS with no dependencies so it runs even if the app's modules are broken.
//
// With the HTTP listener on (the image's default, port 8080): GET /readyz, healthy on
// 200 only (503 while partitions recover or a coordinator loads). With it off
// (SAMSA_HTTP_PORT=-1), or on a port picked at start (0) that this script cannot know:
// a Kafka ApiVersions v0 request (request header v1), healthy on a response frame with
// our correlation id and error_code 0.
import { connect } from 'node:net'
import { request } from 'node:http'

const TIMEOUT_MS = Number(process.env.SAMSA_HEALTHCHECK_TIMEOUT_MS) || 2000
const API_VERSIONS = 18
const CLIENT_ID = 'samsa-healthcheck'
// The broker's default outside embedding (src/config/broker-options.ts), and the image's.
const DEFAULT_HTTP_PORT = 8080

function target () {
  // Same precedence as docker/entrypoint.sh: a listeners variable beats SAMSA_HOST/SAMSA_PORT.
  const listener = process.env.SAMSA_LISTENERS || process.env.KAFKA_LISTENERS
  let host = process.env.SAMSA_HOST || '127.0.0.1'
  let port = process.env.SAMSA_PORT || '9092'
  if (listener) {
    const m = /^(?:[A-Za-z_]+:\/\/)?(\[[^\]]*\]|[^:/]*):(\d+)$/.exec(listener.trim())
    if (m) {
      host = m[1].replace(/^\[(.*)\]$/, '$1')
      port = m[2]
    }
  }
  // A wildcard bind address is reachable through loopback.
  if (host === '' || host === '0.0.0.0') host = '127.0.0.1'
  if (host === '::') host = '::1'
  return { host, port: Number(port) }
}

/** SAMSA_HTTP_PORT as the broker reads it: an integer from -1 to 65535; unset means the default. */
function httpPort () {
  const raw = (process.env.SAMSA_HTTP_PORT ?? '').trim()
  if (raw === '') return DEFAULT_HTTP_PORT
  const n = Number(raw)
  return Number.isInteger(n) && n >= -1 && n <= 65535 ? n : null
}

function encodeRequest (correlationId) {
  const clientId = Buffer.from(CLIENT_ID, 'utf8')
  const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length)
  body.writeInt16BE(API_VERSIONS, 0)
  body.writeInt16BE(0, 2) // api_version
  body.writeInt32BE(correlationId, 4)
  body.writeInt16BE(clientId.length, 8)
  clientId.copy(body, 10)
  const size = Buffer.alloc(4)
  size.writeInt32BE(body.length, 0)
  return Buffer.concat([size, body])
}

function kafkaCheck () {
  const { host, port } = target()
  const correlationId = (Math.random() * 0x7fffffff) | 0
  return new Promise((resolve) => {
    let buffered = Buffer.alloc(0)
    let done = false
    const finish = (ok, why) => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      if (!ok) process.stderr.write(`healthcheck: ${host}:${port}: ${why}\n`)
      resolve(ok)
    }
    const timer = setTimeout(() => finish(false, `no ApiVersions response within ${TIMEOUT_MS} ms`), TIMEOUT_MS)
    const socket = connect({ host, port })
    socket.on('connect', () => socket.write(encodeRequest(correlationId)))
    socket.on('error', (err) => finish(false, err.message))
    socket.on('close', () => finish(false, 'connection closed before a response'))
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk])
      // size(4) + correlation_id(4) + error_code(2) is all we need to judge.
      if (buffered.length < 10) return
      const size = buffered.readInt32BE(0)
      const got = buffered.readInt32BE(4)
      const errorCode = buffered.readInt16BE(8)
      if (size < 6) finish(false, `malformed response (frame size ${size})`)
      else if (got !== correlationId) finish(false, `correlation id ${got}, expected ${correlationId}`)
      else if (errorCode !== 0) finish(false, `ApiVersions error_code ${errorCode}`)
      else finish(true)
    })
  })
}

// The HTTP listener binds the Kafka listener's host, so the same loopback rule applies.
function readyCheck (port) {
  const { host } = target()
  const where = `http://${host.includes(':') ? `[${host}]` : host}:${port}/readyz`
  return new Promise((resolve) => {
    let done = false
    const finish = (ok, why) => {
      if (done) return
      done = true
      clearTimeout(timer)
      req.destroy()
      if (!ok) process.stderr.write(`healthcheck: ${where}: ${why}\n`)
      resolve(ok)
    }
    const timer = setTimeout(() => finish(false, `no answer within ${TIMEOUT_MS} ms`), TIMEOUT_MS)
    const req = request({ host, port, path: '/readyz', method: 'GET', agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d) => { if (body.length < 1024) body += d })
      res.on('end', () => finish(res.statusCode === 200, `status ${res.statusCode} ${body.trim()}`))
      res.on('error', (err) => finish(false, err.message))
    })
    req.on('error', (err) => finish(false, err.message))
    req.end()
  })
}

async function check () {
  const port = httpPort()
  if (port === null) {
    process.stderr.write(`healthcheck: SAMSA_HTTP_PORT=${process.env.SAMSA_HTTP_PORT} is not a port (-1 to 65535)\n`)
    return false
  }
  return port > 0 ? readyCheck(port) : kafkaCheck()
}

process.exit((await check()) ? 0 : 1)
