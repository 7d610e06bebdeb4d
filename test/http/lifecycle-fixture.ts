/**
 * A running stack (four stored recordings: three of acme.example, one of other.example) whose tokens file
 * has roles: an admin for every tenant, an admin of acme.example, and the stack's readers.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { callsRecorded } from '../helpers/recorded-calls';
import { ACME_TOKEN, ADMIN_TOKEN, bearer, OTHER_TOKEN, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

/** Admin of every tenant. */
export const ROOT_ADMIN = 'root-admin-token-0123456789abcdef';
/** Admin of acme.example only. */
export const ACME_ADMIN = 'acme-admin-token-0123456789abcdef';
/** A reader of every tenant (the stack's "admin" token has no role: it reads). */
export const READER = ADMIN_TOKEN;
export { ACME_TOKEN, OTHER_TOKEN };

export interface Rec {
  id: string;
  tenant: string;
  key: string;
  state: string;
  srcnum: string;
  dstnum: string;
  hold?: { reason: string; by: string; at: string; objectLock: boolean };
  deleted?: { deletedAt: string; deletedBy: string; reason: string; cause: string };
  links: { audio: string; download: string };
}

export interface AuditEventView {
  seq: number;
  at: string;
  action: string;
  recordingId: string;
  tenant: string;
  actor: string;
  from: string;
  reason?: string;
  outcome: string;
  detail?: string;
}

export async function rolesStack(t: { teardown(fn: () => unknown): void }, extraCallers: string[] = []): Promise<{ s: Stack; base: string }> {
  const { s, base } = await callsRecorded(t, extraCallers);
  writeFileSync(join(s.dir, 'tokens'), `${READER}\n${ACME_TOKEN} acme.example\n${OTHER_TOKEN} other.example\n${ROOT_ADMIN} role=admin\n${ACME_ADMIN} acme.example role=admin\n`, { mode: 0o600 });
  // The listener re-reads the file at most once a second: wait until it has.
  await waitFor(async () => (await fetch(`${base}/api/me`, bearer(ROOT_ADMIN))).status === 200, 'the tokens file with roles loaded');
  return { s, base };
}

export async function listAll(base: string, token: string, query = ''): Promise<Rec[]> {
  const res = await fetch(`${base}/api/recordings${query}`, bearer(token));
  if (res.status !== 200) throw new Error(`${res.status} ${await res.text()}`);
  return ((await res.json()) as { recordings: Rec[] }).recordings;
}

export async function auditOf(base: string, token: string, query = ''): Promise<AuditEventView[]> {
  const res = await fetch(`${base}/api/audit${query}`, bearer(token));
  if (res.status !== 200) throw new Error(`${res.status} ${await res.text()}`);
  return ((await res.json()) as { events: AuditEventView[] }).events;
}
