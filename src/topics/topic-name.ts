// Kafka's topic name rules (Topic.validate): 1-249 characters of [a-zA-Z0-9._-],
// not "." or "..". Names that differ only by '.' versus '_' collide in metric names,
// so Kafka refuses the second one; so do we.

const legal = /^[a-zA-Z0-9._-]+$/
export const MAX_TOPIC_NAME_LENGTH = 249

export function topicNameProblem(name: string | null | undefined): string | null {
  if (name === null || name === undefined || name.length === 0) return 'Topic name is empty'
  if (name === '.' || name === '..') return `Topic name cannot be "${name}"`
  if (name.length > MAX_TOPIC_NAME_LENGTH) return `Topic name is longer than ${MAX_TOPIC_NAME_LENGTH} characters`
  if (!legal.test(name)) return `Topic name "${name}" is illegal: it contains a character other than ASCII alphanumerics, '.', '_' and '-'`
  return null
}

export function collisionKey(name: string): string {
  return name.replaceAll('.', '_')
}
