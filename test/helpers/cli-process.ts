// A `samsa start` run as its own process: wait for the "ready in" line, send SIGTERM, wait
// for the exit. Killed with SIGKILL after `timeoutMs`, or at teardown if still running.

import { spawn } from 'node:child_process'

interface Teardown {
  teardown(fn: () => void): void
}

export interface CliRun {
  /** The "ready in" line arrived (SIGTERM was sent then); false if it exited before. */
  ready: boolean
  code: number | null
  out: string
  err: string
}

export async function startThenStop(t: Teardown, command: string, args: string[], opts: { cwd: string; env?: Record<string, string | undefined>; timeoutMs?: number }): Promise<CliRun> {
  const child = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => { out += d })
  child.stderr.on('data', (d: Buffer) => { err += d })
  let running = true
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => { running = false; resolve(code) }))
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000)
  t.teardown(() => { clearTimeout(timer); if (running) child.kill('SIGKILL') })
  while (running && !out.includes('ready in')) await new Promise((r) => setTimeout(r, 20))
  const ready = out.includes('ready in')
  if (running) child.kill('SIGTERM')
  const code = await exited
  clearTimeout(timer)
  return { ready, code, out, err }
}
