// The raw TCP baselines' far end, run as its own process so it has its own CPU like the
// broker: `sink` reads and discards everything a connection sends (what the network path
// allows for produce); `source <file>` writes the frame stored in <file> over and over
// to every connection until it closes (what the network path allows for fetch).
// Prints `port N` once listening.

import { createServer, type Socket } from 'node:net'
import { readFileSync } from 'node:fs'

const mode = process.argv[2]
const frameFile = process.argv[3]

function sink(socket: Socket): void {
  socket.on('data', () => {})
}

function source(socket: Socket, frame: Buffer): void {
  let open = true
  socket.on('close', () => (open = false))
  const pump = (): void => {
    while (open) {
      if (!socket.write(frame)) {
        socket.once('drain', pump)
        return
      }
    }
  }
  pump()
}

if (mode !== 'sink' && mode !== 'source') {
  process.stderr.write('usage: tcp-peer.ts sink | source <frame-file>\n')
  process.exit(2)
}
const frame = mode === 'source' ? readFileSync(frameFile!) : Buffer.alloc(0)
const server = createServer({ noDelay: true }, (socket) => {
  socket.on('error', () => {})
  if (mode === 'sink') sink(socket)
  else source(socket, frame)
})
server.listen({ host: '127.0.0.1', port: 0 }, () => {
  const addr = server.address()
  if (addr !== null && typeof addr === 'object') process.stdout.write(`port ${addr.port}\n`)
})
process.on('SIGTERM', () => process.exit(0))
