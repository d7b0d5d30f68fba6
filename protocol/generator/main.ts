// Regenerates protocol/messages/ from Kafka's JSON message schemas.
//   node protocol/generator/main.ts            write the files
//   node protocol/generator/main.ts --check    exit 1 if the checked-in files drifted
// Options: --schemas DIR|FILE (default $SAMSA_KAFKA_MESSAGES, else ../shared/kafka-messages
// next to the repo when it exists, else the checked-in facts file), --out DIR (default
// protocol/messages), --facts FILE (default protocol/generator/kafka-schema-facts.json).
// From Kafka's schema directory it also writes protocol/generator/kafka-schema-facts.json
// (the schemas without their prose), which lets a clone without that directory generate
// and check the same code.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { GENERATED_MARK } from './emit-index.ts'
import { generateAll } from './generate.ts'
import { schemaFactsText } from './schema.ts'

const repoRoot = resolve(import.meta.dirname, '../..')

const { values } = parseArgs({
  options: {
    check: { type: 'boolean', default: false },
    out: { type: 'string' },
    schemas: { type: 'string' },
    facts: { type: 'string' },
  },
})

const FACTS_FILE = resolve(values.facts ?? join(repoRoot, 'protocol/generator/kafka-schema-facts.json'))
const sharedSchemas = join(repoRoot, '../shared/kafka-messages')
const schemaDir = resolve(values.schemas ?? process.env.SAMSA_KAFKA_MESSAGES ?? (existsSync(sharedSchemas) ? sharedSchemas : FACTS_FILE))
const outDir = resolve(values.out ?? join(repoRoot, 'protocol/messages'))

if (!existsSync(schemaDir)) {
  console.error(`schemas not found: ${schemaDir} (set SAMSA_KAFKA_MESSAGES or --schemas)`)
  process.exit(2)
}
const fromFacts = schemaDir.endsWith('.json')
console.log(`schemas: ${fromFacts ? `${schemaDir} (checked-in facts; Kafka's schema directory is not beside the repository)` : schemaDir}`)

const files = generateAll(schemaDir)
// The facts file is generated from the schema directory, and checked against it.
const facts = fromFacts ? null : schemaFactsText(schemaDir)

// Generated files on disk that the schemas no longer produce.
function staleFiles(): string[] {
  if (!existsSync(outDir)) return []
  return readdirSync(outDir)
    .filter((f) => f.endsWith('.ts') && !files.has(f))
    .filter((f) => readFileSync(join(outDir, f), 'utf8').startsWith(GENERATED_MARK))
}

function read(path: string): string | null {
  return existsSync(path) ? readFileSync(path, 'utf8') : null
}

if (values.check) {
  const drift: string[] = []
  for (const [name, text] of files) {
    const onDisk = read(join(outDir, name))
    if (onDisk === null) drift.push(`${name} (missing)`)
    else if (onDisk !== text) drift.push(`${name} (differs)`)
  }
  for (const name of staleFiles()) drift.push(`${name} (stale: no schema produces it)`)
  if (facts !== null && read(FACTS_FILE) !== facts) drift.push(`${FACTS_FILE} (differs from ${schemaDir})`)
  if (drift.length > 0) {
    console.error(`generated protocol code is out of date in ${outDir}:`)
    for (const d of drift) console.error(`  ${d}`)
    console.error('run `npm run codegen` to regenerate (never edit generated files by hand)')
    process.exit(1)
  }
  console.log(`${files.size} generated files in ${outDir} are up to date`)
} else {
  mkdirSync(outDir, { recursive: true })
  let written = 0
  for (const [name, text] of files) {
    const path = join(outDir, name)
    if (read(path) !== text) {
      writeFileSync(path, text)
      written++
    }
  }
  const stale = staleFiles()
  for (const name of stale) rmSync(join(outDir, name))
  if (facts !== null && read(FACTS_FILE) !== facts) writeFileSync(FACTS_FILE, facts)
  console.log(`${files.size} files generated in ${outDir} (${written} written, ${stale.length} removed)`)
}
