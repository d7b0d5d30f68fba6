import { InvalidValue } from './config-error.ts'
import { isWildcardHost } from './values.ts'

// Kafka's listener properties: `listeners`, `advertised.listeners` and
// `listener.security.protocol.map`. A listener has a name (PLAINTEXT, SASL_SSL, or a
// custom one such as INTERNAL) and reaches its security protocol through the map, as in
// Kafka (SocketServerConfigs / EndPoint.parseCsvList).

export const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const
export type SecurityProtocol = typeof SECURITY_PROTOCOLS[number]

/** Kafka 4's default `listener.security.protocol.map` (each protocol maps to itself). */
export const DEFAULT_PROTOCOL_MAP = 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL'

export interface ListenerAddress {
  name: string
  host: string
  port: number
}

/** One listener as the broker binds and advertises it. */
export interface ListenerConfig {
  name: string
  securityProtocol: SecurityProtocol
  host: string
  port: number
  advertisedHost: string
  /** 0: the port actually bound. */
  advertisedPort: number
}

const LISTENERS_EXPECTED = 'a comma-separated list like PLAINTEXT://127.0.0.1:9092,SASL_SSL://:9094 (NAME://host:port, each name once)'
const ENTRY_RE = /^(?:([A-Za-z_][A-Za-z0-9_]*):\/\/)?(\[[^\]]*\]|[^:/]*):(\d+)$/

/**
 * Parses `listeners` / `advertised.listeners`. An empty host (PLAINTEXT://:9092) means
 * all interfaces, as in Kafka; a missing name means PLAINTEXT (Samsa's older form).
 * Names are case-insensitive in Kafka and kept upper-case here.
 */
export function parseListenerList (value: unknown, expected = LISTENERS_EXPECTED): ListenerAddress[] {
  if (typeof value !== 'string') throw new InvalidValue(expected)
  const text = value.trim()
  if (text === '') throw new InvalidValue(expected)
  const out: ListenerAddress[] = []
  for (const raw of text.split(',')) {
    const m = ENTRY_RE.exec(raw.trim())
    if (m === null) throw new InvalidValue(expected)
    const [, name = 'PLAINTEXT', rawHost, port] = m
    const n = Number(port)
    if (n > 65535) throw new InvalidValue(expected)
    const upper = name.toUpperCase()
    if (out.some((l) => l.name === upper)) throw new InvalidValue(`${expected}; ${upper} appears twice`)
    out.push({ name: upper, host: rawHost === '' ? '0.0.0.0' : rawHost.replace(/^\[(.*)\]$/, '$1'), port: n })
  }
  return out
}

/** Parses `listener.security.protocol.map` (NAME:PROTOCOL,...). */
export function parseProtocolMap (value: unknown): Map<string, SecurityProtocol> {
  const expected = `a comma-separated list of NAME:PROTOCOL with PROTOCOL one of ${SECURITY_PROTOCOLS.join(', ')}`
  if (typeof value !== 'string' || value.trim() === '') throw new InvalidValue(expected)
  const map = new Map<string, SecurityProtocol>()
  for (const raw of value.split(',')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*([A-Za-z_]+)\s*$/.exec(raw)
    if (m === null) throw new InvalidValue(expected)
    const protocol = m[2].toUpperCase()
    if (!(SECURITY_PROTOCOLS as readonly string[]).includes(protocol)) throw new InvalidValue(expected)
    map.set(m[1].toUpperCase(), protocol as SecurityProtocol)
  }
  return map
}

export function formatListenerList (list: readonly ListenerAddress[]): string {
  return list.map((l) => `${l.name}://${l.host.includes(':') ? `[${l.host}]` : l.host}:${l.port}`).join(',')
}

/** What clients are told when a listener has no advertised.listeners entry (Kafka: the listener's own address). */
export function defaultAdvertisedHost (host: string): string {
  return isWildcardHost(host) ? 'localhost' : host
}

/**
 * Combines the three properties into the listeners the broker runs. Throws a plain
 * Error with the problem; the caller names the setting.
 */
export function resolveListeners (listeners: string, advertised: string, protocolMap: string): ListenerConfig[] {
  const map = parseProtocolMap(protocolMap)
  const bound = parseListenerList(listeners)
  const adv = advertised === '' ? [] : parseListenerList(advertised)
  const out: ListenerConfig[] = []
  const ports = new Map<number, string>()
  for (const l of bound) {
    const protocol = map.get(l.name)
    if (protocol === undefined) {
      throw new Error(`listener ${l.name} has no security protocol: add ${l.name}:<PROTOCOL> to listener.security.protocol.map`)
    }
    const other = l.port === 0 ? undefined : ports.get(l.port)
    if (other !== undefined) throw new Error(`listeners ${other} and ${l.name} both use port ${l.port}`)
    ports.set(l.port, l.name)
    const a = adv.find((x) => x.name === l.name)
    if (a !== undefined && isWildcardHost(a.host)) throw new Error(`advertised.listeners ${a.name} names a wildcard address (${a.host}); clients cannot connect to it`)
    out.push({
      name: l.name,
      securityProtocol: protocol,
      host: l.host,
      port: l.port,
      advertisedHost: a?.host ?? defaultAdvertisedHost(l.host),
      advertisedPort: a?.port ?? 0,
    })
  }
  for (const a of adv) {
    if (!bound.some((l) => l.name === a.name)) throw new Error(`advertised.listeners names ${a.name}, which is not in listeners`)
  }
  return out
}
