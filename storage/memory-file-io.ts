// FileIO in memory, for memory-only brokers and crash tests. Owns the crash model the
// recovery tests rely on:
// - file contents are durable only up to the length at the last datasync; unsynced writes
//   past it are lost by crash(), unless crash() is asked to keep a (possibly torn,
//   possibly garbage) prefix of them; unsynced overwrites of synced bytes are undone;
// - namespace operations (create, mkdir, rename, unlink) are durable at once;
// - writeFileAtomic is durable when it returns;
// - crash() invalidates every open handle, as a killed process would.

import { dirname, join, resolve, basename } from 'node:path'
import { fileIOError, type FileHandle, type FileIO, type OpenMode } from './file-io.ts'

export type FileIOOp =
  | 'open' | 'size' | 'read' | 'write' | 'writev' | 'truncate' | 'datasync' | 'close' | 'exists' | 'mkdirp'
  | 'readdir' | 'unlink' | 'rmrf' | 'rename' | 'readFile' | 'writeFileAtomic' | 'fsyncDir'

export interface FailNextOptions {
  /** Only fail an operation on a path containing this string (or matching this pattern). */
  path?: string | RegExp
  /** For write/writev: write this many bytes before failing, like a torn write or ENOSPC. */
  partialBytes?: number
}

export interface CrashOptions {
  /** Unsynced bytes kept at the end of each file (a torn tail): a count, or 'random' per file. Default 0. */
  keepUnsyncedBytes?: number | 'random'
  /** Replace the kept unsynced bytes with random garbage (a file system that exposes unwritten blocks). */
  garbage?: boolean
  /** Random source in [0, 1) for 'random' and garbage; seed it to replay a failure. Default Math.random. */
  random?: () => number
}

const CHUNK_SIZE = 1 << 20
const FIRST_CHUNK_SIZE = 256

// File data lives in chunks so a large file grows without copying; every chunk but the
// last is CHUNK_SIZE, the last doubles up to it. Bytes past `length` are kept zero so a
// write past the end leaves a zero-filled hole, as on disk.
class MemFile {
  chunks: Buffer[] = []
  length = 0
  durableLength = 0
  /** The synced bytes as they were, saved when an unsynced write or truncate first changes them. */
  durableImage: Buffer | null = null

  private capacity(): number {
    const n = this.chunks.length
    return n === 0 ? 0 : (n - 1) * CHUNK_SIZE + this.chunks[n - 1]!.length
  }

  private ensure(end: number): void {
    while (this.capacity() < end) {
      const n = this.chunks.length
      const last = this.chunks[n - 1]
      if (last !== undefined && last.length < CHUNK_SIZE) {
        const need = end - (n - 1) * CHUNK_SIZE
        let size = last.length * 2
        while (size < need && size < CHUNK_SIZE) size *= 2
        const grown = Buffer.alloc(Math.min(size, CHUNK_SIZE))
        last.copy(grown)
        this.chunks[n - 1] = grown
      } else {
        const need = end - n * CHUNK_SIZE
        let size = FIRST_CHUNK_SIZE
        while (size < need && size < CHUNK_SIZE) size *= 2
        this.chunks.push(Buffer.alloc(Math.min(size, CHUNK_SIZE)))
      }
    }
  }

  private protectDurable(from: number): void {
    if (from < this.durableLength && this.durableImage === null) this.durableImage = this.copyOut(0, this.durableLength)
  }

  writeAt(src: Uint8Array, pos: number): void {
    if (src.length === 0) return
    this.protectDurable(pos)
    const end = pos + src.length
    this.ensure(end)
    let done = 0
    while (done < src.length) {
      const p = pos + done
      const chunk = this.chunks[Math.floor(p / CHUNK_SIZE)]!
      const at = p % CHUNK_SIZE
      const n = Math.min(chunk.length - at, src.length - done)
      chunk.set(src.subarray(done, done + n), at)
      done += n
    }
    if (end > this.length) this.length = end
  }

