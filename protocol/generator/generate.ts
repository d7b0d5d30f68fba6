import { emitApiTable, emitIndex } from './emit-index.ts'
import { emitMessage, kebab } from './emit-message.ts'
import { loadMessages } from './schema.ts'

// File name → contents of everything under protocol/messages/.
export function generateAll(schemaDir: string): Map<string, string> {
  const messages = loadMessages(schemaDir)
  const files = new Map<string, string>()
  for (const m of messages) files.set(`${kebab(m.name)}.ts`, emitMessage(m))
  files.set('index.ts', emitIndex(messages))
  files.set('api-table.ts', emitApiTable(messages))
  return files
}
