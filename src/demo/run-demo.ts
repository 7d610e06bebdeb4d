/**
 * `fsrecd demo`: the FreeSWITCH simulator and the daemon on loopback, a handful of scripted calls, and a
 * report of what fsrecd decided, recorded and stored. Exits non-zero if anything did not happen as expected.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { startFsrecd } from '../app';
import { loadConfigFromString } from '../config/load';
import { createLogger, silentLogger, type LogLevel } from '../log';
import { namingRenderChecks } from '../naming/template-check';
import type { Decision } from '../policy/types';
import { FreeswitchSimulator } from '../sim/simulator';
import { humanBytes, table } from '../terminal/table';
import { listFilesSync } from '../util/list-files';
import { demoYaml } from './demo-config';
import { DEMO_STEPS } from './scenario';

export interface DemoOptions {
  dir?: string;
  logLevel?: LogLevel;
  out?: (line: string) => void;
}

async function until(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`demo: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export async function runDemo(opts: DemoOptions = {}): Promise<number> {
  const out = opts.out ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'fsrecd-demo-'));
  const password = randomBytes(9).toString('base64url');
  const sim = new FreeswitchSimulator({ password, hostname: 'demo-pbx' });
  const port = await sim.start();
  const loaded = await loadConfigFromString(demoYaml({ port, password, dir }), 'embedded demo configuration', process.env, namingRenderChecks);
  if (!loaded.ok) throw new Error(loaded.errors.map(String).join('\n'));
  const log = opts.logLevel ? createLogger(opts.logLevel, process.stderr) : silentLogger();
  const app = await startFsrecd({ config: loaded.config, log, toggleHangupAfterMs: 100 });
  let failures = 0;
  try {
    await until('the daemon to connect to the simulator', () => app.esl.connected);
    out(`FreeSWITCH simulator on 127.0.0.1:${port}; fsrecd connected. Work directory: ${dir}\n`);
    const decisions = new Map<string, Decision>();
    app.daemon.bus.on('decided', (call, d) => decisions.set(call.uuid, d));
    for (const [i, step] of DEMO_STEPS.entries()) {
      out(`${i + 1}. ${step.title}`);
      const storedBefore = app.spool.status().stored;
      const call = await sim.createCall(step.spec);
      if (step.featureCall) {
        await until('the *26 confirmation', () => sim.broadcasts.some((b) => b.uuid === call.aUuid));
        await until('fsrecd to hang up the *26 call', () => !sim.channel(call.aUuid));
        const b = sim.broadcasts.find((x) => x.uuid === call.aUuid);
        out(`   fsrecd played ${b?.media} and hung up; bob's toggle is now ${app.toggles.get('pbx.demo', 'bob')}`);
      } else {
        await call.answer();
        await until('the recording decision', () => decisions.has(call.aUuid));
        const d = decisions.get(call.aUuid) as Decision;
        const reasons = d.plans.flatMap((p) => p.reasons.map((r) => r.text));
        out(`   decision: ${d.record ? `record (${reasons.join('; ')})` : `not recorded${d.considered.length ? ` (${d.considered.map((r) => r.text).join('; ')})` : ''}`}`);
        if (d.record) await until('uuid_record start', () => sim.recordingsOf(call.aUuid).length > 0);
        if (step.during) {
          const before = sim.commands.length;
          await step.during(call, sim);
          await until('the *3 commands', () => sim.commands.slice(before).filter((c) => c.startsWith('uuid_record')).length >= 3);
        }
        await call.hangup('a');
      }
      await until(`${step.expectRecordings} recording(s) stored`, () => app.spool.status().stored - storedBefore >= step.expectRecordings, 8000);
      const got = app.spool.status().stored - storedBefore;
      if (got !== step.expectRecordings) failures++;
      out(`   stored: ${got} recording(s)${got === step.expectRecordings ? '' : ` — EXPECTED ${step.expectRecordings}`}\n`);
    }
    const storage = loaded.config.storage.type === 'local' ? loaded.config.storage.dir : '';
    const stored = listFilesSync(storage).filter((f) => !f.endsWith('.json'));
    out(`Recordings in storage (${storage}):`);
    for (const f of stored) out(`  ${relative(storage, f)}  ${statSync(f).size} bytes`);
    // The local copy goes right after the journal says stored: give the last unlink its moment.
    await until('the spool to empty', () => listFilesSync(loaded.config.spoolDir).length === 0, 3000).catch(() => undefined);
    const s = app.spool.status();
    // What `fsrecd recordings list` and the web page show: the index the journal feeds.
    await until('the recordings index', async () => ((await app.index.counts()).byState.stored ?? 0) >= s.stored, 3000).catch(() => undefined);
    const indexed = (await app.index.query({ limit: 50, state: 'stored' })).recordings;
    out(`\nThe recordings index (fsrecd recordings list; the web page and /api/recordings show the same):`);
    out(
      table(
        ['STARTED (UTC)', 'DIR', 'NET', 'FROM', 'TO', 'USER', 'RECORDED BY', 'SIZE'],
        indexed.map((e) => [e.startedAt.replace('T', ' ').slice(0, 19), e.direction === 'inbound' ? 'in' : 'out', e.network === 'internal' ? 'int' : 'ext', e.srcnum, e.dstnum, e.user ?? '', e.reasons.join('; '), humanBytes(e.size)]),
        [19, 3, 3, 20, 12, 10, 60, 9],
      )
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
    );
    if (indexed.length !== s.stored) {
      out(`   index lists ${indexed.length} stored recording(s) — EXPECTED ${s.stored}`);
      failures++;
    }
    const leftInSpool = listFilesSync(loaded.config.spoolDir).length;
    out(`\n${s.stored} stored, ${s.lost} lost, ${s.backlogFiles} waiting, ${leftInSpool} file(s) left in the spool; ESL events seen: ${app.daemon.eventsSeen}`);
    if (s.lost > 0 || s.backlogFiles > 0 || leftInSpool > 0) failures++;
  } finally {
    await app.stop(2000);
    await sim.stop();
  }
  out(failures === 0 ? 'demo: everything happened as expected' : `demo: ${failures} expectation(s) not met`);
  return failures === 0 ? 0 : 1;
}
