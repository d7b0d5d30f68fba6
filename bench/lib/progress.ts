// The live progress line: rewritten in place on a terminal, and on anything else (CI
// logs, pipes) printed at most every few seconds so the log stays readable.

const isTty = process.stderr.isTTY === true

export class Progress {
  private current = ''
  private lastPrinted = 0
  private readonly started = performance.now()
  private phase = ''

  /** Starts a named step; the elapsed time of the whole run is shown with it. */
  step(name: string): void {
    this.phase = name
    this.update('')
  }

  update(detail: string): void {
    const t = ((performance.now() - this.started) / 1000).toFixed(0).padStart(4)
    const line = `[${t}s] ${this.phase}${detail === '' ? '' : ` · ${detail}`}`
    if (isTty) {
      const cols = process.stderr.columns ?? 120
      const shown = line.length > cols - 1 ? line.slice(0, cols - 1) : line
      process.stderr.write(`\r${shown}${' '.repeat(Math.max(0, this.current.length - shown.length))}`)
      this.current = shown
    } else {
      const now = performance.now()
      if (detail === '' || now - this.lastPrinted > 5000) {
        process.stderr.write(`${line}\n`)
        this.lastPrinted = now
      }
    }
  }

  /** A finished result line that stays on screen. */
  log(line: string): void {
    if (isTty && this.current !== '') {
      process.stderr.write(`\r${' '.repeat(this.current.length)}\r`)
      this.current = ''
    }
    process.stderr.write(`${line}\n`)
  }

  done(): void {
    if (isTty && this.current !== '') process.stderr.write('\n')
    this.current = ''
  }
}

/** A progress sink that prints nothing (tests, library use). */
export const silentProgress = { step(): void {}, update(): void {}, log(): void {}, done(): void {} }
export type ProgressSink = Pick<Progress, 'step' | 'update' | 'log' | 'done'>

export function fmtMB(bytesPerSec: number): string {
  return `${(bytesPerSec / 1e6).toFixed(0)} MB/s`
}
