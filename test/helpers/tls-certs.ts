// Certificates for TLS tests, made with the openssl CLI: a CA, a server certificate for
// 127.0.0.1/localhost (with its key in one PEM file, Kafka's PEM key store layout) and
// client certificates signed by the CA, plus one signed by an unrelated CA.

import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface TestCerts {
  dir: string
  /** CA certificate (the trust store). */
  ca: string
  /** Server key + certificate in one PEM (ssl.keystore.location). */
  serverKeystore: string
  serverCert: string
  serverKey: string
  /** Client certificate and key, subject /O=Samsa/OU=tests/CN=<name>. */
  client(name: string): { cert: string; key: string; subject: string }
  /** A client certificate from a CA the broker does not trust. */
  rogue: { cert: string; key: string }
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
}

function signed(dir: string, name: string, subject: string, caName: string, ext: string | null): void {
  openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}-key.pem`, '-out', `${name}.csr`, '-subj', subject])
  const args = ['x509', '-req', '-in', `${name}.csr`, '-CA', `${caName}.pem`, '-CAkey', `${caName}-key.pem`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-sha256']
  if (ext !== null) {
    writeFileSync(join(dir, `${name}.ext`), ext)
    args.push('-extfile', `${name}.ext`)
  }
  openssl(dir, args)
}

export function makeCerts(dir: string, serverName = 'server'): TestCerts {
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Samsa Test CA'])
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'rogue-ca-key.pem', '-out', 'rogue-ca.pem', '-days', '2', '-subj', '/CN=Rogue CA'])
  signed(dir, serverName, `/CN=${serverName}`, 'ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n')
  writeFileSync(join(dir, `${serverName}-keystore.pem`), readFileSync(join(dir, `${serverName}-key.pem`), 'utf8') + readFileSync(join(dir, `${serverName}.pem`), 'utf8'))
  signed(dir, 'rogue', '/CN=rogue', 'rogue-ca', null)
  const clients = new Map<string, { cert: string; key: string; subject: string }>()
  return {
    dir,
    ca: join(dir, 'ca.pem'),
    serverKeystore: join(dir, `${serverName}-keystore.pem`),
    serverCert: join(dir, `${serverName}.pem`),
    serverKey: join(dir, `${serverName}-key.pem`),
    client(name) {
      let c = clients.get(name)
      if (c === undefined) {
        signed(dir, `client-${name}`, `/O=Samsa/OU=tests/CN=${name}`, 'ca', 'extendedKeyUsage=clientAuth\n')
        c = { cert: join(dir, `client-${name}.pem`), key: join(dir, `client-${name}-key.pem`), subject: `CN=${name},OU=tests,O=Samsa` }
        clients.set(name, c)
      }
      return c
    },
    rogue: { cert: join(dir, 'rogue.pem'), key: join(dir, 'rogue-key.pem') },
  }
}
