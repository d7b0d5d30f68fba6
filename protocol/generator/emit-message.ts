import { Code, not, pick, quote } from './code.ts'
import type { Field, FieldType, Message, Prim, Struct } from './schema.ts'
import { structOf } from './schema.ts'
import type { Range } from './versions.ts'
import { covers, formatRange, intersect, isEmpty, versionCond } from './versions.ts'

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA'

const FIXED_SIZE: Record<Prim, number> = {
  bool: 1, int8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, int64: 8, float64: 8, uuid: 16,
}

const INT_BOUNDS: Partial<Record<Prim, [number, number]>> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  uint16: [0, 0xffff],
  int32: [-0x80000000, 0x7fffffff],
  uint32: [0, 0xffffffff],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
}

// Per-file emission state.
interface State {
  msg: Message
  usesEmptyBuffer: boolean
  usesWriterValue: boolean
  // Structs that need an isDefaultX() helper (tagged struct fields).
  isDefaultNeeded: Set<string>
  // Set when a generated body refers to the `flexible` local.
  usedFlexible: boolean
}

export function kebab(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1-$2')
    .toLowerCase()
}

function baseTs(t: FieldType): string {
  switch (t.kind) {
    case 'prim':
      return t.prim === 'uuid' ? 'string' : t.prim === 'bool' ? 'boolean' : 'number'
    case 'string':
      return 'string'
    case 'bytes':
    case 'records':
      return 'Buffer'
    case 'struct':
      return t.struct
    case 'array':
      return `${baseTs(t.elem)}[]`
  }
}

function maybeNull(f: Field): boolean {
  return !isEmpty(f.nullable)
}

function fieldTs(f: Field): string {
  return baseTs(f.type) + (maybeNull(f) ? ' | null' : '')
}

function where(st: State, owner: string, f: Field): string {
  return `${st.msg.file}: ${owner}.${f.name}`
}

// Default value as a JS expression, following Kafka's generator: an explicit
// "null" default needs the field to be nullable in all its versions; without a
// default, strings are '', bytes empty, arrays [], structs all-defaults, and
// nullable records null.
function defaultExpr(st: State, owner: string, f: Field): string {
  const d = f.defaultValue
  const t = f.type
  if (d === 'null') {
    if (t.kind === 'prim') throw new Error(`${where(st, owner, f)}: null default on a ${t.prim}`)
    if (!covers(f.nullable, f.versions)) throw new Error(`${where(st, owner, f)}: null default but not nullable in all versions`)
    return 'null'
  }
  switch (t.kind) {
    case 'prim': {
      if (t.prim === 'bool') {
        if (d === null) return 'false'
        const b = d.toLowerCase()
        if (b !== 'true' && b !== 'false') throw new Error(`${where(st, owner, f)}: bad bool default ${d}`)
        return b
      }
      if (t.prim === 'uuid') {
        if (d === null) return quote(ZERO_UUID)
        if (Buffer.from(d, 'base64url').length !== 16) throw new Error(`${where(st, owner, f)}: bad uuid default ${d}`)
        return quote(d)
      }
      if (t.prim === 'float64') {
        if (d === null) return '0'
        const n = Number(d)
        if (Number.isNaN(n)) throw new Error(`${where(st, owner, f)}: bad float default ${d}`)
        return String(n)
      }
      if (d === null) return '0'
      const n = /^-?0x/i.test(d) ? (d.startsWith('-') ? -1 : 1) * parseInt(d.replace(/^-?0x/i, ''), 16) : Number(d)
      const [lo, hi] = INT_BOUNDS[t.prim]!
      if (!Number.isInteger(n) || n < lo || n > hi) throw new Error(`${where(st, owner, f)}: bad ${t.prim} default ${d}`)
      return String(n)
    }
    case 'string':
      return quote(d ?? '')
    case 'bytes':
      if (d !== null && d !== '') throw new Error(`${where(st, owner, f)}: bytes default must be empty or null`)
      st.usesEmptyBuffer = true
      return 'EMPTY_BUFFER'
    case 'records':
      if (maybeNull(f)) return 'null'
      st.usesEmptyBuffer = true
      return 'EMPTY_BUFFER'
    case 'array':
      if (d !== null && d !== '') throw new Error(`${where(st, owner, f)}: array default must be empty or null`)
      return '[]'
    case 'struct':
      if (d !== null && d !== '') throw new Error(`${where(st, owner, f)}: struct default must be empty or null`)
      return `default${t.struct}()`
  }
}

