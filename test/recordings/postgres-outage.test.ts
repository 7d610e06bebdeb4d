/**
 * The shared index going away must cost no index entry and no recording: a PostgreSQL that is down when
 * the daemon starts (ReachableIndex: start, queue, connect later, catch up) or that goes away while it runs
 * (PostgresIndex keeps the followed steps and writes them when it is back). The outage is real: a TCP relay
 * in front of the server is cut (connections reset, new ones refused) and put back on the same port.
 */
import t from 'tap';
import type { RecordingIndex } from '../../src/recordings/index-store';
import { PostgresIndex } from '../../src/recordings/postgres/postgres-index';
import { ReachableIndex } from '../../src/recordings/reachable-index';
import type { RecordingEntry } from '../../src/recordings/types';
import { postgresFor } from '../helpers/postgres-server';
import { Relay } from '../helpers/tcp-relay';
import { waitFor } from '../helpers/wait-for';
import { postgresConfig } from './engines';

function entry(i: number, step = 'finished' as RecordingEntry['state']): RecordingEntry {
  return {
    id: `rec-${i}`, callUuid: `call-${i}`, legUuid: `call-${i}`, startedAt: new Date(Date.UTC(2026, 10, 1) + i * 1000).toISOString(),
    state: step, direction: 'inbound', network: 'internal', srcnum: '1000', dstnum: '1001', callerName: '', domain: 'acme.example', tenant: 'acme',
    node: 'pbx-a', reasons: ['account acme on'], trigger: 'rule', format: 'wav', key: `pbx-a/${i}.wav`, source: 'journal', conversationId: `call-${i}`, segment: 1,
  };
}

interface Said { level: string; message: string }
const logTo = (said: Said[]) => ({
  warn: (message: string) => void said.push({ level: 'warn', message }),
  info: (message: string) => void said.push({ level: 'info', message }),
  error: (message: string) => void said.push({ level: 'error', message }),
});

t.test('a database that goes away while the index runs: followed steps are kept and written when it is back', async (t) => {
  const pg = await postgresFor(t);
  const url = await pg.createDatabase('outage_running');
  const relay = new Relay(pg.port);
  await relay.up();
  t.teardown(() => relay.cut());
  const said: Said[] = [];
  const index = await PostgresIndex.connect(postgresConfig(pg, url.replace(`:${pg.port}/`, `:${relay.port}/`)), { log: logTo(said) });
  t.teardown(() => index.close());
  const direct = await PostgresIndex.connect(postgresConfig(pg, url));
  t.teardown(() => direct.close());

  index.follow('rec-1', () => entry(1));
  await index.flush();
  t.equal((await direct.get('rec-1'))?.state, 'finished', 'written while the database is there');

  await relay.cut();
  index.follow('rec-1', () => entry(1, 'stored'));
  index.follow('rec-2', () => entry(2));
  await waitFor(() => said.some((s) => s.message.startsWith('PostgreSQL index unreachable')), 'the outage to be noticed');
  t.equal(index.followPending, 2, 'both steps kept, not reported as failed');
  index.follow('rec-2', () => entry(2, 'stored'));
  await t.rejects(index.get('rec-2'), 'a read fails plainly while the database is away');

  await relay.up();
  await waitFor(async () => (await direct.get('rec-2'))?.state === 'stored', 'the kept steps to be written after the outage', 40_000);
  t.equal((await direct.get('rec-1'))?.state, 'stored', 'the latest step of each recording');
  t.equal(index.followPending, 0);
  t.equal(said.filter((s) => s.message.startsWith('PostgreSQL index unreachable')).length, 1, 'the outage said once, not at every retry');
});

t.test('a database that is down when the daemon starts: it starts, queues, connects later and catches up', async (t) => {
  const pg = await postgresFor(t);
  const url = await pg.createDatabase('outage_start');
  const relay = new Relay(pg.port);
  await relay.up();
  const port = relay.port;
  await relay.cut();
  t.teardown(() => relay.cut());
  const said: Said[] = [];
  let caughtUp: RecordingIndex | undefined;
  const index = new ReachableIndex({
    engine: 'postgres',
    location: 'postgres test',
    connect: () => PostgresIndex.connect({ ...postgresConfig(pg, url.replace(`:${pg.port}/`, `:${port}/`)), connectTimeoutMs: 1000 }),
    log: logTo(said),
    onConnected: async (inner) => {
      await inner.upsert(entry(9, 'stored'));
      caughtUp = inner;
    },
    retryMinMs: 50,
    retryMaxMs: 200,
  });
  t.teardown(() => index.close());
  await index.start();
  t.notOk(index.connected, 'started without the database');
  t.ok(said.some((s) => s.level === 'error' && s.message.startsWith('recordings index unreachable')), 'the outage is logged');
  index.follow('rec-3', () => entry(3));
  index.follow('rec-3', () => entry(3, 'stored'));
  t.equal(index.followPending, 1, 'the latest step per recording is kept');
  await t.rejects(index.query({ limit: 10 }), { name: 'IndexUnavailableError' }, 'a read says the index is unavailable (the API answers 503)');
  await t.rejects(index.clusterLock('retention').acquire(), { name: 'IndexUnavailableError' }, 'no lock is taken without the database');

  relay.port = port;
  await relay.up();
  await waitFor(() => caughtUp, 'the connection and the catch-up', 20_000);
  await index.flush();
  const direct = await PostgresIndex.connect(postgresConfig(pg, url));
  t.teardown(() => direct.close());
  t.equal((await direct.get('rec-3'))?.state, 'stored', 'the step told during the outage is written');
  t.equal((await direct.get('rec-9'))?.state, 'stored', 'onConnected ran (the daemon catches up from its journal there)');
  t.ok(said.some((s) => s.message === 'recordings index reachable again'));
  t.equal(said.filter((s) => s.message.startsWith('recordings index unreachable')).length, 1, 'said once per outage');
});