  readAt(dst: Uint8Array, dstOffset: number, pos: number, length: number): number {
    const n = Math.max(0, Math.min(length, this.length - pos))
    let done = 0
    while (done < n) {
      const p = pos + done
      const chunk = this.chunks[Math.floor(p / CHUNK_SIZE)]!
      const at = p % CHUNK_SIZE
      const m = Math.min(chunk.length - at, n - done)
      dst.set(chunk.subarray(at, at + m), dstOffset + done)
      done += m
    }
    return n
  }

  copyOut(start: number, end: number): Buffer {
    const out = Buffer.alloc(Math.max(0, end - start))
    this.readAt(out, 0, start, out.length)
    return out
  }

  truncate(length: number): void {
    if (length < this.length) {
      this.protectDurable(length)
      const keepChunks = Math.ceil(length / CHUNK_SIZE)
      this.chunks.length = Math.min(this.chunks.length, keepChunks)
      const last = this.chunks[keepChunks - 1]
      if (last !== undefined) last.fill(0, length - (keepChunks - 1) * CHUNK_SIZE)
      this.length = length
    } else if (length > this.length) {
      this.ensure(length)
      this.length = length
    }
  }

  sync(): void {
    this.durableLength = this.length
    this.durableImage = null
  }

  replaceContent(data: Uint8Array): void {
    this.chunks = []
    this.length = 0
    this.durableImage = null
    this.durableLength = 0
    this.writeAt(data, 0)
    this.sync()
  }

  /** Reduces the file to what survives a crash; what is left counts as durable. */
  crash(keep: number, garbage: boolean, random: () => number): void {
    const unsynced = Math.max(0, this.length - this.durableLength)
    const kept = Math.min(keep, unsynced)
    const tail = this.copyOut(this.durableLength, this.durableLength + kept)
    if (garbage) for (let i = 0; i < tail.length; i++) tail[i] = Math.floor(random() * 256)
    const image = this.durableImage ?? this.copyOut(0, this.durableLength)
    this.chunks = []
    this.length = 0
    this.durableLength = 0
    this.durableImage = null
    this.writeAt(image, 0)
    this.writeAt(tail, image.length)
    this.truncate(image.length + tail.length)
    this.sync()
  }
}

interface MemHandle {
  path: string
  file: MemFile
  writable: boolean
}

interface Injection {
  op: FileIOOp
  error: Error
  path: string | RegExp | undefined
  partialBytes: number
}

/** An in-memory FileIO with datasync tracking, crash simulation and error injection (see the header). */
export class MemoryFileIO implements FileIO {
  private readonly files = new Map<string, MemFile>()
  private readonly dirs = new Map<string, Set<string>>([['/', new Set()]])
  private readonly handles = new Map<number, MemHandle>()
  private nextHandle = 1
  private injections: Injection[] = []

  /** Makes the next `op` (optionally only on a matching path) throw `error` (default EIO). */
  failNext(op: FileIOOp, error?: Error, options: FailNextOptions = {}): void {
    this.injections.push({ op, error: error ?? fileIOError('EIO', op, undefined, `EIO: injected failure of ${op}`), path: options.path, partialBytes: options.partialBytes ?? 0 })
  }

  /** Drops pending injections. */
  clearFailures(): void {
    this.injections = []
  }

  /** Simulates kill -9 / power loss: see the header comment for what survives. */
  crash(options: CrashOptions = {}): void {
    const random = options.random ?? Math.random
    const keepOption = options.keepUnsyncedBytes ?? 0
    for (const file of this.files.values()) {
      const unsynced = Math.max(0, file.length - file.durableLength)
      const keep = keepOption === 'random' ? Math.floor(random() * (unsynced + 1)) : keepOption
      file.crash(keep, options.garbage === true, random)
    }
    this.handles.clear()
  }

  /** Bytes of `path` that a datasync has made durable (for tests). */
  durableLength(path: string): number {
    return this.fileAt(resolve(path), 'stat').durableLength
  }

  // ---- FileIO ----

