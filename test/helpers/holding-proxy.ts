// A TCP proxy in front of a broker that can withhold responses: requests still reach the
// broker and are answered, but the answers stay in the proxy. Killing the broker then
// leaves the client with requests the broker completed (and, with --fsync always,
// persisted) that the client must retry: the case idempotent producers exist for.
// Frames are tracked both ways, so withheld answers can be decoded.

import { connect, createServer, type Server, type Socket } from 'node:net'
import { decodeFrame } from './wire-requests.ts'

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface HeldResponse {
  apiKey: number
  apiVersion: number
  correlationId: number
  body: any
}

/** Splits size-prefixed Kafka frames out of a byte stream. */
class Framer {
  private buf: Buffer = Buffer.alloc(0)
  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk])
    const frames: Buffer[] = []
    while (this.buf.length >= 4 && this.buf.length >= 4 + this.buf.readInt32BE(0)) {
      const size = this.buf.readInt32BE(0)
      frames.push(this.buf.subarray(0, 4 + size))
      this.buf = this.buf.subarray(4 + size)
    }
    return frames
  }
}

export class HoldingProxy {
  readonly server: Server
  port = 0
  /** Where new connections go; change it to follow a restarted broker. */
  target: number
  /** While true, responses are kept instead of forwarded. */
  holding = false
  readonly held: HeldResponse[] = []
  /** Called as each connection is accepted; the function it returns, if any, sees every request frame on it (valid during the call). */
  onConnection: (() => ((request: Buffer) => void) | null) | null = null
  private readonly sockets = new Set<Socket>()

  private constructor(target: number) {
    this.target = target
    this.server = createServer((client) => this.accept(client))
  }

  static async start(t: Teardown, target: number): Promise<HoldingProxy> {
    const proxy = new HoldingProxy(target)
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', () => resolve()))
    proxy.port = (proxy.server.address() as { port: number }).port
    t.teardown(() => proxy.close())
    return proxy
  }

  private accept(client: Socket): void {
    const upstream = connect({ host: '127.0.0.1', port: this.target })
    this.sockets.add(client).add(upstream)
    const requests = new Map<number, { apiKey: number; apiVersion: number }>()
    const fromClient = new Framer()
    const fromBroker = new Framer()
    const pending: Buffer[] = []
    const tap = this.onConnection?.() ?? null
    client.on('data', (chunk: Buffer) => {
      for (const f of fromClient.push(chunk)) {
        requests.set(f.readInt32BE(8), { apiKey: f.readInt16BE(4), apiVersion: f.readInt16BE(6) })
        tap?.(f)
      }
      if (upstream.connecting) pending.push(chunk)
      else upstream.write(chunk)
    })
    upstream.on('connect', () => {
      for (const c of pending.splice(0)) upstream.write(c)
    })
    upstream.on('data', (chunk: Buffer) => {
      for (const f of fromBroker.push(chunk)) {
        if (!this.holding) {
          client.write(f)
          continue
        }
        const correlationId = f.readInt32BE(4)
        const req = requests.get(correlationId)
        if (req === undefined) this.held.push({ apiKey: -1, apiVersion: -1, correlationId, body: null })
        else this.held.push({ ...req, correlationId, body: decodeFrame(f.subarray(4), req.apiKey, req.apiVersion).body })
      }
    })
    const closeBoth = (): void => {
      client.destroy()
      upstream.destroy()
      this.sockets.delete(client)
      this.sockets.delete(upstream)
    }
    client.on('close', closeBoth)
    upstream.on('close', closeBoth)
    client.on('error', () => {})
    upstream.on('error', () => {})
  }

  /** Withheld Produce answers: partition results with base offsets, per response. */
  heldProduce(): Array<{ topic: string; partition: number; errorCode: number; baseOffset: number }> {
    return this.held
      .filter((h) => h.apiKey === 0)
      .flatMap((h) => h.body.responses.flatMap((r: any) => r.partitionResponses.map((p: any) => ({ topic: r.name, partition: p.index, errorCode: p.errorCode, baseOffset: Number(p.baseOffset) }))))
  }

  /** Forwards responses again (what was held stays held: its connection is gone). */
  release(): void {
    this.holding = false
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    return new Promise((resolve) => this.server.close(() => resolve()))
  }
}
