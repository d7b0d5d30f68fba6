// Parsers for the listener, TLS and SASL options (same contract as values.ts: strings
// or typed values in, a normalised value out, InvalidValue naming what is allowed).

import { InvalidValue } from './config-error.ts'
import { formatListenerList, parseListenerList, parseProtocolMap } from './listeners.ts'
import { SASL_MECHANISMS } from '../security/sasl-mechanisms.ts'
import { PrincipalMapper } from '../security/principal-mapper.ts'
import { parseScopeList } from '../security/oauthbearer-unsecured-validator.ts'
import type { Parser } from './values.ts'

export const listenerList: Parser<string> = (value) => formatListenerList(parseListenerList(value))

export const advertisedListenerList: Parser<string> = (value) => {
  if (typeof value === 'string' && value.trim() === '') return ''
  const list = parseListenerList(value, 'a comma-separated list like PLAINTEXT://broker.example:9092 (NAME://host:port, names from listeners)')
  return formatListenerList(list)
}

export const protocolMap: Parser<string> = (value) => [...parseProtocolMap(value)].map(([n, p]) => `${n}:${p}`).join(',')

/** Empty means unset (Kafka's null). */
export const optionalText: Parser<string> = (value) => {
  if (typeof value === 'string') return value.trim()
  throw new InvalidValue('text')
}

export const pemType: Parser<string> = (value) => {
  if (typeof value === 'string' && value.trim().toUpperCase() === 'PEM') return 'PEM'
  throw new InvalidValue('PEM (Samsa reads PEM key and trust stores only; convert JKS/PKCS12 with keytool/openssl)')
}

export const saslMechanisms: Parser<string> = (value) => {
  const expected = `a comma-separated list of ${SASL_MECHANISMS.join(', ')}`
  if (typeof value !== 'string') throw new InvalidValue(expected)
  const list = value.split(',').map((m) => m.trim().toUpperCase()).filter((m) => m !== '')
  if (list.length === 0 || list.some((m) => !(SASL_MECHANISMS as readonly string[]).includes(m))) throw new InvalidValue(expected)
  return [...new Set(list)].join(',')
}

export const principalRules: Parser<string> = (value) => {
  const expected = 'DEFAULT or RULE:pattern/replacement/[LU] rules, comma-separated'
  if (typeof value !== 'string') throw new InvalidValue(expected)
  try {
    new PrincipalMapper(value)
  } catch (err) {
    throw new InvalidValue(`${expected} (${(err as Error).message})`)
  }
  return value.trim()
}

/** sasl.oauthbearer.jwks.endpoint.url: '' (unset) or an http, https or file URL, as Kafka's ConfigurationUtils.validateUrl allows. */
export const jwksEndpointUrl: Parser<string> = (value) => {
  const expected = 'an http://, https:// or file:// URL (or empty for none)'
  if (typeof value !== 'string') throw new InvalidValue(expected)
  const text = value.trim()
  if (text === '') return ''
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new InvalidValue(expected)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:' && url.protocol !== 'file:') throw new InvalidValue(expected)
  return text
}

/** A Kafka LIST of plain values (sasl.oauthbearer.expected.audience): comma-separated, '' = none. */
export const textList: Parser<string> = (value) => {
  if (typeof value !== 'string') throw new InvalidValue('a comma-separated list')
  return value.split(',').map((v) => v.trim()).filter((v) => v !== '').join(',')
}

/** A JWT claim name: Kafka refuses blank overrides. */
export const claimName: Parser<string> = (value) => {
  if (typeof value === 'string' && value.trim() !== '') return value.trim()
  throw new InvalidValue('a claim name (non-blank text)')
}

/** Space-separated OAuth scope items (RFC 6749 characters), '' = none. */
export const scopeList: Parser<string> = (value) => {
  const expected = 'space-separated scope items (printable ASCII, no \\ or ")'
  if (typeof value !== 'string') throw new InvalidValue(expected)
  try {
    return parseScopeList(value.trim()).join(' ')
  } catch {
    throw new InvalidValue(expected)
  }
}
