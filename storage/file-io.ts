// The synchronous file-system interface storage is written against. Two
// implementations: NodeFileIO (node-file-io.ts: node:fs sync calls; storage runs inside
// worker threads, where sync fs is far cheaper than async) and MemoryFileIO
// (memory-file-io.ts: memory-only brokers and crash tests, with the crash model the
// recovery tests rely on).


export type FileHandle = number
/** 'r': read-only, must exist. 'rw': read-write, created if missing, never truncated. */
export type OpenMode = 'r' | 'rw'

export interface FileIO {
  open(path: string, mode: OpenMode): FileHandle
  size(handle: FileHandle): number
  /** Reads up to `length` bytes at `position`; returns the bytes read (short only at end of file). */
  read(handle: FileHandle, buf: Uint8Array, bufOffset: number, length: number, position: number): number
  /** Writes all of `buf` at `position`. */
  write(handle: FileHandle, buf: Uint8Array, position: number): void
  /** Writes the buffers back to back from `position`. */
  writev(handle: FileHandle, bufs: readonly Uint8Array[], position: number): void
  truncate(handle: FileHandle, length: number): void
  /** fdatasync: the file's data and size are durable when it returns. */
  datasync(handle: FileHandle): void
  close(handle: FileHandle): void
  exists(path: string): boolean
  mkdirp(path: string): void
  readdir(path: string): string[]
  unlink(path: string): void
  /** Removes a file or a directory tree; no error if it does not exist. */
  rmrf(path: string): void
  rename(from: string, to: string): void
  readFile(path: string): Buffer
  /** Replaces the file durably: temp file, fsync, rename, fsync of the directory. */
  writeFileAtomic(path: string, data: Uint8Array): void
  /** Makes creations, renames and removals inside the directory durable. */
  fsyncDir(path: string): void
}

export interface FileIOError extends Error {
  code: string
  syscall: string
  path?: string
}

export function fileIOError(code: string, syscall: string, path?: string, message?: string): FileIOError {
  const err = new Error(message ?? `${code}: ${syscall}${path === undefined ? '' : ` '${path}'`}`) as FileIOError
  err.code = code
  err.syscall = syscall
  if (path !== undefined) err.path = path
  return err
}

export function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ENOENT'
}


export { NodeFileIO } from './node-file-io.ts'
export { MemoryFileIO, type FileIOOp, type FailNextOptions, type CrashOptions } from './memory-file-io.ts'
