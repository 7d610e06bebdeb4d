/** The subcommands. Each parses its options, calls the part that does the work and prints for a person on a terminal, exiting with a meaningful status. */
import type { Command } from 'commander';
import { startFsrecd } from '../app';
import { loadConfig, summarizeConfig } from '../config/load';
import { describeIndex } from '../config/index-config';
import type { FsrecdConfig } from '../config/types';
import { ConfigInvalidError, ConfigWatcher } from '../config/watcher';
import { hashPassword, newToken } from '../http/credentials';
import { createLogger, silentLogger, type Logger, type LogLevel } from '../log';
import { Metrics } from '../metrics';
import { renderForCli } from '../naming/namer';
import { DEFAULT_OBJECT_KEY } from '../naming/object-key';
import { namingRenderChecks } from '../naming/template-check';
import { buildNamingVars } from '../naming/variables';
import type { RecordingIndex } from '../recordings/index-store';
import { IndexUnavailableError } from '../recordings/reachable-index';
import { lockOwner, SpoolLockedError } from '../spool/lock';
import type { Spool } from '../spool/spool';
import { say } from '../terminal/table';
import { openSpoolSide } from '../wiring/spool-side';
import { daemonHealth } from './daemon-health';
import { registerRecordingsCommands } from './recordings';
import { registerRetentionCommand } from './retention';
import { registerAuditCommand } from './audit';
import { describeObjectLock, ObjectLockRequiredError } from '../lifecycle/daemon-side';
import { objectLifecycleOf } from '../storage/object-lifecycle';
import { createStorageTarget } from '../storage/create-target';
import { hooksStatusLines, registerHooksCommands } from './hooks';
import { requireConfig } from './require-config';
import { syncThroughDaemon } from './sync-through-daemon';

const LEVELS = ['error', 'warn', 'info', 'debug'];

/** The journal, index and storage target a configuration names, for the commands that work on them offline. */
async function openSpool(path: string, log: Logger, lock = true): Promise<{ cfg: FsrecdConfig; spool: Spool; index: RecordingIndex }> {
  const cfg = await requireConfig(path);
  // sync stores recordings: the index hears of it as it does from the daemon.
  const { spool, index } = await openSpoolSide({ config: cfg, log, metrics: new Metrics(), lock });
  return { cfg, spool, index };
}

function configPath(cmd: Command): string {
  return (cmd.optsWithGlobals() as { config: string }).config;
}

