// The listening socket and the set of live connections. Graceful close stops accepting,
// lets every connection finish its in-flight requests, then ends them.

import { createServer, type Server, type Socket } from 'node:net'
import { Connection } from './connection.ts'
import type { BrokerContext } from '../broker-context.ts'

export class KafkaServer {
  private readonly server: Server
  private readonly connections = new Set<Connection>()
  private nextId = 1

  constructor(broker: BrokerContext) {
    this.server = createServer({ noDelay: true }, (socket: Socket) => {
      const conn = new Connection(this.nextId++, socket, broker)
      this.connections.add(conn)
      socket.on('close', () => this.connections.delete(conn))
    })
  }

  listen(host: string, port: number): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err)
      this.server.once('error', onError)
      this.server.listen({ host, port, exclusive: true }, () => {
        this.server.off('error', onError)
        const addr = this.server.address()
        if (addr === null || typeof addr === 'string') return reject(new Error('server has no TCP address'))
        resolve({ host: addr.address, port: addr.port })
      })
    })
  }

  get connectionCount(): number {
    return this.connections.size
  }

  /** Connections that stopped reading because they have the most requests outstanding a connection may have. */
  get connectionsAtRequestLimit(): number {
    let n = 0
    for (const c of this.connections) if (c.atRequestLimit) n++
    return n
  }

  async close(): Promise<void> {
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()))
    await Promise.all([...this.connections].map((c) => c.drain()))
    await stopped
  }
}
