// Docker HEALTHCHECK: healthy only if the broker answers a real Kafka request,
// not merely accepts TCP (the listener opens before requests are served well).
// Plain JS with no dependencies so it runs even if the app's modules are broken.
//
// Sends ApiVersions v0 (request header v1) and expects, within the timeout, a
// response frame carrying our correlation id and error_code 0.
import { connect } from 'node:net'

const TIMEOUT_MS = Number(process.env.SAMSA_HEALTHCHECK_TIMEOUT_MS) || 2000
const API_VERSIONS = 18
const CLIENT_ID = 'samsa-healthcheck'

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

function check () {
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

process.exit((await check()) ? 0 : 1)
