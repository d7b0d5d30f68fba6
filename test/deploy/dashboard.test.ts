// deploy/: the Grafana dashboard only queries series a running broker really exports,
// and the Prometheus scrape config points at the port the image exposes. (No Docker
// engine runs here, so compose itself is not started; its pieces are checked instead.)

import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { startBroker } from '../../src/broker.ts'
import { repoRoot } from '../helpers/broker.ts'
import { kafkaClient } from '../helpers/kafkajs-fetch.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { batchOf, produce } from '../helpers/wire-requests.ts'

const dashboard = JSON.parse(readFileSync(join(repoRoot, 'deploy/grafana/dashboards/samsa.json'), 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> }

// PromQL functions and keywords the expressions use; everything else that looks like a name is a series.
const NOT_SERIES = new Set(['sum', 'by', 'rate', 'histogram_quantile', 'le', 'topic', 'request', 'error', 'consumergroup', 'partition', 'group', 'label_values'])

function seriesIn(expr: string): string[] {
  const withoutLabels = expr.replace(/\{[^}]*\}/g, '').replace(/\[[^\]]*\]/g, '')
  return (withoutLabels.match(/[a-z_][a-z0-9_]*/g) ?? []).filter((w) => !NOT_SERIES.has(w) && w.includes('_'))
}

t.test('every series the dashboard queries is exported by a broker under load', async (t) => {
  const broker = await startBroker({ host: '127.0.0.1', port: 0, httpPort: 0, memory: true, shards: 2, logLevel: 'silent', offsetsTopicNumPartitions: 2 })
  t.teardown(() => broker.close())
  const kafka = kafkaClient(broker.port)
  const admin = kafka.admin()
  await admin.connect()
  t.teardown(() => admin.disconnect())
  await admin.createTopics({ topics: [{ topic: 'dash', numPartitions: 1 }] })
  const c = await RawClient.connect(broker.port)
  t.teardown(() => c.close())
  t.equal((await produce(c, 'dash', 0, batchOf(['a', 'b']))).errorCode, 0)
  t.not((await produce(c, 'dash', 7, batchOf(['x']))).errorCode, 0, 'an error, so the error series exists')
  await admin.setOffsets({ groupId: 'dash-readers', topic: 'dash', partitions: [{ partition: 0, offset: '1' }] })

  const text = await (await fetch(`http://127.0.0.1:${broker.httpPort}/metrics`)).text()
  const exported = new Set(text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(l)?.[0] ?? ''))
  let checked = 0
  for (const p of dashboard.panels) {
    for (const target of p.targets) {
      for (const name of seriesIn(target.expr)) {
        t.ok(exported.has(name), `${p.title}: ${name} is exported`)
        checked++
      }
    }
  }
  t.ok(checked >= 11, `${checked} series references checked`)
})

t.test('the scrape config targets the HTTP port the image exposes', async (t) => {
  const prometheus = readFileSync(join(repoRoot, 'deploy/prometheus.yml'), 'utf8')
  const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8')
  const compose = readFileSync(join(repoRoot, 'deploy/compose.yaml'), 'utf8')
  const target = /targets:\s*\["samsa:(\d+)"\]/.exec(prometheus)?.[1]
  t.equal(target, '8080', 'Prometheus scrapes samsa:8080')
  t.match(dockerfile, /^EXPOSE .*\b8080\b/m, 'the image exposes 8080')
  t.match(compose, /"8080:8080"/, 'compose publishes it')
  t.match(prometheus, /metrics_path: \/metrics/)
})
