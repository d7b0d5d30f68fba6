// Where the fields of a request frame are. A Reader that notes the position, width and
// kind of everything the generated decoders read, so the mutator can aim at real length
// prefixes and numbers instead of guessing. Positions are relative to the frame body
// (after the size prefix).

import { Reader } from '../../protocol/wire/reader.ts'
import { decodeRequestHeader, type DecodedRequestHeader } from '../../protocol/wire/headers.ts'
import { apiMessages } from '../../protocol/messages/index.ts'

export type FieldKind =
  | 'int8' | 'int16' | 'int32' | 'int64' | 'uvarint' | 'uuid' | 'float64'
  /** int16 length of a (nullable) string */
  | 'strlen16'
  /** int32 length of (nullable) bytes */
  | 'byteslen32'
  /** int32 element count of a classic array */
  | 'arraylen32'
  /** unsigned varint length + 1 of a compact string or compact bytes */
  | 'compactlen'
  /** unsigned varint count + 1 of a compact array */
  | 'compactarraylen'
  /** unsigned varint count of tagged fields */
  | 'tagcount'

export interface Field {
  kind: FieldKind
  /** Position in the frame body. */
  pos: number
  /** Bytes the field takes (varints: as encoded). */
  size: number
  /** The value as read (lengths: as encoded, so compact lengths are n + 1). */
  value: number
}

export function uvarintSize(buf: Buffer, pos: number): number {
  let n = 0
  while (pos + n < buf.length && n < 5 && buf[pos + n]! >= 0x80) n++
  return n + 1
}

export class RecordingReader extends Reader {
  readonly fields: Field[] = []
  private quiet = 0

  private note(kind: FieldKind, pos: number, size: number, value: number): void {
    if (this.quiet === 0) this.fields.push({ kind, pos, size, value })
  }

  private lengthOf<T>(kind: FieldKind, varint: boolean, read: () => T): T {
    const pos = this.offset
    const size = varint ? uvarintSize(this.buf, pos) : kind === 'strlen16' ? 2 : 4
    const value = varint ? safeUvarint(this.buf, pos) : kind === 'strlen16' ? this.buf.readInt16BE(pos) : this.buf.readInt32BE(pos)
    if (pos + size <= this.buf.length) this.note(kind, pos, size, value)
    this.quiet++
    try {
      return read()
    } finally {
      this.quiet--
    }
  }

  override int8(): number {
    const pos = this.offset
    const v = super.int8()
    this.note('int8', pos, 1, v)
    return v
  }
  override bool(): boolean {
    const pos = this.offset
    const v = super.bool()
    this.note('int8', pos, 1, v ? 1 : 0)
    return v
  }
  override int16(): number {
    const pos = this.offset
    const v = super.int16()
    this.note('int16', pos, 2, v)
    return v
  }
  override uint16(): number {
    const pos = this.offset
    const v = super.uint16()
    this.note('int16', pos, 2, v)
    return v
  }
  override int32(): number {
    const pos = this.offset
    const v = super.int32()
    this.note('int32', pos, 4, v)
    return v
  }
  override int64(): number {
    const pos = this.offset
    const v = super.int64()
    this.note('int64', pos, 8, v)
    return v
  }
  override float64(): number {
    const pos = this.offset
    const v = super.float64()
    this.note('float64', pos, 8, v)
    return v
  }
  override uuid(): string {
    const pos = this.offset
    const v = super.uuid()
    this.note('uuid', pos, 16, 0)
    return v
  }
  override uvarint(): number {
    const pos = this.offset
    const v = super.uvarint()
    this.note('uvarint', pos, this.offset - pos, v)
    return v
  }
  override string(): string {
    return this.lengthOf('strlen16', false, () => super.string())
  }
  override nullableString(): string | null {
    return this.lengthOf('strlen16', false, () => super.nullableString())
  }
  override compactString(): string {
    return this.lengthOf('compactlen', true, () => super.compactString())
  }
  override compactNullableString(): string | null {
    return this.lengthOf('compactlen', true, () => super.compactNullableString())
  }
  override bytes(): Buffer {
    return this.lengthOf('byteslen32', false, () => super.bytes())
  }
  override nullableBytes(): Buffer | null {
    return this.lengthOf('byteslen32', false, () => super.nullableBytes())
  }
  override compactBytes(): Buffer {
    return this.lengthOf('compactlen', true, () => super.compactBytes())
  }
  override compactNullableBytes(): Buffer | null {
    return this.lengthOf('compactlen', true, () => super.compactNullableBytes())
  }
  override arrayLength(): number {
    return this.lengthOf('arraylen32', false, () => super.arrayLength())
  }
  override compactArrayLength(): number {
    return this.lengthOf('compactarraylen', true, () => super.compactArrayLength())
  }
  override skipTaggedFields(): void {
    const pos = this.offset
    if (pos < this.buf.length) this.note('tagcount', pos, uvarintSize(this.buf, pos), safeUvarint(this.buf, pos))
    this.quiet++
    try {
      super.skipTaggedFields()
    } finally {
      this.quiet--
    }
  }
}

function safeUvarint(buf: Buffer, pos: number): number {
  let value = 0
  for (let i = 0, shift = 1; i < 5 && pos + i < buf.length; i++, shift *= 128) {
    value += (buf[pos + i]! & 0x7f) * shift
    if (buf[pos + i]! < 0x80) break
  }
  return value
}

export interface AnalyzedFrame {
  header: DecodedRequestHeader
  /** Decoded request body, or null when the frame does not decode (then fields stop where it failed). */
  request: unknown
  fields: Field[]
  /** Where the body starts, after the request header. */
  bodyPos: number
}

/** Reads a frame body (no size prefix) as the generated codec does, noting every field. */
export function analyzeFrame(body: Buffer): AnalyzedFrame | null {
  const r = new RecordingReader(body)
  let header: DecodedRequestHeader
  try {
    header = decodeRequestHeader(r)
  } catch {
    return null
  }
  const bodyPos = r.offset
  const api = apiMessages[header.apiKey]
  let request: unknown = null
  if (api !== undefined) {
    try {
      request = api.decodeRequest(r, header.apiVersion)
    } catch {
      request = null
    }
  }
  return { header, request, fields: r.fields, bodyPos }
}
