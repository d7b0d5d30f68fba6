// What a Kafka broker owes a connection for the bytes the fuzzer wrote: the frames it
// will cut out of the stream (the same rules as src/server/frame-decoder.ts) and, per
// frame, a response with a known correlation id, nothing (Produce with acks=0), or the
// connection closed (a size outside 1..socket.request.max.bytes, a header or body the
// codec cannot read, an API or version the broker does not serve), decided with the
// broker's own handler table and codec. Responses are then checked against this.

import { Reader } from '../../protocol/wire/reader.ts'
import { decodeRequestHeader, decodeResponseHeader } from '../../protocol/wire/headers.ts'
import { apiMessages } from '../../protocol/messages/index.ts'
import { handlers } from '../../src/handlers/registry.ts'
import type { ApiHandler } from '../../src/handlers/api-handler.ts'

const API_VERSIONS = 18
const byKey = new Map<number, ApiHandler>(handlers.map((h) => [h.apiKey, h]))

export type Expectation =
  | { kind: 'response'; apiKey: number; apiName: string; requestVersion: number; /** The version of the response body. */ version: number; correlationId: number; request: unknown }
  | { kind: 'none'; apiKey: number; apiName: string; requestVersion: number; correlationId: number; why: string }
  | { kind: 'close'; why: string }

/** What the broker must do with one complete frame (body without its size prefix). */
export function expectFor(frame: Buffer): Expectation {
  const r = new Reader(frame)
  let header
  try {
    header = decodeRequestHeader(r)
  } catch (err) {
    return { kind: 'close', why: `malformed header: ${(err as Error).message}` }
  }
  const handler = byKey.get(header.apiKey)
  if (handler === undefined) return { kind: 'close', why: `unknown API key ${header.apiKey}` }
  const base = { apiKey: header.apiKey, apiName: handler.name, requestVersion: header.apiVersion, correlationId: header.correlationId }
  if (header.apiKey === API_VERSIONS && header.apiVersion > handler.maxVersion) {
    // KIP-511: an ApiVersions the broker does not know is answered in v0.
    return { kind: 'response', ...base, version: 0, request: null }
  }
  if (header.apiVersion < handler.minVersion || header.apiVersion > handler.maxVersion) {
    return { kind: 'close', why: `unsupported version ${header.apiVersion} of ${handler.name}` }
  }
  let request: unknown
  try {
    request = handler.decode(r, header.apiVersion)
  } catch (err) {
    return { kind: 'close', why: `malformed ${handler.name} v${header.apiVersion}: ${(err as Error).message}` }
  }
  // Kafka never answers a Produce with acks=0, whatever its version.
  if (header.apiKey === 0 && (request as { acks: number }).acks === 0) return { kind: 'none', ...base, why: 'acks=0' }
  return { kind: 'response', ...base, version: header.apiVersion, request }
}

/**
 * The broker's framing of a connection's byte stream: complete frames out, a size it
 * refuses ends the stream (the broker closes), a partial frame stays pending.
 */
export class ShadowFramer {
  private readonly maxFrameBytes: number
  private pending: Buffer = Buffer.alloc(0)
  /** Why the broker stopped reading this stream, once it has. */
  dead: string | null = null

  constructor(maxFrameBytes: number) {
    this.maxFrameBytes = maxFrameBytes
  }

  /** Bytes of an unfinished frame (or size prefix) the broker holds. */
  get partialBytes(): number {
    return this.pending.length
  }

  push(bytes: Buffer): Buffer[] {
    if (this.dead !== null) return []
    let buf = this.pending.length === 0 ? bytes : Buffer.concat([this.pending, bytes])
    const out: Buffer[] = []
    while (buf.length >= 4) {
      const size = buf.readInt32BE(0)
      if (size < 1 || size > this.maxFrameBytes) {
        this.dead = `frame size ${size} outside 1..${this.maxFrameBytes}`
        this.pending = Buffer.alloc(0)
        return out
      }
      if (buf.length < 4 + size) break
      out.push(buf.subarray(4, 4 + size))
      buf = buf.subarray(4 + size)
    }
    this.pending = buf
    return out
  }
}

export interface CheckedResponse {
  body: any
  /** Every errorCode field in the response, depth first. */
  errorCodes: number[]
}

/** Collects every `errorCode` in a decoded response. */
export function errorCodesOf(value: unknown, out: number[] = []): number[] {
  if (Array.isArray(value)) {
    for (const v of value) errorCodesOf(v, out)
  } else if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'errorCode' && typeof v === 'number') out.push(v)
      else if (typeof v === 'object') errorCodesOf(v, out)
    }
  }
  return out
}

/** Decodes a response frame (no size prefix) as a client would; throws with the reason it cannot. */
export function checkResponse(frame: Buffer, e: Extract<Expectation, { kind: 'response' }>): CheckedResponse {
  const r = new Reader(frame)
  const { correlationId } = decodeResponseHeader(r, e.apiKey, e.version)
  if (correlationId !== e.correlationId) throw new Error(`response correlation id ${correlationId}, expected ${e.correlationId} (${e.apiName} v${e.requestVersion})`)
  let body: unknown
  try {
    body = apiMessages[e.apiKey]!.decodeResponse(r, e.version)
  } catch (err) {
    throw new Error(`the ${e.apiName} v${e.version} response does not decode: ${(err as Error).message}`)
  }
  if (r.remaining() !== 0) throw new Error(`the ${e.apiName} v${e.version} response has ${r.remaining()} bytes after its last field`)
  return { body, errorCodes: errorCodesOf(body) }
}
