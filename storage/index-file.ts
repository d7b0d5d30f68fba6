// The file behind an in-memory index: opened lazily for writing (so segments that no
// longer grow hold no index descriptors once flushed), written positionally, fsynced
// only when something changed since the last flush.

import { isNotFound, type FileHandle, type FileIO } from './file-io.ts'

export class IndexFile {
  readonly path: string
  private readonly io: FileIO
  private handle: FileHandle | -1 = -1
  private dirty = false

  constructor(io: FileIO, path: string) {
    this.io = io
    this.path = path
  }

  /** The whole file, or null if it does not exist. */
  readAll(): Buffer | null {
    try {
      return this.io.readFile(this.path)
    } catch (err) {
      if (isNotFound(err)) return null
      throw err
    }
  }

  write(buf: Uint8Array, position: number): void {
    this.io.write(this.open(), buf, position)
    this.dirty = true
  }

  /** Replaces the whole content with `buf`. */
  rewrite(buf: Uint8Array): void {
    const h = this.open()
    if (buf.length > 0) this.io.write(h, buf, 0)
    this.io.truncate(h, buf.length)
    this.dirty = true
  }

  get isDirty(): boolean {
    return this.dirty
  }

  /** Whether it changed since the last flush or hand-off; clears that, for a caller that fsyncs the path itself. */
  takeDirty(): boolean {
    const was = this.dirty
    this.dirty = false
    return was
  }

  flush(): void {
    if (!this.dirty) return
    this.io.datasync(this.open())
    this.dirty = false
  }

  /** Closes the descriptor; a later write reopens it. */
  release(): void {
    if (this.handle === -1) return
    const h = this.handle
    this.handle = -1
    this.io.close(h)
  }

  delete(): void {
    this.releaseQuietly()
    try {
      this.io.unlink(this.path)
    } catch (err) {
      if (!isNotFound(err)) throw err
    }
  }

  releaseQuietly(): void {
    try {
      this.release()
    } catch {
      // Closing a descriptor we are discarding cannot lose anything worth reporting.
    }
  }

  private open(): FileHandle {
    if (this.handle === -1) this.handle = this.io.open(this.path, 'rw')
    return this.handle
  }
}
