import { parseArgs } from 'node:util'
import { resolveBrokerOptions, type BrokerOptions } from './broker-options.ts'
import { ConfigError, InvalidValue, invalidValueError } from './config-error.ts'
import { readConfigFile } from './config-file.ts'
import { IGNORED_KAFKA_KEYS } from './kafka-ignored.ts'
import { parseListenerList } from './listeners.ts'
import { OPTION_SPECS, type OptionSpec } from './options-table.ts'
import { closest } from './suggest.ts'
import { BROKER_LOG_KEYS, brokerLogKey, convertBrokerLogValue } from './topic-defaults.ts'

export type CliCommand = 'start' | 'help' | 'version'

export interface LoadConfigInput {
  argv: readonly string[]
  env: Readonly<Record<string, string | undefined>>
  cwd: string
}

export interface LoadedConfig {
  command: CliCommand
  options: BrokerOptions
  /** Absolute path of the config file that was read, if any. */
  configFile?: string
  /** Non-fatal notes for the operator, e.g. ignored Kafka properties. */
  warnings: string[]
}

interface Setting {
  readonly value: unknown
  readonly source: string
  /** How the user spelled it; two spellings of one option in one source is a conflict. */
  readonly spelledAs: string
}

interface TopicSetting {
  readonly value: unknown
  readonly source: string
  readonly priority: number
}

/** Everything one source (flags, env or the file) contributes. */
class Layer {
  readonly options = new Map<string, Setting>()
  readonly topic = new Map<string, TopicSetting>()

  set (name: string, setting: Setting): void {
    const prev = this.options.get(name)
    // Agreeing spellings (node.id=2 and broker.id=2) are harmless; disagreeing ones are a trap.
    if (prev !== undefined && prev.spelledAs !== setting.spelledAs && String(prev.value) !== String(setting.value)) {
      throw new ConfigError(
        `${name} is set twice: by ${prev.source} and by ${setting.source}; keep one`, name, setting.source)
    }
    this.options.set(name, setting)
  }

  setTopic (key: string, setting: TopicSetting): void {
    const prev = this.topic.get(key)
    if (prev !== undefined && prev.priority > setting.priority) return
    this.topic.set(key, setting)
  }
}

const SPEC_BY_FILE_KEY = new Map<string, OptionSpec>()
for (const spec of OPTION_SPECS) {
  SPEC_BY_FILE_KEY.set(spec.name, spec)
  for (const k of spec.kafkaKeys) SPEC_BY_FILE_KEY.set(k, spec)
}

const SPECIAL_FILE_KEYS = ['topicDefaults'] as const

/** Every key accepted in a config file or by --set. */
export const FILE_KEYS: readonly string[] = [
  ...SPEC_BY_FILE_KEY.keys(), ...SPECIAL_FILE_KEYS, ...Object.keys(BROKER_LOG_KEYS)
]

const FLAG_SPECS = OPTION_SPECS.filter((s) => s.flag !== undefined)

const PARSE_ARGS_OPTIONS = {
  ...Object.fromEntries(FLAG_SPECS.map((s) => [s.flag, { type: s.flagType ?? 'string' }])),
  config: { type: 'string' },
  set: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' }
} as const satisfies Record<string, { type: 'string' | 'boolean', multiple?: boolean, short?: string }>

export const FLAG_NAMES: readonly string[] = Object.keys(PARSE_ARGS_OPTIONS).map((f) => `--${f}`)

/**
 * Resolves the command and broker options from, highest first:
 * CLI flags > SAMSA_* environment > config file > defaults.
 */
export function loadConfig (input: LoadConfigInput): LoadedConfig {
  const { argv, env, cwd } = input
  const parsed = parseCommandLine(argv)
  if (parsed.command !== 'start') {
    return { command: parsed.command, options: resolveBrokerOptions({}, { cwd }), warnings: [] }
  }

  const warnings: string[] = []
  const flagLayer = flagsToLayer(parsed.values, warnings)
  const envLayer = envToLayer(env)

  const flagConfig = parsed.values.config
  const envConfig = nonEmpty(env.SAMSA_CONFIG)
  const configPath = flagConfig ?? envConfig
  const fileLayer = new Layer()
  let configFile: string | undefined
  if (configPath !== undefined) {
    const from = flagConfig !== undefined ? 'flag --config' : 'env SAMSA_CONFIG'
    const file = readConfigFile(configPath, cwd, from)
    configFile = file.absolutePath
    for (const entry of file.entries) {
      applyKey(fileLayer, entry.key, entry.value, `config file ${file.displayPath}`, `config file ${file.displayPath} key ${entry.key}`, warnings)
    }
  }

  const partial: Record<string, unknown> = {}
  const sources: Record<string, string> = {}
  // Null prototype: a "__proto__" key from a JSON file must stay data and be rejected as unknown.
  const topicDefaults: Record<string, unknown> = Object.create(null) as Record<string, unknown>
  for (const layer of [fileLayer, envLayer, flagLayer]) {
    // A listeners list replaces the first listener's address given by a lower source.
    if (layer.options.has('listeners')) {
      for (const name of ['host', 'port']) {
        if (!layer.options.has(name)) {
          delete partial[name]
          delete sources[name]
        }
      }
    }
    for (const [name, s] of layer.options) {
      partial[name] = s.value
      sources[name] = s.source
    }
    for (const [key, s] of layer.topic) {
      topicDefaults[key] = s.value
      sources[`topicDefaults.${key}`] = s.source
    }
  }
  if (Object.keys(topicDefaults).length > 0) partial.topicDefaults = topicDefaults

  const options = resolveBrokerOptions(partial as Partial<BrokerOptions>, { cwd, sources })
  return configFile !== undefined
    ? { command: 'start', options, configFile, warnings }
    : { command: 'start', options, warnings }
}

