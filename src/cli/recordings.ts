/**
 * fsrecd recordings list|show|get|url|reindex|delete|hold|release: the stored recordings from a shell,
 * reading the same index the daemon writes (state_dir/recordings.sqlite, or the shared PostgreSQL) and the storage target the
 * configuration names. get and url are audited; delete, hold and release act through the lifecycle.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import type { FsrecdConfig } from '../config/types';
import { createLogger } from '../log';
import { entryFromJournal } from '../recordings/entry-from';
import type { RecordingIndex } from '../recordings/index-store';
import { indexLocation, indexPath, openIndex } from '../recordings/open-index';
import { copyIndex } from '../recordings/copy-index';
import { SqliteIndex } from '../recordings/index-db';
import { downloadName, mediaOf } from '../recordings/media';
import { isRecordingId, parseQuery } from '../recordings/query';
import { reindexFromStorage } from '../recordings/reindex';
import { partiesOf, summarizeConversation } from '../recordings/conversation';
import type { ConversationSummary, PartyInfo, RecordingEntry } from '../recordings/types';
import { Journal } from '../spool/journal';
import { createStorageTarget } from '../storage/create-target';
import type { RecordingStore } from '../storage/target';
import { requireConfig } from './require-config';
import { cliActor, lifecycleAct, openCliLifecycle } from './lifecycle-cli';
import { duration, humanBytes, printable, say, table } from '../terminal/table';

interface ListOpts {
  from?: string;
  to?: string;
  direction?: string;
  network?: string;
  search?: string;
  user?: string;
  device?: string;
  tenant?: string;
  node?: string;
  reason?: string;
  trigger?: string;
  onDemand?: boolean;
  forced?: boolean;
  state?: string;
  conversation?: string;
  queue?: string;
  agent?: string;
  conversations?: boolean;
  limit: string;
  before?: string;
  json?: boolean;
}

async function open(cmd: Command): Promise<{ cfg: FsrecdConfig; store: RecordingStore }> {
  const cfg = await requireConfig((cmd.optsWithGlobals() as { config: string }).config);
  return { cfg, store: createStorageTarget(cfg.storage, createLogger('error')) };
}

/** Runs `read` on the index (opened read-only; it must exist) and closes it, whatever happens. */
async function withIndex<T>(cfg: FsrecdConfig, read: (index: RecordingIndex) => Promise<T>): Promise<T> {
  const index = await openIndex(cfg, { readonly: true, existing: true, log: createLogger('error') });
  try {
    return await read(index);
  } finally {
    await index.close();
  }
}

async function findOrFail(index: RecordingIndex, id: string): Promise<RecordingEntry> {
  if (!isRecordingId(id)) throw new Error(`not a recording id: ${JSON.stringify(id)}`);
  const e = await index.get(id);
  if (!e) throw new Error(`no recording ${id} (fsrecd recordings list shows the ids)`);
  return e;
}

/** `number "name" (user)`: who a party is, as a terminal line. */
function partyText(p: PartyInfo): string {
  return [p.number || '?', p.name && `"${p.name}"`, p.user && `(${p.user})`].filter(Boolean).join(' ');
}

/** caller → callee(s) of one segment. */
function segmentParties(e: RecordingEntry): string {
  const parties = partiesOf(e);
  const side = (role: PartyInfo['role']): string => parties.filter((p) => p.role === role).map(partyText).join(', ') || '?';
  return `${side('caller')} → ${side('callee')}`;
}

/** How a segment began: "answer", or "transferred (attended) from segment 1". */
function howStarted(e: RecordingEntry, segments: RecordingEntry[]): string {
  if (!e.transferFrom) return e.startedBy ?? '';
  const from = segments.find((s) => s.id === e.transferFrom?.recordingId);
  return `transferred (${e.transferFrom.kind}) from ${from ? `segment ${from.segment}` : e.transferFrom.recordingId}`;
}

function segmentTable(segments: RecordingEntry[]): string {
  return table(
    ['SEG', 'STARTED (UTC)', 'PARTIES', 'HOW', 'DUR', 'STATE', 'ID'],
    segments.map((e) => [String(e.segment), e.startedAt.replace('T', ' ').slice(0, 19), segmentParties(e), howStarted(e, segments), duration(e.durationMs), e.state, e.id]),
    [4, 19, 60, 40, 6, 12, 60],
  );
}

