/** A simulator and a running fsrecd wired together on loopback, in a temp dir, for end-to-end tests. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFsrecd, type Fsrecd } from '../../src/app';
import { loadConfigFromString } from '../../src/config/load';
import { silentLogger } from '../../src/log';
import { FreeswitchSimulator } from '../../src/sim/simulator';
import { listFilesSync } from '../../src/util/list-files';

export interface Stack {
  sim: FreeswitchSimulator;
  app: Fsrecd;
  dir: string;
  yaml: string;
  /** Every file under a directory, recursively. */
  files(sub: string): string[];
  restartDaemon(): Promise<Fsrecd>;
}

/** Credentials every stack accepts: one token for all tenants, one for tenant acme.example, one user. */
export const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
export const ACME_TOKEN = 'acme-token-0123456789abcdef';
export const OTHER_TOKEN = 'other-token-0123456789abcdef';
export const USER = { name: 'ops', password: 'correct horse battery' };
export const bearer = (token: string): { headers: { authorization: string } } => ({ headers: { authorization: `Bearer ${token}` } });

export const PHONE = (n: string, domain = 'acme.example'): { number: string; device: string; domain: string } => ({ number: n, device: n, domain });

export async function startStack(t: { teardown(fn: () => unknown): void }, rules: string, simOpts: { clockUs?: () => number; apiTimeoutMs?: number; heartbeatMs?: number; heartbeatTimeoutMs?: number } = {}): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-e2e-'));
  const sim = new FreeswitchSimulator({ password: 'Test-Pw-1', clockUs: simOpts.clockUs, heartbeatMs: simOpts.heartbeatMs });
  const port = await sim.start();
  writeFileSync(join(dir, 'tokens'), `# test tokens\n${ADMIN_TOKEN}\n${ACME_TOKEN} acme.example\n${OTHER_TOKEN} other.example\n`, { mode: 0o600 });
  writeFileSync(join(dir, 'users'), `${USER.name}:${USER.password}\n`, { mode: 0o600 });
  const yaml = `
esl: {host: 127.0.0.1, port: ${port}, password: Test-Pw-1, reconnect_min_ms: 20, reconnect_max_ms: 200, api_timeout_ms: ${simOpts.apiTimeoutMs ?? 3000}${simOpts.heartbeatTimeoutMs ? `, heartbeat_timeout_ms: ${simOpts.heartbeatTimeoutMs}` : ''}}
spool_dir: ${dir}/spool
state_dir: ${dir}/state
storage: {type: local, dir: ${dir}/stored}
http: {listen: "127.0.0.1:0", tokens_file: ${dir}/tokens, users_file: ${dir}/users}
upload: {retry_min_ms: 20, retry_max_ms: 200, orphan_stable_ms: 60000}
${rules}
`;
  const loaded = await loadConfigFromString(yaml, 'e2e.yml');
  if (!loaded.ok) throw new Error(loaded.errors.map(String).join('\n'));
  const start = (): Promise<Fsrecd> => startFsrecd({ config: loaded.config, log: silentLogger(), toggleHangupAfterMs: 20 });
  const stack: Stack = {
    sim,
    app: await start(),
    dir,
    yaml,
    files: (sub) => listFilesSync(join(dir, sub)),
    restartDaemon: async () => {
      await stack.app.stop(1000);
      stack.app = await start();
      return stack.app;
    },
  };
  t.teardown(async () => {
    await stack.app.stop(1000);
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return stack;
}
