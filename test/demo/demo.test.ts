/** The README's first quick-start command does what it says: every scripted call ends as expected. */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemo } from '../../src/demo/run-demo';

t.test('fsrecd demo: decisions, *26, *3, five recordings stored, none lost', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-demo-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const lines: string[] = [];
  const code = await runDemo({ dir, out: (l) => lines.push(l) });
  const text = lines.join('\n');
  t.equal(code, 0, text);
  t.match(text, /decision: record \(account pbx\.demo inbound×external on\)/);
  t.match(text, /bob's toggle is now on/);
  t.match(text, /acme\/\d{4}-\d\d-\d\dT\d\d_\d\d_\d\dUTC-etc_passwd-1001\.wav/, 'the hostile caller ID, made safe');
  t.match(text, /^5 stored, 0 lost, 0 waiting, 0 file\(s\) left in the spool/m);
});
