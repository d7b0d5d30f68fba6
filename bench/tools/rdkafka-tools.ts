// Builds the two librdkafka programs the rdkafka suite needs, into a cache outside the
// repository (~/.cache/samsa-bench, or $SAMSA_BENCH_CACHE):
//
// - rdkafka_performance, librdkafka's own load generator, from examples/ of the source
//   of the very librdkafka the machine has (Debian's librdkafka-dev). The source comes
//   from Debian's source package through apt: the system's deb-src entries when it has
//   them, otherwise a private apt configuration in the cache whose deb-src lines mirror
//   the system's deb lines (same archives, same keys; /etc/apt is left alone and root is
//   not needed). The library's own `configure` runs once for the config.h its internal
//   headers want; the program links against the installed shared library.
// - mock-cluster (bench/tools/mock-cluster.c), librdkafka's in-memory mock cluster as a
//   process of its own.
//
// Anything missing makes ensureRdkafkaTools() return a reason instead of a path, and the
// suite prints it as its one "skipped" line. $RDKAFKA_PERFORMANCE names a ready binary.
//
// node bench/tools/rdkafka-tools.ts      builds (or finds) both and prints their paths

import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { repoRoot } from '../lib/proc.ts'

export interface RdkafkaTools {
  /** librdkafka version the programs were built against (pkg-config's). */
  version: string | null
  perf: string | null
  mock: string | null
  /** Why a program is missing: the suite prints these. */
  perfSkip: string | null
  mockSkip: string | null
}

type Log = (line: string) => void

export function cacheRoot(): string {
  return process.env.SAMSA_BENCH_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'samsa-bench')
}

function run(cmd: string, args: string[], opts: { cwd?: string } = {}): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 })
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error !== undefined ? String(r.error) : ''}` }
}

function which(cmd: string): boolean {
  return run('sh', ['-c', `command -v ${cmd}`]).ok
}

function tail(s: string, lines = 6): string {
  return s.trim().split('\n').slice(-lines).join(' | ')
}

/** deb-src lines mirroring the system's deb entries (one-line and deb822 formats). */
export function debSrcLines(files: Array<{ name: string; text: string }>): string[] {
  const out = new Set<string>()
  for (const f of files) {
    if (f.name.endsWith('.list')) {
      for (const raw of f.text.split('\n')) {
        const line = raw.replace(/#.*/, '').trim()
        if (/^deb\s/.test(line)) out.add(line.replace(/^deb\s/, 'deb-src '))
      }
    } else if (f.name.endsWith('.sources')) {
      for (const stanza of f.text.split(/\n\s*\n/)) {
        const fields = new Map<string, string>()
        for (const raw of stanza.split('\n')) {
          if (raw.startsWith('#')) continue
          const m = /^([A-Za-z-]+):\s*(.*)$/.exec(raw)
          if (m !== null) fields.set(m[1]!.toLowerCase(), m[2]!.trim())
        }
        if (!(fields.get('types') ?? '').split(/\s+/).includes('deb') || fields.get('enabled') === 'no') continue
        const signedBy = fields.get('signed-by')
        const opt = signedBy !== undefined && signedBy.startsWith('/') ? ` [signed-by=${signedBy}]` : ''
        for (const uri of (fields.get('uris') ?? '').split(/\s+/).filter(Boolean)) {
          for (const suite of (fields.get('suites') ?? '').split(/\s+/).filter(Boolean)) {
            out.add(`deb-src${opt} ${uri} ${suite} ${fields.get('components') ?? ''}`.trim())
          }
        }
      }
    }
  }
  return [...out]
}

function systemAptSources(): Array<{ name: string; text: string }> {
  const files: Array<{ name: string; text: string }> = []
  const read = (p: string): void => {
    try {
      files.push({ name: p, text: readFileSync(p, 'utf8') })
    } catch {
      // absent
    }
  }
  read('/etc/apt/sources.list')
  try {
    for (const f of readdirSync('/etc/apt/sources.list.d').sort()) read(join('/etc/apt/sources.list.d', f))
  } catch {
    // absent
  }
  return files
}

/**
 * Downloads Debian's source package of `pkg` at `version` into `dir` and returns the path
 * of its upstream tarball, or a reason it could not.
 */
function debianSource(pkg: string, version: string, dir: string, aptDir: string, log: Log): { tarball: string } | { skip: string } {
  mkdirSync(dir, { recursive: true })
  const find = (): string | null => readdirSync(dir).find((f) => /\.orig\.tar\.(gz|xz|bz2)$/.test(f)) ?? null
  if (find() !== null) return { tarball: join(dir, find()!) }
  if (!which('apt-get')) return { skip: 'apt-get not found (not a Debian machine): set RDKAFKA_PERFORMANCE to a built rdkafka_performance' }
  log(`    downloading Debian's source package ${pkg}=${version} (apt-get source --download-only)`)
  const sys = run('apt-get', ['source', '--download-only', `${pkg}=${version}`], { cwd: dir })
  if (sys.ok && find() !== null) return { tarball: join(dir, find()!) }
  // No deb-src entries on this system: a private apt state whose deb-src lines follow its deb lines.
  const lines = debSrcLines(systemAptSources())
  if (lines.length === 0) return { skip: `no apt sources to derive deb-src entries from (${tail(sys.out, 2)})` }
  mkdirSync(join(aptDir, 'lists/partial'), { recursive: true })
  mkdirSync(join(aptDir, 'cache/archives/partial'), { recursive: true })
  writeFileSync(join(aptDir, 'sources.list'), `${lines.join('\n')}\n`)
  const o = [
    '-o', `Dir::Etc::SourceList=${join(aptDir, 'sources.list')}`, '-o', `Dir::Etc::SourceParts=${join(aptDir, 'none')}`,
    '-o', `Dir::State::Lists=${join(aptDir, 'lists')}`, '-o', `Dir::Cache=${join(aptDir, 'cache')}`,
    // As root apt drops to _apt for downloads, which cannot write into a cache under /root.
    ...(process.getuid?.() === 0 ? ['-o', 'APT::Sandbox::User=root'] : []),
  ]
  log(`    the system has no deb-src entries: fetching source indexes for ${lines.length} archive(s) into ${aptDir}`)
  const upd = run('apt-get', [...o, 'update'])
  // A failing third-party archive should not stop the Debian one; the download below decides.
  if (!upd.ok) log(`    apt-get update reported: ${tail(upd.out, 2)}`)
  const src = run('apt-get', [...o, 'source', '--download-only', `${pkg}=${version}`], { cwd: dir })
  if (src.ok && find() !== null) return { tarball: join(dir, find()!) }
  return { skip: `could not download Debian's source package ${pkg}=${version}: ${tail(src.out, 3)}` }
}

