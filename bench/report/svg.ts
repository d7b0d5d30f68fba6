// Hand-written SVG line charts for the scaling curves: one panel per series, points
// labelled with their value and their ratio to the same-run baseline.

import type { Series } from '../lib/result.ts'

const W = 520
const H = 300
const PAD = { left: 60, right: 20, top: 36, bottom: 44 }

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function niceMax(v: number): number {
  if (v <= 0) return 1
  const p = 10 ** Math.floor(Math.log10(v))
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p
  return 10 * p
}

function panel(s: Series, ox: number): string {
  const xs = s.points.map((p) => (s.logX === true ? Math.log10(p.x) : p.x))
  const xMin = Math.min(...xs)
  const xMax = Math.max(...xs)
  const yMax = niceMax(Math.max(...s.points.map((p) => p.y)) * 1.1)
  const pw = W - PAD.left - PAD.right
  const ph = H - PAD.top - PAD.bottom
  const sx = (x: number): number => ox + PAD.left + (xMax === xMin ? pw / 2 : ((x - xMin) / (xMax - xMin)) * pw)
  const sy = (y: number): number => PAD.top + ph - (y / yMax) * ph
  const out: string[] = []
  out.push(`<text x="${ox + W / 2}" y="20" text-anchor="middle" font-size="13" font-weight="bold">${esc(s.title)}</text>`)
  for (let i = 0; i <= 4; i++) {
    const y = (yMax * i) / 4
    out.push(`<line x1="${ox + PAD.left}" x2="${ox + W - PAD.right}" y1="${sy(y)}" y2="${sy(y)}" stroke="#ddd"/>`)
    out.push(`<text x="${ox + PAD.left - 6}" y="${sy(y) + 4}" text-anchor="end" font-size="11">${Math.round(y)}</text>`)
  }
  out.push(`<text x="${ox + 14}" y="${PAD.top + ph / 2}" font-size="11" transform="rotate(-90 ${ox + 14} ${PAD.top + ph / 2})" text-anchor="middle">${esc(s.yLabel)}</text>`)
  out.push(`<text x="${ox + PAD.left + pw / 2}" y="${H - 8}" font-size="11" text-anchor="middle">${esc(s.xLabel)}</text>`)
  const pts = s.points.map((p, i) => `${sx(xs[i]!).toFixed(1)},${sy(p.y).toFixed(1)}`)
  out.push(`<polyline fill="none" stroke="#1f6feb" stroke-width="2" points="${pts.join(' ')}"/>`)
  s.points.forEach((p, i) => {
    const x = sx(xs[i]!)
    const y = sy(p.y)
    out.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3.5" fill="#1f6feb"/>`)
    out.push(`<text x="${x.toFixed(1)}" y="${(y - 8).toFixed(1)}" font-size="10" text-anchor="middle">${Math.round(p.y)}${p.label !== undefined ? ` (${esc(p.label)})` : ''}</text>`)
    out.push(`<text x="${x.toFixed(1)}" y="${PAD.top + ph + 16}" font-size="11" text-anchor="middle">${p.x}</text>`)
  })
  return out.join('\n')
}

export function scalingSvg(series: Series[]): string {
  const width = W * Math.max(1, series.length)
  const body = series.map((s, i) => panel(s, i * W)).join('\n')
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${H}" viewBox="0 0 ${width} ${H}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${body}\n</svg>\n`
}
