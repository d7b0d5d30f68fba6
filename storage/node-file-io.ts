// FileIO on node:fs synchronous calls. Storage runs inside worker threads, where a sync
// call costs far less than an async one (no libuv pool hop per read or write).

import * as fs from 'node:fs'
import { dirname } from 'node:path'
import type { FileHandle, FileIO, OpenMode } from './file-io.ts'

export class NodeFileIO implements FileIO {
  /**
   * Told how long each fdatasync of a file took (ms), for the flush-latency metric; the
   * shard worker collects them and sends them back with its task results. Directory
   * fsyncs and writeFileAtomic's small metadata files are not counted.
   */
  onDatasync: ((ms: number) => void) | null = null

  open(path: string, mode: OpenMode): FileHandle {
    return mode === 'r' ? fs.openSync(path, 'r') : fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644)
  }

  size(handle: FileHandle): number {
    return fs.fstatSync(handle).size
  }

  read(handle: FileHandle, buf: Uint8Array, bufOffset: number, length: number, position: number): number {
    let done = 0
    while (done < length) {
      const n = fs.readSync(handle, buf, bufOffset + done, length - done, position + done)
      if (n === 0) break
      done += n
    }
    return done
  }

  write(handle: FileHandle, buf: Uint8Array, position: number): void {
    let done = 0
    while (done < buf.length) done += fs.writeSync(handle, buf, done, buf.length - done, position + done)
  }

  writev(handle: FileHandle, bufs: readonly Uint8Array[], position: number): void {
    let total = 0
    for (const b of bufs) total += b.length
    const written = fs.writevSync(handle, bufs as Uint8Array[], position)
    if (written === total) return
    // A short writev is rare (signals, quotas); finish buffer by buffer from where it stopped.
    let skip = written
    let pos = position + written
    for (const b of bufs) {
      if (skip >= b.length) {
        skip -= b.length
        continue
      }
      const rest = b.subarray(skip)
      skip = 0
      this.write(handle, rest, pos)
      pos += rest.length
    }
  }

  truncate(handle: FileHandle, length: number): void {
    fs.ftruncateSync(handle, length)
  }

  datasync(handle: FileHandle): void {
    const timed = this.onDatasync
    if (timed === null) {
      fs.fdatasyncSync(handle)
      return
    }
    const started = performance.now()
    fs.fdatasyncSync(handle)
    timed(performance.now() - started)
  }

  close(handle: FileHandle): void {
    fs.closeSync(handle)
  }

  exists(path: string): boolean {
    return fs.existsSync(path)
  }

  mkdirp(path: string): void {
    fs.mkdirSync(path, { recursive: true })
  }

  readdir(path: string): string[] {
    return fs.readdirSync(path)
  }

  unlink(path: string): void {
    fs.unlinkSync(path)
  }

  rmrf(path: string): void {
    fs.rmSync(path, { recursive: true, force: true })
  }

  rename(from: string, to: string): void {
    fs.renameSync(from, to)
  }

  readFile(path: string): Buffer {
    return fs.readFileSync(path)
  }

  writeFileAtomic(path: string, data: Uint8Array): void {
    const tmp = `${path}.tmp`
    const fd = fs.openSync(tmp, 'w', 0o644)
    try {
      this.write(fd, data, 0)
      fs.fdatasyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
    fs.renameSync(tmp, path)
    this.fsyncDir(dirname(path))
  }

  fsyncDir(path: string): void {
    const fd = fs.openSync(path, 'r')
    try {
      fs.fsyncSync(fd)
    } catch (err) {
      // Some platforms and file systems refuse fsync on a directory; nothing more can be done there.
      const code = (err as { code?: string }).code
      if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM') throw err
    } finally {
      fs.closeSync(fd)
    }
  }
}

