/** Where audio is read from: storage once stored, the spool file while waiting, nowhere for discarded ones. */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MediaUnavailable, mediaOf } from '../../src/recordings/media';
import type { RecordingEntry } from '../../src/recordings/types';
import { LocalTarget } from '../../src/storage/local-target';

async function read(stream: AsyncIterable<unknown>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

t.test('stored, waiting for storage, discarded, gone from storage', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-media-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = new LocalTarget(join(dir, 'stored'));
  const base: RecordingEntry = { id: 'r-1', callUuid: 'c', legUuid: 'c', startedAt: '2026-11-24T10:00:00.000Z', state: 'stored', direction: 'inbound', network: 'external', srcnum: '1', dstnum: '2', callerName: '', domain: 'd', tenant: 't', node: 'n', reasons: [], trigger: 'rule', format: 'wav', key: 'a/r-1.wav', source: 'journal', conversationId: 'c', segment: 1 };

  writeFileSync(join(dir, 'spool.wav'), 'RIFF-from-the-spool');
  const waiting = await mediaOf({ ...base, state: 'finished', localPath: join(dir, 'spool.wav') }, store);
  t.equal(waiting.size, 19);
  t.equal(waiting.contentType, 'audio/wav');
  t.equal(await read(await waiting.open({ start: 5, end: 8 })), 'from', 'a range of the spool file');

  await t.rejects(mediaOf(base, store), new MediaUnavailable(`the object a/r-1.wav is no longer in ${store.describe()}; run fsrecd recordings reindex`));
  const spoolFile = join(dir, 'spool.wav');
  await store.put(spoolFile, 'a/r-1.wav', { id: 'r-1' } as never, undefined);
  const stored = await mediaOf(base, store);
  t.equal(await read(await stored.open()), 'RIFF-from-the-spool', 'from storage once stored');

  await t.rejects(mediaOf({ ...base, state: 'discarded', lastError: 'input-too-short', localPath: spoolFile }, store), { message: 'no audio for a recording that is discarded (input-too-short)' });
  await t.rejects(mediaOf({ ...base, state: 'finished', localPath: join(dir, 'gone.wav') }, store), /no audio for a recording that is finished/);
});