/** A conversation id, or the id of one of its recordings. */
async function conversationOrFail(index: RecordingIndex, id: string): Promise<ConversationSummary> {
  if (!isRecordingId(id)) throw new Error(`not a conversation or recording id: ${JSON.stringify(id)}`);
  let segments = await index.segmentsOf(id);
  if (segments.length === 0) {
    const e = await index.get(id);
    if (e) segments = await index.segmentsOf(e.conversationId);
  }
  if (segments.length === 0) throw new Error(`no conversation ${id} (fsrecd recordings list --conversations shows them)`);
  return summarizeConversation(segments[0]?.conversationId ?? id, segments);
}

function details(e: RecordingEntry, segments: RecordingEntry[]): [string, string][] {
  const rows: [string, string | undefined][] = [
    ['id', e.id],
    ['state', e.state + (e.lastError ? ` (${e.lastError})` : '')],
    ['started', e.startedAt],
    ['ended', e.endedAt],
    ['duration', e.durationMs !== undefined ? `${duration(e.durationMs)} (${e.durationMs} ms)` : undefined],
    ['from', [e.srcnum, e.callerName && `"${e.callerName}"`].filter(Boolean).join(' ')],
    ['to', e.dstnum],
    ['direction', e.direction],
    ['network', e.network],
    ['user', e.user],
    ['device', e.device],
    ['tenant', e.tenant],
    ['domain', e.domain],
    ['recorded by', e.trigger],
    ['reasons', e.reasons.join('; ')],
    ['size', e.size !== undefined ? `${humanBytes(e.size)} (${e.size} bytes)` : undefined],
    ['format', e.format],
    ['storage key', e.key],
    ['md5', e.md5],
    ['local file', e.localPath],
    ['call uuid', e.callUuid],
    ['leg uuid', e.legUuid],
    ['node', e.node],
    ['ended because', e.completionCause],
    ['known from', e.source],
    ['conversation', e.conversationId],
    ['segment', `${e.segment} of ${segments.length || 1}`],
    ['started by', howStarted(e, segments)],
    ...partiesOf(e).map((p): [string, string] => [p.role, partyText(p)]),
    ['queue', e.queue],
    ['agent', e.agent],
    ['legal hold', e.hold && `${e.hold.reason} (by ${e.hold.by} at ${e.hold.at}; ${e.hold.objectLock ? 'S3 Object Lock' : 'index only'})`],
    ['deleted', e.deleted && `${e.deleted.deletedAt} by ${e.deleted.deletedBy} (${e.deleted.cause}): ${e.deleted.reason}`],
  ];
  return rows.filter((r): r is [string, string] => r[1] !== undefined && r[1] !== '');
}

