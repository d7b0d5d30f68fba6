import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Range } from './versions.ts'
import { NONE, covers, hull, intersect, isEmpty, parseRange, sameRange } from './versions.ts'

export type Prim = 'bool' | 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'float64' | 'uuid'

export type FieldType =
  | { kind: 'prim'; prim: Prim }
  | { kind: 'string' }
  | { kind: 'bytes' }
  | { kind: 'records' }
  | { kind: 'struct'; struct: string }
  | { kind: 'array'; elem: FieldType }

export interface Field {
  name: string
  prop: string
  type: FieldType
  versions: Range
  nullable: Range
  tagged: Range
  tag: number | null
  // Per-field override of the message's flexible versions (strings/bytes only).
  flexible: Range | null
  defaultValue: string | null
}

export interface Struct {
  name: string
  fields: Field[]
  // Hull of the versions in which this struct can appear; generated version
  // checks are simplified against it.
  ctx: Range
}

export interface Message {
  file: string
  name: string
  kind: 'request' | 'response' | 'header'
  apiKey: number | null
  valid: Range
  flexible: Range
  latestVersionUnstable: boolean
  root: Struct
  // Nested structs in declaration order (commonStructs last), root excluded.
  structs: Map<string, Struct>
}

const PRIMS = new Set<string>(['bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'uuid'])

// The schema files are JSON plus whole-line `//` comments.
export function readSchemaJson(path: string): any {
  const text = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => !/^\s*\/\//.test(l))
    .join('\n')
  return JSON.parse(text)
}

function parseType(t: string): FieldType {
  if (t.startsWith('[]')) {
    const elem = parseType(t.slice(2))
    if (elem.kind === 'array' || elem.kind === 'bytes' || elem.kind === 'records') {
      throw new Error(`unsupported array element type ${t}`)
    }
    return { kind: 'array', elem }
  }
  if (PRIMS.has(t)) return { kind: 'prim', prim: t as Prim }
  if (t === 'string' || t === 'bytes' || t === 'records') return { kind: t }
  if (/^[A-Z][A-Za-z0-9]*$/.test(t)) return { kind: 'struct', struct: t }
  throw new Error(`unknown type ${t}`)
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1)
}

export function structOf(t: FieldType): string | null {
  if (t.kind === 'struct') return t.struct
  if (t.kind === 'array' && t.elem.kind === 'struct') return t.elem.struct
  return null
}

export function parseMessage(file: string, json: any): Message {
  const name: string = json.name
  const valid = parseRange(json.validVersions, null)
  const flexible = parseRange(json.flexibleVersions, null)
  const structs = new Map<string, Struct>()
  const where = (f: string) => `${file}: ${f}`

  const parseFields = (raw: any[], owner: string): Field[] => {
    const fields: Field[] = []
    const props = new Set<string>()
    for (const f of raw) {
      const type = parseType(f.type)
      const tagged = parseRange(f.taggedVersions, NONE)
      const versions = parseRange(f.versions, isEmpty(tagged) ? null : tagged)
      const field: Field = {
        name: f.name,
        prop: lowerFirst(f.name),
        type,
        versions,
        nullable: parseRange(f.nullableVersions, NONE),
        tagged,
        // Some schemas spell the tag as a string ("0"); Jackson accepts both.
        tag: f.tag === undefined ? null : Number(f.tag),
        flexible: f.flexibleVersions === undefined ? null : parseRange(f.flexibleVersions, null),
        defaultValue: f.default === undefined ? null : String(f.default),
      }
      if (props.has(field.prop)) throw new Error(where(`duplicate field ${owner}.${field.prop}`))
      props.add(field.prop)
      if (field.tag !== null && !(Number.isInteger(field.tag) && field.tag >= 0)) throw new Error(where(`${f.name}: bad tag ${f.tag}`))
      if ((field.tag === null) !== isEmpty(tagged)) throw new Error(where(`${f.name}: tag and taggedVersions go together`))
      if (!isEmpty(tagged) && (tagged.hi !== Infinity || !covers(versions, tagged) || !covers(flexible, tagged))) {
        throw new Error(where(`${f.name}: taggedVersions must be open-ended, within versions and flexible versions`))
      }
      if (!isEmpty(field.nullable) && (type.kind === 'prim')) throw new Error(where(`${f.name}: ${f.type} cannot be nullable`))
      if (field.flexible !== null && type.kind !== 'string' && type.kind !== 'bytes') {
        throw new Error(where(`${f.name}: flexibleVersions override only applies to string/bytes`))
      }
      const sname = structOf(type)
      if (sname !== null && Array.isArray(f.fields)) {
        if (structs.has(sname) || sname === name) throw new Error(where(`duplicate struct ${sname}`))
        // Register before recursing so declaration order is outer-first.
        const s: Struct = { name: sname, fields: [], ctx: NONE }
        structs.set(sname, s)
        s.fields = parseFields(f.fields, sname)
      } else if (Array.isArray(f.fields) && f.fields.length > 0) {
        throw new Error(where(`${f.name}: only struct types have fields`))
      }
      fields.push(field)
    }
    return fields
  }

  const root: Struct = { name, fields: parseFields(json.fields ?? [], name), ctx: valid }
  for (const cs of json.commonStructs ?? []) {
    if (structs.has(cs.name)) throw new Error(where(`duplicate struct ${cs.name}`))
    const s: Struct = { name: cs.name, fields: [], ctx: NONE }
    structs.set(cs.name, s)
    s.fields = parseFields(cs.fields, cs.name)
  }

  // Propagate the version contexts down the struct tree until stable.
  const visit = (s: Struct, ctx: Range): void => {
    for (const f of s.fields) {
      const sname = structOf(f.type)
      if (sname === null) continue
      const child = structs.get(sname)
      if (child === undefined) throw new Error(where(`unknown struct type ${sname}`))
      const usage = intersect(f.versions, ctx)
      const next = hull(child.ctx, usage)
      if (!sameRange(next, child.ctx)) {
        child.ctx = next
        visit(child, next)
      }
    }
  }
  visit(root, valid)

  return {
    file,
    name,
    kind: json.type,
    apiKey: typeof json.apiKey === 'number' ? json.apiKey : null,
    valid,
    flexible,
    latestVersionUnstable: json.latestVersionUnstable === true,
    root,
    structs,
  }
}

const isWireMessage = (json: any): boolean => json.type === 'request' || json.type === 'response' || json.type === 'header'

// Every key of a schema except `about`: Kafka's prose stays out of the repository.
function withoutProse(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutProse)
  if (value === null || typeof value !== 'object') return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) if (k !== 'about') out[k] = withoutProse(v)
  return out
}

