import { InvalidValue } from './config-error.ts'

const EXPECTED = 'one listener like PLAINTEXT://0.0.0.0:9092 (Samsa serves a single plaintext listener)'

/**
 * Parses Kafka's `listeners` / `advertised.listeners` form. An empty host
 * (PLAINTEXT://:9092) means all interfaces, as in Kafka.
 */
export function parseListener (value: unknown): { host: string, port: string } {
  if (typeof value !== 'string') throw new InvalidValue(EXPECTED)
  const text = value.trim()
  if (text === '' || text.includes(',')) throw new InvalidValue(EXPECTED)
  const m = /^(?:([A-Za-z_][A-Za-z0-9_]*):\/\/)?(\[[^\]]*\]|[^:/]*):(\d+)$/.exec(text)
  if (m === null) throw new InvalidValue(EXPECTED)
  const [, protocol, rawHost, port] = m
  if (protocol !== undefined && protocol.toUpperCase() !== 'PLAINTEXT') throw new InvalidValue(EXPECTED)
  const host = rawHost === '' ? '0.0.0.0' : rawHost.replace(/^\[(.*)\]$/, '$1')
  return { host, port }
}