export function registerRecordingsCommands(program: Command): void {
  const rec = program.command('recordings').description('find, inspect, download stored recordings; rebuild the index from storage');

  rec
    .command('list')
    .description('recordings, newest first (filters combine)')
    .option('--from <when>', 'started at or after: 2026-11-24, 2026-11-24T08:30, or an age like 12h, 7d')
    .option('--to <when>', 'started before (same forms as --from)')
    .option('--direction <dir>', 'inbound or outbound')
    .option('--network <net>', 'internal or external')
    .option('-s, --search <text>', 'substring of a number, caller name, user, device, any party, queue or agent')
    .option('--user <id>', 'the recorded user')
    .option('--device <id>', 'the recorded device')
    .option('--tenant <tenant>', 'tenant_uuid')
    .option('--node <node>', 'the FreeSWITCH server that recorded it (FreeSWITCH-Hostname; with a shared PostgreSQL index)')
    .option('--reason <text>', 'substring of a reason: account, "*26", "user 1000", …')
    .option('--trigger <kind>', 'rule, on-demand or adopted')
    .option('--on-demand', 'only *3 on-demand recordings (--trigger on-demand)')
    .option('--forced', 'only recordings a rule forced (--trigger rule)')
    .option('--state <state>', 'stored, finished (waiting for storage), recording, discarded, failed, lost, deleted (tombstones)')
    .option('--conversation <id>', 'the segments of one conversation')
    .option('--queue <queue>', 'a call center queue: support (any domain) or support@domain')
    .option('--agent <agent>', 'a call center agent: 1000 (any domain) or 1000@domain')
    .option('--conversations', 'one row per conversation (a conversation is listed when any of its segments matches)')
    .option('--limit <n>', 'at most this many (1-1000)', '50')
    .option('--before <cursor>', 'the next page: the cursor the previous page printed')
    .option('--json', 'JSON for scripts: {"recordings": [...], "next": cursor|null} (--conversations: {"conversations": [...], ...})')
    .action(async (opts: ListOpts, cmd: Command) => {
      const { cfg } = await open(cmd);
      if (opts.onDemand && opts.forced) throw new Error('--on-demand and --forced exclude each other');
      const trigger = opts.onDemand ? 'on-demand' : opts.forced ? 'rule' : opts.trigger;
      const given: Record<string, string | undefined> = { from: opts.from, to: opts.to, direction: opts.direction, network: opts.network, q: opts.search, user: opts.user, device: opts.device, tenant: opts.tenant, node: opts.node, reason: opts.reason, trigger, state: opts.state, conversation: opts.conversation, queue: opts.queue, agent: opts.agent, limit: opts.limit, before: opts.before };
      const params = Object.entries(given).filter((kv): kv is [string, string] => kv[1] !== undefined);
      const q = parseQuery(params, Date.now());
      if (opts.conversations) {
        const grouped = await withIndex(cfg, (index) => index.conversations(q));
        if (opts.json) return say(JSON.stringify(grouped));
        if (grouped.conversations.length === 0) return say('no conversations match');
        say(
          table(
            ['STARTED (UTC)', 'SEGS', 'PARTIES', 'DUR', 'STATE', 'CONVERSATION'],
            grouped.conversations.map((c) => [c.startedAt.replace('T', ' ').slice(0, 19), String(c.segmentCount), c.parties.map((p) => p.number || '?').join(', '), duration(c.durationMs), [...new Set(c.segments.map((e) => e.state))].join(','), c.conversationId]),
            [19, 4, 60, 6, 20, 60],
          ),
        );
        if (grouped.next) say(`more: fsrecd recordings list --conversations … --before ${grouped.next}`);
        return;
      }
      const page = await withIndex(cfg, (index) => index.query(q));
      if (opts.json) {
        say(JSON.stringify(page));
        return;
      }
      if (page.recordings.length === 0) {
        say('no recordings match');
        return;
      }
      say(
        table(
          ['STARTED (UTC)', 'DIR', 'NET', 'FROM', 'TO', 'USER', 'DUR', 'SIZE', 'STATE', 'ID'],
          page.recordings.map((e) => [e.startedAt.replace('T', ' ').slice(0, 19), e.direction === 'inbound' ? 'in' : 'out', e.network === 'internal' ? 'int' : 'ext', e.srcnum, e.dstnum, e.user ?? '', duration(e.durationMs), humanBytes(e.size), e.trigger === 'on-demand' ? `${e.state}*3` : e.state, e.id]),
          [19, 3, 3, 20, 20, 16, 6, 9, 12, 60],
        ),
      );
      if (page.next) say(`more: fsrecd recordings list … --before ${page.next}`);
    });

  rec
    .command('show <id>')
    .description('every detail of one recording: parties, direction, network, reasons, duration, size, storage key, checksum')
    .option('--json', 'as JSON')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const { cfg } = await open(cmd);
      const [e, segments] = await withIndex(cfg, async (index) => {
        const found = await findOrFail(index, id);
        return [found, await index.segmentsOf(found.conversationId)] as const;
      });
      if (opts.json) return say(JSON.stringify(e, null, 2));
      const rows = details(e, segments);
      const w = Math.max(...rows.map((r) => r[0].length));
      for (const [k, v] of rows) say(`${k.padEnd(w)}  ${printable(v)}`);
      const others = segments.filter((s) => s.id !== e.id);
      if (others.length) {
        say('');
        say(`other segments of conversation ${printable(e.conversationId)}:`);
        say(segmentTable(others));
      }
    });

  rec
    .command('conversation <id>')
    .description('one conversation (by its id, or the id of any of its recordings): its segments in order, their parties and the transfers between them')
    .option('--json', 'as JSON')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const { cfg } = await open(cmd);
      const c = await withIndex(cfg, (index) => conversationOrFail(index, id));
      if (opts.json) return say(JSON.stringify(c, null, 2));
      say(`conversation ${printable(c.conversationId)}: ${c.segmentCount} segment${c.segmentCount === 1 ? '' : 's'}, ${duration(c.durationMs)}, ${c.startedAt} to ${c.endedAt ?? '(recording)'}`);
      say(`parties: ${printable(c.parties.map(partyText).join('; '))}`);
      say(segmentTable(c.segments));
    });

  rec
    .command('get <id>')
    .description('download a recording and verify its size and MD5 checksum')
    .option('-o, --output <file>', 'where to write it ("-" for standard output; default: its file name, here)')
    .option('-f, --force', 'replace an existing file')
    .action(async (id: string, opts: { output?: string; force?: boolean }, cmd: Command) => {
      const { cfg, store } = await open(cmd);
      const e = await withIndex(cfg, (index) => findOrFail(index, id));
      if (e.state === 'deleted') throw new Error(`recording ${id} was deleted on ${e.deleted?.deletedAt} by ${e.deleted?.deletedBy} (${e.deleted?.reason})`);
      const media = await mediaOf(e, store);
      const hash = createHash('md5');
      let bytes = 0;
      const count = new Transform({
        transform(chunk: Buffer, _enc, done) {
          hash.update(chunk);
          bytes += chunk.length;
          done(null, chunk);
        },
      });
      const toStdout = opts.output === '-';
      const dest = toStdout ? '' : resolve(opts.output ?? downloadName(e));
      if (!toStdout && existsSync(dest) && !opts.force) throw new Error(`${dest} exists (use --force to replace it)`);
      const tmp = `${dirname(dest)}/.${downloadName(e)}.${process.pid}.part`;
      await pipeline(await media.open(), count, toStdout ? process.stdout : createWriteStream(tmp, { mode: 0o640 })); // durable-exempt: a user's download, not fsrecd's state
      const md5 = hash.digest('hex');
      const problems: string[] = [];
      if (bytes !== media.size) problems.push(`got ${bytes} bytes, storage says ${media.size}`);
      if (e.md5 && md5 !== e.md5) problems.push(`MD5 ${md5}, recorded ${e.md5}`);
      if (problems.length) {
        if (!toStdout) await rm(tmp, { force: true }); // durable-exempt: our own failed download's temp
        throw new Error(`download of ${id} failed verification: ${problems.join('; ')}`);
      }
      if (!toStdout) await rename(tmp, dest); // durable-exempt: a user's download, not fsrecd's state
      await auditAccess(cmd, 'download', e);
      process.stderr.write(`${toStdout ? 'wrote' : dest}: ${bytes} bytes, md5 ${md5} ${e.md5 ? 'verified' : '(no recorded checksum to compare: size verified)'}\n`);
    });

  rec
    .command('url <id>')
    .description('a time-limited presigned download URL (S3-compatible storage only)')
    .option('--expires <seconds>', 'validity in seconds (default: http.url_expiry_seconds)')
    .action(async (id: string, opts: { expires?: string }, cmd: Command) => {
      const { store, cfg } = await open(cmd);
      const e = await withIndex(cfg, (index) => findOrFail(index, id));
      if (e.state !== 'stored') throw new Error(`recording ${id} is ${e.state}, not in storage yet`);
      const seconds = opts.expires === undefined ? cfg.http.urlExpirySeconds : Number(opts.expires);
      if (!Number.isInteger(seconds) || seconds < 1 || seconds > 604_800) throw new Error('--expires: whole seconds from 1 to 604800 (7 days, the S3 maximum)');
      const url = await store.presign(e.key, seconds, downloadName(e));
      if (!url) throw new Error(`${store.describe()} has no presigned URLs: use fsrecd recordings get, or the HTTP API (/api/recordings/${id}/download)`);
      await auditAccess(cmd, 'url', e);
      say(url);
    });

  rec
    .command('reindex')
    .description('rebuild the index from the storage target (every object and its metadata object), then this node\'s journal')
    .action(async (_opts: unknown, cmd: Command) => {
      const { store, cfg } = await open(cmd);
      const index = await openIndex(cfg, { log: createLogger('warn', process.stderr) });
      const tty = process.stderr.isTTY;
      const started = Date.now();
      const report = await reindexFromStorage(index, store, (r) => {
        if (tty) process.stderr.write(`\r${r.recordings} recording(s) from ${r.objects} object(s)…`);
      });
      if (tty) process.stderr.write('\n');
      // What this node has not stored yet exists only in its journal.
      const journal = new Journal(`${cfg.stateDir}/journal`);
      await journal.load(() => undefined);
      // A tombstone is kept by upsert: a journal entry of a deleted recording does not bring it back.
      const fromJournal = await index.upsertMany([...journal.entries.values()].filter((j) => j.state !== 'stored').map(entryFromJournal));
      const counts = await index.counts();
      await index.close();
      say(`${store.describe()}: ${report.objects} object(s), ${report.recordings} recording(s) indexed (${report.withoutMetadata} without metadata), ${report.removed} gone from storage removed; deleted recordings stay as tombstones${report.holdsRestored ? `; ${report.holdsRestored} legal hold(s) restored from storage` : ''}`);
      say(`journal: ${fromJournal} recording(s) not stored yet`);
      say(`index ${indexLocation(cfg)}: ${counts.total} recording(s) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    });

  rec
    .command('import-index <sqlite-file>')
    .description('copy a node\'s own SQLite index (recordings, tombstones, legal holds, audit trail) into the configured index: the move to a shared PostgreSQL database')
    .option('--audit-again', 'copy the audit trail even though the target already has one (a second import would otherwise double it)')
    .action(async (file: string, opts: { auditAgain?: boolean }, cmd: Command) => {
      const { cfg } = await open(cmd);
      const source = resolve(file);
      if ((cfg.index?.type ?? 'sqlite') === 'sqlite' && source === resolve(indexPath(cfg.stateDir))) throw new Error(`${source} is the configured index itself: set index.type: postgres first`);
      if (!existsSync(source)) throw new Error(`no SQLite index at ${source}`);
      const from = SqliteIndex.open(source, { readonly: true });
      const to = await openIndex(cfg, { log: createLogger('warn', process.stderr) });
      try {
        const tty = process.stderr.isTTY;
        const r = await copyIndex(from, to, { copyAuditOverExisting: !!opts.auditAgain, onProgress: (p) => tty && process.stderr.write(`\r${p.recordings} recording(s)…`) });
        if (tty) process.stderr.write('\n');
        say(`${source} → ${indexLocation(cfg)}: ${r.recordings} recording(s), ${r.tombstones} tombstone(s), ${r.holds} legal hold(s), ${r.auditSkipped ? 'audit trail NOT copied (the target has one; --audit-again copies it anyway)' : `${r.auditEvents} audit event(s)`}`);
      } finally {
        await from.close();
        await to.close();
      }
    });

  rec
    .command('delete <id>')
    .description('delete a stored recording for good (object, metadata object, local copy); the index keeps a tombstone; audited')
    .requiredOption('--reason <text>', 'why (a ticket, a data-subject request): kept in the tombstone and the audit trail')
    .action(async (id: string, opts: { reason: string }, cmd: Command) => {
      const lc = await openCliLifecycle(configPathOf(cmd));
      await lifecycleAct(async () => {
        const dead = await lc.lifecycle.delete(id, cliActor(), opts.reason);
        say(`deleted ${dead.id} (${dead.key}${dead.size !== undefined ? `, ${humanBytes(dead.size)}` : ''}); tombstone: ${dead.deleted?.deletedAt} by ${dead.deleted?.deletedBy}: ${printable(dead.deleted?.reason ?? '')}`);
      }, () => lc.close());
    });

  rec
    .command('hold <id>')
    .description('put a recording under legal hold: retention skips it and delete refuses it (S3 Object Lock where the bucket has it)')
    .requiredOption('--reason <text>', 'why (a case number, a court order)')
    .action(async (id: string, opts: { reason: string }, cmd: Command) => {
      const lc = await openCliLifecycle(configPathOf(cmd), { withJournal: false });
      await lifecycleAct(async () => {
        const hold = await lc.lifecycle.hold(id, cliActor(), opts.reason);
        say(`held ${id}: ${hold.objectLock ? 'S3 Object Lock legal hold set on the object' : 'kept in the index and beside the object only (no S3 Object Lock: a bucket user could still delete it)'}`);
      }, () => lc.close());
    });

  rec
    .command('release <id>')
    .description('release a legal hold')
    .requiredOption('--reason <text>', 'why the hold ends')
    .action(async (id: string, opts: { reason: string }, cmd: Command) => {
      const lc = await openCliLifecycle(configPathOf(cmd), { withJournal: false });
      await lifecycleAct(async () => {
        await lc.lifecycle.release(id, cliActor(), opts.reason);
        say(`released ${id}`);
      }, () => lc.close());
    });
}

function configPathOf(cmd: Command): string {
  return (cmd.optsWithGlobals() as { config: string }).config;
}

/** A download or URL from the command line goes into the audit trail like one through the API. */
async function auditAccess(cmd: Command, action: 'download' | 'url', e: RecordingEntry): Promise<void> {
  const lc = await openCliLifecycle(configPathOf(cmd), { withJournal: false });
  try {
    await lc.lifecycle.recordAccess(action, e, cliActor());
  } finally {
    await lc.close();
  }
}
