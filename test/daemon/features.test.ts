/** *26 and *3 over real TCP against the simulator. */
import t from 'tap';
import { PHONE, startStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

const RULES = `
accounts:
  acme.example:
    users:
      bob: {}
      dave: {online_call_record_enabled: false}
    devices:
      "1001": {user: bob}
      "1003": {user: bob, record: off}
      "1004": {user: dave}
features:
  on_demand: {interdigit_timeout_ms: 2000}
`;

t.test('*26 toggles, persists across a daemon restart, and a device off still wins', async (t) => {
  const s = await startStack(t, RULES);
  await waitFor(() => s.app.esl.connected, 'connected');
  const toggle = await s.sim.createCall({ from: PHONE('1001'), to: '*26', park: true });
  await waitFor(() => s.sim.broadcasts.some((b) => b.uuid === toggle.aUuid), 'confirmation played');
  await waitFor(() => !s.sim.channel(toggle.aUuid), 'fsrecd hung the *26 call up');
  t.match(s.sim.broadcasts.find((b) => b.uuid === toggle.aUuid)?.media, /^tone_stream:\/\/%\(200,0,800\)/, 'the "on" tone');
  t.equal(s.app.toggles.get('acme.example', 'bob'), 'on');

  await s.restartDaemon();
  await waitFor(() => s.app.esl.connected, 'reconnected');
  t.equal(s.app.toggles.get('acme.example', 'bob'), 'on', 'kept across a restart');

  const fromBob = await s.sim.createCall({ from: PHONE('1001'), to: '1004', bridgeTo: PHONE('1004') });
  await fromBob.answer();
  await waitFor(() => s.sim.recordingsOf(fromBob.aUuid).length === 1, 'bob recorded by his toggle');
  await fromBob.hangup();

  const decisions: boolean[] = [];
  s.app.daemon.bus.on('decided', (_c, d) => decisions.push(d.record));
  const fromOffDevice = await s.sim.createCall({ from: PHONE('1003'), to: '1004', bridgeTo: PHONE('1004') });
  await fromOffDevice.answer();
  await waitFor(() => decisions.length >= 1, 'decision');
  t.ok(decisions.length > 0 && decisions.every((d) => d === false), 'device 1003 (off) beats bob toggled on');
  t.same(s.sim.recordingsOf(fromOffDevice.aUuid), []);
  await fromOffDevice.hangup();

  const again = await s.sim.createCall({ from: PHONE('1001'), to: '*26', park: true });
  await waitFor(() => !s.sim.channel(again.aUuid), 'second *26 done');
  t.equal(s.app.toggles.get('acme.example', 'bob'), 'off', 'toggled back off');
});

t.test('*3 starts, stops, starts a new file; slow or other digits do nothing; permissions apply', async (t) => {
  let clockUs = Date.now() * 1000;
  const s = await startStack(t, RULES, { clockUs: () => clockUs });
  await waitFor(() => s.app.esl.connected, 'connected');
  const call = await s.sim.createCall({ from: PHONE('1001'), to: '1005', bridgeTo: PHONE('1005') });
  const starts = (): string[] => s.sim.commands.filter((c) => c.startsWith(`uuid_record ${call.aUuid} start`));
  const stops = (): string[] => s.sim.commands.filter((c) => c.startsWith(`uuid_record ${call.aUuid} stop`));

  await call.dtmf('a', '*3');
  await call.answer();
  t.same(starts(), [], '*3 before answer does nothing');

  await call.dtmf('a', '*');
  clockUs += 2_500_000;
  await call.dtmf('a', '3');
  await call.dtmf('a', '*43');
  await call.dtmf('a', '3');
  const marker = s.sim.commands.length;
  await s.app.esl.api('status');
  await waitFor(() => s.sim.commands.length > marker, 'the daemon caught up');
  t.same(starts(), [], 'slow digits, other digits and a lone 3 do not trigger');

  await call.dtmf('a', '*3');
  await waitFor(() => starts().length === 1, 'first *3 starts');
  await call.dtmf('b', '*3');
  await waitFor(() => stops().length === 1, 'second *3 (either party) stops');
  await call.dtmf('a', '*3');
  await waitFor(() => starts().length === 2, 'third *3 starts again');
  const paths = starts().map((c) => c.split(' ')[3]);
  t.not(paths[0], paths[1], 'a new file, never an overwrite');
  t.match(paths[0], /\/auto-\d+-1001-1005\.wav$/, "Wazo's auto-<timestamp>-<name>");
  t.match(starts()[0], /\{RECORD_STEREO=true\}$/, 'stereo');
  await call.hangup();
  await waitFor(() => s.app.spool.status().stored === 2, 'both on-demand files stored');
  await waitFor(async () => (await s.app.index.query({ limit: 10, trigger: 'on-demand', state: 'stored' })).recordings.length === 2, 'both indexed');
  t.same(
    (await s.app.index.query({ limit: 10, trigger: 'on-demand' })).recordings.map((r) => [r.user, r.device]),
    [['bob', '1001'], ['bob', '1001']],
    'filed under the user who pressed *3 (device 1001 belongs to bob)',
  );

  const refused = await s.sim.createCall({ from: PHONE('1004'), to: '1001', bridgeTo: PHONE('1001') });
  await refused.answer();
  await refused.dtmf('a', '*3');
  const m2 = s.sim.commands.length;
  await s.app.esl.api('status');
  await waitFor(() => s.sim.commands.length > m2, 'caught up');
  t.same(s.sim.commands.filter((c) => c.startsWith(`uuid_record ${refused.aUuid}`)), [], 'dave has online_call_record_enabled: false');
  t.equal(s.app.metrics.value('fsrecd_feature_refused_total', { code: 'on_demand' }), 1);
  await refused.hangup();
});

t.test('pause code (off by default): masks and unmasks the recordings of the call', async (t) => {
  // RULES ends inside its features: mapping.
  const s = await startStack(t, `${RULES}  pause: {enabled: true, code: "*4"}\n`);
  await waitFor(() => s.app.esl.connected, 'connected');
  const call = await s.sim.createCall({ from: PHONE('1001'), to: '1005', bridgeTo: PHONE('1005') });
  await call.answer();
  await call.dtmf('a', '*3');
  await waitFor(() => s.sim.recordingsOf(call.aUuid).length === 1, 'on-demand recording running');
  const path = s.sim.recordingsOf(call.aUuid)[0] as string;
  await call.dtmf('b', '*4');
  await waitFor(() => s.sim.commands.includes(`uuid_record ${call.aUuid} mask ${path}`), 'masked');
  await call.dtmf('b', '*4');
  await waitFor(() => s.sim.commands.includes(`uuid_record ${call.aUuid} unmask ${path}`), 'unmasked');
  await call.hangup();
  await waitFor(() => s.app.spool.status().stored === 1, 'stored');
});

t.test('*26 refused: a user not in the YAML (unknown_user: refuse) and a user with the toggle disabled', async (t) => {
  const s = await startStack(
    t,
    `accounts:
  acme.example:
    users:
      erin: {call_record_toggle_enabled: false}
    devices:
      "1006": {user: erin}
features:
  toggle: {unknown_user: refuse, refused: "tone_stream://%(500,500,480,620)"}
`,
  );
  await waitFor(() => s.app.esl.connected, 'connected');
  for (const device of ['1007', '1006']) {
    const c = await s.sim.createCall({ from: PHONE(device), to: '*26', park: true });
    await waitFor(() => !s.sim.channel(c.aUuid), `*26 from ${device} handled`);
    t.equal(s.sim.broadcasts.find((b) => b.uuid === c.aUuid)?.media, 'tone_stream://%(500,500,480,620)', `${device} hears the refusal`);
  }
  t.equal(s.app.toggles.get('acme.example', '1007'), undefined, 'no override created for the unknown user');
  t.equal(s.app.toggles.get('acme.example', 'erin'), undefined, 'nor for erin');
  t.equal(s.app.metrics.value('fsrecd_feature_refused_total', { code: 'toggle' }), 2);
});

t.test('a recording announcement is played to both parties when recording starts', async (t) => {
  const s = await startStack(t, 'default_account: {record_account: on}\nrecording: {announcement: "tone_stream://%(100,0,1400)"}\n');
  await waitFor(() => s.app.esl.connected, 'connected');
  const c = await s.sim.createCall({ from: PHONE('1001'), to: '1005', bridgeTo: PHONE('1005') });
  await c.answer();
  await waitFor(() => s.sim.broadcasts.some((b) => b.uuid === c.aUuid), 'announcement');
  t.same(s.sim.broadcasts.find((b) => b.uuid === c.aUuid), { uuid: c.aUuid, media: 'tone_stream://%(100,0,1400)', leg: 'both' });
  await c.hangup();
});
