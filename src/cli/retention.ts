/** fsrecd retention --dry-run | --run: what retention would delete now, or one run of it. */
import type { Command } from 'commander';
import { RetentionEnforcer, type RetentionReport } from '../lifecycle/retention';
import { retentionLock } from '../lifecycle/daemon-side';
import { humanBytes, printable, say, table } from '../terminal/table';
import { lifecycleAct, openCliLifecycle } from './lifecycle-cli';

function printReport(r: RetentionReport, json: boolean): void {
  if (json) {
    say(JSON.stringify({ dryRun: r.dryRun, ran: r.ran, deleted: r.deleted, bytes: r.bytes, errors: r.errors, recordings: r.items.map((i) => ({ id: i.entry.id, tenant: i.entry.tenant, key: i.entry.key, startedAt: i.entry.startedAt, expiresAt: i.expiresAt, bytes: i.bytes, rule: i.rule })) }));
    return;
  }
  if (r.items.length) {
    say(
      table(
        ['STARTED (UTC)', 'TENANT', 'RULE', 'EXPIRED (UTC)', 'SIZE', 'ID'],
        r.items.map((i) => [i.entry.startedAt.replace('T', ' ').slice(0, 19), printable(i.entry.tenant), `${i.rule.days} d (${i.rule.source})`, i.expiresAt.replace('T', ' ').slice(0, 19), humanBytes(i.bytes), i.entry.id]),
        [19, 20, 16, 19, 9, 60],
      ),
    );
  }
  const total = r.dryRun ? r.items.reduce((a, i) => a + i.bytes, 0) : r.bytes;
  if (r.dryRun) say(`would delete ${r.items.length} recording(s), ${humanBytes(total)} (${total} bytes); nothing was deleted`);
  else if (!r.ran) say('another node (or the daemon) is running retention now: nothing done (the lease lets one at a time)');
  else say(`deleted ${r.deleted} recording(s), ${humanBytes(total)} (${total} bytes)${r.alreadyGone ? `; ${r.alreadyGone} already gone from storage marked deleted` : ""}${r.errors ? `; ${r.errors} failed (see the log on stderr; retried at the next run)` : ''}`);
}

export function registerRetentionCommand(program: Command): void {
  program
    .command('retention')
    .description('retention: list what is past its retention_days (--dry-run) or delete it now (--run), as the daemon does on its schedule')
    .option('--dry-run', 'list what would be deleted and the bytes freed; delete nothing')
    .option('--run', 'run once now (under the same lease as the daemons: never two at once)')
    .option('--json', 'JSON for scripts')
    .action(async (opts: { dryRun?: boolean; run?: boolean; json?: boolean }, cmd: Command) => {
      if (!!opts.dryRun === !!opts.run) throw new Error('say --dry-run (list) or --run (delete now)');
      const lc = await openCliLifecycle((cmd.optsWithGlobals() as { config: string }).config, { withJournal: !!opts.run });
      await lifecycleAct(async () => {
        const cfg = lc.cfg;
        const enforcer = new RetentionEnforcer({ lifecycle: lc.lifecycle, index: lc.index, config: () => cfg, lock: retentionLock(lc.index, lc.store), log: lc.log });
        const report = await enforcer.runOnce({ dryRun: !!opts.dryRun });
        printReport(report, !!opts.json);
        if (report.errors) process.exitCode = 1;
      }, () => lc.close());
    });
}
