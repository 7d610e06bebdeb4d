/**
 * The model test's status check (test/spool/model/checks.ts checkStatus) on the case of seed 402341225: the
 * recorder told an instance "finished", that instance's journal write failed (ENOSPC) and was still waiting for
 * its retry when the instance was killed. The next instance finds the entry "recording" and only its scan can
 * finish it — once FreeSWITCH can be asked (Guarantees 6) and the file is orphan_stable_ms old. Until then the
 * check must not call it a violation; from then on it must.
 */
import t from 'tap';
import type { RecordingMeta } from '../../src/model/recording';
import type { JournalEntry } from '../../src/spool/journal';
import type { SpoolStatus } from '../../src/spool/status';
import { checkStatus, type Observation, type ScanView } from './model/checks';
import type { ModelRecording } from './model/reference';

const STABLE = 60_000;
const WRITTEN = Date.parse('2025-01-01T00:00:00Z');
const path = '/spool/beta/r97.wav';

function recording(over: Partial<ModelRecording> = {}): ModelRecording {
  const meta: RecordingMeta = { id: 'call-97', callUuid: 'c97', legUuid: 'l97', path, relativePath: 'beta/r97.wav', format: 'wav', srcnum: '1000', dstnum: '2000', callerName: '', direction: 'inbound', network: 'internal', domain: 'd', tenantUuid: 'beta', node: 'n', reasons: ['model'], onDemand: false, startedAt: new Date(WRITTEN - 1000).toISOString() };
  return { n: 97, kind: 'daemon', meta, path, rel: 'beta/r97.wav', content: Buffer.from('RIFF #97 audio'), writing: false, onDisk: true, overwritten: false, followed: false, told: 'finished', toldBy: 3, writtenAtMs: WRITTEN, ...over };
}

/** The world after the restart: the file in spool_dir, the journal on disk still "recording", nothing stored. */
function world(r: ModelRecording): Observation {
  const meta = r.meta as RecordingMeta;
  const entry: JournalEntry = { id: meta.id, state: 'recording', meta, key: meta.relativePath, attempts: 0, updatedAt: meta.startedAt };
  return { files: new Map([[path, r.content.length]]), journal: new Map([[meta.id, entry]]), store: new Map() };
}

const status: SpoolStatus = { inProgress: 1, backlogFiles: 0, backlogBytes: 0, oldestAgeSeconds: 0, stored: 0, lost: 0, journalWritesFailing: 0, problems: [] };

function check(r: ModelRecording, scan: Partial<ScanView>): string[] {
  return checkStatus([r], world(r), new Set(), status, true, { instance: 4, freeswitchAnswers: true, from: WRITTEN + STABLE + 5, stableMs: STABLE, ...scan });
}

t.test('a "finished" a killed instance never journaled waits for the scan while FreeSWITCH cannot be asked (seed 402341225)', async (t) => {
  t.same(check(recording(), { freeswitchAnswers: false }), [], 'no violation: the scan may not finish a file FreeSWITCH might still write');
});

t.test('...and while the file is not orphan_stable_ms old', async (t) => {
  t.same(check(recording(), { from: WRITTEN + STABLE - 10 }), [], 'no violation: the scan finishes only a stable file');
});

t.test('once FreeSWITCH answers and the file is stable, the scan must have finished and stored it', async (t) => {
  const bad = check(recording(), {});
  t.equal(bad.length, 2, 'both violations');
  t.match(bad[0], /status counts call-97 as recording, the recorder told the spool finished/);
  t.match(bad[1], /the spool took finished and storage works, yet nothing is stored/);
});

t.test('the instance that took "finished" still runs: its write retries until it lands, so "recording" is a violation', async (t) => {
  t.equal(check(recording({ toldBy: 4 }), { freeswitchAnswers: false }).length, 2);
});

t.test('a "finished" whose write landed is no longer the scan\'s: the upload owes it', async (t) => {
  const r = recording();
  const obs = world(r);
  const e = obs.journal.get('call-97') as JournalEntry;
  (obs.journal as Map<string, JournalEntry>).set('call-97', { ...e, state: 'finished' });
  const bad = checkStatus([r], obs, new Set(), { ...status, inProgress: 0, backlogFiles: 1 }, true, { instance: 4, freeswitchAnswers: false, from: WRITTEN, stableMs: STABLE });
  t.ok(bad.some((b) => /yet nothing is stored/.test(b)), 'nothing stored is a violation whatever FreeSWITCH says');
});
