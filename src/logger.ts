// One pino logger per broker. Log lines are JSON (one object per line) so they can be
// shipped anywhere; `pino-pretty` can render them for humans.

import { pino, type Logger } from 'pino'

export type { Logger }

export function createLogger(level: string, name = 'samsa'): Logger {
  return pino({ name, level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime })
}
