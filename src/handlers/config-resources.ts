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
