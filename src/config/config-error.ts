/**
 * A configuration problem the operator must fix. `key` names the setting
 * (option name, flag or file key) and `source` says where the bad value came
 * from, so the CLI can print one line that points straight at the culprit.
 */
export class ConfigError extends Error {
  readonly key: string
  readonly source: string

  constructor (message: string, key: string, source: string) {
    super(message)
    this.name = 'ConfigError'
    this.key = key
    this.source = source
  }
}

/** Thrown by value parsers; the caller knows the key and source and wraps it. */
export class InvalidValue extends Error {
  readonly expected: string

  constructor (expected: string) {
    super(expected)
    this.expected = expected
  }
}

export function formatValue (value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (value === null || typeof value !== 'object') return String(value)
  try {
    return JSON.stringify(value)
  } catch {
    return String(value)
  }
}

export function invalidValueError (key: string, source: string, value: unknown, expected: string): ConfigError {
  return new ConfigError(`Invalid value ${formatValue(value)} for ${key} (${source}): expected ${expected}`, key, source)
}
