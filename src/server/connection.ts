// One client connection: frames in, requests dispatched to handlers, responses out in
// request order (clients match responses by position as much as by correlation id).
// Owns the rules for bad input: a frame above the maximum size, an unparsable header
// or body, an unknown API key or a version we do not serve closes this connection with
// a log line; nothing here can disturb other connections. Reading stops while too many
// requests are outstanding, while the client does not read its responses, while the
// broker's request memory (queued.max.request.bytes) has no room for its next frame, and
// while the client is throttled for a quota (ctx.throttle).
// On SASL listeners frames first pass a gate (onSaslFrame) that admits only what Kafka
// admits before authentication; other listeners hand frames straight to onFrame, so
// they pay nothing for it.

import type { Socket } from 'node:net'
import { Reader } from '../../protocol/wire/reader.ts'
import { Writer } from '../../protocol/wire/writer.ts'
import { decodeRequestHeader, writeResponseHeader } from '../../protocol/wire/headers.ts'
import { encodeApiVersionsResponse } from '../../protocol/messages/api-versions-response.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { FrameDecoder, FrameTooLargeError } from './frame-decoder.ts'
import { apiVersionsResponse } from '../handlers/18-api-versions.ts'
import type { BrokerContext } from '../broker-context.ts'
import type { RequestContext, RequestHeaderInfo, ApiHandler, ListenerEndpoint } from '../handlers/api-handler.ts'
import type { Logger } from '../logger.ts'
import type { Listener } from './listener.ts'
import type { ConnectionSecurity } from '../security/connection-security.ts'
import type { SaslAuthenticator } from '../security/sasl-authenticator.ts'
import { principalName } from '../quotas/client-quotas.ts'

const API_VERSIONS = 18
const SASL_HANDSHAKE = 17
const SASL_AUTHENTICATE = 36
// Requests a client may have outstanding before we stop reading its socket. Kafka clients
// pipeline at most a handful (max.in.flight 5); the bound protects memory from a flood.
const MAX_IN_FLIGHT = 256

interface Slot {
  done: boolean
  chunks: Buffer[] | null
  /** When the request was dispatched (performance.now()), for the latency metric. */
  started: number
  /** Main-thread ms its handler took before its first await; set only once request_percentage quotas exist. */
  busyMs?: number
  /** RequestContext.onResponseWritten callbacks. */
  written?: Array<() => void>
}

export class Connection {
  readonly id: number
  private readonly socket: Socket
  private readonly broker: BrokerContext
  private readonly log: Logger
  private readonly decoder: FrameDecoder
  private readonly abort = new AbortController()
  private readonly queue: Slot[] = []
  private readonly remote: string
  private readonly endpoint: ListenerEndpoint
  private readonly security: ConnectionSecurity
  private paused = false
  private closed = false
  /** Set while the next frame waits for request memory: the cancel of that wait. */
  private memoryWait: (() => void) | null = null
  private readonly onFrameBound = (frame: Buffer): void => this.onFrame(frame)
  /** onFrameBound, or the SASL gate until authentication (for the session's life with re-authentication). */
  private frameHandler: (frame: Buffer) => void
  private draining: (() => void) | null = null
  /** Set while the connection is muted for a quota (ctx.throttle): ends the mute. */
  private throttleTimer: NodeJS.Timeout | null = null
  private throttledUntil = 0

