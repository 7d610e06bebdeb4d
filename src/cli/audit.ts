/** fsrecd audit: the audit trail (downloads, URLs, deletes, holds, releases, retention), newest first. */
import type { Command } from 'commander';
import { parseTime } from '../recordings/query';
import { AUDIT_ACTIONS, type AuditAction, type AuditQuery } from '../recordings/types';
import { printable, say, table } from '../terminal/table';
import { cliActor, lifecycleAct, openCliLifecycle } from './lifecycle-cli';

interface AuditOpts {
  from?: string;
  to?: string;
  action?: string;
  recording?: string;
  actor?: string;
  tenant?: string;
  limit: string;
  before?: string;
  json?: boolean;
}

export function auditQueryOf(o: AuditOpts, now: number): AuditQuery {
  const limit = Number(o.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new Error(`--limit: a whole number from 1 to 1000, got ${JSON.stringify(o.limit)}`);
  if (o.action !== undefined && !(AUDIT_ACTIONS as readonly string[]).includes(o.action)) throw new Error(`--action: one of ${AUDIT_ACTIONS.join(', ')}, got ${JSON.stringify(o.action)}`);
  if (o.before !== undefined && !/^\d{1,15}$/.test(o.before)) throw new Error('--before: the cursor a previous page printed');
  const q: AuditQuery = { limit };
  if (o.from !== undefined) q.fromMs = parseTime('--from', o.from, now);
  if (o.to !== undefined) q.toMs = parseTime('--to', o.to, now);
  if (o.action !== undefined) q.action = o.action as AuditAction;
  if (o.recording !== undefined) q.recordingId = o.recording;
  if (o.actor !== undefined) q.actor = o.actor;
  if (o.tenant !== undefined) q.tenant = o.tenant;
  if (o.before !== undefined) q.before = o.before;
  return q;
}

export function registerAuditCommand(program: Command): void {
  program
    .command('audit')
    .description('the audit trail: who downloaded, presigned, deleted, held or released which recording, from where (newest first)')
    .option('--from <when>', 'at or after: 2026-11-24, 2026-11-24T08:30, or an age like 12h, 7d')
    .option('--to <when>', 'before (same forms)')
    .option('--action <action>', AUDIT_ACTIONS.join(', '))
    .option('--recording <id>', 'one recording')
    .option('--actor <name>', 'a user name, "cli:<unix user>", "retention", "token on line N"')
    .option('--tenant <tenant>', 'one tenant')
    .option('--limit <n>', 'at most this many (1-1000)', '50')
    .option('--before <cursor>', 'the next page: the cursor the previous page printed')
    .option('--json', 'JSON for scripts: {"events": [...], "next": cursor|null}')
    .action(async (opts: AuditOpts, cmd: Command) => {
      const q = auditQueryOf(opts, Date.now());
      const lc = await openCliLifecycle((cmd.optsWithGlobals() as { config: string }).config, { withJournal: false });
      await lifecycleAct(async () => {
        const page = lc.lifecycle.audit(q, cliActor());
        if (opts.json) return say(JSON.stringify(page));
        if (page.events.length === 0) return say('no audit events match');
        say(
          table(
            ['AT (UTC)', 'ACTION', 'OUTCOME', 'RECORDING', 'TENANT', 'ACTOR', 'FROM', 'REASON / DETAIL'],
            page.events.map((e) => [e.at.replace('T', ' ').slice(0, 19), e.action, e.outcome, e.recordingId, printable(e.tenant), printable(e.actor), printable(e.from), printable([e.reason, e.detail].filter(Boolean).join(' — '))]),
            [19, 16, 7, 40, 16, 20, 16, 80],
          ),
        );
        if (page.next) say(`more: fsrecd audit … --before ${page.next}`);
      }, () => lc.close());
    });
}
