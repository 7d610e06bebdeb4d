/**
 * A live reload (SIGHUP, a watched file) cannot change what the daemon opened at its start: the index
 * engine and database (issue #16) among them. The reload names each such change and keeps the running
 * value in force; everything else applies at once.
 */
import t from 'tap';
import { loadConfigFromString } from '../../src/config/load';
import { reloadScope } from '../../src/config/reload-scope';
import type { FsrecdConfig } from '../../src/config/types';

async function config(yaml: string): Promise<FsrecdConfig> {
  const r = await loadConfigFromString(yaml, 'reload.yml', { PGPW: 'x' });
  if (!r.ok) throw new Error(r.errors.map(String).join('\n'));
  return r.config;
}

const PG = 'index:\n  type: postgres\n  postgres:\n    url: postgres://fsrecd@127.0.0.1/fsrecd\n    password_env: PGPW\n';

t.test('switching the index engine, or its database, waits for a restart', async (t) => {
  const sqlite = await config('log: {level: info}\n');
  const pg = await config(`log: {level: debug}\n${PG}`);
  const toPg = reloadScope(sqlite, pg);
  t.same(toPg.needRestart, ['index']);
  t.same(toPg.inForce.index, { type: 'sqlite' }, 'the running engine stays in force');
  t.equal(toPg.inForce.log.level, 'debug', 'the rest of the new file applies at once');

  const otherDb = await config(PG.replace('/fsrecd\n', '/archive\n'));
  t.same(reloadScope(pg, otherDb).needRestart, ['index'], 'another database of the same engine');
  t.same(reloadScope(pg, await config(PG.replace('password_env: PGPW', 'pool_size: 3\n    password_env: PGPW'))).needRestart, ['index'], 'the pool is opened once too');
  t.same(reloadScope(sqlite, await config('index: {type: sqlite}\n')).needRestart, [], 'writing out the default is no change');
  t.same(reloadScope(pg, await config(PG)).needRestart, [], 'the same file again: nothing to report');
});

t.test('the settings that already needed a restart still do, with http.listen and http.tls', async (t) => {
  const base = await config('');
  const next = await config('esl: {port: 8022}\nstate_dir: /tmp/fsrecd-other-state\nhttp: {listen: "127.0.0.1:9390", url_expiry_seconds: 60}\nstorage: {type: local, dir: /tmp/fsrecd-other-store}\n');
  const scope = reloadScope(base, next);
  t.same(scope.needRestart, ['esl', 'spool_dir/state_dir', 'storage', 'http.listen/http.tls']);
  t.same([scope.inForce.esl.port, scope.inForce.stateDir, scope.inForce.http.listen, scope.inForce.storage], [base.esl.port, base.stateDir, base.http.listen, base.storage]);
  t.equal(scope.inForce.http.urlExpirySeconds, 60, 'what the listener reads per request applies at once');
});