  constructor(id: number, socket: Socket, broker: BrokerContext, listener: Listener, principal: string) {
    this.id = id
    this.socket = socket
    this.broker = broker
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`
    this.endpoint = listener.endpoint
    this.log = broker.logger.child({ conn: id, remote: this.remote, listener: listener.config.name })
    this.security = listener.securityFor(socket, principal, () => ({
      closeAfterResponses: (reason) => {
        this.log.debug({ reason }, 'closing connection after its last response')
        void this.drain()
      },
      authenticated: () => {
        this.security.principal = `User:${this.security.sasl!.user}`
        // A session that ends (connections.max.reauth.ms, an OAUTHBEARER token's expiry) keeps the gate.
        if (this.security.sasl!.expiresAt === Infinity) this.frameHandler = this.onFrameBound
      },
    }))
    this.frameHandler = this.security.sasl === null ? this.onFrameBound : (frame) => this.onSaslFrame(frame, this.security.sasl!)
    this.decoder = new FrameDecoder(broker.options.maxRequestBytes, broker.requestMemory)
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('drain', () => this.updateFlow())
    socket.on('error', (err) => this.log.debug({ err: err.message }, 'socket error'))
    socket.on('close', () => this.onClose())
  }

  get atRequestLimit(): boolean {
    return this.queue.length >= MAX_IN_FLIGHT
  }

  /** Stops reading, lets in-flight requests finish and their responses leave, then ends. */
  drain(): Promise<void> {
    if (this.closed) return Promise.resolve()
    this.socket.pause()
    this.paused = true
    // Long polls answer now (with what they have) instead of at their deadline.
    this.abort.abort()
    return new Promise((resolve) => {
      this.draining = () => {
        this.socket.end()
        resolve()
      }
      this.flush()
    })
  }

  private onData(chunk: Buffer): void {
    try {
      if (!this.decoder.push(chunk, this.frameHandler)) this.waitForMemory()
    } catch (err) {
      this.failedFrame(err)
    }
  }

  private failedFrame(err: unknown): void {
    // 0x16 0x03 starts every TLS record: a client speaking TLS to a plaintext listener.
    if (err instanceof FrameTooLargeError && err.size >>> 16 === 0x1603) this.kill(`${err.message}: this looks like a TLS handshake on a ${this.security.securityProtocol} listener (${this.security.listener})`)
    else if (err instanceof FrameTooLargeError) this.kill(err.message)
    else this.kill(`failed to process request: ${(err as Error).message}`)
  }

  private waitForMemory(): void {
    if (this.closed || this.memoryWait !== null) return
    this.memoryWait = this.broker.requestMemory.whenAvailable(() => {
      this.memoryWait = null
      if (this.closed) return
      try {
        if (!this.decoder.resume(this.frameHandler)) return this.waitForMemory()
      } catch (err) {
        return this.failedFrame(err)
      }
      this.updateFlow()
    })
    this.updateFlow()
  }

  private onFrame(frame: Buffer): void {
    if (this.closed) return
    const r = new Reader(frame)
    let header: RequestHeaderInfo
    try {
      header = decodeRequestHeader(r)
    } catch (err) {
      return this.kill(`malformed request header: ${(err as Error).message}`)
    }
    const handler = this.broker.handlers.get(header.apiKey)
    if (handler === undefined) return this.kill(`unknown API key ${header.apiKey} (correlation id ${header.correlationId})`)

    if (header.apiKey === API_VERSIONS && header.apiVersion > handler.maxVersion) {
      // KIP-511: answer in v0 so the client can read our range and retry.
      return this.respond(header, 0, apiVersionsResponse(this.broker, ErrorCode.UNSUPPORTED_VERSION), (w, v, res) => encodeApiVersionsResponse(w, v, res))
    }
    if (header.apiVersion < handler.minVersion || header.apiVersion > handler.maxVersion) {
      return this.kill(`unsupported version ${header.apiVersion} of ${handler.name} (supported ${handler.minVersion}-${handler.maxVersion})`)
    }
    let request: unknown
    try {
      request = handler.decode(r, header.apiVersion)
    } catch (err) {
      return this.kill(`malformed ${handler.name} v${header.apiVersion} request: ${(err as Error).message}`)
    }
    this.dispatch(handler, header, request, frame.length)
  }

  /**
   * Before authentication only ApiVersions and SaslHandshake, then only SaslAuthenticate
   * (or a raw token after a v0 handshake), may arrive; anything else closes the
   * connection as in Kafka (IllegalSaslStateException). With re-authentication on, an
   * authenticated session that has expired may only start a new handshake.
   */
  private onSaslFrame(frame: Buffer, sasl: SaslAuthenticator): void {
    if (this.closed) return
    if (sasl.phase === 'authenticate' && sasl.rawTokens) return this.onRawSaslToken(frame, sasl)
    if (frame.length < 2) return this.kill('malformed request header')
    const apiKey = frame.readInt16BE(0)
    if (sasl.phase === 'complete') {
      if (apiKey !== SASL_HANDSHAKE && sasl.expired) return this.kill('the SASL session expired (connections.max.reauth.ms or the OAUTHBEARER token\'s exp) and the client did not re-authenticate')
      return this.onFrame(frame)
    }
    const allowed = sasl.phase === 'handshake' ? apiKey === API_VERSIONS || apiKey === SASL_HANDSHAKE : sasl.phase === 'authenticate' && apiKey === SASL_AUTHENTICATE
    if (!allowed) {
      const name = this.broker.handlers.get(apiKey)?.name ?? `key ${apiKey}`
      return this.kill(`Unexpected Kafka request of type ${name} during SASL ${sasl.phase === 'handshake' ? 'handshake' : 'authentication'}`)
    }
    this.onFrame(frame)
  }

  /** A token after a SaslHandshake v0: no Kafka header, answered with a size-prefixed token. */
  private onRawSaslToken(frame: Buffer, sasl: SaslAuthenticator): void {
    const token = Buffer.from(frame)
    const slot: Slot = { done: false, chunks: null, started: performance.now() }
    this.queue.push(slot)
    this.updateFlow()
    sasl.rawToken(token).then((challenge) => {
      slot.done = true
      if (challenge !== null) {
        const size = Buffer.allocUnsafe(4)
        size.writeInt32BE(challenge.length, 0)
        slot.chunks = [size, challenge]
      }
      this.flush()
    }, (err: unknown) => {
      slot.done = true
      this.kill(`SASL authentication failed: ${(err as Error).message}`)
    })
  }

  private dispatch(handler: ApiHandler, header: RequestHeaderInfo, request: unknown, requestSize: number): void {
    const slot: Slot = { done: false, chunks: null, started: performance.now() }
    this.queue.push(slot)
    this.updateFlow()
    const ctx: RequestContext = {
      broker: this.broker,
      header,
      connectionId: this.id,
      remote: this.remote,
      requestSize,
      listener: this.endpoint,
      security: this.security,
      signal: this.abort.signal,
      closeConnection: (reason) => this.kill(reason),
      throttle: (ms) => this.throttle(ms),
      onResponseWritten: (fn) => {
        ;(slot.written ??= []).push(fn)
      },
    }
    let pending: Promise<unknown>
    try {
      pending = Promise.resolve(handler.handle(ctx, request))
    } catch (err) {
      pending = Promise.reject(err)
    }
    if (this.broker.quotas.request.enabled) slot.busyMs = performance.now() - slot.started
    pending.then(
      (response) => this.complete(slot, handler, header, request, response),
      (err: unknown) => {
        this.log.error({ err, api: handler.name, version: header.apiVersion }, 'request handler failed')
        if (handler.expectsNoResponse?.(request) === true) {
          this.complete(slot, handler, header, request, null)
          return this.kill(`${handler.name} failed and its client expects no response`)
        }
        this.complete(slot, handler, header, request, handler.errorResponse(request, ErrorCode.UNKNOWN_SERVER_ERROR, header.apiVersion))
      },
    )
  }

  private complete(slot: Slot, handler: ApiHandler, header: RequestHeaderInfo, request: unknown, response: unknown): void {
    slot.done = true
    this.broker.metrics.handled(handler.name, header.apiVersion, performance.now() - slot.started, response)
    // Produce with acks=0 (no response) is exempt from the request quota, as in Kafka.
    const timed = slot.busyMs !== undefined && response !== null
    if (timed) response = this.requestQuota(header, slot.busyMs!, response)
    if (response !== null && !this.closed) {
      try {
        const encodeStarted = timed ? performance.now() : 0
        slot.chunks = this.encode(header, header.apiVersion, response, (w, v, res) => handler.encode(w, v, res))
        // Kafka's network-thread time: counted, but only the next request is throttled for it.
        if (timed) this.broker.quotas.request.recordNoThrottle(principalName(this.security.principal), header.clientId ?? '', (performance.now() - encodeStarted) / 10, this.broker.quotas.clock.now())
      } catch (err) {
        this.log.error({ err, api: handler.name, version: header.apiVersion }, 'cannot encode response')
        try {
          slot.chunks = this.encode(header, header.apiVersion, handler.errorResponse(request, ErrorCode.UNKNOWN_SERVER_ERROR, header.apiVersion), (w, v, res) => handler.encode(w, v, res))
        } catch {
          return this.kill('cannot encode an error response either')
        }
      }
    }
    this.flush()
  }

  /**
   * ClientRequestQuotaManager: the handler's main-thread time, as a percentage of one
   * thread (ms / 10 is nanos × 100 / 10⁹), recorded against the client's
   * request_percentage quota; over it, the response carries the throttle time (the larger
   * of it and a byte-rate throttle) and the connection is muted.
   */
  private requestQuota(header: RequestHeaderInfo, busyMs: number, response: unknown): unknown {
    const quotas = this.broker.quotas
    const throttleMs = quotas.request.recordAndGetThrottleTimeMs(principalName(this.security.principal), header.clientId ?? '', busyMs / 10, quotas.clock.now())
    if (throttleMs <= 0) return response
    this.throttle(throttleMs)
    const current = (response as { throttleTimeMs?: unknown }).throttleTimeMs
    if (typeof current !== 'number' || current >= throttleMs) return response
    return { ...(response as object), throttleTimeMs: throttleMs }
  }

  private respond<T>(header: RequestHeaderInfo, bodyVersion: number, response: T, encode: (w: Writer, version: number, res: T) => void): void {
    this.queue.push({ done: true, chunks: this.encode(header, bodyVersion, response, encode), started: 0 })
    this.flush()
  }

  private encode<T>(header: RequestHeaderInfo, bodyVersion: number, response: T, encode: (w: Writer, version: number, res: T) => void): Buffer[] {
    const w = Writer.frame()
    writeResponseHeader(w, header.apiKey, bodyVersion, header.correlationId)
    encode(w, bodyVersion, response)
    return w.finish()
  }

  private flush(): void {
    if (this.closed) return
    let corked = false
    while (this.queue.length > 0 && this.queue[0]!.done) {
      const slot = this.queue.shift()!
      if (slot.chunks === null) {
        if (slot.written !== undefined) for (const fn of slot.written) fn()
        continue
      }
      if (!corked) {
        this.socket.cork()
        corked = true
      }
      const chunks = slot.chunks
      const last = chunks.length - 1
      for (let i = 0; i < last; i++) this.socket.write(chunks[i]!)
      if (slot.written === undefined) this.socket.write(chunks[last]!)
      else this.socket.write(chunks[last]!, afterWrite(slot.written))
    }
    if (corked) this.socket.uncork()
    this.updateFlow()
    if (this.draining !== null && this.queue.length === 0) {
      const done = this.draining
      this.draining = null
      done()
    }
  }

  /**
   * Kafka's channel throttling: the response is sent as usual and the channel stays muted
   * until the throttle time is over (the longest, when several requests are throttled).
   */
  private throttle(ms: number): void {
    if (!(ms > 0) || this.closed) return
    const until = Date.now() + ms
    if (until <= this.throttledUntil) return
    this.throttledUntil = until
    if (this.throttleTimer !== null) clearTimeout(this.throttleTimer)
    this.throttleTimer = setTimeout(() => {
      this.throttleTimer = null
      this.throttledUntil = 0
      this.updateFlow()
    }, ms)
    this.updateFlow()
  }

  // Reading pauses while too many requests are outstanding, the client is not reading
  // its responses or it is throttled for a quota, so one slow or hostile client cannot
  // make the broker buffer without bound.
  private updateFlow(): void {
    if (this.closed || this.draining !== null) return
    const congested = this.queue.length >= MAX_IN_FLIGHT || this.socket.writableNeedDrain || this.memoryWait !== null || this.throttleTimer !== null
    if (congested && !this.paused) {
      this.paused = true
      this.socket.pause()
    } else if (!congested && this.paused) {
      this.paused = false
      this.socket.resume()
    }
  }

  private kill(reason: string): void {
    if (this.closed) return
    this.log.warn({ reason }, 'closing connection')
    this.closed = true
    this.abort.abort()
    this.socket.destroy()
    this.releaseMemory()
  }

  private releaseMemory(): void {
    if (this.throttleTimer !== null) clearTimeout(this.throttleTimer)
    this.throttleTimer = null
    this.memoryWait?.()
    this.memoryWait = null
    this.decoder.dispose()
  }

  private onClose(): void {
    if (this.decoder.partialBytes > 0 && !this.closed) {
      this.log.warn({ received: this.decoder.partialBytes, expected: this.decoder.expectedBytes }, 'connection closed in the middle of a request frame')
    }
    this.closed = true
    this.abort.abort()
    this.releaseMemory()
    if (this.draining !== null) {
      const done = this.draining
      this.draining = null
      done()
    }
  }
}

// Only a write that succeeded is known to be done with its bytes.
function afterWrite(fns: Array<() => void>): (err?: Error | null) => void {
  return (err) => {
    if (err == null) for (const fn of fns) fn()
  }
}
