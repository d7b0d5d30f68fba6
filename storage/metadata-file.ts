// Samsa's own metadata files (not a Kafka format). Layout:
//   [magic "SMSA", 4 bytes][format version u8][CRC-32C of the payload, u32 BE][payload]
// where the payload is the value packed with msgpackr. Written through writeFileAtomic
// (temp file, fsync, rename). Values should be plain data (objects, arrays, strings,
// numbers, booleans, null, Buffers): a Map comes back as a plain object.

import { createRequire } from 'node:module'
import type { Packr } from 'msgpackr'
import { ErrorCode } from '../protocol/error-codes.ts'
import { crc32c } from '../protocol/records/crc32c.ts'
import { isNotFound, type FileIO } from './file-io.ts'
import { StorageError } from './storage-error.ts'

const MAGIC = Buffer.from('SMSA', 'ascii')
export const METADATA_FORMAT_VERSION = 1
const HEADER_SIZE = 9
// Loaded with the first metadata file read or written: a broker starting on an empty data
// dir has none, and msgpackr (with its native string extractor) took ~10 ms to import.
let packrInstance: Packr | undefined
function packr(): Packr {
  if (packrInstance === undefined) {
    const { Packr } = createRequire(import.meta.url)('msgpackr') as typeof import('msgpackr')
    packrInstance = new Packr({ useRecords: false })
  }
  return packrInstance
}

export function writeMetadataFile(io: FileIO, path: string, value: unknown): void {
  const payload = packr().pack(value)
  const file = Buffer.allocUnsafe(HEADER_SIZE + payload.length)
  MAGIC.copy(file, 0)
  file.writeUInt8(METADATA_FORMAT_VERSION, 4)
  file.writeUInt32BE(crc32c(payload), 5)
  file.set(payload, HEADER_SIZE)
  io.writeFileAtomic(path, file)
}

/** The stored value, or undefined if the file does not exist. */
export function readMetadataFile(io: FileIO, path: string): unknown {
  let file: Buffer
  try {
    file = io.readFile(path)
  } catch (err) {
    if (isNotFound(err)) return undefined
    throw err
  }
  const bad = (why: string): StorageError => new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, `Corrupt metadata file ${path}: ${why}`)
  if (file.length < HEADER_SIZE || !file.subarray(0, 4).equals(MAGIC)) throw bad('bad magic')
  const version = file.readUInt8(4)
  if (version !== METADATA_FORMAT_VERSION) throw bad(`unsupported format version ${version}`)
  const payload = file.subarray(HEADER_SIZE)
  if (crc32c(payload) !== file.readUInt32BE(5)) throw bad('checksum mismatch')
  try {
    return packr().unpack(payload)
  } catch (err) {
    throw bad(`undecodable payload (${err instanceof Error ? err.message : String(err)})`)
  }
}
