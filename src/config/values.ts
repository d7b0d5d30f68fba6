import { isIP } from 'node:net'
import { InvalidValue } from './config-error.ts'

// Parsers accept both typed values (programmatic options, JSON) and strings
// (flags, env, .properties), because every source funnels into one validator.

export type Parser<T> = (value: unknown) => T

const INT_RE = /^[+-]?\d+$/

export function integer (min: number, max: number = Number.MAX_SAFE_INTEGER, expected?: string): Parser<number> {
  const text = expected ?? (max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer ${min}-${max}`)
  return (value) => {
    let n: number
    if (typeof value === 'number') n = value
    else if (typeof value === 'string' && INT_RE.test(value.trim())) n = Number(value.trim())
    else throw new InvalidValue(text)
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidValue(text)
    return n
  }
}

const TRUE = new Set(['true', '1', 'yes', 'on'])
const FALSE = new Set(['false', '0', 'no', 'off'])

export const boolean: Parser<boolean> = (value) => {
  if (typeof value === 'boolean') return value
  if (typeof value === 'string') {
    const v = value.trim().toLowerCase()
    if (TRUE.has(v)) return true
    if (FALSE.has(v)) return false
  }
  throw new InvalidValue('true or false')
}

export function oneOf<const T extends string> (allowed: readonly T[]): Parser<T> {
  const text = `one of ${allowed.join(', ')}`
  return (value) => {
    if (typeof value === 'string') {
      const v = value.trim().toLowerCase()
      const hit = allowed.find((a) => a.toLowerCase() === v)
      if (hit !== undefined) return hit
    }
    throw new InvalidValue(text)
  }
}

const HOST_EXPECTED = 'a hostname or IP address (no scheme or port), e.g. 127.0.0.1, 0.0.0.0, ::'
const HOSTNAME_RE = /^[A-Za-z0-9_]([A-Za-z0-9_.-]{0,252})$/

export const host: Parser<string> = (value) => {
  if (typeof value !== 'string') throw new InvalidValue(HOST_EXPECTED)
  let h = value.trim()
  // Accept the bracketed IPv6 form people copy from URLs.
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1)
  if (isIP(h) !== 0 || HOSTNAME_RE.test(h)) return h
  throw new InvalidValue(HOST_EXPECTED)
}

export function isWildcardHost (h: string): boolean {
  return h === '0.0.0.0' || h === '::' || h === '::0' || h === '0:0:0:0:0:0:0:0'
}

const ADVERTISED_EXPECTED = 'a hostname or IP address clients can connect to (not a wildcard address like 0.0.0.0 or ::)'

export const advertisedHost: Parser<string> = (value) => {
  let h: string
  try {
    h = host(value)
  } catch {
    throw new InvalidValue(ADVERTISED_EXPECTED)
  }
  if (isWildcardHost(h)) throw new InvalidValue(ADVERTISED_EXPECTED)
  return h
}

export const nonEmptyString: Parser<string> = (value) => {
  if (typeof value === 'string' && value.trim() !== '') return value.trim()
  throw new InvalidValue('a non-empty path')
}

const CLUSTER_ID_RE = /^[\x21-\x7e]{1,255}$/

export const clusterId: Parser<string> = (value) => {
  if (typeof value === 'string' && CLUSTER_ID_RE.test(value)) return value
  throw new InvalidValue('1-255 printable ASCII characters without spaces (Kafka uses a 22-character base64 UUID)')
}