function buildPerf(version: string, dir: string, log: Log): { path: string } | { skip: string } {
  const bin = join(dir, 'rdkafka_performance')
  if (existsSync(bin)) return { path: bin }
  const q = run('dpkg-query', ['-W', '-f', '${source:Package} ${source:Version}', 'librdkafka-dev'])
  if (!q.ok) return { skip: 'librdkafka-dev is not a Debian package here, so its source cannot be fetched through apt: set RDKAFKA_PERFORMANCE to a built rdkafka_performance' }
  const [srcPkg, srcVersion] = q.out.trim().split(' ') as [string, string]
  const upstream = srcVersion.replace(/^\d+:/, '').replace(/-[^-]+$/, '').replace(/[+~](dfsg|ds).*$/, '')
  if (upstream !== version) log(`    note: pkg-config says librdkafka ${version}, the Debian source is ${srcVersion}`)
  const got = debianSource(srcPkg, srcVersion, join(dir, 'debian-source'), join(dir, 'apt'), log)
  if ('skip' in got) return got
  const tree = join(dir, 'tree')
  rmSync(tree, { recursive: true, force: true })
  mkdirSync(tree, { recursive: true })
  log(`    unpacking ${got.tarball.split('/').pop()}`)
  const x = run('tar', ['-xf', got.tarball, '-C', tree, '--strip-components=1'])
  if (!x.ok) return { skip: `could not unpack ${got.tarball}: ${tail(x.out)}` }
  if (!existsSync(join(tree, 'examples/rdkafka_performance.c'))) return { skip: `${got.tarball} has no examples/rdkafka_performance.c` }
  // The example includes the library's internal headers (rd.h, rdtime.h), which want
  // the config.h that librdkafka's configure writes; nothing else of the tree is built.
  log('    running librdkafka\'s ./configure for config.h (about 10 s)')
  const conf = run('./configure', ['--disable-ssl', '--disable-gssapi', '--disable-sasl', '--disable-zstd', '--disable-lz4-ext', '--disable-curl'], { cwd: tree })
  if (!conf.ok || !existsSync(join(tree, 'config.h'))) return { skip: `librdkafka's configure failed: ${tail(conf.out)}` }
  log('    compiling examples/rdkafka_performance.c against the installed librdkafka')
  const flags = run('pkg-config', ['--cflags', '--libs', 'rdkafka']).out.trim().split(/\s+/).filter(Boolean)
  const cc = run('cc', ['-O2', '-w', '-Isrc', '-o', `${bin}.tmp`, 'examples/rdkafka_performance.c', ...flags, '-lm', '-lpthread'], { cwd: tree })
  if (!cc.ok) return { skip: `compiling rdkafka_performance failed: ${tail(cc.out)}` }
  renameSync(`${bin}.tmp`, bin)
  // The binary is all that is kept (the source tarball too, for a rebuild; the ~20 MB of apt indexes are not).
  rmSync(tree, { recursive: true, force: true })
  rmSync(join(dir, 'apt'), { recursive: true, force: true })
  return { path: bin }
}

