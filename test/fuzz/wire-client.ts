// A request/response client for the fuzzer's long-lived connections (the well-behaved
// client, the read-back). Like test/helpers/raw-client.ts, but it keeps nothing per
// request once answered: RawClient.nextFrame hangs a reaction on its `closed` promise
// for every call, which keeps each response (and the 64 KiB socket chunk it is a view
// of) alive for as long as the connection is open, some 100 MB over a fuzzing run.

import { connect, type Socket } from 'node:net'
import { Reader } from '../../protocol/wire/reader.ts'
import { Writer } from '../../protocol/wire/writer.ts'
import { decodeResponseHeader, writeRequestHeader } from '../../protocol/wire/headers.ts'
import { apiMessages } from '../../protocol/messages/index.ts'

interface Waiter {
  resolve: (frame: Buffer) => void
  reject: (err: Error) => void
  timer: NodeJS.Timeout
}

export class WireClient {
  private readonly socket: Socket
  private buf: Buffer = Buffer.alloc(0)
  private readonly waiters: Waiter[] = []
  private correlation = 1
  private closedWith: Error | null = null

  private constructor(socket: Socket) {
    this.socket = socket
    socket.setNoDelay(true)
    socket.on('error', () => {})
    socket.on('data', (chunk: Buffer) => {
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk])
      while (this.buf.length >= 4 && this.buf.length >= 4 + this.buf.readInt32BE(0)) {
        const size = this.buf.readInt32BE(0)
        // A copy: the frame must not pin the socket chunk it came in.
        const frame = Buffer.from(this.buf.subarray(4, 4 + size))
        this.buf = this.buf.subarray(4 + size)
        const w = this.waiters.shift()
        if (w !== undefined) {
          clearTimeout(w.timer)
          w.resolve(frame)
        }
      }
      if (this.buf.length === 0) this.buf = Buffer.alloc(0)
    })
    socket.on('close', () => {
      this.closedWith = new Error('the broker closed the connection')
      for (const w of this.waiters.splice(0)) {
        clearTimeout(w.timer)
        w.reject(this.closedWith)
      }
    })
  }

  static connect(port: number): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.removeListener('error', reject)
        resolve(new WireClient(s))
      })
      s.once('error', reject)
    })
  }

  /** Sends a request built with the generated codec and decodes its response. */
  request<T = any>(apiKey: number, version: number, body: unknown, timeoutMs = 30_000): Promise<T> {
    if (this.closedWith !== null) return Promise.reject(this.closedWith)
    const correlationId = this.correlation++
    const w = Writer.frame()
    writeRequestHeader(w, apiKey, version, correlationId, 'samsa-fuzz')
    apiMessages[apiKey]!.encodeRequest(w, version, body as never)
    const frame = new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.findIndex((x) => x.timer === timer)
        if (i >= 0) this.waiters.splice(i, 1)
        reject(new Error(`no response to api ${apiKey} v${version} within ${timeoutMs} ms`))
        // Responses are matched by position: after a lost one the connection is unusable.
        this.close()
      }, timeoutMs)
      this.waiters.push({ resolve, reject, timer })
    })
    for (const chunk of w.finish()) this.socket.write(chunk)
    return frame.then((f) => {
      const r = new Reader(f)
      const header = decodeResponseHeader(r, apiKey, version)
      if (header.correlationId !== correlationId) throw new Error(`correlation id ${header.correlationId}, expected ${correlationId} (api ${apiKey} v${version})`)
      return apiMessages[apiKey]!.decodeResponse(r, version) as T
    })
  }

  close(): void {
    this.socket.destroy()
  }
}
