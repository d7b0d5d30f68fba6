// The data directory's identity files. `meta.properties` is Kafka's format (cluster.id,
// node.id, version) so the directory says which cluster and node it belongs to; a node
// id that disagrees is refused rather than silently serving someone else's data.
// `samsa.pid` keeps two brokers from opening the same directory (Node has no flock).

import { existsSync, mkdirSync, readFileSync, writeFileSync, unlinkSync, renameSync } from 'node:fs'
import { join } from 'node:path'

export class DataDirError extends Error {}

export function readOrCreateMetaProperties(dataDir: string, nodeId: number, clusterIdOverride: string | undefined, newId: () => string): { clusterId: string; created: boolean } {
  const file = join(dataDir, 'meta.properties')
  if (existsSync(file)) {
    const props = new Map<string, string>()
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const t = line.trim()
      if (t === '' || t.startsWith('#')) continue
      const eq = t.indexOf('=')
      if (eq > 0) props.set(t.slice(0, eq).trim(), t.slice(eq + 1).trim())
    }
    const clusterId = props.get('cluster.id')
    const storedNode = props.get('node.id')
    if (clusterId === undefined || clusterId === '') throw new DataDirError(`${file}: no cluster.id`)
    if (storedNode !== undefined && Number(storedNode) !== nodeId) {
      throw new DataDirError(`${file} belongs to node.id ${storedNode}, but this broker is node ${nodeId} (--node-id / SAMSA_NODE_ID)`)
    }
    if (clusterIdOverride !== undefined && clusterIdOverride !== clusterId) {
      throw new DataDirError(`${file} belongs to cluster ${clusterId}, but the configured cluster id is ${clusterIdOverride} (SAMSA_CLUSTER_ID)`)
    }
    return { clusterId, created: false }
  }
  const clusterId = clusterIdOverride ?? newId()
  const tmp = `${file}.tmp`
  writeFileSync(tmp, `#\n#${new Date().toUTCString()}\ncluster.id=${clusterId}\nnode.id=${nodeId}\nversion=1\n`)
  renameSync(tmp, file)
  return { clusterId, created: true }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Claims the directory for this process; returns the release function. */
export function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true })
  const file = join(dataDir, 'samsa.pid')
  if (existsSync(file)) {
    const pid = Number(readFileSync(file, 'utf8').trim())
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
      throw new DataDirError(`data directory ${dataDir} is in use by another broker (pid ${pid}, see ${file})`)
    }
  }
  writeFileSync(file, `${process.pid}\n`)
  return () => {
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file)
    } catch {
      // already gone
    }
  }
}