function buildMock(dir: string, log: Log): { path: string } | { skip: string } {
  const source = join(repoRoot, 'bench/tools/mock-cluster.c')
  const bin = join(dir, 'mock-cluster')
  if (existsSync(bin) && statSync(bin).mtimeMs >= statSync(source).mtimeMs) return { path: bin }
  if (!existsSync('/usr/include/librdkafka/rdkafka_mock.h') && !run('sh', ['-c', 'echo "#include <librdkafka/rdkafka_mock.h>" | cc $(pkg-config --cflags rdkafka) -E - >/dev/null']).ok) {
    return { skip: 'rdkafka_mock.h not found (librdkafka-dev installs it)' }
  }
  log('    compiling bench/tools/mock-cluster.c')
  const flags = run('pkg-config', ['--cflags', '--libs', 'rdkafka']).out.trim().split(/\s+/).filter(Boolean)
  const cc = run('cc', ['-O2', '-Wall', '-o', `${bin}.tmp`, source, ...flags])
  if (!cc.ok) return { skip: `compiling mock-cluster failed: ${tail(cc.out)}` }
  renameSync(`${bin}.tmp`, bin)
  return { path: bin }
}

export function ensureRdkafkaTools(log: Log = (l) => process.stderr.write(`${l}\n`)): RdkafkaTools {
  const envPerf = process.env.RDKAFKA_PERFORMANCE
  const none = (why: string): RdkafkaTools => ({ version: null, perf: null, mock: null, perfSkip: why, mockSkip: why })
  if (!which('cc')) return none('no C compiler (apt-get install gcc)')
  if (!which('pkg-config')) return none('pkg-config not found (apt-get install pkg-config)')
  const pc = run('pkg-config', ['--modversion', 'rdkafka'])
  if (!pc.ok) return none('librdkafka-dev not installed (apt-get install librdkafka-dev)')
  const version = pc.out.trim()
  const dir = join(cacheRoot(), `librdkafka-${version}`)
  mkdirSync(dir, { recursive: true })
  const mock = buildMock(dir, log)
  let perf: { path: string } | { skip: string }
  if (envPerf !== undefined && envPerf !== '') perf = existsSync(envPerf) ? { path: envPerf } : { skip: `RDKAFKA_PERFORMANCE=${envPerf} does not exist` }
  else perf = buildPerf(version, dir, log)
  return {
    version,
    perf: 'path' in perf ? perf.path : null,
    mock: 'path' in mock ? mock.path : null,
    perfSkip: 'skip' in perf ? perf.skip : null,
    mockSkip: 'skip' in mock ? mock.skip : null,
  }
}

/** librdkafka version a built rdkafka_performance reports (its usage text names it). */
export function perfVersion(bin: string): string | null {
  try {
    execFileSync(bin, ['-h'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (e) {
    const m = /librdkafka version (\S+)/.exec(String((e as { stderr?: string }).stderr ?? ''))
    return m === null ? null : m[1]!
  }
  return null
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const t = ensureRdkafkaTools()
  process.stdout.write(`librdkafka ${t.version ?? 'n/a'}\nrdkafka_performance: ${t.perf ?? `skipped: ${t.perfSkip}`}\nmock-cluster: ${t.mock ?? `skipped: ${t.mockSkip}`}\n`)
}
