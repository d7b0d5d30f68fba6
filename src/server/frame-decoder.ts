// Splits a TCP byte stream into Kafka frames (int32 size + payload). A frame that lies
// inside one socket chunk is handed out as a slice of that chunk (no copy); a frame that
// spans chunks is assembled once, so a large produce arriving in many reads costs one
// copy, not a quadratic series of concatenations. The assembly buffer is reused from
// frame to frame (allocating one per large request fed the GC ~16 % of the main thread),
// so a frame is valid only during its onFrame call: whatever must outlive it is copied
// (produced batches are, into their shard task, by ShardPool.submit).

export class FrameTooLargeError extends Error {
  readonly size: number
  constructor(size: number, max: number) {
    super(size < 1 ? `invalid frame size ${size}` : `frame of ${size} bytes exceeds the maximum request size of ${max} bytes (socket.request.max.bytes)`)
    this.size = size
  }
}

export class FrameDecoder {
  private readonly maxFrameBytes: number
  private readonly sizeBytes = Buffer.alloc(4)
  private sizeFilled = 0
  private frame: Buffer | null = null
  private frameFilled = 0
  private assembly: Buffer = Buffer.alloc(0)

  constructor(maxFrameBytes: number) {
    this.maxFrameBytes = maxFrameBytes
  }

  /** Bytes of an unfinished frame (size prefix included) held back, for diagnostics. */
  get partialBytes(): number {
    return this.frame !== null ? 4 + this.frameFilled : this.sizeFilled
  }

  get expectedBytes(): number {
    return this.frame !== null ? 4 + this.frame.length : 0
  }

  /** Feeds a chunk; calls `onFrame` per complete frame. Throws FrameTooLargeError. */
  push(chunk: Buffer, onFrame: (frame: Buffer) => void): void {
    let off = 0
    const len = chunk.length
    while (off < len) {
      if (this.frame === null) {
        let size: number
        if (this.sizeFilled === 0 && len - off >= 4) {
          size = chunk.readInt32BE(off)
          off += 4
        } else {
          while (this.sizeFilled < 4 && off < len) this.sizeBytes[this.sizeFilled++] = chunk[off++]!
          if (this.sizeFilled < 4) return
          this.sizeFilled = 0
          size = this.sizeBytes.readInt32BE(0)
        }
        if (size < 1 || size > this.maxFrameBytes) throw new FrameTooLargeError(size, this.maxFrameBytes)
        if (len - off >= size) {
          onFrame(chunk.subarray(off, off + size))
          off += size
          continue
        }
        if (this.assembly.length < size) this.assembly = Buffer.allocUnsafeSlow(Math.max(size, 2 * this.assembly.length, 64 * 1024))
        this.frame = this.assembly.subarray(0, size)
        this.frameFilled = 0
      }
      const n = Math.min(this.frame.length - this.frameFilled, len - off)
      chunk.copy(this.frame, this.frameFilled, off, off + n)
      this.frameFilled += n
      off += n
      if (this.frameFilled === this.frame.length) {
        const done = this.frame
        this.frame = null
        onFrame(done)
      }
    }
  }
}
