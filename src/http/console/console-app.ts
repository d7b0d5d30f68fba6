// @ts-nocheck -- browser code: the project compiles without DOM types, so this file is
// not type-checked (tsc still parses it, so syntax errors fail the build).
//
// The web console's script. console-routes.ts serves `(${consoleApp.toString()})()`,
// so everything lives inside this one function and uses only what a browser has: no
// imports, no libraries. It talks to the JSON admin API under /v3 (same origin) and
// redraws live views every second: the overview's throughput (rates from the metrics
// counters in /overview), the topic list and a group's lag per partition, drawn as SVG.

export function consoleApp() {
  const SVG_NS = 'http://www.w3.org/2000/svg'
  const SVG_TAGS = new Set(['svg', 'polyline', 'line', 'text', 'rect', 'g', 'circle', 'title'])
  const COLORS = ['#2f6fde', '#d9480f', '#2b8a3e', '#ae3ec9', '#e8590c', '#1098ad', '#c2255c', '#5c940d', '#f08c00', '#495057']
  const main = document.getElementById('main')
  const state = { clusterId: null, timers: [], generation: 0 }

  // ---- helpers ----

  function h(tag, attrs, ...children) {
    const svg = SVG_TAGS.has(tag)
    const el = svg ? document.createElementNS(SVG_NS, tag) : document.createElement(tag)
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v)
      else if (!svg && (k === 'value' || k === 'checked' || k === 'disabled' || k === 'selected')) el[k] = v
      else el.setAttribute(k, v === true ? '' : String(v))
    }
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue
      el.append(c instanceof Node ? c : String(c))
    }
    return el
  }

  const $ = (sel) => document.querySelector(sel)
  const enc = encodeURIComponent

  async function api(method, path, body) {
    const init = { method, headers: {} }
    if (body !== undefined) {
      init.headers['content-type'] = 'application/json'
      init.body = JSON.stringify(body)
    }
    const res = await fetch('/v3/clusters/' + enc(state.clusterId) + path, init)
    if (res.status === 204) return null
    const data = await res.json().catch(() => null)
    if (!res.ok) {
      const err = new Error(data && data.message ? data.message : 'HTTP ' + res.status)
      err.status = res.status
      err.code = data && data.error_code
      throw err
    }
    return data
  }

  let toastTimer = null
  function toast(message, isError) {
    const t = $('#toast')
    t.textContent = message
    t.className = 'toast show' + (isError ? ' error' : '')
    clearTimeout(toastTimer)
    toastTimer = setTimeout(() => (t.className = 'toast'), isError ? 6000 : 3000)
  }

  /** Runs fn now and every `ms` until the page changes; errors show once, then quietly retry. */
  function every(ms, fn) {
    const gen = state.generation
    let failing = false
    const tick = async () => {
      if (gen !== state.generation) return
      try {
        await fn()
        failing = false
      } catch (err) {
        if (!failing) toast(err.message, true)
        failing = true
      }
    }
    tick()
    state.timers.push(setInterval(tick, ms))
  }

  function fmtNum(n) {
    if (n === null || n === undefined || n < 0) return '–'
    return Number(n).toLocaleString('en-US')
  }
  function fmtBytes(n) {
    if (n === null || n === undefined) return '–'
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
    let i = 0
    while (n >= 1024 && i < units.length - 1) {
      n /= 1024
      i++
    }
    return (i === 0 ? n : n.toFixed(1)) + ' ' + units[i]
  }
  const fmtRate = (n, unit) => (n >= 100 ? Math.round(n) : n.toFixed(1)) + ' ' + unit + '/s'
  const fmtTime = (iso) => (iso ? iso.replace('T', ' ').replace('Z', '') : '–')

  function busy(button, fn) {
    return async (ev) => {
      if (ev) ev.preventDefault()
      button.disabled = true
      try {
        await fn()
      } catch (err) {
        toast(err.message, true)
      } finally {
        button.disabled = false
      }
    }
  }

  /** A danger button that needs a second click to act. */
  function confirmButton(label, confirmLabel, action, attrs) {
    const b = h('button', { class: 'danger', type: 'button', ...(attrs || {}) }, label)
    let armed = false
    let timer = null
    b.addEventListener('click', async () => {
      if (!armed) {
        armed = true
        b.classList.add('armed')
        b.textContent = confirmLabel
        timer = setTimeout(() => {
          armed = false
          b.classList.remove('armed')
          b.textContent = label
        }, 4000)
        return
      }
      clearTimeout(timer)
      b.disabled = true
      try {
        await action()
      } catch (err) {
        toast(err.message, true)
      } finally {
        b.disabled = false
        armed = false
        b.classList.remove('armed')
        b.textContent = label
      }
    })
    return b
  }

  function table(id, columns, rows, emptyText) {
    return h('table', { id },
      h('thead', null, h('tr', null, columns.map((c) => h('th', { class: c.num ? 'num' : null }, c.label)))),
      h('tbody', null, rows.length === 0
        ? h('tr', null, h('td', { class: 'empty', colspan: columns.length }, emptyText || 'Nothing here yet.'))
        : rows))
  }

  function card(label, value, id, small) {
    return h('div', { class: 'card' }, h('div', { class: 'label' }, label), h('div', { class: 'value' + (small ? ' small' : ''), id }, value))
  }

  function setText(id, text) {
    const el = document.getElementById(id)
    if (el && el.textContent !== String(text)) el.textContent = String(text)
  }

  async function topicNames(includeInternal) {
    const list = await api('GET', '/topics')
    return list.data.filter((t) => includeInternal || !t.is_internal).map((t) => t.topic_name)
  }

  function fillSelect(select, values, selected, extra) {
    select.replaceChildren(...(extra || []), ...values.map((v) => h('option', { value: String(v) }, String(v))))
    if (selected !== undefined && selected !== null) select.value = String(selected)
  }

  /** Shows a v3 data object ({type, data}) as text. */
  function dataText(d) {
    if (d === null || d === undefined) return null
    if (d.type === 'JSON') return JSON.stringify(d.data, null, 2)
    return String(d.data)
  }
  function dataCell(d) {
    if (d === null || d === undefined) return h('td', { class: 'muted' }, 'null')
    return h('td', null, h('span', { class: 'badge type' }, d.type), h('pre', null, dataText(d)), d.json_error ? h('div', { class: 'error' }, 'not JSON: ' + d.json_error) : null)
  }
  function headersCell(headers) {
    if (!headers || headers.length === 0) return h('td', { class: 'muted' }, '–')
    return h('td', { class: 'headers' }, headers.map((x) => h('span', { class: 'mono', title: x.value === null ? 'null' : 'base64: ' + x.value }, x.name + '=' + (x.text !== null ? x.text : x.value === null ? 'null' : '0x' + b64hex(x.value)))))
  }
  function b64hex(b64) {
    const bin = atob(b64)
    let out = ''
    for (let i = 0; i < bin.length; i++) out += bin.charCodeAt(i).toString(16).padStart(2, '0')
    return out
  }

  // ---- SVG line chart ----

  /**
   * series: [{name, values: [number|null...]}], one sample a second, oldest first. The
   * window grows with the samples from 30 s up to `maxSlots`; the drawing uses the SVG's
   * real width, so text is not stretched.
   */
  function drawChart(svg, series, maxSlots, unit) {
    let longest = 0
    for (const s of series) longest = Math.max(longest, s.values.length)
    const slots = Math.max(30, Math.min(maxSlots, longest))
    const W = Math.max(300, Math.round(svg.getBoundingClientRect().width) || 800)
    const H = 220
    const L = 56
    const R = 10
    const T = 10
    const B = 24
    let max = 0
    for (const s of series) for (const v of s.values) if (v !== null && v > max) max = v
    if (max <= 0) max = 1
    const niceMax = niceCeil(max)
    const x = (i) => L + ((W - L - R) * i) / Math.max(1, slots - 1)
    const y = (v) => T + (H - T - B) * (1 - v / niceMax)
    const kids = []
    for (let k = 0; k <= 4; k++) {
      const v = (niceMax * k) / 4
      kids.push(h('line', { class: k === 0 ? 'axis' : 'grid', x1: L, x2: W - R, y1: y(v), y2: y(v) }))
      kids.push(h('text', { x: L - 6, y: y(v) + 3, 'text-anchor': 'end' }, fmtAxis(v)))
    }
    kids.push(h('line', { class: 'axis', x1: L, x2: L, y1: T, y2: H - B }))
    kids.push(h('text', { x: L, y: H - 6 }, slots + ' s ago'))
    kids.push(h('text', { x: W - R, y: H - 6, 'text-anchor': 'end' }, 'now' + (unit ? ' (' + unit + ')' : '')))
    series.forEach((s, idx) => {
      const pts = []
      const values = s.values.slice(-slots)
      values.forEach((v, i) => {
        if (v !== null) pts.push(x(i + slots - values.length).toFixed(1) + ',' + y(v).toFixed(1))
      })
      if (pts.length > 0) {
        kids.push(h('polyline', { points: pts.join(' '), stroke: COLORS[idx % COLORS.length], 'data-series': s.name }, h('title', null, s.name)))
      }
    })
    svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H)
    svg.replaceChildren(...kids)
  }
  function niceCeil(v) {
    const p = Math.pow(10, Math.floor(Math.log10(v)))
    for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p
    return 10 * p
  }
  function fmtAxis(v) {
    if (v >= 1e6) return (v / 1e6).toFixed(1) + 'M'
    if (v >= 1e3) return (v / 1e3).toFixed(1) + 'k'
    return String(Math.round(v * 10) / 10)
  }
  function legend(series) {
    return h('div', { class: 'legend' }, series.map((s, i) => h('span', null, h('i', { class: 'swatch', 'data-color': COLORS[i % COLORS.length] }), s.name)))
  }
  function paintLegend(root) {
    for (const i of root.querySelectorAll('i.swatch')) i.style.background = i.getAttribute('data-color')
  }

  // ---- pages ----

  function overviewPage() {
    const samples = []
    let previous = null
    const chart = h('svg', { class: 'chart', id: 'throughput-chart' })
    const legendBox = h('div')
    const topicsBox = h('div')
    const groupsBox = h('div')
    main.append(
      h('h1', null, 'Overview'),
      h('div', { class: 'cards' },
        card('Cluster', '…', 'ov-cluster', true), card('Broker', '…', 'ov-broker', true), card('Topics', '…', 'ov-topics'), card('Partitions', '…', 'ov-partitions'),
        card('Consumer groups', '…', 'ov-groups'), card('Connections', '…', 'ov-connections'), card('Messages in', '…', 'ov-msg-in'), card('Bytes in', '…', 'ov-bytes-in'), card('Bytes out', '…', 'ov-bytes-out')),
      h('div', { class: 'panel' }, h('h2', null, 'Throughput (from the broker\'s metrics registry)'), chart, legendBox),
      h('div', { class: 'grid2' }, h('div', { class: 'panel' }, h('h2', null, 'Topics'), topicsBox), h('div', { class: 'panel' }, h('h2', null, 'Consumer groups'), groupsBox)))
    every(1000, async () => {
      const o = await api('GET', '/overview')
      setText('ov-cluster', o.cluster_id)
      setText('ov-broker', o.broker.host + ':' + o.broker.port + ' (id ' + o.broker.broker_id + ')')
      setText('ov-topics', fmtNum(o.topics_count))
      setText('ov-partitions', fmtNum(o.partitions_count))
      setText('ov-groups', fmtNum(o.consumer_groups_count))
      setText('ov-connections', fmtNum(o.connections))
      const rate = { msgIn: 0, bytesIn: 0, bytesOut: 0, byTopic: new Map() }
      if (previous !== null) {
        const dt = Math.max(0.001, (o.time_ms - previous.time_ms) / 1000)
        rate.msgIn = Math.max(0, (o.totals.messages_in - previous.totals.messages_in) / dt)
        rate.bytesIn = Math.max(0, (o.totals.bytes_in - previous.totals.bytes_in) / dt)
        rate.bytesOut = Math.max(0, (o.totals.bytes_out - previous.totals.bytes_out) / dt)
        const before = new Map(previous.topics.map((t) => [t.topic_name, t]))
        for (const t of o.topics) {
          const b = before.get(t.topic_name)
          rate.byTopic.set(t.topic_name, b ? Math.max(0, (t.messages_in - b.messages_in) / dt) : 0)
        }
        samples.push(rate)
        if (samples.length > 60) samples.shift()
      }
      previous = o
      setText('ov-msg-in', fmtRate(rate.msgIn, 'msg'))
      setText('ov-bytes-in', fmtBytes(rate.bytesIn) + '/s')
      setText('ov-bytes-out', fmtBytes(rate.bytesOut) + '/s')
      const series = [
        { name: 'messages in /s', values: samples.map((s) => s.msgIn) },
        { name: 'KiB in /s', values: samples.map((s) => s.bytesIn / 1024) },
        { name: 'KiB out /s', values: samples.map((s) => s.bytesOut / 1024) },
      ]
      drawChart(chart, series, 60, '')
      if (legendBox.childElementCount === 0) {
        legendBox.append(legend(series))
        paintLegend(legendBox)
      }
      const visible = o.topics.filter((t) => !t.is_internal)
      topicsBox.replaceChildren(table('overview-topics', [{ label: 'Topic' }, { label: 'Partitions', num: true }, { label: 'Messages', num: true }, { label: 'Size', num: true }, { label: 'In', num: true }],
        visible.map((t) => h('tr', null, h('td', null, h('a', { href: '#/topics/' + enc(t.topic_name) }, t.topic_name)), h('td', { class: 'num' }, t.partitions_count),
          h('td', { class: 'num' }, fmtNum(t.messages)), h('td', { class: 'num' }, fmtBytes(t.size_bytes)), h('td', { class: 'num' }, fmtRate(rate.byTopic.get(t.topic_name) || 0, 'msg')))), 'No topics yet.'))
      groupsBox.replaceChildren(table('overview-groups', [{ label: 'Group' }, { label: 'State' }, { label: 'Members', num: true }, { label: 'Lag', num: true }],
        o.consumer_groups.map((g) => h('tr', null, h('td', null, h('a', { href: '#/groups/' + enc(g.consumer_group_id) }, g.consumer_group_id)), h('td', null, h('span', { class: 'badge ' + g.state }, g.state)),
          h('td', { class: 'num' }, g.members), h('td', { class: 'num' }, fmtNum(g.total_lag)))), 'No consumer groups yet.'))
    })
  }

  function topicsPage() {
    const name = h('input', { id: 'new-topic-name', placeholder: 'orders', required: true })
    const partitions = h('input', { id: 'new-topic-partitions', type: 'number', min: 1, value: '1' })
    const configs = h('textarea', { id: 'new-topic-configs', placeholder: 'retention.ms=86400000\ncleanup.policy=delete' })
    const create = h('button', { id: 'create-topic', type: 'submit' }, 'Create topic')
    const showInternal = h('input', { type: 'checkbox', id: 'show-internal' })
    const listBox = h('div')
    const form = h('form', { class: 'inline' },
      h('label', null, 'Name', name), h('label', null, 'Partitions', partitions), h('label', null, 'Configs (name=value per line)', configs), create)
    form.addEventListener('submit', busy(create, async () => {
      const entries = configs.value.split('\n').map((l) => l.trim()).filter((l) => l !== '').map((l) => {
        const i = l.indexOf('=')
        if (i < 1) throw new Error('Config line "' + l + '" is not name=value')
        return { name: l.slice(0, i).trim(), value: l.slice(i + 1).trim() }
      })
      await api('POST', '/topics', { topic_name: name.value.trim(), partitions_count: Number(partitions.value), configs: entries })
      toast('Created topic ' + name.value.trim())
      name.value = ''
      configs.value = ''
      await refresh()
    }))
    showInternal.addEventListener('change', () => refresh())
    main.append(h('h1', null, 'Topics'),
      h('div', { class: 'panel' }, h('h2', null, 'Create a topic'), form),
      h('div', { class: 'panel' }, h('div', { class: 'row' }, h('h2', null, 'All topics'), h('label', { class: 'check' }, showInternal, 'show internal topics')), listBox))
    async function refresh() {
      const o = await api('GET', '/overview')
      const rows = o.topics.filter((t) => showInternal.checked || !t.is_internal).map((t) => h('tr', { 'data-topic': t.topic_name },
        h('td', null, h('a', { href: '#/topics/' + enc(t.topic_name) }, t.topic_name), t.is_internal ? h('span', { class: 'badge' }, 'internal') : null),
        h('td', { class: 'num' }, t.partitions_count), h('td', { class: 'num' }, fmtNum(t.messages)), h('td', { class: 'num' }, fmtBytes(t.size_bytes)),
        h('td', null, h('a', { href: '#/messages/' + enc(t.topic_name) }, 'Browse'), ' ',
          t.is_internal ? null : confirmButton('Delete', 'Really delete?', async () => {
            await api('DELETE', '/topics/' + enc(t.topic_name))
            toast('Deleted topic ' + t.topic_name)
            await refresh()
          }, { 'data-delete': t.topic_name }))))
      listBox.replaceChildren(table('topics-table', [{ label: 'Topic' }, { label: 'Partitions', num: true }, { label: 'Messages', num: true }, { label: 'Size', num: true }, { label: '' }], rows, 'No topics yet.'))
    }
    refresh().catch((err) => toast(err.message, true))
  }

  async function topicPage(topicName) {
    main.append(h('h1', null, 'Topic ', h('span', { class: 'mono' }, topicName)))
    let topic
    try {
      topic = await api('GET', '/topics/' + enc(topicName))
    } catch (err) {
      main.append(h('div', { class: 'panel error', id: 'topic-error' }, err.message))
      return
    }
    const partsBox = h('div')
    const configsBox = h('div')
    const onlyOverrides = h('input', { type: 'checkbox', id: 'only-overrides' })
    const newCount = h('input', { id: 'partition-count', type: 'number', min: topic.partitions_count + 1, value: String(topic.partitions_count + 1) })
    const grow = h('button', { type: 'submit', class: 'secondary', id: 'grow-partitions' }, 'Increase partitions')
    const growForm = h('form', { class: 'inline' }, h('label', null, 'New partition count', newCount), grow)
    growForm.addEventListener('submit', busy(grow, async () => {
      await api('PATCH', '/topics/' + enc(topicName), { partitions_count: Number(newCount.value) })
      toast('Partitions increased')
      await loadPartitions()
    }))

    // produce
    const pPartition = h('select', { id: 'produce-partition' })
    const pKey = h('input', { id: 'produce-key', placeholder: 'key (optional, text)' })
    const pValueType = h('select', { id: 'produce-value-type' }, h('option', { value: 'JSON' }, 'JSON'), h('option', { value: 'STRING' }, 'Text'), h('option', { value: 'BINARY' }, 'Binary (base64)'))
    const pValue = h('textarea', { id: 'produce-value', placeholder: '{"hello": "world"}' })
    const pHeaders = h('textarea', { id: 'produce-headers', placeholder: 'name=value per line' })
    const pButton = h('button', { id: 'produce-button', type: 'submit' }, 'Produce')
    const pResult = h('div', { id: 'produce-result', class: 'note' })
    const produceForm = h('form', { class: 'inline' }, h('label', null, 'Partition', pPartition), h('label', null, 'Key', pKey), h('label', null, 'Value type', pValueType),
      h('label', null, 'Value', pValue), h('label', null, 'Headers', pHeaders), pButton)
    produceForm.addEventListener('submit', busy(pButton, async () => {
      let data = pValue.value
      if (pValueType.value === 'JSON') {
        try {
          data = JSON.parse(pValue.value)
        } catch (err) {
          throw new Error('The value is not JSON: ' + err.message)
        }
      }
      const headers = pHeaders.value.split('\n').map((l) => l.trim()).filter((l) => l !== '').map((l) => {
        const i = l.indexOf('=')
        const name = i < 0 ? l : l.slice(0, i)
        const value = i < 0 ? '' : l.slice(i + 1)
        return { name, value: btoa(String.fromCharCode(...new TextEncoder().encode(value))) }
      })
      const body = { value: { type: pValueType.value, data }, headers }
      if (pKey.value !== '') body.key = { type: 'STRING', data: pKey.value }
      if (pPartition.value !== '') body.partition_id = Number(pPartition.value)
      const r = await api('POST', '/topics/' + enc(topicName) + '/records', body)
      pResult.textContent = 'Produced to partition ' + r.partition_id + ' at offset ' + r.offset + ' (' + fmtTime(r.timestamp) + ')'
      pResult.setAttribute('data-partition', r.partition_id)
      pResult.setAttribute('data-offset', r.offset)
      toast('Record produced at ' + topicName + '-' + r.partition_id + '@' + r.offset)
      await loadPartitions()
    }))

    main.append(
      h('div', { class: 'panel' }, h('div', { class: 'row' },
        h('span', null, fmtNum(topic.partitions_count) + ' partition(s), replication factor ' + topic.replication_factor + (topic.is_internal ? ', internal' : '')),
        h('a', { href: '#/messages/' + enc(topicName) }, 'Browse messages'),
        topic.is_internal ? null : confirmButton('Delete topic', 'Really delete ' + topicName + '?', async () => {
          await api('DELETE', '/topics/' + enc(topicName))
          toast('Deleted topic ' + topicName)
          location.hash = '#/topics'
        }, { id: 'delete-topic' }))),
      h('div', { class: 'grid2' },
        h('div', { class: 'panel' }, h('h2', null, 'Partitions'), partsBox, h('div', { class: 'note' }, growForm)),
        h('div', { class: 'panel' }, h('h2', null, 'Produce a record'), topic.is_internal ? h('div', { class: 'muted' }, 'Internal topics are written by the broker only.') : produceForm, pResult)),
      h('div', { class: 'panel' }, h('div', { class: 'row' }, h('h2', null, 'Configs'), h('label', { class: 'check' }, onlyOverrides, 'only values set on this topic')), configsBox))
    onlyOverrides.addEventListener('change', () => loadConfigs())

    async function loadPartitions() {
      const parts = await api('GET', '/topics/' + enc(topicName) + '/partitions')
      partsBox.replaceChildren(table('partitions-table', [{ label: 'Partition', num: true }, { label: 'Start offset', num: true }, { label: 'End offset', num: true }, { label: 'Messages', num: true }, { label: 'Size', num: true }],
        parts.data.map((p) => h('tr', { 'data-partition': p.partition_id }, h('td', { class: 'num' }, p.partition_id), h('td', { class: 'num' }, fmtNum(p.log_start_offset)), h('td', { class: 'num' }, fmtNum(p.log_end_offset)),
          h('td', { class: 'num' }, fmtNum(p.log_end_offset - p.log_start_offset)), h('td', { class: 'num' }, fmtBytes(p.size_bytes))))))
      const current = pPartition.value
      fillSelect(pPartition, parts.data.map((p) => p.partition_id), current, [h('option', { value: '' }, 'auto (by key)')])
    }
    async function loadConfigs() {
      const configs = await api('GET', '/topics/' + enc(topicName) + '/configs')
      const rows = configs.data.filter((c) => !onlyOverrides.checked || c.source === 'DYNAMIC_TOPIC_CONFIG').map((c) => {
        const input = h('input', { value: c.value === null ? '' : c.value, 'data-config': c.name, disabled: c.is_read_only || topic.is_internal })
        const save = h('button', { class: 'secondary', type: 'button', disabled: c.is_read_only || topic.is_internal, 'data-save': c.name }, 'Save')
        save.addEventListener('click', busy(save, async () => {
          await api('PUT', '/topics/' + enc(topicName) + '/configs/' + enc(c.name), { value: input.value })
          toast(c.name + ' set to ' + input.value)
          await loadConfigs()
        }))
        const reset = c.source === 'DYNAMIC_TOPIC_CONFIG' ? h('button', { class: 'secondary', type: 'button', 'data-reset': c.name }, 'Reset') : null
        if (reset) {
          reset.addEventListener('click', busy(reset, async () => {
            await api('DELETE', '/topics/' + enc(topicName) + '/configs/' + enc(c.name))
            toast(c.name + ' reset to its default')
            await loadConfigs()
          }))
        }
        return h('tr', { 'data-config-row': c.name }, h('td', { class: 'mono' }, c.name), h('td', null, input), h('td', null, h('span', { class: 'badge' }, c.source)), h('td', null, save, ' ', reset))
      })
      configsBox.replaceChildren(table('configs-table', [{ label: 'Name' }, { label: 'Value' }, { label: 'Source' }, { label: '' }], rows, 'No configs set on this topic.'))
    }
    await Promise.all([loadPartitions(), loadConfigs()]).catch((err) => toast(err.message, true))
  }

  async function messagesPage(initialTopic) {
    const topicSel = h('select', { id: 'msg-topic' })
    const partSel = h('select', { id: 'msg-partition' })
    const mode = h('select', { id: 'msg-mode' }, h('option', { value: 'newest' }, 'Newest'), h('option', { value: 'offset' }, 'From offset'), h('option', { value: 'timestamp' }, 'From time'))
    const offset = h('input', { id: 'msg-offset', type: 'number', min: 0, value: '0' })
    const when = h('input', { id: 'msg-timestamp', type: 'datetime-local', step: 1 })
    const limit = h('input', { id: 'msg-limit', type: 'number', min: 1, max: 500, value: '50' })
    const formats = () => h('select', null, ['auto', 'text', 'json', 'hex', 'base64'].map((f) => h('option', { value: f }, f)))
    const keyFormat = formats()
    keyFormat.id = 'msg-key-format'
    const valueFormat = formats()
    valueFormat.id = 'msg-value-format'
    const load = h('button', { id: 'msg-load', type: 'submit' }, 'Load')
    const next = h('button', { id: 'msg-next', type: 'button', class: 'secondary', disabled: true }, 'Next page')
    const status = h('div', { class: 'note', id: 'msg-status' })
    const results = h('div', { id: 'msg-results' })
    const offsetLabel = h('label', null, 'Offset', offset)
    const timeLabel = h('label', null, 'Time (local)', when)
    const form = h('form', { class: 'inline' }, h('label', null, 'Topic', topicSel), h('label', null, 'Partition', partSel), h('label', null, 'Start', mode), offsetLabel, timeLabel,
      h('label', null, 'Limit', limit), h('label', null, 'Key as', keyFormat), h('label', null, 'Value as', valueFormat), load, next)
    main.append(h('h1', null, 'Messages'), h('div', { class: 'panel' }, form, status), h('div', { class: 'panel' }, results))
    const syncMode = () => {
      offsetLabel.hidden = mode.value !== 'offset'
      timeLabel.hidden = mode.value !== 'timestamp'
    }
    mode.addEventListener('change', syncMode)
    syncMode()
    let nextOffset = null
    async function loadPartitionsFor(name) {
      if (!name) return fillSelect(partSel, [], null, [h('option', { value: '' }, 'all')])
      const t = await api('GET', '/topics/' + enc(name))
      fillSelect(partSel, Array.from({ length: t.partitions_count }, (_, i) => i), '', [h('option', { value: '' }, 'all')])
    }
    topicSel.addEventListener('change', () => loadPartitionsFor(topicSel.value).catch((err) => toast(err.message, true)))
    async function run(fromOffset) {
      const name = topicSel.value
      if (!name) throw new Error('Choose a topic')
      const q = new URLSearchParams({ limit: limit.value, key_format: keyFormat.value, value_format: valueFormat.value })
      if (fromOffset !== undefined) q.set('offset', String(fromOffset))
      else if (mode.value === 'offset') q.set('offset', offset.value)
      else if (mode.value === 'timestamp') {
        if (!when.value) throw new Error('Choose a time')
        q.set('timestamp', String(new Date(when.value).getTime()))
      }
      const path = '/topics/' + enc(name) + (partSel.value === '' ? '' : '/partitions/' + enc(partSel.value)) + '/records?' + q
      const r = await api('GET', path)
      nextOffset = partSel.value === '' || r.data.length === 0 ? null : r.next_offset
      next.disabled = nextOffset === null
      status.textContent = r.data.length + ' record(s)' + (partSel.value === '' ? ' from all partitions' : ' from partition ' + partSel.value + ' (log ' + r.log_start_offset + '–' + r.log_end_offset + ')')
      results.replaceChildren(table('messages-table', [{ label: 'Partition', num: true }, { label: 'Offset', num: true }, { label: 'Timestamp' }, { label: 'Key' }, { label: 'Value' }, { label: 'Headers' }],
        r.data.map((m) => h('tr', { 'data-partition': m.partition_id, 'data-offset': m.offset }, h('td', { class: 'num' }, m.partition_id), h('td', { class: 'num' }, m.offset),
          h('td', { class: 'mono', title: m.timestamp_type }, fmtTime(m.timestamp)), dataCell(m.key), dataCell(m.value), headersCell(m.headers))), 'No records.'))
    }
    form.addEventListener('submit', busy(load, () => run()))
    next.addEventListener('click', busy(next, () => run(nextOffset)))
    try {
      fillSelect(topicSel, await topicNames(true), initialTopic || '', [h('option', { value: '' }, '— choose —')])
      await loadPartitionsFor(topicSel.value)
      if (topicSel.value) await run()
    } catch (err) {
      toast(err.message, true)
    }
  }

  function groupsPage() {
    const box = h('div')
    main.append(h('h1', null, 'Consumer groups'), h('div', { class: 'panel' }, box))
    every(1000, async () => {
      const o = await api('GET', '/overview')
      box.replaceChildren(table('groups-table', [{ label: 'Group' }, { label: 'State' }, { label: 'Members', num: true }, { label: 'Total lag', num: true }],
        o.consumer_groups.map((g) => h('tr', { 'data-group': g.consumer_group_id }, h('td', null, h('a', { href: '#/groups/' + enc(g.consumer_group_id) }, g.consumer_group_id)),
          h('td', null, h('span', { class: 'badge ' + g.state }, g.state)), h('td', { class: 'num' }, g.members), h('td', { class: 'num' }, fmtNum(g.total_lag)))), 'No consumer groups yet.'))
    })
  }

  function groupPage(groupId) {
    const g = '/consumer-groups/' + enc(groupId)
    const history = new Map() // "topic-partition" → lag samples (oldest first)
    const SLOTS = 120
    let ticks = 0
    const chart = h('svg', { class: 'chart', id: 'lag-chart' })
    const legendBox = h('div', { id: 'lag-legend' })
    const membersBox = h('div')
    const lagBox = h('div')
    const stateBadge = h('span', { class: 'badge', id: 'group-state' }, '…')
    let groupState = null

    // reset form
    const rTopic = h('select', { id: 'reset-topic' })
    const rStrategy = h('select', { id: 'reset-strategy' }, ['earliest', 'latest', 'offset', 'timestamp', 'shift_by'].map((s) => h('option', { value: s }, s)))
    const rValue = h('input', { id: 'reset-value', placeholder: 'offset / shift' })
    const rTime = h('input', { id: 'reset-time', type: 'datetime-local', step: 1 })
    const rPreview = h('button', { id: 'reset-preview', type: 'button', class: 'secondary' }, 'Preview')
    const rApply = h('button', { id: 'reset-apply', type: 'button' }, 'Reset offsets')
    const rNote = h('div', { class: 'note', id: 'reset-note' })
    const rResult = h('div', { id: 'reset-result' })
    const valueLabel = h('label', null, 'Value', rValue)
    const timeLabel = h('label', null, 'Time (local)', rTime)
    const syncStrategy = () => {
      valueLabel.hidden = rStrategy.value !== 'offset' && rStrategy.value !== 'shift_by'
      timeLabel.hidden = rStrategy.value !== 'timestamp'
    }
    rStrategy.addEventListener('change', syncStrategy)
    syncStrategy()
    function resetBody(dryRun) {
      const body = { strategy: rStrategy.value, dry_run: dryRun }
      if (rTopic.value !== '') body.topic_name = rTopic.value
      if (rStrategy.value === 'offset') body.offset = Number(rValue.value)
      if (rStrategy.value === 'shift_by') body.shift_by = Number(rValue.value)
      if (rStrategy.value === 'timestamp') {
        if (!rTime.value) throw new Error('Choose a time')
        body.timestamp = new Date(rTime.value).getTime()
      }
      return body
    }
    async function reset(dryRun) {
      const r = await api('POST', g + '/offsets:reset', resetBody(dryRun))
      rResult.replaceChildren(h('h2', { class: 'spaced' }, dryRun ? 'Preview (nothing changed)' : 'Offsets reset'),
        table('reset-table', [{ label: 'Topic' }, { label: 'Partition', num: true }, { label: 'Previous', num: true }, { label: 'New', num: true }],
          r.data.map((x) => h('tr', null, h('td', null, x.topic_name), h('td', { class: 'num' }, x.partition_id), h('td', { class: 'num' }, x.previous_offset === null ? '–' : fmtNum(x.previous_offset)), h('td', { class: 'num' }, fmtNum(x.new_offset))))))
      if (!dryRun) toast('Offsets of ' + groupId + ' reset (' + r.data.length + ' partition(s))')
    }
    rPreview.addEventListener('click', busy(rPreview, () => reset(true)))
    rApply.addEventListener('click', busy(rApply, () => reset(false)))

    main.append(h('h1', null, 'Consumer group ', h('span', { class: 'mono' }, groupId), ' ', stateBadge),
      h('div', { class: 'cards' }, card('Total lag', '…', 'total-lag'), card('Members', '…', 'member-count'), card('Assignor', '…', 'assignor', true), card('Partitions committed', '…', 'committed-count')),
      h('div', { class: 'panel' }, h('h2', null, 'Lag per partition (live, every second)'), chart, legendBox),
      h('div', { class: 'grid2' }, h('div', { class: 'panel' }, h('h2', null, 'Lag'), lagBox), h('div', { class: 'panel' }, h('h2', null, 'Members'), membersBox)),
      h('div', { class: 'panel' }, h('h2', null, 'Reset offsets'),
        h('form', { class: 'inline' }, h('label', null, 'Topic', rTopic), h('label', null, 'To', rStrategy), valueLabel, timeLabel, rPreview, rApply), rNote, rResult))

    let topicsFilled = false
    every(1000, async () => {
      let group
      try {
        group = await api('GET', g)
      } catch (err) {
        if (err.status === 404) {
          stateBadge.textContent = 'NOT FOUND'
          stateBadge.className = 'badge'
          groupState = 'DEAD'
          rApply.disabled = false
          rNote.textContent = 'This group does not exist yet: a reset creates its offsets.'
          if (!topicsFilled) {
            fillSelect(rTopic, await topicNames(false), '', [h('option', { value: '' }, 'all committed topics')])
            topicsFilled = true
          }
          return
        }
        throw err
      }
      const [lags, consumers] = await Promise.all([api('GET', g + '/lags'), api('GET', g + '/consumers')])
      groupState = group.state
      stateBadge.textContent = group.state
      stateBadge.className = 'badge ' + group.state
      const total = lags.data.reduce((n, x) => n + Math.max(0, x.lag), 0)
      setText('total-lag', fmtNum(total))
      document.getElementById('total-lag').setAttribute('data-lag', String(total))
      setText('member-count', fmtNum(consumers.data.length))
      setText('assignor', group.partition_assignor || '–')
      setText('committed-count', fmtNum(lags.data.length))
      const inactive = group.state === 'EMPTY'
      rApply.disabled = !inactive
      rNote.textContent = inactive ? 'The group has no members: its offsets can be reset.' : 'Offsets can be reset only while the group has no members (it is ' + group.state + '); stop its consumers first.'
      rNote.className = inactive ? 'note' : 'note warn'

      // lag history: one sample per tick for every partition seen so far
      ticks++
      const seen = new Set()
      for (const x of lags.data) {
        const key = x.topic_name + '-' + x.partition_id
        seen.add(key)
        if (!history.has(key)) history.set(key, new Array(Math.min(ticks - 1, SLOTS)).fill(null))
        history.get(key).push(Math.max(0, x.lag))
      }
      for (const [key, values] of history) {
        if (!seen.has(key)) values.push(null)
        while (values.length > SLOTS) values.shift()
      }
      const series = [...history.entries()].sort((a, b) => a[0].localeCompare(b[0], 'en', { numeric: true })).map(([name, values]) => ({ name, values }))
      drawChart(chart, series, SLOTS, 'records behind')
      if (legendBox.getAttribute('data-names') !== series.map((s) => s.name).join(',')) {
        legendBox.replaceChildren(legend(series))
        legendBox.setAttribute('data-names', series.map((s) => s.name).join(','))
        paintLegend(legendBox)
      }
      lagBox.replaceChildren(table('lag-table', [{ label: 'Topic' }, { label: 'Partition', num: true }, { label: 'Committed', num: true }, { label: 'End', num: true }, { label: 'Lag', num: true }, { label: 'Consumer' }],
        lags.data.map((x) => h('tr', { 'data-tp': x.topic_name + '-' + x.partition_id, 'data-lag': x.lag }, h('td', null, x.topic_name), h('td', { class: 'num' }, x.partition_id), h('td', { class: 'num' }, fmtNum(x.current_offset)),
          h('td', { class: 'num' }, fmtNum(x.log_end_offset)), h('td', { class: 'num' }, fmtNum(x.lag)), h('td', { class: 'mono' }, x.client_id || '–'))), 'No committed offsets.'))
      const assignments = await Promise.all(consumers.data.map((c) => api('GET', g + '/consumers/' + enc(c.consumer_id) + '/assignments').catch(() => ({ data: [] }))))
      membersBox.replaceChildren(table('members-table', [{ label: 'Client' }, { label: 'Host' }, { label: 'Member id' }, { label: 'Assigned' }],
        consumers.data.map((c, i) => h('tr', null, h('td', null, c.client_id), h('td', { class: 'mono' }, c.client_host || '–'), h('td', { class: 'mono' }, c.consumer_id),
          h('td', { class: 'mono' }, assignments[i].data.map((a) => a.topic_name + '-' + a.partition_id).join(', ') || '–'))), 'No members (the group is empty).'))
      if (!topicsFilled) {
        const committedTopics = [...new Set(lags.data.map((x) => x.topic_name))]
        const all = await topicNames(false)
        fillSelect(rTopic, [...committedTopics, ...all.filter((t) => !committedTopics.includes(t))], '', [h('option', { value: '' }, 'all committed topics')])
        topicsFilled = true
      }
    })
  }

  async function replayPage() {
    const topicSel = h('select', { id: 'replay-topic' })
    const partSel = h('select', { id: 'replay-partition' })
    const from = h('input', { id: 'replay-from', type: 'number', min: 0, value: '0' })
    const to = h('input', { id: 'replay-to', type: 'number', min: 0, value: '0' })
    const target = h('select', { id: 'replay-target' })
    const keepTs = h('input', { id: 'replay-keep-timestamps', type: 'checkbox' })
    const loadBtn = h('button', { id: 'replay-load', type: 'button', class: 'secondary' }, 'Show records')
    const preview = h('button', { id: 'replay-preview', type: 'button', class: 'secondary' }, 'Preview')
    const run = h('button', { id: 'replay-run', type: 'button' }, 'Replay')
    const recordsBox = h('div', { id: 'replay-records' })
    const result = h('div', { id: 'replay-result' })
    const info = h('div', { class: 'note', id: 'replay-info' })
    main.append(h('h1', null, 'Replay a dead-letter topic'),
      h('div', { class: 'panel' },
        h('p', { class: 'note' }, 'Copies records of a dead-letter topic (an offset range of one partition) back into their source topic: the one chosen here, or the one each record names in its __connect.errors.topic / kafka_dlt-original-topic / x-original-topic header. Keys, values and headers are kept.'),
        h('form', { class: 'inline' }, h('label', null, 'Dead-letter topic', topicSel), h('label', null, 'Partition', partSel), h('label', null, 'From offset', from), h('label', null, 'To offset (inclusive)', to),
          h('label', null, 'Into', target), h('label', { class: 'check' }, keepTs, 'keep timestamps'), loadBtn, preview, run), info),
      h('div', { class: 'panel' }, recordsBox, result))

    async function loadPartitions() {
      if (!topicSel.value) return
      const parts = await api('GET', '/topics/' + enc(topicSel.value) + '/partitions')
      fillSelect(partSel, parts.data.map((p) => p.partition_id), 0)
      await syncRange()
    }
    async function syncRange() {
      if (!topicSel.value || partSel.value === '') return
      const p = await api('GET', '/topics/' + enc(topicSel.value) + '/partitions/' + enc(partSel.value))
      info.textContent = 'Partition ' + p.partition_id + ' holds offsets ' + p.log_start_offset + ' to ' + (p.log_end_offset - 1) + '.'
      from.value = String(p.log_start_offset)
      to.value = String(Math.max(p.log_start_offset, p.log_end_offset - 1))
    }
    topicSel.addEventListener('change', () => loadPartitions().catch((err) => toast(err.message, true)))
    partSel.addEventListener('change', () => syncRange().catch((err) => toast(err.message, true)))
    loadBtn.addEventListener('click', busy(loadBtn, async () => {
      const n = Math.min(500, Math.max(1, Number(to.value) - Number(from.value) + 1))
      const r = await api('GET', '/topics/' + enc(topicSel.value) + '/partitions/' + enc(partSel.value) + '/records?offset=' + enc(from.value) + '&limit=' + n)
      const origin = (m) => {
        const x = m.headers.find((y) => y.name === '__connect.errors.topic' || y.name === 'kafka_dlt-original-topic' || y.name === 'x-original-topic')
        return x ? x.text : null
      }
      recordsBox.replaceChildren(h('h2', null, 'Records in range'), table('replay-records-table', [{ label: 'Offset', num: true }, { label: 'Source topic (header)' }, { label: 'Key' }, { label: 'Value' }, { label: 'Headers' }],
        r.data.filter((m) => m.offset <= Number(to.value)).map((m) => h('tr', { 'data-offset': m.offset }, h('td', { class: 'num' }, m.offset), h('td', { class: 'mono' }, origin(m) || '–'), dataCell(m.key), dataCell(m.value), headersCell(m.headers))), 'No records in range.'))
    }))
    async function replay(dryRun) {
      const body = { partition_id: Number(partSel.value), from_offset: Number(from.value), to_offset: Number(to.value), keep_timestamps: keepTs.checked, dry_run: dryRun }
      if (target.value !== '') body.target_topic_name = target.value
      const r = await api('POST', '/topics/' + enc(topicSel.value) + '/records:replay', body)
      result.replaceChildren(h('h2', { id: 'replay-summary', class: 'spaced', 'data-replayed': r.replayed }, dryRun ? 'Preview: ' + r.data.length + ' record(s) would be replayed' : r.replayed + ' record(s) replayed'),
        table('replay-result-table', [{ label: 'From offset', num: true }, { label: 'Into' }, { label: 'Partition', num: true }, { label: 'New offset', num: true }, { label: 'Target chosen by' }],
          r.data.map((x) => h('tr', null, h('td', { class: 'num' }, x.source_offset), h('td', null, x.target_topic_name), h('td', { class: 'num' }, x.target_partition_id), h('td', { class: 'num' }, x.offset === null ? '–' : x.offset), h('td', { class: 'muted' }, x.target_from)))))
      if (!dryRun) toast(r.replayed + ' record(s) replayed')
    }
    preview.addEventListener('click', busy(preview, () => replay(true)))
    run.addEventListener('click', busy(run, () => replay(false)))
    try {
      const names = await topicNames(false)
      const dlqFirst = [...names.filter((n) => /dlq|dead|\.dlt$|-dlt$|error/i.test(n)), ...names.filter((n) => !/dlq|dead|\.dlt$|-dlt$|error/i.test(n))]
      fillSelect(topicSel, dlqFirst, dlqFirst[0])
      fillSelect(target, names, '', [h('option', { value: '' }, 'source topic from record headers')])
      await loadPartitions()
    } catch (err) {
      toast(err.message, true)
    }
  }

  // ---- routing ----

  const pages = [
    [/^#\/overview$/, 'overview', overviewPage],
    [/^#\/topics$/, 'topics', topicsPage],
    [/^#\/topics\/(.+)$/, 'topics', topicPage],
    [/^#\/messages(?:\/(.+))?$/, 'messages', messagesPage],
    [/^#\/groups$/, 'groups', groupsPage],
    [/^#\/groups\/(.+)$/, 'groups', groupPage],
    [/^#\/replay$/, 'replay', replayPage],
  ]

  function route() {
    state.generation++
    for (const t of state.timers) clearInterval(t)
    state.timers = []
    const hash = location.hash || '#/overview'
    const found = pages.find(([re]) => re.test(hash))
    main.replaceChildren()
    if (!found) {
      main.append(h('h1', null, 'Not found'), h('p', null, h('a', { href: '#/overview' }, 'Back to the overview')))
      return
    }
    const [re, nav, page] = found
    for (const a of document.querySelectorAll('[data-nav]')) a.classList.toggle('active', a.getAttribute('data-nav') === nav)
    const args = re.exec(hash).slice(1).map((x) => (x === undefined ? undefined : decodeURIComponent(x)))
    const out = page(...args)
    if (out && typeof out.catch === 'function') out.catch((err) => toast(err.message, true))
    main.setAttribute('data-page', nav)
  }

  async function start() {
    try {
      const res = await fetch('/v3/clusters')
      const clusters = await res.json()
      state.clusterId = clusters.data[0].cluster_id
      document.getElementById('cluster').textContent = 'cluster ' + state.clusterId
    } catch (err) {
      main.replaceChildren(h('div', { class: 'panel error' }, 'Cannot reach the admin API: ' + err.message))
      return
    }
    window.addEventListener('hashchange', route)
    route()
    document.body.setAttribute('data-ready', 'true')
  }

  start()
}