  open(path: string, mode: OpenMode): FileHandle {
    const p = resolve(path)
    this.check('open', p)
    let file = this.files.get(p)
    if (file === undefined) {
      if (this.dirs.has(p)) throw fileIOError('EISDIR', 'open', p)
      if (mode === 'r') throw fileIOError('ENOENT', 'open', p)
      file = new MemFile()
      this.addEntry(p, 'open')
      this.files.set(p, file)
    }
    const handle = this.nextHandle++
    this.handles.set(handle, { path: p, file, writable: mode === 'rw' })
    return handle
  }

  size(handle: FileHandle): number {
    const h = this.handle(handle, 'size')
    this.check('size', h.path)
    return h.file.length
  }

  read(handle: FileHandle, buf: Uint8Array, bufOffset: number, length: number, position: number): number {
    const h = this.handle(handle, 'read')
    this.check('read', h.path)
    if (bufOffset < 0 || length < 0 || bufOffset + length > buf.length) throw new RangeError(`read of ${length} bytes at ${bufOffset} overflows a ${buf.length}-byte buffer`)
    return h.file.readAt(buf, bufOffset, position, length)
  }

  write(handle: FileHandle, buf: Uint8Array, position: number): void {
    const h = this.writableHandle(handle, 'write')
    const injected = this.take('write', h.path)
    if (injected !== undefined) {
      h.file.writeAt(buf.subarray(0, Math.min(buf.length, injected.partialBytes)), position)
      throw injected.error
    }
    h.file.writeAt(buf, position)
  }

  writev(handle: FileHandle, bufs: readonly Uint8Array[], position: number): void {
    const h = this.writableHandle(handle, 'writev')
    const injected = this.take('writev', h.path)
    let budget = injected === undefined ? Infinity : injected.partialBytes
    let pos = position
    for (const b of bufs) {
      const part = budget >= b.length ? b : b.subarray(0, budget)
      h.file.writeAt(part, pos)
      pos += part.length
      budget -= part.length
      if (budget <= 0) break
    }
    if (injected !== undefined) throw injected.error
  }

  truncate(handle: FileHandle, length: number): void {
    const h = this.writableHandle(handle, 'truncate')
    this.check('truncate', h.path)
    h.file.truncate(length)
  }

  datasync(handle: FileHandle): void {
    const h = this.handle(handle, 'datasync')
    this.check('datasync', h.path)
    h.file.sync()
  }

  close(handle: FileHandle): void {
    const h = this.handle(handle, 'close')
    this.handles.delete(handle)
    this.check('close', h.path)
  }

  exists(path: string): boolean {
    const p = resolve(path)
    this.check('exists', p)
    return this.files.has(p) || this.dirs.has(p)
  }

  mkdirp(path: string): void {
    const p = resolve(path)
    this.check('mkdirp', p)
    if (this.files.has(p)) throw fileIOError('EEXIST', 'mkdir', p)
    if (this.dirs.has(p)) return
    this.mkdirp(dirname(p))
    this.dirs.get(dirname(p))!.add(basename(p))
    this.dirs.set(p, new Set())
  }

  readdir(path: string): string[] {
    const p = resolve(path)
    this.check('readdir', p)
    const children = this.dirs.get(p)
    if (children === undefined) throw fileIOError(this.files.has(p) ? 'ENOTDIR' : 'ENOENT', 'scandir', p)
    return [...children].sort()
  }

  unlink(path: string): void {
    const p = resolve(path)
    this.check('unlink', p)
    if (this.dirs.has(p)) throw fileIOError('EISDIR', 'unlink', p)
    if (!this.files.delete(p)) throw fileIOError('ENOENT', 'unlink', p)
    this.dirs.get(dirname(p))?.delete(basename(p))
  }

  rmrf(path: string): void {
    const p = resolve(path)
    this.check('rmrf', p)
    this.removeTree(p)
  }

