import { ErrorCode } from '../../protocol/error-codes.ts'
import type { ConfigChange, ConfigManager } from '../configs/config-manager.ts'

// A resource named twice in one (Incremental)AlterConfigs request is refused (Kafka
// answers INVALID_REQUEST for each copy rather than applying either).

export function duplicateResources(resources: ReadonlyArray<{ resourceType: number; resourceName: string }>): Set<string> {
  const seen = new Set<string>()
  const dup = new Set<string>()
  for (const r of resources) {
    const key = `${r.resourceType}:${r.resourceName}`
    if (seen.has(key)) dup.add(key)
    seen.add(key)
  }
  return dup
}

/**
 * Applies (Incremental)AlterConfigs resource by resource, in order; a resource named twice
 * is refused instead of applied. `changes` turns one resource's entries into changes.
 */
export async function alterResources<R extends { resourceType: number; resourceName: string }>(
  configs: ConfigManager, resources: readonly R[], changes: (r: R) => ConfigChange[], replace: boolean, validateOnly: boolean,
  /** The authorization error for a resource (NONE when allowed), checked after duplicates as Kafka's controller does. */
  denied: (r: R) => number = () => ErrorCode.NONE,
): Promise<Array<{ errorCode: number; errorMessage: string | null; resourceType: number; resourceName: string }>> {
  const duplicates = duplicateResources(resources)
  const responses = []
  for (const r of resources) {
    const refused = duplicates.has(`${r.resourceType}:${r.resourceName}`) ? ErrorCode.INVALID_REQUEST : denied(r)
    const outcome = refused === ErrorCode.INVALID_REQUEST
      ? { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Error due to duplicate resources' }
      : refused !== ErrorCode.NONE
        ? { errorCode: refused, errorMessage: null }
        : await configs.alter(r.resourceType, r.resourceName, changes(r), replace, validateOnly)
    responses.push({ ...outcome, resourceType: r.resourceType, resourceName: r.resourceName })
  }
  return responses
}
