// Shared helpers for storage tests (not a test file itself).

import { buildRecordBatch } from '../../protocol/records/record-batch-builder.ts'
import { resolveLogConfig, type LogConfig } from '../../storage/log-config.ts'

export interface BatchSpec {
  records?: number
  valueBytes?: number
  /** Timestamp of the first record; each next record is +1. */
  timestamp?: number
  /** Fill byte of the values, to tell batches apart. */
  fill?: number
  compression?: number
}

/** A fresh produce-style batch (baseOffset 0); append() patches it in place, so never reuse one. */
export function makeBatch(spec: BatchSpec = {}): Buffer {
  const n = spec.records ?? 1
  const ts = spec.timestamp ?? 1_000
  return buildRecordBatch({
    records: Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.alloc(spec.valueBytes ?? 10, spec.fill ?? i), timestamp: ts + i })),
    compression: spec.compression ?? 0,
  })
}

export function config(overrides: Partial<LogConfig> = {}): LogConfig {
  return resolveLogConfig(overrides)
}

/** Deterministic PRNG (mulberry32) so a failing seed can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}
