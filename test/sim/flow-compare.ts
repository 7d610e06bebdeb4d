/** A flow's events against a real FreeSWITCH capture (test/fixtures/freeswitch-esl). */
import type { Test } from 'tap';
import type { EslEvent } from '../../src/esl/types';
import { fixture } from '../helpers/fixtures';
import { eventsOf, parseAll } from '../helpers/frames';

/** Event name with the mod_callcenter action, as the captures are compared. */
export const label = (e: EslEvent): string => (e.name === 'CUSTOM' ? `CUSTOM:${e.get('CC-Action') ?? ''}` : e.name);

export function captured(file: string): EslEvent[] {
  return eventsOf(parseAll([fixture(file)]).frames);
}

const nonVariable = (ev: EslEvent): string[] => ev.headerNames().filter((n) => !n.startsWith('variable_'));
const variables = (ev: EslEvent): string[] => ev.headerNames().filter((n) => n.startsWith('variable_'));

/**
 * Same event names in the same order (restricted to the names the capture has: it may have subscribed to
 * fewer), same non-variable header names in the same order on each, and every captured channel variable.
 */
export function compareFlow(t: Test, allOurs: EslEvent[], theirs: EslEvent[], tag: string): void {
  const names = new Set(theirs.map((e) => e.name));
  const ours = allOurs.filter((e) => names.has(e.name));
  t.same(ours.map(label), theirs.map(label), `${tag}: event order`);
  for (let i = 0; i < Math.min(ours.length, theirs.length); i++) {
    const o = ours[i] as EslEvent;
    const c = theirs[i] as EslEvent;
    t.same(nonVariable(o), nonVariable(c), `${tag}: #${i} ${label(c)} header names and order`);
    const missing = variables(c).filter((v) => !variables(o).includes(v));
    t.same(missing, [], `${tag}: #${i} ${label(c)} has every captured channel variable`);
  }
}