  rename(from: string, to: string): void {
    const src = resolve(from)
    const dst = resolve(to)
    this.check('rename', src)
    if (src === dst) return
    if (!this.dirs.has(dirname(dst))) throw fileIOError('ENOENT', 'rename', dst)
    const file = this.files.get(src)
    if (file !== undefined) {
      if (this.dirs.has(dst)) throw fileIOError('EISDIR', 'rename', dst)
      this.files.delete(src)
      this.dirs.get(dirname(src))?.delete(basename(src))
      this.files.set(dst, file)
      this.dirs.get(dirname(dst))!.add(basename(dst))
      return
    }
    if (!this.dirs.has(src)) throw fileIOError('ENOENT', 'rename', src)
    if (this.files.has(dst) || (this.dirs.get(dst)?.size ?? 0) > 0) throw fileIOError('ENOTEMPTY', 'rename', dst)
    this.dirs.delete(dst)
    const prefix = `${src}/`
    for (const key of [...this.dirs.keys()]) {
      if (key === src || key.startsWith(prefix)) {
        this.dirs.set(dst + key.slice(src.length), this.dirs.get(key)!)
        this.dirs.delete(key)
      }
    }
    for (const key of [...this.files.keys()]) {
      if (key.startsWith(prefix)) {
        this.files.set(dst + key.slice(src.length), this.files.get(key)!)
        this.files.delete(key)
      }
    }
    for (const h of this.handles.values()) if (h.path.startsWith(prefix)) h.path = dst + h.path.slice(src.length)
    this.dirs.get(dirname(src))?.delete(basename(src))
    this.dirs.get(dirname(dst))!.add(basename(dst))
  }

  readFile(path: string): Buffer {
    const p = resolve(path)
    this.check('readFile', p)
    const file = this.fileAt(p, 'open')
    return file.copyOut(0, file.length)
  }

  writeFileAtomic(path: string, data: Uint8Array): void {
    const p = resolve(path)
    this.check('writeFileAtomic', p)
    if (this.dirs.has(p)) throw fileIOError('EISDIR', 'rename', p)
    let file = this.files.get(p)
    if (file === undefined) {
      this.addEntry(p, 'open')
      file = new MemFile()
      this.files.set(p, file)
    }
    file.replaceContent(data)
  }

  fsyncDir(path: string): void {
    const p = resolve(path)
    this.check('fsyncDir', p)
    if (!this.dirs.has(p)) throw fileIOError('ENOENT', 'open', p)
  }

  // ---- internals ----

  private take(op: FileIOOp, path: string): Injection | undefined {
    const i = this.injections.findIndex((j) => j.op === op && (j.path === undefined || (typeof j.path === 'string' ? path.includes(j.path) : j.path.test(path))))
    if (i < 0) return undefined
    return this.injections.splice(i, 1)[0]
  }

  private check(op: FileIOOp, path: string): void {
    if (this.injections.length === 0) return
    const injected = this.take(op, path)
    if (injected !== undefined) throw injected.error
  }

  private handle(handle: FileHandle, syscall: string): MemHandle {
    const h = this.handles.get(handle)
    if (h === undefined) throw fileIOError('EBADF', syscall)
    return h
  }

  private writableHandle(handle: FileHandle, syscall: string): MemHandle {
    const h = this.handle(handle, syscall)
    if (!h.writable) throw fileIOError('EBADF', syscall, h.path)
    return h
  }

  private fileAt(p: string, syscall: string): MemFile {
    const file = this.files.get(p)
    if (file === undefined) throw fileIOError(this.dirs.has(p) ? 'EISDIR' : 'ENOENT', syscall, p)
    return file
  }

  private addEntry(p: string, syscall: string): void {
    const parent = this.dirs.get(dirname(p))
    if (parent === undefined) throw fileIOError('ENOENT', syscall, p)
    parent.add(basename(p))
  }

  private removeTree(p: string): void {
    if (this.files.delete(p)) {
      this.dirs.get(dirname(p))?.delete(basename(p))
      return
    }
    const children = this.dirs.get(p)
    if (children === undefined || p === '/') return
    for (const name of [...children]) this.removeTree(join(p, name))
    this.dirs.delete(p)
    this.dirs.get(dirname(p))?.delete(basename(p))
  }
}