// Defaults that allocate ([] or a struct) are only built when actually needed.
function allocatingDefault(expr: string): boolean {
  return expr === '[]' || expr.startsWith('default')
}

function nullError(owner: string, f: Field): string {
  return `throw new ProtocolError(\`${owner}.${f.prop} cannot be null in version \${version}\`)`
}

// Version sets of a field inside a struct whose context is `ctx`: where it is
// a regular (positional) field, and where it travels as a tagged field.
function fieldRanges(f: Field, ctx: Range): { regular: Range; tagged: Range } {
  const present = intersect(f.versions, ctx)
  const tagged = intersect(f.tagged, present)
  const regular = isEmpty(tagged) ? present : intersect(present, { lo: 0, hi: tagged.lo - 1 })
  return { regular, tagged }
}

function structCtx(st: State, s: Struct): Range {
  return isEmpty(s.ctx) ? st.msg.valid : s.ctx
}

// Compact (flexible) encoding condition for a field within versions `r`.
function flexFor(st: State, f: Field | null, r: Range): string {
  if (f !== null && f.flexible !== null) return versionCond(f.flexible, r)
  const c = versionCond(st.msg.flexible, r)
  if (c === 'true' || c === 'false') return c
  st.usedFlexible = true
  return 'flexible'
}

// ---- decoding -------------------------------------------------------------

function readScalar(t: FieldType, flex: string, nul: string): string {
  switch (t.kind) {
    case 'prim':
      return `r.${t.prim}()`
    case 'string':
      return pick(flex, pick(nul, 'r.compactNullableString()', 'r.compactString()'), pick(nul, 'r.nullableString()', 'r.string()'))
    case 'bytes':
    case 'records':
      return pick(flex, pick(nul, 'r.compactNullableBytes()', 'r.compactBytes()'), pick(nul, 'r.nullableBytes()', 'r.bytes()'))
    default:
      throw new Error(`not a scalar: ${t.kind}`)
  }
}

function readStruct(name: string, nul: string, tagged: boolean): string {
  const plain = `decode${name}(r, version)`
  const marker = tagged ? 'r.uvarint() === 0' : 'r.int8() < 0'
  return pick(nul, `(${marker} ? null : ${plain})`, plain)
}

// `scoped`: the caller already opened a block, so locals need no extra braces.
function emitRead(c: Code, st: State, owner: string, f: Field, target: string, flex: string, nul: string, tagged: boolean, scoped: boolean): void {
  const t = f.type
  if (t.kind === 'struct') {
    c.line(`${target} = ${readStruct(t.struct, nul, tagged)}`)
    return
  }
  if (t.kind !== 'array') {
    c.line(`${target} = ${readScalar(t, flex, nul)}`)
    return
  }
  const elem = t.elem
  const elemRead =
    elem.kind === 'struct' ? `decode${elem.struct}(r, version)` : readScalar(elem, flex, 'false')
  const loop = (): void => {
    c.line(`const a: ${baseTs(elem)}[] = []`)
    c.line(`for (let i = 0; i < n; i++) a.push(${elemRead})`)
    c.line(`${target} = a`)
  }
  if (!scoped) c.open('{')
  c.line(`const n = ${pick(flex, 'r.compactArrayLength()', 'r.arrayLength()')}`)
  if (nul === 'false') {
    c.line(`if (n < 0) ${nullError(owner, f)}`)
    loop()
  } else {
    c.open('if (n < 0) {')
    if (nul !== 'true') c.line(`if (${not(nul)}) ${nullError(owner, f)}`)
    c.line(`${target} = null`)
    c.mid('} else {')
    loop()
    c.close()
  }
  if (!scoped) c.close()
}

