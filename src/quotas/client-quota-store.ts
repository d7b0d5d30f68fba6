// The client quotas of this broker: entity → {key: value}. Kafka keeps them as
// ClientQuotaRecords in the metadata log; a single node keeps them in
// `<data-dir>/samsa-client-quotas.meta` (Samsa's metadata format), rewritten
// temp-fsync-rename before an AlterClientQuotas is answered, and applied to the quota
// managers only once written. Memory mode keeps them in memory only.

import { join } from 'node:path'
import { readMetadataFile, writeMetadataFile } from '../../storage/metadata-file.ts'
import type { FileIO } from '../../storage/file-io.ts'
import { ErrorCode } from '../../protocol/error-codes.ts'
import { entityKey, entityProblem, entityText, filterMatches, valueProblem, type QuotaEntity, type QuotaFilter } from './quota-entity.ts'

export const CLIENT_QUOTAS_FILE = 'samsa-client-quotas.meta'

interface StoredEntry {
  entity: Array<[string, string | null]>
  values: Record<string, number>
}

interface StoredFile {
  entries: StoredEntry[]
}

interface Entry {
  entity: QuotaEntity
  values: Map<string, number>
}

export interface QuotaOp {
  key: string
  value: number
  remove: boolean
}

export interface QuotaAlteration {
  entity: QuotaEntity
  ops: QuotaOp[]
}

export interface AlterOutcome {
  entity: QuotaEntity
  errorCode: number
  errorMessage: string | null
}

/** A change to one key of one entity: the value, or null when removed. */
export type QuotaChangeListener = (entity: QuotaEntity, key: string, value: number | null) => void

interface Change {
  key: string
  entity: QuotaEntity
  quota: string
  value: number | null
}

export class ClientQuotaStore {
  private readonly entries = new Map<string, Entry>()
  private readonly io: FileIO | null
  private readonly file: string | null
  private readonly listeners: QuotaChangeListener[] = []

  constructor(io: FileIO | null, dataDir: string | null) {
    this.io = io
    this.file = dataDir === null ? null : join(dataDir, CLIENT_QUOTAS_FILE)
  }

  onChange(listener: QuotaChangeListener): void {
    this.listeners.push(listener)
  }

  load(): void {
    if (this.io === null || this.file === null) return
    const stored = readMetadataFile(this.io, this.file) as StoredFile | undefined
    if (stored === undefined) return
    for (const e of stored.entries) {
      const entity: QuotaEntity = new Map(e.entity)
      const values = new Map(Object.entries(e.values))
      this.entries.set(entityKey(entity), { entity, values })
      for (const [key, value] of values) this.notify(entity, key, value)
    }
  }

  get size(): number {
    return this.entries.size
  }

  /** ClientQuotasImage.describe once the filter is valid: every entity it matches, with its values. */
  describe(filter: QuotaFilter): Array<{ entity: QuotaEntity; values: Map<string, number> }> {
    const out: Array<{ entity: QuotaEntity; values: Map<string, number> }> = []
    for (const e of this.entries.values()) if (filterMatches(filter, e.entity)) out.push({ entity: e.entity, values: e.values })
    return out
  }

  /**
   * ClientQuotaControlManager.alterClientQuotas: each entity is checked on its own and its
   * changes kept only if all of its ops are valid; then, unless validateOnly, every kept
   * change is written and applied at once. One outcome per distinct entity, as Kafka's
   * response is built from a map: an entity named twice, or an entity with a key named
   * twice, ends as "Ignoring duplicate entity" (the first copy's changes still apply,
   * as in Kafka).
   */
  alter(alterations: QuotaAlteration[], validateOnly: boolean): AlterOutcome[] {
    const outcomes = new Map<string, AlterOutcome>()
    const changes: Change[] = []
    for (const a of alterations) {
      const key = entityKey(a.entity)
      const wanted = new Map<string, number | null>()
      for (const op of a.ops) {
        if (wanted.has(op.key)) {
          outcomes.set(key, { entity: a.entity, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Duplicate quota key ${op.key} not updating quota for this entity ${entityText(a.entity)}` })
        } else {
          wanted.set(op.key, op.remove ? null : op.value)
        }
      }
      if (outcomes.has(key)) {
        outcomes.set(key, { entity: a.entity, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Ignoring duplicate entity ${entityText(a.entity)}` })
        continue
      }
      outcomes.set(key, this.check(key, a.entity, wanted, changes))
    }
    if (!validateOnly && changes.length > 0) this.apply(changes)
    return [...outcomes.values()]
  }

  private check(key: string, entity: QuotaEntity, wanted: Map<string, number | null>, changes: Change[]): AlterOutcome {
    const problem = entityProblem(entity)
    if (problem !== null) return { entity, errorCode: problem.errorCode, errorMessage: problem.message }
    const current = this.entries.get(key)?.values
    const mine: Change[] = []
    for (const [quota, value] of wanted) {
      if (value === null) {
        if (current?.has(quota) === true) mine.push({ key, entity, quota, value: null })
        continue
      }
      const bad = valueProblem(quota, value)
      if (bad !== null) return { entity, errorCode: bad.errorCode, errorMessage: bad.message }
      if (current?.get(quota) !== value) mine.push({ key, entity, quota, value })
    }
    changes.push(...mine)
    return { entity, errorCode: ErrorCode.NONE, errorMessage: null }
  }

  private apply(changes: Change[]): void {
    const next = new Map<string, Entry>()
    for (const [k, e] of this.entries) next.set(k, { entity: e.entity, values: new Map(e.values) })
    for (const c of changes) {
      let e = next.get(c.key)
      if (e === undefined) {
        e = { entity: c.entity, values: new Map() }
        next.set(c.key, e)
      }
      if (c.value === null) e.values.delete(c.quota)
      else e.values.set(c.quota, c.value)
      if (e.values.size === 0) next.delete(c.key)
    }
    if (this.io !== null && this.file !== null) {
      const stored: StoredFile = { entries: [...next.values()].map((e) => ({ entity: [...e.entity], values: Object.fromEntries(e.values) })) }
      writeMetadataFile(this.io, this.file, stored)
    }
    this.entries.clear()
    for (const [k, e] of next) this.entries.set(k, e)
    for (const c of changes) this.notify(c.entity, c.quota, c.value)
  }

  private notify(entity: QuotaEntity, key: string, value: number | null): void {
    for (const l of this.listeners) l(entity, key, value)
  }
}
