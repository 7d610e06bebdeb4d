/**
 * The *26 toggles, persisted in state_dir/toggles.json (atomic writes). A corrupt file is reported and
 * set aside (toggles.json.corrupt-<time>), never silently reset.
 */
import { mkdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Switch } from '../config/types';
import { NO_FAULTS, type Faults } from '../durability/faults';
import type { Logger } from '../log';
import { writeFileAtomic } from '../util/atomic-file';

type Stored = Record<string, Record<string, Switch>>;

export class ToggleStore {
  #data: Stored = {};
  #writing: Promise<void> = Promise.resolve();

  private constructor(
    readonly file: string,
    /** Numbered durable steps (toggles.*): tests crash or fail the write there. */
    private readonly faults: Faults,
  ) {}

  static async open(stateDir: string, log: Logger, faults: Faults = NO_FAULTS): Promise<ToggleStore> {
    await mkdir(stateDir, { recursive: true, mode: 0o750 });
    const store = new ToggleStore(join(stateDir, 'toggles.json'), faults);
    let text: string | undefined;
    try {
      text = await readFile(store.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text !== undefined) {
      try {
        store.#data = validate(JSON.parse(text));
      } catch (err) {
        const aside = `${store.file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
        await rename(store.file, aside); // durable-exempt: the corrupt bytes survive under either name; a crash before it finds them corrupt again
        log.error('the *26 toggle state file is corrupt; moved aside, starting with no toggles', { file: store.file, movedTo: aside, error: String(err) });
      }
    }
    return store;
  }

  get(domain: string, user: string): Switch | undefined {
    return this.#data[domain]?.[user];
  }

  /** The lookup the policy uses. */
  readonly lookup = (domain: string, user: string): Switch | undefined => this.get(domain, user);

  set(domain: string, user: string, value: Switch): Promise<void> {
    (this.#data[domain] ??= {})[user] = value;
    const snapshot = JSON.stringify(this.#data, null, 1);
    // Serialised: a later toggle's write never lands before an earlier one's.
    this.#writing = this.#writing.catch(() => undefined).then(() => writeFileAtomic(this.file, snapshot, { faults: this.faults, writer: 'toggles' }));
    return this.#writing;
  }
}

function validate(v: unknown): Stored {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
  const out: Stored = {};
  for (const [domain, users] of Object.entries(v as Record<string, unknown>)) {
    if (typeof users !== 'object' || users === null) throw new Error(`entry ${domain} is not an object`);
    out[domain] = {};
    for (const [user, s] of Object.entries(users as Record<string, unknown>)) {
      if (s !== 'on' && s !== 'off') throw new Error(`${domain}/${user} is neither on nor off`);
      (out[domain] as Record<string, Switch>)[user] = s;
    }
  }
  return out;
}
