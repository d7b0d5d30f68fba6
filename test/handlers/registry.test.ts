// What ApiVersions advertises is exactly the registered handlers, each within the range
// Kafka's schemas define, and every advertised version of every API can be decoded.

import t from 'tap'
import { handlers } from '../../src/handlers/registry.ts'
import { apiTable } from '../../protocol/messages/api-table.ts'
import { apiMessages } from '../../protocol/messages/index.ts'
import { Reader } from '../../protocol/wire/reader.ts'
import { Writer } from '../../protocol/wire/writer.ts'
import { memoryBroker } from '../helpers/broker.ts'
import { RawClient } from '../helpers/raw-client.ts'

t.test('every handler stays inside its schema range and decodes every advertised version', async (t) => {
  const keys = new Set<number>()
  for (const h of handlers) {
    t.notOk(keys.has(h.apiKey), `${h.name}: registered once`)
    keys.add(h.apiKey)
    const facts = apiTable[h.apiKey]!
    t.equal(facts.name, h.name, `key ${h.apiKey} is ${facts.name}`)
    t.ok(h.minVersion >= facts.minVersion && h.maxVersion <= facts.maxVersion, `${h.name} ${h.minVersion}-${h.maxVersion} within ${facts.minVersion}-${facts.maxVersion}`)
    for (let v = h.minVersion; v <= h.maxVersion; v++) {
      const w = new Writer()
      apiMessages[h.apiKey]!.encodeRequest(w, v, apiMessages[h.apiKey]!.defaultRequest() as never)
      t.doesNotThrow(() => h.decode(new Reader(w.toBuffer()), v), `${h.name} v${v} request decodes`)
    }
  }
})

t.test('ApiVersions lists exactly the registered handlers', async (t) => {
  const broker = await memoryBroker(t)
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  for (const version of [0, 3, 4]) {
    const res = await c.request(18, version, { clientSoftwareName: 'samsa-test', clientSoftwareVersion: '1.0' })
    t.equal(res.errorCode, 0)
    const listed = res.apiKeys.map((k: { apiKey: number; minVersion: number; maxVersion: number }) => `${k.apiKey}:${k.minVersion}-${k.maxVersion}`).sort()
    const registered = handlers.map((h) => `${h.apiKey}:${h.minVersion}-${h.maxVersion}`).sort()
    t.same(listed, registered, `v${version}`)
  }
  const bad = await c.request(18, 3, { clientSoftwareName: '-bad name', clientSoftwareVersion: '1.0' })
  t.equal(bad.errorCode, 42, 'an illegal client software name is INVALID_REQUEST')
})

t.test('the README\'s API table lists exactly what ApiVersions advertises', async (t) => {
  const { readFileSync } = await import('node:fs')
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
  const section = readme.slice(readme.indexOf('| API (key) |'))
  const rows = section.slice(0, section.indexOf('\n\n')).split('\n').slice(2)
  const documented: string[] = []
  for (const row of rows) {
    const [apis, versions] = row.split('|').slice(1, 3).map((c) => c.trim())
    const names = apis!.split(' / ')
    // "0-11 listed, 3-11 served": the advertised range comes first.
    const ranges = versions!.split(' / ').map((v) => v.split(' ')[0]!)
    t.equal(names.length, ranges.length, `row "${apis}" gives one range per API`)
    names.forEach((n, i) => {
      const m = /^(\w+) \((\d+)\)$/.exec(n)
      t.ok(m, `"${n}" reads as Name (key)`)
      const [min, max = min] = ranges[i]!.split('-')
      documented.push(`${m![2]}:${m![1]}:${min}-${max}`)
    })
  }
  t.same(documented.sort(), handlers.map((h) => `${h.apiKey}:${h.name}:${h.minVersion}-${h.maxVersion}`).sort())
})

// What ApiVersions advertises must be served: every version of every listed API gets an
// answer the client can decode at that version (not a closed connection), even for a
// request made of defaults. A range wider than what a handler can encode fails here.
t.test('every advertised version of every API is answered', async (t) => {
  const broker = await memoryBroker(t)
  for (const h of handlers) {
    for (let v = h.minVersion; v <= h.maxVersion; v++) {
      const c = await RawClient.connect(broker.port)
      const req = apiMessages[h.apiKey]!.defaultRequest() as Record<string, unknown>
      // Long polls and produce acks=0 (no answer by design) are kept out of a default request.
      if (h.apiKey === 0) req.acks = 1
      if (h.apiKey === 1) req.maxWaitMs = 0
      let answered = false
      try {
        const res = await c.request(h.apiKey, v, req)
        answered = res !== null && typeof res === 'object'
      } catch (err) {
        t.comment(`${h.name} v${v}: ${(err as Error).message}`)
      }
      t.ok(answered, `${h.name} v${v} is answered and decodes`)
      c.close()
    }
  }
})
