// `--command-config <file>`: the Kafka client properties Kafka's tools take there, turned
// into what a connection needs (TLS material, SASL credentials). Kafka's names first:
// security.protocol, sasl.mechanism, sasl.jaas.config (PlainLoginModule / ScramLoginModule
// with username and password), ssl.truststore.* and ssl.keystore.* in PEM form,
// ssl.key.password, ssl.endpoint.identification.algorithm. librdkafka's names
// (sasl.mechanisms, sasl.username, sasl.password, ssl.ca.location,
// ssl.certificate.location, ssl.key.location) are read too, so one file can serve kcat
// and this tool. A file that cannot work is a usage error naming the property; a
// property this tool does not use is reported, not fatal, as Kafka's clients warn.

import { readFileSync } from 'node:fs'
import { parseProperties } from '../../config/properties.ts'
import { UsageError } from './errors.ts'

export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL'
export type ClientSaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'

export interface ClientTls {
  /** PEM CA certificates; undefined: the system's trusted CAs. */
  ca?: string
  /** PEM client certificate chain and key, for listeners with ssl.client.auth. */
  cert?: string
  key?: string
  passphrase?: string
  /** ssl.endpoint.identification.algorithm=https (Kafka's default): the certificate must name the host. */
  verifyHostname: boolean
}

export interface ClientSecurity {
  protocol: SecurityProtocol
  tls: ClientTls | null
  sasl: { mechanism: ClientSaslMechanism, username: string, password: string } | null
  clientId?: string
}

export const PLAINTEXT_SECURITY: ClientSecurity = { protocol: 'PLAINTEXT', tls: null, sasl: null }

const PROTOCOLS: readonly SecurityProtocol[] = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL']
const MECHANISMS: readonly ClientSaslMechanism[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']
const LOGIN_MODULES: Readonly<Record<string, readonly ClientSaslMechanism[]>> = {
  'org.apache.kafka.common.security.plain.PlainLoginModule': ['PLAIN'],
  'org.apache.kafka.common.security.scram.ScramLoginModule': ['SCRAM-SHA-256', 'SCRAM-SHA-512'],
}
/** Read elsewhere or harmless here: not worth a warning. */
const TOLERATED = new Set([
  'ssl.truststore.type', 'ssl.keystore.type', 'ssl.truststore.password', 'ssl.keystore.password', 'ssl.protocol',
  'ssl.enabled.protocols', 'request.timeout.ms', 'default.api.timeout.ms', 'retries', 'retry.backoff.ms',
])

/**
 * A JAAS entry as Kafka's JaasConfig reads it: `<LoginModule> <flag> key=value …;`, values
 * bare or double-quoted (with backslash escapes).
 */
export function parseJaasConfig (text: string): { module: string, options: Map<string, string> } {
  const tokens: string[] = []
  const re = /\s*(?:"((?:\\.|[^"\\])*)"|([^\s=;"]+)|(=)|(;))/y
  const source = text.trim()
  while (re.lastIndex < source.length) {
    const at = re.lastIndex
    const m = re.exec(source)
    // The position only: the text there may be part of a password.
    if (m === null) throw new UsageError(`sasl.jaas.config cannot be parsed at character ${at + 1} (an unclosed quote?)`)
    // A leading '"' marks a quoted value, so a quoted "=" or ";" is never syntax.
    if (m[1] !== undefined) tokens.push(`"${m[1].replace(/\\(.)/g, '$1')}`)
    else tokens.push(m[2] ?? m[3] ?? m[4]!)
  }
  const bare = (t: string | undefined): string | undefined => t === undefined || t === '=' || t === ';' ? undefined : t.startsWith('"') ? t.slice(1) : t
  const module = bare(tokens[0])
  const flag = bare(tokens[1])
  if (module === undefined || flag === undefined || !['required', 'requisite', 'sufficient', 'optional'].includes(flag)) {
    throw new UsageError('sasl.jaas.config must read `<LoginModule> required username="…" password="…";`')
  }
  const options = new Map<string, string>()
  let i = 2
  for (; i < tokens.length && tokens[i] !== ';'; i += 3) {
    const key = bare(tokens[i])
    const value = bare(tokens[i + 2])
    if (key === undefined || tokens[i + 1] !== '=' || value === undefined) throw new UsageError('sasl.jaas.config: expected key=value options after the login module flag')
    options.set(key, value)
  }
  if (tokens[i] !== ';') throw new UsageError('sasl.jaas.config must end with ";"')
  if (i + 1 < tokens.length) throw new UsageError('sasl.jaas.config: only one login module is supported')
  return { module, options }
}

