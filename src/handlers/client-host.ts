// Kafka reports a member's host as "/<ip>" (InetAddress.toString with no name).
export function clientHost(remote: string): string {
  const sep = remote.lastIndexOf(':')
  return `/${sep > 0 ? remote.slice(0, sep) : remote}`
}
