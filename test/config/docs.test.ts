import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { IGNORED_KAFKA_KEYS } from '../../src/config/kafka-ignored.ts'
import { FILE_KEYS } from '../../src/config/load-config.ts'
import { OPTION_SPECS } from '../../src/config/options-table.ts'

// The reference must not drift from the option table.
const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'configuration.md'), 'utf8')

t.test('docs/configuration.md covers every option, flag, env var and file key', async (t) => {
  for (const spec of OPTION_SPECS) {
    t.ok(doc.includes(`| ${spec.name} |`), `row for ${spec.name}`)
    t.ok(doc.includes(`\`${spec.env}\``), spec.env)
    if (spec.flag !== undefined) t.ok(doc.includes(`\`--${spec.flag}`), `--${spec.flag}`)
  }
  for (const key of FILE_KEYS) t.ok(doc.includes(`\`${key}\``), key)
  for (const key of Object.keys(IGNORED_KAFKA_KEYS)) t.ok(doc.includes(`\`${key}\``), `ignored ${key}`)
  t.ok(doc.includes('SAMSA_CONFIG'))
})