function readPem (path: string, property: string): string {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    throw new UsageError(`Cannot read ${path} (${property}): ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
  }
  if (!text.includes('-----BEGIN ')) {
    throw new UsageError(`${path} (${property}) is not a PEM file; this tool reads PEM stores only (convert a JKS or PKCS12 store with keytool -importkeystore / openssl pkcs12)`)
  }
  return text
}

/** The security settings in a --command-config file's text; `notes` gets one line per ignored property. */
export function clientSecurityFromProperties (text: string, notes: (line: string) => void = () => {}): ClientSecurity {
  const props = new Map<string, string>()
  for (const e of parseProperties(text)) props.set(e.key, e.value.trim())
  const used = new Set<string>()
  const get = (...keys: string[]): string | undefined => {
    for (const k of keys) {
      const v = props.get(k)
      used.add(k)
      if (v !== undefined && v !== '') return v
    }
    return undefined
  }

  const protocolText = (get('security.protocol') ?? 'PLAINTEXT').toUpperCase()
  if (!(PROTOCOLS as readonly string[]).includes(protocolText)) throw new UsageError(`security.protocol=${protocolText} is not one of ${PROTOCOLS.join(', ')}`)
  const protocol = protocolText as SecurityProtocol
  const clientId = get('client.id')

  let tls: ClientTls | null = null
  if (protocol === 'SSL' || protocol === 'SASL_SSL') {
    tls = { verifyHostname: (props.get('ssl.endpoint.identification.algorithm') ?? 'https').toLowerCase() === 'https' }
    used.add('ssl.endpoint.identification.algorithm')
    for (const [key, type] of [['ssl.truststore.type', 'truststore'], ['ssl.keystore.type', 'keystore']] as const) {
      const t = get(key)
      if (t !== undefined && t.toUpperCase() !== 'PEM') throw new UsageError(`${key}=${t}: this tool reads PEM ${type}s only (ssl.${type}.type=PEM)`)
    }
    const caFile = get('ssl.truststore.location', 'ssl.ca.location')
    const caInline = get('ssl.truststore.certificates')
    if (caFile !== undefined) tls.ca = readPem(caFile, props.has('ssl.truststore.location') ? 'ssl.truststore.location' : 'ssl.ca.location')
    else if (caInline !== undefined) tls.ca = caInline
    const keystore = get('ssl.keystore.location')
    const certFile = get('ssl.certificate.location')
    const keyFile = get('ssl.key.location')
    if (keystore !== undefined) {
      // Kafka's PEM key store: the private key and the certificate chain in one file.
      const pem = readPem(keystore, 'ssl.keystore.location')
      tls.cert = pem
      tls.key = pem
    } else if (get('ssl.keystore.key') !== undefined) {
      tls.key = get('ssl.keystore.key')
      tls.cert = get('ssl.keystore.certificate.chain')
      if (tls.cert === undefined) throw new UsageError('ssl.keystore.key needs ssl.keystore.certificate.chain')
    } else if (certFile !== undefined || keyFile !== undefined) {
      if (certFile === undefined || keyFile === undefined) throw new UsageError('ssl.certificate.location and ssl.key.location go together')
      tls.cert = readPem(certFile, 'ssl.certificate.location')
      tls.key = readPem(keyFile, 'ssl.key.location')
    }
    const passphrase = get('ssl.key.password')
    if (passphrase !== undefined) tls.passphrase = passphrase
  }

  let sasl: ClientSecurity['sasl'] = null
  if (protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL') {
    const mechanismText = get('sasl.mechanism', 'sasl.mechanisms')
    if (mechanismText === undefined) throw new UsageError(`security.protocol=${protocol} needs sasl.mechanism (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; Kafka's default GSSAPI is not supported here)`)
    const mechanism = mechanismText.toUpperCase() as ClientSaslMechanism
    if (!MECHANISMS.includes(mechanism)) throw new UsageError(`sasl.mechanism=${mechanismText} is not supported by this tool; use ${MECHANISMS.join(', ')}`)
    let username = get('sasl.username')
    let password = get('sasl.password')
    const jaas = get('sasl.jaas.config')
    if (jaas !== undefined) {
      const { module, options } = parseJaasConfig(jaas)
      const fits = LOGIN_MODULES[module]
      if (fits === undefined) throw new UsageError(`sasl.jaas.config: login module ${module} is not supported; use ${Object.keys(LOGIN_MODULES).join(' or ')}`)
      if (!fits.includes(mechanism)) throw new UsageError(`sasl.jaas.config: ${module} does not serve sasl.mechanism=${mechanism}`)
      username = options.get('username')
      password = options.get('password')
    }
    if (username === undefined || password === undefined) throw new UsageError(`sasl.mechanism=${mechanism} needs a username and password: sasl.jaas.config=… required username="…" password="…";`)
    sasl = { mechanism, username, password }
  }

  for (const key of props.keys()) {
    if (!used.has(key) && !TOLERATED.has(key)) notes(`Warning: the property ${key} in --command-config is not used by this tool`)
  }
  return { protocol, tls, sasl, ...(clientId !== undefined ? { clientId } : {}) }
}

export function loadCommandConfig (path: string, notes: (line: string) => void): ClientSecurity {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    throw new UsageError(`Cannot read --command-config ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
  }
  try {
    return clientSecurityFromProperties(text, notes)
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(`--command-config ${path}: ${e.message}`)
    throw e
  }
}
