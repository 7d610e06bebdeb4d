/** fsrecd audit: the audit trail (downloads, URLs, deletes, holds, releases, retention), newest first. */
import type { Command } from 'commander';
import { AUDIT_PARAMS, parseAuditQuery } from '../recordings/audit-query';
import { QueryError } from '../recordings/query';
import { AUDIT_ACTIONS, type AuditQuery } from '../recordings/types';
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

/** The same reading as GET /api/audit's (names, limits, messages), from the flags given. */
export function auditQueryOf(o: AuditOpts, now: number): AuditQuery {
  const given = AUDIT_PARAMS.flatMap((p): [string, string][] => (o[p] === undefined ? [] : [[p, o[p]]]));
  try {
    return parseAuditQuery(given, now);
  } catch (err) {
    if (err instanceof QueryError) throw new Error(`--${err.message}`);
    throw err;
  }
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
        const page = await lc.lifecycle.audit(q, cliActor());
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
