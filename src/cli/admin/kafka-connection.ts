// One client connection to a Kafka broker (Samsa or Kafka itself), for the admin CLI:
// connect with a deadline, ApiVersions to learn what the broker speaks, then requests
// encoded with the generated codecs at the highest version both sides support, matched
// to their responses by correlation id. Every failure names the broker it concerns.
// On SSL and SASL_SSL listeners the socket is TLS; on SASL listeners ApiVersions is
// followed by SaslHandshake v1 and SaslAuthenticate, as Kafka's clients do.

import { connect as netConnect, isIP, type Socket } from 'node:net'
import { connect as tlsConnect, type ConnectionOptions as TlsConnectionOptions } from 'node:tls'
import { ErrorCode } from '../../../protocol/error-codes.ts'
import type { ApiVersionsResponse } from '../../../protocol/messages/api-versions-response.ts'
import { decodeResponseHeader, writeRequestHeader } from '../../../protocol/wire/headers.ts'
import { Reader } from '../../../protocol/wire/reader.ts'
import { Writer } from '../../../protocol/wire/writer.ts'
import { packageVersion } from '../version.ts'
import { ApiVersionsApi, SaslAuthenticateApi, SaslHandshakeApi, type ClientApi } from './apis.ts'
import type { ClientSecurity } from './client-config.ts'
import { createSaslClient, SaslClientError } from './sasl-client.ts'
import { AdminError, KafkaError, UsageError } from './errors.ts'

export interface BrokerAddress {
  host: string
  port: number
}

export interface ConnectionOptions {
  /** Bound on connecting and on each request. */
  timeoutMs: number
  clientId: string
  /** How errors name this broker, e.g. `bootstrap server 127.0.0.1:9092`. */
  role: string
  /** From --command-config; PLAINTEXT when absent. */
  security?: ClientSecurity
}

interface Pending {
  apiName: string
  resolve: (frame: Buffer) => void
  reject: (err: Error) => void
  timer: NodeJS.Timeout
}

/** Largest response accepted (Kafka's socket.request.max.bytes default is 100 MiB). */
const MAX_FRAME = 100 * 1024 * 1024

export function formatAddress (a: BrokerAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`
}

/** Parses `host:port[,host:port…]` as --bootstrap-server takes it. */
export function parseBootstrap (text: string): BrokerAddress[] {
  const out: BrokerAddress[] = []
  for (const raw of text.split(',')) {
    const item = raw.trim()
    if (item === '') continue
    const m = /^\[([^\]]+)\]:(\d+)$/.exec(item) ?? /^([^:\s]+):(\d+)$/.exec(item)
    const port = m === null ? NaN : Number(m[2])
    if (m === null || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new UsageError(`Invalid --bootstrap-server "${item}": expected host:port, e.g. 127.0.0.1:9092`)
    }
    out.push({ host: m[1]!, port })
  }
  if (out.length === 0) throw new UsageError('--bootstrap-server is empty: expected host:port')
  return out
}

function describeSocketError (e: NodeJS.ErrnoException, host: string): string {
  switch (e.code) {
    case 'ECONNREFUSED': return 'connection refused (ECONNREFUSED); is a broker listening there?'
    case 'ENOTFOUND':
    case 'EAI_AGAIN': return `cannot resolve host "${host}" (${e.code})`
    case 'EHOSTUNREACH':
    case 'ENETUNREACH': return `host unreachable (${e.code})`
    case 'ECONNRESET': return 'connection reset by the broker (ECONNRESET)'
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY': return `TLS: the broker's certificate is not trusted (${e.code}); set ssl.truststore.location to its CA in --command-config`
    case 'ERR_TLS_CERT_ALTNAME_INVALID': return `TLS: ${e.message}; the certificate must name the host you connect to (or set ssl.endpoint.identification.algorithm= to skip the check)`
    default: return e.code !== undefined ? `${e.message} (${e.code})` : e.message
  }
}

export class KafkaConnection {
  readonly address: BrokerAddress
  readonly role: string
  private readonly socket: Socket
  private readonly clientId: string
  private readonly timeoutMs: number
  private readonly pending = new Map<number, Pending>()
  private chunks: Buffer[] = []
  private buffered = 0
  private nextCorrelation = 1
  private closedError: Error | null = null
  /** apiKey → the broker's [min, max]; filled by the ApiVersions handshake. */
  private readonly brokerVersions = new Map<number, { min: number, max: number }>()

  private constructor (socket: Socket, address: BrokerAddress, options: ConnectionOptions) {
    this.socket = socket
    this.address = address
    this.role = options.role
    this.clientId = options.clientId
    this.timeoutMs = options.timeoutMs
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('error', (e: NodeJS.ErrnoException) => this.fail(new AdminError(`Lost the connection to ${this.role}: ${describeSocketError(e, address.host)}`)))
    socket.on('close', () => this.fail(new AdminError(`${capitalize(this.role)} closed the connection`)))
  }

