// What every API module in src/handlers exports. The registry builds both the dispatch
// table and the ApiVersions answer from these, so what is advertised is what is
// implemented.

import type { Reader } from '../../protocol/wire/reader.ts'
import type { Writer } from '../../protocol/wire/writer.ts'
import type { BrokerContext } from '../broker-context.ts'
import type { ConnectionSecurity } from '../security/connection-security.ts'

export interface RequestHeaderInfo {
  apiKey: number
  apiVersion: number
  correlationId: number
  clientId: string | null
}

export interface RequestContext {
  broker: BrokerContext
  header: RequestHeaderInfo
  connectionId: number
  remote: string
  /** The request's size in bytes (its frame, without the size prefix): Kafka's request.sizeInBytes. */
  requestSize: number
  /** The listener the request came through, with the address it advertises to this client. */
  listener: ListenerEndpoint
  /** The connection's principal and SASL state. */
  security: ConnectionSecurity
  /** Aborted when the client disconnects, so long polls stop waiting for nobody. */
  signal: AbortSignal
  /** Closes this connection with a log line: the only way to report a failed acks=0 produce. */
  closeConnection(reason: string): void
  /**
   * Mutes this connection for `ms` (a client over its quota, KIP-219): its responses
   * still leave, but nothing more is read from it until the time is up.
   */
  throttle(ms: number): void
  /**
   * Runs `fn` once the response to this request has been handed to the kernel (not if the
   * connection fails first). A Fetch gives its read buffers back to the shards here.
   */
  onResponseWritten?(fn: () => void): void
}

export interface ListenerEndpoint {
  readonly name: string
  readonly advertisedHost: string
  /** The bound port unless advertised.listeners names another (set once the listener is bound). */
  advertisedPort: number
}

export interface ApiHandler<Req = any, Res = any> {
  apiKey: number
  name: string
  /** Advertised in ApiVersions. */
  minVersion: number
  maxVersion: number
  decode(r: Reader, version: number): Req
  encode(w: Writer, version: number, res: Res): void
  /** Resolves to the response, or null when the protocol says nothing is sent (acks=0). */
  handle(ctx: RequestContext, req: Req): Promise<Res | null> | Res | null
  /** The response that reports `errorCode` for everything the request asked about. */
  errorResponse(req: Req, errorCode: number, version: number): Res
  /** True when the client expects no response at all (Produce acks=0): a failure then closes the connection. */
  expectsNoResponse?(req: Req): boolean
}

export function defineHandler<Req, Res>(h: ApiHandler<Req, Res>): ApiHandler<Req, Res> {
  return h
}
