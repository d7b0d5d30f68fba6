// Line buffer with indentation, for emitting readable generated code.
export class Code {
  lines: string[] = []
  private depth = 0

  line(s = ''): void {
    this.lines.push(s === '' ? '' : '  '.repeat(this.depth) + s)
  }

  open(s: string): void {
    this.line(s)
    this.depth++
  }

  // Closes one block and opens the next at the same level ("} else {").
  mid(s: string): void {
    this.depth--
    this.line(s)
    this.depth++
  }

  close(s = '}'): void {
    this.depth--
    this.line(s)
  }

  // Emits `yes` when cond holds and `no` otherwise, without an `if` when the
  // condition is a constant.
  branch(cond: string, yes: () => void, no?: () => void): void {
    if (cond === 'true') return yes()
    if (cond === 'false') return no?.()
    this.open(`if (${cond}) {`)
    yes()
    if (no !== undefined) {
      const mark = this.lines.length
      this.mid('} else {')
      no()
      // Nothing was emitted for the else branch: drop it.
      if (this.lines.length === mark + 1) this.lines.pop()
    }
    this.close()
  }

  toString(): string {
    return this.lines.join('\n') + '\n'
  }
}

// Picks between two expressions, folding constant conditions.
export function pick(cond: string, yes: string, no: string): string {
  if (cond === 'true') return yes
  if (cond === 'false') return no
  if (yes === no) return yes
  return `(${cond} ? ${yes} : ${no})`
}

export function not(cond: string): string {
  if (cond === 'true') return 'false'
  if (cond === 'false') return 'true'
  return `!(${cond})`
}

export function quote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}
