// A newcomer's clone has no ../shared beside it. The README's install and test commands
// must work there: npm install, then npm test (typecheck, codec drift check against the
// checked-in schema facts, and the tests that read the schemas). The tap run inside the
// clone is limited to those tests; the rest of the suite is this very run.

import t from 'tap'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot, tempDir } from '../helpers/broker.ts'
import { run } from '../helpers/external.ts'

// npm install and a typecheck in a fresh clone: 1.5 min alone, 3 min beside three other
// test files on two cores, so more than .taprc's 300 s must be allowed.
t.setTimeout(600_000)

t.test('npm install && npm test in a clone without ../shared', async (t) => {
  const dir = tempDir(t, 'samsa-clone-')
  const clone = join(dir, 'samsa')
  execFileSync('git', ['clone', '--quiet', repoRoot, clone])
  t.notOk(existsSync(join(dir, 'shared')), 'nothing beside the clone')

  const install = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--prefix', clone], { timeoutMs: 240_000 })
  if (install.code !== 0) t.comment(install.stderr.slice(-2000))
  t.equal(install.code, 0, 'npm install succeeds')
  const test = await run('npm', ['test', '--prefix', clone, '--', 'test/protocol/generator.test.ts', 'test/protocol/codec-roundtrip.test.ts', 'test/handlers/registry.test.ts'], { timeoutMs: 300_000 })
  if (test.code !== 0) t.comment((test.stdout + test.stderr).slice(-3000))
  t.equal(test.code, 0, 'npm test succeeds')
  t.match(test.stdout, /checked-in facts/, 'the generator used the checked-in schema facts')
  t.match(test.stdout, /generated files in .* are up to date/)
})
