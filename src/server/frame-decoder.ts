// Splits a TCP byte stream into Kafka frames (int32 size + payload). A frame that lies
// inside one socket chunk is handed out as a slice of that chunk (no copy); a frame that
// spans chunks is assembled once into a buffer of its exact size, so a large produce
// arriving in many reads costs one copy, not a quadratic series of concatenations.

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
        this.frame = Buffer.allocUnsafeSlow(size)
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
