// Brokers for tests: in-process (startBroker, memory or a temp dir) or as a child
// process running the real CLI (for restarts and kill -9).

import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startBroker, type RunningBroker } from '../../src/broker.ts'
import type { BrokerOptions } from '../../src/config/broker-options.ts'

interface Teardown {
  teardown(fn: () => unknown): void
}

export const repoRoot = new URL('../..', import.meta.url).pathname

export async function memoryBroker(t: Teardown, options: Partial<BrokerOptions> = {}): Promise<RunningBroker> {
  const broker = await startBroker({ host: '127.0.0.1', port: 0, memory: true, shards: 2, logLevel: 'silent', ...options })
  t.teardown(() => broker.close())
  return broker
}

export function tempDir(t: Teardown, prefix = 'samsa-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

export interface ChildBroker {
  child: ChildProcess
  port: number
  output: () => string
  exited: Promise<number | null>
}

/**
 * Runs `samsa start` in a child process and waits for its ready line. The port is
 * ephemeral unless `port` is given (a restart on the same address, for clients that
 * reconnect across it).
 */
export async function spawnBroker(args: string[], env: Record<string, string> = {}, port = 0): Promise<ChildBroker> {
  // Many brokers run at once in the suite: no HTTP listener (default 8080) unless asked for.
  const http = args.some((a) => a.startsWith('--http-port')) ? [] : ['--http-port=-1']
  const child = spawn(process.execPath, [join(repoRoot, 'src/cli/main.ts'), 'start', '--host', '127.0.0.1', '--port', String(port), '--log-level', 'warn', ...http, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const listening = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`broker did not become ready:\n${out}`)), 20_000)
    const onData = (d: Buffer): void => {
      out += d.toString()
      const m = /listening on [^\s]+:(\d+)/.exec(out)
      if (m && /ready in/.test(out)) {
        clearTimeout(timer)
        resolve(Number(m[1]))
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()))
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`broker exited with ${code} before ready:\n${out}`))
    })
  })
  return { child, port: listening, output: () => out, exited }
}
