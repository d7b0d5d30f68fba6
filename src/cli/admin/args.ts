// Command-line parsing in the manner of Kafka's tools (joptsimple): `--name value` or
// `--name=value`, a value may start with a dash (`--shift-by -5`), repeatable options
// collect every value, and there are no positional arguments.

import { closest } from '../../config/suggest.ts'
import { UsageError } from './errors.ts'

export interface OptionSpec {
  /** 'optional': takes the next token as its value unless that is another option ('' then). */
  kind: 'flag' | 'value' | 'optional'
  /** Collects every occurrence instead of refusing a second one. */
  multiple?: boolean
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>

export interface ParsedArgs {
  flags: Set<string>
  values: Map<string, string[]>
  help: boolean
}

export function parseAdminArgs (argv: readonly string[], specs: OptionSpecs): ParsedArgs {
  const flags = new Set<string>()
  const values = new Map<string, string[]>()
  let help = false
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!
    if (token === '-h' || token === '--help') {
      help = true
      continue
    }
    if (!token.startsWith('--') || token === '--') {
      throw new UsageError(`Unexpected argument "${token}": options take the form --name [value]`)
    }
    const eq = token.indexOf('=')
    const name = token.slice(2, eq === -1 ? undefined : eq)
    const spec = specs[name]
    if (spec === undefined) {
      const hint = closest(name, Object.keys(specs))
      throw new UsageError(`Unknown option --${name}${hint !== undefined ? ` (did you mean --${hint}?)` : ''}`)
    }
    if (spec.kind === 'flag') {
      if (eq !== -1) throw new UsageError(`Option --${name} takes no value`)
      flags.add(name)
      continue
    }
    let value: string
    if (eq !== -1) {
      value = token.slice(eq + 1)
    } else if (spec.kind === 'optional') {
      const next = argv[i + 1]
      value = next === undefined || next.startsWith('--') ? '' : next
      if (value !== '') i++
    } else {
      const next = argv[i + 1]
      if (next === undefined) throw new UsageError(`Option --${name} requires a value`)
      value = next
      i++
    }
    const list = values.get(name) ?? []
    if (list.length > 0 && spec.multiple !== true) throw new UsageError(`Option --${name} is given more than once`)
    list.push(value)
    values.set(name, list)
  }
  return { flags, values, help }
}

/** Accessors with the checks every command needs. */
export class Args {
  readonly parsed: ParsedArgs

  constructor (parsed: ParsedArgs) {
    this.parsed = parsed
  }

  has (name: string): boolean {
    return this.parsed.flags.has(name) || this.parsed.values.has(name)
  }

  value (name: string): string | undefined {
    return this.parsed.values.get(name)?.[0]
  }

  all (name: string): string[] {
    return this.parsed.values.get(name) ?? []
  }

  required (name: string, why: string): string {
    const v = this.value(name)
    if (v === undefined) throw new UsageError(`Missing required option --${name} ${why}`)
    return v
  }

  int (name: string, min: number, max: number): number | undefined {
    const v = this.value(name)
    if (v === undefined) return undefined
    const n = Number(v.trim())
    if (!/^\s*-?\d+\s*$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max) {
      const range = min === Number.MIN_SAFE_INTEGER ? '' : max === Number.MAX_SAFE_INTEGER ? ` of at least ${min}` : ` from ${min} to ${max}`
      throw new UsageError(`Invalid value "${v}" for --${name}: expected an integer${range}`)
    }
    return n
  }

  /** Exactly one of the actions; returns it. */
  action<T extends string> (actions: readonly T[]): T {
    const given = actions.filter((a) => this.has(a))
    if (given.length !== 1) {
      const list = actions.map((a) => `--${a}`)
      throw new UsageError(`Command must include exactly one action: ${list.slice(0, -1).join(', ')} or ${list[list.length - 1]}`)
    }
    return given[0]!
  }

  /** Refuses options that make no sense with the chosen action. */
  only (action: string, allowed: readonly string[]): void {
    const ok = new Set([action, ...allowed, 'bootstrap-server', 'timeout', 'command-config'])
    for (const name of [...this.parsed.flags, ...this.parsed.values.keys()]) {
      if (!ok.has(name)) throw new UsageError(`Option --${name} cannot be used with --${action}`)
    }
  }
}
