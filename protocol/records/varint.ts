// Zig-zag varints as used inside records (DefaultRecord): signed values, protobuf style.
// Not the unsigned varints of flexible protocol fields. Values are JS numbers, exact up
// to 2^53, which covers every varlong a record carries in practice (timestamp deltas).

const TWO_POW_32 = 4294967296

function zigzag(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1
}

/** Bytes needed to write `value` as a zig-zag varint. */
export function sizeOfVarint(value: number): number {
  let v = zigzag(value)
  let size = 1
  while (v >= 128) {
    v = Math.floor(v / 128)
    size++
  }
  return size
}

/** Writes `value` at `pos`; returns the position after it. */
export function writeVarint(buf: Uint8Array, pos: number, value: number): number {
  let v = zigzag(value)
  if (v < TWO_POW_32) {
    // Fast path for everything that fits 32 bits: bit ops are exact below 2^32 with >>>.
    while (v >= 128) {
      buf[pos++] = (v & 0x7f) | 0x80
      v >>>= 7
    }
    buf[pos++] = v
    return pos
  }
  while (v >= 128) {
    buf[pos++] = (v % 128) | 0x80
    v = Math.floor(v / 128)
  }
  buf[pos++] = v
  return pos
}

/** The result of a varint read: its value and the position just after it. */
export interface VarintRead {
  value: number
  next: number
}

/**
 * Reads a zig-zag varint at `pos` into `out` (reused by callers in loops to avoid an
 * allocation per field). Throws on a varint running past `end` or longer than 10 bytes.
 */
export function readVarint(buf: Uint8Array, pos: number, end: number, out: VarintRead): VarintRead {
  let result = 0
  let multiplier = 1
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw new RangeError('varint runs past the end of the buffer')
    const b = buf[pos++]!
    result += (b & 0x7f) * multiplier
    if (b < 128) {
      out.value = result % 2 === 0 ? result / 2 : -(result + 1) / 2
      out.next = pos
      return out
    }
    multiplier *= 128
  }
  throw new RangeError('varint longer than 10 bytes')
}
