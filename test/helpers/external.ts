// Running the Debian-packaged clients (kcat, Python confluent-kafka, kafka-python) from
// tests. They come from apt (see .ci/run), so they use the system python, not a pyenv.

import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'

export const systemPython = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3'

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

export function run(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as NodeJS.ErrnoException).code === 'number' ? ((err as any).code as number) : 1
      resolve({ code, stdout, stderr })
    })
    if (opts.input !== undefined) child.stdin!.end(opts.input)
    else child.stdin?.end()
  })
}

export function lastJsonLine(out: string): any {
  const lines = out.trim().split('\n').filter((l) => l.startsWith('{'))
  if (lines.length === 0) throw new Error(`no JSON line in output:\n${out}`)
  return JSON.parse(lines[lines.length - 1]!)
}
