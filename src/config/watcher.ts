/**
 * Hot reload: chokidar watches the main file and conf.d/ (editors that save by rename included); SIGHUP
 * calls reload() too. A bad edit keeps the last good config running and says why; every load runs the
 * template render checks it was given (the daemon's are naming's, see template-checks.ts).
 */
import chokidar, { type FSWatcher } from 'chokidar';
import { EventEmitter } from 'node:events';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from '../log';
import { loadConfig } from './load';
import type { ConfigIssue } from './issues';
import { NO_RENDER_CHECKS, type TemplateRenderChecks } from './template-checks';
import type { FsrecdConfig } from './types';

export interface WatcherOptions {
  /** Quiet time after the last file event before reloading (editors write in bursts). Default 200 ms. */
  debounceMs?: number;
  /** For *_env secrets. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Naming's render checks (src/naming/template-check.ts); without them templates are checked for safety only. */
  templates?: TemplateRenderChecks;
}

export class ConfigWatcher extends EventEmitter {
  #current: FsrecdConfig | undefined;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  #changed = new Set<string>();
  #reloading: Promise<boolean> = Promise.resolve(true);
  readonly mainPath: string;
  private readonly debounceMs: number;
  private readonly env: NodeJS.ProcessEnv;
  private readonly templates: TemplateRenderChecks;

  constructor(
    mainPath: string,
    private readonly log: Logger,
    opts: WatcherOptions = {},
  ) {
    super();
    this.mainPath = resolve(mainPath);
    this.debounceMs = opts.debounceMs ?? 200;
    this.env = opts.env ?? process.env;
    this.templates = opts.templates ?? NO_RENDER_CHECKS;
  }

  get current(): FsrecdConfig {
    if (!this.#current) throw new Error('configuration not loaded yet');
    return this.#current;
  }

  /** Loads the configuration (rejects with the issues when invalid) and starts watching. */
  async start(): Promise<FsrecdConfig> {
    const result = await loadConfig(this.mainPath, this.env, this.templates);
    if (!result.ok) throw new ConfigInvalidError(result.errors);
    this.#current = result.config;
    for (const w of result.warnings) this.log.warn(w);
    const confD = join(dirname(this.mainPath), 'conf.d');
    this.#watcher = chokidar.watch([this.mainPath, confD], { ignoreInitial: true, depth: 0, awaitWriteFinish: { stabilityThreshold: 100, pollInterval: 20 } });
    this.#watcher.on('all', (_event, file) => {
      if (file !== this.mainPath && !/\.ya?ml$/.test(file)) return;
      this.#changed.add(file);
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = setTimeout(() => void this.reload('file change'), this.debounceMs);
    });
    await new Promise<void>((r) => this.#watcher?.once('ready', () => r()));
    return result.config;
  }

  /** Re-reads everything; true when the new configuration is in force. */
  reload(reason: string): Promise<boolean> {
    this.#reloading = this.#reloading.then(() => this.#reload(reason));
    return this.#reloading;
  }

  async #reload(reason: string): Promise<boolean> {
    // Then 'reloaded' or 'rejected': systemd is told RELOADING=1 and READY=1 around the reload (src/systemd/).
    this.emit('reloading', reason);
    const changed = [...this.#changed];
    this.#changed.clear();
    const result = await loadConfig(this.mainPath, this.env, this.templates);
    if (!result.ok) {
      this.log.error('configuration rejected; the last good configuration stays in force', { reason, errors: result.errors.map(String) });
      this.emit('rejected', result.errors);
      return false;
    }
    for (const w of result.warnings) this.log.warn(w);
    this.#current = result.config;
    this.log.info('configuration reloaded', { reason, files: changed.length ? changed : result.config.sources });
    this.emit('reloaded', result.config, changed);
    return true;
  }

  async stop(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    await this.#watcher?.close();
  }
}

export class ConfigInvalidError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(`invalid configuration:\n${issues.map((i) => `  ${i.toString()}`).join('\n')}`);
    this.name = 'ConfigInvalidError';
  }
}
