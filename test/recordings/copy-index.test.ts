/**
 * fsrecd recordings import-index: a node's SQLite index copied into PostgreSQL (and SQLite into SQLite,
 * the same code) keeps every recording, each tombstone, each hold and the audit trail in order; a second
 * copy adds nothing (the audit trail is not doubled unless asked).
 */
import t from 'tap';
import { copyIndex } from '../../src/recordings/copy-index';
import type { RecordingEntry } from '../../src/recordings/types';
import { ENGINES, indexPlace } from './engines';

function entry(i: number, over: Partial<RecordingEntry> = {}): RecordingEntry {
  return {
    id: `rec-${i}`,
    callUuid: `call-${i}`,
    legUuid: `call-${i}`,
    startedAt: new Date(Date.UTC(2026, 10, 1) + i * 60_000).toISOString(),
    state: 'stored',
    direction: 'inbound',
    network: 'external',
    srcnum: `+1555000${i}`,
    dstnum: '1000',
    callerName: `Caller ${i}`,
    domain: 'acme.example',
    tenant: 'acme',
    node: i % 2 ? 'pbx-a' : 'pbx-b',
    reasons: ['account acme on'],
    trigger: 'rule',
    format: 'wav',
    key: `pbx/${i}.wav`,
    size: 100 + i,
    source: 'journal',
    conversationId: `call-${i}`,
    segment: 1,
    ...over,
  };
}

const TOMBSTONE = { deletedAt: '2026-11-03T00:00:00.000Z', deletedBy: 'op', reason: 'erasure request', cause: 'request' } as const;
const HOLD = { reason: 'case 7', by: 'op', at: '2026-11-02T00:00:00.000Z', objectLock: false };

for (const target of ENGINES) {
  t.test(`sqlite → ${target}: recordings, tombstones, holds and the audit trail`, async (t) => {
    const from = await (await indexPlace(t, 'sqlite')).open();
    const to = await (await indexPlace(t, target)).open();
    await from.upsertMany(Array.from({ length: 2500 }, (_, i) => entry(i)));
    t.ok(await from.markDeleted('rec-3', TOMBSTONE));
    t.ok(await from.setHold('rec-5', HOLD));
    for (let k = 0; k < 1200; k++) {
      await from.audit.append({ at: new Date(Date.UTC(2026, 10, 2) + k * 1000).toISOString(), action: k % 2 ? 'play' : 'download', recordingId: `rec-${k % 50}`, tenant: 'acme', actor: `user${k}`, from: '127.0.0.1', outcome: 'ok' });
    }

    const first = await copyIndex(from, to);
    t.same(first, { recordings: 2500, tombstones: 1, holds: 1, auditEvents: 1200, auditSkipped: false });
    t.same(await to.counts(), await from.counts(), 'the same rows in the same states');
    t.same(await to.get('rec-3'), await from.get('rec-3'), 'the tombstone with who, when and why');
    t.same((await to.get('rec-5'))?.hold, HOLD);
    t.equal((await to.get('rec-8'))?.node, 'pbx-b');
    t.same((await to.query({ limit: 10, node: 'pbx-a' })).recordings.map((r) => r.id), (await from.query({ limit: 10, node: 'pbx-a' })).recordings.map((r) => r.id));
    const actors = async (index: typeof from): Promise<string[]> => (await index.audit.page({ limit: 1000 })).events.map((e) => e.actor);
    t.same(await actors(to), await actors(from), 'the audit trail in the same order');

    const again = await copyIndex(from, to);
    t.same(again, { recordings: 2500, tombstones: 0, holds: 0, auditEvents: 0, auditSkipped: true }, 'a second copy adds no tombstone, hold or audit event');
    t.same(await to.counts(), await from.counts());
    t.equal((await to.get('rec-3'))?.state, 'deleted', 'the copy did not bring the deleted recording back');
  });
}
