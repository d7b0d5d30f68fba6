// The broker's catalogue of topics: names, ids, partition counts and explicitly set
// configs. Owns the file `<data-dir>/samsa-topics.meta` (a versioned, checksummed
// metadata file written temp-then-rename), which is rewritten on every create or
// delete before the change is acknowledged. Lives on the main thread; the shard workers
// only ever see the resolved LogConfig that travels with each operation.

import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import type { FileIO } from '../../storage/file-io.ts'
import { readMetadataFile, writeMetadataFile } from '../../storage/metadata-file.ts'
import { defaultLogConfig, parseTopicConfigs, type LogConfig } from '../../storage/log-config.ts'
import { collisionKey } from './topic-name.ts'

export interface TopicInfo {
  name: string
  id: string
  partitions: number
  configs: Record<string, string>
  internal: boolean
  logConfig: LogConfig
}

interface StoredTopic {
  name: string
  id: string
  partitions: number
  configs: Record<string, string>
  internal: boolean
}

interface StoredCatalogue {
  topics: StoredTopic[]
}

export const TOPICS_FILE = 'samsa-topics.meta'

export function newTopicId(): string {
  let id: Buffer
  do id = randomBytes(16)
  while (id.every((b) => b === 0))
  return id.toString('base64url')
}

export class TopicRegistry {
  readonly byName = new Map<string, TopicInfo>()
  readonly byId = new Map<string, TopicInfo>()
  private readonly collisions = new Map<string, string>()
  private readonly io: FileIO | null
  private readonly file: string | null
  private brokerDefaults: LogConfig
  /** The broker-level defaults by topic config name (static ones merged with dynamic ones). */
  private brokerDefaultEntries: Record<string, string>

  /** `io`/`dataDir` null: memory mode, nothing is persisted. */
  constructor(io: FileIO | null, dataDir: string | null, brokerDefaults: Record<string, string>) {
    this.io = io
    this.file = dataDir === null ? null : join(dataDir, TOPICS_FILE)
    const parsed = parseTopicConfigs(brokerDefaults)
    if ('error' in parsed) throw new Error(`Invalid broker log default: ${parsed.message}`)
    this.brokerDefaults = { ...defaultLogConfig, ...parsed.config }
    this.brokerDefaultEntries = { ...brokerDefaults }
  }

  /** The broker-level default of each topic config that has one, by topic config name. */
  get defaults(): Readonly<Record<string, string>> {
    return this.brokerDefaultEntries
  }

  /**
   * Replaces the broker-level defaults (a dynamic broker config changed) and re-resolves
   * every topic's LogConfig; returns the topics whose LogConfig changed.
   */
  setBrokerDefaults(defaults: Record<string, string>): TopicInfo[] {
    const parsed = parseTopicConfigs(defaults)
    if ('error' in parsed) throw new Error(`Invalid broker log default: ${parsed.message}`)
    this.brokerDefaults = { ...defaultLogConfig, ...parsed.config }
    this.brokerDefaultEntries = { ...defaults }
    const changed: TopicInfo[] = []
    for (const t of this.byName.values()) {
      const next = this.resolveConfigOrDefault(t.configs)
      if (JSON.stringify(next) !== JSON.stringify(t.logConfig)) {
        t.logConfig = next
        changed.push(t)
      }
    }
    return changed
  }

  /**
   * Replaces a topic's explicit configs (validated by the caller) and rewrites the
   * catalogue; if that write fails, nothing changes.
   */
  alter(name: string, configs: Record<string, string>): TopicInfo {
    const t = this.byName.get(name)
    if (t === undefined) throw new Error(`unknown topic ${name}`)
    const resolved = this.resolveConfig(configs)
    if ('error' in resolved) throw new Error(resolved.message)
    const before = { configs: t.configs, logConfig: t.logConfig }
    t.configs = { ...configs }
    t.logConfig = resolved.config
    try {
      this.persist()
    } catch (err) {
      t.configs = before.configs
      t.logConfig = before.logConfig
      throw err
    }
    return t
  }

  load(): void {
    if (this.io === null || this.file === null) return
    const stored = readMetadataFile(this.io, this.file) as StoredCatalogue | undefined
    if (stored === undefined) return
    for (const t of stored.topics) this.add(t)
  }

  resolveConfig(configs: Record<string, string>): { config: LogConfig } | { error: number; message: string } {
    const parsed = parseTopicConfigs(configs)
    if ('error' in parsed) return { error: 40, message: parsed.message }
    return { config: { ...this.brokerDefaults, ...parsed.config } }
  }

  /** The LogConfig a topic with these configs would get; defaults if they are invalid. */
  resolveConfigOrDefault(configs: Record<string, string>): LogConfig {
    const resolved = this.resolveConfig(configs)
    return 'error' in resolved ? this.brokerDefaults : resolved.config
  }

  collidesWith(name: string): string | undefined {
    const other = this.collisions.get(collisionKey(name))
    return other !== undefined && other !== name ? other : undefined
  }

  /** Adds a topic and rewrites the catalogue; if that write fails, the topic is not added. */
  create(name: string, partitions: number, configs: Record<string, string>, internal = false): TopicInfo {
    const info = this.add({ name, id: newTopicId(), partitions, configs, internal })
    try {
      this.persist()
    } catch (err) {
      this.forget(name)
      throw err
    }
    return info
  }

  /** Removes a topic from memory only; persist() writes the catalogue (deletion writes it once the data is gone). */
  forget(name: string): TopicInfo | undefined {
    const info = this.byName.get(name)
    if (info === undefined) return undefined
    this.byName.delete(name)
    this.byId.delete(info.id)
    this.collisions.delete(collisionKey(name))
    return info
  }

  get(name: string): TopicInfo | undefined {
    return this.byName.get(name)
  }

  all(): IterableIterator<TopicInfo> {
    return this.byName.values()
  }

  private add(t: StoredTopic): TopicInfo {
    const resolved = this.resolveConfig(t.configs)
    if ('error' in resolved) throw new Error(`Topic ${t.name} in ${this.file}: ${resolved.message}`)
    const info: TopicInfo = { ...t, logConfig: resolved.config }
    this.byName.set(t.name, info)
    this.byId.set(t.id, info)
    this.collisions.set(collisionKey(t.name), t.name)
    return info
  }

  /** Rewrites the catalogue file (temp, fsync, rename) from memory. */
  persist(): void {
    if (this.io === null || this.file === null) return
    const topics: StoredTopic[] = []
    for (const t of this.byName.values()) topics.push({ name: t.name, id: t.id, partitions: t.partitions, configs: t.configs, internal: t.internal })
    writeMetadataFile(this.io, this.file, { topics } satisfies StoredCatalogue)
  }
}
