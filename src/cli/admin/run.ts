// `samsa topics|configs|groups|users …`: parses the command line, connects lazily to the
// bootstrap server, runs the command, and turns failures into one line on stderr and
// an exit code (0 ok, 1 the cluster refused or could not be reached, 2 bad usage).

import { AdminClient } from './admin-client.ts'
import { Args, parseAdminArgs } from './args.ts'
import { COMMON_OPTIONS, DEFAULT_BOOTSTRAP, DEFAULT_TIMEOUT_MS, type AdminCommand, type AdminIo, type CommandContext } from './common.ts'
import { AdminError, UsageError } from './errors.ts'
import { parseBootstrap } from './kafka-connection.ts'
import { configsCommand } from './configs.ts'
import { groupsCommand } from './groups.ts'
import { topicsCommand } from './topics.ts'
import { usersCommand } from './users.ts'
import { loadCommandConfig } from './client-config.ts'

const COMMANDS: Readonly<Record<string, AdminCommand>> = {
  topics: topicsCommand,
  configs: configsCommand,
  groups: groupsCommand,
  users: usersCommand,
}

export async function runAdmin (name: string, argv: readonly string[], io: AdminIo): Promise<number> {
  const command = COMMANDS[name]
  if (command === undefined) throw new Error(`not an admin command: ${name}`)
  let client: Promise<AdminClient> | undefined
  try {
    const parsed = parseAdminArgs(argv, { ...COMMON_OPTIONS, ...command.options })
    if (parsed.help) {
      io.stdout.write(command.help())
      return 0
    }
    const args = new Args(parsed)
    const servers = parseBootstrap(args.value('bootstrap-server') ?? DEFAULT_BOOTSTRAP)
    const timeoutMs = args.int('timeout', 1, 2_147_483_647) ?? DEFAULT_TIMEOUT_MS
    const commandConfig = args.value('command-config')
    const security = commandConfig === undefined ? undefined : loadCommandConfig(commandConfig, (line) => { io.stderr.write(`${line}\n`) })
    const ctx: CommandContext = {
      args,
      out: (line) => { io.stdout.write(`${line}\n`) },
      note: (line) => { io.stderr.write(`${line}\n`) },
      client: () => (client ??= AdminClient.connect(servers, security === undefined ? { timeoutMs } : { timeoutMs, security })),
    }
    return await command.run(ctx)
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`samsa ${name}: ${e.message} (see samsa ${name} --help)\n`)
      return 2
    }
    if (e instanceof AdminError) {
      io.stderr.write(`Error: ${e.message}\n`)
      return 1
    }
    io.stderr.write(`Error: unexpected failure: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
    return 1
  } finally {
    if (client !== undefined) await client.then((c) => c.close(), () => {})
  }
}
