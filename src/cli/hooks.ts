/**
 * `fsrecd hooks status|list|retry`: the hand-off hooks' deliveries, read from state_dir/hooks/ (the daemon
 * owns them; these commands only read, and `retry` leaves a request the daemon applies).
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import type { FsrecdConfig } from '../config/types';
import type { Delivery, DeliveryState } from '../hooks/delivery';
import { matchRetry, requestRetry } from '../hooks/retry-requests';
import { hookStatus, hookStatusLines } from '../hooks/status';
import { hooksDir, readDeliveries } from '../hooks/store';
import { lockOwner } from '../spool/lock';
import { say, table } from '../terminal/table';
import { join } from 'node:path';
import { requireConfig } from './require-config';

function configPath(cmd: Command): string {
  return (cmd.optsWithGlobals() as { config: string }).config;
}

async function deliveriesOf(cfg: FsrecdConfig): Promise<Delivery[]> {
  return readDeliveries(join(hooksDir(cfg.stateDir), 'deliveries'), (file) => console.error(`warning: unreadable delivery file ${file}`));
}

/** The lines `fsrecd status` prints about the hooks. */
export async function hooksStatusLines(cfg: FsrecdConfig): Promise<string[]> {
  return hookStatusLines(hookStatus(await deliveriesOf(cfg), (cfg.hooks ?? []).map((h) => h.name), Date.now()));
}

export function registerHooksCommands(program: Command): void {
  const hooks = program.command('hooks').description('hand-off hooks: deliveries of stored recordings to webhooks and commands');

  hooks
    .command('status')
    .description('pending and failed deliveries per hook')
    .option('--json', 'as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const cfg = await requireConfig(configPath(cmd));
      const status = hookStatus(await deliveriesOf(cfg), (cfg.hooks ?? []).map((h) => h.name), Date.now());
      if (opts.json) say(JSON.stringify(status, null, 2));
      else for (const line of hookStatusLines(status)) say(line);
    });

  hooks
    .command('list')
    .description('deliveries, newest first')
    .option('--state <state>', 'pending, failed or delivered (default: pending and failed)')
    .option('--hook <name>', 'one hook')
    .option('--json', 'as JSON lines')
    .action(async (opts: { state?: string; hook?: string; json?: boolean }, cmd: Command) => {
      const cfg = await requireConfig(configPath(cmd));
      const states: DeliveryState[] = opts.state ? [opts.state as DeliveryState] : ['pending', 'failed'];
      if (!states.every((s) => ['pending', 'failed', 'delivered'].includes(s))) throw new Error(`--state: pending, failed or delivered, got ${JSON.stringify(opts.state)}`);
      const list = (await deliveriesOf(cfg))
        .filter((d) => states.includes(d.state) && (opts.hook === undefined || d.hook === opts.hook))
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
      if (opts.json) {
        for (const d of list) say(JSON.stringify(d));
        return;
      }
      say(table(['delivery', 'hook', 'state', 'recording', 'created', 'attempts', 'next', 'last error'], list.map((d) => [d.id, d.hook, d.state, d.recordingId, d.createdAt, String(d.attempts), d.nextAttemptAt ?? '', d.lastError ?? '']), [32, 20, 9, 60, 24, 8, 24, 120]));
    });

  hooks
    .command('retry [ids...]')
    .description('deliver failed deliveries again (all of them, one hook\'s, or those named by delivery or recording id)')
    .option('--hook <name>', 'only this hook\'s')
    .option('--timeout <seconds>', 'how long to wait for the running daemon to take the request', '10')
    .action(async (ids: string[], opts: { hook?: string; timeout: string }, cmd: Command) => {
      const cfg = await requireConfig(configPath(cmd));
      if (opts.hook !== undefined && !(cfg.hooks ?? []).some((h) => h.name === opts.hook)) throw new Error(`no hook named ${JSON.stringify(opts.hook)} in the configuration`);
      const request = { ids: ids.length ? ids : undefined, hook: opts.hook };
      const matched = matchRetry(await deliveriesOf(cfg), request);
      if (matched.length === 0) {
        say(ids.length ? `no pending or failed delivery matches ${ids.join(', ')}` : 'no failed deliveries');
        process.exit(ids.length ? 1 : 0);
      }
      const file = await requestRetry(cfg.stateDir, request);
      const owner = await lockOwner(cfg.stateDir);
      if (owner === undefined) {
        say(`${matched.length} deliver${matched.length === 1 ? 'y' : 'ies'} will be retried when fsrecd starts (no daemon runs on ${cfg.stateDir})`);
        return;
      }
      const deadline = Date.now() + Number(opts.timeout) * 1000;
      while (existsSync(file) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      if (existsSync(file)) {
        say(`fsrecd (pid ${owner}) has not taken the request yet; it will (${file})`);
        process.exit(1);
      }
      say(`fsrecd (pid ${owner}) is retrying ${matched.length} deliver${matched.length === 1 ? 'y' : 'ies'} now; see fsrecd hooks status`);
    });
}
