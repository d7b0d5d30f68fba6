// `samsa users`: SCRAM users over the Kafka protocol (AlterUserScramCredentials and
// DescribeUserScramCredentials), what `kafka-configs.sh --entity-type users --alter
// --add-config 'SCRAM-SHA-256=[iterations=8192,password=…]'` does, with its output lines.
// As Kafka's admin client, the password is salted here (random salt, PBKDF2 with the
// mechanism's hash) and only the salted password travels. Kafka refuses two changes to
// one user in one request, so each mechanism is its own request.

import { pbkdf2, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import { SCRAM_MAX_ITERATIONS, SCRAM_MECHANISMS, scramByName, scramByType, type ScramMechanismInfo } from '../../security/sasl-mechanisms.ts'
import type { Args } from './args.ts'
import { COMMON_HELP, type AdminCommand, type CommandContext } from './common.ts'
import { AdminError, KafkaError, UsageError } from './errors.ts'

const pbkdf2Async = promisify(pbkdf2)
/** Kafka's ConfigCommand.DefaultScramIterations. */
const DEFAULT_ITERATIONS = 4096

function help (): string {
  return [
    'Usage: samsa users [--bootstrap-server <host:port>] [--command-config <file>] <action> [options]',
    '',
    'Adds, deletes, lists and describes SCRAM users (SASL SCRAM-SHA-256 / SCRAM-SHA-512, and',
    'PLAIN on Samsa) on any Kafka-protocol broker, as kafka-configs.sh --entity-type users does.',
    'The password is salted here; the broker never receives it.',
    '',
    'Actions (exactly one):',
    '  --add <user>                        create the user or change its password',
    '  --delete <user>                     remove its credentials (every mechanism unless --mechanism)',
    '  --list                              the users that have a SCRAM credential',
    '  --describe [<user>]                 mechanisms and iterations of one user, or of every user',
    '',
    'Options:',
    '  --mechanism <SCRAM-SHA-256|SCRAM-SHA-512>  repeatable. Default for --add: both',
    '  --password <password>               the password (visible to other local users in ps: prefer',
    '                                      --password-file)',
    '  --password-file <file>              read the password from the file (one trailing newline',
    '                                      dropped); - reads it from stdin',
    `  --iterations <n>                    PBKDF2 iterations, ${SCRAM_MECHANISMS[0]!.minIterations}-${SCRAM_MAX_ITERATIONS}. Default: ${DEFAULT_ITERATIONS}`,
    ...COMMON_HELP,
    '',
    'Examples:',
    '  samsa users --add alice --password-file alice.pw',
    '  samsa users --add bob --mechanism SCRAM-SHA-512 --iterations 8192 --password-file bob.pw',
    '  samsa users --describe alice        # SCRAM credential configs for user-principal \'alice\' are …',
    '  samsa users --delete bob --mechanism SCRAM-SHA-512',
    '  samsa users --list --command-config admin.properties',
    '',
  ].join('\n')
}

export const usersCommand: AdminCommand = {
  name: 'users',
  options: {
    add: { kind: 'value' },
    delete: { kind: 'value' },
    list: { kind: 'flag' },
    describe: { kind: 'optional' },
    mechanism: { kind: 'value', multiple: true },
    password: { kind: 'value' },
    'password-file': { kind: 'value' },
    iterations: { kind: 'value' },
  },
  help,
  async run (ctx) {
    const action = ctx.args.action(['add', 'delete', 'list', 'describe'] as const)
    if (action === 'add') {
      ctx.args.only(action, ['mechanism', 'password', 'password-file', 'iterations'])
      return await add(ctx, userName(ctx.args, 'add'))
    }
    if (action === 'delete') {
      ctx.args.only(action, ['mechanism'])
      return await remove(ctx, userName(ctx.args, 'delete'))
    }
    ctx.args.only(action, [])
    if (action === 'list') return await list(ctx)
    const name = ctx.args.value('describe')
    return await describe(ctx, name === undefined || name === '' ? null : name)
  },
}

function userName (args: Args, option: string): string {
  const name = args.value(option)!
  if (name === '') throw new UsageError(`--${option} needs a user name`)
  return name
}

function mechanisms (args: Args): ScramMechanismInfo[] | null {
  const names = args.all('mechanism')
  if (names.length === 0) return null
  const out: ScramMechanismInfo[] = []
  for (const n of names) {
    const m = scramByName(n.toUpperCase())
    if (m === undefined) throw new UsageError(`Unknown --mechanism ${n}: expected ${SCRAM_MECHANISMS.map((x) => x.name).join(' or ')}`)
    if (!out.includes(m)) out.push(m)
  }
  return out
}

function password (args: Args): string {
  const inline = args.value('password')
  const file = args.value('password-file')
  if ((inline === undefined) === (file === undefined)) throw new UsageError('--add needs exactly one of --password and --password-file')
  let text: string
  if (file !== undefined) {
    try {
      text = readFileSync(file === '-' ? 0 : file, 'utf8').replace(/\r?\n$/, '')
    } catch (e) {
      throw new UsageError(`Cannot read --password-file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
    }
  } else {
    text = inline!
  }
  if (text === '') throw new UsageError('The password is empty')
  return text
}

async function add (ctx: CommandContext, user: string): Promise<number> {
  const mechs = mechanisms(ctx.args) ?? [...SCRAM_MECHANISMS]
  const iterations = ctx.args.int('iterations', SCRAM_MECHANISMS[0]!.minIterations, SCRAM_MAX_ITERATIONS) ?? DEFAULT_ITERATIONS
  const secret = Buffer.from(password(ctx.args), 'utf8')
  const client = await ctx.client()
  for (const m of mechs) {
    const salt = randomBytes(32)
    const saltedPassword = await pbkdf2Async(secret, salt, iterations, m.hashLength, m.hash)
    await client.alterUserScramCredentials([], [{ name: user, mechanism: m.type, iterations, salt, saltedPassword }])
  }
  ctx.out(`Completed updating config for user ${user}.`)
  return 0
}

async function remove (ctx: CommandContext, user: string): Promise<number> {
  const client = await ctx.client()
  let mechs = mechanisms(ctx.args)
  if (mechs === null) {
    const [found] = await client.describeUserScramCredentials([user])
    if (found === undefined) throw new AdminError(`The broker did not describe user ${user}`)
    if (found.errorCode !== 0) throw new KafkaError(found.errorCode, found.errorMessage)
    mechs = found.credentials.map((c) => scramByType(c.mechanism)).filter((m) => m !== undefined)
  }
  for (const m of mechs) await client.alterUserScramCredentials([{ name: user, mechanism: m.type }], [])
  ctx.out(`Completed updating config for user ${user}.`)
  return 0
}

async function list (ctx: CommandContext): Promise<number> {
  const client = await ctx.client()
  const users = await client.describeUserScramCredentials(null)
  for (const u of users.map((x) => x.user).sort()) ctx.out(u)
  return 0
}

function mechanismName (type: number): string {
  return scramByType(type)?.name ?? `UNKNOWN(${type})`
}

async function describe (ctx: CommandContext, user: string | null): Promise<number> {
  const client = await ctx.client()
  const results = await client.describeUserScramCredentials(user === null ? null : [user])
  for (const r of [...results].sort((a, b) => a.user < b.user ? -1 : a.user > b.user ? 1 : 0)) {
    if (r.errorCode !== 0) throw new KafkaError(r.errorCode, r.errorMessage)
    // Kafka's ConfigCommand line, word for word.
    const text = r.credentials.map((c) => `${mechanismName(c.mechanism)}=iterations=${c.iterations}`).join(', ')
    ctx.out(`SCRAM credential configs for user-principal '${r.user}' are ${text}`)
  }
  return 0
}
