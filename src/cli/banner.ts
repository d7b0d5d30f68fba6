import type { BrokerOptions } from '../config/broker-options.ts'

export interface BannerBroker {
  host: string
  port: number
  advertisedHost: string
  advertisedPort: number
  dataDir: string | null
  nodeId: number
  clusterId: string
  /** The HTTP listener's port, null (or absent) when there is none. */
  httpPort?: number | null
}

function hostPort (host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}

/** The human-readable startup summary (logs are JSON; this is for the terminal). */
export function bannerLines (b: BannerBroker, options: BrokerOptions, version: string, readyMs: number): string[] {
  const fsync = b.dataDir === null
    ? 'fsync n/a (memory)'
    : options.fsync === 'interval' ? `fsync interval (${options.fsyncIntervalMs} ms)` : `fsync ${options.fsync}`
  return [
    `samsa ${version} (node ${[process.version, ...process.execArgv].join(' ')}) node ${b.nodeId}, cluster ${b.clusterId}`,
    `listening on ${hostPort(b.host, b.port)} (advertised as ${hostPort(b.advertisedHost, b.advertisedPort)})`,
    ...(b.httpPort === null || b.httpPort === undefined ? [] : [`http on ${hostPort(b.host, b.httpPort)} (/metrics, /healthz, /readyz)`]),
    b.dataDir === null ? 'data in memory (not persisted)' : `data in ${b.dataDir}`,
    `${fsync}, ${options.shards} shard${options.shards === 1 ? '' : 's'}`,
    `ready in ${Math.round(readyMs)} ms`
  ]
}
