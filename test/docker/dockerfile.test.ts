import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'

const root = join(import.meta.dirname, '..', '..')

interface Instruction { op: string, args: string, stage: number }

/** Dockerfile → instructions (continuations joined, comments dropped), tagged with their stage. */
function parseDockerfile (text: string): Instruction[] {
  const out: Instruction[] = []
  let stage = -1
  let pending = ''
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd()
    if (pending === '' && /^\s*#/.test(line)) continue
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1) + ' '
      continue
    }
    const full = (pending + line).trim()
    pending = ''
    if (full === '' || full.startsWith('#')) continue
    const m = /^(\w+)\s+(.*)$/.exec(full)
    if (m === null) continue
    const op = m[1].toUpperCase()
    if (op === 'FROM') stage++
    out.push({ op, args: m[2].replace(/\s+/g, ' '), stage })
  }
  return out
}

const instructions = parseDockerfile(readFileSync(join(root, 'Dockerfile'), 'utf8'))
const froms = instructions.filter((i) => i.op === 'FROM')
const finalStage = froms.length - 1
const final = instructions.filter((i) => i.stage === finalStage)
const args = (op: string, list = final): string[] => list.filter((i) => i.op === op).map((i) => i.args)

t.test('multi-stage build on the pinned official Node 24 image', async (t) => {
  t.ok(froms.length >= 2, 'at least two stages')
  for (const f of froms) t.match(f.args, /^node:24-bookworm-slim\b/, f.args)
  t.match(froms[0].args, / AS build$/i)
  const build = instructions.filter((i) => i.stage === 0)
  t.ok(args('RUN', build).some((a) => /npm ci\b/.test(a)), 'build stage installs with npm ci')
  t.ok(args('RUN', build).some((a) => /npm run build\b/.test(a)), 'build stage runs npm run build')
})

t.test('runtime stage: production deps, dist, bin, docker scripts', async (t) => {
  t.ok(args('RUN').some((a) => /npm ci\b.*--omit=dev/.test(a)), 'npm ci --omit=dev')
  t.ok(args('COPY').some((a) => /^--from=build \/app\/dist /.test(a)), 'dist copied from the build stage')
  t.ok(args('COPY').some((a) => /^bin /.test(a)), 'bin copied')
  t.ok(args('COPY').some((a) => /package\.json/.test(a)), 'package.json copied')
  t.ok(args('COPY').some((a) => /docker\/entrypoint\.sh/.test(a) && /docker\/healthcheck\.js/.test(a)), 'docker scripts copied')
  t.notOk(args('COPY').some((a) => /^\.\s/.test(a)), 'runtime does not copy the whole context')
})

t.test('runs as a non-root user', async (t) => {
  const users = args('USER')
  t.ok(users.length > 0, 'USER set in the final stage')
  const last = users[users.length - 1]
  t.notMatch(last, /^(root|0)(:|$)/)
  const userIndex = final.findIndex((i) => i.op === 'USER')
  const runsAfterUser = final.slice(userIndex).filter((i) => i.op === 'RUN')
  t.same(runsAfterUser, [], 'nothing is RUN after dropping root (volume ownership is set before)')
  t.ok(args('RUN').some((a) => /chown .*\/var\/lib\/samsa/.test(a)), 'data dir owned by the runtime user')
})

t.test('volume, port, env, healthcheck, entrypoint, cmd', async (t) => {
  t.ok(args('VOLUME').some((a) => a === '/var/lib/samsa' || a === '["/var/lib/samsa"]'), 'VOLUME /var/lib/samsa')
  t.ok(args('EXPOSE').some((a) => a.split(' ').includes('9092')), 'EXPOSE 9092')
  const env = args('ENV').join(' ')
  t.match(env, /SAMSA_DATA_DIR=\/var\/lib\/samsa\b/)
  t.match(env, /SAMSA_HOST=0\.0\.0\.0\b/)
  const hc = args('HEALTHCHECK')
  t.equal(hc.length, 1)
  t.match(hc[0], /CMD \["node", "\/app\/docker\/healthcheck\.js"\]$/)
  t.same(args('ENTRYPOINT'), ['["/app/docker/entrypoint.sh"]'])
  t.same(args('CMD'), ['["start"]'])
})

t.test('files the image needs exist', async (t) => {
  for (const f of ['docker/entrypoint.sh', 'docker/healthcheck.js', 'bin/samsa.js', 'package.json', 'package-lock.json', 'tsconfig.build.json']) {
    t.ok(existsSync(join(root, f)), f)
  }
  t.ok(statSync(join(root, 'docker', 'entrypoint.sh')).mode & 0o111, 'entrypoint executable')
  t.ok(statSync(join(root, 'bin', 'samsa.js')).mode & 0o111, 'bin executable')
  const entry = readFileSync(join(root, 'docker', 'entrypoint.sh'), 'utf8')
  t.match(entry, /exec node --max-semi-space-size=4 "\$APP_DIR\/bin\/samsa\.js" "\$@"/)
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin?: Record<string, string>, scripts?: Record<string, string> }
  t.equal(pkg.bin?.samsa, './bin/samsa.js')
  t.match(pkg.scripts?.build ?? '', /tsconfig\.build\.json/)
  // bin/samsa.js loads dist/src/cli/main.js: the build must emit under dist/ with rootDir '.'
  const build = JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8')) as { compilerOptions: { outDir: string, rootDir: string } }
  t.equal(build.compilerOptions.outDir, 'dist')
  t.equal(build.compilerOptions.rootDir, '.')
})

t.test('.dockerignore keeps local state out of the context', async (t) => {
  const entries = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
  for (const e of ['node_modules', '.git', 'data', '.tap', 'test', 'dist']) t.ok(entries.includes(e), e)
  for (const keep of ['src', 'bin', 'docker', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'protocol', 'storage']) {
    t.notOk(entries.includes(keep), `${keep} must reach the build`)
  }
})