function emitDecode(c: Code, st: State, s: Struct, isRoot: boolean): void {
  const ctx = structCtx(st, s)
  const body = new Code()
  st.usedFlexible = false
  const values: string[] = []
  const taggedFields: Field[] = []

  for (const f of s.fields) {
    const def = defaultExpr(st, s.name, f)
    const { regular, tagged } = fieldRanges(f, ctx)
    if (isEmpty(regular) && isEmpty(tagged)) {
      values.push(`${f.prop}: ${def}`)
      continue
    }
    if (!isEmpty(tagged)) taggedFields.push(f)
    const local = `_${f.prop}`
    const regCond = versionCond(regular, ctx)
    const always = regCond === 'true' && isEmpty(tagged)
    const flex = flexFor(st, f, regular)
    const nul = versionCond(f.nullable, regular)
    if (always && f.type.kind !== 'array') {
      const expr = f.type.kind === 'struct' ? readStruct(f.type.struct, nul, false) : readScalar(f.type, flex, nul)
      body.line(`const ${local} = ${expr}`)
      values.push(`${f.prop}: ${local}`)
      continue
    }
    if (always) {
      body.line(`let ${local}: ${fieldTs(f)}`)
      values.push(`${f.prop}: ${local}`)
    } else if (allocatingDefault(def) && !maybeNull(f)) {
      body.line(`let ${local}: ${fieldTs(f)} | undefined`)
      values.push(`${f.prop}: ${local} ?? ${def}`)
    } else {
      body.line(`let ${local}: ${fieldTs(f)} = ${def}`)
      values.push(`${f.prop}: ${local}`)
    }
    body.branch(regCond, () => emitRead(body, st, s.name, f, local, flex, nul, false, regCond !== 'true'))
  }

  const flexCtx = intersect(st.msg.flexible, ctx)
  const flexAll = flexFor(st, null, ctx)
  body.branch(flexAll, () => {
    if (taggedFields.length === 0) {
      body.line('r.skipTaggedFields()')
      return
    }
    body.line('const nTagged = r.uvarint()')
    body.open('for (let k = 0; k < nTagged; k++) {')
    body.line('const tag = r.uvarint()')
    body.line('const end = r.taggedFieldEnd(r.uvarint())')
    body.open('switch (tag) {')
    for (const f of [...taggedFields].sort((a, b) => a.tag! - b.tag!)) {
      const { tagged } = fieldRanges(f, ctx)
      body.open(`case ${f.tag}: {`)
      body.branch(versionCond(tagged, flexCtx), () =>
        emitRead(body, st, s.name, f, `_${f.prop}`, 'true', versionCond(f.nullable, tagged), true, true),
      )
      body.line('break')
      body.close()
    }
    body.close()
    body.line('r.endTaggedField(end)')
    body.close()
  })

  c.open(`export function decode${s.name}(r: Reader, version: number): ${s.name} {`)
  if (isRoot) emitVersionCheck(c, st)
  if (st.usedFlexible) c.line(`const flexible = ${versionCond(st.msg.flexible, ctx)}`)
  for (const l of body.lines) c.line(l)
  if (values.length === 0) {
    c.line('return {}')
  } else {
    c.open('return {')
    for (const v of values) c.line(`${v},`)
    c.close()
  }
  c.close()
}

function emitVersionCheck(c: Code, st: State): void {
  const { lo, hi } = st.msg.valid
  c.line(`if (version < ${lo} || version > ${hi}) throw new ProtocolError(\`${st.msg.name} version \${version} is not supported (${lo}-${hi})\`)`)
}

