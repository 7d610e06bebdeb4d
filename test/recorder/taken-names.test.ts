import t from 'tap';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PHONE, startStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

t.test('a file an earlier run left where the template points is neither reused nor overwritten', async (t) => {
  const s = await startStack(t, 'default_account: {record_account: on}\ncall_recording: {filename_template: "same/{{ srcnum }}-{{ dstnum }}"}\n');
  await waitFor(() => s.app.esl.connected, 'connected');
  mkdirSync(join(s.dir, 'spool', 'same'), { recursive: true });
  const earlier = join(s.dir, 'spool', 'same', '1000-1001.wav');
  writeFileSync(earlier, 'left by an earlier run');

  const paths: string[] = [];
  for (let i = 0; i < 2; i++) {
    const call = await s.sim.createCall({ from: PHONE('1000'), to: '1001', bridgeTo: PHONE('1001') });
    await call.answer();
    const [path] = await waitFor(() => (s.sim.recordingsOf(call.aUuid).length ? s.sim.recordingsOf(call.aUuid) : undefined), 'recording');
    paths.push(path ?? '');
    await call.hangup();
  }
  t.same(
    paths.map((p) => p.slice(join(s.dir, 'spool').length + 1)),
    ['same/1000-1001-2.wav', 'same/1000-1001-3.wav'],
    'the first free names after the file on disk, one per recording',
  );
  t.equal(readFileSync(earlier, 'utf8'), 'left by an earlier run', 'the earlier file is untouched');
});
