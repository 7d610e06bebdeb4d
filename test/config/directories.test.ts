/**
 * Issue #11 item 4: state_dir, storage.dir and allowed_dirs overlapping spool_dir (or each other) are
 * refused with file:line:column; the spool scan would otherwise upload and delete the daemon's own files.
 */
import t from 'tap';
import { loadConfigFromString } from '../../src/config/load';
import { overlap } from '../../src/config/dir-overlap';
import { namingRenderChecks } from '../../src/naming/template-check';

const FILE = '/etc/fsrecd/fsrecd.yml';

async function errors(yaml: string): Promise<string[]> {
  const r = await loadConfigFromString(yaml, FILE, {}, namingRenderChecks);
  return r.ok ? [] : r.errors.map(String);
}

t.test('overlap compares resolved paths by whole segments', async (t) => {
  t.equal(overlap('/var/spool/fsrecd', '/var/spool/fsrecd/'), 'equal');
  t.equal(overlap('/var/spool/fsrecd/../fsrecd', '/var/spool/fsrecd'), 'equal');
  t.equal(overlap('/var/spool/fsrecd/state', '/var/spool/fsrecd'), 'inside');
  t.equal(overlap('/var', '/var/spool/fsrecd'), 'contains');
  t.equal(overlap('/var/spool/fsrecd2', '/var/spool/fsrecd'), undefined, 'a sibling with a common prefix is apart');
  t.equal(overlap('/var/spool/fsrecd', '/var/spool/fsrecd2'), undefined);
  t.equal(overlap('/var/spool/..fsrecd', '/var/spool'), 'inside', 'a name starting with .. is still inside');
  t.equal(overlap('/', '/var'), 'contains');
});

t.test('the defaults and the usual layouts are accepted', async (t) => {
  t.same(await errors(''), [], 'spool /var/spool/fsrecd, state /var/lib/fsrecd, storage /var/lib/fsrecd/recordings');
  t.same(await errors('spool_dir: /var/spool/fsrecd\nstate_dir: /var/spool/fsrecd2\nstorage: {type: local, dir: /srv/recordings}\n'), []);
  t.same(await errors('state_dir: /var/lib/fsrecd\nstorage: {type: local, dir: /var/lib/fsrecd/stored}\n'), [], 'storage in state_dir, beside its files');
  t.same(await errors('allowed_dirs: [/srv/recordings]\n'), []);
});

t.test('state_dir equal to, inside or containing spool_dir is refused at state_dir', async (t) => {
  t.same(await errors('spool_dir: /var/spool/fsrecd\nstate_dir: /var/spool/fsrecd/state\n'), [
    `${FILE}:2:12: state_dir: state_dir /var/spool/fsrecd/state is inside spool_dir /var/spool/fsrecd: the spool scan would upload and delete the journal and toggles; give them separate directories`,
  ]);
  t.match(await errors('spool_dir: /data\nstate_dir: /data/\n'), [/fsrecd\.yml:2:12: state_dir: state_dir \/data is the same directory as spool_dir \/data/]);
  t.match(await errors('spool_dir: /var/lib/fsrecd/spool\nstate_dir: /var/lib/fsrecd\n'), [/fsrecd\.yml:2:12: state_dir: state_dir \/var\/lib\/fsrecd contains spool_dir/]);
  t.match(await errors('spool_dir: /var/lib/fsrecd/spool\n'), [/fsrecd\.yml:1:12: spool_dir: state_dir \/var\/lib\/fsrecd contains spool_dir/], 'a defaulted state_dir is located at spool_dir');
});

t.test('storage.dir overlapping spool_dir, state_dir or its files is refused at storage.dir', async (t) => {
  t.match(await errors('storage:\n  type: local\n  dir: /var/spool/fsrecd/stored\n'), [/fsrecd\.yml:3:8: storage\.dir: storage\.dir \/var\/spool\/fsrecd\/stored is inside spool_dir \/var\/spool\/fsrecd: /]);
  t.match(await errors('storage:\n  type: local\n  dir: /var\n'), [
    /fsrecd\.yml:3:8: storage\.dir: storage\.dir \/var contains spool_dir/,
    /fsrecd\.yml:3:8: storage\.dir: storage\.dir \/var contains state_dir \/var\/lib\/fsrecd/,
  ]);
  t.match(await errors('storage: {type: local, dir: /var/lib/fsrecd}\n'), [/storage\.dir: storage\.dir \/var\/lib\/fsrecd is the same directory as state_dir/]);
  t.match(await errors('storage: {type: local, dir: /var/lib/fsrecd/journal/x}\n'), [/storage\.dir: storage\.dir \/var\/lib\/fsrecd\/journal\/x is inside state_dir's own journal/]);
  t.match(await errors('storage: {type: local, dir: relative/../../fsrecd-stored}\nspool_dir: /etc\n'), [/storage\.dir .* is inside spool_dir \/etc/], 'relative paths are resolved first');
});

t.test('allowed_dirs overlapping state_dir or storage.dir are refused at the entry', async (t) => {
  t.match(await errors('allowed_dirs:\n  - /srv/recordings\n  - /var/lib\n'), [
    /fsrecd\.yml:3:5: allowed_dirs\.1: \/var\/lib contains state_dir \/var\/lib\/fsrecd/,
    /fsrecd\.yml:3:5: allowed_dirs\.1: \/var\/lib contains storage\.dir \/var\/lib\/fsrecd\/recordings: a recording would be stored onto itself/,
  ]);
  t.match(await errors('storage: {type: local, dir: /srv/stored}\nallowed_dirs: [/srv/stored/x]\n'), [/allowed_dirs\.0: \/srv\/stored\/x is inside storage\.dir \/srv\/stored/]);
});
