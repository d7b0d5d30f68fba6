#!/usr/bin/env node
// Plain JS so it runs before any TypeScript support is known to exist: the
// published package runs the compiled dist/, a git checkout runs src/ directly
// through Node's type stripping.
import { existsSync } from 'node:fs'

const major = Number(process.versions.node.split('.')[0])
if (major < 24) {
  process.stderr.write(`samsa: Node.js 24 or newer is required (this is ${process.version})\n`)
  process.exit(1)
}

const dist = new URL('../dist/src/cli/main.js', import.meta.url)
const entry = existsSync(dist) ? dist : new URL('../src/cli/main.ts', import.meta.url)
const { main } = await import(entry.href)
await main()
