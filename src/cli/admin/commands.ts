// The admin subcommands, known to the entry point without loading them.

export const ADMIN_COMMANDS = ['topics', 'configs', 'groups', 'users'] as const

export function isAdminCommand (name: string | undefined): name is typeof ADMIN_COMMANDS[number] {
  return name !== undefined && (ADMIN_COMMANDS as readonly string[]).includes(name)
}
