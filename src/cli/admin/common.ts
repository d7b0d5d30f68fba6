// What the admin commands share: the command shape, the options every command takes,
// and Kafka's table layout.

import type { AdminClient } from './admin-client.ts'
import type { Args, OptionSpecs } from './args.ts'

export interface AdminIo {
  stdout: { write(chunk: string): unknown }
  stderr: { write(chunk: string): unknown }
}

export interface CommandContext {
  args: Args
  /** One line on stdout. */
  out: (line: string) => void
  /** One line on stderr (warnings and notes; errors are thrown). */
  note: (line: string) => void
  /** Connects on first use. */
  client: () => Promise<AdminClient>
}

export interface AdminCommand {
  name: string
  options: OptionSpecs
  help: () => string
  /** Resolves with the exit code. */
  run: (ctx: CommandContext) => Promise<number>
}

export const DEFAULT_BOOTSTRAP = '127.0.0.1:9092'
export const DEFAULT_TIMEOUT_MS = 30_000

/** Options every admin command takes. */
export const COMMON_OPTIONS: OptionSpecs = {
  'bootstrap-server': { kind: 'value' },
  timeout: { kind: 'value' },
  'command-config': { kind: 'value' },
}

export const COMMON_HELP = [
  '  --bootstrap-server <host:port[,…]>  the broker(s) to connect to. Default: 127.0.0.1:9092',
  '  --timeout <ms>                      bound on connecting and on each request. Default: 30000',
  '  --command-config <file>             Kafka client properties for secured listeners: security.protocol,',
  '                                      sasl.mechanism, sasl.jaas.config, ssl.truststore.location (PEM), …',
  '  -h, --help                          show this help',
]

/**
 * Kafka's tables: each column left-aligned and padded to its width, one space between
 * columns, the last column unpadded (trailing spaces trimmed).
 */
export function tableRow (values: ReadonlyArray<string | number>, widths: readonly number[]): string {
  return values.map((v, i) => i < values.length - 1 ? String(v).padEnd(widths[i] ?? 0) : String(v)).join(' ').trimEnd()
}
