import type { BrokerOptions } from '../config/broker-options.ts'
import { ConfigError } from '../config/config-error.ts'
import { howToSet } from '../config/options-table.ts'

interface SystemError extends Error {
  code?: string
  syscall?: string
  address?: string
  port?: number
  path?: string
  hostname?: string
}

const NETWORK_SYSCALLS = new Set(['listen', 'bind', 'getaddrinfo'])

/** One line naming what to change, and the exit code (2 = bad config, 1 = runtime). */
export function describeStartupError (err: unknown, options: BrokerOptions): { message: string, exitCode: number } {
  if (err instanceof ConfigError) return { message: err.message, exitCode: 2 }
  const e = (err instanceof Error ? err : new Error(String(err))) as SystemError
  const host = e.address ?? options.host
  const port = e.port ?? options.port
  const network = e.syscall !== undefined && NETWORK_SYSCALLS.has(e.syscall)

  switch (e.code) {
    case 'EADDRINUSE':
      return fail(`port ${port} on ${host} is already in use (${howToSet('port')})`)
    case 'EADDRNOTAVAIL':
      return fail(`cannot listen on ${host}: no network interface has that address (${howToSet('host')})`)
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return fail(`cannot resolve host ${JSON.stringify(e.hostname ?? options.host)} (${howToSet('host')})`)
  }
  if (network && (e.code === 'EACCES' || e.code === 'EPERM')) {
    return fail(`permission denied listening on ${host}:${port}; ports below 1024 need extra privileges (${howToSet('port')})`)
  }
  if (e.path !== undefined && !options.memory) {
    const why = FS_REASONS[e.code ?? ''] ?? e.message
    return fail(`cannot use data directory ${options.dataDir}: ${why} (${e.path}) (${howToSet('dataDir')})`)
  }
  return fail(`failed to start: ${e.message}`)
}

const FS_REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  ENOTDIR: 'a path component is not a directory',
  EEXIST: 'a file is in the way'
}

function fail (message: string): { message: string, exitCode: number } {
  return { message, exitCode: 1 }
}
