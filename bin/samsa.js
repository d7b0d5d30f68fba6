#!/usr/bin/env -S node --max-semi-space-size=4
// --max-semi-space-size=4 (MB; Node's default lets V8 grow each of the young generation's
// semi-spaces to 16 MB on 64-bit): under sustained produce the broker allocates many
// short-lived objects per request, and the smaller young generation stays in the CPU's
// caches. Measured (docs/performance.md, "Young generation"): less CPU per MB produced
// and ~50 MB less RSS under load. The same flag is on `npm start` and the image's
// entrypoint, and the bench kit starts brokers with it.
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
