// A bare-bones Kafka client on a raw socket, for tests that must send exactly the bytes
// they choose (bad input, specific versions) and read responses in order.

import { connect, type Socket } from 'node:net'
import { Reader } from '../../protocol/wire/reader.ts'
import { Writer } from '../../protocol/wire/writer.ts'
import { writeRequestHeader, decodeResponseHeader } from '../../protocol/wire/headers.ts'
import { apiMessages } from '../../protocol/messages/index.ts'

export class RawClient {
  readonly socket: Socket
  private buf = Buffer.alloc(0)
  private waiters: Array<(frame: Buffer) => void> = []
  private nextCorrelation = 1
  readonly closed: Promise<void>

  private constructor(socket: Socket) {
    this.socket = socket
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()))
    socket.on('error', () => {})
    socket.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk])
      while (this.buf.length >= 4 && this.buf.length >= 4 + this.buf.readInt32BE(0)) {
        const size = this.buf.readInt32BE(0)
        const frame = this.buf.subarray(4, 4 + size)
        this.buf = this.buf.subarray(4 + size)
        this.waiters.shift()?.(frame)
      }
    })
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port }, () => resolve(new RawClient(s)))
      s.once('error', reject)
    })
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes)
  }

  /**
   * The next response frame (without its size prefix), or null if the broker closes
   * first or nothing comes within `timeoutMs`. The default is a bound for a loaded
   * 2-core CI machine (two test files at a time), not a timing expectation.
   */
  nextFrame(timeoutMs = 30_000): Promise<Buffer | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(null), timeoutMs)
      this.waiters.push((f) => {
        clearTimeout(timer)
        resolve(f)
      })
      void this.closed.then(() => {
        clearTimeout(timer)
        resolve(null)
      })
    })
  }

  frameFor(apiKey: number, version: number, body: unknown, correlationId = this.nextCorrelation++): Buffer {
    const w = Writer.frame()
    writeRequestHeader(w, apiKey, version, correlationId, 'raw-client')
    apiMessages[apiKey]!.encodeRequest(w, version, body as never)
    return Buffer.concat(w.finish())
  }

  /** Sends a request built with the generated codec and decodes the response. */
  async request<T = any>(apiKey: number, version: number, body: unknown): Promise<T> {
    const correlationId = this.nextCorrelation++
    this.write(this.frameFor(apiKey, version, body, correlationId))
    const frame = await this.nextFrame()
    if (frame === null) throw new Error(`${this.socket.destroyed ? 'connection closed' : 'no answer within 30 s'} before the response to api ${apiKey} v${version}`)
    const r = new Reader(frame)
    const header = decodeResponseHeader(r, apiKey, version)
    if (header.correlationId !== correlationId) throw new Error(`correlation id ${header.correlationId}, expected ${correlationId}`)
    return apiMessages[apiKey]!.decodeResponse(r, version) as T
  }

  close(): void {
    this.socket.destroy()
  }
}
