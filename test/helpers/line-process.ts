// A child process that talks in JSON lines: the test reads its events as they come (to act
// mid-run, e.g. kill it while it is processing a message) and may send it commands on stdin.

import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { repoRoot } from './broker.ts'
import { systemPython } from './external.ts'

interface Teardown {
  teardown(fn: () => unknown): void
}

export type JsonEvent = Record<string, any> & { event: string }

export class LineProcess {
  readonly child: ChildProcess
  readonly events: JsonEvent[] = []
  readonly exited: Promise<number | null>
  private stdoutBuf = ''
  stderr = ''
  exitCode: number | null | undefined = undefined

  constructor(cmd: string, args: string[], env: Record<string, string> = {}) {
    this.child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] })
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => {
        this.exitCode = code ?? (signal !== null ? -1 : null)
        resolve(this.exitCode)
      }),
    )
    this.child.stdin!.on('error', () => {})
    this.child.stdout!.on('data', (d: Buffer) => {
      this.stdoutBuf += d.toString()
      let nl: number
      while ((nl = this.stdoutBuf.indexOf('\n')) >= 0) {
        const line = this.stdoutBuf.slice(0, nl).trim()
        this.stdoutBuf = this.stdoutBuf.slice(nl + 1)
        if (!line.startsWith('{')) continue
        try {
          this.events.push(JSON.parse(line) as JsonEvent)
        } catch {
          // not one of ours
        }
      }
    })
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()))
  }

  get running(): boolean {
    return this.exitCode === undefined
  }

  of(event: string): JsonEvent[] {
    return this.events.filter((e) => e.event === event)
  }

  /** Waits for an event matching `pred` (searching from index `from`); throws on exit or timeout. */
  async waitEvent(pred: (e: JsonEvent) => boolean, what: string, timeoutMs = 30_000, from = 0): Promise<JsonEvent> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const hit = this.events.slice(from).find(pred)
      if (hit !== undefined) return hit
      if (!this.running) throw new Error(`process exited (${this.exitCode}) before ${what}\nstderr:\n${this.stderr.slice(-3000)}`)
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\nstderr:\n${this.stderr.slice(-3000)}\nlast events: ${JSON.stringify(this.events.slice(-5))}`)
      await new Promise((r) => setTimeout(r, 25))
    }
  }

  send(command: string): void {
    this.child.stdin!.write(command + '\n')
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.running) this.child.kill(signal)
  }

  /** Sends `command` and waits (bounded) for exit; kills it if it does not exit in time. */
  async stop(command = 'close', timeoutMs = 20_000): Promise<number | null> {
    if (!this.running) return this.exitCode ?? null
    this.send(command)
    const timer = setTimeout(() => this.kill(), timeoutMs)
    const code = await this.exited
    clearTimeout(timer)
    return code
  }
}

/** Runs a helper TypeScript script (under test/helpers) with this Node. */
export function nodeScript(t: Teardown, script: string, config: unknown): LineProcess {
  const p = new LineProcess(process.execPath, [join(repoRoot, 'test/helpers', script), JSON.stringify(config)])
  t.teardown(() => p.kill())
  return p
}

/** Runs a Python script from test/e2e/python with Debian's python3. */
export function pythonScript(t: Teardown, script: string, args: string[]): LineProcess {
  const p = new LineProcess(systemPython, ['-u', join(repoRoot, 'test/e2e/python', script), ...args])
  t.teardown(() => p.kill())
  return p
}