export const SCHEMA_FACTS_FORMAT = 1

/**
 * The facts of the wire-message schemas in `dir` (names, types, version ranges, flexible
 * versions, tags, defaults; no prose), as the JSON text checked into the repository so
 * the generator and its tests work without Kafka's schema directory.
 */
export function schemaFactsText(dir: string): string {
  const schemas: Record<string, unknown> = {}
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const json = readSchemaJson(join(dir, file))
    if (isWireMessage(json)) schemas[file] = withoutProse(json)
  }
  return JSON.stringify({ format: SCHEMA_FACTS_FORMAT, source: 'Apache Kafka clients/src/main/resources/common/message', schemas }, null, 1) + '\n'
}

// Request, response and header schemas, from Kafka's schema directory or from the facts
// file generated from it; data/metadata record schemas are not wire messages and are
// left out.
export function loadMessages(source: string): Message[] {
  const out: Message[] = []
  if (source.endsWith('.json')) {
    const facts = JSON.parse(readFileSync(source, 'utf8')) as { format: number; schemas: Record<string, any> }
    if (facts.format !== SCHEMA_FACTS_FORMAT) throw new Error(`${source}: unknown format ${facts.format}`)
    for (const file of Object.keys(facts.schemas).sort()) out.push(parseMessage(file, facts.schemas[file]))
    return out
  }
  for (const file of readdirSync(source).filter((f) => f.endsWith('.json')).sort()) {
    const json = readSchemaJson(join(source, file))
    if (!isWireMessage(json)) continue
    out.push(parseMessage(file, json))
  }
  return out
}
