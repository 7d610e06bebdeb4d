import t from 'tap';
import { candidateKeys, judgeSlot, suffixedKey } from '../../src/storage/no-replace';

t.test('suffixed keys keep the extension and the directories', async (t) => {
  t.equal(suffixedKey('acme/2026-call.wav', 1), 'acme/2026-call.wav', 'the first try is the key itself');
  t.equal(suffixedKey('acme/2026-call.wav', 2), 'acme/2026-call-2.wav');
  t.equal(suffixedKey('acme/x.y/call', 3), 'acme/x.y/call-3', 'a dot in a directory is not an extension');
  t.equal(suffixedKey('acme/.hidden', 2), 'acme/.hidden-2', 'a leading dot is not an extension');
  t.equal(suffixedKey('call.tar.gz', 2), 'call.tar-2.gz');
  const all = candidateKeys('a.wav');
  t.equal(all.length, 100, 'bounded');
  t.equal(new Set(all).size, 100, 'all different');
  t.equal(all[99], 'a-100.wav');
});

const local = { id: 'rec-1', size: 10, md5: 'a'.repeat(32) };

t.test('the slot verdict', async (t) => {
  t.equal(judgeSlot({ local }), 'free', 'nothing there');
  t.equal(judgeSlot({ local, metadataId: 'rec-1' }), 'free', 'our own metadata left by an upload that never landed');
  t.equal(judgeSlot({ local, metadataId: 'rec-2' }), 'taken', "another recording's metadata, even without its object");
  t.equal(judgeSlot({ local, metadataId: '' }), 'taken', 'a metadata object that names nobody is still somebody\'s');
  t.equal(judgeSlot({ local, object: { size: 10, md5: local.md5 } }), 'ours', 'the same bytes, nobody named (a run that died before its metadata)');
  t.equal(judgeSlot({ local, object: { size: 10, md5: local.md5 }, metadataId: 'rec-2' }), 'taken', 'the same bytes of another recording stay its own');
  t.equal(judgeSlot({ local, object: { size: 10, md5: local.md5, recordingId: 'rec-2' } }), 'taken');
  t.equal(judgeSlot({ local, object: { size: 11, md5: local.md5 }, metadataId: 'rec-1' }), 'taken', 'other bytes of this recording are never replaced');
  t.equal(judgeSlot({ local, object: { size: 10, md5: 'b'.repeat(32) } }), 'taken', 'another MD5, nobody named');
  t.equal(judgeSlot({ local, object: { size: 10, md5: 'b'.repeat(32), recordingId: 'rec-1' } }), 'compare-bytes', 'ours by name but the ETag disagrees: read it');
  t.equal(judgeSlot({ local, object: { size: 10, multipartEtagMatches: true } }), 'ours', 'multipart ETag recomputed from the file');
  t.equal(judgeSlot({ local, object: { size: 10 } }), 'compare-bytes', 'no checksum at all');
});
