// Facts about the machine and the software a result was measured with, recorded in every
// result file so figures from different machines can be read side by side.

import { cpus, totalmem, release, platform, arch, loadavg } from 'node:os'
import { readFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { repoRoot } from './proc.ts'

export interface MachineFacts {
  cpuModel: string
  cpus: number
  memoryBytes: number
  os: string
  kernel: string
  arch: string
  loadAverageAtStart: number[]
  /** Filesystem type of the directory the broker's data went to. */
  dataFilesystem: string
}

export interface Versions {
  samsa: string
  node: string
  v8: string
  gitCommit: string
  gitDirty: boolean
  kafkajs: string | null
  librdkafka: string | null
}

function tryRun(cmd: string, args: string[]): string | null {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return null
  }
}

export function machineFacts(dataDir: string): MachineFacts {
  const c = cpus()
  let os = `${platform()}`
  try {
    const m = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))
    if (m !== null) os = m[1]!
  } catch {
    // not Linux
  }
  const fs = tryRun('stat', ['-f', '-c', '%T', dataDir]) ?? 'unknown'
  return { cpuModel: c[0]?.model ?? 'unknown', cpus: c.length, memoryBytes: totalmem(), os, kernel: release(), arch: arch(), loadAverageAtStart: loadavg(), dataFilesystem: fs }
}

function packageVersionOf(name: string): string | null {
  try {
    return (JSON.parse(readFileSync(`${repoRoot}/node_modules/${name}/package.json`, 'utf8')) as { version: string }).version
  } catch {
    return null
  }
}

export function versions(): Versions {
  const pkg = JSON.parse(readFileSync(`${repoRoot}/package.json`, 'utf8')) as { version: string }
  const commit = tryRun('git', ['-C', repoRoot, 'rev-parse', '--short', 'HEAD']) ?? 'unknown'
  const dirty = (tryRun('git', ['-C', repoRoot, 'status', '--porcelain', '--', 'src', 'storage', 'protocol']) ?? '') !== ''
  const rd = tryRun('/usr/bin/python3', ['-c', 'import confluent_kafka; print(confluent_kafka.libversion()[0])'])
  return { samsa: pkg.version, node: process.versions.node, v8: process.versions.v8, gitCommit: commit, gitDirty: dirty, kafkajs: packageVersionOf('kafkajs'), librdkafka: rd }
}
