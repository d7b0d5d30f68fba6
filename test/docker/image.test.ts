// The real image, end to end: build the Dockerfile with podman from a clean copy of the
// repo, then run the image's filesystem the way a container would (its entrypoint and
// CMD, its environment, uid 1000, a volume at /var/lib/samsa), produce and consume with
// kcat, run its HEALTHCHECK, stop it with SIGTERM and find the clean-shutdown marker in
// the volume.
//
// Containers cannot be started on every CI machine (no cgroups, tight rlimits), so the
// exported image filesystem runs under `chroot --userspec=1000:1000` in its own mount
// and PID namespaces (unshare): the broker is PID 1 as in a container, /proc and the
// volume are mounted only inside that namespace and vanish with it. The network is the
// host's, so the broker listens on 127.0.0.1 on a free port (SAMSA_LISTENERS).
//
// Docker Hub is not reachable from CI, so `node:24-bookworm-slim` is a local stand-in
// (test/docker/stand-in-base.sh: debootstrap'd bookworm + this repo's Node 24 + npm +
// user node uid 1000), cached in a dedicated podman storage between runs. Needs root,
// podman and debootstrap (.ci/run installs them); skipped with one line without them.

import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { CLEAN_SHUTDOWN_FILE } from '../../storage/clean-shutdown.ts'
import { repoRoot } from '../helpers/broker.ts'
import { freePort } from '../helpers/partition-records.ts'

const BASE_TAG = 'docker.io/library/node:24-bookworm-slim'
const IMAGE_REPO = 'localhost/samsa-image-test'
const cacheDir = process.env.SAMSA_STAND_IN_CACHE ?? '/var/cache/samsa-stand-in'
// A podman storage of its own (vfs: no overlay or fuse needed), so the cached stand-in
// never meets another storage driver's configuration.
const podmanGlobal = ['--root', join(cacheDir, 'storage'), '--runroot', '/run/samsa-stand-in', '--storage-driver', 'vfs', '--events-backend', 'none']
const TOOLS = ['podman', 'debootstrap', 'kcat', 'git', 'tar', 'unshare', 'nsenter', 'setpriv', 'chroot']

// The host environment without the test runner's NODE_OPTIONS (its --import hooks would
// follow every node started below, including those inside the image).
const hostEnv: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS'))

interface Result { code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string, ms: number }

/** Runs a command to completion, killed (SIGKILL) after `timeoutMs`. */
function exec (cmd: string, args: string[], opts: { timeoutMs: number, env?: NodeJS.ProcessEnv, cwd?: string }): Promise<Result> {
  const started = Date.now()
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: opts.env ?? hostEnv, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => {
      stderr += `\n[killed after ${opts.timeoutMs} ms]`
      child.kill('SIGKILL')
    }, opts.timeoutMs)
    child.on('error', (err) => (stderr += `\n${err.message}`))
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started })
    })
  })
}

/**
 * `env -i` with exactly the container's environment before `argv`: whatever env a spawn
 * gets, the test runner adds its NODE_OPTIONS (hooks that do not exist in the image).
 */
const withOnlyEnv = (env: Record<string, string>, argv: string[]): string[] => ['-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv]

const podman = (args: string[], timeoutMs = 60_000): Promise<Result> => exec('podman', [...podmanGlobal, ...args], { timeoutMs })
const tail = (text: string, lines = 40): string => text.trimEnd().split('\n').slice(-lines).join('\n')
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`

function missingTool (): string | null {
  if (process.platform !== 'linux') return `needs Linux (this is ${process.platform})`
  if (process.getuid?.() !== 0) return 'needs root (chroot, namespaces, podman storage)'
  const missing = TOOLS.filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { env: { PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` } }).status !== 0)
  return missing.length > 0 ? `${missing.join(', ')} not found (apt-get install podman debootstrap kcat)` : null
}

// On a shared 2-core machine: 1.5 min with the stand-in cached, 4 min cold (debootstrap),
// and the build alone took 4 min when other suites loaded it: more than .taprc's 300 s.
t.setTimeout(600_000)

