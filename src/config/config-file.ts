import { readFileSync } from 'node:fs'
import { extname, resolve } from 'node:path'
import { ConfigError } from './config-error.ts'
import { parseProperties } from './properties.ts'

export interface FileEntry {
  readonly key: string
  readonly value: unknown
}

export interface ConfigFile {
  /** As the user wrote it, for messages. */
  readonly displayPath: string
  readonly absolutePath: string
  readonly entries: readonly FileEntry[]
}

/** Reads a .json or .properties config file; `from` is where its path came from. */
export function readConfigFile (path: string, cwd: string, from: string): ConfigFile {
  const absolutePath = resolve(cwd, path)
  const source = `config file ${path}`
  const ext = extname(absolutePath).toLowerCase()
  if (ext !== '.json' && ext !== '.properties') {
    throw new ConfigError(`Config file ${path} (${from}) must end in .json or .properties`, 'config', from)
  }
  let text: string
  try {
    text = readFileSync(absolutePath, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${(err as Error).message})`
    throw new ConfigError(`Config file ${path} (${from}) ${why}`, 'config', from)
  }
  const entries = ext === '.json' ? parseJson(text, path, source) : parseProperties(text)
  return { displayPath: path, absolutePath, entries }
}

function parseJson (text: string, path: string, source: string): FileEntry[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new ConfigError(`Config file ${path} is not valid JSON: ${(err as Error).message}`, 'config', source)
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`Config file ${path} must contain a JSON object of settings`, 'config', source)
  }
  return Object.entries(parsed).map(([key, value]) => ({ key, value }))
}