  /** Connects and negotiates API versions, or throws an AdminError naming the broker. */
  static async connect (address: BrokerAddress, options: ConnectionOptions): Promise<KafkaConnection> {
    const tls = options.security?.tls ?? null
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = tls === null ? netConnect({ host: address.host, port: address.port }) : tlsConnect(tlsOptions(address, tls))
      const timer = setTimeout(() => {
        s.destroy()
        reject(new AdminError(`Could not connect to ${options.role}: no answer within ${options.timeoutMs} ms${tls !== null ? ' (TLS handshake)' : ''}`))
      }, options.timeoutMs)
      const onError = (e: NodeJS.ErrnoException): void => {
        clearTimeout(timer)
        s.destroy()
        reject(new AdminError(`Could not connect to ${options.role}: ${describeSocketError(e, address.host)}`))
      }
      // A listener that is not TLS drops the handshake without a TLS alert.
      const onClose = (): void => {
        clearTimeout(timer)
        reject(new AdminError(`Could not connect to ${options.role}: the broker closed the connection during the TLS handshake; is it an SSL or SASL_SSL listener?`))
      }
      s.once(tls === null ? 'connect' : 'secureConnect', () => {
        clearTimeout(timer)
        s.off('error', onError)
        s.off('close', onClose)
        resolve(s)
      })
      s.once('error', onError)
      if (tls !== null) s.once('close', onClose)
    })
    const conn = new KafkaConnection(socket, address, options)
    try {
      await conn.handshake()
      const sasl = options.security?.sasl ?? null
      if (sasl !== null) await conn.authenticate(sasl)
    } catch (e) {
      conn.close()
      if (tls === null && e instanceof AdminError && !(e instanceof KafkaError) && / closed the connection /.test(e.message)) {
        throw new AdminError(`${e.message}; if it is an SSL or SASL_SSL listener, set security.protocol (and the trust store) in a --command-config file`)
      }
      throw e
    }
    return conn
  }

  /**
   * ApiVersions v3 (v0 when the broker is older: it then answers UNSUPPORTED_VERSION in
   * the v0 layout, which is how Kafka tells a client to step down).
   */
  private async handshake (): Promise<void> {
    const frame = await this.send(ApiVersionsApi, 3, { clientSoftwareName: 'samsa-cli', clientSoftwareVersion: safeSoftwareVersion() })
    // The error code leads the body in every layout, right after the correlation id.
    const stepDown = frame.length >= 6 && frame.readInt16BE(4) === ErrorCode.UNSUPPORTED_VERSION
    let res: ApiVersionsResponse
    try {
      res = this.decode(ApiVersionsApi, stepDown ? 0 : 3, frame)
    } catch (e) {
      throw new AdminError(`${capitalize(this.role)} sent an ApiVersions response this tool cannot read (${(e as Error).message}); is it a Kafka broker?`)
    }
    if (res.errorCode === ErrorCode.UNSUPPORTED_VERSION && res.apiKeys.length === 0) {
      res = this.decode(ApiVersionsApi, 0, await this.send(ApiVersionsApi, 0, ApiVersionsApi.defaultRequest()))
    }
    if (res.errorCode !== ErrorCode.NONE && res.errorCode !== ErrorCode.UNSUPPORTED_VERSION) {
      throw new AdminError(`${capitalize(this.role)} refused ApiVersions: ${new KafkaError(res.errorCode).message}`)
    }
    for (const k of res.apiKeys) this.brokerVersions.set(k.apiKey, { min: k.minVersion, max: k.maxVersion })
  }

  /**
   * SaslHandshake v1, then one SaslAuthenticate per token until both sides are done.
   * A refusal is a KafkaError with the broker's code and message
   * (SASL_AUTHENTICATION_FAILED, UNSUPPORTED_SASL_MECHANISM, ILLEGAL_SASL_STATE).
   */
  private async authenticate (sasl: NonNullable<ClientSecurity['sasl']>): Promise<void> {
    if (!this.brokerVersions.has(SaslHandshakeApi.apiKey)) {
      throw new AdminError(`${capitalize(this.role)} does not speak SASL (no SaslHandshake in its ApiVersions); is security.protocol right for this listener?`)
    }
    const { response: hs } = await this.request(SaslHandshakeApi, () => ({ mechanism: sasl.mechanism }), { min: 1 })
    if (hs.errorCode !== ErrorCode.NONE) {
      const enabled = hs.mechanisms.length > 0 ? `; the broker enables ${hs.mechanisms.join(', ')}` : ''
      throw new KafkaError(hs.errorCode, `${capitalize(this.role)} refused SASL mechanism ${sasl.mechanism}${enabled}`)
    }
    const client = createSaslClient(sasl.mechanism, sasl.username, sasl.password)
    let token: Buffer | null = client.start()
    try {
      while (token !== null) {
        const sent: Buffer = token
        const { response } = await this.request(SaslAuthenticateApi, () => ({ authBytes: sent }))
        if (response.errorCode !== ErrorCode.NONE) throw new KafkaError(response.errorCode, response.errorMessage)
        token = await client.next(response.authBytes)
        // PLAIN ends after one round; SCRAM after the server's final message, which needs no answer.
      }
    } catch (e) {
      if (e instanceof SaslClientError) throw new KafkaError(ErrorCode.SASL_AUTHENTICATION_FAILED, e.message)
      throw e
    }
  }

  /** Whether the broker advertises this API at a version this client can encode. */
  supports (api: ClientApi<any, any>, minVersion = api.minVersion): boolean {
    return this.pickVersion(api, minVersion) !== undefined
  }

  private pickVersion (api: ClientApi<any, any>, minVersion: number, maxVersion = Infinity): number | undefined {
    const broker = this.brokerVersions.get(api.apiKey)
    if (broker === undefined) return undefined
    const hi = Math.min(api.maxVersion, broker.max, maxVersion)
    const lo = Math.max(api.minVersion, broker.min, minVersion)
    return hi >= lo ? hi : undefined
  }

  /**
   * The highest version both sides support, or an UNSUPPORTED_VERSION KafkaError saying
   * which API this broker lacks.
   */
  version (api: ClientApi<any, any>, minVersion = api.minVersion, maxVersion = Infinity): number {
    const v = this.pickVersion(api, minVersion, maxVersion)
    if (v !== undefined) return v
    const broker = this.brokerVersions.get(api.apiKey)
    const what = broker === undefined
      ? `${this.role} does not support ${api.name} (API key ${api.apiKey})`
      : `${this.role} supports ${api.name} versions ${broker.min}-${broker.max}, this tool needs ${minVersion}-${Math.min(api.maxVersion, maxVersion)}`
    throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, capitalize(what))
  }

  /**
   * Sends one request at the negotiated version and decodes the answer. `build` gets the
   * version so callers can fill the fields that version has.
   */
  async request<Req, Res> (api: ClientApi<Req, Res>, build: (version: number) => Req, range: { min?: number, max?: number } = {}): Promise<{ version: number, response: Res }> {
    const version = this.version(api, range.min, range.max)
    const frame = await this.send(api, version, build(version))
    return { version, response: this.decode(api, version, frame) }
  }

  private send<Req> (api: ClientApi<Req, unknown>, version: number, body: Req): Promise<Buffer> {
    if (this.closedError !== null) return Promise.reject(this.closedError)
    const correlationId = this.nextCorrelation++
    const w = Writer.frame()
    writeRequestHeader(w, api.apiKey, version, correlationId, this.clientId)
    api.encodeRequest(w, version, body)
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId)
        reject(new AdminError(`No response from ${this.role} to ${api.name} within ${this.timeoutMs} ms`))
      }, this.timeoutMs)
      this.pending.set(correlationId, { apiName: api.name, resolve, reject, timer })
      for (const chunk of w.finish()) this.socket.write(chunk)
    })
  }

  private decode<Res> (api: ClientApi<unknown, Res>, version: number, frame: Buffer): Res {
    const r = new Reader(frame)
    decodeResponseHeader(r, api.apiKey, version)
    return api.decodeResponse(r, version)
  }

  private onData (chunk: Buffer): void {
    this.chunks.push(chunk)
    this.buffered += chunk.length
    for (;;) {
      if (this.buffered < 4) return
      let buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered)
      this.chunks = [buf]
      const size = buf.readInt32BE(0)
      if (size < 4 || size > MAX_FRAME) {
        this.fail(new AdminError(`${capitalize(this.role)} sent a malformed response (frame size ${size}); is it a Kafka broker?`))
        this.socket.destroy()
        return
      }
      if (buf.length < 4 + size) return
      const frame = buf.subarray(4, 4 + size)
      buf = buf.subarray(4 + size)
      this.chunks = buf.length > 0 ? [buf] : []
      this.buffered = buf.length
      const correlationId = frame.readInt32BE(0)
      const p = this.pending.get(correlationId)
      if (p === undefined) continue // a response to a request that already timed out
      this.pending.delete(correlationId)
      clearTimeout(p.timer)
      p.resolve(frame)
    }
  }

  private fail (err: Error): void {
    if (this.closedError === null) this.closedError = err
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer)
      this.pending.delete(id)
      p.reject(new AdminError(`${err.message} before answering ${p.apiName}`))
    }
  }

  close (): void {
    this.fail(new AdminError(`The connection to ${this.role} was closed`))
    this.socket.destroy()
  }
}

function tlsOptions (address: BrokerAddress, tls: NonNullable<ClientSecurity['tls']>): TlsConnectionOptions {
  const out: TlsConnectionOptions = { host: address.host, port: address.port }
  // SNI takes host names only.
  if (isIP(address.host) === 0) out.servername = address.host
  if (tls.ca !== undefined) out.ca = tls.ca
  if (tls.cert !== undefined) out.cert = tls.cert
  if (tls.key !== undefined) out.key = tls.key
  if (tls.passphrase !== undefined) out.passphrase = tls.passphrase
  if (!tls.verifyHostname) out.checkServerIdentity = () => undefined
  return out
}

/** KIP-511 allows only [a-zA-Z0-9.-] in the software version. */
function safeSoftwareVersion (): string {
  return packageVersion().replace(/[^a-zA-Z0-9.-]/g, '-').replace(/^[^a-zA-Z0-9]+|[^a-zA-Z0-9]+$/g, '') || 'unknown'
}

export function capitalize (s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1)
}
