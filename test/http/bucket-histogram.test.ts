// BucketHistogram must be indistinguishable from prom-client's Histogram at scrape: the
// same observations give the same text (buckets cumulative, le labels, _sum, _count),
// boundary values land in the bucket whose bound equals them, and reset zeroes it.

import t from 'tap'
import { Histogram, Registry } from 'prom-client'
import { BucketHistogram } from '../../src/http/bucket-histogram.ts'

const buckets = [0.001, 0.01, 0.1, 1]
const values = [0, 0.0005, 0.001, 0.002, 0.01, 0.5, 1, 3, 1e9]

t.test('same text as prom-client for the same observations', async (t) => {
  const ours = new Registry()
  const theirs = new Registry()
  const h = new BucketHistogram({ name: 'h', help: 'help text', buckets, registers: [ours] })
  const p = new Histogram({ name: 'h', help: 'help text', labelNames: ['shard'], buckets, registers: [theirs] })
  const shard0 = h.child({ shard: '0' })
  const shard1 = h.child({ shard: '1' })
  values.forEach((v, i) => {
    ;(i % 3 === 1 ? shard1 : shard0)(v)
    p.observe({ shard: i % 3 === 1 ? '1' : '0' }, v)
  })
  // prom-client lists children in first-use order; ours in creation order: 0 first in both here.
  t.equal(await ours.metrics(), await theirs.metrics())
  t.match(await ours.metrics(), /h_bucket\{le="0\.001",shard="0"\} 2\n/, 'a value equal to a bound counts in that bucket')
})

t.test('an unlabelled child shows zeros before any observation; reset zeroes', async (t) => {
  const reg = new Registry()
  const h = new BucketHistogram({ name: 'u', help: 'x', buckets, registers: [reg] })
  const observe = h.child()
  t.match(await reg.metrics(), /u_bucket\{le="\+Inf"\} 0\nu_sum 0\nu_count 0/)
  observe(0.05)
  observe(5)
  t.match(await reg.metrics(), /u_bucket\{le="0\.1"\} 1\nu_bucket\{le="1"\} 1\nu_bucket\{le="\+Inf"\} 2\nu_sum 5\.05\nu_count 2/)
  reg.resetMetrics()
  t.match(await reg.metrics(), /u_count 0/)
})
