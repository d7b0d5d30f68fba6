// The web console at `/`: one HTML page, one stylesheet and one script, all served from
// this package (no CDN, no build step). They are TypeScript modules (console-page.ts
// holds the HTML and CSS, console-app.ts the browser script as a function whose source
// is served), so `tsc -p tsconfig.build.json` compiles them into dist/src/http/console/
// like any other module and they ship wherever dist ships (package.json "files",
// the Docker image's COPY of dist); plain .html/.css/.js files would not be copied.
// The page talks only to the JSON API under /v3, same origin.

import type { FastifyInstance, FastifyReply } from 'fastify'
import { consoleApp } from './console-app.ts'
import { CONSOLE_CSS, CONSOLE_HTML } from './console-page.ts'

// No inline script or style anywhere, no framing by other sites.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

function send(reply: FastifyReply, type: string, body: string): FastifyReply {
  return reply
    .type(type)
    .header('content-security-policy', CSP)
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-cache')
    .send(body)
}

export function registerConsole(app: FastifyInstance): void {
  const script = `// Samsa console (served from the broker package; source: src/http/console/console-app.ts)\n'use strict';\n(${consoleApp.toString()})();\n`
  app.get('/', async (_req, reply) => send(reply, 'text/html; charset=utf-8', CONSOLE_HTML))
  app.get('/console/app.js', async (_req, reply) => send(reply, 'text/javascript; charset=utf-8', script))
  app.get('/console/app.css', async (_req, reply) => send(reply, 'text/css; charset=utf-8', CONSOLE_CSS))
}
