// Inclusive version ranges as written in the schemas ("3+", "0-7", "1", "none").
// An empty range has lo > hi; open-ended ranges have hi = Infinity.
export interface Range {
  lo: number
  hi: number
}

export const NONE: Range = { lo: 1, hi: 0 }

export function parseRange(s: string | undefined, fallback: Range | null): Range {
  if (s === undefined || s === '') {
    if (fallback === null) throw new Error('missing version range')
    return fallback
  }
  if (s === 'none') return NONE
  let m = /^(\d+)\+$/.exec(s)
  if (m) return { lo: Number(m[1]), hi: Infinity }
  m = /^(\d+)-(\d+)$/.exec(s)
  if (m) return { lo: Number(m[1]), hi: Number(m[2]) }
  m = /^(\d+)$/.exec(s)
  if (m) return { lo: Number(m[1]), hi: Number(m[1]) }
  throw new Error(`bad version range "${s}"`)
}

export function isEmpty(r: Range): boolean {
  return r.lo > r.hi
}

export function intersect(a: Range, b: Range): Range {
  const r = { lo: Math.max(a.lo, b.lo), hi: Math.min(a.hi, b.hi) }
  return isEmpty(r) ? NONE : r
}

export function hull(a: Range, b: Range): Range {
  if (isEmpty(a)) return b
  if (isEmpty(b)) return a
  return { lo: Math.min(a.lo, b.lo), hi: Math.max(a.hi, b.hi) }
}

export function covers(outer: Range, inner: Range): boolean {
  return isEmpty(inner) || (outer.lo <= inner.lo && outer.hi >= inner.hi)
}

export function sameRange(a: Range, b: Range): boolean {
  return (isEmpty(a) && isEmpty(b)) || (a.lo === b.lo && a.hi === b.hi)
}

// A JS condition for "version is in `set`", given that version is already
// known to lie in `ctx`. Folds to 'true'/'false' when the context decides it,
// which keeps generated code free of dead checks.
export function versionCond(set: Range, ctx: Range): string {
  if (isEmpty(intersect(set, ctx))) return 'false'
  if (covers(set, ctx)) return 'true'
  const parts: string[] = []
  if (set.lo > ctx.lo) parts.push(`version >= ${set.lo}`)
  if (set.hi < ctx.hi) parts.push(`version <= ${set.hi}`)
  return parts.join(' && ')
}

export function formatRange(r: Range): string {
  if (isEmpty(r)) return 'none'
  if (r.hi === Infinity) return `${r.lo}+`
  if (r.lo === r.hi) return `${r.lo}`
  return `${r.lo}-${r.hi}`
}