export function registerCommands(program: Command): void {
  program
    .command('run', { isDefault: true })
    .description('run the daemon (what systemd starts)')
    .option('--log-level <level>', `override log.level (${LEVELS.join(', ')})`)
    .action(async (opts: { logLevel?: string }, cmd: Command) => {
      const path = configPath(cmd);
      const bootLog = createLogger((opts.logLevel as LogLevel) ?? 'info');
      const watcher = new ConfigWatcher(path, bootLog, { templates: namingRenderChecks });
      let config;
      try {
        config = await watcher.start();
      } catch (err) {
        if (err instanceof ConfigInvalidError) {
          for (const issue of err.issues) console.error(issue.toString());
          process.exit(1);
        }
        throw err;
      }
      const log = createLogger((opts.logLevel as LogLevel) ?? config.log.level);
      log.info(summarizeConfig(config));
      const app = await startFsrecd({ config, watcher, log, metrics: new Metrics() }).catch((err: unknown) => {
        if (err instanceof SpoolLockedError) {
          log.error(`${err.message}; refusing to start a second one`, { stateDir: err.stateDir, pid: err.pid });
          process.exit(1);
        }
        if (err instanceof ObjectLockRequiredError) {
          log.error(`${err.message}; refusing to start`);
          process.exit(1);
        }
        throw err;
      });
      process.on('SIGHUP', () => void watcher.reload('SIGHUP'));
      // fsrecd sync asks the running daemon (the spool's owner) to try every waiting upload now.
      process.on('SIGUSR2', () => {
        log.info('SIGUSR2 (fsrecd sync): retrying every waiting upload now');
        app.spool.retryNow();
      });
      let stopping = false;
      const stop = (signal: string): void => {
        if (stopping) {
          log.warn(`second ${signal}: exiting now; the journal is consistent, unfinished uploads resume at the next start`);
          process.exit(0);
        }
        stopping = true;
        log.info(`${signal}: stopping (uploads in flight get 20 s; live recordings continue in FreeSWITCH)`);
        void app.stop(20_000).then(() => process.exit(0));
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });

  program
    .command('check-config')
    .description('validate the configuration like nginx -t: file:line:column: key.path: problem')
    .action(async (_opts: unknown, cmd: Command) => {
      const result = await loadConfig(configPath(cmd), process.env, namingRenderChecks);
      if (!result.ok) {
        for (const issue of result.errors) console.error(issue.toString());
        console.error(`${result.errors.length} problem(s); configuration NOT valid`);
        process.exit(1);
      }
      for (const w of result.warnings) console.error(`warning: ${w}`);
      say(summarizeConfig(result.config));
      say(describeIndex(result.config.index, result.config.stateDir));
      say(`object keys: ${result.config.storage.type === 's3' && result.config.storage.keyTemplate ? `storage.key_template ${JSON.stringify(result.config.storage.keyTemplate)}` : DEFAULT_OBJECT_KEY}`);
      // What legal holds will be: asks the bucket (storage.object_lock: require refuses a bucket without it).
      const storage = result.config.storage;
      const lock = await describeObjectLock(storage, () => objectLifecycleOf(createStorageTarget(storage, silentLogger())).objectLock());
      say(lock.line);
      if (lock.problem) {
        console.error(`storage.object_lock: ${lock.problem}`);
        console.error('1 problem(s); configuration NOT valid');
        process.exit(1);
      }
      // The storage client's kept-alive connection would hold the process open.
      process.exit(0);
    });

  program
    .command('render')
    .description('print the path a recording would get from a filename template')
    .option('--template <template>', 'template (default: call_recording.filename_template from the configuration)')
    .option('--extension <ext>', 'file extension (default: call_recording.filename_extension)')
    .option('--var <name=value...>', 'a variable: srcnum=1001 dstnum=1002 tenant_uuid=… (repeatable)', [])
    .option('--spool-dir <dir>', 'spool directory (default: from the configuration)')
    .action(async (opts: { template?: string; extension?: string; var: string[]; spoolDir?: string }, cmd: Command) => {
      const loaded = await loadConfig(configPath(cmd), process.env, namingRenderChecks).catch(() => undefined);
      const cfg = loaded && loaded.ok ? loaded.config : undefined;
      const given: Record<string, string> = {};
      for (const kv of opts.var) {
        const eq = kv.indexOf('=');
        if (eq <= 0) throw new Error(`--var takes name=value, got ${JSON.stringify(kv)}`);
        given[kv.slice(0, eq)] = kv.slice(eq + 1);
      }
      const vars = {
        ...buildNamingVars(
          {
            srcnum: given.srcnum ?? '1000',
            dstnum: given.dstnum ?? '1001',
            baseContext: given.base_context ?? 'default',
            tenantUuid: given.tenant_uuid ?? 'tenant',
            uuid: given.uuid ?? '00000000-0000-0000-0000-000000000000',
            callId: given.call_id,
            direction: given.direction ?? 'outbound',
            network: given.network ?? 'internal',
            user: given.user,
            device: given.device,
            node: given.node ?? 'pbx',
            name: given.name,
            seq: given.seq ? Number(given.seq) : undefined,
          },
          new Date(),
        ),
      };
      const p = renderForCli(
        opts.template ?? cfg?.naming.filenameTemplate ?? '{{ tenant_uuid }}/{{ utc_time }}-{{ srcnum }}-{{ dstnum }}',
        opts.extension ?? cfg?.naming.filenameExtension ?? 'wav',
        vars,
        opts.spoolDir ?? cfg?.spoolDir ?? '/var/spool/fsrecd',
        cfg?.allowedDirs ?? [],
      );
      if (p.error) console.error(`template error (the recording would use the fallback name): ${p.error}`);
      say(p.absolutePath);
      if (p.error) process.exit(1);
    });

  program
    .command('demo')
    .description('run the built-in FreeSWITCH simulator and the daemon on loopback, place calls, show what was recorded and stored')
    .option('--dir <dir>', 'work directory (default: a new temporary directory)')
    .option('--log-level <level>', 'also print the daemon log (JSON lines) on stderr')
    .action(async (opts: { dir?: string; logLevel?: string }) => {
      // Loaded only here: the simulator and its captured frames (2.8 MB) have no place in `fsrecd run`'s memory.
      const { runDemo } = await import('../demo/run-demo');
      process.exit(await runDemo({ dir: opts.dir, logLevel: opts.logLevel as LogLevel | undefined }));
    });

  program
    .command('status')
    .description('recordings in progress, backlog and the last upload error, from the journal in state_dir')
    .action(async (_opts: unknown, cmd: Command) => {
      // Read-only: the running daemon keeps the spool's lock.
      const { cfg, spool, index } = await openSpool(configPath(cmd), silentLogger(), false);
      const s = spool.status();
      say(`FreeSWITCH: ${await daemonHealth(cfg.http.listen)}`);
      say(`recordings in progress: ${s.inProgress}`);
      say(`backlog: ${s.backlogFiles} file(s), ${s.backlogBytes} bytes, oldest ${s.oldestAgeSeconds} s`);
      say(`journal (entries of the last ${cfg.upload.journalKeepDays} days and everything unfinished): stored ${s.stored}, lost ${s.lost}`);
      // A shared index that does not answer is said as such: the spool's state above is what matters most.
      const counts = await index.counts().catch((err: unknown) => (err instanceof IndexUnavailableError ? err : Promise.reject(err)));
      await index.close();
      if (counts instanceof IndexUnavailableError) say(`recordings index: ${counts.message}`);
      else say(`recordings index (${index.engine} ${index.location}): ${counts.total} (${Object.entries(counts.byState).map(([k, n]) => `${k} ${n}`).join(', ') || 'empty'})`);
      const last = [...spool.journal.entries.values()].filter((e) => e.lastError && (e.state === 'finished' || e.state === 'uploading')).sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))[0];
      say(`last upload error: ${last?.lastError ?? 'none'}`);
      for (const line of await hooksStatusLines(cfg)) say(line);
      const owner = await lockOwner(cfg.stateDir);
      say(`spool owner: ${owner === undefined ? 'none (no daemon running on this state_dir)' : `fsrecd pid ${owner}`}`);
    });

  program
    .command('sync')
    .description('upload the backlog now, with progress (asks the running daemon to do it when one owns the spool)')
    .option('--timeout <seconds>', 'with a running daemon: how long to wait for the backlog to empty', '300')
    .action(async (opts: { timeout: string }, cmd: Command) => {
      const cfg = await requireConfig(configPath(cmd));
      const owner = await lockOwner(cfg.stateDir);
      if (owner !== undefined) process.exit(await syncThroughDaemon(cfg, owner, Number(opts.timeout) * 1000));
      const { spool, index } = await openSpool(configPath(cmd), createLogger('warn')).catch((err: unknown) => {
        if (err instanceof SpoolLockedError) {
          console.error(`${err.message}: it uploads by itself; run fsrecd sync again to ask it`);
          process.exit(1);
        }
        throw err;
      });
      const tty = process.stdout.isTTY;
      const mb = (n: number): string => (n / 1e6).toFixed(1);
      const s = await spool.drain((p) => {
        const line = `${p.filesDone}/${p.filesTotal} file(s), ${mb(p.bytesDone)}/${mb(p.bytesTotal)} MB`;
        if (tty) process.stdout.write(`\r[${'#'.repeat(Math.round((20 * p.bytesDone) / Math.max(1, p.bytesTotal))).padEnd(20)}] ${line}`);
        else say(line);
      });
      if (tty) say('');
      await index.close();
      say(`backlog now ${s.backlogFiles} file(s); stored ${s.stored}, lost ${s.lost}${s.lastError ? `; last error: ${s.lastError}` : ''}`);
      process.exit(s.backlogFiles === 0 ? 0 : 1);
    });

  registerRecordingsCommands(program);
  registerRetentionCommand(program);
  registerAuditCommand(program);
  registerHooksCommands(program);

  program
    .command('token')
    .description('print a new random API token (add it to http.tokens_file, optionally followed by a tenant and role=admin)')
    .action(() => say(newToken()));

  program
    .command('passwd <name>')
    .description('print a users_file line for NAME with an scrypt hash of the password read from standard input')
    .option('--tenant <tenant>', 'limit the user to one tenant')
    .option('--admin', 'give the user the admin role (delete, legal hold, audit trail)')
    .action(async (name: string, opts: { tenant?: string; admin?: boolean }) => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      const password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
      if (password.length < 8) throw new Error('a password is at least 8 characters (give it on standard input)');
      say(`${name}:${hashPassword(password)}${opts.tenant ? `:${opts.tenant}` : ''}${opts.admin ? ':role=admin' : ''}`);
    });
}
