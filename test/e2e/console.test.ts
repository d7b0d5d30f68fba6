// The web console in a real Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core): create topics, produce a record and find it in the message browser,
// watch a group's lag fall while a kafkajs consumer works through it (the chart and the
// numbers come from polling the JSON API every second), reset the group's offsets once
// it is empty, and replay a dead-letter topic into its source topic. Screenshots of each
// step go to test-artifacts/console/.

import t from 'tap'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { startBroker } from '../../src/broker.ts'
import { kafkaClient } from '../helpers/kafkajs-fetch.ts'
import { repoRoot } from '../helpers/broker.ts'

const CHROMIUM = '/usr/bin/chromium'
const ARTIFACTS = join(repoRoot, 'test-artifacts', 'console')

if (!existsSync(CHROMIUM)) {
  t.plan(0, `skip: ${CHROMIUM} not found (install Debian's chromium package to run the console test)`)
} else {
  t.test('the console, end to end in Chromium', async (t) => {
    const { chromium } = await import('playwright-core')
    mkdirSync(ARTIFACTS, { recursive: true })
    const broker = await startBroker({ host: '127.0.0.1', port: 0, httpPort: 0, memory: true, shards: 2, logLevel: 'silent', offsetsTopicNumPartitions: 2 })
    t.teardown(() => broker.close())
    const base = `http://127.0.0.1:${broker.httpPort}`
    const api = async (path: string): Promise<any> => (await fetch(`${base}/v3/clusters/${broker.clusterId}${path}`)).json()

    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] })
    t.teardown(() => browser.close())
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } })
    page.setDefaultTimeout(15_000)
    const problems: string[] = []
    // The group page polls a group before it exists: Chromium logs that expected 404 as an error.
    page.on('console', (m) => { if (m.type() === 'error' && !/status of 404/.test(m.text())) problems.push(`console: ${m.text()}`) })
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`))
    // Navigating away aborts a poll in flight (ERR_ABORTED); anything else is a problem.
    page.on('requestfailed', (r) => { if (r.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`) })
    const started = Date.now()
    const shot = async (name: string) => {
      await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true })
      t.comment(`${name} at ${((Date.now() - started) / 1000).toFixed(1)} s`)
    }
    const go = async (hash: string) => {
      await page.goto(`${base}/${hash}`)
      await page.waitForSelector('body[data-ready="true"]')
    }

    const kafka = kafkaClient(broker.port, 'console-test')
    const producer = kafka.producer()
    await producer.connect()
    t.teardown(() => producer.disconnect())

    // ---- topics: create two through the form ----
    await go('#/topics')
    const createTopic = async (name: string, partitions: number, configs: string) => {
      await page.fill('#new-topic-name', name)
      await page.fill('#new-topic-partitions', String(partitions))
      await page.fill('#new-topic-configs', configs)
      await page.click('#create-topic')
      await page.waitForSelector(`#topics-table tr[data-topic="${name}"]`)
    }
    await createTopic('orders', 2, 'retention.ms=86400000')
    await createTopic('orders.DLQ', 1, '')
    t.match(await api('/topics/orders'), { partitions_count: 2 }, 'topic created from the console')
    t.equal((await api('/topics/orders/configs/retention.ms')).value, '86400000', 'with its config')
    await shot('01-topics')

    // ---- a topic's page: produce a record, change a config ----
    await page.click('#topics-table a[href="#/topics/orders"]')
    await page.waitForSelector('#partitions-table')
    await page.waitForSelector('#produce-partition option[value="0"]', { state: 'attached' })
    await page.selectOption('#produce-partition', '0')
    await page.fill('#produce-key', 'order-42')
    await page.fill('#produce-value', '{"item": "book", "qty": 2}')
    await page.fill('#produce-headers', 'source=console')
    await page.click('#produce-button')
    await page.waitForSelector('#produce-result[data-offset="0"][data-partition="0"]')
    t.match(await page.textContent('#produce-result'), /Produced to partition 0 at offset 0/, 'produced from the console')
    await page.fill('input[data-config="retention.ms"]', '172800000')
    await page.click('button[data-save="retention.ms"]')
    // The Reset button was already there (the topic was created with retention.ms), so the
    // save is awaited through the API itself, within a bound.
    let retention = ''
    for (let i = 0; i < 100 && retention !== '172800000'; i++) {
      retention = (await api('/topics/orders/configs/retention.ms')).value
      if (retention !== '172800000') await page.waitForTimeout(100)
    }
    t.equal(retention, '172800000', 'config changed from the console')
    await page.waitForSelector('#partitions-table tr[data-partition="0"] td:nth-child(3):text("1")')
    await shot('02-topic')

    // ---- the message browser finds the record ----
    await page.click('a[href="#/messages/orders"]')
    const row = page.locator('#messages-table tr[data-partition="0"][data-offset="0"]')
    await row.waitFor()
    const text = await row.textContent()
    t.match(text, /order-42/, 'the key')
    t.match(text, /"item": "book"/, 'the JSON value')
    t.match(text, /source=console/, 'the header')
    await page.selectOption('#msg-partition', '0')
    await page.selectOption('#msg-mode', 'offset')
    await page.fill('#msg-offset', '0')
    await page.selectOption('#msg-value-format', 'hex')
    await page.click('#msg-load')
    await page.waitForSelector('#msg-status:text("from partition 0")')
    t.match(await row.textContent(), new RegExp(Buffer.from('{"item":"book","qty":2}').toString('hex')), 'the value as hex')
    await shot('03-messages')

    // ---- a group: created by an offset reset, then its lag falls as a consumer works ----
    for (let i = 0; i < 30; i++) await producer.send({ topic: 'orders', messages: Array.from({ length: 10 }, (_, j) => ({ key: `k${i}-${j}`, value: `order ${i * 10 + j}`, partition: i % 2 })) })
    await go('#/groups/billing')
    await page.waitForSelector('#group-state:text("NOT FOUND")')
    await page.waitForSelector('#reset-topic option[value="orders"]', { state: 'attached' })
    await page.selectOption('#reset-topic', 'orders')
    await page.selectOption('#reset-strategy', 'earliest')
    await page.click('#reset-apply')
    await page.waitForSelector('#total-lag[data-lag="301"]')
    await page.waitForSelector('#group-state:text("EMPTY")')
    t.pass('a reset on a group that does not exist yet creates it with lag 301')
    await shot('04-group-created')

    const consumer = kafka.consumer({ groupId: 'billing', maxWaitTimeInMs: 100, maxBytesPerPartition: 600 })
    await consumer.connect()
    await consumer.subscribe({ topic: 'orders' })
    let consumed = 0
    await consumer.run({
      eachMessage: async () => {
        consumed++
        await new Promise((resolve) => setTimeout(resolve, 10))
      },
    })
    let consumerRunning = true
    t.teardown(() => (consumerRunning ? consumer.disconnect() : undefined))
    await page.waitForSelector('#group-state:text("STABLE")', { timeout: 20_000 })
    t.ok(await page.isDisabled('#reset-apply'), 'no reset while the group has members')
    t.match(await page.textContent('#reset-note'), /only while the group has no members/)
    // Functions given to waitForFunction run in the page (the project has no DOM types, hence globalThis).
    await page.waitForFunction(() => {
      const lag = Number((globalThis as any).document.getElementById('total-lag')?.getAttribute('data-lag'))
      return lag > 0 && lag < 301
    }, null, { timeout: 20_000 })
    t.pass('the lag is seen falling (between 301 and 0)')
    await page.waitForSelector('#total-lag[data-lag="0"]', { timeout: 30_000 })
    t.equal(consumed, 301, 'the consumer read every record')
    const points = async (series: string): Promise<number[]> => {
      const raw = await page.getAttribute(`#lag-chart polyline[data-series="${series}"]`, 'points')
      return (raw ?? '').trim().split(/\s+/).map((p) => Number(p.split(',')[1]))
    }
    for (const series of ['orders-0', 'orders-1']) {
      const ys = await points(series)
      t.ok(ys.length >= 3, `${series}: the chart has ${ys.length} samples`)
      t.ok(ys[ys.length - 1]! > ys[0]!, `${series}: its line ends lower than it started (lag fell)`)
    }
    await shot('05-group-lag-fell')

    // ---- reset its offsets once it is empty again ----
    await consumer.disconnect()
    consumerRunning = false
    await page.waitForSelector('#group-state:text("EMPTY")', { timeout: 20_000 })
    await page.waitForSelector('#reset-apply:not([disabled])')
    await page.selectOption('#reset-topic', 'orders')
    await page.selectOption('#reset-strategy', 'offset')
    await page.fill('#reset-value', '100')
    await page.click('#reset-preview')
    await page.waitForSelector('#reset-result h2:text("Preview")')
    t.equal((await api('/consumer-groups/billing/lag-summary')).total_lag, 0, 'a preview changes nothing')
    await page.click('#reset-apply')
    await page.waitForSelector('#reset-result h2:text("Offsets reset")')
    await page.waitForSelector('#total-lag[data-lag="101"]')
    t.same((await api('/consumer-groups/billing/lags')).data.map((x: any) => [x.partition_id, x.current_offset, x.lag]), [[0, 100, 51], [1, 100, 50]], 'offsets reset to 100: lag 101')
    await shot('06-group-reset')

    // ---- replay a dead-letter topic into its source topic ----
    await producer.send({
      topic: 'orders.DLQ',
      messages: [0, 1, 2].map((i) => ({
        key: `dead-${i}`, value: JSON.stringify({ order: i, qty: -1 }),
        headers: { '__connect.errors.topic': 'orders', '__connect.errors.partition': '1', '__connect.errors.exception.message': `bad qty in order ${i}` },
      })),
    })
    await go('#/replay')
    await page.waitForSelector('#replay-topic option[value="orders.DLQ"]', { state: 'attached' })
    // Dead-letter-looking topics come first, so it is already chosen; choosing it again would reload the range.
    if (await page.inputValue('#replay-topic') !== 'orders.DLQ') await page.selectOption('#replay-topic', 'orders.DLQ')
    await page.waitForSelector('#replay-info:text("holds offsets 0 to 2")')
    await page.fill('#replay-from', '0')
    await page.fill('#replay-to', '1')
    await page.click('#replay-load')
    await page.waitForSelector('#replay-records-table tr[data-offset="1"]')
    t.equal(await page.locator('#replay-records-table tbody tr').count(), 2, 'the chosen range is shown')
    await page.click('#replay-preview')
    await page.waitForSelector('#replay-summary:text("Preview: 2 record(s)")')
    t.equal((await api('/topics/orders/partitions/1')).log_end_offset, 150, 'a preview writes nothing')
    await page.click('#replay-run')
    await page.waitForSelector('#replay-summary[data-replayed="2"]')
    const replayed = await api('/topics/orders/partitions/1/records?offset=150')
    t.same(replayed.data.map((m: any) => [m.key.data, m.value.data, Object.fromEntries(m.headers.map((h: any) => [h.name, h.text]))]), [0, 1].map((i) => [
      `dead-${i}`, { order: i, qty: -1 },
      { '__connect.errors.topic': 'orders', '__connect.errors.partition': '1', '__connect.errors.exception.message': `bad qty in order ${i}` },
    ]), 'records 0-1 replayed into orders-1 with key, value and headers kept')
    await shot('07-replay')
    await go('#/messages/orders')
    await page.waitForSelector('#msg-partition option[value="1"]', { state: 'attached' })
    await page.selectOption('#msg-partition', '1')
    await page.fill('#msg-limit', '5')
    await page.click('#msg-load')
    await page.waitForSelector('#messages-table tr[data-partition="1"][data-offset="151"]')
    t.match(await page.textContent('#messages-table tr[data-offset="151"]'), /bad qty in order 1/, 'the replayed record in the browser, headers included')
    await shot('08-messages-after-replay')

    // ---- the overview: throughput from the metrics registry ----
    await go('#/overview')
    await page.waitForSelector('#overview-topics')
    let producing = true
    const load = (async () => {
      for (let i = 0; producing && i < 100; i++) {
        await producer.send({ topic: 'orders', messages: Array.from({ length: 20 }, (_, j) => ({ value: `load ${i}-${j}` })) })
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    })()
    await page.waitForFunction(() => /^[1-9]/.test((globalThis as any).document.getElementById('ov-msg-in')?.textContent ?? ''), null, { timeout: 15_000 })
    // A few samples on the chart before the screenshot.
    await page.waitForFunction(() => ((globalThis as any).document.querySelector('#throughput-chart polyline')?.getAttribute('points') ?? '').trim().split(/\s+/).length >= 3, null, { timeout: 15_000 })
    producing = false
    await load
    t.equal(await page.textContent('#ov-topics'), '2', 'topics counted')
    t.equal(await page.textContent('#ov-groups'), '1', 'groups counted')
    t.ok(await page.locator('#throughput-chart polyline').count() >= 1, 'throughput chart drawn')
    t.match(await page.textContent('#ov-msg-in'), /msg\/s/, 'messages in per second shown')
    await shot('00-overview')

    // ---- delete a topic (two clicks) ----
    await go('#/topics')
    await page.waitForSelector('button[data-delete="orders.DLQ"]')
    await page.click('button[data-delete="orders.DLQ"]')
    await page.click('button[data-delete="orders.DLQ"]')
    await page.waitForSelector('#topics-table tr[data-topic="orders.DLQ"]', { state: 'detached' })
    t.equal((await fetch(`${base}/v3/clusters/${broker.clusterId}/topics/orders.DLQ`)).status, 404, 'deleted from the console')
    await shot('09-topic-deleted')

    t.same(problems, [], 'no script errors, failed requests or CSP violations in the browser')
  })
}
