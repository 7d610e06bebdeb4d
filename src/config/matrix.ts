/**
 * KAZOO's call recording payload in its YAML spellings: `on|off|inherit|true|false` for all four cells, or
 * `{inbound|outbound|any: X}` where X is a switch or `{internal|onnet|external|offnet|any: switch}`.
 * Inside one matrix the more specific key wins over `any`.
 */
import { emptyMatrix } from './defaults';
import type { Reader } from './reader';
import type { Direction, Network, RecordMatrix, Switch } from './types';

const NETWORK_KEYS: Record<string, Network | 'any'> = { internal: 'internal', onnet: 'internal', external: 'external', offnet: 'external', any: 'any' };
const DIRECTIONS: Array<Direction | 'any'> = ['any', 'inbound', 'outbound'];

/** undefined = inherit. */
export function readSwitch(r: Reader, path: string[], v: unknown): Switch | undefined {
  if (v === undefined || v === null || v === 'inherit') return undefined;
  if (v === true || v === 'on') return 'on';
  if (v === false || v === 'off') return 'off';
  r.error(path, `expected on, off or inherit, got ${JSON.stringify(v)}`);
  return undefined;
}

interface Assignment {
  dir: Direction | 'any';
  net: Network | 'any';
  value: Switch | undefined;
}

/** Applies `any` first and specific cells last, so the specific ones win. */
function apply(m: RecordMatrix, list: Assignment[]): RecordMatrix {
  const weight = (a: Assignment): number => (a.dir === 'any' ? 0 : 2) + (a.net === 'any' ? 0 : 1);
  for (const a of [...list].sort((x, y) => weight(x) - weight(y))) {
    if (a.value === undefined) continue;
    for (const d of a.dir === 'any' ? (['inbound', 'outbound'] as const) : [a.dir]) {
      for (const n of a.net === 'any' ? (['internal', 'external'] as const) : [a.net]) m[d][n] = a.value;
    }
  }
  return m;
}

export function readMatrix(r: Reader, path: string[], v: unknown): RecordMatrix {
  const m = emptyMatrix();
  if (v === undefined || v === null) return m;
  if (typeof v !== 'object' || Array.isArray(v)) return apply(m, [{ dir: 'any', net: 'any', value: readSwitch(r, path, v) }]);
  const list: Assignment[] = [];
  const obj = r.map(path, v, DIRECTIONS);
  for (const dir of DIRECTIONS) {
    const x = obj[dir];
    if (x === undefined) continue;
    if (typeof x !== 'object' || x === null) {
      list.push({ dir, net: 'any', value: readSwitch(r, [...path, dir], x) });
      continue;
    }
    for (const [k, sv] of Object.entries(r.map([...path, dir], x, Object.keys(NETWORK_KEYS)))) {
      const net = NETWORK_KEYS[k];
      if (net) list.push({ dir, net, value: readSwitch(r, [...path, dir, k], sv) });
    }
  }
  return apply(m, list);
}

/** Wazo's user switches (booleans) as cells of the record matrix. */
export const WAZO_ALIASES: Record<string, [Direction, Network]> = {
  call_record_incoming_internal_enabled: ['inbound', 'internal'],
  call_record_incoming_external_enabled: ['inbound', 'external'],
  call_record_outgoing_internal_enabled: ['outbound', 'internal'],
  call_record_outgoing_external_enabled: ['outbound', 'external'],
};