const skip = missingTool()
if (skip !== null) {
  t.plan(0, `podman not installable here: ${skip}`)
} else {
  t.test('the Docker image: build, run as uid 1000, produce/consume, healthcheck, SIGTERM', async (t) => {
    const runId = `run-${process.pid}-${Date.now()}`
    const image = `${IMAGE_REPO}:${runId}`
    const work = mkdtempSync(join(tmpdir(), `samsa-image-${process.pid}-`))
    const context = join(work, 'context')
    const rootfs = join(work, 'rootfs')
    const volume = join(work, 'volume')
    let container: string | null = null
    let namespaceInit: ReturnType<typeof spawn> | null = null
    let brokerPid = 0

    // Always, whatever failed: stop the broker's namespace (its mounts go with it), drop the
    // container and image, remove the files. A safety net unmounts anything under the work
    // dir that would be visible here (nothing is mounted outside the namespace).
    t.teardown(async () => {
      if (namespaceInit !== null && namespaceInit.exitCode === null && namespaceInit.signalCode === null) {
        const gone = new Promise<void>((resolve) => namespaceInit!.once('exit', () => resolve()))
        if (brokerPid > 0) try { process.kill(brokerPid, 'SIGKILL') } catch {}
        namespaceInit.kill('SIGKILL')
        await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, 5000).unref())])
      }
      const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m.startsWith(work + '/'))
      for (const m of mounts.sort().reverse()) spawnSync('umount', ['-l', m])
      if (container !== null) await podman(['rm', '--force', container])
      await podman(['rmi', '--force', image])
      rmSync(work, { recursive: true, force: true })
    })

    // Images and work dirs of earlier runs killed before their teardown (their pid is gone).
    const dead = (pid: number): boolean => pid !== process.pid && !existsSync(`/proc/${pid}`)
    const stale = await podman(['images', '--filter', `reference=${IMAGE_REPO}`, '--format', '{{.Tag}}'])
    for (const tag of stale.stdout.split('\n').filter((s) => /^run-\d+-\d+$/.test(s))) {
      if (dead(Number(tag.split('-')[1]))) await podman(['rmi', '--force', `${IMAGE_REPO}:${tag}`])
    }
    const mounted = readFileSync('/proc/mounts', 'utf8')
    for (const dir of readdirSync(tmpdir()).filter((d) => /^samsa-image-\d+-/.test(d))) {
      if (dead(Number(dir.split('-')[2])) && !mounted.includes(` ${join(tmpdir(), dir)}/`)) rmSync(join(tmpdir(), dir), { recursive: true, force: true })
    }

    // ---- the stand-in base image (cached) ----
    const hadBase = (await podman(['image', 'exists', BASE_TAG])).code === 0
    const base = await exec('bash', [join(repoRoot, 'test/docker/stand-in-base.sh')], {
      timeoutMs: 240_000,
      env: { ...hostEnv, SAMSA_STAND_IN_CACHE: cacheDir, PODMAN_GLOBAL_OPTS: podmanGlobal.join(' ') }
    })
    t.equal(base.code, 0, `stand-in base image ${BASE_TAG} ready (${hadBase ? 'cached' : 'built'}, ${secs(base.ms)})`, { stderr: tail(base.stderr) })
    if (base.code !== 0) return

    // ---- a clean build context: the repo's files as git sees them, no local state ----
    // Tracked files plus untracked ones not ignored (a new source file must reach the
    // build); node_modules, dist and the rest of .gitignore never do, and podman applies
    // .dockerignore on top.
    mkdirSync(context)
    const copy = await exec('bash', ['-o', 'pipefail', '-c',
      'git -C "$1" ls-files -z --cached --others --exclude-standard | tar -C "$1" --null --ignore-failed-read -T - -c | tar -x -C "$2"', 'copy', repoRoot, context], { timeoutMs: 60_000 })
    t.equal(copy.code, 0, 'build context copied from git ls-files', { stderr: tail(copy.stderr) })
    t.ok(existsSync(join(context, 'Dockerfile')) && !existsSync(join(context, 'node_modules')), 'the context has the Dockerfile and no node_modules')

    // ---- build the real Dockerfile ----
    // --format docker keeps HEALTHCHECK (the OCI image format has no field for it);
    // --isolation chroot runs RUN steps without a container runtime. A copy of the host's
    // npm cache (filled by the repo's own `npm ci`) is mounted at root's npm cache for the
    // RUN steps, like a BuildKit cache mount: `npm ci` still installs from the lockfile,
    // with fewer downloads. It is a copy because the runtime stage's `npm cache clean`
    // empties it; nothing under a build-time mount is committed to the image.
    const npmCacheMount: string[] = []
    const hostNpmCache = join(process.env.npm_config_cache ?? join(homedir(), '.npm'), '_cacache')
    if (existsSync(hostNpmCache)) {
      mkdirSync(join(work, 'npm-cache'))
      const seeded = await exec('cp', ['-a', hostNpmCache, join(work, 'npm-cache', '_cacache')], { timeoutMs: 60_000 })
      if (seeded.code === 0) npmCacheMount.push('--volume', `${join(work, 'npm-cache')}:/root/.npm`)
      t.comment(seeded.code === 0 ? `npm cache for the build: a copy of ${hostNpmCache} (${secs(seeded.ms)})` : `building without the host's npm cache: ${seeded.stderr.trim()}`)
    } else {
      t.comment(`no npm cache at ${hostNpmCache}: the build downloads every package`)
    }
    const build = await exec('podman', [...podmanGlobal, 'build', '--isolation=chroot', '--pull=never', '--format=docker', '--layers=false',
      ...npmCacheMount, '--file', join(context, 'Dockerfile'), '--tag', image, context], { timeoutMs: 360_000 })
    t.equal(build.code, 0, `podman build of the Dockerfile (${secs(build.ms)})`, { output: tail(build.stdout + build.stderr) })
    if (build.code !== 0) return

    const inspected = await podman(['image', 'inspect', image])
    t.equal(inspected.code, 0, 'image inspect', { stderr: inspected.stderr })
    const info = (JSON.parse(inspected.stdout) as Array<{
      Config: { User?: string, Env?: string[], Entrypoint?: string[] | null, Cmd?: string[] | null, WorkingDir?: string, Volumes?: Record<string, unknown>, StopSignal?: string }
      Healthcheck?: { Test: string[], Timeout?: number }
    }>)[0]!
    const config = info.Config
    t.same(config.Entrypoint, ['/app/docker/entrypoint.sh'], 'ENTRYPOINT')
    t.same(config.Cmd, ['start'], 'CMD')
    t.equal(config.User, 'node', 'USER node')
    t.ok(config.Volumes !== undefined && '/var/lib/samsa' in config.Volumes, 'VOLUME /var/lib/samsa')
    t.equal(config.StopSignal, 'SIGTERM', 'STOPSIGNAL SIGTERM')
    t.ok(info.Healthcheck !== undefined && info.Healthcheck.Test.length > 1, 'the image carries its HEALTHCHECK', { healthcheck: info.Healthcheck })
    const imageEnv = Object.fromEntries((config.Env ?? []).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]))
    t.equal(imageEnv.SAMSA_DATA_DIR, '/var/lib/samsa', 'SAMSA_DATA_DIR in the image')

    // ---- the image's filesystem ----
    const created = await podman(['create', '--no-healthcheck', '--name', `samsa-image-test-${runId}`, image])
    t.equal(created.code, 0, 'podman create', { stderr: created.stderr })
    if (created.code !== 0) return
    container = created.stdout.trim()
    mkdirSync(rootfs)
    const exported = await exec('bash', ['-o', 'pipefail', '-c', 'podman "${@:3}" export "$1" | tar -x --numeric-owner -C "$2"', 'export', container, rootfs, ...podmanGlobal], { timeoutMs: 120_000 })
    t.equal(exported.code, 0, `image filesystem exported (${secs(exported.ms)})`, { stderr: tail(exported.stderr) })
    if (exported.code !== 0) return
    chmodSync(rootfs, 0o755) // it is `/` for uid 1000

    // The USER is the official image's node user: uid and gid 1000.
    const passwd = readFileSync(join(rootfs, 'etc/passwd'), 'utf8').split('\n').map((l) => l.split(':'))
    const user = passwd.find((f) => f[0] === config.User)
    t.same(user?.slice(2, 4), ['1000', '1000'], `${config.User} is uid 1000, gid 1000 in the image`)
    t.equal(statSync(join(rootfs, 'var/lib/samsa')).uid, 1000, 'the image\'s /var/lib/samsa belongs to uid 1000')
    t.ok(existsSync(join(rootfs, 'app/dist/src/cli/main.js')), 'the compiled build is in /app/dist')
    t.notOk(existsSync(join(rootfs, 'app/node_modules/typescript')), 'no devDependencies in /app/node_modules')

    // The volume: a host directory owned by uid 1000, bind-mounted at /var/lib/samsa.
    mkdirSync(volume)
    chownSync(volume, 1000, 1000)

    // ---- run the entrypoint with the image's CMD, as uid 1000 ----
    // The host's network stands in for the container's own: every port the broker opens
    // must be a free one here (the Kafka listener, and the HTTP listener's default 8080).
    const port = await freePort()
    let httpPort = await freePort()
    while (httpPort === port) httpPort = await freePort()
    const env: Record<string, string> = {
      ...imageEnv,
      HOME: '/home/node', // what docker adds for the USER
      SAMSA_LISTENERS: `PLAINTEXT://127.0.0.1:${port}`, // docs/docker.md: overrides SAMSA_HOST and SAMSA_PORT
      SAMSA_HTTP_PORT: String(httpPort)
    }
    const chrootAs = ['chroot', '--userspec=1000:1000', '--groups=1000', rootfs, 'env', '-C', config.WorkingDir ?? '/']
    // unshare --fork: the shell below is PID 1 of a new PID namespace, mounts /proc and
    // the volume in its private mount namespace, then execs chroot, which execs the
    // entrypoint, which execs node: the broker is PID 1, as in a container.
    //
    // If this test process dies without its teardown (SIGKILL), nothing may stay behind
    // running: unshare gets SIGKILL when this process dies (host setpriv --pdeathsig), and
    // the broker when unshare dies. The broker's own death signal must be set after the
    // switch to uid 1000 (a credential change clears it), so by the image's setpriv
    // (util-linux, essential in Debian), which then execs the entrypoint.
    const orphanGuard = existsSync(join(rootfs, 'usr/bin/setpriv')) ? ['setpriv', '--pdeathsig', 'KILL', '--'] : []
    namespaceInit = spawn('env', withOnlyEnv(env, ['setpriv', '--pdeathsig', 'KILL', '--', 'unshare', '--mount', '--propagation', 'private', '--pid', '--fork', '--',
      'sh', '-euc', 'mount -t proc proc "$1/proc"; mount --bind "$2" "$1/var/lib/samsa"; shift 2; exec "$@"', 'init', rootfs, volume,
      ...chrootAs, ...orphanGuard, ...config.Entrypoint!, ...config.Cmd!]), { stdio: ['ignore', 'pipe', 'pipe'] })
    const init = namespaceInit
    let output = ''
    init.stdout!.on('data', (d: Buffer) => (output += d.toString()))
    init.stderr!.on('data', (d: Buffer) => (output += d.toString()))
    let exitCode: number | null | undefined
    const exited = new Promise<number | null>((resolve) => init.on('exit', (code) => { exitCode = code; resolve(code) }))
    t.teardown(() => { init.stdout!.destroy(); init.stderr!.destroy() })

    const readyBy = Date.now() + 30_000
    while (Date.now() < readyBy && exitCode === undefined && !(/ready in \d+ ms/.test(output))) await new Promise((resolve) => setTimeout(resolve, 50))
    if (!t.match(output, /ready in \d+ ms/, 'the broker started from the entrypoint', { output: tail(output) })) return
    t.match(output, new RegExp(`listening on 127\\.0\\.0\\.1:${port} \\(advertised as localhost:${port}\\)`), 'on the SAMSA_LISTENERS address, advertising localhost')
    t.match(output, /data in \/var\/lib\/samsa/, 'data in the volume')

    // The namespace's PID 1, seen from here: unshare's only child.
    const children = readFileSync(`/proc/${init.pid}/task/${init.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)
    t.equal(children.length, 1, 'one process in the namespace')
    brokerPid = Number(children[0])
    const cmdline = readFileSync(`/proc/${brokerPid}/cmdline`, 'utf8').split('\0').filter(Boolean)
    t.same(cmdline, ['node', '--max-semi-space-size=4', '/app/bin/samsa.js', 'start'], 'the entrypoint exec\'d node (with bin/samsa.js\'s flags): the broker itself is the process')
    const status = readFileSync(`/proc/${brokerPid}/status`, 'utf8')
    t.match(status, /^Uid:\s+1000\s+1000\s+1000\s+1000$/m, 'runs as uid 1000')
    t.match(status, /^Gid:\s+1000\s+1000\s+1000\s+1000$/m, 'runs as gid 1000')
    t.match(status, /^NSpid:\s+\d+\s+1$/m, 'is PID 1 in its namespace')

    // ---- produce and consume with a real client from the host ----
    const bootstrap = `127.0.0.1:${port}`
    const topic = 'image-test'
    const records = ['k0:first record', 'k1:zweiter Datensatz ü', 'k2:{"json":true,"n":2}', 'k3:last one']
    const produced = await exec('bash', ['-c', 'printf "%s\\n" "${@:2}" | kcat -b "$1" -P -t image-test -p 0 -K: -X message.timeout.ms=20000', 'produce', bootstrap, ...records], { timeoutMs: 30_000 })
    t.equal(produced.code, 0, 'kcat produced (the topic auto-created)', { stderr: produced.stderr })
    const consumed = await exec('kcat', ['-b', bootstrap, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%o %k:%s\\n'], { timeoutMs: 30_000 })
    t.equal(consumed.code, 0, 'kcat consumed', { stderr: consumed.stderr })
    t.same(consumed.stdout.trimEnd().split('\n'), records.map((r, i) => `${i} ${r}`), 'the exact records came back, at offsets 0..3')

    // ---- the image's HEALTHCHECK, run inside the running container ----
    // nsenter joins the broker's mount and PID namespaces (docker exec), then the same
    // chroot, user, working dir and environment.
    const hc = info.Healthcheck!
    const hcArgv = hc.Test[0] === 'CMD-SHELL' ? ['/bin/sh', '-c', hc.Test[1]!] : hc.Test.slice(1)
    const hcTimeoutMs = Math.round((hc.Timeout ?? 30e9) / 1e6)
    const health = await exec('env', withOnlyEnv(env, ['nsenter', `--target=${brokerPid}`, '--mount', '--pid', '--', ...chrootAs, ...hcArgv]), { timeoutMs: hcTimeoutMs })
    t.equal(health.code, 0, `the HEALTHCHECK (${hcArgv.join(' ')}) passes within its ${hcTimeoutMs} ms timeout (${health.ms} ms)`, { stderr: health.stderr })

    // ---- docker stop: SIGTERM to PID 1, a clean exit, the marker in the volume ----
    t.notOk(existsSync(join(volume, CLEAN_SHUTDOWN_FILE)), `no ${CLEAN_SHUTDOWN_FILE} while the broker runs`)
    process.kill(brokerPid, 'SIGTERM')
    const code = await Promise.race([exited, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 30_000).unref())])
    t.equal(code, 0, 'SIGTERM: the broker exits 0', { output: tail(output) })
    t.match(output, /stopped/, 'it says it stopped')
    t.ok(existsSync(join(volume, CLEAN_SHUTDOWN_FILE)), `${CLEAN_SHUTDOWN_FILE} in the volume directory`)
    const files = readdirSync(volume)
    t.ok(files.includes(`${topic}-0`), 'the partition lives in the volume', { files })
    t.same(files.filter((f) => statSync(join(volume, f)).uid !== 1000), [], 'everything in the volume belongs to uid 1000')

    // With the broker gone the same HEALTHCHECK fails: it does test the broker.
    const down = await exec('env', withOnlyEnv(env, ['unshare', '--mount', '--propagation', 'private', '--pid', '--fork', '--kill-child', '--',
      'sh', '-euc', 'mount -t proc proc "$1/proc"; shift; exec "$@"', 'init', rootfs, ...chrootAs, ...hcArgv]), { timeoutMs: hcTimeoutMs + 5000 })
    t.not(down.code, 0, 'the HEALTHCHECK fails once the broker is down', { stderr: down.stderr })
    t.match(down.stderr, /ECONNREFUSED/, 'connection refused')
  })
}
