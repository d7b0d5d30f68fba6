// The console's HTML shell and stylesheet (served by console-routes.ts). The page is
// empty until /console/app.js (console-app.ts) renders into <main>; it loads nothing
// from anywhere else.

export const CONSOLE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Samsa console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/app.css">
<script src="/console/app.js" defer></script>
</head>
<body>
<header class="top">
  <a class="brand" href="#/overview">Samsa</a>
  <nav>
    <a href="#/overview" data-nav="overview">Overview</a>
    <a href="#/topics" data-nav="topics">Topics</a>
    <a href="#/messages" data-nav="messages">Messages</a>
    <a href="#/groups" data-nav="groups">Consumer groups</a>
    <a href="#/replay" data-nav="replay">DLQ replay</a>
  </nav>
  <span id="cluster" class="cluster"></span>
</header>
<main id="main"><noscript>The console needs JavaScript; its script is served by the broker itself.</noscript></main>
<div id="toast" class="toast" role="status" aria-live="polite"></div>
</body>
</html>
`

export const CONSOLE_CSS = `:root {
  --bg: #f5f6f8; --panel: #fff; --ink: #1d2430; --muted: #677184; --line: #dde1e7; --accent: #2f6fde;
  --accent-ink: #fff; --danger: #c8372d; --ok: #1f8a4c; --warn: #b7791f; --code: #f0f2f5;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", sans-serif; font-size: 14px;
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; background: var(--bg); color: var(--ink); }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
.top { display: flex; align-items: center; gap: 24px; padding: 0 20px; height: 48px; background: #1d2430; color: #e8ebf0; }
.top .brand { color: #fff; font-weight: 700; font-size: 17px; letter-spacing: .5px; }
.top nav { display: flex; gap: 4px; }
.top nav a { color: #c5ccd8; padding: 6px 10px; border-radius: 4px; }
.top nav a.active, .top nav a:hover { background: #343e4f; color: #fff; text-decoration: none; }
.top .cluster { margin-left: auto; color: #9aa4b5; font-size: 12px; font-family: ui-monospace, Menlo, Consolas, "Liberation Mono", monospace; }
main { padding: 20px; max-width: 1400px; margin: 0 auto; }
h1 { font-size: 20px; margin: 0 0 16px; }
h2 { font-size: 15px; margin: 0 0 10px; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 16px; margin-bottom: 16px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 12px; margin-bottom: 16px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px; }
.card .label { color: var(--muted); font-size: 12px; }
.card .value { font-size: 22px; font-weight: 600; margin-top: 4px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.card .value.small { font-size: 13px; font-family: ui-monospace, Menlo, Consolas, "Liberation Mono", monospace; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; font-size: 12px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr:hover td { background: #fafbfc; }
.empty { color: var(--muted); padding: 12px 8px; }
form.inline, .row { display: flex; flex-wrap: wrap; gap: 10px; align-items: flex-end; }
label { display: flex; flex-direction: column; gap: 4px; font-size: 12px; color: var(--muted); }
label.check { flex-direction: row; align-items: center; gap: 6px; }
.spaced { margin-top: 18px; }
.panel .row h2 { margin: 0; }
input, select, textarea { font: inherit; color: var(--ink); padding: 6px 8px; border: 1px solid #c6ccd6; border-radius: 4px; background: #fff; }
textarea { font-family: ui-monospace, Menlo, Consolas, "Liberation Mono", monospace; font-size: 12px; min-width: 320px; min-height: 64px; }
button { font: inherit; padding: 6px 14px; border-radius: 4px; border: 1px solid var(--accent); background: var(--accent); color: var(--accent-ink); cursor: pointer; }
button.secondary { background: #fff; color: var(--accent); }
button.danger { background: #fff; color: var(--danger); border-color: var(--danger); }
button.danger.armed { background: var(--danger); color: #fff; }
button:disabled { opacity: .5; cursor: not-allowed; }
.mono, pre, code { font-family: ui-monospace, Menlo, Consolas, "Liberation Mono", monospace; font-size: 12px; }
pre { margin: 0; white-space: pre-wrap; word-break: break-all; max-height: 160px; overflow: auto; background: var(--code); padding: 4px 6px; border-radius: 3px; }
.badge { display: inline-block; padding: 2px 8px; border-radius: 10px; font-size: 11px; font-weight: 600; background: #e5e8ee; color: #3b4556; }
.badge.STABLE { background: #dcf3e5; color: var(--ok); }
.badge.EMPTY { background: #eceff3; color: #556; }
.badge.PREPARING_REBALANCE, .badge.COMPLETING_REBALANCE { background: #fbf0d9; color: var(--warn); }
.badge.type { background: #e4ecfb; color: var(--accent); margin-right: 4px; }
.muted { color: var(--muted); }
.note { color: var(--muted); font-size: 12px; margin: 8px 0 0; }
.warn { color: var(--warn); }
.error { color: var(--danger); }
.headers span { display: inline-block; margin: 0 4px 2px 0; padding: 1px 6px; background: var(--code); border-radius: 3px; }
.chart { width: 100%; height: 220px; display: block; }
.chart .axis { stroke: #c6ccd6; stroke-width: 1; }
.chart .grid { stroke: #eef0f3; stroke-width: 1; }
.chart text { fill: var(--muted); font-size: 10px; }
.chart polyline { fill: none; stroke-width: 2; }
.legend { display: flex; flex-wrap: wrap; gap: 12px; margin-top: 6px; font-size: 12px; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
.big { font-size: 28px; font-weight: 700; }
.grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
@media (max-width: 1000px) { .grid2 { grid-template-columns: 1fr; } }
.toast { position: fixed; right: 20px; bottom: 20px; max-width: 480px; padding: 10px 14px; border-radius: 6px; background: #1d2430; color: #fff; opacity: 0; transition: opacity .2s; pointer-events: none; }
.toast.show { opacity: .95; }
.toast.error { background: var(--danger); }
`
