/**
 * Counters and gauges the daemon exposes in Prometheus text format. Kept dependency-free and tiny: the
 * hot path (every ESL event) only does a Map lookup and an add.
 */
type Labels = Record<string, string>;

function key(labels: Labels | undefined): string {
  if (!labels) return '';
  const names = Object.keys(labels).sort();
  return names.map((n) => `${n}="${String(labels[n]).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',');
}

interface Series {
  help: string;
  type: 'counter' | 'gauge';
  values: Map<string, number>;
}

export class Metrics {
  readonly #series = new Map<string, Series>();
  readonly #collectors: Array<() => void> = [];

  /** Gauges read at scrape time (live calls, active recordings) register here instead of updating per event. */
  onCollect(fn: () => void): void {
    this.#collectors.push(fn);
  }

  #get(name: string, type: Series['type'], help: string): Series {
    let s = this.#series.get(name);
    if (!s) {
      s = { help, type, values: new Map() };
      this.#series.set(name, s);
    }
    return s;
  }

  inc(name: string, help: string, labels?: Labels, by = 1): void {
    const s = this.#get(name, 'counter', help);
    const k = key(labels);
    s.values.set(k, (s.values.get(k) ?? 0) + by);
  }

  /** A counter whose total is kept elsewhere (read at scrape time). */
  setCounter(name: string, help: string, value: number): void {
    this.#get(name, 'counter', help).values.set('', value);
  }

  set(name: string, help: string, value: number, labels?: Labels): void {
    this.#get(name, 'gauge', help).values.set(key(labels), value);
  }

  value(name: string, labels?: Labels): number {
    return this.#series.get(name)?.values.get(key(labels)) ?? 0;
  }

  render(): string {
    for (const fn of this.#collectors) fn();
    const out: string[] = [];
    for (const [name, s] of this.#series) {
      out.push(`# HELP ${name} ${s.help}`, `# TYPE ${name} ${s.type}`);
      for (const [k, v] of s.values) out.push(k ? `${name}{${k}} ${v}` : `${name} ${v}`);
    }
    return out.join('\n') + '\n';
  }
}