interface FlagValues {
  config?: string
  set?: string[]
  help?: boolean
  version?: boolean
  [flag: string]: string | boolean | string[] | undefined
}

function parseCommandLine (argv: readonly string[]): { command: CliCommand, values: FlagValues } {
  const wantsHelp = argv.includes('--help') || argv.includes('-h')
  let values: FlagValues
  let positionals: string[]
  try {
    const r = parseArgs({ args: [...argv], options: PARSE_ARGS_OPTIONS, allowPositionals: true, allowNegative: true, strict: true })
    values = r.values as FlagValues
    positionals = r.positionals
  } catch (err) {
    // `samsa --bogus --help` should still show help rather than an error.
    if (wantsHelp) return { command: 'help', values: {} }
    throw flagError(err as Error & { code?: string })
  }
  if (values.help === true) return { command: 'help', values }
  if (values.version === true) return { command: 'version', values }

  const [command = 'start', ...extra] = positionals
  if (command !== 'start' && command !== 'help' && command !== 'version') {
    throw new ConfigError(`Unknown command "${command}": expected start, help or version (see samsa --help)`, command, 'command line')
  }
  if (extra.length > 0) {
    throw new ConfigError(`Unexpected argument "${extra[0]}" after "${command}" (see samsa --help)`, extra[0], 'command line')
  }
  return { command, values }
}

function flagError (err: Error & { code?: string }): ConfigError {
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const flag = /'([^']+)'/.exec(err.message)?.[1] ?? 'flag'
    const bare = flag.replace(/=.*$/, '')
    const hint = closest(bare, FLAG_NAMES)
    return new ConfigError(
      `Unknown flag ${bare}${hint !== undefined ? ` (did you mean ${hint}?)` : ''}; run samsa --help for the list`,
      bare, 'command line')
  }
  const flag = /'(--?[\w-]+)/.exec(err.message)?.[1] ?? 'command line'
  return new ConfigError(`${err.message.replace(/\.$/, '')} (see samsa --help)`, flag, `flag ${flag}`)
}

function flagsToLayer (values: FlagValues, warnings: string[]): Layer {
  const layer = new Layer()
  const record = values as Record<string, unknown>
  for (const spec of FLAG_SPECS) {
    const value = record[spec.flag as string]
    if (value === undefined) continue
    layer.set(spec.name, { value, source: `flag --${spec.flag}`, spelledAs: `--${spec.flag}` })
  }
  for (const assignment of values.set ?? []) {
    const eq = assignment.indexOf('=')
    if (eq <= 0) {
      throw new ConfigError(`--set expects key=value, got ${JSON.stringify(assignment)}`, '--set', 'flag --set')
    }
    const key = assignment.slice(0, eq).trim()
    const value = assignment.slice(eq + 1)
    applyKey(layer, key, value, '--set', `flag --set ${key}`, warnings)
  }
  return layer
}

function envToLayer (env: Readonly<Record<string, string | undefined>>): Layer {
  const layer = new Layer()
  for (const spec of OPTION_SPECS) {
    // Empty means unset: `-e SAMSA_PORT=` in compose files should not be an error.
    const value = nonEmpty(env[spec.env])
    if (value === undefined) continue
    layer.set(spec.name, { value, source: `env ${spec.env}`, spelledAs: spec.env })
  }
  return layer
}

/** Applies one Kafka-style or camelCase key, as found in a config file or --set. */
function applyKey (layer: Layer, key: string, value: unknown, where: string, source: string, warnings: string[]): void {
  if (key === 'listeners') {
    // The first listener is also host/port: saying both in one source must agree.
    let first: { host: string, port: number }
    try {
      first = parseListenerList(value)[0]
    } catch (err) {
      if (err instanceof InvalidValue) throw invalidValueError(key, source, value, err.expected)
      throw err
    }
    layer.set('listeners', { value, source, spelledAs: key })
    layer.set('host', { value: first.host, source, spelledAs: key })
    layer.set('port', { value: first.port, source, spelledAs: key })
    return
  }

  const spec = SPEC_BY_FILE_KEY.get(key)
  if (spec !== undefined) {
    if (key === 'log.dirs' && typeof value === 'string' && value.includes(',')) {
      throw new ConfigError(
        `Invalid value ${JSON.stringify(value)} for log.dirs (${source}): Samsa uses a single data directory`, key, source)
    }
    layer.set(spec.name, { value, source, spelledAs: key })
    return
  }


  if (key === 'topicDefaults') {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw invalidValueError(key, source, value, 'an object of topic config name to value')
    }
    for (const [topicKey, v] of Object.entries(value)) {
      layer.setTopic(topicKey, { value: v, source: `${source}.${topicKey}`, priority: -1 })
    }
    return
  }

  const logKey = brokerLogKey(key)
  if (logKey !== undefined) {
    let converted: string
    try {
      converted = convertBrokerLogValue(key, value)
    } catch (err) {
      if (err instanceof InvalidValue) throw invalidValueError(key, source, value, err.expected)
      throw err
    }
    layer.setTopic(logKey.topicKey, { value: converted, source, priority: logKey.priority })
    return
  }

  const ignored = Object.hasOwn(IGNORED_KAFKA_KEYS, key) ? IGNORED_KAFKA_KEYS[key] : undefined
  if (ignored !== undefined) {
    warnings.push(`ignoring ${key} (${where}): ${ignored}`)
    return
  }

  const hint = closest(key, FILE_KEYS)
  throw new ConfigError(
    `Unknown key "${key}" in ${where}${hint !== undefined ? ` (did you mean "${hint}"?)` : ''}`, key, source)
}

function nonEmpty (value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value
}
