// The key, certificate chain and trusted CAs of the SSL and SASL_SSL listeners, from
// Kafka's PEM properties: ssl.keystore.location (one PEM file holding the private key and
// the certificate chain, the key optionally encrypted with ssl.key.password) or the
// inline ssl.keystore.key / ssl.keystore.certificate.chain, and ssl.truststore.location
// or ssl.truststore.certificates. File-based material is reloaded when the files change
// (see watch()); connections already open keep the context they were made with, as in
// Kafka after a keystore update.

import { readFileSync, watch, type FSWatcher } from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import type { SecureContextOptions } from 'node:tls'
import type { BrokerOptions } from '../config/broker-options.ts'
import { ConfigError } from '../config/config-error.ts'

/** A key or trust store that is missing or unusable: a configuration error (exit code 2). */
export class TlsConfigError extends ConfigError {
  constructor(message: string, key: string) {
    super(`TLS: ${message}`, key, key)
  }
}

type TlsOptions = Pick<BrokerOptions, 'sslKeystoreLocation' | 'sslKeyPassword' | 'sslKeystoreCertificateChain' | 'sslKeystoreKey' | 'sslTruststoreLocation' | 'sslTruststoreCertificates' | 'sslClientAuth'>

export class TlsCredentials {
  private readonly options: TlsOptions

  constructor(options: TlsOptions) {
    this.options = options
    if (options.sslKeystoreLocation === '' && (options.sslKeystoreKey === '' || options.sslKeystoreCertificateChain === '')) {
      throw new TlsConfigError('an SSL or SASL_SSL listener needs ssl.keystore.location (a PEM file with the private key and certificate chain), or ssl.keystore.key with ssl.keystore.certificate.chain', 'sslKeystoreLocation')
    }
    if (options.sslKeystoreLocation !== '' && options.sslKeystoreKey !== '') {
      throw new TlsConfigError('set either ssl.keystore.location or ssl.keystore.key / ssl.keystore.certificate.chain, not both', 'sslKeystoreKey')
    }
    if (options.sslClientAuth !== 'none' && this.hasTruststore === false) {
      throw new TlsConfigError(`ssl.client.auth=${options.sslClientAuth} needs ssl.truststore.location or ssl.truststore.certificates (the CAs client certificates must chain to)`, 'sslTruststoreLocation')
    }
  }

  private get hasTruststore(): boolean {
    return this.options.sslTruststoreLocation !== '' || this.options.sslTruststoreCertificates !== ''
  }

  /** Reads the files now; throws (naming the setting) when they are missing, unreadable or do not form a usable context. */
  load(): SecureContextOptions {
    const o = this.options
    const read = (path: string, key: string): string => {
      try {
        return readFileSync(path, 'utf8')
      } catch (err) {
        throw new TlsConfigError(`cannot read ${path} (${key}): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, key)
      }
    }
    const keystore = o.sslKeystoreLocation !== '' ? read(o.sslKeystoreLocation, 'ssl.keystore.location') : null
    const out: SecureContextOptions = {
      key: keystore ?? o.sslKeystoreKey,
      cert: keystore ?? o.sslKeystoreCertificateChain,
    }
    if (o.sslKeyPassword !== '') out.passphrase = o.sslKeyPassword
    if (o.sslTruststoreLocation !== '') out.ca = read(o.sslTruststoreLocation, 'ssl.truststore.location')
    else if (o.sslTruststoreCertificates !== '') out.ca = o.sslTruststoreCertificates
    try {
      // Loaded here, not at import: kafka-server.ts imports this module for plaintext brokers too.
      process.getBuiltinModule('node:tls').createSecureContext(out)
    } catch (err) {
      throw new TlsConfigError(`the key store does not hold a usable private key and certificate: ${(err as Error).message}`, o.sslKeystoreLocation !== '' ? 'ssl.keystore.location' : 'ssl.keystore.key')
    }
    return out
  }

  /**
   * Calls `onChange` with freshly loaded material whenever a key or trust store file is
   * written or replaced (debounced), or `onError` when the new files do not load: the
   * old material then stays in use. Directories are watched, not files, because
   * certificate tools (certbot, cert-manager) replace files by renaming over them.
   */
  watch(onChange: (options: SecureContextOptions) => void, onError: (err: Error) => void, debounceMs = 200): () => void {
    const files = [this.options.sslKeystoreLocation, this.options.sslTruststoreLocation].filter((f) => f !== '').map((f) => resolve(f))
    const byDir = new Map<string, Set<string>>()
    for (const f of files) {
      const names = byDir.get(dirname(f)) ?? new Set<string>()
      names.add(basename(f))
      byDir.set(dirname(f), names)
    }
    let timer: NodeJS.Timeout | null = null
    const reload = (): void => {
      timer = null
      let next: SecureContextOptions
      try {
        next = this.load()
      } catch (err) {
        onError(err as Error)
        return
      }
      onChange(next)
    }
    const watchers: FSWatcher[] = []
    for (const [dir, names] of byDir) {
      try {
        const w = watch(dir, { persistent: false }, (_event, name) => {
          if (name !== null && !names.has(name.toString())) return
          if (timer !== null) clearTimeout(timer)
          timer = setTimeout(reload, debounceMs)
          timer.unref()
        })
        w.on('error', (err) => onError(err))
        watchers.push(w)
      } catch (err) {
        onError(err as Error)
      }
    }
    return () => {
      if (timer !== null) clearTimeout(timer)
      for (const w of watchers) w.close()
    }
  }
}
