/**
 * HTTPS for the listener (http.tls): the server's options from the PEM files, and the watch that re-reads
 * them when they change (a renewed certificate, certbot's or an ACME client's swap) and hands the new pair
 * to `server.setSecureContext` for the connections that follow. A pair that does not serve (a key of
 * another certificate, a file half-written, unreadable) is logged and the previous pair stays: the listener
 * never goes down, or without TLS, because of a bad file.
 *
 * The files are polled with stat (size, mtime, inode, ctime) rather than fs.watch: a renewal that replaces a
 * file by rename or swaps a symlink (/etc/letsencrypt/live/...) leaves an inotify watch on the old inode.
 */
import { X509Certificate } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { Server as HttpsServer, ServerOptions } from 'node:https';
import { tlsMaterialProblem, type TlsMaterial } from '../config/http-tls';
import type { HttpTlsConfig } from '../config/types';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';

function filesOf(cfg: HttpTlsConfig): string[] {
  return [cfg.certFile, cfg.keyFile, ...(cfg.caFile ? [cfg.caFile] : [])];
}

async function readMaterial(cfg: HttpTlsConfig): Promise<TlsMaterial> {
  const [cert, key, ca] = await Promise.all(filesOf(cfg).map((f) => readFile(f, 'utf8')));
  return { cert: cert as string, key: key as string, ca };
}

/** What identifies the files' current contents without reading them. */
async function signature(cfg: HttpTlsConfig): Promise<string> {
  const parts = await Promise.all(
    filesOf(cfg).map((f) =>
      stat(f).then(
        (s) => `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`,
        (err: NodeJS.ErrnoException) => `missing:${err.code ?? ''}`,
      ),
    ),
  );
  return parts.join('|');
}

/** The server's TLS options: the pair, the floor version and, with a CA, client certificates required. */
function serverOptions(cfg: HttpTlsConfig, m: TlsMaterial): ServerOptions {
  return {
    cert: m.cert,
    key: m.key,
    minVersion: cfg.minVersion,
    ...(m.ca === undefined ? {} : { ca: m.ca, requestCert: true, rejectUnauthorized: true }),
  };
}

function describeCert(pem: string): { subject: string; validTo: string; expiresAt: number } {
  const x = new X509Certificate(pem);
  return { subject: x.subject.replace(/\n/g, ', '), validTo: x.validTo, expiresAt: Date.parse(x.validTo) / 1000 };
}

export class TlsFiles {
  #signature = '';
  #timer: NodeJS.Timeout | undefined;
  #checking: Promise<void> | undefined;

  private constructor(
    private readonly cfg: HttpTlsConfig,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {}

  /** Reads the files for the listener's first start; a pair that does not serve is an error here. */
  static async open(cfg: HttpTlsConfig, log: Logger, metrics: Metrics): Promise<{ files: TlsFiles; options: ServerOptions }> {
    const files = new TlsFiles(cfg, log, metrics);
    files.#signature = await signature(cfg);
    const m = await readMaterial(cfg);
    const problem = tlsMaterialProblem(m, cfg);
    if (problem) throw new Error(`http.tls.${problem.key}: ${problem.message}`);
    files.#served(m);
    return { files, options: serverOptions(cfg, m) };
  }

  /** Checks every http.tls.check_interval_ms until the server closes. */
  watch(server: HttpsServer): void {
    this.#timer = setInterval(() => void this.check(server), this.cfg.checkIntervalMs);
    this.#timer.unref();
    server.once('close', () => clearInterval(this.#timer));
  }

  /** One check: when a file changed, the new pair is served if it can be, else the previous one stays. */
  check(server: HttpsServer): Promise<void> {
    // One at a time: a slow read must not let two checks race to set the context.
    this.#checking ??= this.#check(server).finally(() => (this.#checking = undefined));
    return this.#checking;
  }

  async #check(server: HttpsServer): Promise<void> {
    const now = await signature(this.cfg);
    if (now === this.#signature) return;
    // Remembered before trying: a bad pair is reported once, and tried again only when a file changes again.
    this.#signature = now;
    let m: TlsMaterial;
    try {
      m = await readMaterial(this.cfg);
    } catch (err) {
      return this.#kept(`cannot read: ${String(err)}`);
    }
    const problem = tlsMaterialProblem(m, this.cfg);
    if (problem) return this.#kept(`http.tls.${problem.key}: ${problem.message}`);
    try {
      server.setSecureContext(serverOptions(this.cfg, m));
    } catch (err) {
      return this.#kept(String(err));
    }
    const cert = this.#served(m);
    this.log.info('TLS certificate reloaded', { certFile: this.cfg.certFile, subject: cert.subject, validTo: cert.validTo });
  }

  #kept(problem: string): void {
    this.metrics.inc('fsrecd_tls_reload_failures_total', 'Changed TLS certificate or key files that could not be used (the previous pair stayed)');
    this.log.error('TLS certificate or key changed but cannot be used; keeping the previous pair', { certFile: this.cfg.certFile, keyFile: this.cfg.keyFile, problem });
  }

  #served(m: TlsMaterial): { subject: string; validTo: string } {
    const cert = describeCert(m.cert);
    this.metrics.set('fsrecd_tls_certificate_expiry_seconds', 'When the served TLS certificate expires (Unix time)', cert.expiresAt);
    return cert;
  }
}
