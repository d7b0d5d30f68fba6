import { availableParallelism } from 'node:os'
import { OPTION_SPECS } from '../config/options-table.ts'
import { BROKER_LOG_KEYS } from '../config/topic-defaults.ts'

function row (left: string, env: string, def: string, help: string): string {
  const first = `  ${left.padEnd(36)} ${env}`.trimEnd()
  return `${first}\n      ${help}${def !== '' ? `. Default: ${def}` : ''}`
}

/** `samsa --help` text, generated from the option table so it cannot drift. */
export function usage (): string {
  const lines = [
    'Usage: samsa [start] [options]',
    '       samsa help | --help',
    '       samsa version | --version',
    '       samsa topics | configs | groups | users [--bootstrap-server <host:port>] … (--help for each)',
    '',
    'Starts a Kafka-wire-compatible broker.',
    'topics, configs and groups are admin commands in the manner of kafka-topics.sh,',
    'kafka-configs.sh and kafka-consumer-groups.sh; users manages SCRAM users as',
    'kafka-configs.sh --entity-type users does. They work against any Kafka broker.',
    '',
    'Settings, highest precedence first: flags > SAMSA_* environment > config file > defaults.',
    '',
    `  ${'flag'.padEnd(36)} environment`
  ]
  for (const spec of OPTION_SPECS) {
    const flag = spec.flag !== undefined
      ? `--${spec.flag}${spec.valueHint !== '' ? ` ${spec.valueHint}` : ''}`
      : `--set ${spec.kafkaKeys[0] ?? spec.name}=…`
    const def = spec.name === 'shards' ? `${spec.defaultText}; here ${Math.max(1, availableParallelism() - 1)}` : spec.defaultText
    lines.push(row(flag, spec.env, def, spec.help))
  }
  lines.push(
    row('--config <file>', 'SAMSA_CONFIG', 'none', 'read settings from a .json or .properties file (Kafka broker property names)'),
    row('--set <key>=<value>', '', '', 'set one config-file key, repeatable, e.g. --set log.retention.hours=24'),
    row('-h, --help', '', '', 'show this help'),
    row('--version', '', '', 'print the version'),
    '',
    'Boolean flags also accept --no-<flag>. Config files and --set take the camelCase option',
    'names or these Kafka broker properties:',
    ...wrap(kafkaKeys(), 92).map((l) => `  ${l}`),
    'Full reference: docs/configuration.md',
    ''
  )
  return lines.join('\n')
}

function kafkaKeys (): string {
  const keys = [...OPTION_SPECS.flatMap((s) => s.kafkaKeys), 'listeners', 'advertised.listeners', ...Object.keys(BROKER_LOG_KEYS)]
  return keys.join(', ')
}

function wrap (text: string, width: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
    } else {
      line = line === '' ? word : `${line} ${word}`
    }
  }
  if (line !== '') lines.push(line)
  return lines
}
