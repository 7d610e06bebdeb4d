/** The spool scan's decision per file, without a disk: every rule of src/spool/scan-decision.ts. */
import t from 'tap';
import type { RecordingMeta } from '../../src/model/recording';
import type { EntryState, JournalEntry } from '../../src/spool/journal';
import { decideScan, type FoundFile, type ScanContext } from '../../src/spool/scan-decision';

const NOW = Date.parse('2026-11-27T12:00:00Z');
const ctx = (over: Partial<ScanContext> = {}): ScanContext => ({ now: NOW, stableMs: 60_000, keepLocalMs: 0, recorderFollows: () => false, ...over });
const file = (over: Partial<FoundFile> = {}): FoundFile => ({ path: '/spool/a.wav', size: 100, mtimeMs: NOW - 120_000, ino: 7, dev: 1, ...over });
const meta = { id: 'r', path: '/spool/a.wav', startedAt: new Date(NOW - 600_000).toISOString() } as RecordingMeta;
const entry = (state: EntryState, over: Partial<JournalEntry> = {}): JournalEntry => ({ id: 'r', state, meta, key: 'a.wav', attempts: 0, updatedAt: new Date(NOW - 60_000).toISOString(), ...over });

t.test('files no entry names: adopted once stable and not empty', async (t) => {
  t.equal(decideScan(file(), undefined, ctx()).kind, 'adopt');
  t.equal(decideScan(file({ mtimeMs: NOW - 1000 }), undefined, ctx()).kind, 'keep', 'still changing');
  t.equal(decideScan(file({ size: 0 }), undefined, ctx()).kind, 'keep', 'empty');
});

t.test('stored entries: only the verified file is removed; another file at the path is a new recording', async (t) => {
  const verified = { size: 100, mtimeMs: NOW - 120_000, ino: 7, dev: 1 };
  t.equal(decideScan(file(), entry('stored', { verified }), ctx()).kind, 'remove-stored-copy');
  t.equal(decideScan(file(), entry('stored', { verified }), ctx({ keepLocalMs: 86_400_000 })).kind, 'keep', 'keep_local_days');
  t.equal(decideScan(file({ ino: 8 }), entry('stored', { verified }), ctx()).kind, 'adopt', 'a new inode: not the stored file');
  t.equal(decideScan(file({ size: 101 }), entry('stored', { verified }), ctx()).kind, 'adopt', 'grown: not the stored file');
  t.equal(decideScan(file({ ino: 8, mtimeMs: NOW - 10 }), entry('stored', { verified }), ctx()).kind, 'keep', 'a new file still being written waits');
  t.equal(decideScan(file({ mtimeMs: NOW - 120_000 }), entry('stored', { size: 100, updatedAt: new Date(NOW - 60_000).toISOString() }), ctx()).kind, 'remove-stored-copy', 'an entry from before identities: same size, not written since');
  t.equal(decideScan(file({ mtimeMs: NOW - 30_000 }), entry('stored', { size: 100, updatedAt: new Date(NOW - 60_000).toISOString() }), ctx({ stableMs: 10_000 })).kind, 'adopt', 'written after it was stored: a new file');
});

t.test('entries still recording: left to the recorder that follows them, else finished once stable', async (t) => {
  t.equal(decideScan(file(), entry('recording'), ctx({ recorderFollows: () => true })).kind, 'keep');
  const a = decideScan(file(), entry('recording'), ctx());
  t.same([a.kind, a.kind === 'finish' ? a.cause : ''], ['finish', 'recovered-after-restart']);
  t.equal(decideScan(file({ mtimeMs: NOW - 10 }), entry('recording'), ctx()).kind, 'keep', 'still growing');
});

t.test('failed, discarded and lost entries whose file exists: the file is finished (a lost reply, a discard not carried out)', async (t) => {
  for (const state of ['failed', 'discarded', 'lost'] as const) {
    const a = decideScan(file(), entry(state), ctx());
    t.same([a.kind, a.kind === 'finish' ? a.cause : ''], ['finish', `file-present-after-${state}`], state);
    t.equal(decideScan(file({ size: 0 }), entry(state), ctx()).kind, 'keep', `${state}: an empty file is nothing to store`);
    t.equal(decideScan(file(), entry(state), ctx({ recorderFollows: () => true })).kind, 'keep', `${state}: the recorder follows it`);
  }
});

t.test('entries queued for upload are left to the uploader', async (t) => {
  for (const state of ['finished', 'uploading'] as const) t.equal(decideScan(file(), entry(state), ctx()).kind, 'keep', state);
});
