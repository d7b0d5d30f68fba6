// The ACLs of this broker (Kafka keeps them as metadata records; a single node keeps
// them in `<data-dir>/samsa-acls.meta`, Samsa's metadata format, rewritten
// temp-fsync-rename before a CreateAcls or DeleteAcls is answered). Memory mode keeps
// them in memory only. Creating an ACL that exists already is a no-op, as in Kafka.

import { join } from 'node:path'
import { readMetadataFile, writeMetadataFile } from '../../storage/metadata-file.ts'
import type { FileIO } from '../../storage/file-io.ts'
import { filterMatches, sameAcl, type AclBinding, type AclFilter } from './acl-types.ts'

export const ACLS_FILE = 'samsa-acls.meta'

interface StoredFile {
  acls: AclBinding[]
}

export class AclStore {
  private acls: AclBinding[] = []
  private readonly io: FileIO | null
  private readonly file: string | null
  /** Bumped by every change: lets callers cache per-resource answers. */
  version = 0

  constructor(io: FileIO | null, dataDir: string | null) {
    this.io = io
    this.file = dataDir === null ? null : join(dataDir, ACLS_FILE)
  }

  load(): void {
    if (this.io === null || this.file === null) return
    const stored = readMetadataFile(this.io, this.file) as StoredFile | undefined
    if (stored === undefined) return
    this.acls = stored.acls.map((a) => ({ ...a }))
    this.version++
  }

  get size(): number {
    return this.acls.length
  }

  all(): readonly AclBinding[] {
    return this.acls
  }

  /** ACLs of one resource type (the authorizer scans these). */
  ofType(resourceType: number): AclBinding[] {
    return this.acls.filter((a) => a.resourceType === resourceType)
  }

  matching(filter: AclFilter): AclBinding[] {
    return this.acls.filter((a) => filterMatches(filter, a))
  }

  /** Adds the ACLs not already present; persisted before returning, nothing changes if the write fails. */
  add(acls: AclBinding[]): void {
    const next = [...this.acls]
    for (const a of acls) if (!next.some((b) => sameAcl(a, b))) next.push({ ...a })
    this.replace(next)
  }

  /** Removes every ACL one of the filters matches; returns what each filter matched. */
  remove(filters: AclFilter[]): AclBinding[][] {
    const matched = filters.map((f) => this.matching(f))
    const gone = new Set(matched.flat())
    if (gone.size > 0) this.replace(this.acls.filter((a) => !gone.has(a)))
    return matched
  }

  private replace(next: AclBinding[]): void {
    if (this.io !== null && this.file !== null) writeMetadataFile(this.io, this.file, { acls: next } satisfies StoredFile)
    this.acls = next
    this.version++
  }
}
