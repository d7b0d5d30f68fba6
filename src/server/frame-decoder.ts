// Splits a TCP byte stream into Kafka frames (int32 size + payload). A frame that lies
// inside one socket chunk is handed out as a slice of that chunk (no copy). A frame that
// spans chunks is assembled in a buffer that grows with the bytes that actually arrive
// (doubling, never past the declared size), so a header that declares 100 MiB and
// sends 16 bytes holds 64 KiB, not 100 MiB. Before assembling, the frame's declared size
// must be admitted by the broker's RequestMemoryPool (queued.max.request.bytes); when it
// is not, push() returns false, the bytes already read wait here and the connection
// stops reading until resume() succeeds.
// Assembly buffers of up to 4 MiB are shared through a small free list, so steady large
// produce requests reuse warm memory (a fresh buffer per request fed the GC ~16 % of the
// main thread) without every connection keeping one. A frame is therefore valid only
// during its onFrame call: whatever must outlive it is copied (produced batches are,
// into their shard task, by ShardPool.submit).

import { UNBOUNDED, type RequestMemoryPool } from './request-memory.ts'

export class FrameTooLargeError extends Error {
  readonly size: number
  constructor(size: number, max: number) {
    super(size < 1 ? `invalid frame size ${size}` : `frame of ${size} bytes exceeds the maximum request size of ${max} bytes (socket.request.max.bytes)`)
    this.size = size
  }
}

const FIRST_ASSEMBLY_BYTES = 64 * 1024
const SPARE_MAX_BYTES = 4 * 1024 * 1024
const SPARE_COUNT = 8
const spare: Buffer[] = []

function takeSpare(atLeast: number): Buffer | null {
  let best = -1
  for (let i = 0; i < spare.length; i++) {
    if (spare[i]!.length >= atLeast && (best < 0 || spare[i]!.length < spare[best]!.length)) best = i
  }
  if (best < 0) return null
  const b = spare[best]!
  spare[best] = spare[spare.length - 1]!
  spare.pop()
  return b
}

function giveSpare(b: Buffer): void {
  if (b.length > SPARE_MAX_BYTES) return
  if (spare.length < SPARE_COUNT) {
    spare.push(b)
    return
  }
  let smallest = 0
  for (let i = 1; i < spare.length; i++) if (spare[i]!.length < spare[smallest]!.length) smallest = i
  if (spare[smallest]!.length < b.length) spare[smallest] = b
}

export class FrameDecoder {
  private readonly maxFrameBytes: number
  private readonly memory: RequestMemoryPool
  private readonly sizeBytes = Buffer.alloc(4)
  private sizeFilled = 0
  /** Declared size of the frame being assembled (or waiting for admission), −1 between frames. */
  private frameSize = -1
  private admitted = false
  private assembly: Buffer | null = null
  private frameFilled = 0
  /** Bytes read while the next frame waits for admission. */
  private held: Buffer | null = null

  constructor(maxFrameBytes: number, memory: RequestMemoryPool = UNBOUNDED) {
    this.maxFrameBytes = maxFrameBytes
    this.memory = memory
  }

  /** Bytes of an unfinished frame (size prefix included) held back, for diagnostics. */
  get partialBytes(): number {
    return this.frameSize >= 0 ? 4 + this.frameFilled + (this.held?.length ?? 0) : this.sizeFilled
  }

  get expectedBytes(): number {
    return this.frameSize >= 0 ? 4 + this.frameSize : 0
  }

  /** Memory this decoder holds for an unfinished frame. */
  get bufferedBytes(): number {
    return (this.assembly?.length ?? 0) + (this.held?.length ?? 0)
  }

  /**
   * Feeds a chunk; calls `onFrame` per complete frame. Returns false when the next frame
   * waits for memory: stop reading and call resume() once the pool has room. Throws
   * FrameTooLargeError.
   */
  push(chunk: Buffer, onFrame: (frame: Buffer) => void): boolean {
    if (this.held !== null) {
      // Reading should have stopped; keep the order of bytes anyway.
      this.held = Buffer.concat([this.held, chunk])
      return false
    }
    return this.feed(chunk, onFrame)
  }

  /** Retries admission of the waiting frame and feeds what was held; false if still waiting. */
  resume(onFrame: (frame: Buffer) => void): boolean {
    const held = this.held
    if (held === null) return true
    if (!this.admit()) return false
    this.held = null
    return this.feed(held, onFrame)
  }

  /** Releases what an unfinished frame holds (the connection is gone). */
  dispose(): void {
    if (this.admitted) this.memory.release(this.frameSize)
    this.admitted = false
    this.frameSize = -1
    this.held = null
    if (this.assembly !== null) giveSpare(this.assembly)
    this.assembly = null
  }

  private admit(): boolean {
    if (!this.memory.tryReserve(this.frameSize)) return false
    this.admitted = true
    this.frameFilled = 0
    const reuse = takeSpare(Math.min(this.frameSize, FIRST_ASSEMBLY_BYTES))
    this.assembly = reuse ?? Buffer.allocUnsafeSlow(Math.min(this.frameSize, FIRST_ASSEMBLY_BYTES))
    return true
  }

  private feed(chunk: Buffer, onFrame: (frame: Buffer) => void): boolean {
    let off = 0
    const len = chunk.length
    while (off < len) {
      if (this.frameSize < 0) {
        let size: number
        if (this.sizeFilled === 0 && len - off >= 4) {
          size = chunk.readInt32BE(off)
          off += 4
        } else {
          while (this.sizeFilled < 4 && off < len) this.sizeBytes[this.sizeFilled++] = chunk[off++]!
          if (this.sizeFilled < 4) return true
          this.sizeFilled = 0
          size = this.sizeBytes.readInt32BE(0)
        }
        if (size < 1 || size > this.maxFrameBytes) throw new FrameTooLargeError(size, this.maxFrameBytes)
        if (len - off >= size) {
          // Already in memory, whole: no assembly, nothing to admit.
          onFrame(chunk.subarray(off, off + size))
          off += size
          continue
        }
        this.frameSize = size
        if (!this.admit()) {
          this.held = chunk.subarray(off)
          return false
        }
      }
      const n = Math.min(this.frameSize - this.frameFilled, len - off)
      this.ensureRoom(this.frameFilled + n)
      chunk.copy(this.assembly!, this.frameFilled, off, off + n)
      this.frameFilled += n
      off += n
      if (this.frameFilled === this.frameSize) {
        const buf = this.assembly!
        const size = this.frameSize
        this.assembly = null
        this.frameSize = -1
        this.admitted = false
        try {
          onFrame(buf.subarray(0, size))
        } finally {
          this.memory.release(size)
          giveSpare(buf)
        }
      }
    }
    return true
  }

  // Grows the assembly buffer with the bytes that arrived: doubling keeps the copies
  // linear, and the declared size caps it.
  private ensureRoom(need: number): void {
    const current = this.assembly!
    if (current.length >= need) return
    const grown = takeSpare(need) ?? Buffer.allocUnsafeSlow(Math.min(this.frameSize, Math.max(need, 2 * current.length)))
    current.copy(grown, 0, 0, this.frameFilled)
    giveSpare(current)
    this.assembly = grown
  }
}
