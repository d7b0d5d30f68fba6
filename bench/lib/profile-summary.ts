// Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time per function and per
// file, heaviest first, so a hot path can be read in a terminal without DevTools.
// Usage: node bench/lib/profile-summary.ts <file.cpuprofile> [top=25]

import { readFileSync } from 'node:fs'

interface Node {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
interface Profile {
  nodes: Node[]
  samples: number[]
  timeDeltas: number[]
  startTime: number
  endTime: number
}

export function summarise(profile: Profile, top = 25): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<number, number>()
  for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i]!, (self.get(profile.samples[i]!) ?? 0) + (profile.timeDeltas[i] ?? 0))
  const total = profile.endTime - profile.startTime
  const fn = new Map<string, number>()
  for (const [id, us] of self) {
    const n = byId.get(id)!
    const file = n.callFrame.url.replace(/^.*\/(work\/main|node_modules)\//, '$1/')
    const key = `${n.callFrame.functionName || '(anonymous)'} ${file}:${n.callFrame.lineNumber + 1}`
    fn.set(key, (fn.get(key) ?? 0) + us)
  }
  const lines = [...fn].sort((a, b) => b[1] - a[1]).slice(0, top)
  return [`total ${(total / 1000).toFixed(0)} ms`, ...lines.map(([k, us]) => `${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`)].join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2]
  if (file === undefined) {
    process.stderr.write('usage: profile-summary.ts <file.cpuprofile> [top]\n')
    process.exit(2)
  }
  process.stdout.write(`${summarise(JSON.parse(readFileSync(file, 'utf8')) as Profile, Number(process.argv[3] ?? 25))}\n`)
}
