/**
 * The tokens and users files with roles: an optional last field `role=admin` (or `role=reader`), absent =
 * reader. Files written before roles existed parse exactly as they did (same principals, same session
 * fingerprints, same errors); a bad role is an error located at file:line:column.
 */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyCredentials, parseTokens, parseUsers, sha256, type CredentialIssue } from '../../src/config/credentials-file';
import { loadConfigFromString } from '../../src/config/load';
import { hashPassword } from '../../src/http/credentials';

const A = 'a-token-of-sufficient-length-1';
const B = 'b-token-of-sufficient-length-2';
const C = 'c-token-of-sufficient-length-3';
const HASH = hashPassword('long enough pw', 1024);

function tokens(text: string) {
  const into = emptyCredentials();
  const issues: CredentialIssue[] = [];
  parseTokens(text, 'tokens', into, issues);
  return { entries: [...into.tokens.entries()], issues };
}

function users(text: string) {
  const into = emptyCredentials();
  const issues: CredentialIssue[] = [];
  parseUsers(text, 'users', into, issues);
  return { entries: [...into.users.entries()], issues };
}

t.test('a tokens file of the old format parses as it always did: readers, the same fingerprints', async (t) => {
  const r = tokens(`# ops\n${A}\n  ${B} acme.example\n${C}\tother\n`);
  t.same(r.issues, []);
  // The fingerprint formula before roles: a reader's must stay it, so nothing an old file made changes.
  const old = (token: string, tenant: string) => sha256(`token\0${sha256(token)}\0${tenant}`);
  t.same(r.entries, [
    [sha256(A), { principal: { name: 'token on line 2', tenant: undefined, role: 'reader' }, fingerprint: old(A, '') }],
    [sha256(B), { principal: { name: 'token on line 3', tenant: 'acme.example', role: 'reader' }, fingerprint: old(B, 'acme.example') }],
    [sha256(C), { principal: { name: 'token on line 4', tenant: 'other', role: 'reader' }, fingerprint: old(C, 'other') }],
  ]);
});

t.test('a users file of the old format parses as it always did', async (t) => {
  // As before: the last ":" of a line begins its tenant (so a plain password with a tenant has no ":").
  const r = users(`ops:${HASH}\nacme-ops:${HASH}:acme.example\nplain:a plain password\nscoped:plain pass word:acme\n`);
  t.same(r.issues, []);
  const old = (name: string, secret: string, tenant: string) => sha256(`user\0${name}\0${secret}\0${tenant}`);
  t.same(r.entries, [
    ['ops', { principal: { name: 'ops', tenant: undefined, role: 'reader' }, secret: HASH, fingerprint: old('ops', HASH, '') }],
    ['acme-ops', { principal: { name: 'acme-ops', tenant: 'acme.example', role: 'reader' }, secret: HASH, fingerprint: old('acme-ops', HASH, 'acme.example') }],
    ['plain', { principal: { name: 'plain', tenant: undefined, role: 'reader' }, secret: 'a plain password', fingerprint: old('plain', 'a plain password', '') }],
    ['scoped', { principal: { name: 'scoped', tenant: 'acme', role: 'reader' }, secret: 'plain pass word', fingerprint: old('scoped', 'plain pass word', 'acme') }],
  ]);
  // A line that was an error before (a tenant cannot hold "=") is still one unless it is exactly a role.
  t.match(users('ops:long enough pw:acme=x\n').issues, [{ line: 1, column: 20, message: /tenant "acme=x"/ }]);
});

t.test('roles: role=admin or role=reader as the last field, with or without a tenant', async (t) => {
  const tk = tokens(`${A} role=admin\n${B} acme.example role=admin\n${C} acme.example role=reader\n`);
  t.same(tk.issues, []);
  t.same(
    tk.entries.map(([, e]) => e.principal),
    [
      { name: 'token on line 1', tenant: undefined, role: 'admin' },
      { name: 'token on line 2', tenant: 'acme.example', role: 'admin' },
      { name: 'token on line 3', tenant: 'acme.example', role: 'reader' },
    ],
  );
  const us = users(`root:${HASH}:role=admin\nboss:${HASH}:acme.example:role=admin\nclerk:plain password:acme.example:role=reader\nsolo:plain password:role=admin\n`);
  t.same(us.issues, []);
  t.same(
    us.entries.map(([, e]) => [e.principal, e.secret]),
    [
      [{ name: 'root', tenant: undefined, role: 'admin' }, HASH],
      [{ name: 'boss', tenant: 'acme.example', role: 'admin' }, HASH],
      [{ name: 'clerk', tenant: 'acme.example', role: 'reader' }, 'plain password'],
      [{ name: 'solo', tenant: undefined, role: 'admin' }, 'plain password'],
    ],
  );
});

t.test('the role is part of the fingerprint: a demoted or promoted credential is another credential', async (t) => {
  const fp = (line: string) => (tokens(line).entries[0] as [string, { fingerprint: string }])[1].fingerprint;
  t.not(fp(`${A} role=admin\n`), fp(`${A}\n`), 'admin vs reader (token)');
  t.equal(fp(`${A} role=reader\n`), fp(`${A}\n`), 'role=reader written out is the reader it always was');
  t.not(fp(`${A} acme role=admin\n`), fp(`${A} acme\n`), 'with a tenant too');
  const ufp = (line: string) => (users(line).entries[0] as [string, { fingerprint: string }])[1].fingerprint;
  t.not(ufp(`ops:${HASH}:role=admin\n`), ufp(`ops:${HASH}\n`), 'admin vs reader (user)');
  t.not(ufp(`ops:${HASH}:acme:role=admin\n`), ufp(`ops:${HASH}:acme\n`));
});

t.test('a bad role is an error at file:line:column, through check-config too', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fsrecd-roles-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'tokens'), `${A} role=boss\n  ${B} acme role=\n${C} role=admin acme\n`);
  writeFileSync(join(dir, 'users'), `ops:${HASH}:role=root\nclerk:plain password:acme:role=Admin\n`);
  const r = await loadConfigFromString(`http: {tokens_file: ${dir}/tokens, users_file: ${dir}/users}\n`, `${dir}/fsrecd.yml`);
  t.notOk(r.ok);
  const hashEnd = 'ops:'.length + HASH.length + ':'.length;
  t.same(r.ok ? [] : r.errors.map(String), [
    `${dir}/tokens:1:37: http.tokens_file: role "boss": expected role=reader or role=admin`,
    `${dir}/tokens:2:44: http.tokens_file: role "": expected role=reader or role=admin`,
    `${dir}/tokens:3:32: http.tokens_file: expected "<token> [<tenant>] [role=admin]"`,
    `${dir}/users:1:${hashEnd + 'role='.length + 1}: http.users_file: role "root": expected role=reader or role=admin`,
    `${dir}/users:2:32: http.users_file: role "Admin": expected role=reader or role=admin`,
  ]);
});
