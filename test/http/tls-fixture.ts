/** Throw-away certificates made with the openssl command (Debian base has it): a CA and pairs it signs. */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:https';

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

export interface Pair {
  cert: string;
  key: string;
  /** The certificate's serial number in hex, upper case, as getPeerCertificate() gives it. */
  serial: string;
}

/** A CA (ca.pem, ca.key) in `dir`. */
export function makeCa(dir: string): string {
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=fsrecd test CA']);
  return join(dir, 'ca.pem');
}

/** A key and a certificate the CA signed for 127.0.0.1 (or a client), as PEM text, with a fixed serial. */
export function makePair(dir: string, name: string, serial: number, client = false): Pair {
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, client ? 'extendedKeyUsage=clientAuth\n' : 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', String(serial), '-days', '2', '-extfile', ext, '-out', `${name}.pem`]);
  return { cert: readFileSync(join(dir, `${name}.pem`), 'utf8'), key: readFileSync(join(dir, `${name}.key`), 'utf8'), serial: serial.toString(16).toUpperCase().padStart(2, '0') };
}

/** GET over TLS trusting only `ca`: the status and the serial of the certificate the server presented. */
export function getTls(port: number, path: string, ca: string, client?: Pair): Promise<{ status: number; serial: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ca, agent: false, ...(client ? { cert: client.cert, key: client.key } : {}) }, (res) => {
      const serial = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().serialNumber;
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, serial }));
    });
    req.on('error', reject);
    req.end();
  });
}
