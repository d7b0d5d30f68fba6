// The markdown report of a run: machine and versions, targets, every figure with its
// durability settings and its same-run baseline.

import type { RunResults, ResultRow } from '../lib/result.ts'
import { fmt } from '../lib/result.ts'

function ratioText(r: ResultRow): string {
  if (r.ratio === null || r.baseline === null) return ''
  return r.ratioKind === 'times-baseline' ? `${fmt(r.ratio)}× ${r.baseline.name}` : `${fmt(r.ratio * 100)} % of ${r.baseline.name}`
}

function durabilityText(r: ResultRow): string {
  const d = r.durability
  const parts: string[] = []
  if (d.acks !== null) parts.push(`acks=${d.acks === -1 ? 'all' : d.acks}`)
  if (d.fsync !== 'n/a') parts.push(`fsync=${d.fsync}`)
  if (d.storage !== 'n/a') parts.push(d.storage)
  return parts.join(', ')
}

const KEY_METRICS = ['recordsPerSec', 'messagesPerSec', 'p50Ms', 'p999Ms', 'p99RequestMs', 'brokerCores', 'clientCores', 'ratioToPageCacheWrite', 'cliReportedReadyMs']

function metricsText(r: ResultRow): string {
  const out: string[] = []
  for (const k of KEY_METRICS) {
    const v = r.metrics[k]
    if (typeof v === 'number') out.push(`${k} ${k === 'ratioToPageCacheWrite' ? `${fmt(v * 100)} %` : fmt(v)}`)
  }
  return out.join('; ')
}

export function markdown(run: RunResults): string {
  const m = run.machine
  const v = run.versions
  const lines: string[] = []
  lines.push(`# Samsa benchmark (${run.mode})`, '')
  lines.push(`\`${run.command}\`, ${run.startedAt}, ${fmt(run.durationMs / 1000)} s.`, '')
  lines.push(`Machine: ${m.cpus} × ${m.cpuModel}, ${fmt(m.memoryBytes / 1024 ** 3)} GiB, ${m.os}, Linux ${m.kernel}, data on ${m.dataFilesystem}; load average at start ${m.loadAverageAtStart.map((x) => x.toFixed(2)).join(' ')}.`)
  lines.push(`Versions: samsa ${v.samsa} (${v.gitCommit}${v.gitDirty ? ', uncommitted changes' : ''}), Node ${v.node}, kafkajs ${v.kafkajs ?? 'n/a'}, librdkafka ${v.librdkafka ?? 'n/a'}.`, '')
  if (run.targets.length > 0) {
    lines.push('## Targets', '', '| target | measured | verdict |', '|---|---|---|')
    for (const t of run.targets) lines.push(`| ${t.target} | ${t.measured}${t.note !== '' ? ` (${t.note})` : ''} | ${t.met === null ? 'n/a' : t.met ? 'met' : '**missed**'} |`)
    lines.push('')
  }
  lines.push('## Results', '', '| figure | value | vs same-run baseline | durability | other figures | CPU used by others |', '|---|---|---|---|---|---|')
  for (const r of run.results) {
    lines.push(`| ${r.title} | ${fmt(r.value)} ${r.unit} | ${ratioText(r)} | ${durabilityText(r)} | ${metricsText(r)} | ${r.backgroundCores === null ? '' : `${fmt(r.backgroundCores)} cores`} |`)
  }
  lines.push('', '## Baselines', '', '| baseline | value | settings |', '|---|---|---|')
  for (const b of run.baselines) lines.push(`| ${b.title} | ${fmt(b.value)} ${b.unit} | ${Object.entries(b.settings).map(([k, x]) => `${k} ${String(x)}`).join(', ')} |`)
  if (run.series.length > 0) lines.push('', `Scaling curves: [scaling-${run.mode}.svg](scaling-${run.mode}.svg).`)
  if (run.notes.length > 0) lines.push('', '## Notes', '', ...run.notes.map((n) => `- ${n}`))
  lines.push('')
  return lines.join('\n')
}
