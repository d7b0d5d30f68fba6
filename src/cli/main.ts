import { realpathSync } from 'node:fs'
import type { BrokerOptions } from '../config/broker-options.ts'
import { ConfigError } from '../config/config-error.ts'
import { loadConfig } from '../config/load-config.ts'
import { isAdminCommand } from './admin/commands.ts'
import { bannerLines, type BannerBroker } from './banner.ts'
import { enableCompileCache } from './compile-cache.ts'
import { describeStartupError } from './startup-error.ts'
import { usage } from './usage.ts'
import { packageVersion } from './version.ts'

export interface CliRunningBroker extends BannerBroker {
  close(): Promise<void>
}

export type StartBrokerFn = (options: Partial<BrokerOptions>) => Promise<CliRunningBroker>

/** Subscribes to SIGINT/SIGTERM; returns the unsubscribe function. */
export type OnSignal = (handler: (signal: string) => void) => () => void

export interface CliIo {
  stdout: { write(chunk: string): unknown }
  stderr: { write(chunk: string): unknown }
  /** Defaults to the real broker, loaded lazily so help/version stay fast. */
  startBroker?: StartBrokerFn
  /** Defaults to process SIGINT/SIGTERM; tests inject their own. */
  onSignal?: OnSignal
  cwd?: string
  now?: () => number
}

const processSignals: OnSignal = (handler) => {
  process.on('SIGINT', handler)
  process.on('SIGTERM', handler)
  return () => {
    process.off('SIGINT', handler)
    process.off('SIGTERM', handler)
  }
}

const loadRealBroker: StartBrokerFn = async (options) => {
  const { startBroker } = await import('../broker.ts')
  return startBroker(options)
}

/**
 * Runs the CLI and resolves with the process exit code: 0 ok, 1 runtime
 * failure (or a second signal during shutdown), 2 bad configuration.
 * For `start` it resolves only once the broker has shut down.
 */
export async function runCli (argv: readonly string[], env: Readonly<Record<string, string | undefined>>, io: CliIo): Promise<number> {
  const now = io.now ?? (() => performance.now())
  const t0 = now()
  const out = (line: string): void => { io.stdout.write(`${line}\n`) }
  const err = (line: string): void => { io.stderr.write(`samsa: ${line}\n`) }

  // `samsa topics|configs|groups …`: the admin CLI, loaded only when used.
  if (isAdminCommand(argv[0])) {
    const { runAdmin } = await import('./admin/run.ts')
    return await runAdmin(argv[0], argv.slice(1), io)
  }

  let loaded: ReturnType<typeof loadConfig>
  try {
    loaded = loadConfig({ argv, env, cwd: io.cwd ?? process.cwd() })
  } catch (e) {
    if (e instanceof ConfigError) {
      err(e.message)
      return 2
    }
    throw e
  }
  for (const w of loaded.warnings) err(`warning: ${w}`)

  if (loaded.command === 'help') {
    io.stdout.write(usage())
    return 0
  }
  if (loaded.command === 'version') {
    out(packageVersion())
    return 0
  }

  const { options } = loaded
  const startBroker = io.startBroker ?? loadRealBroker
  const onSignal = io.onSignal ?? processSignals

  return await new Promise<number>((resolve) => {
    let broker: CliRunningBroker | undefined
    let stopRequested = false
    let settled = false
    const finish = (code: number): void => {
      if (settled) return
      settled = true
      unsubscribe()
      resolve(code)
    }

    const shutdown = (b: CliRunningBroker): void => {
      b.close().then(
        () => { out('stopped'); finish(0) },
        (e: unknown) => { err(`shutdown failed: ${e instanceof Error ? e.message : String(e)}`); finish(1) }
      )
    }

    const unsubscribe = onSignal((signal) => {
      if (stopRequested) {
        // The operator insists; close() may be stuck on I/O, so do not wait for it.
        err(`received ${signal} again during shutdown, exiting immediately`)
        finish(1)
        return
      }
      stopRequested = true
      out('shutting down…')
      if (broker !== undefined) shutdown(broker)
    })

    // Deferred so a synchronous throw from startBroker takes the same path as a rejection.
    Promise.resolve().then(() => startBroker(options)).then(
      (b) => {
        broker = b
        for (const line of bannerLines(b, options, packageVersion(), now() - t0)) out(line)
        // A signal that arrived during startup is honoured now that close() exists.
        if (stopRequested && !settled) shutdown(b)
      },
      (e: unknown) => {
        const { message, exitCode } = describeStartupError(e, options)
        err(message)
        if (e instanceof Error && e.stack !== undefined && (options.logLevel === 'debug' || options.logLevel === 'trace')) {
          io.stderr.write(`${e.stack}\n`)
        }
        finish(exitCode)
      }
    )
  })
}

/** Process entry: real stdio, real signals, real exit. */
export async function main (): Promise<void> {
  // Before the broker's modules load: they are imported lazily below, so all of them use it.
  enableCompileCache()
  const code = await runCli(process.argv.slice(2), process.env, { stdout: process.stdout, stderr: process.stderr })
  // Exit explicitly: after a forced second-signal exit, close() may still hold handles.
  process.exit(code)
}

function isEntryScript (): boolean {
  const entry = process.argv[1]
  if (entry === undefined) return false
  try {
    return realpathSync(entry) === realpathSync(import.meta.filename)
  } catch {
    return false
  }
}

if (isEntryScript()) await main()