// ---- encoding -------------------------------------------------------------

function emitWrite(
  c: Code, owner: string, f: Field, v: string, w: string,
  flex: string, nul: string, tagged: boolean, scoped: boolean,
): void {
  const t = f.type
  const nullable = maybeNull(f)
  const whenNull = (marker: () => void): void => {
    if (nul === 'false') {
      c.line(nullError(owner, f))
      return
    }
    if (nul !== 'true') c.line(`if (${not(nul)}) ${nullError(owner, f)}`)
    marker()
  }
  const split = (val: string, marker: () => void, nonNull: () => void): void => {
    if (!nullable) return nonNull()
    c.open(`if (${val} === null) {`)
    whenNull(marker)
    c.mid('} else {')
    nonNull()
    c.close()
  }
  const compactOr = (compact: string, classic: string): void =>
    c.branch(flex, () => c.line(`${w}.${compact}`), () => c.line(`${w}.${classic}`))

  switch (t.kind) {
    case 'prim':
      c.line(`${w}.${t.prim}(${v})`)
      return
    case 'string':
      if (nullable && nul === 'true') return compactOr(`compactNullableString(${v})`, `nullableString(${v})`)
      return split(v, () => compactOr('uvarint(0)', 'int16(-1)'), () => compactOr(`compactString(${v})`, `string(${v})`))
    case 'bytes':
    case 'records':
      if (nullable && nul === 'true') return compactOr(`compactNullableBytes(${v})`, `nullableBytes(${v})`)
      return split(v, () => compactOr('uvarint(0)', 'int32(-1)'), () => compactOr(`compactBytes(${v})`, `bytes(${v})`))
    case 'struct':
      return split(
        v,
        () => c.line(tagged ? `${w}.uvarint(0)` : `${w}.int8(-1)`),
        () => {
          c.branch(nul, () => c.line(tagged ? `${w}.uvarint(1)` : `${w}.int8(1)`))
          c.line(`encode${t.struct}(${w}, version, ${v})`)
        },
      )
    case 'array': {
      const elem = t.elem
      const loop = (call: string): void => c.line(`for (let i = 0; i < a.length; i++) ${call}`)
      if (!scoped) c.open('{')
      c.line(`const a = ${v}`)
      split(
        'a',
        () => compactOr('uvarint(0)', 'int32(-1)'),
        () => {
          compactOr('uvarint(a.length + 1)', 'int32(a.length)')
          if (elem.kind === 'struct') loop(`encode${elem.struct}(${w}, version, a[i])`)
          else if (elem.kind === 'prim') loop(`${w}.${elem.prim}(a[i])`)
          else c.branch(flex, () => loop(`${w}.compactString(a[i])`), () => loop(`${w}.string(a[i])`))
        },
      )
      if (!scoped) c.close()
    }
  }
}

// Kafka writes a tagged field only when it differs from its default.
function nonDefaultCond(st: State, owner: string, f: Field, v: string): string {
  const def = defaultExpr(st, owner, f)
  const t = f.type
  if (def === 'null') return `${v} !== null`
  const nullable = maybeNull(f)
  if (t.kind === 'array' || t.kind === 'bytes' || t.kind === 'records') {
    return nullable ? `(${v} === null || ${v}.length !== 0)` : `${v}.length !== 0`
  }
  if (t.kind === 'struct') {
    st.isDefaultNeeded.add(t.struct)
    return nullable ? `(${v} === null || !isDefault${t.struct}(${v}))` : `!isDefault${t.struct}(${v})`
  }
  return `${v} !== ${def}`
}

