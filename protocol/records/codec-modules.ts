// The codec packages, loaded at first use and then kept: most brokers never see a
// compressed batch, and loading the two native add-ons and node:zlib cost every start
// (main thread and each shard) ~20 ms. compression.ts (decompressing, client-style
// compressing) and broker-compression.ts (Kafka's containers) share these.

import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

/** What Samsa uses of lz4-napi: frames for client bodies, raw blocks for Kafka's own frame. */
export interface Lz4Napi {
  decompressFrameSync(data: Buffer): Buffer
  decompressFrame(data: Buffer): Promise<Buffer>
  compressFrameSync(data: Buffer): Buffer
  compressSync(data: Buffer): Buffer
}

/** What Samsa uses of snappy (raw blocks). */
export interface Snappy {
  uncompressSync(data: Buffer, options?: { asBuffer?: boolean }): Buffer | string
  uncompress(data: Buffer, options?: { asBuffer?: boolean }): Promise<Buffer | string>
  compressSync(data: Buffer): Buffer
}

let zlibModule: typeof import('node:zlib') | undefined
let lz4Module: Lz4Napi | undefined
let snappyModule: Snappy | undefined

export const zlib = (): typeof import('node:zlib') => (zlibModule ??= process.getBuiltinModule('node:zlib'))
export const lz4 = (): Lz4Napi => (lz4Module ??= require('lz4-napi') as Lz4Napi)
export const snappy = (): Snappy => (snappyModule ??= require('snappy') as Snappy)
