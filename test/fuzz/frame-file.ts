// The fuzzer's file formats, all plain Kafka wire bytes:
// - seeds/<client>.frames: client-to-broker request frames laid end to end, each with its
//   int32 size prefix, exactly as the client sent them.
// - regressions/*.frame and failures/*.frame: the bytes one fuzzed frame wrote to a fresh
//   connection (a mutated size prefix can make that more or less than one frame).

import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'

/** Splits concatenated size-prefixed frames; each returned frame keeps its prefix. */
export function splitFrames(bytes: Buffer): Buffer[] {
  const out: Buffer[] = []
  let pos = 0
  while (pos + 4 <= bytes.length) {
    const size = bytes.readInt32BE(pos)
    if (size < 0 || pos + 4 + size > bytes.length) throw new Error(`corrupt frame file: frame at byte ${pos} declares ${size} bytes`)
    out.push(bytes.subarray(pos, pos + 4 + size))
    pos += 4 + size
  }
  if (pos !== bytes.length) throw new Error(`corrupt frame file: ${bytes.length - pos} trailing bytes`)
  return out
}

export function readFrameFile(path: string): Buffer[] {
  return splitFrames(readFileSync(path))
}

export function writeFrameFile(path: string, frames: Buffer[]): void {
  writeFileSync(path, Buffer.concat(frames))
}

export interface SeedFrame {
  /** The file's name without `.frames`: the client that sent it. */
  client: string
  /** Size prefix included. */
  bytes: Buffer
}

/** Every seed frame in `dir`, in file-name order, then file order. */
export function loadSeeds(dir: string): SeedFrame[] {
  if (!existsSync(dir)) return []
  const out: SeedFrame[] = []
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.frames')).sort()) {
    for (const bytes of readFrameFile(join(dir, name))) out.push({ client: name.slice(0, -'.frames'.length), bytes })
  }
  return out
}

/** Files of raw connection bytes (`*.frame`) in `dir`, sorted by name. */
export function loadRawFrames(dir: string): Array<{ name: string; bytes: Buffer }> {
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .filter((n) => n.endsWith('.frame'))
    .sort()
    .map((name) => ({ name, bytes: readFileSync(join(dir, name)) }))
}