function isDefaultCond(st: State, owner: string, f: Field, v: string): string {
  const def = defaultExpr(st, owner, f)
  const t = f.type
  if (def === 'null') return `${v} === null`
  const nullable = maybeNull(f)
  if (t.kind === 'array' || t.kind === 'bytes' || t.kind === 'records') {
    return nullable ? `(${v} !== null && ${v}.length === 0)` : `${v}.length === 0`
  }
  if (t.kind === 'struct') {
    st.isDefaultNeeded.add(t.struct)
    return nullable ? `(${v} !== null && isDefault${t.struct}(${v}))` : `isDefault${t.struct}(${v})`
  }
  return `${v} === ${def}`
}

function emitEncode(c: Code, st: State, s: Struct, isRoot: boolean): void {
  const ctx = structCtx(st, s)
  const body = new Code()
  st.usedFlexible = false
  const taggedFields: Field[] = []

  for (const f of s.fields) {
    const { regular, tagged } = fieldRanges(f, ctx)
    if (!isEmpty(tagged)) taggedFields.push(f)
    if (isEmpty(regular)) continue
    const cond = versionCond(regular, ctx)
    body.branch(cond, () =>
      emitWrite(body, s.name, f, `m.${f.prop}`, 'w', flexFor(st, f, regular), versionCond(f.nullable, regular), false, cond !== 'true'),
    )
  }

  const flexCtx = intersect(st.msg.flexible, ctx)
  body.branch(flexFor(st, null, ctx), () => {
    if (taggedFields.length === 0) {
      body.line('w.emptyTaggedFields()')
      return
    }
    const sorted = [...taggedFields].sort((a, b) => a.tag! - b.tag!)
    body.line('let nTagged = 0')
    sorted.forEach((f, k) => {
      const { tagged } = fieldRanges(f, ctx)
      const vc = versionCond(tagged, flexCtx)
      const nd = nonDefaultCond(st, s.name, f, `m.${f.prop}`)
      body.line(`const t${k} = ${vc === 'true' ? nd : `${vc} && ${nd}`}`)
      body.line(`if (t${k}) nTagged++`)
    })
    body.line('w.uvarint(nTagged)')
    sorted.forEach((f, k) => {
      const { tagged } = fieldRanges(f, ctx)
      body.open(`if (t${k}) {`)
      body.line(`w.uvarint(${f.tag})`)
      if (f.type.kind === 'prim') {
        body.line(`w.uvarint(${FIXED_SIZE[f.type.prim]})`)
        body.line(`w.${f.type.prim}(m.${f.prop})`)
      } else {
        // Variable-size value: encode it aside to learn its size first.
        st.usesWriterValue = true
        body.line('const tw = new Writer(64)')
        emitWrite(body, s.name, f, `m.${f.prop}`, 'tw', 'true', versionCond(f.nullable, tagged), true, true)
        body.line('w.uvarint(tw.length)')
        body.line('w.raw(tw.toBuffer())')
      }
      body.close()
    })
  })

  c.open(`export function encode${s.name}(w: Writer, version: number, m: ${s.name}): void {`)
  if (isRoot) emitVersionCheck(c, st)
  if (st.usedFlexible) c.line(`const flexible = ${versionCond(st.msg.flexible, ctx)}`)
  for (const l of body.lines) c.line(l)
  c.close()
}

// ---- types and defaults ---------------------------------------------------

function fieldDoc(st: State, owner: string, f: Field): string | null {
  const parts: string[] = []
  if (!(f.versions.lo === 0 && f.versions.hi === Infinity)) parts.push(`v${formatRange(f.versions)}`)
  if (!isEmpty(f.nullable)) parts.push(`nullable v${formatRange(f.nullable)}`)
  if (f.tag !== null) parts.push(`tag ${f.tag} in v${formatRange(f.tagged)}`)
  if (f.flexible !== null) parts.push(isEmpty(f.flexible) ? 'never compact' : `compact only in v${formatRange(f.flexible)}`)
  if (f.defaultValue !== null) parts.push(`default ${defaultExpr(st, owner, f)}`)
  return parts.length === 0 ? null : `/** ${parts.join('; ')} */`
}

function emitInterface(c: Code, st: State, s: Struct): void {
  c.open(`export interface ${s.name} {`)
  for (const f of s.fields) {
    const doc = fieldDoc(st, s.name, f)
    if (doc !== null) c.line(doc)
    c.line(`${f.prop}: ${fieldTs(f)}`)
  }
  c.close()
}

function emitDefault(c: Code, st: State, s: Struct): void {
  c.open(`export function default${s.name}(): ${s.name} {`)
  if (s.fields.length === 0) {
    c.line('return {}')
  } else {
    c.open('return {')
    for (const f of s.fields) c.line(`${f.prop}: ${defaultExpr(st, s.name, f)},`)
    c.close()
  }
  c.close()
}

function emitIsDefault(c: Code, st: State, s: Struct): void {
  const conds = s.fields.map((f) => isDefaultCond(st, s.name, f, `m.${f.prop}`))
  c.open(`function isDefault${s.name}(m: ${s.name}): boolean {`)
  if (conds.length === 0) {
    c.line('return true')
  } else {
    c.open('return (')
    conds.forEach((cond, i) => c.line(i === 0 ? cond : `&& ${cond}`))
    c.close(')')
  }
  c.close()
}

export function emitMessage(msg: Message): string {
  const st: State = { msg, usesEmptyBuffer: false, usesWriterValue: false, isDefaultNeeded: new Set(), usedFlexible: false }
  const all = [msg.root, ...msg.structs.values()]

  const names = new Set(['Reader', 'Writer', 'ProtocolError', 'EMPTY_BUFFER', `${msg.name}Versions`])
  for (const s of all) {
    for (const n of [s.name, `decode${s.name}`, `encode${s.name}`, `default${s.name}`, `isDefault${s.name}`]) {
      if (names.has(n)) throw new Error(`${msg.file}: generated name ${n} is not unique`)
      names.add(n)
    }
  }
  for (const s of all) {
    for (const f of s.fields) {
      const sn = structOf(f.type)
      if (sn !== null && !msg.structs.has(sn)) throw new Error(`${msg.file}: unknown struct ${sn}`)
    }
  }

  const c = new Code()
  const { lo, hi } = msg.valid
  const flexMin = isEmpty(msg.flexible) ? 'Infinity' : String(msg.flexible.lo)
  // flexibleMin is Infinity when no version is flexible, so `version >= flexibleMin` needs no special case.
  c.line(`export const ${msg.name}Versions = { min: ${lo}, max: ${hi}, flexibleMin: ${flexMin} } as const`)
  c.line()
  for (const s of all) {
    emitInterface(c, st, s)
    c.line()
  }
  for (const s of all) {
    emitDefault(c, st, s)
    c.line()
    emitDecode(c, st, s, s === msg.root)
    c.line()
    emitEncode(c, st, s, s === msg.root)
    c.line()
  }
  // isDefault helpers can pull in further ones for nested struct fields.
  const done = new Set<string>()
  for (let pending = [...st.isDefaultNeeded]; pending.length > 0; pending = [...st.isDefaultNeeded].filter((n) => !done.has(n))) {
    for (const name of pending) {
      done.add(name)
      emitIsDefault(c, st, msg.structs.get(name)!)
      c.line()
    }
  }
  c.lines.pop()

  const head = new Code()
  head.line(`// Generated by protocol/generator/main.ts from Kafka's ${msg.file} schema. Do not edit.`)
  head.line()
  head.line(`import type { Reader } from '../wire/reader.ts'`)
  head.line(st.usesWriterValue ? `import { Writer } from '../wire/writer.ts'` : `import type { Writer } from '../wire/writer.ts'`)
  head.line(`import { ProtocolError } from '../wire/errors.ts'`)
  if (st.usesEmptyBuffer) head.line(`import { EMPTY_BUFFER } from '../wire/constants.ts'`)
  head.line()
  return head.toString() + c.toString()
}
